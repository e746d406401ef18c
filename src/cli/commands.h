/* commands.h -- the subcommands of the wasmcap CLI.
 *
 * Each takes the arguments after "wasmcap" (argv[0] is the command name) and
 * returns the process exit status. */
#ifndef WC_CLI_COMMANDS_H
#define WC_CLI_COMMANDS_H

int wc_cmd_exec(int argc, char **argv);
int wc_cmd_inspect(int argc, char **argv);
int wc_cmd_compile(int argc, char **argv);
int wc_cmd_new(int argc, char **argv);
int wc_cmd_serve(int argc, char **argv);
int wc_cmd_call(int argc, char **argv);
int wc_cmd_check(int argc, char **argv);
int wc_cmd_gen(int argc, char **argv);
int wc_cmd_convert(int argc, char **argv);
int wc_cmd_pull(int argc, char **argv);
int wc_cmd_push(int argc, char **argv);

#endif
