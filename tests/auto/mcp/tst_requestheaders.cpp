#include "mcp/requestheaders.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtTest/QTest>

Q_DECLARE_METATYPE(McpProxy::HttpHeaderField)

using namespace McpProxy;
using namespace Qt::StringLiterals;

namespace {

// What every header value built by src/mcp must be: visible ASCII and inner spaces only.
bool isSafeFieldValue(const QByteArray &value)
{
    if (value.isEmpty() || value.startsWith(' ') || value.endsWith(' '))
        return false;
    for (const char c : value) {
        if (uchar(c) < 0x20 || uchar(c) > 0x7E)
            return false;
    }
    return true;
}

QByteArray decodeSentinel(const QByteArray &value)
{
    if (!value.startsWith("=?base64?") || !value.endsWith("?="))
        return value;
    return QByteArray::fromBase64(value.mid(9, value.size() - 11));
}

QJsonObject object(const QByteArray &json)
{
    return QJsonDocument::fromJson(json).object();
}

} // namespace

class tst_RequestHeaders : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void isToken_data();
    void isToken();
    void encodeValue_data();
    void encodeValue();
    void encodeHugeValue();
    void argumentText_data();
    void argumentText();
    void build_data();
    void build();
    void nameSource();
};

void tst_RequestHeaders::isToken_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("token");

    QTest::newRow("plain") << u"Region"_s << true;
    QTest::newRow("every tchar") << u"!#$%&'*+-.^_`|~09AZaz"_s << true;
    QTest::newRow("empty") << QString() << false;
    QTest::newRow("space") << u"My Region"_s << false;
    QTest::newRow("colon") << u"Region:Primary"_s << false;
    QTest::newRow("non-ASCII") << u"Région"_s << false;
    QTest::newRow("tab") << u"Region\t1"_s << false;
    QTest::newRow("CRLF injection") << u"A\r\nX-Evil: 1"_s << false;
    QTest::newRow("NUL") << QString(QChar(0)) << false;
    QTest::newRow("DEL") << QString(QChar(0x7F)) << false;
    for (const char c : QByteArray("\"(),/;<=>?@[\\]{}")) {
        QTest::addRow("delimiter %c", c) << QString(QLatin1Char(c)) << false;
    }
}

void tst_RequestHeaders::isToken()
{
    QFETCH(QString, name);
    QFETCH(bool, token);
    QCOMPARE(McpHeaderEncoding::isToken(name), token);
}

void tst_RequestHeaders::encodeValue_data()
{
    QTest::addColumn<QString>("value");
    QTest::addColumn<QByteArray>("encoded");

    // The examples of MCP 2026-07-28 streamable-http "Value Encoding".
    QTest::newRow("plain ASCII") << u"us-west1"_s << "us-west1"_ba;
    QTest::newRow("non-ASCII") << u"Hello, 世界"_s << "=?base64?SGVsbG8sIOS4lueVjA==?="_ba;
    QTest::newRow("leading/trailing spaces") << u" padded "_s << "=?base64?IHBhZGRlZCA=?="_ba;
    QTest::newRow("newline") << u"line1\nline2"_s << "=?base64?bGluZTEKbGluZTI=?="_ba;
    QTest::newRow("sentinel look-alike")
            << u"=?base64?literal?="_s << "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?="_ba;

    QTest::newRow("inner spaces") << u"us west 1"_s << "us west 1"_ba;
    QTest::newRow("leading space") << u" us-west1"_s << "=?base64?IHVzLXdlc3Qx?="_ba;
    QTest::newRow("trailing space") << u"us-west1 "_s << "=?base64?dXMtd2VzdDEg?="_ba;
    QTest::newRow("empty") << QString() << "=?base64?\?="_ba;
    QTest::newRow("tab") << u"\tx"_s << "=?base64?CXg=?="_ba;
    QTest::newRow("inner tab") << u"a\tb"_s << "=?base64?YQli?="_ba;
    QTest::newRow("CRLF injection") << u"x\r\nX-Evil: 1"_s << "=?base64?eA0KWC1FdmlsOiAx?="_ba;
    QTest::newRow("NUL") << QString(QChar(0)) << "=?base64?AA==?="_ba;
    QTest::newRow("DEL") << QString(QChar(0x7F)) << "=?base64?fw==?="_ba;
    QTest::newRow("prefix only") << u"=?base64?"_s << "=?base64?"_ba;
    QTest::newRow("suffix only") << u"abc?="_s << "abc?="_ba;
    QTest::newRow("URI") << u"file:///projects/myapp/config.json"_s
                         << "file:///projects/myapp/config.json"_ba;
}

