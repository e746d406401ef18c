/* convert.c -- .wast scripts to wast2json's JSON, files and directories.
 *
 * The engine reads binary modules only, so the text scripts are converted at
 * test time by wabt's wast2json (a subprocess: nothing of wabt is linked in).
 * Its output is a JSON command list plus one .wasm file per module, written
 * beside the JSON.
 */
#define _GNU_SOURCE /* nftw's FTW_DEPTH and FTW_PHYS */
#include "spectest/spectest.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Copies at most max_bytes of a file to out (wast2json's messages). */
static void copy_file_head(const char *path, FILE *out, size_t max_bytes)
{
    FILE *in = fopen(path, "r");
    if (!in)
        return;
    char buf[4096];
    size_t n;
    while (max_bytes > 0 && (n = fread(buf, 1, sizeof buf < max_bytes ? sizeof buf : max_bytes, in)) > 0) {
        fwrite(buf, 1, n, out);
        max_bytes -= n;
    }
    fclose(in);
}

int spectest_convert(const char *wast_path, const char *out_dir, const char *name,
                     char *json_path, size_t json_path_size, FILE *report)
{
    char log_path[PATH_MAX];
    if ((size_t)snprintf(json_path, json_path_size, "%s/%s.json", out_dir, name) >= json_path_size ||
        (size_t)snprintf(log_path, sizeof log_path, "%s/wast2json.log", out_dir) >= sizeof log_path) {
        fprintf(report, "path too long: %s/%s.json\n", out_dir, name);
        return -1;
    }

    /* WAST2JSON overrides the program found on PATH. */
    const char *program = getenv("WAST2JSON");
    if (!program || !*program)
        program = "wast2json";

    /* Its chatter goes to a log that is shown only when the conversion fails
     * (some valid scripts make it print type warnings). */
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path,
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);

    char *argv[] = {(char *)program, "--enable-all", (char *)wast_path, "-o", json_path, NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, program, &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        fprintf(report, "cannot run %s: %s\n", program, strerror(rc));
        return -1;
    }

    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            fprintf(report, "waiting for %s: %s\n", program, strerror(errno));
            return -1;
        }
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (WIFEXITED(status))
            fprintf(report, "%s failed on %s (exit status %d):\n", program, wast_path,
                    WEXITSTATUS(status));
        else
            fprintf(report, "%s failed on %s (signal %d):\n", program, wast_path,
                    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
        copy_file_head(log_path, report, 8192);
        return -1;
    }
    return 0;
}

json_t *spectest_load_json(const char *json_path, FILE *report)
{
    json_error_t error;
    /* Export names may contain NUL (names.wast); without JSON_ALLOW_NUL
     * jansson would refuse the whole file. */
    json_t *root = json_load_file(json_path, JSON_ALLOW_NUL, &error);
    if (!root) {
        fprintf(report, "%s:%d: bad JSON: %s\n", json_path, error.line, error.text);
        return NULL;
    }
    if (!json_is_array(json_object_get(root, "commands"))) {
        fprintf(report, "%s: no \"commands\" array\n", json_path);
        json_decref(root);
        return NULL;
    }
    return root;
}

int spectest_read_file(const char *path, uint8_t **bytes, size_t *size)
{
    *bytes = NULL;
    *size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    size_t length = (size_t)st.st_size;
    uint8_t *data = malloc(length ? length : 1);
    if (!data) {
        close(fd);
        errno = ENOMEM;
        return -1;
    }
    size_t done = 0;
    while (done < length) {
        ssize_t n = read(fd, data + done, length - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int saved = n < 0 ? errno : EIO;
            free(data);
            close(fd);
            errno = saved;
            return -1;
        }
        done += (size_t)n;
    }
    close(fd);
    *bytes = data;
    *size = length;
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    if (remove(path) != 0 && errno != ENOENT)
        return -1;
    return 0;
}

int spectest_remove_tree(const char *dir)
{
    /* Depth first so directories are empty when their turn comes. */
    return nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}
