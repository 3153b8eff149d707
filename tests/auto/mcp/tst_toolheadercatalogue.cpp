#include "mcp/toolheadercatalogue.h"

#include <QtCore/QElapsedTimer>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtTest/QTest>

Q_DECLARE_METATYPE(McpProxy::HttpHeaderField)

using namespace McpProxy;
using namespace Qt::StringLiterals;

namespace {

QJsonObject object(const QByteArray &json)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError)
        qFatal("bad test JSON: %s", qPrintable(error.errorString()));
    return document.object();
}

// A tool whose inputSchema is `schema`.
QJsonObject tool(const QString &name, const QJsonObject &schema)
{
    return QJsonObject{{u"name"_s, name}, {u"inputSchema"_s, schema}};
}

QJsonObject schemaWith(const QByteArray &properties)
{
    return object(R"({"type":"object","properties":)" + properties + "}");
}

QStringList toolNames(const QJsonObject &result)
{
    QStringList names;
    for (const QJsonValue &entry : result.value(u"tools"_s).toArray())
        names.append(entry.toObject().value(u"name"_s).toString());
    return names;
}

// The tools of the conformance scenario http-invalid-tool-headers (MCP conformance 0.2.0).
QJsonObject conformanceInvalidToolsPage()
{
    return object(R"({"resultType":"complete","nextCursor":"page2","tools":[
 {"name":"valid_tool","inputSchema":{"type":"object","properties":{"region":{"type":"string","x-mcp-header":"Region"}}}},
 {"name":"invalid_empty_header","inputSchema":{"type":"object","properties":{"value":{"type":"string","x-mcp-header":""}}}},
 {"name":"invalid_object_header","inputSchema":{"type":"object","properties":{"data":{"type":"object","x-mcp-header":"Data"}}}},
 {"name":"invalid_array_header","inputSchema":{"type":"object","properties":{"items":{"type":"array","items":{"type":"string"},"x-mcp-header":"Items"}}}},
 {"name":"invalid_null_header","inputSchema":{"type":"object","properties":{"nil":{"type":"null","x-mcp-header":"Nil"}}}},
 {"name":"invalid_number_header","inputSchema":{"type":"object","properties":{"score":{"type":"number","x-mcp-header":"Score"}}}},
 {"name":"invalid_duplicate_same_case","inputSchema":{"type":"object","properties":{"field1":{"type":"string","x-mcp-header":"Region"},"field2":{"type":"string","x-mcp-header":"Region"}}}},
 {"name":"invalid_duplicate_diff_case","inputSchema":{"type":"object","properties":{"field1":{"type":"string","x-mcp-header":"MyField"},"field2":{"type":"string","x-mcp-header":"myfield"}}}},
 {"name":"invalid_space_in_name","inputSchema":{"type":"object","properties":{"value":{"type":"string","x-mcp-header":"My Region"}}}},
 {"name":"invalid_colon_in_name","inputSchema":{"type":"object","properties":{"value":{"type":"string","x-mcp-header":"Region:Primary"}}}},
 {"name":"invalid_non_ascii_name","inputSchema":{"type":"object","properties":{"value":{"type":"string","x-mcp-header":"Région"}}}},
 {"name":"invalid_control_char_name","inputSchema":{"type":"object","properties":{"value":{"type":"string","x-mcp-header":"Region\t1"}}}}
]})");
}

// The annotated tool of the conformance scenario http-custom-headers.
QJsonObject customHeadersSchema()
{
    return object(R"({"type":"object","properties":{
 "region":{"type":"string","x-mcp-header":"Region"},
 "priority":{"type":"integer","x-mcp-header":"Priority"},
 "verbose":{"type":"boolean","x-mcp-header":"Verbose"},
 "debug":{"type":"boolean","x-mcp-header":"Debug"},
 "empty_val":{"type":"string","x-mcp-header":"EmptyVal"},
 "method_val":{"type":"string","x-mcp-header":"Method"},
 "float_val":{"type":"number"},
 "non_ascii_val":{"type":"string","x-mcp-header":"NonAscii"},
 "whitespace_val":{"type":"string","x-mcp-header":"Whitespace"},
 "crlf_val":{"type":"string","x-mcp-header":"CrLf"},
 "tab_val":{"type":"string","x-mcp-header":"Tab"},
 "query":{"type":"string"}},"required":["region","priority","query"]})");
}

} // namespace

