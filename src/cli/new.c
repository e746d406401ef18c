/* new.c -- `wasmcap new NAME`: a plugin project that builds and runs as is.
 *
 * Writes NAME/NAME.c (one tool, using the C SDK), NAME/manifest.json,
 * NAME/Makefile (Debian's clang for wasm32-wasi, then `wasmcap check`, so
 * a manifest that breaks the ontology fails the build), NAME/wasmcap.json
 * (a config serving just this plugin) and a copy of the SDK header, so the
 * directory builds on its own, away from this source tree.  The Makefile
 * calls this very wasmcap binary unless WASMCAP says otherwise.
 *
 * The SDK header is the one this binary was built with (embedded, so it
 * always matches the host ABI of this wasmcap); --sdk DIR or $WASMCAP_SDK
 * picks another copy.  Existing files are
 * never overwritten: every target is checked before anything is written,
 * and each file is created with O_EXCL.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"

#define MAX_SDK_BYTES (4u << 20)

static const char new_usage[] =
    "usage: wasmcap new [--dir DIR] [--sdk DIR] NAME\n"
    "\n"
    "Creates DIR/NAME (DIR defaults to the current directory) with a working\n"
    "one-tool plugin written in C: NAME.c, manifest.json, a Makefile for\n"
    "clang --target=wasm32-wasi whose build ends with `wasmcap check` (a\n"
    "manifest that breaks the config's ontology fails it), wasmcap.json (a\n"
    "config serving it) and a copy of the SDK header wasmcap.h.  Existing\n"
    "files are never overwritten.\n"
    "\n"
    "NAME: 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit.\n"
    "\n"
    "  --dir DIR    where to create the NAME directory (must exist)\n"
    "  --sdk DIR    take wasmcap.h from DIR instead of the copy built into wasmcap\n"
    "               (also $WASMCAP_SDK)\n"
    "  -h, --help   show this help\n";

/* ---- templates (@NAME@ is replaced by the plugin's name) ---------------- */

static const char template_c[] =
    "/* @NAME@.c -- a wasmcap plugin written with the C SDK (wasmcap.h).\n"
    " *\n"
    " *   make                                     builds @NAME@.wasm\n"
    " *   wasmcap call --config wasmcap.json @NAME@-greet '{\"name\": \"world\"}'\n"
    " *\n"
    " * Add a tool: write a function like greet, list it in WASMCAP_TOOLS, and\n"
    " * describe it (input and output schemas) in manifest.json.\n"
    " */\n"
    "#define WASMCAP_IMPLEMENTATION\n"
    "#include \"wasmcap.h\"\n"
    "\n"
    "/* The manifest travels inside the module (path relative to the directory\n"
    " * clang runs in: the Makefile runs it here). */\n"
    "WASMCAP_MANIFEST_FILE(\"manifest.json\");\n"
    "\n"
    "/* greet {\"name\": string} -> \"Hello, NAME!\" and {\"greeting\": ...}.  The\n"
    " * host has checked args against inputSchema, and checks the structured\n"
    " * result against outputSchema. */\n"
    "static int greet(const wasmcap_json *args, wasmcap_result *out)\n"
    "{\n"
    "    const char *name = wasmcap_json_string(wasmcap_json_get(args, \"name\"), \"\");\n"
    "    if (!*name)\n"
    "        return wasmcap_error(out, \"name must be a non-empty string\");\n"
    "    wasmcap_log(WASMCAP_INFO, \"greeting %s\", name);\n"
    "    wasmcap_text(out, \"Hello, %s!\", name);\n"
    "    wasmcap_jw *s = wasmcap_structured(out);\n"
    "    wasmcap_jw_key(s, \"greeting\");\n"
    "    wasmcap_jw_stringf(s, \"Hello, %s!\", name);\n"
    "    return 0;\n"
    "}\n"
    "\n"
    "WASMCAP_TOOLS({\"greet\", greet});\n";

