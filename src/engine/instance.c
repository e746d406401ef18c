/* instance.c -- linking, instantiation and calls.
 *
 * An instance is one allocation: the engine's bookkeeping, then the runtime
 * header, then the struct the emitter generated for the module.  Imports are
 * resolved into a slot array that the generated trampolines reach through
 * wc_rt_call_import / wc_rt_import_ptr with the instance as context.
 */
#include "engine/internal.h"
#include "util/shard.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(offsetof(struct wc_instance, w2c) ==
                   offsetof(struct wc_instance, hdr) + sizeof(wc_rt_hdr),
               "the runtime header must immediately precede the generated instance");
_Static_assert(sizeof(wc_value) == sizeof(wc_rt_value), "wc_value and wc_rt_value differ");

#define DEFAULT_MAX_PAGES 16384
#define DEFAULT_MAX_DEPTH 10000

/* ---- traps ------------------------------------------------------------- */

static const struct {
    wasm_rt_trap_t rt;
    wc_trap trap;
} trap_map[] = {
    {WASM_RT_TRAP_NONE, WC_TRAP_NONE},
    {WASM_RT_TRAP_OOB, WC_TRAP_OOB_MEMORY},
    {WASM_RT_TRAP_OOB_TABLE, WC_TRAP_OOB_TABLE},
    {WASM_RT_TRAP_INT_OVERFLOW, WC_TRAP_INT_OVERFLOW},
    {WASM_RT_TRAP_DIV_BY_ZERO, WC_TRAP_DIV_BY_ZERO},
    {WASM_RT_TRAP_INVALID_CONVERSION, WC_TRAP_INVALID_CONVERSION},
    {WASM_RT_TRAP_UNREACHABLE, WC_TRAP_UNREACHABLE},
    {WASM_RT_TRAP_CALL_INDIRECT, WC_TRAP_INDIRECT_CALL},
    {WASM_RT_TRAP_EXHAUSTION, WC_TRAP_STACK_EXHAUSTED},
    {WASM_RT_TRAP_MEMORY_LIMIT, WC_TRAP_MEMORY_LIMIT},
    {WASM_RT_TRAP_DEADLINE, WC_TRAP_DEADLINE},
    {WASM_RT_TRAP_INTERRUPTED, WC_TRAP_INTERRUPTED},
    {WASM_RT_TRAP_HOST, WC_TRAP_HOST},
    {WASM_RT_TRAP_EXIT, WC_TRAP_EXIT},
    {WASM_RT_TRAP_UNALIGNED_ATOMIC, WC_TRAP_UNALIGNED_ATOMIC},
    {WASM_RT_TRAP_UNSHARED_WAIT, WC_TRAP_UNSHARED_WAIT},
    {WASM_RT_TRAP_UNCAUGHT_EXCEPTION, WC_TRAP_UNCAUGHT_EXCEPTION},
};

static wc_trap from_rt_trap(wasm_rt_trap_t rt)
{
    for (size_t i = 0; i < sizeof trap_map / sizeof trap_map[0]; i++)
        if (trap_map[i].rt == rt)
            return trap_map[i].trap;
    return WC_TRAP_HOST;
}

static wasm_rt_trap_t to_rt_trap(wc_trap trap)
{
    for (size_t i = 0; i < sizeof trap_map / sizeof trap_map[0]; i++)
        if (trap_map[i].trap == trap)
            return trap_map[i].rt;
    return WASM_RT_TRAP_HOST;
}

const char *wc_trap_name(wc_trap trap)
{
    switch (trap) {
    case WC_TRAP_NONE: return "no trap";
    case WC_TRAP_UNREACHABLE: return "unreachable";
    case WC_TRAP_OOB_MEMORY: return "out of bounds memory access";
    case WC_TRAP_OOB_TABLE: return "out of bounds table access";
    case WC_TRAP_INT_OVERFLOW: return "integer overflow";
    case WC_TRAP_DIV_BY_ZERO: return "integer divide by zero";
    case WC_TRAP_INVALID_CONVERSION: return "invalid conversion to integer";
    case WC_TRAP_INDIRECT_CALL: return "indirect call type mismatch";
    case WC_TRAP_STACK_EXHAUSTED: return "call stack exhausted";
    case WC_TRAP_DEADLINE: return "deadline exceeded";
    case WC_TRAP_INTERRUPTED: return "interrupted";
    case WC_TRAP_MEMORY_LIMIT: return "memory limit exceeded";
    case WC_TRAP_HOST: return "host function failed";
    case WC_TRAP_EXIT: return "exit";
    case WC_TRAP_UNALIGNED_ATOMIC: return "unaligned atomic";
    case WC_TRAP_UNSHARED_WAIT: return "expected shared memory";
    case WC_TRAP_UNCAUGHT_EXCEPTION: return "uncaught exception";
    }
    return "unknown trap";
}

