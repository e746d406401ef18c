/* type_info.c -- the vtables of the ABI's type_info classes (so clang's
 * typeinfo objects link, and so their kind can be told) and the matching of
 * a thrown type against a catch clause's (type_info.h). */
#include "type_info.h"

#include <stdlib.h>
#include <string.h>

/* A vtable slot nothing should call: type_info objects are never destroyed. */
static void never_called(void)
{
    abort();
}

#define WCX_VTABLE(c_name, mangled)                                                          \
    const struct wcx_vtable c_name WCX_ITANIUM_NAME(mangled) = {0, NULL,                     \
                                                                 {never_called, never_called}}

WCX_VTABLE(wcx_class_type_info_vtable, "_ZTVN10__cxxabiv117__class_type_infoE");
WCX_VTABLE(wcx_si_class_type_info_vtable, "_ZTVN10__cxxabiv120__si_class_type_infoE");
WCX_VTABLE(wcx_vmi_class_type_info_vtable, "_ZTVN10__cxxabiv121__vmi_class_type_infoE");
WCX_VTABLE(wcx_pointer_type_info_vtable, "_ZTVN10__cxxabiv119__pointer_type_infoE");
WCX_VTABLE(wcx_fundamental_type_info_vtable, "_ZTVN10__cxxabiv123__fundamental_type_infoE");
/* kinds matched by exact type only, defined so that programs throwing them link */
WCX_VTABLE(wcx_enum_type_info_vtable, "_ZTVN10__cxxabiv116__enum_type_infoE");
WCX_VTABLE(wcx_array_type_info_vtable, "_ZTVN10__cxxabiv117__array_type_infoE");
WCX_VTABLE(wcx_function_type_info_vtable, "_ZTVN10__cxxabiv120__function_type_infoE");
WCX_VTABLE(wcx_member_pointer_type_info_vtable,
           "_ZTVN10__cxxabiv129__pointer_to_member_type_infoE");

/* Deeper chains of single inheritance are not followed (a bound, not a
 * limit any real hierarchy meets). */
#define MAX_BASE_DEPTH 256

enum wcx_type_kind wcx_type_kind(const struct wcx_type_info *type)
{
    const void *v = type->vtable;
    if (v == WCX_VTABLE_POINT(wcx_class_type_info_vtable))
        return WCX_KIND_CLASS;
    if (v == WCX_VTABLE_POINT(wcx_si_class_type_info_vtable))
        return WCX_KIND_SI_CLASS;
    if (v == WCX_VTABLE_POINT(wcx_vmi_class_type_info_vtable))
        return WCX_KIND_VMI_CLASS;
    if (v == WCX_VTABLE_POINT(wcx_pointer_type_info_vtable))
        return WCX_KIND_POINTER;
    if (v == WCX_VTABLE_POINT(wcx_fundamental_type_info_vtable))
        return WCX_KIND_FUNDAMENTAL;
    if (v == WCX_VTABLE_POINT(wcx_enum_type_info_vtable) ||
        v == WCX_VTABLE_POINT(wcx_array_type_info_vtable) ||
        v == WCX_VTABLE_POINT(wcx_function_type_info_vtable) ||
        v == WCX_VTABLE_POINT(wcx_member_pointer_type_info_vtable))
        return WCX_KIND_OTHER;
    return WCX_KIND_UNKNOWN;
}

/* One type, even when two objects describe it (a name that starts with '*'
 * is the ABI's mark of a type compared by address only). */
static int same_type(const struct wcx_type_info *a, const struct wcx_type_info *b)
{
    if (a == b)
        return 1;
    return a->name && b->name && a->name[0] != '*' && strcmp(a->name, b->name) == 0;
}

static int is_class(enum wcx_type_kind kind)
{
    return kind == WCX_KIND_CLASS || kind == WCX_KIND_SI_CLASS || kind == WCX_KIND_VMI_CLASS;
}

/* Whether `base` is `derived` or one of its bases through single public
 * inheritance (every such base sits at offset 0). */
static int is_base_at_zero(const struct wcx_type_info *base, const struct wcx_type_info *derived)
{
    const struct wcx_type_info *t = derived;
    for (int depth = 0; t && depth < MAX_BASE_DEPTH; depth++) {
        if (same_type(base, t))
            return 1;
        if (wcx_type_kind(t) != WCX_KIND_SI_CLASS)
            return 0;
        t = ((const struct wcx_si_class_type_info *)t)->base;
    }
    return 0;
}

static int pointer_catches(const struct wcx_pointer_type_info *handler,
                           const struct wcx_pointer_type_info *thrown)
{
    unsigned qualifiers = WCX_QUALIFIER_CONST | WCX_QUALIFIER_VOLATILE | WCX_QUALIFIER_RESTRICT;
    /* a qualification conversion only adds qualifiers */
    if ((thrown->flags & qualifiers) & ~(handler->flags & qualifiers))
        return 0;
    const struct wcx_type_info *want = handler->pointee, *have = thrown->pointee;
    if (!want || !have)
        return 0;
    if (same_type(want, have))
        return 1;
    enum wcx_type_kind want_kind = wcx_type_kind(want), have_kind = wcx_type_kind(have);
    /* any object pointer converts to void*, a function pointer does not */
    if (want_kind == WCX_KIND_FUNDAMENTAL && want->name && strcmp(want->name, "v") == 0)
        return have->vtable != WCX_VTABLE_POINT(wcx_function_type_info_vtable);
    return is_class(want_kind) && is_class(have_kind) && is_base_at_zero(want, have);
}

int wcx_type_catches(const struct wcx_type_info *catch_type, const struct wcx_type_info *thrown,
                     void *object, void **adjusted)
{
    if (!thrown)
        return 0;
    enum wcx_type_kind thrown_kind = wcx_type_kind(thrown);
    /* a pointer's handler gets its value, anything else the object */
    void *value = thrown_kind == WCX_KIND_POINTER ? *(void **)object : object;
    if (!catch_type) {
        *adjusted = object;
        return 1;
    }
    enum wcx_type_kind catch_kind = wcx_type_kind(catch_type);
    if (same_type(catch_type, thrown) ||
        (is_class(catch_kind) && is_class(thrown_kind) && is_base_at_zero(catch_type, thrown)) ||
        (catch_kind == WCX_KIND_POINTER && thrown_kind == WCX_KIND_POINTER &&
         pointer_catches((const struct wcx_pointer_type_info *)catch_type,
                         (const struct wcx_pointer_type_info *)thrown))) {
        *adjusted = value;
        return 1;
    }
    return 0;
}
