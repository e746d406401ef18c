/* test_decode_seeds.c -- fuzz_decode's property over its committed seeds,
 * in every build (the fuzzer itself needs clang and runs in `make
 * test-fuzz`): each seed of tests/fuzz/corpus/decode that validates is
 * emitted as both units (libtcc's and gcc's), and libtcc compiles each.
 *
 * It found gcc's unit of every SIMD module no longer building with libtcc
 * (a typedef spelled with gcc's attribute macro), which stopped the fuzzer
 * at its first SIMD seed, and types of 253 results failing libtcc.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "engine/code.h"
#include "engine/decode.h"
#include "engine/emit.h"
#include "util/fs.h"

static void check_seed(const char *path, const char *name)
{
    uint8_t *bytes = NULL;
    size_t size = 0;
    if (wc_read_file(path, 0, &bytes, &size) != 0) {
        CHECK(0, "cannot read %s", path);
        return;
    }
    wc_module_info *info = NULL;
    wc_error err = {0};
    if (wc_decode(bytes, size, NULL, &info, &err) != 0) {
        CHECK(strstr(err.msg, "byte 0x") != NULL, "%s: an error without an offset: %s", name, err.msg);
        free(bytes);
        return;
    }
    for (int for_tcc = 0; for_tcc < 2; for_tcc++) {
        wc_buf source;
        wc_buf_init(&source);
        int rc = (for_tcc ? wc_emit_for_tcc : wc_emit)(info, true, &source, &err);
        CHECK(rc == 0 && wc_buf_cstr(&source), "%s: emitting failed: %s", name, err.msg);
        wc_code *code = NULL;
        if (rc == 0 && wc_buf_cstr(&source)) {
            rc = wc_code_compile_fast((const char *)source.data, source.len, &code, &err);
            CHECK(rc == 0, "%s: %s's unit does not compile with libtcc: %s", name, for_tcc ? "libtcc" : "gcc",
                  err.msg);
            wc_code_free(code);
        }
        wc_buf_free(&source);
    }
    wc_module_info_free(info);
    free(bytes);
}

int main(void)
{
    const char *dir_path = WC_SOURCE_DIR "/tests/fuzz/corpus/decode";
    DIR *dir = opendir(dir_path);
    if (!dir) {
        printf("FAIL: cannot open %s\n", dir_path);
        return 1;
    }
    int seeds = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        size_t len = strlen(entry->d_name);
        if (len < 5 || strcmp(entry->d_name + len - 4, ".bin") != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir_path, entry->d_name);
        check_seed(path, entry->d_name);
        seeds++;
    }
    closedir(dir);
    CHECK(seeds > 0, "no seeds in %s", dir_path);
    if (failures) {
        printf("%d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("ok (%d seeds, %d checks)\n", seeds, checks);
    return 0;
}
