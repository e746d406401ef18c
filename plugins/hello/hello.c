/* hello.c -- a plugin that is an ordinary WASI command (the command ABI of
 * docs/PLUGINS.md): the arguments JSON arrives on stdin, the answer goes to
 * stdout, a non-zero exit status makes it an error.  No SDK: any WASI
 * toolchain can build plugins like this one.  Its manifest is the sidecar
 * file hello.manifest.json.
 *
 * The arguments are {"name": "..."} (the host has checked them against the
 * schema), so a small scan for the "name" member is enough here; it decodes
 * the common escapes and refuses what it does not understand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *msg)
{
    fprintf(stderr, "hello: %s\n", msg);
    printf("%s\n", msg);
    return 1;
}

int main(void)
{
    char input[4096];
    size_t n = fread(input, 1, sizeof input - 1, stdin);
    input[n] = 0;
    if (!feof(stdin))
        return fail("arguments too long");
    char *p = strstr(input, "\"name\"");
    if (!p)
        return fail("missing argument 'name'");
    p += 6;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (*p++ != ':')
        return fail("malformed arguments");
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (*p++ != '"')
        return fail("'name' must be a string");
    char name[1024];
    size_t len = 0;
    for (; *p != '"'; p++) {
        char c = *p;
        if (!c || len + 1 >= sizeof name)
            return fail("malformed or too long 'name'");
        if (c == '\\') {
            switch (*++p) {
            case '"': c = '"'; break;
            case '\\': c = '\\'; break;
            case '/': c = '/'; break;
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            default: return fail("unsupported escape in 'name'");
            }
        }
        name[len++] = c;
    }
    name[len] = 0;
    printf("Hello, %s!", name);
    return 0;
}
