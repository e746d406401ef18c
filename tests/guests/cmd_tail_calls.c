/* cmd_tail_calls.c -- test guest: real toolchain output with tail calls.
 * A threaded interpreter whose operations hand over to each other with
 * calls in tail position through a table: clang -mtail-call makes them
 * return_call_indirect and return_call (CMakeLists.txt builds guests named
 * *tail_calls* with it).  tests/tail_calls_exec.sh runs it through
 * `wasmcap exec` on both tiers for ten million steps, far deeper than the
 * engine's call depth, and compares its output with a native build's (gcc
 * -O2 makes the same calls sibling calls). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(__clang__) && defined(__wasm__)
#define TAIL __attribute__((musttail))
#else
#define TAIL
#endif

typedef struct vm {
    uint64_t acc, steps;
} vm;
typedef uint64_t (*op)(vm *m, const uint8_t *pc, uint64_t left);
static const op ops[4];
/* The program: multiply, shift-xor, add, shift-xor, back to the start. */
static const uint8_t program[] = {0, 1, 2, 1, 3};

static uint64_t next(vm *m, const uint8_t *pc, uint64_t left)
{
    if (left == 0)
        return m->acc;
    m->steps++;
    TAIL return ops[*pc](m, pc, left - 1);
}

static uint64_t op_mul(vm *m, const uint8_t *pc, uint64_t left)
{
    m->acc = m->acc * 6364136223846793005u + 1;
    TAIL return next(m, pc + 1, left);
}

static uint64_t op_xor(vm *m, const uint8_t *pc, uint64_t left)
{
    m->acc ^= m->acc >> 29;
    TAIL return next(m, pc + 1, left);
}

static uint64_t op_add(vm *m, const uint8_t *pc, uint64_t left)
{
    m->acc += left;
    TAIL return next(m, pc + 1, left);
}

static uint64_t op_back(vm *m, const uint8_t *pc, uint64_t left)
{
    (void)pc;
    TAIL return next(m, program, left);
}

static const op ops[4] = {op_mul, op_xor, op_add, op_back};

int main(int argc, char **argv)
{
    uint64_t steps = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000;
    vm m = {1, 0};
    uint64_t acc = next(&m, program, steps);
    printf("%llu after %llu steps\n", (unsigned long long)acc, (unsigned long long)m.steps);
    return 0;
}