/* ---- the runtime's calls into the host --------------------------------- */

void wc_rt_call_import(void *ctx, uint32_t index, const wc_rt_value *args, wc_rt_value *results)
{
    wc_instance *inst = *(wc_instance **)ctx; /* see wc_instance.self */
    import_slot *slot = &inst->imports[index];
    wc_trap trap = slot->fn(inst, slot->env, (const wc_value *)args, (wc_value *)results);
    if (trap != WC_TRAP_NONE)
        wasm_rt_trap(to_rt_trap(trap));
}

void *wc_rt_import_ptr(void *ctx, uint32_t index)
{
    wc_instance *inst = *(wc_instance **)ctx;
    return inst->imports[index].ptr;
}

const uint8_t *wc_rt_module_bytes(void *ctx)
{
    wc_instance *inst = *(wc_instance **)ctx;
    return inst->module->bytes;
}

/* A wasm function of another instance, imported: call it in place. */
static wc_trap call_export_adapter(wc_instance *caller, void *env, const wc_value *args,
                                   wc_value *results)
{
    (void)caller;
    export_adapter *a = env;
    wc_instance *target = a->target;
    wc_call_enter_foreign(target);
    wc_rt_entry entry; /* an exception or a trap through it restores the target's depth */
    wc_rt_entry_push(&entry, &target->hdr.depth);
    target->glue->export_call[a->export_index](target->w2c, (const wc_rt_value *)args,
                                               (wc_rt_value *)results);
    wc_rt_entry_pop(&entry);
    return WC_TRAP_NONE;
}

/* ---- linking ----------------------------------------------------------- */

char wc_type_letter(uint8_t vt)
{
    switch (vt) {
    case WC_VT_I32: return 'i';
    case WC_VT_I64: return 'I';
    case WC_VT_F32: return 'f';
    case WC_VT_F64: return 'F';
    case WC_VT_FUNCREF: return 'r';
    case WC_VT_EXTERNREF: return 'x';
    case WC_VT_V128: return 'v';
    default: return '?';
    }
}

uint32_t wc_module_import_func_type(const wc_module_info *info, uint32_t func)
{
    for (uint32_t i = 0, f = 0; i < info->nimports; i++) {
        if (info->imports[i].kind != WC_EXTERN_FUNC)
            continue;
        if (f++ == func)
            return info->imports[i].desc.func_type;
    }
    return 0;
}

static void describe_functype(const wc_functype *ft, char *out, size_t size)
{
    size_t n = 0;
    n += (size_t)snprintf(out + n, size - n, "(");
    for (uint32_t i = 0; i < ft->nparams && n < size; i++)
        n += (size_t)snprintf(out + n, size - n, "%s%s", i ? " " : "", wc_valtype_name(ft->params[i]));
    if (n < size)
        n += (size_t)snprintf(out + n, size - n, ") -> (");
    for (uint32_t i = 0; i < ft->nresults && n < size; i++)
        n += (size_t)snprintf(out + n, size - n, "%s%s", i ? " " : "", wc_valtype_name(ft->results[i]));
    if (n < size)
        snprintf(out + n, size - n, ")");
}

static void describe_letters(const char *params, const char *results, char *out, size_t size)
{
    size_t n = 0;
    static const struct { char c; const char *name; } names[] = {
        {'i', "i32"}, {'I', "i64"}, {'f', "f32"}, {'F', "f64"}, {'r', "funcref"}, {'x', "externref"}};
    const char *lists[2] = {params, results};
    for (int l = 0; l < 2; l++) {
        n += (size_t)snprintf(out + n, n < size ? size - n : 0, "%s", l ? ") -> (" : "(");
        for (const char *p = lists[l]; *p && n < size; p++) {
            const char *name = "?";
            for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
                if (names[k].c == *p)
                    name = names[k].name;
            n += (size_t)snprintf(out + n, size - n, "%s%s", p != lists[l] ? " " : "", name);
        }
    }
    if (n < size)
        snprintf(out + n, size - n, ")");
}

