/* log.h -- structured logs: one JSON object a line on stderr.
 *
 *     {"ts":"2026-11-22T01:02:03.456Z","level":"info","component":"plugin",
 *      "msg":"loaded calculator 1.0.0 (2 tools)"}
 *
 * Levels are MCP's (RFC 5424 names), so a plugin's log level maps to the
 * server log and to notifications/message the same way.  Thread-safe: each
 * line is written with one write(2).
 */
#ifndef WC_UTIL_LOG_H
#define WC_UTIL_LOG_H

#include <jansson.h>

typedef enum wc_log_level {
    WC_LOG_DEBUG = 0,
    WC_LOG_INFO,
    WC_LOG_NOTICE,
    WC_LOG_WARNING,
    WC_LOG_ERROR,
    WC_LOG_CRITICAL,
    WC_LOG_ALERT,
    WC_LOG_EMERGENCY,
} wc_log_level;

/* "debug" .. "emergency"; "unknown" out of range. */
const char *wc_log_level_name(wc_log_level level);
/* The level named `name`, or -1. */
int wc_log_level_parse(const char *name);

/* Lines below `level` are dropped.  Default: WC_LOG_INFO. */
void wc_log_set_level(wc_log_level level);
wc_log_level wc_log_get_level(void);

void wc_log(wc_log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* As wc_log, with the members of `fields` (an object, borrowed) added to the line. */
void wc_log_fields(wc_log_level level, const char *component, const json_t *fields,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
