#include "auth/store/tokencipher.h"

#include <QtTest/QTest>

using namespace McpProxy;

namespace {

QByteArray key(char fill)
{
    return QByteArray(TokenCipher::KeySize, fill);
}

const QByteArray Context = QByteArrayLiteral("tokens/v1/0123456789abcdef0123456789abcdef.bin");

} // namespace

class tst_TokenCipher : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void roundTrip_data();
    void roundTrip();
    void layout();
    void freshNoncePerSeal();
    void tamperedByteFails();
    void wrongKeyFails();
    void wrongContextFails();
    void truncatedFails();
    void badKeySizeRefused();
    void generateKey();
    void openGcmRaw();
    void cleanse();
};

void tst_TokenCipher::roundTrip_data()
{
    QTest::addColumn<QByteArray>("plaintext");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("one byte") << QByteArray("x");
    QTest::newRow("json") << QByteArray("{\"accessToken\":\"at-123\",\"refreshToken\":\"rt-456\"}");
    // Larger than any buffer OpenSSL might use internally.
    QByteArray large(4 * 1024 * 1024 + 3, Qt::Uninitialized);
    for (qsizetype i = 0; i < large.size(); ++i)
        large[i] = char(i * 31 + 7);
    QTest::newRow("large") << large;
}

void tst_TokenCipher::roundTrip()
{
    QFETCH(QByteArray, plaintext);
    const std::optional<QByteArray> blob = TokenCipher::seal(key('k'), plaintext, Context);
    QVERIFY(blob);
    QCOMPARE(blob->size(), plaintext.size() + TokenCipher::Overhead);
    const std::optional<QByteArray> opened = TokenCipher::open(key('k'), *blob, Context);
    QVERIFY(opened);
    QCOMPARE(*opened, plaintext);
    if (plaintext.size() >= 8)
        QVERIFY(!blob->contains(plaintext.left(8)));
}

void tst_TokenCipher::layout()
{
    // The layout: "MCPT" | 0x01 | nonce 12 | ciphertext | tag 16 (overhead 33).
    const std::optional<QByteArray> blob = TokenCipher::seal(key('k'), "hello", Context);
    QVERIFY(blob);
    QCOMPARE(TokenCipher::Overhead, 33);
    QCOMPARE(blob->size(), 5 + 33);
    QVERIFY(blob->startsWith("MCPT"));
    QCOMPARE(blob->at(4), char(1));
}

void tst_TokenCipher::freshNoncePerSeal()
{
    const std::optional<QByteArray> a = TokenCipher::seal(key('k'), "same", Context);
    const std::optional<QByteArray> b = TokenCipher::seal(key('k'), "same", Context);
    QVERIFY(a && b);
    QVERIFY(a->mid(5, 12) != b->mid(5, 12));
    QVERIFY(*a != *b);
}

void tst_TokenCipher::tamperedByteFails()
{
    const QByteArray plaintext = "the refresh token";
    const std::optional<QByteArray> blob = TokenCipher::seal(key('k'), plaintext, Context);
    QVERIFY(blob);
    // Every byte: magic, version, nonce, ciphertext and tag.
    for (qsizetype i = 0; i < blob->size(); ++i) {
        QByteArray tampered = *blob;
        tampered[i] = char(tampered.at(i) ^ 0x01);
        QVERIFY2(!TokenCipher::open(key('k'), tampered, Context), qPrintable(QString::number(i)));
    }
    // An appended byte shifts the tag.
    QVERIFY(!TokenCipher::open(key('k'), QByteArray(*blob + 'x'), Context));
}

void tst_TokenCipher::wrongKeyFails()
{
    const std::optional<QByteArray> blob = TokenCipher::seal(key('k'), "secret", Context);
    QVERIFY(blob);
    QVERIFY(!TokenCipher::open(key('K'), *blob, Context));
    QByteArray almost = key('k');
    almost[31] = 'j';
    QVERIFY(!TokenCipher::open(almost, *blob, Context));
}

