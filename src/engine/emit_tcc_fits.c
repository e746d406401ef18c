/* emit_tcc_fits.c -- whether libtcc can compile a module's calls: the fast
 * tier's one limit beyond the decoder's (emit.h, WC_TCC_MAX_PARAMS). */
#include "engine/emit.h"

int wc_emit_tcc_fits(const wc_module_info *info, wc_error *err)
{
    uint32_t nfuncs = info->nimported_funcs + info->nfuncs;
    for (uint32_t f = 0; f < nfuncs; f++) {
        uint32_t nparams = info->types[info->func_types[f]].nparams;
        if (nparams > WC_TCC_MAX_PARAMS)
            return wc_error_set(err, WC_ENOTSUP,
                                "function %u has %u parameters: the fast tier (libtcc) compiles "
                                "calls of at most %u; the optimized tier takes it",
                                f, nparams, WC_TCC_MAX_PARAMS);
    }
    if (info->max_indirect_params > WC_TCC_MAX_PARAMS)
        return wc_error_set(err, WC_ENOTSUP,
                            "a call_indirect of a type with %u parameters: the fast tier (libtcc) "
                            "compiles calls of at most %u; the optimized tier takes it",
                            info->max_indirect_params, WC_TCC_MAX_PARAMS);
    return 0;
}
