/* msg.c -- a message's headers, and owned copies of messages in one block
 * (the struct, its header table, then every string and the data), so a
 * queued or returned message is one allocation and one free. */
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"

const char *wc_bus_msg_header(const wc_bus_msg *msg, const char *name)
{
    for (size_t i = 0; i < msg->header_count; i++)
        if (strcmp(msg->headers[i].name, name) == 0)
            return msg->headers[i].value;
    return NULL;
}

static size_t text_size(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

static char *put_text(char **at, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *dst = *at;
    memcpy(dst, s, n);
    *at += n;
    return dst;
}

wc_bus_msg *wc_bus_msg_copy(const wc_bus_msg *msg)
{
    size_t size = sizeof(wc_bus_msg) + msg->header_count * sizeof(wc_bus_header);
    size += text_size(msg->subject) + text_size(msg->reply) + msg->len + 1;
    for (size_t i = 0; i < msg->header_count; i++)
        size += text_size(msg->headers[i].name) + text_size(msg->headers[i].value);
    wc_bus_msg *copy = malloc(size);
    if (!copy)
        return NULL;
    wc_bus_header *headers = (wc_bus_header *)(copy + 1);
    char *at = (char *)(headers + msg->header_count);
    for (size_t i = 0; i < msg->header_count; i++) {
        headers[i].name = put_text(&at, msg->headers[i].name);
        headers[i].value = put_text(&at, msg->headers[i].value);
    }
    *copy = (wc_bus_msg){
        .subject = put_text(&at, msg->subject),
        .reply = put_text(&at, msg->reply),
        .headers = msg->header_count ? headers : NULL,
        .header_count = msg->header_count,
        .len = msg->len,
        .sequence = msg->sequence,
    };
    /* data last and NUL-terminated, so a text payload reads as a string */
    if (msg->len)
        memcpy(at, msg->data, msg->len);
    at[msg->len] = '\0';
    copy->data = at;
    return copy;
}

void wc_bus_msg_free(wc_bus_msg *msg)
{
    free(msg);
}
