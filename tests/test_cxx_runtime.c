/* test_cxx_runtime.c -- the parts of sdk/cxx's C++ ABI runtime that are
 * plain C, run natively: the LSDA reader on exception tables that clang++
 * 14 wrote for wasm32 (-fwasm-exceptions), intact, cut short and corrupted,
 * and the matching of thrown types against catch clauses' (the runtime's
 * documented rules and limits).  The wasm side (throw, catch, rethrow,
 * unwinding) runs in tests/cxx/run.sh. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../sdk/cxx/lsda.h"
#include "../sdk/cxx/type_info.h"

#include "check.h"

/* The LSDA clang++ -O2 -fwasm-exceptions wrote for
 *     try { G guard; g(x); } catch (B &) {...} catch (A &) {...}
 *     try { g(x + 1); } catch (int) {...} catch (...) {...}
 * (struct B : A): two landing pads, one call-site record each.  The type
 * table's relocations are filled as a linker would: int at 0x100, B at
 * 0x200, A at 0x300; catch (...) is 0. */
static const uint8_t two_pads[36] = {
    0xff, 0x00, 0x21,             /* no landing-pad base; type table absptr, base 0x21 on */
    0x01, 0x04,                   /* call sites: uleb128, 4 bytes */
    0x00, 0x03, 0x01, 0x07,       /* pad 0 -> action 3 (record 2); pad 1 -> action 7 (record 4) */
    0x01, 0x00,                   /* record 1: type 1 (A), end */
    0x02, 0x7d,                   /* record 2: type 2 (B), then record 1 */
    0x03, 0x00,                   /* record 3: type 3 (catch (...)), end */
    0x04, 0x7d,                   /* record 4: type 4 (int), then record 3 */
    0x00, 0x00, 0x00,             /* alignment */
    0x00, 0x01, 0x00, 0x00,       /* type 4: int */
    0x00, 0x00, 0x00, 0x00,       /* type 3: catch (...) */
    0x00, 0x02, 0x00, 0x00,       /* type 2: B */
    0x00, 0x03, 0x00, 0x00,       /* type 1: A */
};

/* A catch test that takes the listed type addresses, and catch (...). */
struct takes {
    uint32_t types[4];
    int asked; /* how many clauses were asked */
};

static int takes_listed(void *context, uint32_t address)
{
    struct takes *t = context;
    t->asked++;
    if (address == 0)
        return 1;
    for (int i = 0; i < 4; i++)
        if (t->types[i] && t->types[i] == address)
            return 1;
    return 0;
}

static enum wcx_lsda_result find(const uint8_t *lsda, size_t size, uint32_t pad, struct takes *t,
                                 int32_t *selector, uint32_t *address)
{
    *selector = -99;
    *address = 0xdead;
    return wcx_lsda_find_handler(lsda, size, pad, takes_listed, t, selector, address);
}

static void clauses_in_order(void)
{
    int32_t selector;
    uint32_t address;
    /* a B is taken by catch (B &), the first clause */
    struct takes b = {{0x200, 0x300}, 0};
    CHECK(find(two_pads, sizeof two_pads, 0, &b, &selector, &address) == WCX_LSDA_HANDLER &&
              selector == 2 && address == 0x200 && b.asked == 1,
          "B: selector %d, address %#x, asked %d", selector, address, b.asked);
    /* an A only by catch (A &), after B's was asked */
    struct takes a = {{0x300}, 0};
    CHECK(find(two_pads, sizeof two_pads, 0, &a, &selector, &address) == WCX_LSDA_HANDLER &&
              selector == 1 && address == 0x300 && a.asked == 2,
          "A: selector %d, address %#x, asked %d", selector, address, a.asked);
    /* an int: no clause of pad 0 (the guard's cleanup runs, then it goes on) */
    struct takes i = {{0x100}, 0};
    CHECK(find(two_pads, sizeof two_pads, 0, &i, &selector, &address) == WCX_LSDA_NO_HANDLER &&
              i.asked == 2,
          "int at pad 0: asked %d", i.asked);
    /* pad 1: catch (int), then catch (...) for anything else */
    struct takes i1 = {{0x100}, 0};
    CHECK(find(two_pads, sizeof two_pads, 1, &i1, &selector, &address) == WCX_LSDA_HANDLER &&
              selector == 4 && address == 0x100,
          "int at pad 1: selector %d", selector);
    struct takes other = {{0x999}, 0};
    CHECK(find(two_pads, sizeof two_pads, 1, &other, &selector, &address) == WCX_LSDA_HANDLER &&
              selector == 3 && address == 0,
          "catch (...) at pad 1: selector %d, address %#x", selector, address);
    /* a landing pad the table has no record of */
    CHECK(find(two_pads, sizeof two_pads, 2, &other, &selector, &address) == WCX_LSDA_MALFORMED,
          "pad 2 has no record");
    CHECK(find(two_pads, sizeof two_pads, UINT32_MAX, &other, &selector, &address) ==
              WCX_LSDA_MALFORMED,
          "pad 2^32-1 has no record");
}

