/* hello -- an example WASI command for wasmcap.
 *
 *   hello [NAME...] [-] [--env] [--exit N]
 *
 * Greets every NAME (default "world") with $GREETING (default "Hello").
 * "-" also greets every line read from stdin, --env prints the environment
 * the host chose to pass, and --exit N exits with status N.
 *
 * Build: clang --target=wasm32-wasi --sysroot=/usr -O2 -o hello.wasm hello.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static void greet(const char *greeting, const char *name)
{
    printf("%s, %s!\n", greeting, name);
}

int main(int argc, char **argv)
{
    const char *greeting = getenv("GREETING");
    if (!greeting)
        greeting = "Hello";

    int exit_code = 0, names = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--exit") == 0 && i + 1 < argc) {
            exit_code = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--env") == 0) {
            for (char **e = environ; *e; e++)
                printf("env: %s\n", *e);
        } else if (strcmp(argv[i], "-") == 0) {
            char line[256];
            while (fgets(line, sizeof line, stdin)) {
                line[strcspn(line, "\n")] = '\0';
                greet(greeting, line);
                names++;
            }
        } else {
            greet(greeting, argv[i]);
            names++;
        }
    }
    if (names == 0)
        greet(greeting, "world");
    if (exit_code != 0)
        fprintf(stderr, "%s: exiting with %d\n", argv[0], exit_code);
    return exit_code;
}