void tst_RequestHeaders::encodeValue()
{
    QFETCH(QString, value);
    QFETCH(QByteArray, encoded);
    const QByteArray actual = McpHeaderEncoding::encodeValue(value);
    QCOMPARE(actual, encoded);
    QVERIFY(isSafeFieldValue(actual));
    QCOMPARE(QString::fromUtf8(decodeSentinel(actual)), value);
}

void tst_RequestHeaders::encodeHugeValue()
{
    QString value;
    for (int i = 0; i < 100000; ++i)
        value += u"\r\n世界 "_s;
    const QByteArray encoded = McpHeaderEncoding::encodeValue(value);
    QVERIFY(isSafeFieldValue(encoded));
    QCOMPARE(QString::fromUtf8(decodeSentinel(encoded)), value);

    // A lone surrogate cannot be UTF-8; whatever QString::toUtf8() makes of it is still encoded.
    const QByteArray lone = McpHeaderEncoding::encodeValue(QString(QChar(0xD800)));
    QVERIFY(lone.startsWith("=?base64?"));
    QVERIFY(isSafeFieldValue(lone));
}

void tst_RequestHeaders::argumentText_data()
{
    QTest::addColumn<QJsonValue>("value");
    QTest::addColumn<QString>("text"); // null: no header

    QTest::newRow("string") << QJsonValue(u"us-west1"_s) << u"us-west1"_s;
    QTest::newRow("empty string") << QJsonValue(QString(u""_s)) << u""_s;
    QTest::newRow("true") << QJsonValue(true) << u"true"_s;
    QTest::newRow("false") << QJsonValue(false) << u"false"_s;
    QTest::newRow("integer") << QJsonValue(42) << u"42"_s;
    QTest::newRow("negative") << QJsonValue(-7) << u"-7"_s;
    QTest::newRow("zero") << QJsonValue(0) << u"0"_s;
    QTest::newRow("negative zero") << QJsonValue(-0.0) << u"0"_s;
    QTest::newRow("integral double") << QJsonValue(42.0) << u"42"_s;
    QTest::newRow("max safe") << QJsonValue(9007199254740991.0) << u"9007199254740991"_s;
    QTest::newRow("min safe") << QJsonValue(-9007199254740991.0) << u"-9007199254740991"_s;
    QTest::newRow("beyond safe") << QJsonValue(9007199254740992.0) << QString();
    QTest::newRow("qint64 beyond safe") << QJsonValue(qint64(1) << 60) << QString();
    QTest::newRow("huge") << QJsonValue(1e300) << QString();
    QTest::newRow("fraction") << QJsonValue(3.14159) << u"3.14159"_s;
    QTest::newRow("tenth") << QJsonValue(0.1) << u"0.1"_s;
    QTest::newRow("null") << QJsonValue(QJsonValue::Null) << QString();
    QTest::newRow("undefined") << QJsonValue(QJsonValue::Undefined) << QString();
    QTest::newRow("object") << QJsonValue(QJsonObject{{u"a"_s, 1}}) << QString();
    QTest::newRow("array") << QJsonValue(QJsonArray{1, 2}) << QString();
}

void tst_RequestHeaders::argumentText()
{
    QFETCH(QJsonValue, value);
    QFETCH(QString, text);
    const QString actual = McpHeaderEncoding::argumentText(value);
    QCOMPARE(actual.isNull(), text.isNull());
    QCOMPARE(actual, text);
}

