/* test_certificate.h -- a self-signed P-256 certificate for the TLS tests,
 * written as PEM files (certificate and private key). */
#ifndef WC_TESTS_TEST_CERTIFICATE_H
#define WC_TESTS_TEST_CERTIFICATE_H

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdio.h>

/* For common_name, with the subjectAltName san ("DNS:localhost",
 * "IP:127.0.0.1") when not NULL.  The caller frees the certificate;
 * NULL when it could not be made or written. */
static X509 *test_make_certificate(const char *common_name, const char *san, const char *cert_path,
                                   const char *key_path)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = X509_new();
    if (!key || !cert) {
        EVP_PKEY_free(key);
        X509_free(cert);
        return NULL;
    }
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)common_name, -1, -1, 0);
    X509_set_issuer_name(cert, name);
    if (san) {
        X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
        X509_add_ext(cert, ext, -1);
        X509_EXTENSION_free(ext);
    }
    X509_sign(cert, key, EVP_sha256());
    FILE *cf = fopen(cert_path, "w");
    FILE *kf = fopen(key_path, "w");
    bool ok = cf && kf && PEM_write_X509(cf, cert) && PEM_write_PrivateKey(kf, key, NULL, NULL, 0, NULL, NULL);
    if (cf)
        fclose(cf);
    if (kf)
        fclose(kf);
    EVP_PKEY_free(key);
    if (!ok) {
        X509_free(cert);
        return NULL;
    }
    return cert;
}

#endif