static bool signature_matches(const wc_functype *ft, const char *params, const char *results)
{
    if (!params || !results || strlen(params) != ft->nparams || strlen(results) != ft->nresults)
        return false;
    for (uint32_t i = 0; i < ft->nparams; i++)
        if (params[i] != wc_type_letter(ft->params[i]))
            return false;
    for (uint32_t i = 0; i < ft->nresults; i++)
        if (results[i] != wc_type_letter(ft->results[i]))
            return false;
    return true;
}

static bool limits_match(const wc_limits *want, uint32_t size, uint32_t max, bool has_max)
{
    if (size < want->min)
        return false;
    if (want->has_max && (!has_max || max > want->max))
        return false;
    return true;
}

static int link_import(const wc_module_info *info, uint32_t index, const wc_import_binding *bindings,
                       size_t nbindings, import_slot *slot, wc_error *err)
{
    const wc_import *imp = &info->imports[index];
    const wc_import_binding *b = NULL;
    for (size_t i = 0; i < nbindings; i++) {
        if (strcmp(bindings[i].module, imp->module) == 0 && strcmp(bindings[i].name, imp->name) == 0) {
            b = &bindings[i];
            break;
        }
    }
    char want[256], have[256];
    if (!b) {
        if (imp->kind == WC_EXTERN_FUNC) {
            describe_functype(&info->types[imp->desc.func_type], want, sizeof want);
            return wc_error_set(err, WC_ELINK, "unknown import: %s.%s (func %s) is not provided by the host",
                                imp->module, imp->name, want);
        }
        return wc_error_set(err, WC_ELINK, "unknown import: %s.%s (%s) is not provided by the host",
                            imp->module, imp->name, wc_extern_kind_name(imp->kind));
    }
    if (b->ext.kind != imp->kind)
        return wc_error_set(err, WC_ELINK, "incompatible import type: %s.%s must be a %s, the host provides a %s",
                            imp->module, imp->name, wc_extern_kind_name(imp->kind),
                            wc_extern_kind_name(b->ext.kind));
    switch (imp->kind) {
    case WC_EXTERN_FUNC: {
        const wc_functype *ft = &info->types[imp->desc.func_type];
        if (!b->ext.u.func.fn || !signature_matches(ft, b->ext.u.func.params, b->ext.u.func.results)) {
            describe_functype(ft, want, sizeof want);
            describe_letters(b->ext.u.func.params ? b->ext.u.func.params : "",
                             b->ext.u.func.results ? b->ext.u.func.results : "", have, sizeof have);
            return wc_error_set(err, WC_ELINK,
                                "incompatible import type: %s.%s must be func %s, the host provides func %s",
                                imp->module, imp->name, want, have);
        }
        slot->fn = b->ext.u.func.fn;
        slot->env = b->ext.u.func.env;
        return 0;
    }
    case WC_EXTERN_MEMORY: {
        wasm_rt_memory_t *mem = (wasm_rt_memory_t *)b->ext.u.memory;
        if (!mem || imp->desc.memory.is64 != (mem->is64 != 0) ||
            imp->desc.memory.shared != (mem->shared != 0) ||
            !limits_match(&imp->desc.memory, mem->pages, mem->declared_max,
                          mem->declared_max != UINT32_MAX))
            return wc_error_set(err, WC_ELINK,
                                "incompatible import type: memory %s.%s has limits that do not fit",
                                imp->module, imp->name);
        slot->ptr = mem;
        return 0;
    }
    case WC_EXTERN_TABLE: {
        wasm_rt_funcref_table_t *table = (wasm_rt_funcref_table_t *)b->ext.u.table;
        if (!table || table->elemtype != imp->desc.table.elemtype ||
            !limits_match(&imp->desc.table.limits, table->size, table->max_size,
                          table->max_size != UINT32_MAX))
            return wc_error_set(err, WC_ELINK,
                                "incompatible import type: table %s.%s has a different type or limits",
                                imp->module, imp->name);
        slot->ptr = table;
        return 0;
    }
    case WC_EXTERN_GLOBAL:
        if (!b->ext.u.global.value || b->ext.u.global.valtype != imp->desc.global.valtype ||
            b->ext.u.global.mutable_ != imp->desc.global.mutable_)
            return wc_error_set(err, WC_ELINK,
                                "incompatible import type: global %s.%s must be %s%s",
                                imp->module, imp->name, imp->desc.global.mutable_ ? "mut " : "",
                                wc_valtype_name(imp->desc.global.valtype));
        slot->ptr = b->ext.u.global.value;
        return 0;
    case WC_EXTERN_TAG: {
        const wc_rt_tag *tag = (const wc_rt_tag *)b->ext.u.tag;
        const wc_functype *ft = &info->types[imp->desc.tag_type];
        char *params = malloc((size_t)ft->nparams + 1);
        if (!params)
            return wc_error_set(err, WC_ENOMEM, "out of memory while linking %s.%s", imp->module, imp->name);
        for (uint32_t n = 0; n < ft->nparams; n++)
            params[n] = wc_type_letter(ft->params[n]);
        params[ft->nparams] = 0;
        bool same = tag && tag->func_type == wc_rt_func_type_id(params, "");
        free(params);
        if (!same) {
            describe_functype(ft, want, sizeof want);
            return wc_error_set(err, WC_ELINK, "incompatible import type: tag %s.%s must be %s",
                                imp->module, imp->name, want);
        }
        slot->ptr = (void *)tag;
        return 0;
    }
    }
    return wc_error_set(err, WC_ELINK, "import %s.%s has an unknown kind", imp->module, imp->name);
}

