/* token_server.h -- a registry token service for the tests of fetch/'s
 * bearer flow (the Docker registry token specification): GET /token?
 * service=...&scope=repository:NAME:ACTIONS with Basic credentials answers
 * {"token": JWT}, the JWT signed ES256 by a self-signed certificate carried
 * in its x5c header, the certificate the registry's auth.token.
 * rootcertbundle trusts.  One thread, one connection at a time, on
 * 127.0.0.1. */
#ifndef WC_TESTS_TOKEN_SERVER_H
#define WC_TESTS_TOKEN_SERVER_H

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fetch/base64.h"
#include "request_head.h"
#include "util/base64url.h"

typedef struct token_server {
    int fd;
    int port;
    pthread_t thread;
    EVP_PKEY *key;
    X509 *cert;
    const char *issuer, *service;
    const char *basic;  /* the base64 user:password it accepts */
    int issued;         /* tokens given out */
} token_server;

static char *token_b64url(const void *data, size_t len)
{
    char *out = malloc(wc_b64url_encoded_len(len) + 1);
    if (out)
        wc_b64url_encode(data, len, out);
    return out;
}

/* A JWT for scope ("repository:NAME:pull,push"), or NULL. */
static char *token_make(token_server *t, const char *scope)
{
    char type[32] = "", name[256] = "", actions[64] = "";
    if (sscanf(scope, "%31[^:]:%255[^:]:%63s", type, name, actions) != 3)
        return NULL;
    unsigned char *der = NULL;
    int der_len = i2d_X509(t->cert, &der);
    char *x5c = wc_base64_encode(der, (size_t)der_len);
    OPENSSL_free(der);
    json_t *header = json_pack("{s:s, s:s, s:[s]}", "typ", "JWT", "alg", "ES256", "x5c", x5c);
    json_t *list = json_array();
    for (char *a = strtok(actions, ","); a; a = strtok(NULL, ","))
        json_array_append_new(list, json_string(a));
    long now = (long)time(NULL);
    char jti[32];
    snprintf(jti, sizeof jti, "t%d", t->issued);
    json_t *claims = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:[{s:s, s:s, s:o}]}", "iss", t->issuer, "sub",
                               "tester", "aud", t->service, "exp", (json_int_t)(now + 300), "nbf",
                               (json_int_t)(now - 10), "iat", (json_int_t)now, "jti", jti, "access", "type",
                               type, "name", name, "actions", list);
    char *h = json_dumps(header, JSON_COMPACT), *c = json_dumps(claims, JSON_COMPACT);
    char *h64 = token_b64url(h, strlen(h)), *c64 = token_b64url(c, strlen(c));
    size_t input_len = strlen(h64) + 1 + strlen(c64);
    char *input = malloc(input_len + 1);
    snprintf(input, input_len + 1, "%s.%s", h64, c64);
    /* ES256 is r||s, 32 bytes each, not OpenSSL's DER. */
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t sig_len = 0;
    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, t->key);
    EVP_DigestSign(ctx, NULL, &sig_len, (const unsigned char *)input, input_len);
    unsigned char *sig = malloc(sig_len);
    EVP_DigestSign(ctx, sig, &sig_len, (const unsigned char *)input, input_len);
    EVP_MD_CTX_free(ctx);
    const unsigned char *p = sig;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)sig_len);
    unsigned char raw[64];
    const BIGNUM *r, *s;
    ECDSA_SIG_get0(es, &r, &s);
    BN_bn2binpad(r, raw, 32);
    BN_bn2binpad(s, raw + 32, 32);
    ECDSA_SIG_free(es);
    char *s64 = token_b64url(raw, 64);
    size_t jwt_len = input_len + 1 + strlen(s64) + 1;
    char *jwt = malloc(jwt_len);
    snprintf(jwt, jwt_len, "%s.%s", input, s64);
    free(sig);
    free(s64);
    free(input);
    free(h64);
    free(c64);
    free(h);
    free(c);
    free(x5c);
    json_decref(header);
    json_decref(claims);
    t->issued++;
    return jwt;
}

/* The query parameter name's value, percent-decoded, into out. */
static bool token_param(const char *query, const char *name, char *out, size_t size)
{
    size_t n = strlen(name);
    for (const char *p = query; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
        if (strncmp(p, name, n) != 0 || p[n] != '=')
            continue;
        size_t o = 0;
        for (p += n + 1; *p && *p != '&' && *p != ' ' && o + 1 < size; p++) {
            unsigned v;
            if (*p == '%' && sscanf(p + 1, "%2x", &v) == 1) {
                out[o++] = (char)v;
                p += 2;
            } else {
                out[o++] = *p;
            }
        }
        out[o] = 0;
        return true;
    }
    return false;
}

static void token_answer(int conn, token_server *t)
{
    char req[8192];
    if (!test_read_request_head(conn, req, sizeof req))
        return;
    char expected[300], scope[512] = "";
    snprintf(expected, sizeof expected, "Authorization: Basic %s\r\n", t->basic);
    const char *query = strchr(req, '?');
    char *jwt = NULL;
    if (strstr(req, expected) && query && token_param(query + 1, "scope", scope, sizeof scope))
        jwt = token_make(t, scope);
    char answer[16384];
    if (jwt) {
        char body[12000];
        int blen = snprintf(body, sizeof body, "{\"token\": \"%s\", \"expires_in\": 300}", jwt);
        snprintf(answer, sizeof answer,
                 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
                 blen, body);
        free(jwt);
    } else {
        snprintf(answer, sizeof answer,
                 "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    }
    if (write(conn, answer, strlen(answer)) < 0)
        return;
}

static void *token_serve(void *arg)
{
    token_server *t = arg;
    for (;;) {
        int conn = accept(t->fd, NULL, NULL);
        if (conn < 0)
            return NULL; /* the listening socket was shut down */
        token_answer(conn, t);
        close(conn);
    }
}

/* Writes the certificate to cert_path for the registry; 0 or -1. */
static int token_server_start(token_server *t, const char *cert_path)
{
    t->key = EVP_EC_gen("P-256");
    t->cert = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(t->cert), 7);
    X509_gmtime_adj(X509_getm_notBefore(t->cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(t->cert), 3600);
    X509_set_pubkey(t->cert, t->key);
    X509_NAME *name = X509_get_subject_name(t->cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"token issuer", -1, -1, 0);
    X509_set_issuer_name(t->cert, name);
    X509_sign(t->cert, t->key, EVP_sha256());
    FILE *f = fopen(cert_path, "w");
    if (!f)
        return -1;
    PEM_write_X509(f, t->cert);
    fclose(f);
    t->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    if (bind(t->fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(t->fd, 16) != 0 ||
        getsockname(t->fd, (struct sockaddr *)&a, &alen) != 0)
        return -1;
    t->port = ntohs(a.sin_port);
    return pthread_create(&t->thread, NULL, token_serve, t) == 0 ? 0 : -1;
}

static void token_server_stop(token_server *t)
{
    shutdown(t->fd, SHUT_RDWR);
    close(t->fd);
    pthread_join(t->thread, NULL);
    EVP_PKEY_free(t->key);
    X509_free(t->cert);
}

#endif
