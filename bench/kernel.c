/* kernel.c -- compute kernels for bench_engine, in plain C without libc.
 *
 * bench/run.sh builds this file twice from the same text:
 *   natively:  gcc -O2 -fPIC -shared -o kernel.so kernel.c
 *   to wasm:   clang -O2 --target=wasm32-wasi -nostdlib -Wl,--no-entry
 *              -Wl,--export=kernel_... -o kernel.wasm kernel.c
 * and bench_engine runs each export natively and on both engine tiers with
 * the same argument, checks that the results agree and compares the times.
 *
 * Each kernel exercises something different:
 *   kernel_mix      64-bit multiply/xor/shift hashing through a 32 KiB table
 *                   (loads and stores into linear memory, as in
 *                   examples/compute);
 *   kernel_sieve    a sieve of Eratosthenes over a byte array (strided stores,
 *                   a memory-bound inner loop);
 *   kernel_collatz  Collatz step counts (pure 64-bit ALU work and
 *                   unpredictable branches, no memory).
 *
 * Nothing here may turn into a libc call (there is none in the wasm build):
 * the sieve clears its array with values that depend on the index so that
 * no compiler recognises a memset.
 */

typedef unsigned int u32;
typedef unsigned long long u64;

#define TABLE_SIZE 4096u
#define SIEVE_MAX (1u << 22)

static u64 table[TABLE_SIZE];
static unsigned char composite[SIEVE_MAX];

u64 kernel_mix(u32 rounds)
{
    for (u32 i = 0; i < TABLE_SIZE; i++)
        table[i] = (u64)i * 0x9e3779b97f4a7c15ull;
    u64 h = 0xcbf29ce484222325ull;
    for (u32 r = 0; r < rounds; r++) {
        u64 *slot = &table[h % TABLE_SIZE];
        h ^= *slot + r;
        h *= 0x100000001b3ull;
        h ^= h >> 29;
        *slot = h;
    }
    return h;
}

/* The number of primes below limit (at most SIEVE_MAX), `passes` times over;
 * returns the count of the last pass plus the pass count. */
u32 kernel_sieve(u32 limit, u32 passes)
{
    if (limit > SIEVE_MAX)
        limit = SIEVE_MAX;
    u32 count = 0;
    for (u32 p = 0; p < passes; p++) {
        for (u32 i = 0; i < limit; i++)
            composite[i] = (unsigned char)(i < 2);
        count = 0;
        for (u32 i = 2; i < limit; i++) {
            if (composite[i])
                continue;
            count++;
            for (u64 j = (u64)i * i; j < limit; j += i)
                composite[j] = 1;
        }
    }
    return count + passes;
}

/* The total number of Collatz steps of 1..n. */
u64 kernel_collatz(u32 n)
{
    u64 total = 0;
    for (u32 i = 1; i <= n; i++) {
        u64 x = i;
        while (x != 1) {
            x = (x & 1) ? 3 * x + 1 : x >> 1;
            total++;
        }
    }
    return total;
}
