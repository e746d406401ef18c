/* grow -- grows linear memory one page at a time until the host refuses,
 * then prints how far it got; for testing memory limits. */
#include <stdio.h>

#define PAGE_SIZE 65536

int main(void)
{
    unsigned long grown = 0;
    while (__builtin_wasm_memory_grow(0, 1) != (__SIZE_TYPE__)-1)
        grown++;
    unsigned long pages = __builtin_wasm_memory_size(0);
    printf("grew %lu pages; memory is %lu pages (%lu KiB)\n", grown, pages,
           pages * (PAGE_SIZE / 1024));
    return 0;
}