class tst_ToolHeaderCatalogue : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void scan_data();
    void scan();
    void scanDeepSchema();
    void paramHeaders_data();
    void paramHeaders();
    void conformanceInvalidTools();
    void pagesAndReset();
    void entriesLeftAlone();
    void sameNameTwice();
    void requestHeaders();
    void thousandTools();
};

void tst_ToolHeaderCatalogue::scan_data()
{
    QTest::addColumn<QByteArray>("schema");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QStringList>("headerNames");
    QTest::addColumn<QStringList>("firstPath");

    const QStringList none;
    QTest::newRow("no declarations")
            << R"({"type":"object","properties":{"q":{"type":"string"}}})"_ba << true << none
            << none;
    QTest::newRow("empty schema") << "{}"_ba << true << none << none;
    QTest::newRow("string")
            << R"({"properties":{"r":{"type":"string","x-mcp-header":"Region"}}})"_ba << true
            << QStringList{u"Region"_s} << QStringList{u"r"_s};
    QTest::newRow("integer and boolean")
            << R"({"properties":{"a":{"type":"integer","x-mcp-header":"A"},"b":{"type":"boolean","x-mcp-header":"B"}}})"_ba
            << true << QStringList{u"A"_s, u"B"_s} << QStringList{u"a"_s};
    QTest::newRow("nested properties")
            << R"({"properties":{"outer":{"type":"object","properties":{"inner":{"type":"string","x-mcp-header":"Inner"}}}}})"_ba
            << true << QStringList{u"Inner"_s} << QStringList{u"outer"_s, u"inner"_s};
    QTest::newRow("property named x-mcp-header")
            << R"({"properties":{"x-mcp-header":{"type":"string"}}})"_ba << true << none << none;

    QTest::newRow("empty name") << R"({"properties":{"v":{"type":"string","x-mcp-header":""}}})"_ba
                                << false << none << none;
    QTest::newRow("name not a string")
            << R"({"properties":{"v":{"type":"string","x-mcp-header":42}}})"_ba << false << none
            << none;
    QTest::newRow("name null") << R"({"properties":{"v":{"type":"string","x-mcp-header":null}}})"_ba
                               << false << none << none;
    QTest::newRow("object type")
            << R"({"properties":{"v":{"type":"object","x-mcp-header":"V"}}})"_ba << false << none
            << none;
    QTest::newRow("array type") << R"({"properties":{"v":{"type":"array","x-mcp-header":"V"}}})"_ba
                                << false << none << none;
    QTest::newRow("null type") << R"({"properties":{"v":{"type":"null","x-mcp-header":"V"}}})"_ba
                               << false << none << none;
    QTest::newRow("number type")
            << R"({"properties":{"v":{"type":"number","x-mcp-header":"V"}}})"_ba << false << none
            << none;
    QTest::newRow("no type") << R"({"properties":{"v":{"x-mcp-header":"V"}}})"_ba << false << none
                             << none;
    QTest::newRow("type list")
            << R"({"properties":{"v":{"type":["string","null"],"x-mcp-header":"V"}}})"_ba << false
            << none << none;
    QTest::newRow("$ref property")
            << R"({"properties":{"v":{"$ref":"#/$defs/x","x-mcp-header":"V"}},"$defs":{"x":{"type":"string"}}})"_ba
            << false << none << none;
    QTest::newRow("duplicate")
            << R"({"properties":{"a":{"type":"string","x-mcp-header":"R"},"b":{"type":"string","x-mcp-header":"R"}}})"_ba
            << false << none << none;
    QTest::newRow("duplicate, other case")
            << R"({"properties":{"a":{"type":"string","x-mcp-header":"MyField"},"b":{"type":"string","x-mcp-header":"myfield"}}})"_ba
            << false << none << none;
    QTest::newRow("duplicate across nesting")
            << R"({"properties":{"a":{"type":"string","x-mcp-header":"R"},"o":{"properties":{"b":{"type":"string","x-mcp-header":"r"}}}}})"_ba
            << false << none << none;
    QTest::newRow("space")
            << R"({"properties":{"v":{"type":"string","x-mcp-header":"My Region"}}})"_ba << false
            << none << none;
    QTest::newRow("colon")
            << R"({"properties":{"v":{"type":"string","x-mcp-header":"Region:Primary"}}})"_ba
            << false << none << none;
    QTest::newRow("non-ASCII")
            << R"({"properties":{"v":{"type":"string","x-mcp-header":"Région"}}})"_ba << false
            << none << none;
    QTest::newRow("control character")
            << R"({"properties":{"v":{"type":"string","x-mcp-header":"Region\t1"}}})"_ba << false
            << none << none;
    QTest::newRow("CRLF injection")
            << R"({"properties":{"v":{"type":"string","x-mcp-header":"A\r\nX-Evil: 1"}}})"_ba
            << false << none << none;
    QTest::newRow("NUL") << R"({"properties":{"v":{"type":"string","x-mcp-header":"A\u0000B"}}})"_ba
                         << false << none << none;
    QTest::newRow("on the root") << R"({"type":"string","x-mcp-header":"Root"})"_ba << false << none
                                 << none;
    QTest::newRow("under items")
            << R"({"properties":{"l":{"type":"array","items":{"type":"string","x-mcp-header":"L"}}}})"_ba
            << false << none << none;
    QTest::newRow("under prefixItems")
            << R"({"properties":{"l":{"type":"array","prefixItems":[{"type":"string","x-mcp-header":"L"}]}}})"_ba
            << false << none << none;
    QTest::newRow("under additionalProperties")
            << R"({"additionalProperties":{"type":"string","x-mcp-header":"L"}})"_ba << false
            << none << none;
    QTest::newRow("under patternProperties")
            << R"({"patternProperties":{"^a":{"type":"string","x-mcp-header":"L"}}})"_ba << false
            << none << none;
    QTest::newRow("under oneOf")
            << R"({"oneOf":[{"properties":{"a":{"type":"string","x-mcp-header":"A"}}}]})"_ba
            << false << none << none;
    QTest::newRow("under anyOf in a property")
            << R"({"properties":{"a":{"anyOf":[{"type":"string","x-mcp-header":"A"}]}}})"_ba
            << false << none << none;
    QTest::newRow("under allOf")
            << R"({"allOf":[{"properties":{"a":{"type":"string","x-mcp-header":"A"}}}]})"_ba
            << false << none << none;
    QTest::newRow("under not")
            << R"({"not":{"properties":{"a":{"type":"string","x-mcp-header":"A"}}}})"_ba << false
            << none << none;
    QTest::newRow("under if/then/else")
            << R"({"if":{"type":"object"},"then":{"properties":{"a":{"type":"string","x-mcp-header":"A"}}}})"_ba
            << false << none << none;
    QTest::newRow("under $defs")
            << R"({"$defs":{"x":{"type":"string","x-mcp-header":"X"}},"properties":{"a":{"$ref":"#/$defs/x"}}})"_ba
            << false << none << none;
    QTest::newRow("under definitions")
            << R"({"definitions":{"x":{"type":"string","x-mcp-header":"X"}}})"_ba << false << none
            << none;
    QTest::newRow("under dependentSchemas")
            << R"({"dependentSchemas":{"a":{"properties":{"b":{"type":"string","x-mcp-header":"B"}}}}})"_ba
            << false << none << none;
    QTest::newRow("valid beside an invalid one")
            << R"({"properties":{"a":{"type":"string","x-mcp-header":"A"},"b":{"type":"number","x-mcp-header":"B"}}})"_ba
            << false << none << none;
}

