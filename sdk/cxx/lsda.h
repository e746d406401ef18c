/* lsda.h -- the language-specific data area (LSDA) that clang writes for
 * every wasm32 function with catch clauses, read with bounds.
 *
 * The layout is the Itanium C++ ABI's exception table as LLVM emits it for
 * WebAssembly (the SJLJ form): a header (landing-pad base encoding, type
 * table encoding and offset), a call-site table of one record per landing
 * pad (its index and an action, both ULEB128), an action table of chained
 * (type index, next offset) SLEB128 pairs, and a type table of type_info
 * addresses that ends at the type base and is indexed backwards.  Nothing
 * here runs on wasm only, so the unit tests read clang's bytes natively.
 */
#ifndef WASMCAP_CXX_LSDA_H
#define WASMCAP_CXX_LSDA_H

#include <stddef.h>
#include <stdint.h>

enum wcx_lsda_result {
    WCX_LSDA_NO_HANDLER, /* no catch clause takes it: cleanups only */
    WCX_LSDA_HANDLER,    /* a catch clause takes it: *selector is its type index */
    WCX_LSDA_FILTER,     /* an exception specification (throw(T)): not supported */
    WCX_LSDA_MALFORMED,  /* the table runs past its bounds or loops */
};

/* Whether the catch clause of type table entry `type_address` (the address
 * of a type_info in the module's memory; 0 for catch (...)) takes the
 * exception in flight. */
typedef int (*wcx_catch_test)(void *context, uint32_t type_address);

/* Looks through the actions of landing pad `landing_pad` of the LSDA at
 * `lsda` (at most `size` bytes readable) for the first catch clause `test`
 * accepts.  On WCX_LSDA_HANDLER, *selector is the clause's type index (the
 * value clang's landing pad compares with each catch's) and
 * *type_address its type table entry. */
enum wcx_lsda_result wcx_lsda_find_handler(const uint8_t *lsda, size_t size, uint32_t landing_pad,
                                           wcx_catch_test test, void *context, int32_t *selector,
                                           uint32_t *type_address);

#endif