/* Hosts usually link every instance of a module against bindings from the
 * same static tables (WASI's, wasmcap's), in the same order, with only the
 * env pointers differing.  After one full resolution the module remembers,
 * per import, the binding's index and the addresses of its strings; a later
 * instance whose binding at that index has the very same strings (so the
 * same name, module and signature already checked) takes it without any
 * string comparison.  Anything else goes through link_import. */
static bool link_with_hint(const link_hint *hint, uint32_t i, const wc_import_binding *bindings,
                           size_t nbindings, import_slot *slot)
{
    if (!hint || i >= hint->count)
        return false;
    const link_hint_entry *e = &hint->entries[i];
    if (e->index >= nbindings)
        return false;
    const wc_import_binding *b = &bindings[e->index];
    if (b->ext.kind != WC_EXTERN_FUNC || b->module != e->module || b->name != e->name ||
        b->ext.u.func.params != e->params || b->ext.u.func.results != e->results ||
        !b->ext.u.func.fn)
        return false;
    slot->fn = b->ext.u.func.fn;
    slot->env = b->ext.u.func.env;
    return true;
}

/* Records how every import was resolved, when all are functions. */
static void remember_links(wc_module *module, const wc_import_binding *bindings, size_t nbindings)
{
    const wc_module_info *info = module->info;
    if (atomic_load(&module->link_hint))
        return;
    link_hint *hint = malloc(sizeof *hint + info->nimports * sizeof hint->entries[0]);
    if (!hint)
        return;
    hint->count = info->nimports;
    for (uint32_t i = 0; i < info->nimports; i++) {
        const wc_import *imp = &info->imports[i];
        size_t k = 0;
        while (k < nbindings && !(strcmp(bindings[k].module, imp->module) == 0 &&
                                  strcmp(bindings[k].name, imp->name) == 0))
            k++;
        if (imp->kind != WC_EXTERN_FUNC || k == nbindings) {
            free(hint);
            return;
        }
        hint->entries[i] = (link_hint_entry){
            .index = (uint32_t)k,
            .module = bindings[k].module,
            .name = bindings[k].name,
            .params = bindings[k].ext.u.func.params,
            .results = bindings[k].ext.u.func.results,
        };
    }
    link_hint *expected = NULL;
    if (!atomic_compare_exchange_strong(&module->link_hint, &expected, hint))
        free(hint);
}

/* ---- calls ------------------------------------------------------------- */

typedef struct call_frame {
    wc_instance *inst;
    wc_rt_export_call_fn fn;
    const wc_value *args;
    wc_value *results;
} call_frame;

static void run_instantiate(void *arg)
{
    wc_instance *inst = arg;
    inst->glue->instantiate(inst->w2c, inst);
}

static void run_export(void *arg)
{
    call_frame *f = arg;
    f->fn(f->inst->w2c, (const wc_rt_value *)f->args, (wc_rt_value *)f->results);
}

