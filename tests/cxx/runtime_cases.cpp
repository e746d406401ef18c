/* runtime_cases.cpp -- the corners of sdk/cxx's C++ runtime that the
 * cxx-parse plugin does not reach, as one WASI command that prints a line
 * a case; tests/cxx/run.sh requires its wasm build (clang++
 * -fwasm-exceptions) to print what its g++ build prints.  With the
 * argument `uncaught` it lets an exception leave main instead: natively
 * std::terminate aborts (status 134), in wasmcap the call traps (134). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#ifdef __wasm__
#define MEMORY_IN_USE() ((size_t)__builtin_wasm_memory_size(0) * 65536)
#else
#include <malloc.h>
#define MEMORY_IN_USE() ((size_t)mallinfo2().uordblks)
#endif

namespace {

int live;   /* Tracked objects not yet destroyed */
int copies; /* of Tracked, by copy constructors */

struct Tracked {
    int value;
    explicit Tracked(int v) : value(v) { live++; }
    Tracked(const Tracked &other) : value(other.value) { live++, copies++; }
    ~Tracked() { live--; }
};

struct Base {
    int code;
    explicit Base(int c) : code(c) {}
    virtual ~Base() {}
};
struct Middle : Base {
    using Base::Base;
};
struct Leaf : Middle {
    using Middle::Middle;
};

/* several bases: caught by its exact type or catch (...) */
struct Left {
    int l = 1;
};
struct Right {
    int r = 2;
};
struct Both : Left, Right {};

enum class Color { Red = 3, Green = 7 };

/* copying it throws: the exception being thrown is freed, the int goes on */
struct Bomb {
    Bomb() {}
    Bomb(const Bomb &) { throw 99; }
};

__attribute__((noinline)) void dive(int depth, int limit)
{
    Tracked t(depth);
    if (depth == limit)
        throw Leaf(depth);
    dive(depth + 1, limit);
}

void deep_unwinding()
{
    try {
        dive(0, 1000);
    } catch (const Base &b) {
        printf("deep: caught Leaf from depth %d as Base, live %d\n", b.code, live);
    }
}

void catch_by_value()
{
    int before = copies;
    try {
        throw Tracked(5);
    } catch (Tracked t) {
        t.value++;
        printf("by value: %d, copied %s, live %d\n", t.value, copies > before ? "yes" : "no", live);
    }
    printf("by value after: live %d\n", live);
}

void nested_in_handler()
{
    try {
        throw Tracked(1);
    } catch (const Tracked &outer) {
        try {
            throw Tracked(2);
        } catch (const Tracked &inner) {
            printf("nested: inner %d, outer %d, live %d\n", inner.value, outer.value, live);
        }
        printf("nested: outer still %d, live %d\n", outer.value, live);
    }
    printf("nested after: live %d\n", live);
}

void rethrow_levels()
{
    try {
        try {
            try {
                throw Leaf(11);
            } catch (Leaf &l) {
                l.code += 1;
                throw;
            }
        } catch (Middle &m) {
            m.code += 10;
            throw;
        }
    } catch (Base &b) {
        printf("rethrown twice: %d\n", b.code);
        try {
            throw;
        } catch (Leaf &l) {
            printf("and still a Leaf: %d\n", l.code);
        }
    }
}

void throw_from_handler_replaces()
{
    try {
        try {
            throw Tracked(1);
        } catch (...) {
            throw Color::Green; /* the Tracked is destroyed as the handler is left */
        }
    } catch (Color c) {
        printf("replaced: color %d, live %d\n", (int)c, live);
    }
}

void pointers()
{
    static Leaf leaf(21);
    static char text[] = "mutable";
    static int number = 4;
    try {
        throw &leaf;
    } catch (const Base *b) {
        printf("pointer: Leaf* as const Base*: %d\n", b->code);
    }
    try {
        throw text;
    } catch (const char *s) {
        printf("pointer: char* as const char*: %s\n", s);
    }
    try {
        throw &number;
    } catch (void *p) {
        printf("pointer: int* as void*: %d\n", *(int *)p);
    }
    try {
        throw (const int *)&number;
    } catch (int *) {
        printf("pointer: const int* as int* (wrong)\n");
    } catch (const void *p) {
        printf("pointer: const int* as const void*: %d\n", *(const int *)p);
    }
}

void several_bases()
{
    try {
        throw Both();
    } catch (const Both &b) {
        printf("several bases: exact %d %d\n", b.l, b.r);
    }
    try {
        throw Both();
    } catch (...) {
        printf("several bases: catch (...)\n");
    }
}

void bomb()
{
    try {
        Bomb b;
        throw b;
    } catch (int code) {
        printf("copy of the thrown object threw %d\n", code);
    } catch (const Bomb &) {
        printf("bomb (wrong)\n");
    }
}

int attempts;
int flaky_value()
{
    if (++attempts == 1)
        throw attempts;
    return 40 + attempts;
}

void static_initialiser_throws()
{
    for (int i = 0; i < 2; i++) {
        try {
            static int value = flaky_value();
            printf("static: %d after %d attempts\n", value, attempts);
        } catch (int n) {
            printf("static: attempt %d threw\n", n);
        }
    }
}

void steady_memory()
{
    /* warm up the allocator, then many throws must leave nothing behind */
    for (int i = 0; i < 1000; i++) {
        try {
            throw Leaf(i);
        } catch (const Base &) {
        }
    }
    size_t before = MEMORY_IN_USE();
    long sum = 0;
    for (int i = 0; i < 100000; i++) {
        try {
            if (i % 2)
                throw Leaf(i);
            throw Tracked(i);
        } catch (const Base &b) {
            sum += b.code;
        } catch (const Tracked &t) {
            sum -= t.value;
        }
    }
    printf("100000 throws: sum %ld, memory %s, live %d\n", sum,
           MEMORY_IN_USE() == before ? "steady" : "grew", live);
}

} // namespace

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "uncaught") == 0) {
        throw Leaf(1);
    }
    deep_unwinding();
    catch_by_value();
    nested_in_handler();
    rethrow_levels();
    throw_from_handler_replaces();
    pointers();
    several_bases();
    bomb();
    static_initialiser_throws();
    steady_memory();
    printf("live at the end: %d\n", live);
    return 0;
}
