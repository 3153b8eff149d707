#include "auth/protocol/formencoding.h"

#include <QtTest/QTest>

using namespace McpProxy;
using namespace Qt::StringLiterals;

class tst_FormEncoding : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void formEncode_data();
    void formEncode();
    void basicAuthorization_data();
    void basicAuthorization();
};

void tst_FormEncoding::formEncode_data()
{
    QTest::addColumn<FormFields>("fields");
    QTest::addColumn<QByteArray>("expected");

    QTest::newRow("no fields") << FormFields() << QByteArray();
    QTest::newRow("unreserved kept") << FormFields{{u"a"_s, u"AZaz09-._~"_s}} << "a=AZaz09-._~"_ba;
    QTest::newRow("space as plus") << FormFields{{u"scope"_s, u"files:read files:write"_s}}
                                   << "scope=files%3Aread+files%3Awrite"_ba;
    QTest::newRow("plus survives") << FormFields{{u"refresh_token"_s, u"RT+with/plus=="_s}}
                                   << "refresh_token=RT%2Bwith%2Fplus%3D%3D"_ba;
    QTest::newRow("percent survives") << FormFields{{u"v"_s, u"100%41"_s}} << "v=100%2541"_ba;
    QTest::newRow("ampersand and equals")
            << FormFields{{u"k&=1"_s, u"a&b=c"_s}} << "k%26%3D1=a%26b%3Dc"_ba;
    // The sample of docs/qt-notes.md "Parameter encoding": QUrlQuery keeps "+" and decodes "%41".
    QTest::newRow("Qt 6.4 QUrlQuery sample") << FormFields{{u"v"_s, u"a b&c=d+e%41#f/g?h"_s}}
                                             << "v=a+b%26c%3Dd%2Be%2541%23f%2Fg%3Fh"_ba;
    QTest::newRow("redirect uri") << FormFields{{u"redirect_uri"_s,
            u"http://127.0.0.1:33418/callback"_s}}
                                  << "redirect_uri=http%3A%2F%2F127.0.0.1%3A33418%2Fcallback"_ba;
    QTest::newRow("unicode as utf-8 bytes")
            << FormFields{{u"name"_s, u"café ☃ 𝄞"_s}} << "name=caf%C3%A9+%E2%98%83+%F0%9D%84%9E"_ba;
    QTest::newRow("star and other sub-delims encoded")
            << FormFields{{u"v"_s, u"*!'()"_s}} << "v=%2A%21%27%28%29"_ba;
    QTest::newRow("control characters")
            << FormFields{{u"v"_s, u"a\r\n\tb"_s}} << "v=a%0D%0A%09b"_ba;
    QTest::newRow("empty value") << FormFields{{u"scope"_s, QString()}} << "scope="_ba;
    QTest::newRow("empty name and value") << FormFields{{QString(), QString()}} << "="_ba;
    QTest::newRow("order kept, duplicates kept")
            << FormFields{{u"grant_type"_s, u"authorization_code"_s},
                       {u"resource"_s, u"https://mcp.example.com/mcp"_s},
                       {u"resource"_s, u"https://b.example"_s},
                       {u"code_verifier"_s, u"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"_s}}
            << "grant_type=authorization_code&resource=https%3A%2F%2Fmcp.example.com%2Fmcp"
               "&resource=https%3A%2F%2Fb.example"
               "&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"_ba;
    QTest::newRow("empty fields between others")
            << FormFields{{u"a"_s, QString()}, {u"b"_s, u" "_s}, {u"c"_s, QString()}}
            << "a=&b=+&c="_ba;
}

void tst_FormEncoding::formEncode()
{
    QFETCH(FormFields, fields);
    QFETCH(QByteArray, expected);
    QCOMPARE(McpProxy::formEncode(fields), expected);
}

void tst_FormEncoding::basicAuthorization_data()
{
    QTest::addColumn<QString>("clientId");
    QTest::addColumn<QString>("clientSecret");
    QTest::addColumn<QByteArray>("expected");

    QTest::newRow("rfc 6749 §2.3.1 example")
            << u"s6BhdRkqt3"_s << u"7Fjfp0ZBr1KtDRbnfVdmIw"_s
            << "Basic czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3"_ba;
    // base64("client%3A1:p%40ss+word%2B%25"): a ":" in the id cannot split the pair.
    QTest::newRow("colon, at, space, plus and percent")
            << u"client:1"_s << u"p@ss word+%"_s
            << "Basic Y2xpZW50JTNBMTpwJTQwc3Mrd29yZCUyQiUyNQ=="_ba;
    QTest::newRow("empty secret") << u"mcp-proxy"_s << QString() << "Basic bWNwLXByb3h5Og=="_ba;
    QTest::newRow("unicode") << u"ünï"_s << u"s€c/=&"_s
                             << "Basic JUMzJUJDbiVDMyVBRjpzJUUyJTgyJUFDYyUyRiUzRCUyNg=="_ba;
}

void tst_FormEncoding::basicAuthorization()
{
    QFETCH(QString, clientId);
    QFETCH(QString, clientSecret);
    QFETCH(QByteArray, expected);
    QCOMPARE(McpProxy::basicAuthorization(clientId, clientSecret), expected);
}

QTEST_APPLESS_MAIN(tst_FormEncoding)
#include "tst_formencoding.moc"