/* Runs fn under the instance's limits and turns the outcome into a wc_trap. */
static wc_trap guarded(wc_instance *inst, void (*fn)(void *), void *arg)
{
    bool outermost = inst->running == 0;
    uint32_t saved_depth = inst->hdr.depth;
    bool per_call = !inst->config.timeout_whole_instance;
    if (outermost) {
        inst->hdr.depth = 0;
        inst->trap_message[0] = 0;
        if (per_call && *inst->interrupt == INTERRUPT_DEADLINE)
            *inst->interrupt = INTERRUPT_NONE;
    }
    inst->hdr.stack_limit = wc_rt_stack_limit();
    inst->running++;
    bool armed = outermost && per_call && inst->config.timeout_ms &&
                 wc_watchdog_arm(&inst->module->engine->watchdog, &inst->watch, inst->interrupt,
                                 INTERRUPT_DEADLINE, inst->config.timeout_ms) == 0;
    wc_call_scope scope = {0};
    if (outermost)
        wc_call_scope_open(&scope, inst, armed || inst->whole_armed ? inst->watch.deadline_ns : 0);
    wasm_rt_trap_t rt = wc_rt_run(fn, arg);
    wc_trap foreign = outermost ? wc_call_scope_close(&scope, rt != WASM_RT_TRAP_NONE) : WC_TRAP_NONE;
    if (armed)
        wc_watchdog_disarm(&inst->module->engine->watchdog, &inst->watch);
    inst->running--;
    inst->hdr.depth = saved_depth;

    wc_trap trap = from_rt_trap(rt);
    if (trap == WC_TRAP_UNREACHABLE && *inst->interrupt != INTERRUPT_NONE)
        trap = *inst->interrupt == INTERRUPT_DEADLINE ? WC_TRAP_DEADLINE : WC_TRAP_INTERRUPTED;
    else if (trap == WC_TRAP_UNREACHABLE && foreign != WC_TRAP_NONE)
        trap = foreign;
    else if (trap != WC_TRAP_NONE && trap != WC_TRAP_EXIT &&
             (*inst->interrupt == INTERRUPT_REQUESTED || *inst->interrupt == INTERRUPT_FOREIGN))
        trap = WC_TRAP_INTERRUPTED; /* e.g. a host function's own call into Wasm was interrupted */
    /* A deadline or an interruption ends one call, not the instance. */
    if (outermost && ((per_call && *inst->interrupt == INTERRUPT_DEADLINE) ||
                      (trap == WC_TRAP_INTERRUPTED && (*inst->interrupt == INTERRUPT_REQUESTED ||
                                                       *inst->interrupt == INTERRUPT_FOREIGN))))
        *inst->interrupt = INTERRUPT_NONE;
    if (trap != WC_TRAP_NONE && trap != WC_TRAP_HOST && trap != WC_TRAP_EXIT)
        snprintf(inst->trap_message, sizeof inst->trap_message, "%s", wc_trap_name(trap));
    else if (trap == WC_TRAP_HOST && !inst->trap_message[0])
        snprintf(inst->trap_message, sizeof inst->trap_message, "%s", wc_trap_name(trap));
    return trap;
}

/* For /metrics: instances made and freed, process-wide.  Every call makes
 * and frees one, on whichever worker it runs: counted per thread shard, so
 * that workers do not pass one cache line back and forth. */
static wc_shard_count instances_created[WC_SHARDS], instances_freed[WC_SHARDS];

void wc_instance_counts(unsigned long long *live, unsigned long long *created)
{
    long freed = wc_shard_sum(instances_freed), made = wc_shard_sum(instances_created);
    *created = made > 0 ? (unsigned long long)made : 0;
    *live = made > freed ? (unsigned long long)(made - freed) : 0; /* a free counted before its make */
}

