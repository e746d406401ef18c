/* type_info.h -- the Itanium C++ ABI's type_info objects as clang lays
 * them out (a vtable pointer, then the mangled name, then what the kind
 * adds), and whether a catch clause takes a thrown type.
 *
 * The kind of a type_info is told by its vtable: this runtime defines the
 * vtables of __cxxabiv1's type_info classes (type_info.c), which clang's
 * typeinfo objects point into.  On wasm they carry their mangled names; in
 * a native build (the unit tests) plain C names, beside the platform's own
 * C++ runtime.
 */
#ifndef WASMCAP_CXX_TYPE_INFO_H
#define WASMCAP_CXX_TYPE_INFO_H

#ifdef __wasm__
#define WCX_ITANIUM_NAME(mangled) __asm__(mangled)
#else
#define WCX_ITANIUM_NAME(mangled)
#endif

struct wcx_type_info {
    const void *vtable; /* points into one of wcx_vtables' entries */
    const char *name;   /* the mangled type name without _Z, e.g. "7Derived" */
};

/* a class with one public, non-virtual base at offset 0 */
struct wcx_si_class_type_info {
    struct wcx_type_info info;
    const struct wcx_type_info *base;
};

/* T*: the pointee's qualifiers and the pointee */
struct wcx_pointer_type_info {
    struct wcx_type_info info;
    unsigned int flags; /* WCX_QUALIFIER_* */
    const struct wcx_type_info *pointee;
};

enum {
    WCX_QUALIFIER_CONST = 0x1,
    WCX_QUALIFIER_VOLATILE = 0x2,
    WCX_QUALIFIER_RESTRICT = 0x4,
};

/* What a vtable says a type_info is. */
enum wcx_type_kind {
    WCX_KIND_FUNDAMENTAL,
    WCX_KIND_CLASS,     /* no bases */
    WCX_KIND_SI_CLASS,  /* one public non-virtual base at offset 0 */
    WCX_KIND_VMI_CLASS, /* any other bases: caught by its exact type only */
    WCX_KIND_POINTER,
    WCX_KIND_OTHER,     /* enums, arrays, functions, pointers to members */
    WCX_KIND_UNKNOWN,   /* a vtable not of this runtime */
};

/* An ABI vtable: offset to top, the class's own type_info, then the
 * virtual functions (type_info's destructors: nothing here calls them). */
struct wcx_vtable {
    long offset_to_top;
    const void *type;
    void (*virtual_functions[2])(void);
};

extern const struct wcx_vtable wcx_class_type_info_vtable
    WCX_ITANIUM_NAME("_ZTVN10__cxxabiv117__class_type_infoE");
extern const struct wcx_vtable wcx_si_class_type_info_vtable
    WCX_ITANIUM_NAME("_ZTVN10__cxxabiv120__si_class_type_infoE");
extern const struct wcx_vtable wcx_vmi_class_type_info_vtable
    WCX_ITANIUM_NAME("_ZTVN10__cxxabiv121__vmi_class_type_infoE");
extern const struct wcx_vtable wcx_pointer_type_info_vtable
    WCX_ITANIUM_NAME("_ZTVN10__cxxabiv119__pointer_type_infoE");
extern const struct wcx_vtable wcx_fundamental_type_info_vtable
    WCX_ITANIUM_NAME("_ZTVN10__cxxabiv123__fundamental_type_infoE");

/* the address a type_info of vtable `v` points at (past offset and type) */
#define WCX_VTABLE_POINT(v) ((const void *)(v).virtual_functions)

enum wcx_type_kind wcx_type_kind(const struct wcx_type_info *type);

/* Whether a handler for `catch_type` (NULL: catch (...)) takes an exception
 * of type `thrown` whose object is at `object`; if so, *adjusted is what
 * __cxa_begin_catch hands the handler: the object (or its base, at offset
 * 0), or for a pointer the pointer's value.  Taken are: the same type; a
 * public base of a class reached through single inheritance; for pointers,
 * the same pointee or such a base of it or void, with the handler's
 * pointee at least as cv-qualified (one level of pointers only). */
int wcx_type_catches(const struct wcx_type_info *catch_type, const struct wcx_type_info *thrown,
                     void *object, void **adjusted);

#endif