static const char template_manifest[] =
    "{\n"
    "  \"name\": \"@NAME@\",\n"
    "  \"version\": \"0.1.0\",\n"
    "  \"description\": \"The @NAME@ plugin\",\n"
    "  \"tools\": [\n"
    "    {\n"
    "      \"name\": \"greet\",\n"
    "      \"title\": \"Greet\",\n"
    "      \"description\": \"Says hello to someone\",\n"
    "      \"inputSchema\": {\n"
    "        \"type\": \"object\",\n"
    "        \"properties\": {\"name\": {\"type\": \"string\", \"minLength\": 1, \"maxLength\": 200}},\n"
    "        \"required\": [\"name\"],\n"
    "        \"additionalProperties\": false\n"
    "      },\n"
    "      \"outputSchema\": {\n"
    "        \"type\": \"object\",\n"
    "        \"properties\": {\"greeting\": {\"type\": \"string\"}},\n"
    "        \"required\": [\"greeting\"],\n"
    "        \"additionalProperties\": false\n"
    "      },\n"
    "      \"annotations\": {\"readOnlyHint\": true, \"idempotentHint\": true, \"openWorldHint\": false}\n"
    "    }\n"
    "  ],\n"
    "  \"permissions\": {}\n"
    "}\n";

static const char template_makefile[] =
    "# Builds @NAME@.wasm with Debian's clang, wasi-libc and lld (packages clang,\n"
    "# lld, wasi-libc, libclang-rt-14-dev-wasm32).  The plugin is a WASI reactor\n"
    "# (no main); a small stack placed first keeps each call's memory small and\n"
    "# makes a stack overflow trap; -mbulk-memory makes memcpy and memset one\n"
    "# instruction each, run by the host.  The build ends with `wasmcap check`: a\n"
    "# manifest that breaks the ontology named in wasmcap.json (docs/PLUGINS.md,\n"
    "# \"The shared ontology\") fails it, and no .wasm is left behind.\n"
    "\n"
    "CLANG   ?= clang\n"
    "WASMCAP ?= @WASMCAP@\n"
    "CFLAGS  ?= -O2 -Wall -Wextra\n"
    "WASM_FLAGS = --target=wasm32-wasi --sysroot=/usr -mexec-model=reactor -mbulk-memory \\\n"
    "             -Wl,--stack-first -Wl,-z,stack-size=32768 -Wl,--strip-debug\n"
    "\n"
    ".PHONY: all clean try\n"
    "\n"
    "all: @NAME@.wasm\n"
    "\n"
    "@NAME@.wasm: @NAME@.c manifest.json wasmcap.h\n"
    "\t$(CLANG) $(WASM_FLAGS) $(CFLAGS) -o $@ @NAME@.c\n"
    "\t$(WASMCAP) check --config wasmcap.json\n"
    "\n"
    ".DELETE_ON_ERROR:\n"
    "\n"
    "try: @NAME@.wasm\n"
    "\t$(WASMCAP) call --config wasmcap.json @NAME@-greet '{\"name\": \"world\"}'\n"
    "\n"
    "clean:\n"
    "\trm -f @NAME@.wasm\n";

static const char template_config[] =
    "{\n"
    "  \"$comment\": \"Add \\\"ontology\\\": \\\"DIR\\\" (a folder of JSON Schema documents) to check the tool schemas against shared domain types.\",\n"
    "  \"plugins\": {\n"
    "    \"@NAME@\": {\"path\": \"@NAME@.wasm\"}\n"
    "  }\n"
    "}\n";

/* ---- helpers ------------------------------------------------------------ */

/* ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$: a manifest name that is also a safe
 * file name (no '/', not "." or "..", no leading '-'). */
static int valid_name(const char *name)
{
    size_t n = strlen(name);
    if (n < 1 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
            return 0;
    }
    return 1;
}

/* The template with every @NAME@ replaced by name and @WASMCAP@ by the
 * wasmcap binary; NULL when out of memory. */