void tst_ToolHeaderCatalogue::scan()
{
    QFETCH(QByteArray, schema);
    QFETCH(bool, valid);
    QFETCH(QStringList, headerNames);
    QFETCH(QStringList, firstPath);

    const ToolHeaderSchema result = ToolHeaderSchema::scan(object(schema));
    QCOMPARE(result.isValid(), valid);
    QCOMPARE(result.reason().isEmpty(), valid);
    QStringList names;
    for (const ToolHeaderDeclaration &declaration : result.declarations())
        names.append(declaration.headerName);
    names.sort();
    QCOMPARE(names, headerNames);
    if (!firstPath.isEmpty()) {
        bool found = false;
        for (const ToolHeaderDeclaration &declaration : result.declarations())
            found = found || declaration.path == firstPath;
        QVERIFY(found);
    }
    // A reason is one printable line, whatever the schema held.
    QVERIFY(!result.reason().contains(u'\n'));
    QVERIFY(!result.reason().contains(u'\r'));
    QVERIFY(!result.reason().contains(QChar(0)));
}

void tst_ToolHeaderCatalogue::scanDeepSchema()
{
    // Nesting through `properties` is allowed at any depth the walk accepts…
    QByteArray shallow = R"({"type":"string","x-mcp-header":"Deep"})";
    for (int i = 0; i < 20; ++i)
        shallow = R"({"type":"object","properties":{"p":)" + shallow + "}}";
    const ToolHeaderSchema ok = ToolHeaderSchema::scan(object(shallow));
    QVERIFY2(ok.isValid(), qPrintable(ok.reason()));
    QCOMPARE(ok.declarations().size(), 1);
    QCOMPARE(ok.declarations().first().path.size(), 20);

    // …and a hostile depth is refused quickly rather than walked.
    QByteArray deep = R"({"type":"string"})";
    for (int i = 0; i < 500; ++i)
        deep = R"({"properties":{"p":)" + deep + "}}";
    const ToolHeaderSchema refused = ToolHeaderSchema::scan(object(deep));
    QVERIFY(!refused.isValid());
}

