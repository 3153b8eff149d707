#include "auth/protocol/clientassertion.h"

#include "crypto/opensslhandles.h"

#include <QtCore/QDateTime>
#include <QtCore/QHash>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtTest/QTest>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <map>
#include <memory>

using namespace McpProxy;
using namespace Qt::StringLiterals;

namespace {

constexpr qint64 FixedNow = 1764072000; // 2025-11-25T12:00:00Z
constexpr QByteArray::Base64Options Base64Url =
        QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;

enum class PemFormat { Pkcs8, Traditional, Encrypted };

QByteArray toPem(EVP_PKEY *key, PemFormat format)
{
    const BioPointer bio(BIO_new(BIO_s_mem()));
    char passphrase[] = "test passphrase";
    int written = 0;
    switch (format) {
    case PemFormat::Pkcs8:
        written = PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
        break;
    case PemFormat::Traditional:
        written = PEM_write_bio_PrivateKey_traditional(
                bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
        break;
    case PemFormat::Encrypted:
        written = PEM_write_bio_PrivateKey(
                bio.get(), key, EVP_aes_256_cbc(), nullptr, 0, nullptr, passphrase);
        break;
    }
    if (written != 1)
        return QByteArray();
    char *data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return QByteArray(data, qsizetype(size));
}

std::optional<QByteArray> fromBase64Url(const QByteArray &text)
{
    if (text.contains('=') || text.contains('+') || text.contains('/'))
        return std::nullopt; // RFC 7515 section 2: base64url without padding
    auto result = QByteArray::fromBase64Encoding(
            text, QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
    if (!result)
        return std::nullopt;
    return *result;
}

// RFC 7518 section 3.4: R || S back to the DER ECDSA-Sig-Value OpenSSL verifies.
QByteArray rawToDer(const QByteArray &raw)
{
    if (raw.size() != 64)
        return QByteArray();
    const auto *bytes = reinterpret_cast<const unsigned char *>(raw.constData());
    ECDSA_SIG *signature = ECDSA_SIG_new();
    ECDSA_SIG_set0(signature, BN_bin2bn(bytes, 32, nullptr), BN_bin2bn(bytes + 32, 32, nullptr));
    unsigned char *der = nullptr;
    const int length = i2d_ECDSA_SIG(signature, &der);
    QByteArray result(reinterpret_cast<const char *>(der), length);
    OPENSSL_free(der);
    ECDSA_SIG_free(signature);
    return result;
}

bool verify(EVP_PKEY *key, const QByteArray &signingInput, const QByteArray &signature)
{
    const EvpMdContextPointer context(EVP_MD_CTX_new());
    const bool ok = EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha256(), nullptr, key) == 1
            && EVP_DigestVerify(context.get(),
                       reinterpret_cast<const unsigned char *>(signature.constData()),
                       size_t(signature.size()),
                       reinterpret_cast<const unsigned char *>(signingInput.constData()),
                       size_t(signingInput.size()))
                    == 1;
    ERR_clear_error();
    return ok;
}

} // namespace

class tst_ClientAssertion : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void createAndVerify_data();
    void createAndVerify();
    void tamperedAssertionDoesNotVerify();
    void freshJwtIdAndCurrentTime();
    void errors_data();
    void errors();
    void signingAlgorithmForKey_data();
    void signingAlgorithmForKey();

private:
    std::map<QString, EvpPkeyPointer> m_keys;
    QHash<QString, QByteArray> m_pems;
};

