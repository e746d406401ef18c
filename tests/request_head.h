/* request_head.h -- the tests' small HTTP services read a request's head
 * (up to the blank line) from a socket, bounded in size and time. */
#ifndef WC_TESTS_REQUEST_HEAD_H
#define WC_TESTS_REQUEST_HEAD_H

#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

/* Reads into req (NUL-terminated) until "\r\n\r\n", size - 1 bytes or 2 s
 * of silence; true when the head is complete. */
static inline bool test_read_request_head(int fd, char *req, size_t size)
{
    size_t len = 0;
    struct timeval tv = {.tv_sec = 2};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    req[0] = 0;
    while (len < size - 1) {
        ssize_t n = recv(fd, req + len, size - 1 - len, 0);
        if (n <= 0)
            return false;
        len += (size_t)n;
        req[len] = 0;
        if (strstr(req, "\r\n\r\n"))
            return true;
    }
    return false;
}

#endif