void tst_ToolHeaderCatalogue::paramHeaders_data()
{
    QTest::addColumn<QByteArray>("arguments");
    QTest::addColumn<HttpHeaderFields>("fields");

    // The conformance scenario http-custom-headers' call, field by field.
    QTest::newRow("conformance call")
            << R"({"region":"us-west1","priority":42,"verbose":false,"debug":true,"empty_val":"",
                 "method_val":"test-method","float_val":3.14159,"non_ascii_val":"Hello, 世界",
                 "whitespace_val":" padded ","crlf_val":"line1\r\nline2","tab_val":"\tx","query":"q"})"_ba
            << HttpHeaderFields{{"Mcp-Param-Region", "us-west1"}, {"Mcp-Param-Priority", "42"},
                       {"Mcp-Param-Verbose", "false"}, {"Mcp-Param-Debug", "true"},
                       {"Mcp-Param-EmptyVal", "=?base64?\?="}, {"Mcp-Param-Method", "test-method"},
                       {"Mcp-Param-NonAscii", "=?base64?SGVsbG8sIOS4lueVjA==?="},
                       {"Mcp-Param-Whitespace", "=?base64?IHBhZGRlZCA=?="},
                       {"Mcp-Param-CrLf", "=?base64?bGluZTENCmxpbmUy?="},
                       {"Mcp-Param-Tab", "=?base64?CXg=?="}};
    QTest::newRow("null and absent omitted")
            << R"({"region":"eu","priority":1,"verbose":null,"query":"q"})"_ba
            << HttpHeaderFields{{"Mcp-Param-Region", "eu"}, {"Mcp-Param-Priority", "1"}};
    QTest::newRow("no arguments") << "{}"_ba << HttpHeaderFields{};
    QTest::newRow("object value omitted")
            << R"({"region":{"a":1},"priority":[1]})"_ba << HttpHeaderFields{};
    QTest::newRow("integer beyond the safe range omitted")
            << R"({"priority":9007199254740993})"_ba << HttpHeaderFields{};
    QTest::newRow("integral float")
            << R"({"priority":42.0})"_ba << HttpHeaderFields{{"Mcp-Param-Priority", "42"}};
    QTest::newRow("header injection")
            << R"({"region":"x\r\nAuthorization: Bearer stolen"})"_ba
            << HttpHeaderFields{{"Mcp-Param-Region",
                       "=?base64?eA0KQXV0aG9yaXphdGlvbjogQmVhcmVyIHN0b2xlbg==?="}};
    QTest::newRow("sentinel look-alike")
            << R"({"region":"=?base64?literal?="})"_ba
            << HttpHeaderFields{{"Mcp-Param-Region", "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?="}};
}

