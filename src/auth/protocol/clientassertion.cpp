#include "auth/protocol/clientassertion.h"

#include "crypto/opensslhandles.h"

#include <QtCore/QDateTime>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QRandomGenerator>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include <array>
#include <climits>
#include <memory>

using namespace Qt::StringLiterals;

namespace McpProxy {

namespace {

constexpr auto Es256 = "ES256"_L1;
constexpr auto Rs256 = "RS256"_L1;
constexpr int MinimumRsaBits = 2048; // RFC 7518 section 3.3
constexpr int P256CoordinateSize = 32; // RFC 7518 section 3.4

constexpr QByteArray::Base64Options Base64Url =
        QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;

void setError(QString *error, const QString &text)
{
    if (error)
        *error = text;
}

// Encrypted PEM files are not supported; without this callback OpenSSL would prompt on the
// terminal, which is the MCP client's stdin.
int refusePassphrase(char * /*buffer*/, int /*size*/, int /*rwflag*/, void * /*userData*/)
{
    return -1;
}

EvpPkeyPointer readPrivateKey(const QByteArray &pem)
{
    if (pem.isEmpty() || pem.size() > INT_MAX)
        return nullptr;
    const BioPointer bio(BIO_new_mem_buf(pem.constData(), int(pem.size())));
    if (!bio)
        return nullptr;
    EvpPkeyPointer key(PEM_read_bio_PrivateKey(bio.get(), nullptr, refusePassphrase, nullptr));
    ERR_clear_error(); // keep the thread's OpenSSL error queue clean for Qt's TLS backend
    return key;
}

// The algorithm the key supports, or an empty string and *problem.
QString algorithmForKey(EVP_PKEY *key, QString *problem)
{
    if (EVP_PKEY_is_a(key, "RSA")) {
        const int bits = EVP_PKEY_get_bits(key);
        if (bits < MinimumRsaBits) {
            *problem = u"the RSA key has %1 bits, RS256 needs at least %2"_s.arg(bits).arg(
                    MinimumRsaBits);
            return QString();
        }
        return Rs256;
    }
    if (EVP_PKEY_is_a(key, "EC")) {
        std::array<char, 80> group = {};
        size_t length = 0;
        if (EVP_PKEY_get_utf8_string_param(
                    key, OSSL_PKEY_PARAM_GROUP_NAME, group.data(), group.size(), &length)
                != 1) {
            ERR_clear_error();
            *problem = u"the EC key has no named curve, ES256 needs P-256"_s;
            return QString();
        }
        if (OBJ_txt2nid(group.data()) != NID_X9_62_prime256v1) {
            ERR_clear_error();
            *problem = u"the EC key is on curve %1, ES256 needs P-256"_s.arg(
                    QString::fromLatin1(group.data()));
            return QString();
        }
        return Es256;
    }
    *problem = u"unsupported key type (ES256 needs a P-256 EC key, RS256 an RSA key)"_s;
    return QString();
}

// JWS signature (RFC 7515 section 5.1) with SHA-256; ECDSA's DER signature becomes R || S, each
// left-padded to 32 bytes (RFC 7518 section 3.4).
std::optional<QByteArray> sign(EVP_PKEY *key, const QByteArray &signingInput, bool ecdsa)
{
    const EvpMdContextPointer context(EVP_MD_CTX_new());
    size_t length = 0;
    const auto *data = reinterpret_cast<const unsigned char *>(signingInput.constData());
    const auto size = size_t(signingInput.size());
    if (!context || EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, key) != 1
            || EVP_DigestSign(context.get(), nullptr, &length, data, size) != 1) {
        ERR_clear_error();
        return std::nullopt;
    }
    QByteArray signature(qsizetype(length), Qt::Uninitialized);
    if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char *>(signature.data()), &length,
                data, size)
            != 1) {
        ERR_clear_error();
        return std::nullopt;
    }
    signature.truncate(qsizetype(length));
    if (!ecdsa)
        return signature;

    const auto *der = reinterpret_cast<const unsigned char *>(signature.constData());
    const EcdsaSigPointer parsed(d2i_ECDSA_SIG(nullptr, &der, long(signature.size())));
    if (!parsed) {
        ERR_clear_error();
        return std::nullopt;
    }
    const BIGNUM *r = nullptr;
    const BIGNUM *s = nullptr;
    ECDSA_SIG_get0(parsed.get(), &r, &s);
    QByteArray raw(2 * P256CoordinateSize, '\0');
    auto *out = reinterpret_cast<unsigned char *>(raw.data());
    if (BN_bn2binpad(r, out, P256CoordinateSize) != P256CoordinateSize
            || BN_bn2binpad(s, out + P256CoordinateSize, P256CoordinateSize)
                    != P256CoordinateSize) {
        ERR_clear_error();
        return std::nullopt;
    }
    return raw;
}