void tst_ClientAssertion::initTestCase()
{
    m_keys[u"p256"_s] = EvpPkeyPointer(EVP_EC_gen("P-256"));
    m_keys[u"p384"_s] = EvpPkeyPointer(EVP_EC_gen("P-384"));
    m_keys[u"rsa2048"_s] = EvpPkeyPointer(EVP_RSA_gen(2048));
    m_keys[u"rsa1024"_s] = EvpPkeyPointer(EVP_RSA_gen(1024));
    m_keys[u"ed25519"_s] = EvpPkeyPointer(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    for (const auto &[name, key] : m_keys) {
        QVERIFY2(key, qPrintable(name));
        m_pems[name] = toPem(key.get(), PemFormat::Pkcs8);
        QVERIFY(!m_pems[name].isEmpty());
    }
    m_pems[u"p256 traditional"_s] = toPem(m_keys[u"p256"_s].get(), PemFormat::Traditional);
    m_pems[u"rsa2048 traditional"_s] = toPem(m_keys[u"rsa2048"_s].get(), PemFormat::Traditional);
    m_pems[u"p256 encrypted"_s] = toPem(m_keys[u"p256"_s].get(), PemFormat::Encrypted);
    QVERIFY(m_pems[u"p256 traditional"_s].startsWith("-----BEGIN EC PRIVATE KEY-----"));
    QVERIFY(m_pems[u"rsa2048 traditional"_s].startsWith("-----BEGIN RSA PRIVATE KEY-----"));
    QVERIFY(m_pems[u"p256 encrypted"_s].startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    m_pems[u"garbage"_s] =
            "-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n"_ba;
    m_pems[u"empty"_s] = QByteArray();
    m_pems[u"truncated p256"_s] = m_pems[u"p256"_s].left(m_pems[u"p256"_s].size() / 2);
}

void tst_ClientAssertion::createAndVerify_data()
{
    QTest::addColumn<QString>("pem");
    QTest::addColumn<QString>("verificationKey");
    QTest::addColumn<QString>("algorithm");
    QTest::addColumn<QString>("expectedAlgorithm");

    QTest::newRow("es256 picked from a p-256 key")
            << u"p256"_s << u"p256"_s << QString() << u"ES256"_s;
    QTest::newRow("es256 requested") << u"p256"_s << u"p256"_s << u"ES256"_s << u"ES256"_s;
    QTest::newRow("es256 from a sec1 pem")
            << u"p256 traditional"_s << u"p256"_s << u"ES256"_s << u"ES256"_s;
    QTest::newRow("rs256 picked from an rsa key")
            << u"rsa2048"_s << u"rsa2048"_s << QString() << u"RS256"_s;
    QTest::newRow("rs256 requested") << u"rsa2048"_s << u"rsa2048"_s << u"RS256"_s << u"RS256"_s;
    QTest::newRow("rs256 from a pkcs1 pem")
            << u"rsa2048 traditional"_s << u"rsa2048"_s << QString() << u"RS256"_s;
}

void tst_ClientAssertion::createAndVerify()
{
    QFETCH(QString, pem);
    QFETCH(QString, verificationKey);
    QFETCH(QString, algorithm);
    QFETCH(QString, expectedAlgorithm);

    ClientAssertionInput input;
    input.privateKeyPem = m_pems.value(pem);
    input.algorithm = algorithm;
    input.clientId = u"https://app.example.com/client.json"_s;
    input.audience = u"https://auth.example.com"_s;
    input.nowSeconds = FixedNow;
    input.lifetimeSeconds = 120;

    QString error;
    const std::optional<QByteArray> assertion = createClientAssertion(input, &error);
    QVERIFY2(assertion, qPrintable(error));

    const QByteArrayList parts = assertion->split('.');
    QCOMPARE(parts.size(), 3);
    const std::optional<QByteArray> header = fromBase64Url(parts.at(0));
    const std::optional<QByteArray> payload = fromBase64Url(parts.at(1));
    const std::optional<QByteArray> signature = fromBase64Url(parts.at(2));
    QVERIFY(header && payload && signature);

    // RFC 7515 section 4.1
    const QJsonObject headerObject = QJsonDocument::fromJson(*header).object();
    QCOMPARE(headerObject.size(), 2);
    QCOMPARE(headerObject.value("alg"_L1).toString(), expectedAlgorithm);
    QCOMPARE(headerObject.value("typ"_L1).toString(), u"JWT"_s);

    // RFC 7523 section 3
    const QJsonObject claims = QJsonDocument::fromJson(*payload).object();
    QCOMPARE(claims.size(), 6);
    QCOMPARE(claims.value("iss"_L1).toString(), input.clientId);
    QCOMPARE(claims.value("sub"_L1).toString(), input.clientId);
    QCOMPARE(claims.value("aud"_L1).toString(), input.audience);
    QCOMPARE(claims.value("iat"_L1).toInteger(), FixedNow);
    QCOMPARE(claims.value("exp"_L1).toInteger(), FixedNow + 120);
    QVERIFY(payload->contains("\"iat\":1764072000")); // an integer, not 1.764072e+09
    const QByteArray jwtId = claims.value("jti"_L1).toString().toLatin1();
    QCOMPARE(jwtId.size(), 22); // 16 bytes, base64url
    QCOMPARE(fromBase64Url(jwtId).value_or(QByteArray()).size(), 16);

    const QByteArray signingInput = parts.at(0) + '.' + parts.at(1);
    EVP_PKEY *key = m_keys.at(verificationKey).get();
    if (expectedAlgorithm == "ES256"_L1) {
        QCOMPARE(signature->size(), 64); // RFC 7518 section 3.4
        QVERIFY(verify(key, signingInput, rawToDer(*signature)));
    } else {
        QCOMPARE(signature->size(), 256); // 2048-bit modulus
        QVERIFY(verify(key, signingInput, *signature));
    }
}

void tst_ClientAssertion::tamperedAssertionDoesNotVerify()
{
    ClientAssertionInput input;
    input.privateKeyPem = m_pems.value(u"p256"_s);
    input.clientId = u"client"_s;
    input.audience = u"https://auth.example.com"_s;
    input.nowSeconds = FixedNow;
    const std::optional<QByteArray> assertion = createClientAssertion(input, nullptr);
    QVERIFY(assertion);
    const QByteArrayList parts = assertion->split('.');
    QCOMPARE(parts.size(), 3);
    const QByteArray signature = rawToDer(fromBase64Url(parts.at(2)).value_or(QByteArray()));
    QVERIFY(verify(m_keys.at(u"p256"_s).get(), parts.at(0) + '.' + parts.at(1), signature));

    QJsonObject claims = QJsonDocument::fromJson(*fromBase64Url(parts.at(1))).object();
    claims.insert(u"aud"_s, u"https://evil.example.com"_s);
    const QByteArray forged =
            QJsonDocument(claims).toJson(QJsonDocument::Compact).toBase64(Base64Url);
    QVERIFY(!verify(m_keys.at(u"p256"_s).get(), parts.at(0) + '.' + forged, signature));
    QVERIFY(!verify(m_keys.at(u"p384"_s).get(), parts.at(0) + '.' + parts.at(1), signature));
}

void tst_ClientAssertion::freshJwtIdAndCurrentTime()
{
    ClientAssertionInput input;
    input.privateKeyPem = m_pems.value(u"p256"_s);
    input.clientId = u"client"_s;
    input.audience = u"https://auth.example.com/token"_s;

    const qint64 before = QDateTime::currentSecsSinceEpoch();
    const std::optional<QByteArray> first = createClientAssertion(input, nullptr);
    const std::optional<QByteArray> second = createClientAssertion(input, nullptr);
    const qint64 after = QDateTime::currentSecsSinceEpoch();
    QVERIFY(first && second);

    const auto claimsOf = [](const QByteArray &assertion) {
        return QJsonDocument::fromJson(
                fromBase64Url(assertion.split('.').value(1)).value_or(QByteArray()))
                .object();
    };
    const QJsonObject firstClaims = claimsOf(*first);
    const QJsonObject secondClaims = claimsOf(*second);
    QVERIFY(firstClaims.value("jti"_L1).toString() != secondClaims.value("jti"_L1).toString());
    const qint64 issuedAt = firstClaims.value("iat"_L1).toInteger();
    QVERIFY(issuedAt >= before && issuedAt <= after);
    QCOMPARE(firstClaims.value("exp"_L1).toInteger(), issuedAt + 300);
}

void tst_ClientAssertion::errors_data()
{
    QTest::addColumn<QString>("pem");
    QTest::addColumn<QString>("algorithm");
    QTest::addColumn<QString>("clientId");
    QTest::addColumn<int>("lifetime");
    QTest::addColumn<QString>("errorPart");

    QTest::newRow("es256 requested with an rsa key")
            << u"rsa2048"_s << u"ES256"_s << u"c"_s << 300 << u"does not match"_s;
    QTest::newRow("rs256 requested with an ec key")
            << u"p256"_s << u"RS256"_s << u"c"_s << 300 << u"does not match"_s;
    QTest::newRow("p-384 key for es256") << u"p384"_s << u"ES256"_s << u"c"_s << 300 << u"P-256"_s;
    QTest::newRow("p-384 key without algorithm")
            << u"p384"_s << QString() << u"c"_s << 300 << u"P-256"_s;
    QTest::newRow("rsa key below 2048 bits")
            << u"rsa1024"_s << QString() << u"c"_s << 300 << u"2048"_s;
    QTest::newRow("ed25519 key") << u"ed25519"_s << QString() << u"c"_s << 300
                                 << u"unsupported key type"_s;
    QTest::newRow("garbage pem") << u"garbage"_s << QString() << u"c"_s << 300 << u"PEM"_s;
    QTest::newRow("empty pem") << u"empty"_s << QString() << u"c"_s << 300 << u"PEM"_s;
    QTest::newRow("truncated pem") << u"truncated p256"_s << QString() << u"c"_s << 300 << u"PEM"_s;
    QTest::newRow("encrypted pem is refused without a prompt")
            << u"p256 encrypted"_s << QString() << u"c"_s << 300 << u"unencrypted"_s;
    QTest::newRow("hs256 is not supported") << u"p256"_s << u"HS256"_s << u"c"_s << 300
                                            << u"unsupported client assertion algorithm"_s;
    QTest::newRow("algorithm names are case-sensitive")
            << u"p256"_s << u"es256"_s << u"c"_s << 300
            << u"unsupported client assertion algorithm"_s;
    QTest::newRow("empty client id")
            << u"p256"_s << QString() << QString() << 300 << u"client ID"_s;
    QTest::newRow("zero lifetime") << u"p256"_s << QString() << u"c"_s << 0 << u"lifetime"_s;
}

void tst_ClientAssertion::errors()
{
    QFETCH(QString, pem);
    QFETCH(QString, algorithm);
    QFETCH(QString, clientId);
    QFETCH(int, lifetime);
    QFETCH(QString, errorPart);

    ClientAssertionInput input;
    input.privateKeyPem = m_pems.value(pem);
    input.algorithm = algorithm;
    input.clientId = clientId;
    input.audience = u"https://auth.example.com"_s;
    input.nowSeconds = FixedNow;
    input.lifetimeSeconds = lifetime;

    QString error;
    QVERIFY(!createClientAssertion(input, &error));
    QVERIFY2(error.contains(errorPart), qPrintable(error));
    QVERIFY(!error.contains(u"PRIVATE KEY"_s));
    QCOMPARE(ERR_peek_error(), 0ul); // nothing left on OpenSSL's error queue
}

void tst_ClientAssertion::signingAlgorithmForKey_data()
{
    QTest::addColumn<QString>("pem");
    QTest::addColumn<QString>("expected");

    QTest::newRow("p-256") << u"p256"_s << u"ES256"_s;
    QTest::newRow("p-256 sec1") << u"p256 traditional"_s << u"ES256"_s;
    QTest::newRow("rsa 2048") << u"rsa2048"_s << u"RS256"_s;
    QTest::newRow("rsa 2048 pkcs1") << u"rsa2048 traditional"_s << u"RS256"_s;
    QTest::newRow("p-384") << u"p384"_s << QString();
    QTest::newRow("rsa 1024") << u"rsa1024"_s << QString();
    QTest::newRow("ed25519") << u"ed25519"_s << QString();
    QTest::newRow("encrypted") << u"p256 encrypted"_s << QString();
    QTest::newRow("garbage") << u"garbage"_s << QString();
    QTest::newRow("empty") << u"empty"_s << QString();
}

void tst_ClientAssertion::signingAlgorithmForKey()
{
    QFETCH(QString, pem);
    QFETCH(QString, expected);
    QCOMPARE(McpProxy::signingAlgorithmForKey(m_pems.value(pem)), expected);
}

QTEST_APPLESS_MAIN(tst_ClientAssertion)
#include "tst_clientassertion.moc"