void tst_ToolHeaderCatalogue::paramHeaders()
{
    QFETCH(QByteArray, arguments);
    QFETCH(HttpHeaderFields, fields);

    const ToolHeaderSchema schema = ToolHeaderSchema::scan(customHeadersSchema());
    QVERIFY2(schema.isValid(), qPrintable(schema.reason()));
    HttpHeaderFields actual =
            ToolHeaderSchema::paramHeaders(schema.declarations(), object(arguments));
    // Declaration order follows the schema's key order, which QJsonObject sorts; compare as sets.
    const auto byName = [](const HttpHeaderField &a, const HttpHeaderField &b) {
        return a.name < b.name;
    };
    std::sort(actual.begin(), actual.end(), byName);
    std::sort(fields.begin(), fields.end(), byName);
    QCOMPARE(actual.size(), fields.size());
    for (int i = 0; i < fields.size(); ++i) {
        QCOMPARE(actual.at(i).name, fields.at(i).name);
        QCOMPARE(actual.at(i).value, fields.at(i).value);
    }
}

void tst_ToolHeaderCatalogue::conformanceInvalidTools()
{
    ToolHeaderCatalogue catalogue;
    const ToolHeaderCatalogue::Page page =
            catalogue.acceptToolsListPage(conformanceInvalidToolsPage(), true);
    QVERIFY(page.changed);
    QCOMPARE(toolNames(page.result), QStringList{u"valid_tool"_s});
    QCOMPARE(page.result.value(u"nextCursor"_s).toString(), u"page2"_s);
    QCOMPARE(page.result.value(u"resultType"_s).toString(), u"complete"_s);
    QCOMPARE(page.rejectedTools.size(), 11);
    for (const ToolHeaderCatalogue::RejectedTool &rejected : page.rejectedTools) {
        QVERIFY(rejected.name.startsWith(u"invalid_"_s));
        QVERIFY(!rejected.reason.isEmpty());
        QCOMPARE(catalogue.toolState(rejected.name), ToolHeaderCatalogue::ToolState::Rejected);
        QCOMPARE(catalogue.rejectionReason(rejected.name), rejected.reason);
        QVERIFY(catalogue.paramHeaders(rejected.name, object(R"({"value":"x"})")).isEmpty());
    }
    QCOMPARE(catalogue.toolState(u"valid_tool"_s), ToolHeaderCatalogue::ToolState::Listed);
    QCOMPARE(catalogue.listedToolCount(), 1);
    const HttpHeaderFields fields =
            catalogue.paramHeaders(u"valid_tool"_s, object(R"({"region":"us-west1"})"));
    QCOMPARE(fields.size(), 1);
    QCOMPARE(fields.first().name, "Mcp-Param-Region"_ba);
    QCOMPARE(fields.first().value, "us-west1"_ba);
}

