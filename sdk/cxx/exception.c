/* exception.c -- the C++ ABI's exception functions for clang's
 * -fwasm-exceptions code: allocate, throw (a wasm `throw` of the
 * __cpp_exception tag whose payload is the exception's header), the
 * personality that clang's landing pads call through
 * _Unwind_CallPersonality with __wasm_lpad_context, and catch/rethrow
 * bookkeeping.
 *
 * wasm has no two-phase unwinding: the VM unwinds to every try's catch,
 * where the compiler's code asks the personality whether one of its clauses
 * takes the exception (a selector) and otherwise runs the cleanups and
 * rethrows.  A guest is single-threaded, so the runtime's state is global.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsda.h"
#include "type_info.h"

#ifndef __wasm__
#error "exception.c throws with wasm's exception-handling instructions: build it for wasm only"
#endif

/* Itanium's _Unwind_Reason_Code values that the personality returns
 * (clang's landing pads read the selector instead). */
enum { URC_HANDLER_FOUND = 6, URC_CONTINUE_UNWIND = 8 };

/* What a catch site passes to the personality and reads back (its layout is
 * fixed by clang's code, which writes and reads it by offset). */
struct wasm_landing_pad_context {
    uintptr_t landing_pad; /* in: the landing pad's index in the LSDA */
    uintptr_t lsda;        /* in: the function's LSDA */
    uintptr_t selector;    /* out: the taking clause's type index, or 0 */
};
struct wasm_landing_pad_context __wasm_lpad_context;

#define EXCEPTION_MAGIC 0x43585831u /* "CXX1" */

/* The header before every thrown object; the exception's wasm payload is
 * its address.  Its size is a multiple of 16, so the object after it has
 * the alignment of any type. */
struct cxx_exception {
    uint32_t magic;
    int32_t handlers;                    /* catch blocks holding it, negative while rethrown */
    struct cxx_exception *next_caught;   /* the caught exceptions, innermost first */
    const struct wcx_type_info *type;
    void *(*destroy)(void *);            /* wasm's destructors return `this` */
    void *adjusted;                      /* what __cxa_begin_catch returns */
} __attribute__((aligned(16)));

static struct cxx_exception *caught_exceptions;
static unsigned uncaught_exceptions;

__attribute__((noreturn)) void wcx_terminate(void) WCX_ITANIUM_NAME("_ZSt9terminatev");

__attribute__((noreturn)) static void fatal(const char *why)
{
    fprintf(stderr, "C++ runtime: %s\n", why);
    wcx_terminate();
}

/* std::terminate: the program cannot go on (an exception a noexcept
 * function let out, or this runtime's own refusal). */
void wcx_terminate(void)
{
    fputs("terminate called\n", stderr);
    abort();
}

void __cxa_pure_virtual(void)
{
    fatal("pure virtual function called");
}

void __cxa_deleted_virtual(void)
{
    fatal("deleted virtual function called");
}

static struct cxx_exception *header_of_object(void *object)
{
    return (struct cxx_exception *)object - 1;
}

static void *object_of(struct cxx_exception *header)
{
    return header + 1;
}

/* The payload of a caught __cpp_exception, checked to be one of ours. */
static struct cxx_exception *header_of_payload(void *payload)
{
    struct cxx_exception *header = payload;
    if (!header || ((uintptr_t)header & 15) || header->magic != EXCEPTION_MAGIC)
        fatal("caught an exception that is not a C++ exception of this runtime");
    return header;
}

void *__cxa_allocate_exception(size_t size)
{
    if (size > SIZE_MAX - sizeof(struct cxx_exception) - 15)
        fatal("exception object too large");
    size_t total = (sizeof(struct cxx_exception) + size + 15) & ~(size_t)15;
    struct cxx_exception *header = aligned_alloc(16, total);
    if (!header)
        fatal("out of memory allocating an exception");
    memset(header, 0, total);
    header->magic = EXCEPTION_MAGIC;
    return object_of(header);
}

void __cxa_free_exception(void *object)
{
    struct cxx_exception *header = header_of_object(object);
    header->magic = 0;
    free(header);
}

static void destroy_exception(struct cxx_exception *header)
{
    if (header->destroy)
        header->destroy(object_of(header));
    __cxa_free_exception(object_of(header));
}

