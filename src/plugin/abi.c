/* abi.c -- the plugin ABIs load tries, in order (abi.h).  The native ABI
 * comes first: a module exporting both wasmcap_call_tool and _start is a
 * native plugin; then Extism's, whose plugins may be WASI programs too
 * (TinyGo's). */
#include "plugin/abi.h"

const wc_plugin_abi *const wc_plugin_abis[] = {&wc_abi_native, &wc_abi_extism,
                                                &wc_abi_command, NULL};