void tst_ToolHeaderCatalogue::pagesAndReset()
{
    ToolHeaderCatalogue catalogue;
    const QJsonObject a = schemaWith(R"({"x":{"type":"string","x-mcp-header":"X"}})");
    const QJsonObject page1{{u"tools"_s, QJsonArray{tool(u"a"_s, a)}}, {u"nextCursor"_s, u"2"_s}};
    const QJsonObject page2{{u"tools"_s, QJsonArray{tool(u"b"_s, a)}}};

    ToolHeaderCatalogue::Page page = catalogue.acceptToolsListPage(page1, true);
    QVERIFY(!page.changed);
    QCOMPARE(page.result, page1);
    page = catalogue.acceptToolsListPage(page2, false);
    QCOMPARE(page.result, page2);
    QCOMPARE(catalogue.listedToolCount(), 2);
    QCOMPARE(catalogue.toolState(u"a"_s), ToolHeaderCatalogue::ToolState::Listed);
    QCOMPARE(catalogue.toolState(u"b"_s), ToolHeaderCatalogue::ToolState::Listed);

    // A new listing (first page again) forgets what the old one said.
    catalogue.acceptToolsListPage(page2, true);
    QCOMPARE(catalogue.toolState(u"a"_s), ToolHeaderCatalogue::ToolState::Unknown);
    QCOMPARE(catalogue.toolState(u"b"_s), ToolHeaderCatalogue::ToolState::Listed);

    // notifications/tools/list_changed
    catalogue.reset();
    QCOMPARE(catalogue.listedToolCount(), 0);
    QCOMPARE(catalogue.toolState(u"b"_s), ToolHeaderCatalogue::ToolState::Unknown);
    QVERIFY(catalogue.paramHeaders(u"b"_s, object(R"({"x":"1"})")).isEmpty());
    QVERIFY(catalogue.rejectionReason(u"b"_s).isEmpty());

    // A tool that turns valid is no longer rejected, and the other way round.
    const QJsonObject bad = schemaWith(R"({"x":{"type":"number","x-mcp-header":"X"}})");
    catalogue.acceptToolsListPage(QJsonObject{{u"tools"_s, QJsonArray{tool(u"a"_s, bad)}}}, true);
    QCOMPARE(catalogue.toolState(u"a"_s), ToolHeaderCatalogue::ToolState::Rejected);
    catalogue.acceptToolsListPage(QJsonObject{{u"tools"_s, QJsonArray{tool(u"a"_s, a)}}}, false);
    QCOMPARE(catalogue.toolState(u"a"_s), ToolHeaderCatalogue::ToolState::Listed);
    catalogue.acceptToolsListPage(QJsonObject{{u"tools"_s, QJsonArray{tool(u"a"_s, bad)}}}, false);
    QCOMPARE(catalogue.toolState(u"a"_s), ToolHeaderCatalogue::ToolState::Rejected);
}

void tst_ToolHeaderCatalogue::entriesLeftAlone()
{
    ToolHeaderCatalogue catalogue;
    // Not this class's concern: non-object entries, entries without a string name, no tools array.
    const QJsonObject odd = object(R"({"tools":[7,"x",null,{"inputSchema":{}},{"name":3},
        {"name":"t","inputSchema":"not an object"},
        {"name":"bad","inputSchema":{"properties":{"v":{"type":"object","x-mcp-header":"V"}}}}]})");
    const ToolHeaderCatalogue::Page page = catalogue.acceptToolsListPage(odd, true);
    QVERIFY(page.changed);
    QCOMPARE(page.result.value(u"tools"_s).toArray().size(), 6);
    QCOMPARE(page.rejectedTools.size(), 1);
    QCOMPARE(page.rejectedTools.first().name, u"bad"_s);
    QCOMPARE(catalogue.toolState(u"t"_s), ToolHeaderCatalogue::ToolState::Listed);

    for (const QByteArray &json : {R"({})"_ba, R"({"tools":{}})"_ba, R"({"tools":null})"_ba}) {
        const ToolHeaderCatalogue::Page same = catalogue.acceptToolsListPage(object(json), true);
        QVERIFY(!same.changed);
        QCOMPARE(same.result, object(json));
    }
}

