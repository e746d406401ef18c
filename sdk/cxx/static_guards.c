/* static_guards.c -- the guards of function-local statics with dynamic
 * initialisers.  A guest runs one thread, so a guard is a flag in its
 * first byte: acquire says whether to initialise, release marks it done,
 * abort (the initialiser threw) leaves it to be tried again. */
#include <stdint.h>

#ifndef __wasm__
#error "static_guards.c defines the C++ runtime's own symbols: build it for wasm only"
#endif

int __cxa_guard_acquire(uint64_t *guard)
{
    return *(uint8_t *)guard == 0;
}

void __cxa_guard_release(uint64_t *guard)
{
    *(uint8_t *)guard = 1;
}

void __cxa_guard_abort(uint64_t *guard)
{
    *(uint8_t *)guard = 0;
}
