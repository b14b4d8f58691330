// keyrack-cli's calls into libcrypto (OpenSSL 3), each to the real function, looked up the first time
// through (Sources/CLibraryLoader). keyrack-cli is linked with `--wrap=NAME` for each function here
// (Package.swift, `libcryptoDeferred`), so its calls to NAME land on __wrap_NAME and libcrypto is not
// in its DT_NEEDED: the loader no longer maps libcrypto and binds its 3 400 symbols (about 0.5 ms)
// before every command, though only age payloads of 64 KiB and more and ssh-rsa keys need it.
// The static binaries (keyrack-age, age-plugin-keyrack) link libcrypto itself and no wrap.
// Written from the prototypes in <openssl/*.h>: a call to a function not listed here, or a wrap
// without its function here, fails keyrack-cli's link.
#include "library_loader.h"
#include <stddef.h>
#pragma GCC visibility push(hidden)
#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <openssl/bn.h>
#include <openssl/rsa.h>
#include <openssl/param_build.h>

// The real function's address, typed as the header declares it.
#define DEFERRED(name) ((__typeof__(&name))keyrack_deferred(&real, "libcrypto.so.3", "libssl3", #name))

void __wrap_BN_CTX_free(BN_CTX *c) {
    static void *real;
    DEFERRED(BN_CTX_free)(c);
}

BN_CTX *__wrap_BN_CTX_secure_new(void) {
    static void *real;
    return DEFERRED(BN_CTX_secure_new)();
}

BIGNUM *__wrap_BN_bin2bn(const unsigned char *s, int len, BIGNUM *ret) {
    static void *real;
    return DEFERRED(BN_bin2bn)(s, len, ret);
}

void __wrap_BN_clear_free(BIGNUM *a) {
    static void *real;
    DEFERRED(BN_clear_free)(a);
}

int __wrap_BN_cmp(const BIGNUM *a, const BIGNUM *b) {
    static void *real;
    return DEFERRED(BN_cmp)(a, b);
}

int __wrap_BN_is_one(const BIGNUM *a) {
    static void *real;
    return DEFERRED(BN_is_one)(a);
}

BIGNUM *__wrap_BN_mod_inverse(BIGNUM *ret, const BIGNUM *a, const BIGNUM *n, BN_CTX *ctx) {
    static void *real;
    return DEFERRED(BN_mod_inverse)(ret, a, n, ctx);
}

int __wrap_BN_mod_mul(BIGNUM *r, const BIGNUM *a, const BIGNUM *b, const BIGNUM *m, BN_CTX *ctx) {
    static void *real;
    return DEFERRED(BN_mod_mul)(r, a, b, m, ctx);
}

int __wrap_BN_mul(BIGNUM *r, const BIGNUM *a, const BIGNUM *b, BN_CTX *ctx) {
    static void *real;
    return DEFERRED(BN_mul)(r, a, b, ctx);
}

int __wrap_BN_nnmod(BIGNUM *r, const BIGNUM *m, const BIGNUM *d, BN_CTX *ctx) {
    static void *real;
    return DEFERRED(BN_nnmod)(r, m, d, ctx);
}

int __wrap_BN_num_bits(const BIGNUM *a) {
    static void *real;
    return DEFERRED(BN_num_bits)(a);
}

BIGNUM *__wrap_BN_secure_new(void) {
    static void *real;
    return DEFERRED(BN_secure_new)();
}

void __wrap_BN_set_flags(BIGNUM *b, int n) {
    static void *real;
    DEFERRED(BN_set_flags)(b, n);
}

int __wrap_BN_sub_word(BIGNUM *a, unsigned long w) {
    static void *real;
    return DEFERRED(BN_sub_word)(a, w);
}

int __wrap_EVP_CIPHER_CTX_ctrl(EVP_CIPHER_CTX *ctx, int type, int arg, void *ptr) {
    static void *real;
    return DEFERRED(EVP_CIPHER_CTX_ctrl)(ctx, type, arg, ptr);
}

void __wrap_EVP_CIPHER_CTX_free(EVP_CIPHER_CTX *c) {
    static void *real;
    DEFERRED(EVP_CIPHER_CTX_free)(c);
}

const EVP_CIPHER *__wrap_EVP_CIPHER_CTX_get0_cipher(const EVP_CIPHER_CTX *ctx) {
    static void *real;
    return DEFERRED(EVP_CIPHER_CTX_get0_cipher)(ctx);
}

EVP_CIPHER_CTX *__wrap_EVP_CIPHER_CTX_new(void) {
    static void *real;
    return DEFERRED(EVP_CIPHER_CTX_new)();
}

EVP_CIPHER *__wrap_EVP_CIPHER_fetch(OSSL_LIB_CTX *ctx, const char *algorithm, const char *properties) {
    static void *real;
    return DEFERRED(EVP_CIPHER_fetch)(ctx, algorithm, properties);
}

void __wrap_EVP_CIPHER_free(EVP_CIPHER *cipher) {
    static void *real;
    DEFERRED(EVP_CIPHER_free)(cipher);
}

int __wrap_EVP_CipherInit_ex(EVP_CIPHER_CTX *ctx, const EVP_CIPHER *cipher, ENGINE *impl, const unsigned char *key, const unsigned char *iv, int enc) {
    static void *real;
    return DEFERRED(EVP_CipherInit_ex)(ctx, cipher, impl, key, iv, enc);
}