static char *render(const char *template, const char *name, const char *wasmcap, size_t *len)
{
    wc_buf b;
    wc_buf_init(&b);
    const char *p = template;
    for (const char *q; (q = strchr(p, '@'));) {
        bool is_name = strncmp(q, "@NAME@", 6) == 0, is_bin = strncmp(q, "@WASMCAP@", 9) == 0;
        wc_buf_append(&b, p, (size_t)(q - p) + (is_name || is_bin ? 0 : 1));
        if (is_name)
            wc_buf_str(&b, name);
        else if (is_bin)
            wc_buf_str(&b, wasmcap);
        p = q + (is_name ? 6 : is_bin ? 9 : 1);
    }
    wc_buf_str(&b, p);
    char *s = wc_buf_cstr(&b);
    if (!s) {
        wc_buf_free(&b);
        return NULL;
    }
    *len = b.len;
    return s;
}

/* Reads DIR/wasmcap.h into *out when it is the SDK header. */
static int try_sdk(const char *dir, char **out, size_t *len, char *found, size_t found_size)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/wasmcap.h", dir) >= (int)sizeof path)
        return -1;
    uint8_t *data;
    size_t size;
    if (wc_read_file(path, MAX_SDK_BYTES, &data, &size))
        return -1;
    if (!strstr((const char *)data, "#define WASMCAP_H") ||
        !strstr((const char *)data, "WASMCAP_IMPLEMENTATION")) {
        free(data);
        return -1;
    }
    *out = (char *)data;
    *len = size;
    snprintf(found, found_size, "%s", path);
    return 0;
}

extern const char wc_sdk_header[]; /* sdk/c/wasmcap.h, embedded at build time */

static int find_sdk(const char *sdk_opt, char **out, size_t *len, char *found, size_t found_size)
{
    if (sdk_opt)
        return try_sdk(sdk_opt, out, len, found, found_size);
    const char *env = getenv("WASMCAP_SDK");
    if (env && *env)
        return try_sdk(env, out, len, found, found_size);
    *out = strdup(wc_sdk_header);
    if (!*out)
        return -1;
    *len = strlen(wc_sdk_header);
    snprintf(found, found_size, "the SDK built into wasmcap %s", WASMCAP_VERSION);
    return 0;
}

typedef struct new_file {
    const char *name;  /* in the project directory; "" = NAME.c */
    char *text;
    size_t len;
    char path[PATH_MAX];
    int created;
} new_file;

static int write_new(const char *path, const char *text, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            return -e;
        }
        off += (size_t)w;
    }
    if (close(fd))
        return -errno;
    return 0;
}

/* ---- the command -------------------------------------------------------- */

