/* cxx_throw.cpp -- what a C++ exception costs: a throw from 8 frames down
 * (a guard with a destructor in each) caught at the top, against the same
 * chain returning an error code, timed in process in the thread's CPU
 * time (what a loaded machine distorts least; a run's start-up is not
 * counted).  Built for wasm32 by bench/cxx_throw.sh (clang++
 * -fwasm-exceptions, sdk/cxx's runtime) and natively by g++.
 *
 * Built with -fno-exceptions, it times the error returns alone (and prints
 * "-" for the throws): what the landing pads of exception-enabled code cost
 * on the path that throws nothing.
 *
 *   cxx_throw [ITERATIONS]      prints ns per throw, ns per error return */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

namespace {

const int DEPTH = 8;
volatile int sink; /* keeps the guards' work */

struct Guard {
    int n;
    ~Guard() { sink = sink + n; }
};

struct Failure {
    int code;
};

#if __cpp_exceptions
__attribute__((noinline)) int down_throwing(int depth, int i)
{
    Guard g{depth};
    if (depth == 0)
        throw Failure{i & 7};
    return down_throwing(depth - 1, i) + 1;
}
#endif

__attribute__((noinline)) int down_returning(int depth, int i, int *error)
{
    Guard g{depth};
    if (depth == 0) {
        *error = i & 7;
        return 0;
    }
    int r = down_returning(depth - 1, i, error);
    return *error ? 0 : r + 1;
}

double seconds()
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

} // namespace

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 200000;
    if (n <= 0 || n > 100000000) {
        fprintf(stderr, "cxx_throw: ITERATIONS from 1 to 100000000\n");
        return 2;
    }
    long caught = 0, returned = 0;
    double t0 = seconds();
#if __cpp_exceptions
    for (long i = 0; i < n; i++) {
        try {
            down_throwing(DEPTH, (int)i);
        } catch (const Failure &f) {
            caught += f.code;
        }
    }
#else
    for (long i = 0; i < n; i++)
        caught += i & 7;
#endif
    double t1 = seconds();
    for (long i = 0; i < n; i++) {
        int error = 0;
        down_returning(DEPTH, (int)i, &error);
        returned += error;
    }
    double t2 = seconds();
    if (caught != returned) {
        fprintf(stderr, "cxx_throw: %ld caught, %ld returned\n", caught, returned);
        return 1;
    }
#if __cpp_exceptions
    printf("%.1f %.1f\n", (t1 - t0) / (double)n * 1e9, (t2 - t1) / (double)n * 1e9);
#else
    (void)t0;
    printf("- %.1f\n", (t2 - t1) / (double)n * 1e9);
#endif
    return 0;
}
