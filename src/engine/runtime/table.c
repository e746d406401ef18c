/* table.c -- funcref and externref tables, and the function-type registry.
 *
 * Tables are plain heap arrays: generated code bounds-checks every access.
 * Growth is capped so that a guest cannot make the host allocate without
 * bound (table.grow returns -1 past the cap, as past the declared maximum).
 *
 * Function types are registered process-wide so that call_indirect compares
 * one integer even across modules: the same signature always gets the same
 * id.  Registration happens once per compiled code unit, under a lock.
 */
#include "engine/runtime/runtime.h"

#include <pthread.h>
#include <stdarg.h>

#include "util/grow.h"

#define TABLE_MAX_ELEMENTS 10000000u

#define DEFINE_TABLE(type, elem_t, elemtype_code)                                        \
    void wasm_rt_allocate_##type##_table(wasm_rt_##type##_table_t *table,               \
                                          uint32_t elements, uint32_t max_elements) {   \
        if (elements > TABLE_MAX_ELEMENTS)                                              \
            wasm_rt_trap(WASM_RT_TRAP_MEMORY_LIMIT);                                    \
        table->size = elements;                                                         \
        table->max_size = max_elements;                                                 \
        table->elemtype = elemtype_code;                                                \
        table->data = NULL;                                                             \
        if (elements) {                                                                 \
            table->data = calloc(elements, sizeof(elem_t));                             \
            if (!table->data)                                                           \
                wasm_rt_trap(WASM_RT_TRAP_MEMORY_LIMIT);                                \
        }                                                                               \
    }                                                                                   \
    void wasm_rt_free_##type##_table(wasm_rt_##type##_table_t *table) {                 \
        free(table->data);                                                              \
        table->data = NULL;                                                             \
        table->size = 0;                                                                \
    }                                                                                   \
    uint32_t wasm_rt_grow_##type##_table(wasm_rt_##type##_table_t *table,               \
                                         uint32_t delta, elem_t init) {                 \
        uint32_t old = table->size;                                                     \
        uint64_t want = (uint64_t)old + delta;                                          \
        if (want > table->max_size || want > TABLE_MAX_ELEMENTS)                        \
            return UINT32_MAX;                                                          \
        if (delta == 0)                                                                 \
            return old;                                                                 \
        elem_t *data = realloc(table->data, (size_t)want * sizeof(elem_t));             \
        if (!data)                                                                      \
            return UINT32_MAX;                                                          \
        for (uint64_t i = old; i < want; i++)                                           \
            data[i] = init;                                                             \
        table->data = data;                                                             \
        table->size = (uint32_t)want;                                                   \
        return old;                                                                     \
    }

DEFINE_TABLE(funcref, wasm_rt_funcref_t, 0x70)
DEFINE_TABLE(externref, wasm_rt_externref_t, 0x6f)

/* ---- function types ---------------------------------------------------- */

typedef struct func_type {
    uint32_t nparams, nresults;
    uint8_t *types; /* params then results, wasm_rt_type_t values */
} func_type;

static pthread_mutex_t types_lock = PTHREAD_MUTEX_INITIALIZER;
static func_type *types;
static uint32_t ntypes;
static size_t types_cap;

static uint32_t register_type(uint32_t nparams, uint32_t nresults, const uint8_t *sig)
{
    uint32_t n = nparams + nresults;
    pthread_mutex_lock(&types_lock);
    for (uint32_t i = 0; i < ntypes; i++) {
        if (types[i].nparams == nparams && types[i].nresults == nresults &&
            memcmp(types[i].types, sig, n) == 0) {
            pthread_mutex_unlock(&types_lock);
            return i + 1; /* 0 is never a valid id: null funcrefs carry it */
        }
    }
    if (!wc_grow((void **)&types, &types_cap, (size_t)ntypes + 1, sizeof *types))
        abort(); /* registry growth is tiny; failing here means the host is out of memory */
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy)
        abort();
    memcpy(copy, sig, n);
    types[ntypes] = (func_type){nparams, nresults, copy};
    uint32_t id = ++ntypes;
    pthread_mutex_unlock(&types_lock);
    return id;
}

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...)
{
    /* as many as the decoder's limits allow (max_type_arity each) */
    uint64_t n = (uint64_t)params + results;
    uint8_t *sig = malloc(n ? (size_t)n : 1);
    if (!sig)
        abort(); /* as register_type: the host is out of memory */
    va_list ap;
    va_start(ap, results);
    for (uint64_t i = 0; i < n; i++)
        sig[i] = (uint8_t)va_arg(ap, int);
    va_end(ap);
    uint32_t id = register_type(params, results, sig);
    free(sig);
    return id;
}

uint32_t wc_rt_register_func_type_sig(uint32_t params, uint32_t results, const uint8_t *sig)
{
    return register_type(params, results, sig);
}

static int letter_type(char c)
{
    switch (c) {
    case 'i': return WASM_RT_I32;
    case 'I': return WASM_RT_I64;
    case 'f': return WASM_RT_F32;
    case 'F': return WASM_RT_F64;
    case 'r': return WASM_RT_FUNCREF;
    case 'x': return WASM_RT_EXTERNREF;
    case 'v': return WASM_RT_V128;
    default: return -1;
    }
}

uint32_t wc_rt_func_type_id(const char *params, const char *results)
{
    uint8_t sig[512];
    size_t np = strlen(params), nr = strlen(results);
    if (np + nr > sizeof sig)
        return 0;
    for (size_t i = 0; i < np; i++)
        sig[i] = (uint8_t)letter_type(params[i]);
    for (size_t i = 0; i < nr; i++)
        sig[np + i] = (uint8_t)letter_type(results[i]);
    return register_type((uint32_t)np, (uint32_t)nr, sig);
}
