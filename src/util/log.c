/* log.c -- structured logs on stderr. */
#include "util/log.h"

#include "util/clock.h"

#include "util/utf8.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int min_level = WC_LOG_INFO;

static const char *const level_names[] = {
    "debug", "info", "notice", "warning", "error", "critical", "alert", "emergency",
};

const char *wc_log_level_name(wc_log_level level)
{
    if ((unsigned)level >= sizeof level_names / sizeof level_names[0])
        return "unknown";
    return level_names[level];
}

int wc_log_level_parse(const char *name)
{
    for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++)
        if (strcmp(name, level_names[i]) == 0)
            return (int)i;
    return -1;
}

void wc_log_set_level(wc_log_level level)
{
    atomic_store(&min_level, (int)level);
}

wc_log_level wc_log_get_level(void)
{
    return (wc_log_level)atomic_load(&min_level);
}

static void emit(wc_log_level level, const char *component, const json_t *fields,
                 const char *fmt, va_list ap)
{
    char msg[2048];
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    /* A cut must not split a character, or the whole line would be refused. */
    if (n >= (int)sizeof msg)
        msg[wc_utf8_prefix(msg, sizeof msg - 1, sizeof msg - 1)] = 0;

    char ts[25];
    wc_utc_timestamp(ts);

    json_t *line = json_object();
    if (!line)
        return;
    json_object_set_new(line, "ts", json_string(ts));
    json_object_set_new(line, "level", json_string(wc_log_level_name(level)));
    if (component)
        json_object_set_new(line, "component", json_string(component));
    /* Messages may quote guest bytes: invalid UTF-8 must not lose the line. */
    json_t *m = json_string(msg);
    json_object_set_new(line, "msg", m ? m : json_string("(message is not valid UTF-8)"));
    if (fields && json_is_object(fields)) {
        const char *key;
        json_t *value;
        json_object_foreach((json_t *)fields, key, value)
            json_object_set(line, key, value);
    }
    char *text = json_dumps(line, JSON_COMPACT);
    json_decref(line);
    if (!text)
        return;
    size_t len = strlen(text);
    text[len] = '\n'; /* replaces the NUL: one write for the whole line */
    ssize_t rc = write(STDERR_FILENO, text, len + 1);
    (void)rc;
    free(text);
}

void wc_log(wc_log_level level, const char *component, const char *fmt, ...)
{
    if ((int)level < atomic_load(&min_level))
        return;
    va_list ap;
    va_start(ap, fmt);
    emit(level, component, NULL, fmt, ap);
    va_end(ap);
}

void wc_log_fields(wc_log_level level, const char *component, const json_t *fields,
                   const char *fmt, ...)
{
    if ((int)level < atomic_load(&min_level))
        return;
    va_list ap;
    va_start(ap, fmt);
    emit(level, component, fields, fmt, ap);
    va_end(ap);
}