int wc_instance_new(wc_module *module, const wc_instance_config *config,
                    const wc_import_binding *bindings, size_t nbindings, wc_instance **out,
                    wc_trap *trap_out, wc_error *err)
{
    *out = NULL;
    if (trap_out)
        *trap_out = WC_TRAP_NONE;
    const wc_module_info *info = module->info;
    wc_code *code = atomic_load(&module->current);
    const wc_rt_glue *glue = code->glue;

    import_slot *imports = NULL;
    if (info->nimports) {
        imports = calloc(info->nimports, sizeof *imports);
        if (!imports)
            return wc_error_set(err, WC_ENOMEM, "out of memory");
        const link_hint *hint = atomic_load(&module->link_hint);
        bool all_hinted = true;
        for (uint32_t i = 0; i < info->nimports; i++) {
            if (link_with_hint(hint, i, bindings, nbindings, &imports[i]))
                continue;
            all_hinted = false;
            int rc = link_import(info, i, bindings, nbindings, &imports[i], err);
            if (rc) {
                free(imports);
                return rc;
            }
        }
        if (!all_hinted)
            remember_links(module, bindings, nbindings);
        /* Code that does not mark its writes may write an imported memory:
         * that memory is zeroed whole when freed. */
        for (uint32_t i = 0; i < info->nimports && !module->engine->config.track_writes; i++)
            if (info->imports[i].kind == WC_EXTERN_MEMORY)
                ((wasm_rt_memory_t *)imports[i].ptr)->tracked = 0;
    }

    wc_instance *inst = calloc(1, sizeof *inst + glue->instance_size);
    if (!inst) {
        free(imports);
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    }
    inst->self = inst;
    inst->code = code;
    inst->glue = glue;
    if (config)
        inst->config = *config;
    inst->owns_module_ref = !inst->config.module_borrowed;
    inst->module = inst->owns_module_ref ? wc_module_retain(module) : module;
    if (!inst->config.max_memory_pages)
        inst->config.max_memory_pages = DEFAULT_MAX_PAGES;
    if (!inst->config.max_call_depth)
        inst->config.max_call_depth = DEFAULT_MAX_DEPTH;
    inst->imports = imports;
    inst->hdr.max_depth = inst->config.max_call_depth;
    inst->interrupt = glue->interrupt_flag(inst->w2c);

    if (inst->config.timeout_whole_instance && inst->config.timeout_ms)
        inst->whole_armed = wc_watchdog_arm(&module->engine->watchdog, &inst->watch,
                                            inst->interrupt, INTERRUPT_DEADLINE,
                                            inst->config.timeout_ms) == 0;
    wc_rt_set_memory_limit(inst->config.max_memory_pages);
    wc_rt_set_memory_tracking(module->engine->config.track_writes, module->digest);
    wc_trap trap = guarded(inst, run_instantiate, inst);
    wc_rt_set_memory_limit(0);
    wc_rt_set_memory_tracking(false, NULL);
    if (trap != WC_TRAP_NONE) {
        if (trap_out)
            *trap_out = trap;
        wc_error_set(err, WC_ETRAP, "instantiation trapped: %s", inst->trap_message);
        if (inst->whole_armed) {
            wc_watchdog_disarm(&module->engine->watchdog, &inst->watch);
            inst->whole_armed = false;
        }
        if (info->nimported_tables > 0) {
            wc_engine *engine = module->engine;
            if (!inst->owns_module_ref) { /* it outlives the caller's hold */
                wc_module_retain(module);
                inst->owns_module_ref = true;
            }
            pthread_mutex_lock(&engine->orphans_lock);
            inst->next_orphan = engine->orphans;
            engine->orphans = inst;
            pthread_mutex_unlock(&engine->orphans_lock);
        } else {
            wc_instance_free(inst);
        }
        return WC_ETRAP;
    }
    if (glue->memory0) {
        inst->memory0 = glue->memory0(inst->w2c);
        if (info->nmemories > 0 && info->nimported_memories == 0) {
            const wc_limits *l = &info->memories[0];
            inst->memory0->declared_max = l->has_max ? l->max : UINT32_MAX;
        }
    }
    *out = inst;
    wc_shard_add(instances_created, 1);
    return 0;
}

void wc_instance_free(wc_instance *inst)
{
    if (!inst)
        return;
    if (inst->whole_armed)
        wc_watchdog_disarm(&inst->module->engine->watchdog, &inst->watch);
    wc_shard_add(instances_freed, 1);
    inst->glue->free(inst->w2c);
    if (inst->owns_module_ref)
        wc_module_release(inst->module);
    free(inst->imports);
    free(inst->adapters);
    free(inst);
}

int wc_instance_export_index(const wc_instance *inst, const char *name, size_t len)
{
    const wc_module_info *info = inst->module->info;
    for (uint32_t i = 0; i < info->nexports; i++)
        if (info->exports[i].name_len == len && memcmp(info->exports[i].name, name, len) == 0)
            return (int)i;
    return WC_ENOTFOUND;
}

static int find_export(const wc_instance *inst, const char *name)
{
    return wc_instance_export_index(inst, name, strlen(name));
}

wc_trap wc_instance_call(wc_instance *inst, const char *name, const wc_value *args,
                         wc_value *results, wc_error *err)
{
    int index = find_export(inst, name);
    if (index < 0 || inst->module->info->exports[index].kind != WC_EXTERN_FUNC) {
        wc_error_set(err, WC_ENOTFOUND, "no exported function named \"%s\"", name);
        snprintf(inst->trap_message, sizeof inst->trap_message, "no exported function named \"%s\"", name);
        return WC_TRAP_HOST;
    }
    return wc_instance_call_index(inst, (uint32_t)index, args, results, err);
}