/* The LSDA of one landing pad with four clauses, as clang++ wrote it for
 *     try { f(x); } catch (Derived &) {} catch (Base &) {} catch (int) {}
 *     catch (...) {}
 * (Derived at 0x40, Base at 0x34, int at 0x500). */
static const uint8_t four_clauses[32] = {
    0xff, 0x00, 0x1d, 0x01, 0x02, 0x00, 0x07,
    0x01, 0x00, 0x02, 0x7d, 0x03, 0x7d, 0x04, 0x7d, 0x00,
    0x40, 0x00, 0x00, 0x00, /* type 4: Derived */
    0x34, 0x00, 0x00, 0x00, /* type 3: Base */
    0x00, 0x05, 0x00, 0x00, /* type 2: int */
    0x00, 0x00, 0x00, 0x00, /* type 1: catch (...) */
};

static void one_pad_four_clauses(void)
{
    int32_t selector;
    uint32_t address;
    struct takes base = {{0x34}, 0};
    CHECK(find(four_clauses, sizeof four_clauses, 0, &base, &selector, &address) ==
                  WCX_LSDA_HANDLER &&
              selector == 3 && address == 0x34 && base.asked == 2,
          "Base: selector %d, asked %d", selector, base.asked);
    struct takes none = {{0}, 0};
    CHECK(find(four_clauses, sizeof four_clauses, 0, &none, &selector, &address) ==
                  WCX_LSDA_HANDLER &&
              selector == 1 && address == 0 && none.asked == 4,
          "catch (...): selector %d, asked %d", selector, none.asked);
}

/* Every shorter table is refused, never read past (ASan watches). */
static void cut_short(void)
{
    for (size_t size = 0; size < sizeof two_pads; size++) {
        uint8_t *copy = malloc(size ? size : 1);
        memcpy(copy, two_pads, size);
        for (uint32_t pad = 0; pad < 2; pad++) {
            int32_t selector;
            uint32_t address;
            struct takes t = {{0x100, 0x200, 0x300}, 0};
            enum wcx_lsda_result r = find(copy, size, pad, &t, &selector, &address);
            CHECK(r == WCX_LSDA_MALFORMED, "%zu bytes, pad %u: %d", size, pad, r);
        }
        free(copy);
    }
}

/* two_pads with one byte changed, and what the reader must say of it */
struct corruption {
    size_t offset;
    uint8_t byte;
    uint32_t pad;
    enum wcx_lsda_result expected;
    const char *what;
};

static const struct corruption corruptions[] = {
    {16, 0x7f, 1, WCX_LSDA_MALFORMED, "record 4's next back at itself: a loop, walked as nothing takes int"},
    {8, 0x30, 1, WCX_LSDA_MALFORMED, "an action past the table"},
    {16, 0x3f, 1, WCX_LSDA_MALFORMED, "a next past the action table"},
    {16, 0x70, 1, WCX_LSDA_MALFORMED, "a next before the action table"},
    {15, 0x3f, 1, WCX_LSDA_MALFORMED, "a type index past the type table"},
    {2, 0x7f, 0, WCX_LSDA_MALFORMED, "a type table base past the end"},
    {4, 0x40, 0, WCX_LSDA_MALFORMED, "call sites past the end"},
    {3, 0x03, 0, WCX_LSDA_MALFORMED, "a call-site encoding other than wasm's uleb128"},
    {1, 0x10, 0, WCX_LSDA_MALFORMED, "pc-relative type entries"},
    {13, 0x7f, 1, WCX_LSDA_FILTER, "an exception specification (a negative type index)"},
    {6, 0x00, 0, WCX_LSDA_NO_HANDLER, "no action: cleanups only"},
};

