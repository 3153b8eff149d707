#include "auth/protocol/pkce.h"

#include <QtCore/QSet>
#include <QtTest/QTest>

#include <functional>

using namespace McpProxy;

namespace {

// RFC 7636 section 4.1: unreserved characters only; base64url needs just ALPHA, DIGIT, "-" and "_".
bool isBase64UrlWithoutPadding(const QByteArray &value)
{
    for (const char c : value) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '-' || c == '_';
        if (!ok)
            return false;
    }
    return true;
}

} // namespace

Q_DECLARE_METATYPE(std::function<QByteArray()>)

class tst_Pkce : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void codeChallengeS256_data();
    void codeChallengeS256();
    void randomValues_data();
    void randomValues();
};

void tst_Pkce::codeChallengeS256_data()
{
    QTest::addColumn<QByteArray>("verifier");
    QTest::addColumn<QByteArray>("challenge");

    QTest::newRow("rfc 7636 appendix b")
            << QByteArray("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
            << QByteArray("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    // SHA-256 of the empty string, e3b0c442…b855, in base64url without padding.
    QTest::newRow("empty verifier")
            << QByteArray() << QByteArray("47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
}

void tst_Pkce::codeChallengeS256()
{
    QFETCH(QByteArray, verifier);
    QFETCH(QByteArray, challenge);
    QCOMPARE(Pkce::codeChallengeS256(verifier), challenge);
}

void tst_Pkce::randomValues_data()
{
    QTest::addColumn<std::function<QByteArray()>>("create");

    QTest::newRow("code verifier") << std::function<QByteArray()>(&Pkce::createCodeVerifier);
    QTest::newRow("state") << std::function<QByteArray()>(&Pkce::createState);
}

void tst_Pkce::randomValues()
{
    QFETCH(std::function<QByteArray()>, create);

    constexpr int Count = 200;
    QSet<QByteArray> seen;
    for (int i = 0; i < Count; ++i) {
        const QByteArray value = create();
        // RFC 7636 section 4.1: 43..128 characters; 32 bytes of entropy give exactly 43.
        QCOMPARE(value.size(), 43);
        QVERIFY(isBase64UrlWithoutPadding(value));
        seen.insert(value);
    }
    QCOMPARE(seen.size(), Count);
}

QTEST_APPLESS_MAIN(tst_Pkce)
#include "tst_pkce.moc"
