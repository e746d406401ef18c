/* old.c -- a fixture for the test error_model_names: each line below is
 * one way back to the error spaces util/error.h replaced. */
#include <string.h>

int old_load(const char *path, char *err, size_t err_size);

const char *old_reason(int rc)
{
    return rc == WC_PLUGIN_EFAILED ? "failed" : strerror(-rc);
}