static void corrupted(void)
{
    for (size_t i = 0; i < sizeof corruptions / sizeof corruptions[0]; i++) {
        const struct corruption *c = &corruptions[i];
        uint8_t t[sizeof two_pads];
        memcpy(t, two_pads, sizeof t);
        t[c->offset] = c->byte;
        int32_t selector;
        uint32_t address;
        struct takes nothing = {{0x777}, 0};
        enum wcx_lsda_result r = find(t, sizeof t, c->pad, &nothing, &selector, &address);
        CHECK(r == c->expected, "%s: %d, want %d", c->what, r, c->expected);
    }
    int32_t selector;
    uint32_t address;
    struct takes nothing = {{0x777}, 0};
    static const uint8_t long_leb[] = {0xff, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f};
    CHECK(find(long_leb, sizeof long_leb, 0, &nothing, &selector, &address) == WCX_LSDA_MALFORMED,
          "a LEB128 number longer than 32 bits");
    /* a cleanup (type 0) in a chain is passed over */
    uint8_t t[sizeof two_pads];
    memcpy(t, two_pads, sizeof t);
    t[15] = 0x00;
    struct takes any = {{0}, 0};
    CHECK(find(t, sizeof t, 1, &any, &selector, &address) == WCX_LSDA_HANDLER && selector == 3 &&
              any.asked == 1,
          "cleanup then catch (...): selector %d, asked %d", selector, any.asked);
}

/* type_info objects as clang lays them out */
#define FUNDAMENTAL(name) {WCX_VTABLE_POINT(wcx_fundamental_type_info_vtable), name}
static const struct wcx_type_info int_type = FUNDAMENTAL("i"), int_again = FUNDAMENTAL("i"),
                                  long_type = FUNDAMENTAL("l"), void_type = FUNDAMENTAL("v");
static const struct wcx_type_info base = {WCX_VTABLE_POINT(wcx_class_type_info_vtable), "4Base"};
static const struct wcx_si_class_type_info derived = {
    {WCX_VTABLE_POINT(wcx_si_class_type_info_vtable), "7Derived"}, &base};
static const struct wcx_si_class_type_info grandchild = {
    {WCX_VTABLE_POINT(wcx_si_class_type_info_vtable), "10Grandchild"}, &derived.info};
/* a class with several or virtual bases: caught by its exact type only */
static const struct wcx_type_info multiple = {WCX_VTABLE_POINT(wcx_vmi_class_type_info_vtable),
                                              "8Multiple"};
static const struct wcx_type_info local_a = {WCX_VTABLE_POINT(wcx_class_type_info_vtable), "*N1L"},
                                  local_b = {WCX_VTABLE_POINT(wcx_class_type_info_vtable), "*N1L"};
static const struct wcx_type_info unknown = {&unknown, "7Unknown"};

#define POINTER(name, flags, pointee) \
    {{WCX_VTABLE_POINT(wcx_pointer_type_info_vtable), name}, flags, pointee}
static const struct wcx_pointer_type_info
    derived_ptr = POINTER("P7Derived", 0, &derived.info),
    const_derived_ptr = POINTER("PK7Derived", WCX_QUALIFIER_CONST, &derived.info),
    base_ptr = POINTER("P4Base", 0, &base),
    const_base_ptr = POINTER("PK4Base", WCX_QUALIFIER_CONST, &base),
    int_ptr = POINTER("Pi", 0, &int_type), const_int_ptr = POINTER("PKi", WCX_QUALIFIER_CONST, &int_type),
    long_ptr = POINTER("Pl", 0, &long_type), void_ptr = POINTER("Pv", 0, &void_type),
    const_void_ptr = POINTER("PKv", WCX_QUALIFIER_CONST, &void_type);

