#pragma once

// libcrypto's objects owned by std::unique_ptr: one deleter per type, calling the type's own
// *_free function (each accepts a null pointer).

#include <openssl/bio.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <memory>

namespace McpProxy {

struct BioDeleter
{
    void operator()(BIO *bio) const { BIO_free(bio); }
};
using BioPointer = std::unique_ptr<BIO, BioDeleter>;

struct EvpPkeyDeleter
{
    void operator()(EVP_PKEY *key) const { EVP_PKEY_free(key); }
};
using EvpPkeyPointer = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;

struct EvpMdContextDeleter
{
    void operator()(EVP_MD_CTX *context) const { EVP_MD_CTX_free(context); }
};
using EvpMdContextPointer = std::unique_ptr<EVP_MD_CTX, EvpMdContextDeleter>;

struct EvpCipherContextDeleter
{
    void operator()(EVP_CIPHER_CTX *context) const { EVP_CIPHER_CTX_free(context); }
};
using EvpCipherContextPointer = std::unique_ptr<EVP_CIPHER_CTX, EvpCipherContextDeleter>;

struct EcdsaSigDeleter
{
    void operator()(ECDSA_SIG *signature) const { ECDSA_SIG_free(signature); }
};
using EcdsaSigPointer = std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter>;

struct X509Deleter
{
    void operator()(X509 *certificate) const { X509_free(certificate); }
};
using X509Pointer = std::unique_ptr<X509, X509Deleter>;

struct X509ExtensionDeleter
{
    void operator()(X509_EXTENSION *extension) const { X509_EXTENSION_free(extension); }
};
using X509ExtensionPointer = std::unique_ptr<X509_EXTENSION, X509ExtensionDeleter>;

// Frees the stack only, not the certificates it points to (sk_X509_pop_free would).
struct X509StackDeleter
{
    void operator()(STACK_OF(X509) * stack) const { sk_X509_free(stack); }
};
using X509StackPointer = std::unique_ptr<STACK_OF(X509), X509StackDeleter>;

struct X509StoreContextDeleter
{
    void operator()(X509_STORE_CTX *context) const { X509_STORE_CTX_free(context); }
};
using X509StoreContextPointer = std::unique_ptr<X509_STORE_CTX, X509StoreContextDeleter>;

} // namespace McpProxy
