/* cmd_tool.c -- test guest for the command ABI: a plain WASI program. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__asm__(".section .custom_section.wasmcap.manifest,\"\",@\n.incbin \"cmd_tool.manifest.json\"\n"
        ".section .text,\"\",@\n");

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: cmd_tool TOOL (got %d arguments)\n", argc);
        return 2;
    }
    const char *tool = argv[1];
    char in[4096];
    size_t n = fread(in, 1, sizeof in - 1, stdin);
    in[n] = 0;
    if (strcmp(tool, "upper") == 0) {
        for (size_t i = 0; i < n; i++)
            putchar(toupper((unsigned char)in[i]));
        return 0;
    }
    if (strcmp(tool, "json") == 0) {
        printf("{\"structuredContent\": {\"program\": \"%s\", \"input_bytes\": %zu}}\n", argv[0], n);
        return 0;
    }
    if (strcmp(tool, "fail") == 0) {
        fprintf(stderr, "boom: the input was %s\n", in);
        return 3;
    }
    if (strcmp(tool, "failout") == 0) {
        printf("bad input, try again");
        return 1;
    }
    if (strcmp(tool, "silent") == 0)
        return 4;
    if (strcmp(tool, "trap") == 0)
        __builtin_trap();
    if (strcmp(tool, "flood") == 0) {
        for (int i = 0; i < 300000; i++)
            putchar('y');
        return 0;
    }
    if (strcmp(tool, "env") == 0) {
        const char *g = getenv("GREETING");
        printf("%s", g ? g : "(unset)");
        return 0;
    }
    if (strcmp(tool, "typed") == 0) {
        printf("just text");
        return 0;
    }
    fprintf(stderr, "unknown tool %s\n", tool);
    return 1;
}
