#include "auth/store/tokencipher.h"

#include "crypto/opensslhandles.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>
#include <limits>
#include <memory>

namespace McpProxy {

namespace {

constexpr char Magic[4] = {'M', 'C', 'P', 'T'};

bool fitsInt(QByteArrayView bytes)
{
    return bytes.size() <= std::numeric_limits<int>::max() - TokenCipher::Overhead;
}

const unsigned char *bytesOf(QByteArrayView bytes)
{
    return reinterpret_cast<const unsigned char *>(bytes.data());
}

QByteArray additionalData(QByteArrayView context)
{
    QByteArray aad;
    aad.reserve(TokenCipher::HeaderSize + context.size());
    aad.append(Magic, sizeof(Magic));
    aad.append(TokenCipher::Version);
    aad.append(context);
    return aad;
}

} // namespace

std::optional<QByteArray> TokenCipher::seal(
        QByteArrayView key, QByteArrayView plaintext, QByteArrayView context)
{
    if (key.size() != KeySize || !fitsInt(plaintext) || !fitsInt(context))
        return std::nullopt;
    QByteArray nonce(NonceSize, Qt::Uninitialized);
    if (RAND_bytes(reinterpret_cast<unsigned char *>(nonce.data()), NonceSize) != 1)
        return std::nullopt;

    // OpenSSL's EVP AEAD order: init with the cipher, set the IV length, then key and nonce.
    const EvpCipherContextPointer ctx(EVP_CIPHER_CTX_new());
    if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1
            || EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, NonceSize, nullptr) != 1
            || EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, bytesOf(key), bytesOf(nonce)) != 1)
        return std::nullopt;

    const QByteArray aad = additionalData(context);
    int length = 0;
    if (EVP_EncryptUpdate(ctx.get(), nullptr, &length, bytesOf(aad), int(aad.size())) != 1)
        return std::nullopt;

    QByteArray blob(Overhead + plaintext.size(), Qt::Uninitialized);
    char *out = blob.data();
    memcpy(out, Magic, sizeof(Magic));
    out[4] = Version;
    memcpy(out + HeaderSize, nonce.constData(), NonceSize);
    auto *cipherOut = reinterpret_cast<unsigned char *>(out + HeaderSize + NonceSize);
    int written = 0;
    if (!plaintext.isEmpty()) {
        if (EVP_EncryptUpdate(
                    ctx.get(), cipherOut, &length, bytesOf(plaintext), int(plaintext.size()))
                != 1)
            return std::nullopt;
        written = length;
    }
    if (EVP_EncryptFinal_ex(ctx.get(), cipherOut + written, &length) != 1)
        return std::nullopt;
    written += length;
    if (written != plaintext.size())
        return std::nullopt;
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, TagSize, cipherOut + written) != 1)
        return std::nullopt;
    return blob;
}

std::optional<QByteArray> TokenCipher::open(
        QByteArrayView key, QByteArrayView blob, QByteArrayView context)
{
    if (blob.size() < Overhead || memcmp(blob.data(), Magic, sizeof(Magic)) != 0
            || blob.at(4) != Version || !fitsInt(context))
        return std::nullopt;
    const QByteArrayView nonce = blob.sliced(HeaderSize, NonceSize);
    const QByteArrayView ciphertext = blob.sliced(HeaderSize + NonceSize, blob.size() - Overhead);
    const QByteArrayView tag = blob.last(TagSize);
    return openGcm(key, nonce, additionalData(context), ciphertext, tag);
}

std::optional<QByteArray> TokenCipher::openGcm(QByteArrayView key, QByteArrayView iv,
        QByteArrayView aad, QByteArrayView ciphertext, QByteArrayView tag)
{
    if (key.size() != KeySize || iv.size() != NonceSize || tag.size() != TagSize
            || !fitsInt(ciphertext) || !fitsInt(aad))
        return std::nullopt;
    const EvpCipherContextPointer ctx(EVP_CIPHER_CTX_new());
    if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1
            || EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, NonceSize, nullptr) != 1
            || EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, bytesOf(key), bytesOf(iv)) != 1)
        return std::nullopt;
    int length = 0;
    if (!aad.isEmpty()
            && EVP_DecryptUpdate(ctx.get(), nullptr, &length, bytesOf(aad), int(aad.size())) != 1)
        return std::nullopt;

    // One spare byte so data() is never a shared empty buffer.
    QByteArray plaintext(ciphertext.size() + 1, Qt::Uninitialized);
    auto *out = reinterpret_cast<unsigned char *>(plaintext.data());
    int written = 0;
    bool ok = true;
    if (!ciphertext.isEmpty()) {
        ok = EVP_DecryptUpdate(ctx.get(), out, &length, bytesOf(ciphertext), int(ciphertext.size()))
                == 1;
        written = length;
    }
    // EVP_CTRL_GCM_SET_TAG takes a non-const pointer; OpenSSL copies the tag.
    QByteArray tagCopy = tag.toByteArray();
    ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, TagSize, tagCopy.data()) == 1;
    // A return other than 1 from the final step: the tag does not match (tampered, wrong key,
    // wrong AAD).
    ok = ok && EVP_DecryptFinal_ex(ctx.get(), out + written, &length) == 1;
    if (ok)
        written += length;
    if (!ok || written != ciphertext.size()) {
        cleanse(plaintext);
        return std::nullopt;
    }
    plaintext.truncate(written);
    return plaintext;
}

QByteArray TokenCipher::generateKey()
{
    QByteArray key(KeySize, Qt::Uninitialized);
    if (RAND_bytes(reinterpret_cast<unsigned char *>(key.data()), KeySize) != 1)
        return QByteArray();
    return key;
}

void TokenCipher::cleanse(QByteArray &bytes)
{
    // A shared buffer still belongs to another QByteArray: only drop our reference then
    // (data() would detach and copy the secret once more).
    if (!bytes.isEmpty() && bytes.isDetached())
        OPENSSL_cleanse(bytes.data(), size_t(bytes.size()));
    bytes.clear();
}

} // namespace McpProxy
