// catch_at_4gib.cpp -- a C++ exception caught after the memory has grown to
// all 65,536 pages wasm32 can address (tests/cxx/run.sh): the personality
// computed the memory's size in a 32-bit size_t, 0 at 4 GiB ("landing pad
// without exception table"), and gave the exception table's reader the
// rest of the memory as its bounds, more than 2 GiB, whose pointer
// differences overflow wasm32's ptrdiff_t ("malformed exception table"):
// either way std::terminate instead of the catch.
#include <stdio.h>

int main()
{
    size_t pages = __builtin_wasm_memory_size(0);
    if (__builtin_wasm_memory_grow(0, 65536 - pages) == (size_t)-1) {
        puts("the memory did not grow to 4 GiB");
        return 2;
    }
    try {
        throw 42;
    } catch (int i) {
        printf("caught %d at %zu pages\n", i, (size_t)__builtin_wasm_memory_size(0));
    }
    return 0;
}
