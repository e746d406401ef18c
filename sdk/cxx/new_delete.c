/* new_delete.c -- operator new and delete (the plain, array and sized
 * forms) over wasi-libc's malloc.  Running out of memory terminates: this
 * runtime has no std::bad_alloc. */
#include <stdio.h>
#include <stdlib.h>

#include "type_info.h"

#ifndef __wasm__
#error "new_delete.c defines the C++ runtime's own symbols: build it for wasm only"
#endif

__attribute__((noreturn)) void wcx_terminate(void) WCX_ITANIUM_NAME("_ZSt9terminatev");

void *wcx_new(size_t size) WCX_ITANIUM_NAME("_Znwm");
void *wcx_new_array(size_t size) WCX_ITANIUM_NAME("_Znam");
void wcx_delete(void *p) WCX_ITANIUM_NAME("_ZdlPv");
void wcx_delete_array(void *p) WCX_ITANIUM_NAME("_ZdaPv");
void wcx_delete_sized(void *p, size_t size) WCX_ITANIUM_NAME("_ZdlPvm");
void wcx_delete_array_sized(void *p, size_t size) WCX_ITANIUM_NAME("_ZdaPvm");

void *wcx_new(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p) {
        fputs("C++ runtime: out of memory in operator new\n", stderr);
        wcx_terminate();
    }
    return p;
}

void *wcx_new_array(size_t size)
{
    return wcx_new(size);
}

void wcx_delete(void *p)
{
    free(p);
}

void wcx_delete_array(void *p)
{
    free(p);
}

void wcx_delete_sized(void *p, size_t size)
{
    (void)size;
    free(p);
}

void wcx_delete_array_sized(void *p, size_t size)
{
    (void)size;
    free(p);
}