wc_trap wc_instance_call_index(wc_instance *inst, uint32_t index, const wc_value *args,
                               wc_value *results, wc_error *err)
{
    if (index >= inst->module->info->nexports || inst->module->info->exports[index].kind != WC_EXTERN_FUNC) {
        wc_error_set(err, WC_ENOTFOUND, "export %u is not a function", index);
        snprintf(inst->trap_message, sizeof inst->trap_message, "export %u is not a function", index);
        return WC_TRAP_HOST;
    }
    call_frame frame = {inst, inst->glue->export_call[index], args, results};
    wc_trap trap = guarded(inst, run_export, &frame);
    if (trap != WC_TRAP_NONE)
        wc_error_set(err, WC_ETRAP, "%s", inst->trap_message);
    return trap;
}

const wc_functype *wc_instance_func_type(const wc_instance *inst, const char *name)
{
    int index = find_export(inst, name);
    if (index < 0 || inst->module->info->exports[index].kind != WC_EXTERN_FUNC)
        return NULL;
    return wc_module_func_type(inst->module->info, inst->module->info->exports[index].index);
}

/* The type of global `index` (imports first). */
static wc_globaltype global_type(const wc_module_info *info, uint32_t index)
{
    if (index < info->nimported_globals) {
        for (uint32_t i = 0, g = 0; i < info->nimports; i++) {
            if (info->imports[i].kind != WC_EXTERN_GLOBAL)
                continue;
            if (g++ == index)
                return info->imports[i].desc.global;
        }
    }
    return info->globals[index - info->nimported_globals].type;
}

int wc_instance_export(wc_instance *inst, const char *name, wc_extern *out)
{
    int index = find_export(inst, name);
    if (index < 0)
        return WC_ENOTFOUND;
    const wc_module_info *info = inst->module->info;
    const wc_export *ex = &info->exports[index];
    memset(out, 0, sizeof *out);
    out->kind = ex->kind;
    if (ex->kind == WC_EXTERN_FUNC) {
        if (!inst->adapters) {
            inst->adapters = calloc(info->nexports, sizeof *inst->adapters);
            if (!inst->adapters)
                return WC_ENOMEM;
        }
        export_adapter *a = &inst->adapters[index];
        a->target = inst;
        a->export_index = (uint32_t)index;
        uint32_t type = ex->index < info->nimported_funcs
                            ? wc_module_import_func_type(info, ex->index)
                            : info->funcs[ex->index - info->nimported_funcs].type;
        out->u.func.params = inst->module->signatures[type].params;
        out->u.func.results = inst->module->signatures[type].results;
        out->u.func.fn = call_export_adapter;
        out->u.func.env = a;
        return 0;
    }
    void *ptr = inst->glue->export_ptr[index](inst->w2c);
    switch (ex->kind) {
    case WC_EXTERN_MEMORY:
        out->u.memory = ptr;
        break;
    case WC_EXTERN_TABLE:
        out->u.table = ptr;
        break;
    case WC_EXTERN_TAG:
        out->u.tag = ptr;
        break;
    case WC_EXTERN_GLOBAL: {
        wc_globaltype gt = global_type(info, ex->index);
        out->u.global.valtype = gt.valtype;
        out->u.global.mutable_ = gt.mutable_;
        out->u.global.value = ptr;
        break;
    }
    default:
        break;
    }
    return 0;
}

wc_memory *wc_instance_memory(wc_instance *inst)
{
    return (wc_memory *)inst->memory0;
}

void wc_instance_interrupt(wc_instance *inst)
{
    wc_call_interrupt(inst);
}

uint64_t wc_instance_deadline_ns(const wc_instance *inst)
{
    return inst->whole_armed ? inst->watch.deadline_ns : 0;
}

bool wc_instance_memory_limit_reached(const wc_instance *inst)
{
    return inst->memory0 && inst->memory0->limit_refused;
}

void *wc_instance_host_data(const wc_instance *inst)
{
    return inst->config.host_data;
}

const wc_module *wc_instance_module(const wc_instance *inst)
{
    return inst->module;
}

void wc_instance_set_trap_message(wc_instance *inst, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(inst->trap_message, sizeof inst->trap_message, fmt, ap);
    va_end(ap);
}