__attribute__((noreturn)) static void raise(struct cxx_exception *header)
{
    __builtin_wasm_throw(0, header); /* tag 0: __cpp_exception */
}

void __cxa_throw(void *object, const struct wcx_type_info *type, void *(*destroy)(void *))
{
    struct cxx_exception *header = header_of_object(object);
    header->type = type;
    header->destroy = destroy;
    header->handlers = 0;
    uncaught_exceptions++;
    raise(header);
}

/* clang's catch sites call this with the caught payload, having put their
 * landing pad's index and LSDA into __wasm_lpad_context. */
struct catch_test {
    struct cxx_exception *header;
};

static int clause_takes(void *context, uint32_t type_address)
{
    struct cxx_exception *header = ((struct catch_test *)context)->header;
    const struct wcx_type_info *catch_type = (const struct wcx_type_info *)(uintptr_t)type_address;
    return wcx_type_catches(catch_type, header->type, object_of(header), &header->adjusted);
}

int _Unwind_CallPersonality(void *payload)
{
    struct wasm_landing_pad_context *context = &__wasm_lpad_context;
    context->selector = 0;
    struct catch_test test = {header_of_payload(payload)};
    const uint8_t *lsda = (const uint8_t *)context->lsda;
    /* in 64 bits: a memory of 65,536 pages holds 2^32 bytes, which a
     * wasm32 size_t wraps to 0 (tests/cxx/catch_at_4gib.cpp) */
    uint64_t memory_bytes = (uint64_t)__builtin_wasm_memory_size(0) * 65536;
    if (!lsda || context->lsda >= memory_bytes)
        fatal("landing pad without exception table");
    int32_t selector = 0;
    uint32_t type_address = 0;
    /* up to the memory's end, and at most PTRDIFF_MAX, so that the reader's
     * pointer differences stay within ptrdiff_t on wasm32 (2 GiB: no table
     * is that long) */
    uint64_t table_bytes = memory_bytes - context->lsda;
    if (table_bytes > PTRDIFF_MAX)
        table_bytes = PTRDIFF_MAX;
    switch (wcx_lsda_find_handler(lsda, (size_t)table_bytes, (uint32_t)context->landing_pad, clause_takes,
                                  &test, &selector, &type_address)) {
    case WCX_LSDA_HANDLER:
        context->selector = (uintptr_t)selector;
        return URC_HANDLER_FOUND;
    case WCX_LSDA_NO_HANDLER:
        return URC_CONTINUE_UNWIND;
    case WCX_LSDA_FILTER:
        fatal("dynamic exception specifications (throw(T)) are not supported");
    case WCX_LSDA_MALFORMED:
        break;
    }
    fatal("malformed exception table");
}

/* What a catch (T x) with a copy constructor copies from, before
 * __cxa_begin_catch. */
void *__cxa_get_exception_ptr(void *payload)
{
    return header_of_payload(payload)->adjusted;
}

void *__cxa_begin_catch(void *payload)
{
    struct cxx_exception *header = header_of_payload(payload);
    if (header->handlers < 0) {
        /* rethrown and caught again before its old handler ended */
        header->handlers = -header->handlers + 1;
    } else {
        if (header->handlers == 0) {
            header->next_caught = caught_exceptions;
            caught_exceptions = header;
        }
        header->handlers++;
    }
    if (uncaught_exceptions > 0)
        uncaught_exceptions--;
    return header->adjusted;
}

void __cxa_end_catch(void)
{
    struct cxx_exception *header = caught_exceptions;
    if (!header)
        return; /* a catch (...) of something not thrown by C++: nothing held */
    if (header->handlers < 0) {
        /* rethrown: still in flight, so never destroyed here */
        if (++header->handlers == 0)
            caught_exceptions = header->next_caught;
        return;
    }
    if (--header->handlers == 0) {
        caught_exceptions = header->next_caught;
        destroy_exception(header);
    }
}

void __cxa_rethrow(void)
{
    struct cxx_exception *header = caught_exceptions;
    if (!header)
        fatal("throw; with no exception being handled");
    header->handlers = -header->handlers;
    uncaught_exceptions++;
    raise(header);
}

unsigned int __cxa_uncaught_exceptions(void)
{
    return uncaught_exceptions;
}
