#pragma once

// Test helper shared by the token store and manager tests.
#include <QtCore/QByteArray>

#include <openssl/evp.h>
#include <openssl/rand.h>

namespace McpProxy::Test {

// The npm package's cache file layout: IV 12 | tag 16 | ciphertext, no AAD.
// Written with OpenSSL directly, independently of TokenCipher.
inline QByteArray referenceSeal(const QByteArray &key, const QByteArray &plaintext)
{
    QByteArray iv(12, Qt::Uninitialized);
    RAND_bytes(reinterpret_cast<unsigned char *>(iv.data()), int(iv.size()));
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    QByteArray ciphertext(plaintext.size() + 16, Qt::Uninitialized);
    QByteArray tag(16, Qt::Uninitialized);
    int length = 0;
    int total = 0;
    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, nullptr);
    EVP_EncryptInit_ex(ctx, nullptr, nullptr,
            reinterpret_cast<const unsigned char *>(key.constData()),
            reinterpret_cast<const unsigned char *>(iv.constData()));
    EVP_EncryptUpdate(ctx, reinterpret_cast<unsigned char *>(ciphertext.data()), &length,
            reinterpret_cast<const unsigned char *>(plaintext.constData()), int(plaintext.size()));
    total = length;
    EVP_EncryptFinal_ex(ctx, reinterpret_cast<unsigned char *>(ciphertext.data()) + total, &length);
    total += length;
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag.data());
    EVP_CIPHER_CTX_free(ctx);
    ciphertext.truncate(total);
    return iv + tag + ciphertext;
}

} // namespace McpProxy::Test
