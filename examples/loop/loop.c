/* loop -- never returns; for testing timeouts and interrupts. */
#include <stdio.h>

int main(void)
{
    /* volatile: the loop must really run, not be folded away. */
    volatile unsigned long counter = 0;
    puts("looping forever");
    fflush(stdout);
    for (;;)
        counter++;
}
