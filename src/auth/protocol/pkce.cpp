#include "auth/protocol/pkce.h"

#include <QtCore/QCryptographicHash>
#include <QtCore/QRandomGenerator>

#include <array>

namespace McpProxy::Pkce {

namespace {

constexpr QByteArray::Base64Options Base64Url =
        QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;

// 32 bytes (256 bits) from the operating system's CSPRNG, base64url: 43 characters of the
// RFC 7636 section 4.1 unreserved set.
QByteArray randomBase64Url()
{
    std::array<quint32, 8> words{};
    QRandomGenerator::system()->fillRange(words.data(), words.size());
    const QByteArray bytes(reinterpret_cast<const char *>(words.data()),
            qsizetype(words.size() * sizeof(quint32)));
    return bytes.toBase64(Base64Url);
}

} // namespace

QByteArray createCodeVerifier()
{
    return randomBase64Url();
}

QByteArray codeChallengeS256(QByteArrayView verifier)
{
    return QCryptographicHash::hash(verifier, QCryptographicHash::Sha256).toBase64(Base64Url);
}

QByteArray createState()
{
    return randomBase64Url();
}

} // namespace McpProxy::Pkce
