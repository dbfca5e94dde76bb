/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* OpenSSL, loaded when a check first needs it (https, or an http digest).
 * Only loading libcrypto costs about 1.5 MB of resident memory (its
 * relocations and symbol tables, no initialization needed), a third of a
 * small checkerd's RSS: a checker without such checks never maps it.
 * Call the functions as sym_NAME once dlopen_openssl() succeeded. */

#include <stddef.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define OPENSSL_SYMBOLS(X)                                                                                             \
        X(ERR_clear_error)                                                                                             \
        X(ERR_error_string_n)                                                                                          \
        X(ERR_get_error)                                                                                               \
        X(ERR_peek_error)                                                                                              \
        X(EVP_DigestFinal_ex)                                                                                          \
        X(EVP_DigestInit_ex)                                                                                           \
        X(EVP_DigestUpdate)                                                                                            \
        X(EVP_MD_CTX_free)                                                                                             \
        X(EVP_MD_CTX_new)                                                                                              \
        X(EVP_md5)                                                                                                     \
        X(SSL_CTX_check_private_key)                                                                                   \
        X(SSL_CTX_ctrl)                                                                                                \
        X(SSL_CTX_free)                                                                                                \
        X(SSL_CTX_load_verify_locations)                                                                               \
        X(SSL_CTX_new)                                                                                                 \
        X(SSL_CTX_set_default_verify_paths)                                                                            \
        X(SSL_CTX_set_verify)                                                                                          \
        X(SSL_CTX_use_PrivateKey_file)                                                                                 \
        X(SSL_CTX_use_certificate_chain_file)                                                                          \
        X(SSL_connect)                                                                                                 \
        X(SSL_ctrl)                                                                                                    \
        X(SSL_free)                                                                                                    \
        X(SSL_get0_param)                                                                                              \
        X(SSL_get_error)                                                                                               \
        X(SSL_get_verify_result)                                                                                       \
        X(SSL_new)                                                                                                     \
        X(SSL_read)                                                                                                    \
        X(SSL_set1_host)                                                                                               \
        X(SSL_set_fd)                                                                                                  \
        X(SSL_write)                                                                                                   \
        X(TLS_client_method)                                                                                           \
        X(X509_VERIFY_PARAM_set1_ip_asc)                                                                               \
        X(X509_verify_cert_error_string)

#define OPENSSL_SYM_DECLARE(f) extern typeof(f) *sym_##f;
OPENSSL_SYMBOLS(OPENSSL_SYM_DECLARE)
#undef OPENSSL_SYM_DECLARE

/* Loads libssl (and with it libcrypto) once. 0, or <0 with err filled. */
int dlopen_openssl(char *err, size_t errlen);
