/* badimport.c -- test guest refused at load: imports a function wasmcap lacks. */
#include "guest.h"

MANIFEST("badimport.manifest.json");

__attribute__((import_module("wasmcap"), import_name("teleport"))) int teleport(int where);

EXPORT("wasmcap_call_tool")
int64_t call_tool(const char *name, int name_len, const char *args, int args_len)
{
    (void)name, (void)args, (void)args_len;
    return teleport(name_len);
}
