/* bad.c -- test guest refused at load: wasmcap_call_tool has the wrong type.
 * (The tests give it a sidecar manifest.) */
#include <stdint.h>

__attribute__((export_name("wasmcap_alloc"))) int alloc(int n) { return n; }
__attribute__((export_name("wasmcap_call_tool"))) int call_tool(int a, int b) { return a + b; }