int __wrap_EVP_DecryptFinal_ex(EVP_CIPHER_CTX *ctx, unsigned char *outm, int *outl) {
    static void *real;
    return DEFERRED(EVP_DecryptFinal_ex)(ctx, outm, outl);
}

int __wrap_EVP_DecryptUpdate(EVP_CIPHER_CTX *ctx, unsigned char *out, int *outl, const unsigned char *in, int inl) {
    static void *real;
    return DEFERRED(EVP_DecryptUpdate)(ctx, out, outl, in, inl);
}

int __wrap_EVP_EncryptFinal_ex(EVP_CIPHER_CTX *ctx, unsigned char *out, int *outl) {
    static void *real;
    return DEFERRED(EVP_EncryptFinal_ex)(ctx, out, outl);
}

int __wrap_EVP_EncryptUpdate(EVP_CIPHER_CTX *ctx, unsigned char *out, int *outl, const unsigned char *in, int inl) {
    static void *real;
    return DEFERRED(EVP_EncryptUpdate)(ctx, out, outl, in, inl);
}

void __wrap_EVP_PKEY_CTX_free(EVP_PKEY_CTX *ctx) {
    static void *real;
    DEFERRED(EVP_PKEY_CTX_free)(ctx);
}

EVP_PKEY_CTX *__wrap_EVP_PKEY_CTX_new_from_name(OSSL_LIB_CTX *libctx, const char *name, const char *propquery) {
    static void *real;
    return DEFERRED(EVP_PKEY_CTX_new_from_name)(libctx, name, propquery);
}

EVP_PKEY_CTX *__wrap_EVP_PKEY_CTX_new_from_pkey(OSSL_LIB_CTX *libctx, EVP_PKEY *pkey, const char *propquery) {
    static void *real;
    return DEFERRED(EVP_PKEY_CTX_new_from_pkey)(libctx, pkey, propquery);
}

int __wrap_EVP_PKEY_decrypt(EVP_PKEY_CTX *ctx, unsigned char *out, size_t *outlen, const unsigned char *in, size_t inlen) {
    static void *real;
    return DEFERRED(EVP_PKEY_decrypt)(ctx, out, outlen, in, inlen);
}

int __wrap_EVP_PKEY_decrypt_init_ex(EVP_PKEY_CTX *ctx, const OSSL_PARAM params[]) {
    static void *real;
    return DEFERRED(EVP_PKEY_decrypt_init_ex)(ctx, params);
}

int __wrap_EVP_PKEY_encrypt(EVP_PKEY_CTX *ctx, unsigned char *out, size_t *outlen, const unsigned char *in, size_t inlen) {
    static void *real;
    return DEFERRED(EVP_PKEY_encrypt)(ctx, out, outlen, in, inlen);
}

int __wrap_EVP_PKEY_encrypt_init_ex(EVP_PKEY_CTX *ctx, const OSSL_PARAM params[]) {
    static void *real;
    return DEFERRED(EVP_PKEY_encrypt_init_ex)(ctx, params);
}

void __wrap_EVP_PKEY_free(EVP_PKEY *pkey) {
    static void *real;
    DEFERRED(EVP_PKEY_free)(pkey);
}

int __wrap_EVP_PKEY_fromdata(EVP_PKEY_CTX *ctx, EVP_PKEY **ppkey, int selection, OSSL_PARAM param[]) {
    static void *real;
    return DEFERRED(EVP_PKEY_fromdata)(ctx, ppkey, selection, param);
}

int __wrap_EVP_PKEY_fromdata_init(EVP_PKEY_CTX *ctx) {
    static void *real;
    return DEFERRED(EVP_PKEY_fromdata_init)(ctx);
}

void __wrap_OSSL_PARAM_BLD_free(OSSL_PARAM_BLD *bld) {
    static void *real;
    DEFERRED(OSSL_PARAM_BLD_free)(bld);
}

OSSL_PARAM_BLD *__wrap_OSSL_PARAM_BLD_new(void) {
    static void *real;
    return DEFERRED(OSSL_PARAM_BLD_new)();
}

int __wrap_OSSL_PARAM_BLD_push_BN(OSSL_PARAM_BLD *bld, const char *key, const BIGNUM *bn) {
    static void *real;
    return DEFERRED(OSSL_PARAM_BLD_push_BN)(bld, key, bn);
}

OSSL_PARAM *__wrap_OSSL_PARAM_BLD_to_param(OSSL_PARAM_BLD *bld) {
    static void *real;
    return DEFERRED(OSSL_PARAM_BLD_to_param)(bld);
}

OSSL_PARAM __wrap_OSSL_PARAM_construct_end(void) {
    static void *real;
    return DEFERRED(OSSL_PARAM_construct_end)();
}

OSSL_PARAM __wrap_OSSL_PARAM_construct_octet_string(const char *key, void *buf, size_t bsize) {
    static void *real;
    return DEFERRED(OSSL_PARAM_construct_octet_string)(key, buf, bsize);
}

OSSL_PARAM __wrap_OSSL_PARAM_construct_utf8_string(const char *key, char *buf, size_t bsize) {
    static void *real;
    return DEFERRED(OSSL_PARAM_construct_utf8_string)(key, buf, bsize);
}

void __wrap_OSSL_PARAM_free(OSSL_PARAM *p) {
    static void *real;
    DEFERRED(OSSL_PARAM_free)(p);
}