void tst_RequestHeaders::build_data()
{
    QTest::addColumn<QString>("method");
    QTest::addColumn<QByteArray>("params");
    QTest::addColumn<HttpHeaderFields>("paramHeaders");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<HttpHeaderFields>("fields");

    const HttpHeaderFields none;
    QTest::newRow("tools/call") << u"tools/call"_s << R"({"name":"get_weather","arguments":{}})"_ba
                                << none << true
                                << HttpHeaderFields{{"Mcp-Method", "tools/call"},
                                           {"Mcp-Name", "get_weather"}};
    QTest::newRow("resources/read")
            << u"resources/read"_s << R"({"uri":"file:///projects/myapp/config.json"})"_ba << none
            << true
            << HttpHeaderFields{{"Mcp-Method", "resources/read"},
                       {"Mcp-Name", "file:///projects/myapp/config.json"}};
    QTest::newRow("prompts/get") << u"prompts/get"_s
                                 << R"({"name":"greeting","arguments":{"a":"b"}})"_ba << none
                                 << true
                                 << HttpHeaderFields{{"Mcp-Method", "prompts/get"},
                                            {"Mcp-Name", "greeting"}};
    QTest::newRow("tools/list") << u"tools/list"_s << R"({"cursor":"x"})"_ba << none << true
                                << HttpHeaderFields{{"Mcp-Method", "tools/list"}};
    QTest::newRow("resources/read with name only")
            << u"resources/read"_s << R"({"name":"x"})"_ba << none << true
            << HttpHeaderFields{{"Mcp-Method", "resources/read"}};
    QTest::newRow("tools/call without name") << u"tools/call"_s << R"({})"_ba << none << true
                                             << HttpHeaderFields{{"Mcp-Method", "tools/call"}};
    QTest::newRow("tools/call with number name")
            << u"tools/call"_s << R"({"name":7})"_ba << none << true
            << HttpHeaderFields{{"Mcp-Method", "tools/call"}};
    QTest::newRow("non-ASCII tool name")
            << u"tools/call"_s << R"({"name":"météo"})"_ba << none << true
            << HttpHeaderFields{
                       {"Mcp-Method", "tools/call"}, {"Mcp-Name", "=?base64?bcOpdMOpbw==?="}};
    QTest::newRow("tool name with CRLF")
            << u"tools/call"_s << R"({"name":"a\r\nX-Evil: 1"})"_ba << none << true
            << HttpHeaderFields{
                       {"Mcp-Method", "tools/call"}, {"Mcp-Name", "=?base64?YQ0KWC1FdmlsOiAx?="}};
    QTest::newRow("with Mcp-Param fields")
            << u"tools/call"_s << R"({"name":"t"})"_ba
            << HttpHeaderFields{{"Mcp-Param-Region", "us-west1"}, {"Mcp-Param-Priority", "42"}}
            << true
            << HttpHeaderFields{{"Mcp-Method", "tools/call"}, {"Mcp-Name", "t"},
                       {"Mcp-Param-Region", "us-west1"}, {"Mcp-Param-Priority", "42"}};
    QTest::newRow("method with CRLF")
            << u"tools/list\r\nX-Evil: 1"_s << "{}"_ba << none << false << none;
    QTest::newRow("method with NUL")
            << QString(u"ping"_s + QChar(0)) << "{}"_ba << none << false << none;
    QTest::newRow("non-ASCII method") << u"outils/liste-é"_s << "{}"_ba << none << false << none;
    QTest::newRow("empty method") << QString() << "{}"_ba << none << false << none;
    QTest::newRow("method with spaces around") << u" ping"_s << "{}"_ba << none << false << none;
}

void tst_RequestHeaders::build()
{
    QFETCH(QString, method);
    QFETCH(QByteArray, params);
    QFETCH(HttpHeaderFields, paramHeaders);
    QFETCH(bool, valid);
    QFETCH(HttpHeaderFields, fields);

    const RequestHeaders headers = RequestHeaders::build(method, object(params), paramHeaders);
    QCOMPARE(headers.isValid(), valid);
    QCOMPARE(headers.error() == RequestHeaders::Error::None, valid);
    QCOMPARE(headers.errorMessage().isEmpty(), valid);
    QCOMPARE(headers.fields().size(), fields.size());
    for (int i = 0; i < fields.size(); ++i) {
        QCOMPARE(headers.fields().at(i).name, fields.at(i).name);
        QCOMPARE(headers.fields().at(i).value, fields.at(i).value);
        QVERIFY(isSafeFieldValue(headers.fields().at(i).value));
    }
}

void tst_RequestHeaders::nameSource()
{
    QCOMPARE(RequestHeaders::nameSource(u"tools/call"_s), u"name"_s);
    QCOMPARE(RequestHeaders::nameSource(u"prompts/get"_s), u"name"_s);
    QCOMPARE(RequestHeaders::nameSource(u"resources/read"_s), u"uri"_s);
    QVERIFY(RequestHeaders::nameSource(u"tools/list"_s).isEmpty());
    QVERIFY(RequestHeaders::nameSource(u"Tools/Call"_s).isEmpty());
}

QTEST_GUILESS_MAIN(tst_RequestHeaders)
#include "tst_requestheaders.moc"
