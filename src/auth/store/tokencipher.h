#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QByteArrayView>

#include <optional>

namespace McpProxy {

// AES-256-GCM sealing of token store entries (docs/qt-notes.md), with
// OpenSSL EVP. Pure: no state, no I/O.
//   blob = "MCPT" | version (1 byte) | nonce (12 random bytes) | ciphertext | tag (16 bytes)
//   AAD  = "MCPT" | version | context
// The context (e.g. the canonical entry key) is authenticated but not stored: a blob opened with
// another context (moved to another entry) fails like a tampered one.
class TokenCipher
{
public:
    static constexpr int KeySize = 32;
    static constexpr int NonceSize = 12;
    static constexpr int TagSize = 16;
    static constexpr char Version = 1;
    static constexpr int HeaderSize = 4 + 1; // magic + version
    static constexpr int Overhead = HeaderSize + NonceSize + TagSize;

    // nullopt when the key is not KeySize bytes or OpenSSL fails.
    static std::optional<QByteArray> seal(
            QByteArrayView key, QByteArrayView plaintext, QByteArrayView context);
    // nullopt when the blob is not ours (magic, version, size), was tampered with, or the key or
    // the context differ. Nothing of a failed decryption is returned (the buffer is cleansed).
    static std::optional<QByteArray> open(
            QByteArrayView key, QByteArrayView blob, QByteArrayView context);

    // Raw AES-256-GCM decryption (12-byte IV, 16-byte tag), for other layouts (the reference's
    // cache files: IV | tag | ciphertext, no AAD).
    static std::optional<QByteArray> openGcm(QByteArrayView key, QByteArrayView iv,
            QByteArrayView aad, QByteArrayView ciphertext, QByteArrayView tag);

    // KeySize bytes from OpenSSL's CSPRNG (RAND_bytes); empty on failure.
    static QByteArray generateKey();
    // OPENSSL_cleanse the bytes when this QByteArray is their only owner, then clear.
    static void cleanse(QByteArray &bytes);
};

} // namespace McpProxy
