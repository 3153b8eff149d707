#include "transport/requestheaders.h"

#include <QtCore/QJsonDocument>
#include <QtTest/QTest>

using namespace McpProxy;
using namespace Qt::StringLiterals;

namespace {

QJsonObject object(const QByteArray &json)
{
    return QJsonDocument::fromJson(json).object();
}

// "Name: value" lines, in order.
QByteArrayList render(const RequestHeaders::Headers &headers)
{
    QByteArrayList lines;
    for (const auto &[name, value] : headers)
        lines.append(name + ": " + value);
    return lines;
}

} // namespace

class tst_RequestHeaders : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void encodeValue_data();
    void encodeValue();
    void encodeArgument_data();
    void encodeArgument();
    void toolParameters_data();
    void toolParameters();
    void forRequest_data();
    void forRequest();
};

void tst_RequestHeaders::encodeValue_data()
{
    QTest::addColumn<QString>("value");
    QTest::addColumn<QByteArray>("encoded");
    // basic/transports/streamable-http, "Value Encoding" examples
    QTest::newRow("plain") << u"us-west1"_s << "us-west1"_ba;
    QTest::newRow("internal space") << u"a b"_s << "a b"_ba;
    QTest::newRow("non-ASCII") << u"Hello, 世界"_s << "=?base64?SGVsbG8sIOS4lueVjA==?="_ba;
    QTest::newRow("padded") << u" padded "_s << "=?base64?IHBhZGRlZCA=?="_ba;
    QTest::newRow("leading space") << u" a"_s << "=?base64?IGE=?="_ba;
    QTest::newRow("newline") << u"line1\nline2"_s << "=?base64?bGluZTEKbGluZTI=?="_ba;
    QTest::newRow("tab") << u"\tx"_s << "=?base64?CXg=?="_ba;
    QTest::newRow("sentinel look-alike")
            << u"=?base64?literal?="_s << "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?="_ba;
    QTest::newRow("empty") << QString() << QByteArray();
}

void tst_RequestHeaders::encodeValue()
{
    QFETCH(QString, value);
    QFETCH(QByteArray, encoded);
    QCOMPARE(RequestHeaders::encodeValue(value), encoded);
}

void tst_RequestHeaders::encodeArgument_data()
{
    QTest::addColumn<QByteArray>("json"); // {"v": …}
    QTest::addColumn<bool>("present");
    QTest::addColumn<QByteArray>("encoded");
    QTest::newRow("string") << R"({"v":"x"})"_ba << true << "x"_ba;
    QTest::newRow("integer") << R"({"v":42})"_ba << true << "42"_ba;
    QTest::newRow("negative") << R"({"v":-7})"_ba << true << "-7"_ba;
    QTest::newRow("true") << R"({"v":true})"_ba << true << "true"_ba;
    QTest::newRow("false") << R"({"v":false})"_ba << true << "false"_ba;
    QTest::newRow("null") << R"({"v":null})"_ba << false << QByteArray();
    QTest::newRow("absent") << R"({})"_ba << false << QByteArray();
    QTest::newRow("fraction") << R"({"v":1.5})"_ba << false << QByteArray();
    QTest::newRow("unsafe integer") << R"({"v":9007199254740993})"_ba << false << QByteArray();
    QTest::newRow("object") << R"({"v":{}})"_ba << false << QByteArray();
}

void tst_RequestHeaders::encodeArgument()
{
    QFETCH(QByteArray, json);
    QFETCH(bool, present);
    QFETCH(QByteArray, encoded);
    const auto result = RequestHeaders::encodeArgument(object(json).value("v"_L1));
    QCOMPARE(result.has_value(), present);
    if (present)
        QCOMPARE(*result, encoded);
}

