/* fuzz_config.c -- libFuzzer target for the configuration reader: the
 * server's wasmcap.json (cli/config.c, plugin/config.c, json/reader.c)
 * with its "${VAR}" expansion (cli/expand.c), and
 * the "http" and "auth" sections the transport and auth layers read from
 * it (transport/http_config.c, auth/options.c).
 *
 * Properties: no crash, leak or UB on any text; a refusal always says
 * what is wrong; an accepted config names every plugin with a path, and
 * its sections are either taken or refused with a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "cli/config.h"
#include "transport/http_config.h"
#include "util/log.h"
#include "check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    wc_log_set_level(WC_LOG_ERROR);
    /* for "${WASMCAP_FUZZ_VAR}" and "${WASMCAP_FUZZ_VAR:-x}" */
    setenv("WASMCAP_FUZZ_VAR", "0123456789abcdef0123456789abcdef", 1);
    return 0;
}

static void check_sections(const wc_config *c)
{
    wc_error err = {0};
    if (c->http) {
        wc_http_config hc;
        memset(&hc, 0, sizeof hc);
        if (wc_http_config_parse(c->http, &hc, &err) == 0)
            wc_http_config_free(&hc);
        else
            CHECK(err.msg[0], "the http section refused without a message");
    }
    if (c->auth) {
        wc_auth_options ao;
        wc_auth_options_init(&ao);
        wc_error why = {0};
        if (wc_auth_options_parse(c->auth, "/nonexistent", NULL, NULL, &ao, &why) == 0) {
            int rc = wc_auth_options_check(&ao, &why);
            if (rc != 0)
                CHECK(rc == why.code && why.msg[0], "auth options refused without a message");
        } else {
            CHECK(why.code < 0 && why.msg[0], "the auth section refused without a message");
        }
        wc_auth_options_free(&ao);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = strndup((const char *)data, size); /* the reader takes a C string */
    if (!text)
        abort();
    wc_config c;
    wc_error err = {0};
    if (wc_config_parse(text, "/nonexistent", &c, &err) == 0) {
        bool ok = true;
        for (size_t i = 0; i < c.nplugins; i++)
            ok = ok && c.plugins[i].name && c.plugins[i].path;
        CHECK(ok, "a plugin without a name or path");
        check_sections(&c);
        wc_config_free(&c);
    } else {
        CHECK(err.msg[0], "a config refused without a message");
    }
    free(text);
    if (failures) {
        fflush(stdout); /* CHECK printed why */
        abort();
    }
    return 0;
}