const char *wc_instance_trap_message(const wc_instance *inst)
{
    return inst->trap_message;
}

void wc_instance_set_exit_code(wc_instance *inst, int code)
{
    inst->exit_code = code;
}

int wc_instance_exit_code(const wc_instance *inst)
{
    return inst->exit_code;
}

void *wc_instance_mem(wc_instance *inst, uint64_t offset, uint64_t len)
{
    wasm_rt_memory_t *mem = inst->memory0;
    if (!mem || offset > mem->size || len > mem->size - offset)
        return NULL;
    wc_dirty_range(mem, offset, len); /* the host may write there */
    return mem->data + offset;
}

const void *wc_instance_mem_view(const wc_instance *inst, uint64_t offset, uint64_t len)
{
    const wasm_rt_memory_t *mem = inst->memory0;
    if (!mem || offset > mem->size || len > mem->size - offset)
        return NULL;
    return mem->data + offset;
}

/* ---- host-created memories and tables ---------------------------------- */

typedef struct host_alloc {
    wasm_rt_trap_t trap;
    uint32_t initial, max;
    uint8_t elemtype;
    void *object;
} host_alloc;

static void run_memory_alloc(void *arg)
{
    host_alloc *a = arg;
    wasm_rt_allocate_memory(a->object, a->initial, a->max);
}

int wc_memory_new(wc_engine *engine, uint32_t initial_pages, uint32_t max_pages, bool has_max,
                  wc_memory **out, wc_error *err)
{
    (void)engine;
    wasm_rt_memory_t *mem = calloc(1, sizeof *mem);
    if (!mem)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    host_alloc a = {.initial = initial_pages, .max = has_max ? max_pages : 65536, .object = mem};
    if (wc_rt_run(run_memory_alloc, &a) != WASM_RT_TRAP_NONE) {
        free(mem);
        return wc_error_set(err, WC_ETOOBIG, "cannot allocate a memory of %u pages", initial_pages);
    }
    mem->declared_max = has_max ? max_pages : UINT32_MAX;
    *out = (wc_memory *)mem;
    return 0;
}

int wc_memory_new_shared(wc_engine *engine, uint32_t initial_pages, uint32_t max_pages,
                         wc_memory **out, wc_error *err)
{
    int rc = wc_memory_new(engine, initial_pages, max_pages, true, out, err);
    if (rc == 0)
        ((wasm_rt_memory_t *)*out)->shared = 1;
    return rc;
}

void wc_memory_free(wc_memory *memory)
{
    if (!memory)
        return;
    wasm_rt_free_memory((wasm_rt_memory_t *)memory);
    free(memory);
}

uint8_t *wc_memory_data(wc_memory *memory)
{
    wasm_rt_memory_t *mem = (wasm_rt_memory_t *)memory;
    mem->tracked = 0; /* any byte may be written: freeing zeroes it whole */
    return mem->data;
}

uint64_t wc_memory_size(const wc_memory *memory)
{
    return ((const wasm_rt_memory_t *)memory)->size;
}

static void run_table_alloc(void *arg)
{
    host_alloc *a = arg;
    if (a->elemtype == WC_VT_FUNCREF)
        wasm_rt_allocate_funcref_table(a->object, a->initial, a->max);
    else
        wasm_rt_allocate_externref_table(a->object, a->initial, a->max);
}

int wc_table_new(wc_engine *engine, uint8_t elemtype, uint32_t initial, uint32_t max,
                 bool has_max, wc_table **out, wc_error *err)
{
    (void)engine;
    if (elemtype != WC_VT_FUNCREF && elemtype != WC_VT_EXTERNREF)
        return wc_error_set(err, WC_EINVAL, "a table holds funcref or externref");
    wasm_rt_funcref_table_t *table = calloc(1, sizeof *table);
    if (!table)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    host_alloc a = {.initial = initial, .max = has_max ? max : UINT32_MAX, .elemtype = elemtype,
                    .object = table};
    if (wc_rt_run(run_table_alloc, &a) != WASM_RT_TRAP_NONE) {
        free(table);
        return wc_error_set(err, WC_ETOOBIG, "cannot allocate a table of %u elements", initial);
    }
    *out = (wc_table *)table;
    return 0;
}

void wc_table_free(wc_table *table)
{
    if (!table)
        return;
    wasm_rt_free_funcref_table((wasm_rt_funcref_table_t *)table);
    free(table);
}