void tst_RequestHeaders::toolParameters_data()
{
    QTest::addColumn<QByteArray>("schema");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QByteArrayList>("headers"); // "Header=path.to.value"

    QTest::newRow("none") << R"({"type":"object","properties":{"q":{"type":"string"}}})"_ba << true
                          << QByteArrayList();
    QTest::newRow("one") << R"({"type":"object","properties":{"region":{"type":"string","x-mcp-header":"Region"}}})"_ba
                         << true << QByteArrayList{"Mcp-Param-Region=region"};
    QTest::newRow("nested through properties")
            << R"({"type":"object","properties":{"a":{"type":"object","properties":{"b":{"type":"integer","x-mcp-header":"B"}}},"c":{"type":"boolean","x-mcp-header":"C"}}})"_ba
            << true << QByteArrayList{"Mcp-Param-B=a.b", "Mcp-Param-C=c"};
    QTest::newRow("empty name")
            << R"({"properties":{"v":{"type":"string","x-mcp-header":""}}})"_ba << false
            << QByteArrayList();
    QTest::newRow("object type")
            << R"({"properties":{"v":{"type":"object","x-mcp-header":"V"}}})"_ba << false
            << QByteArrayList();
    QTest::newRow("array type")
            << R"({"properties":{"v":{"type":"array","items":{"type":"string"},"x-mcp-header":"V"}}})"_ba
            << false << QByteArrayList();
    QTest::newRow("null type") << R"({"properties":{"v":{"type":"null","x-mcp-header":"V"}}})"_ba
                               << false << QByteArrayList();
    QTest::newRow("number type")
            << R"({"properties":{"v":{"type":"number","x-mcp-header":"V"}}})"_ba << false
            << QByteArrayList();
    QTest::newRow("duplicate")
            << R"({"properties":{"a":{"type":"string","x-mcp-header":"R"},"b":{"type":"string","x-mcp-header":"R"}}})"_ba
            << false << QByteArrayList();
    QTest::newRow("duplicate, other case")
            << R"({"properties":{"a":{"type":"string","x-mcp-header":"MyField"},"b":{"type":"string","x-mcp-header":"myfield"}}})"_ba
            << false << QByteArrayList();
    QTest::newRow("space") << R"({"properties":{"v":{"type":"string","x-mcp-header":"My Region"}}})"_ba
                           << false << QByteArrayList();
    QTest::newRow("colon")
            << R"({"properties":{"v":{"type":"string","x-mcp-header":"Region:Primary"}}})"_ba
            << false << QByteArrayList();
    QTest::newRow("non-ASCII")
            << R"({"properties":{"v":{"type":"string","x-mcp-header":"Région"}}})"_ba << false
            << QByteArrayList();
    QTest::newRow("control character")
            << "{\"properties\":{\"v\":{\"type\":\"string\",\"x-mcp-header\":\"Region\\t1\"}}}"_ba
            << false << QByteArrayList();
    QTest::newRow("under items")
            << R"({"properties":{"list":{"type":"array","items":{"type":"object","properties":{"v":{"type":"string","x-mcp-header":"V"}}}}}})"_ba
            << false << QByteArrayList();
    QTest::newRow("under anyOf")
            << R"({"properties":{"v":{"anyOf":[{"type":"string","x-mcp-header":"V"}]}}})"_ba << false
            << QByteArrayList();
    QTest::newRow("in $defs")
            << R"({"$defs":{"d":{"type":"string","x-mcp-header":"D"}},"properties":{"v":{"$ref":"#/$defs/d"}}})"_ba
            << false << QByteArrayList();
    QTest::newRow("on the root") << R"({"type":"string","x-mcp-header":"Root"})"_ba << false
                                 << QByteArrayList();
    QTest::newRow("no type") << R"({"properties":{"v":{"x-mcp-header":"V"}}})"_ba << false
                             << QByteArrayList();
}

void tst_RequestHeaders::toolParameters()
{
    QFETCH(QByteArray, schema);
    QFETCH(bool, valid);
    QFETCH(QByteArrayList, headers);
    QString reason;
    const RequestHeaders::ToolParameters parameters =
            RequestHeaders::toolParameters(QJsonValue(object(schema)), &reason);
    QCOMPARE(reason.isEmpty(), valid);
    QByteArrayList rendered;
    for (const RequestHeaders::ToolParameter &parameter : parameters)
        rendered.append(parameter.header + '=' + parameter.path.join(u'.').toUtf8());
    std::sort(rendered.begin(), rendered.end());
    QCOMPARE(rendered, headers);
}

void tst_RequestHeaders::forRequest_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<QByteArrayList>("headers");

    QTest::newRow("tools/list")
            << R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})"_ba
            << QByteArrayList{"MCP-Protocol-Version: 2026-07-28", "Mcp-Method: tools/list"};
    QTest::newRow("tools/call with params")
            << R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"execute_sql","arguments":{"region":"us-west1","n":3,"flag":null}}})"_ba
            << QByteArrayList{"MCP-Protocol-Version: 2026-07-28", "Mcp-Method: tools/call",
                       "Mcp-Name: execute_sql", "Mcp-Param-Region: us-west1",
                       "Mcp-Param-N: 3"};
    QTest::newRow("tools/call of another tool")
            << R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"other","arguments":{"region":"x"}}})"_ba
            << QByteArrayList{"MCP-Protocol-Version: 2026-07-28", "Mcp-Method: tools/call",
                       "Mcp-Name: other"};
    QTest::newRow("resources/read")
            << R"({"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"file:///a%20b.txt"}})"_ba
            << QByteArrayList{"MCP-Protocol-Version: 2026-07-28", "Mcp-Method: resources/read",
                       "Mcp-Name: file:///a%20b.txt"};
    QTest::newRow("prompts/get, non-ASCII name")
            << R"({"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"é"}})"_ba
            << QByteArrayList{"MCP-Protocol-Version: 2026-07-28", "Mcp-Method: prompts/get",
                       "Mcp-Name: =?base64?w6k=?="};
}

void tst_RequestHeaders::forRequest()
{
    QFETCH(QByteArray, request);
    QFETCH(QByteArrayList, headers);
    const auto catalogue = [](const QString &tool) {
        if (tool != "execute_sql"_L1)
            return RequestHeaders::ToolParameters();
        return RequestHeaders::ToolParameters{{"Mcp-Param-Region"_ba, {u"region"_s}},
                {"Mcp-Param-N"_ba, {u"n"_s}}, {"Mcp-Param-Flag"_ba, {u"flag"_s}},
                {"Mcp-Param-Missing"_ba, {u"missing"_s}}};
    };
    QCOMPARE(render(RequestHeaders::forRequest(object(request), u"2026-07-28"_s, catalogue)),
            headers);
}

QTEST_GUILESS_MAIN(tst_RequestHeaders)
#include "tst_requestheaders.moc"