static int catches(const void *catch_type, const void *thrown, void *object, void **adjusted)
{
    *adjusted = NULL;
    return wcx_type_catches(catch_type, thrown, object, adjusted);
}

static void type_matching(void)
{
    int object = 5;
    void *adjusted;
    CHECK(catches(NULL, &derived, &object, &adjusted) && adjusted == &object, "catch (...)");
    CHECK(catches(&int_type, &int_type, &object, &adjusted) && adjusted == &object, "int, int");
    CHECK(catches(&int_type, &int_again, &object, &adjusted), "int by its name");
    CHECK(!catches(&long_type, &int_type, &object, &adjusted), "long does not take int");
    CHECK(!catches(&local_a, &local_b, &object, &adjusted), "'*' names compare by address");
    CHECK(catches(&base, &derived, &object, &adjusted) && adjusted == &object, "Base takes Derived");
    CHECK(catches(&base, &grandchild, &object, &adjusted), "Base takes its grandchild");
    CHECK(catches(&derived, &grandchild, &object, &adjusted), "Derived takes its child");
    CHECK(!catches(&derived, &base, &object, &adjusted), "Derived does not take Base");
    CHECK(!catches(&base, &multiple, &object, &adjusted), "no bases through vmi classes");
    CHECK(catches(&multiple, &multiple, &object, &adjusted), "vmi by its exact type");
    CHECK(catches(&unknown, &unknown, &object, &adjusted) && !catches(&base, &unknown, &object, &adjusted),
          "an unknown kind: its exact type only");
    CHECK(wcx_type_kind(&unknown) == WCX_KIND_UNKNOWN && wcx_type_kind(&derived.info) == WCX_KIND_SI_CLASS,
          "kinds");

    /* pointers: the handler gets the pointer's value */
    int pointee = 7;
    void *thrown_pointer = &pointee;
    CHECK(catches(&int_ptr, &int_ptr, &thrown_pointer, &adjusted) && adjusted == &pointee, "int*");
    CHECK(catches(&const_int_ptr, &int_ptr, &thrown_pointer, &adjusted) && adjusted == &pointee,
          "const int* takes int*");
    CHECK(!catches(&int_ptr, &const_int_ptr, &thrown_pointer, &adjusted), "int* does not take const int*");
    CHECK(!catches(&long_ptr, &int_ptr, &thrown_pointer, &adjusted), "long* does not take int*");
    CHECK(catches(&base_ptr, &derived_ptr, &thrown_pointer, &adjusted) && adjusted == &pointee,
          "Base* takes Derived*");
    CHECK(catches(&const_base_ptr, &derived_ptr, &thrown_pointer, &adjusted), "const Base* takes Derived*");
    CHECK(!catches(&base_ptr, &const_derived_ptr, &thrown_pointer, &adjusted),
          "Base* does not take const Derived*");
    CHECK(!catches(&derived_ptr, &base_ptr, &thrown_pointer, &adjusted), "Derived* does not take Base*");
    CHECK(catches(&void_ptr, &derived_ptr, &thrown_pointer, &adjusted) && adjusted == &pointee,
          "void* takes Derived*");
    CHECK(!catches(&void_ptr, &const_int_ptr, &thrown_pointer, &adjusted), "void* does not take const int*");
    CHECK(catches(&const_void_ptr, &const_int_ptr, &thrown_pointer, &adjusted), "const void* takes const int*");
    CHECK(!catches(&int_type, &int_ptr, &thrown_pointer, &adjusted), "int does not take int*");
    CHECK(!catches(&base, &derived_ptr, &thrown_pointer, &adjusted), "Base does not take Derived*");
}

int main(void)
{
    clauses_in_order();
    one_pad_four_clauses();
    cut_short();
    corrupted();
    type_matching();
    printf("%d checks, %d failed\n", checks, failures);
    return failures != 0;
}