int wc_cmd_new(int argc, char **argv)
{
    const char *name = NULL, *dir = ".", *sdk = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(new_usage, stdout);
            return 0;
        }
        static const char *const with_value[] = {"--dir", "--sdk"};
        const char *opt = NULL, *value = NULL;
        int found = wc_cli_option(argc, argv, &i, with_value, 2, &opt, &value);
        if (found < 0 || (found && !*value)) {
            fprintf(stderr, "wasmcap new: %s needs a directory\n%s", opt, new_usage);
            return WC_EXIT_USAGE;
        }
        if (found) {
            if (strcmp(opt, "--dir") == 0)
                dir = value;
            else
                sdk = value;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "wasmcap new: unknown option %s\n%s", a, new_usage);
            return 2;
        } else if (name) {
            fprintf(stderr, "wasmcap new: one NAME at a time\n%s", new_usage);
            return 2;
        } else {
            name = a;
        }
    }
    if (!name) {
        fputs(new_usage, stderr);
        return 2;
    }
    if (!valid_name(name)) {
        fprintf(stderr,
                "wasmcap new: invalid name '%s': use 1-64 letters, digits, '_', '.' or '-', "
                "starting with a letter or digit\n",
                name);
        return 2;
    }
    struct stat st;
    if (stat(dir, &st) != 0) {
        fprintf(stderr, "wasmcap new: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
        fprintf(stderr, "wasmcap new: %s: not a directory\n", dir);
        return 1;
    }

    char *header = NULL, found[PATH_MAX];
    size_t header_len = 0;
    if (find_sdk(sdk, &header, &header_len, found, sizeof found)) {
        const char *from = sdk ? sdk : getenv("WASMCAP_SDK");
        if (from)
            fprintf(stderr, "wasmcap new: no SDK header %s/wasmcap.h\n", from);
        else
            fprintf(stderr, "wasmcap new: out of memory\n");
        return 1;
    }

    char project[PATH_MAX];
    if (snprintf(project, sizeof project, "%s/%s", dir, name) >= (int)sizeof project) {
        free(header);
        fprintf(stderr, "wasmcap new: path too long\n");
        return 1;
    }
    char c_name[80];
    snprintf(c_name, sizeof c_name, "%s.c", name);
    new_file files[] = {
        {c_name, NULL, 0, "", 0},
        {"manifest.json", NULL, 0, "", 0},
        {"Makefile", NULL, 0, "", 0},
        {"wasmcap.json", NULL, 0, "", 0},
        {"wasmcap.h", header, header_len, "", 0},
    };
    const char *templates[] = {template_c, template_manifest, template_makefile, template_config};
    size_t nfiles = sizeof files / sizeof files[0];
    int status = 1;
    int made_dir = 0;

    /* the Makefile's check runs this binary: the one that made the project */
    char self[PATH_MAX];
    ssize_t self_len = readlink("/proc/self/exe", self, sizeof self - 1);
    self[self_len > 0 ? self_len : 0] = '\0';
    if (self_len <= 0 || strpbrk(self, " \t\n$'\"\\#")) /* not safe in a Makefile as is */
        snprintf(self, sizeof self, "wasmcap");
    for (size_t i = 0; i < sizeof templates / sizeof templates[0]; i++) {
        files[i].text = render(templates[i], name, self, &files[i].len);
        if (!files[i].text) {
            fprintf(stderr, "wasmcap new: out of memory\n");
            goto done;
        }
    }
    /* refuse before writing anything */
    for (size_t i = 0; i < nfiles; i++) {
        if (snprintf(files[i].path, sizeof files[i].path, "%s/%s", project, files[i].name) >=
            (int)sizeof files[i].path) {
            fprintf(stderr, "wasmcap new: path too long\n");
            goto done;
        }
        if (lstat(files[i].path, &st) == 0) {
            fprintf(stderr, "wasmcap new: %s already exists; not overwriting anything\n",
                    files[i].path);
            goto done;
        }
    }
    if (mkdir(project, 0755) == 0) {
        made_dir = 1;
    } else if (errno != EEXIST || stat(project, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "wasmcap new: cannot create %s: %s\n", project,
                errno == EEXIST ? "exists and is not a directory" : strerror(errno));
        goto done;
    }
    for (size_t i = 0; i < nfiles; i++) {
        int rc = write_new(files[i].path, files[i].text, files[i].len);
        if (rc) {
            fprintf(stderr, "wasmcap new: cannot write %s: %s\n", files[i].path, wc_strerror(rc));
            /* leave nothing half-made behind */
            for (size_t j = 0; j < i; j++)
                if (files[j].created)
                    unlink(files[j].path);
            if (made_dir)
                rmdir(project);
            goto done;
        }
        files[i].created = 1;
    }
    status = 0;
    printf("Created %s/: %s, manifest.json, Makefile, wasmcap.json, wasmcap.h\n"
           "(SDK header: %s)\n"
           "\n"
           "Build it and call its tool:\n"
           "\n"
           "  cd %s && make && wasmcap call --config wasmcap.json %s-greet '{\"name\": \"world\"}'\n"
           "\n"
           "Serve it to an MCP client with `wasmcap serve --config %s/wasmcap.json`.\n",
           project, c_name, found, project, name, project);
done:
    for (size_t i = 0; i < nfiles; i++)
        free(files[i].text);
    return status;
}
