/* fundamental_types.c -- the type_info objects of the built-in types, which
 * the C++ runtime (not the compiler) provides: T, T* and const T* for each,
 * so that `throw 42;` or `catch (const char *)` link.  wasm only: their
 * mangled names are the platform runtime's own natively. */
#include "type_info.h"

#ifndef __wasm__
#error "fundamental_types.c defines the C++ runtime's own symbols: build it for wasm only"
#endif

/* _ZTI<code> (T), _ZTIP<code> (T*), _ZTIPK<code> (const T*); the names are
 * the mangled type without _Z, as clang's own typeinfo objects have them. */
#define WCX_FUNDAMENTAL(id, code)                                                                \
    const struct wcx_type_info wcx_type_##id WCX_ITANIUM_NAME("_ZTI" code) = {                  \
        WCX_VTABLE_POINT(wcx_fundamental_type_info_vtable), code};                              \
    const struct wcx_pointer_type_info wcx_pointer_##id WCX_ITANIUM_NAME("_ZTIP" code) = {      \
        {WCX_VTABLE_POINT(wcx_pointer_type_info_vtable), "P" code}, 0, &wcx_type_##id};         \
    const struct wcx_pointer_type_info wcx_const_pointer_##id WCX_ITANIUM_NAME("_ZTIPK" code) = \
        {{WCX_VTABLE_POINT(wcx_pointer_type_info_vtable), "PK" code},                           \
         WCX_QUALIFIER_CONST,                                                                    \
         &wcx_type_##id}

WCX_FUNDAMENTAL(void, "v");
WCX_FUNDAMENTAL(bool, "b");
WCX_FUNDAMENTAL(char, "c");
WCX_FUNDAMENTAL(signed_char, "a");
WCX_FUNDAMENTAL(unsigned_char, "h");
WCX_FUNDAMENTAL(short, "s");
WCX_FUNDAMENTAL(unsigned_short, "t");
WCX_FUNDAMENTAL(int, "i");
WCX_FUNDAMENTAL(unsigned_int, "j");
WCX_FUNDAMENTAL(long, "l");
WCX_FUNDAMENTAL(unsigned_long, "m");
WCX_FUNDAMENTAL(long_long, "x");
WCX_FUNDAMENTAL(unsigned_long_long, "y");
WCX_FUNDAMENTAL(int128, "n");
WCX_FUNDAMENTAL(unsigned_int128, "o");
WCX_FUNDAMENTAL(float, "f");
WCX_FUNDAMENTAL(double, "d");
WCX_FUNDAMENTAL(long_double, "e");
WCX_FUNDAMENTAL(wchar, "w");
WCX_FUNDAMENTAL(char8, "Du");
WCX_FUNDAMENTAL(char16, "Ds");
WCX_FUNDAMENTAL(char32, "Di");
WCX_FUNDAMENTAL(nullptr, "Dn");