void tst_TokenCipher::wrongContextFails()
{
    const std::optional<QByteArray> blob = TokenCipher::seal(key('k'), "secret", Context);
    QVERIFY(blob);
    // A blob moved to another entry (another file name) does not open.
    QVERIFY(!TokenCipher::open(key('k'), *blob, "tokens/v1/ffffffffffffffffffffffffffffffff.bin"));
    QVERIFY(!TokenCipher::open(key('k'), *blob, QByteArray()));
    QVERIFY(!TokenCipher::open(key('k'), *blob, QByteArray(Context + 'x')));
    QVERIFY(TokenCipher::open(key('k'), *blob, Context));
}

void tst_TokenCipher::truncatedFails()
{
    const std::optional<QByteArray> blob = TokenCipher::seal(key('k'), "secret", Context);
    QVERIFY(blob);
    for (qsizetype size = 0; size < blob->size(); ++size)
        QVERIFY2(!TokenCipher::open(key('k'), blob->left(size), Context),
                qPrintable(QString::number(size)));
    // The empty plaintext's blob has no ciphertext: 33 bytes open, 32 do not.
    const std::optional<QByteArray> empty = TokenCipher::seal(key('k'), QByteArray(), Context);
    QVERIFY(empty);
    QCOMPARE(empty->size(), TokenCipher::Overhead);
    QVERIFY(TokenCipher::open(key('k'), *empty, Context));
    QVERIFY(!TokenCipher::open(key('k'), empty->chopped(1), Context));
}

void tst_TokenCipher::badKeySizeRefused()
{
    QVERIFY(!TokenCipher::seal(QByteArray(16, 'k'), "x", Context));
    QVERIFY(!TokenCipher::seal(QByteArray(), "x", Context));
    const std::optional<QByteArray> blob = TokenCipher::seal(key('k'), "x", Context);
    QVERIFY(blob);
    QVERIFY(!TokenCipher::open(key('k').left(31), *blob, Context));
    QVERIFY(!TokenCipher::open(QByteArray(key('k') + 'k'), *blob, Context));
}

void tst_TokenCipher::generateKey()
{
    const QByteArray a = TokenCipher::generateKey();
    const QByteArray b = TokenCipher::generateKey();
    QCOMPARE(a.size(), TokenCipher::KeySize);
    QCOMPARE(b.size(), TokenCipher::KeySize);
    QVERIFY(a != b);
}

void tst_TokenCipher::openGcmRaw()
{
    // A TokenCipher blob taken apart and opened with the raw function and the full AAD.
    const std::optional<QByteArray> blob = TokenCipher::seal(key('k'), "raw", Context);
    QVERIFY(blob);
    const QByteArray aad = QByteArray("MCPT") + char(1) + Context;
    const std::optional<QByteArray> opened = TokenCipher::openGcm(
            key('k'), blob->mid(5, 12), aad, blob->mid(17, blob->size() - 33), blob->right(16));
    QVERIFY(opened);
    QCOMPARE(*opened, QByteArray("raw"));
    QVERIFY(!TokenCipher::openGcm(key('k'), blob->mid(5, 12), QByteArray(),
            blob->mid(17, blob->size() - 33), blob->right(16)));
    QVERIFY(!TokenCipher::openGcm(
            key('k'), blob->mid(5, 11), aad, blob->mid(17, blob->size() - 33), blob->right(16)));
}

void tst_TokenCipher::cleanse()
{
    QByteArray secret("a secret value");
    QByteArray shared = secret;
    TokenCipher::cleanse(shared);
    QVERIFY(shared.isEmpty());
    QCOMPARE(secret, QByteArray("a secret value")); // the other owner keeps its copy
    TokenCipher::cleanse(secret);
    QVERIFY(secret.isEmpty());
}

QTEST_GUILESS_MAIN(tst_TokenCipher)
#include "tst_tokencipher.moc"