QByteArray randomJwtId()
{
    std::array<quint32, 4> words{}; // 128 bits
    QRandomGenerator::system()->fillRange(words.data(), words.size());
    return QByteArray(
            reinterpret_cast<const char *>(words.data()), qsizetype(words.size() * sizeof(quint32)))
            .toBase64(Base64Url);
}

} // namespace

std::optional<QByteArray> createClientAssertion(const ClientAssertionInput &input, QString *error)
{
    if (input.clientId.isEmpty() || input.audience.isEmpty()) {
        setError(error, u"a client assertion needs a client ID and an audience"_s);
        return std::nullopt;
    }
    if (input.lifetimeSeconds <= 0) {
        setError(error, u"the client assertion lifetime must be positive"_s);
        return std::nullopt;
    }
    if (!input.algorithm.isEmpty() && input.algorithm != Es256 && input.algorithm != Rs256) {
        setError(error,
                u"unsupported client assertion algorithm \"%1\" (ES256 or RS256)"_s.arg(
                        input.algorithm));
        return std::nullopt;
    }
    const EvpPkeyPointer key = readPrivateKey(input.privateKeyPem);
    if (!key) {
        setError(error, u"the private key is not an unencrypted PEM private key"_s);
        return std::nullopt;
    }
    QString problem;
    const QString keyAlgorithm = algorithmForKey(key.get(), &problem);
    if (keyAlgorithm.isEmpty()) {
        setError(error, problem);
        return std::nullopt;
    }
    if (!input.algorithm.isEmpty() && input.algorithm != keyAlgorithm) {
        setError(error,
                u"algorithm %1 does not match the private key (which needs %2)"_s.arg(
                        input.algorithm, keyAlgorithm));
        return std::nullopt;
    }

    // RFC 7523 section 3 claims; OpenID Connect Core section 9 adds jti.
    const qint64 now =
            input.nowSeconds != 0 ? input.nowSeconds : QDateTime::currentSecsSinceEpoch();
    const QJsonObject header{{u"alg"_s, keyAlgorithm}, {u"typ"_s, u"JWT"_s}};
    const QJsonObject payload{
            {u"iss"_s, input.clientId},
            {u"sub"_s, input.clientId},
            {u"aud"_s, input.audience},
            {u"jti"_s, QString::fromLatin1(randomJwtId())},
            {u"iat"_s, now},
            {u"exp"_s, now + input.lifetimeSeconds},
    };
    const QByteArray signingInput =
            QJsonDocument(header).toJson(QJsonDocument::Compact).toBase64(Base64Url) + '.'
            + QJsonDocument(payload).toJson(QJsonDocument::Compact).toBase64(Base64Url);
    const std::optional<QByteArray> signature =
            sign(key.get(), signingInput, keyAlgorithm == Es256);
    if (!signature) {
        setError(error, u"signing the client assertion failed"_s);
        return std::nullopt;
    }
    return signingInput + '.' + signature->toBase64(Base64Url);
}

QString signingAlgorithmForKey(const QByteArray &privateKeyPem)
{
    const EvpPkeyPointer key = readPrivateKey(privateKeyPem);
    if (!key)
        return QString();
    QString problem;
    return algorithmForKey(key.get(), &problem);
}

} // namespace McpProxy