void tst_ToolHeaderCatalogue::sameNameTwice()
{
    ToolHeaderCatalogue catalogue;
    const QJsonObject first = schemaWith(R"({"x":{"type":"string","x-mcp-header":"First"}})");
    const QJsonObject second = schemaWith(R"({"x":{"type":"string","x-mcp-header":"Second"}})");
    catalogue.acceptToolsListPage(
            QJsonObject{{u"tools"_s, QJsonArray{tool(u"t"_s, first), tool(u"t"_s, second)}}}, true);
    const HttpHeaderFields fields = catalogue.paramHeaders(u"t"_s, object(R"({"x":"v"})"));
    QCOMPARE(fields.size(), 1);
    QCOMPARE(fields.first().name, "Mcp-Param-Second"_ba);
}

void tst_ToolHeaderCatalogue::requestHeaders()
{
    ToolHeaderCatalogue catalogue;
    catalogue.acceptToolsListPage(
            QJsonObject{{u"tools"_s,
                    QJsonArray{tool(u"execute_sql"_s,
                            schemaWith(R"({"region":{"type":"string","x-mcp-header":"Region"},
                                           "query":{"type":"string"}})"))}}},
            true);
    const RequestHeaders call = catalogue.requestHeaders(u"tools/call"_s,
            object(R"({"name":"execute_sql","arguments":{"region":"us-west1","query":"SELECT 1"}})"));
    QVERIFY(call.isValid());
    const HttpHeaderFields expected{{"Mcp-Method", "tools/call"}, {"Mcp-Name", "execute_sql"},
            {"Mcp-Param-Region", "us-west1"}};
    QCOMPARE(call.fields().size(), expected.size());
    for (int i = 0; i < expected.size(); ++i)
        QCOMPARE(call.fields().at(i), expected.at(i));

    // Only tools/call mirrors arguments.
    const RequestHeaders prompt = catalogue.requestHeaders(u"prompts/get"_s,
            object(R"({"name":"execute_sql","arguments":{"region":"us-west1"}})"));
    QCOMPARE(prompt.fields().size(), 2);
    // Arguments that are not an object mirror nothing.
    const RequestHeaders oddArguments = catalogue.requestHeaders(
            u"tools/call"_s, object(R"({"name":"execute_sql","arguments":[1]})"));
    QCOMPARE(oddArguments.fields().size(), 2);
    // An unknown tool goes without Mcp-Param headers.
    const RequestHeaders unknown = catalogue.requestHeaders(
            u"tools/call"_s, object(R"({"name":"other","arguments":{"region":"us-west1"}})"));
    QCOMPARE(unknown.fields().size(), 2);
}

void tst_ToolHeaderCatalogue::thousandTools()
{
    QJsonArray tools;
    for (int i = 0; i < 1000; ++i) {
        const QString header = i % 2 ? u"H%1"_s.arg(i) : u"H %1"_s.arg(i); // even ones invalid
        QJsonObject properties;
        for (int p = 0; p < 10; ++p) {
            properties.insert(u"p%1"_s.arg(p),
                    QJsonObject{{u"type"_s, u"string"_s},
                            {u"x-mcp-header"_s, p == 0 ? header : u"%1x%2"_s.arg(header).arg(p)}});
        }
        tools.append(tool(u"tool_%1"_s.arg(i),
                QJsonObject{{u"type"_s, u"object"_s}, {u"properties"_s, properties}}));
    }
    ToolHeaderCatalogue catalogue;
    QElapsedTimer timer;
    timer.start();
    const ToolHeaderCatalogue::Page page =
            catalogue.acceptToolsListPage(QJsonObject{{u"tools"_s, tools}}, true);
    QVERIFY2(timer.elapsed() < 5000, qPrintable(u"%1 ms"_s.arg(timer.elapsed())));
    QCOMPARE(page.rejectedTools.size(), 500);
    QCOMPARE(page.result.value(u"tools"_s).toArray().size(), 500);
    QCOMPARE(catalogue.listedToolCount(), 500);
    QCOMPARE(catalogue.paramHeaders(u"tool_999"_s, object(R"({"p0":"v"})")).size(), 1);
    QCOMPARE(catalogue.toolState(u"tool_998"_s), ToolHeaderCatalogue::ToolState::Rejected);
}

QTEST_GUILESS_MAIN(tst_ToolHeaderCatalogue)
#include "tst_toolheadercatalogue.moc"
