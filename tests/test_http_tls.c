/* test_http_tls.c -- the HTTP transport over TLS: a self-signed
 * certificate made in the test, a server on it, an OpenSSL client that
 * checks the certificate it gets, and what plain HTTP gets on that port.
 */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "check.h"
#include "test_certificate.h"
#include "http_server.h"
#include "mcp/server.h"
#include "transport/http.h"

static char cert_path[64], key_path[64];

/* A self-signed certificate for "localhost", written as PEM files. */
static X509 *make_certificate(void)
{
    snprintf(cert_path, sizeof cert_path, "/tmp/wc-tls-cert-%d.pem", (int)getpid());
    snprintf(key_path, sizeof key_path, "/tmp/wc-tls-key-%d.pem", (int)getpid());
    return test_make_certificate("localhost", NULL, cert_path, key_path);
}

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads until the body of a Content-Length response is complete. */
static size_t read_response(SSL *ssl, char *buf, size_t size)
{
    size_t len = 0;
    while (len + 1 < size) {
        int n = SSL_read(ssl, buf + len, (int)(size - 1 - len));
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = 0;
        char *end = strstr(buf, "\r\n\r\n");
        char *cl = strcasestr(buf, "content-length:");
        if (end && cl && len >= (size_t)(end + 4 - buf) + strtoul(cl + 15, NULL, 10))
            break;
    }
    buf[len] = 0;
    return len;
}

int main(void)
{
    X509 *cert = make_certificate();
    CHECK(cert != NULL, "certificate");
    wc_mcp_server *mcp = NULL;
    wc_error err;
    CHECK(wc_mcp_server_new(NULL, NULL, &mcp, &err) == 0, "mcp: %s", err.msg);

    wc_http_options o;
    wc_http_options_default(&o);
    o.port = "0";
    o.tls_cert = cert_path;
    o.tls_key = key_path;
    hs_server srv = {0};
    CHECK(hs_server_start(&srv, mcp, &o) == 0, "server");
    if (!srv.http)
        return 1;
    int port = srv.port;

    /* A TLS client that trusts exactly this certificate. */
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), cert);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    int fd = connect_to(port);
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    SSL_set_tlsext_host_name(ssl, "localhost");
    SSL_set1_host(ssl, "localhost");
    CHECK(SSL_connect(ssl) == 1, "handshake: %s",
          ERR_error_string(ERR_get_error(), NULL));
    CHECK(SSL_get_verify_result(ssl) == X509_V_OK, "the server's certificate verifies");
    CHECK(SSL_version(ssl) >= TLS1_2_VERSION, "TLS 1.2 or later");
    static const char body[] =
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
        "\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";
    char request[1024], response[8192];
    for (int round = 0; round < 2; round++) { /* keep-alive over TLS too */
        int n = snprintf(request, sizeof request,
                         "POST /mcp HTTP/1.1\r\nHost: localhost:%d\r\nContent-Type: "
                         "application/json\r\nAccept: application/json, text/event-stream\r\n"
                         "Content-Length: %zu\r\n\r\n%s",
                         port, strlen(body), body);
        CHECK(SSL_write(ssl, request, n) == n, "write");
        read_response(ssl, response, sizeof response);
        CHECK(strncmp(response, "HTTP/1.1 200", 12) == 0 &&
                  strcasestr(response, "mcp-session-id:") &&
                  strstr(response, "\"protocolVersion\":\"2025-11-25\""),
              "round %d: initialize over TLS: %.200s", round, response);
    }
    SSL_free(ssl);
    close(fd);

    /* Plain HTTP on the TLS port gets nothing it could mistake for an answer. */
    fd = connect_to(port);
    static const char plain[] = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
    CHECK(write(fd, plain, sizeof plain - 1) == (ssize_t)(sizeof plain - 1), "plain write");
    char got[256] = "";
    ssize_t r = read(fd, got, sizeof got - 1);
    CHECK(r <= 0 || strncmp(got, "HTTP/1.1 200", 12) != 0, "plain HTTP is not served: %.40s",
          got);
    close(fd);

    /* A client that does not trust the certificate is refused by its own check. */
    SSL_CTX *strict = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(strict, SSL_VERIFY_PEER, NULL);
    fd = connect_to(port);
    ssl = SSL_new(strict);
    SSL_set_fd(ssl, fd);
    CHECK(SSL_connect(ssl) != 1, "an untrusted certificate fails verification");
    SSL_free(ssl);
    close(fd);

    /* A bad certificate path is a clear error at start. */
    wc_http_options bad = o;
    bad.tls_cert = "/nonexistent/cert.pem";
    wc_http_server *none = NULL;
    CHECK(wc_http_server_new(&bad, mcp, &none, &err) != 0 && strstr(err.msg, "TLS") &&
              strstr(err.msg, "/nonexistent/cert.pem"),
          "bad certificate: %s", err.msg);

    hs_server_stop(&srv);
    wc_mcp_server_free(mcp);
    SSL_CTX_free(ctx);
    SSL_CTX_free(strict);
    X509_free(cert);
    unlink(cert_path);
    unlink(key_path);
    if (failures)
        return 1;
    printf("test_http_tls: all %d checks passed\n", checks);
    return 0;
}
