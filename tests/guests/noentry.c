/* noentry.c -- test guest refused at load: neither wasmcap_call_tool nor _start.
 * Also the module without a manifest section that the sidecar tests use. */
__attribute__((export_name("something"))) int something(int n) { return n * 2; }
