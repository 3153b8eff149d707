#include "jsonrpc/jsonrpcmessage.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtTest/QTest>

#include <limits>

using namespace McpProxy;
using namespace Qt::StringLiterals;

using Kind = JsonRpcMessage::Kind;

namespace McpProxy {

// Readable QCOMPARE failures (QTest finds toString() by argument-dependent lookup).
char *toString(JsonRpcMessage::Kind kind)
{
    switch (kind) {
    case JsonRpcMessage::Kind::Invalid:
        return qstrdup("Invalid");
    case JsonRpcMessage::Kind::Request:
        return qstrdup("Request");
    case JsonRpcMessage::Kind::Notification:
        return qstrdup("Notification");
    case JsonRpcMessage::Kind::Response:
        return qstrdup("Response");
    case JsonRpcMessage::Kind::Batch:
        return qstrdup("Batch");
    }
    return qstrdup("?");
}

char *toString(JsonRpcErrorCode code)
{
    return qstrdup(QByteArray::number(static_cast<int>(code)).constData());
}

} // namespace McpProxy

namespace {

constexpr auto ParseError = JsonRpcErrorCode::ParseError;
constexpr auto InvalidRequest = JsonRpcErrorCode::InvalidRequest;

// A request whose params hold `nested` (for depth and size rows).
QByteArray requestWithParams(const QByteArray &params)
{
    return R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":)"_ba + params + "}"_ba;
}

QByteArray nestedArrays(int depth)
{
    return QByteArray(depth, '[') + QByteArray(depth, ']');
}

QByteArray requestWithId(const QByteArray &rawId)
{
    return R"({"jsonrpc":"2.0","id":)"_ba + rawId + R"(,"method":"ping"})"_ba;
}

// An 8 MB string argument, as a tools/call with a large file would carry.
QByteArray largeRequest(const QByteArray &tail)
{
    QByteArray blob(qsizetype(8) * 1024 * 1024, 'x');
    for (qsizetype i = 0; i < blob.size(); i += 4096)
        blob[i] = ' ';
    return requestWithParams(
            R"({"name":"upload","arguments":{"blob":")"_ba + blob + tail + R"("}})"_ba);
}

// JSON validity as QJsonDocument sees it; scalars are wrapped because Qt 6.4 only accepts an
// object or an array at the top level.
bool isValidForQt(const QByteArray &json, bool wrap)
{
    QJsonParseError error;
    const QByteArray document = wrap ? QByteArray("["_ba + json + "]"_ba) : json;
    QJsonDocument::fromJson(document, &error);
    return error.error == QJsonParseError::NoError;
}

// Where we knowingly differ from Qt 6.4's parser (RFC 8259 conformance on our side, or our
// nesting limit).
enum Deviation { None, QtAccepts, QtRejects };

bool isValidJson(const JsonRpcMessage &message)
{
    return message.isValid() || message.error() != JsonRpcErrorCode::ParseError;
}

} // namespace

class tst_JsonRpcMessage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void classify_data();
    void classify();
    void parseErrorMessages_data();
    void parseErrorMessages();
    void idValues_data();
    void idValues();
    void idKeyEquivalence_data();
    void idKeyEquivalence();
    void idKeyFromJsonValue_data();
    void idKeyFromJsonValue();
    void agreesWithQJsonDocument_data();
    void agreesWithQJsonDocument();
    void truncatedDocumentsAreParseErrors_data();
    void truncatedDocumentsAreParseErrors();
    void requestIdOfTruncatedText_data();
    void requestIdOfTruncatedText();
    void requestIdOfEveryCut();
    void errorResponse_data();
    void errorResponse();
    void toSingleLine_data();
    void toSingleLine();
    void toSingleLineDoesNotCopyWithoutLineBreaks();
    void largeStringArgument_data();
    void largeStringArgument();
};

void tst_JsonRpcMessage::classify_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<Kind>("kind");
    QTest::addColumn<JsonRpcErrorCode>("error"); // checked for Kind::Invalid only
    QTest::addColumn<QByteArray>("rawId");
    QTest::addColumn<QString>("idKey");
    QTest::addColumn<QString>("method");
    QTest::addColumn<bool>("isErrorResponse");

    const auto request = [](const char *name, const QByteArray &input, const QByteArray &rawId,
                                 const QString &idKey, const QString &method) {
        QTest::newRow(name) << input << Kind::Request << ParseError << rawId << idKey << method
                            << false;
    };
    const auto invalid = [](const char *name, const QByteArray &input, JsonRpcErrorCode error,
                                 const QByteArray &rawId = "null"_ba, const QString &idKey = {}) {
        QTest::newRow(name) << input << Kind::Invalid << error << rawId << idKey << QString()
                            << false;
    };

    // Requests with every kind of id.
    request("request, number id", R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})", "1",
            u"n:1"_s, u"tools/list"_s);
    request("request, zero id", requestWithId("0"), "0", u"n:0"_s, u"ping"_s);
    request("request, string id", R"({"jsonrpc":"2.0","id":"abc","method":"ping"})", R"("abc")",
            u"s:abc"_s, u"ping"_s);
    request("request, empty string id", requestWithId(R"("")"), R"("")", u"s:"_s, u"ping"_s);
    request("request, escaped string id", requestWithId(R"("\u0041\n\"x\/\\")"),
            R"("\u0041\n\"x\/\\")", u"s:A\n\"x/\\"_s, u"ping"_s);
    request("request, surrogate pair id", requestWithId(R"("\ud83d\ude00")"), R"("\ud83d\ude00")",
            u"s:\U0001F600"_s, u"ping"_s);
    request("request, lone surrogate id (lenient like Qt)", requestWithId(R"("\ud800")"),
            R"("\ud800")", u"s:"_s + QChar(0xD800), u"ping"_s);
    request("request, UTF-8 id", requestWithId("\"caf\xC3\xA9\""), "\"caf\xC3\xA9\"",
            u"s:caf\u00E9"_s, u"ping"_s);
    request("request, big integer id", requestWithId("9007199254740993"), "9007199254740993",
            u"n:9007199254740993"_s, u"ping"_s);
    request("request, int64 max id", requestWithId("9223372036854775807"), "9223372036854775807",
            u"n:9223372036854775807"_s, u"ping"_s);
    request("request, int64 min id", requestWithId("-9223372036854775808"), "-9223372036854775808",
            u"n:-9223372036854775808"_s, u"ping"_s);
    request("request, beyond int64 id", requestWithId("9223372036854775808"), "9223372036854775808",
            u"n:9.2233720368547758e+18"_s, u"ping"_s);
    request("request, negative id", requestWithId("-42"), "-42", u"n:-42"_s, u"ping"_s);
    request("request, negative zero id", requestWithId("-0"), "-0", u"n:0"_s, u"ping"_s);
    request("request, float id", requestWithId("1.5"), "1.5", u"n:1.5"_s, u"ping"_s);
    request("request, integral float id", requestWithId("1.0"), "1.0", u"n:1"_s, u"ping"_s);
    request("request, exponent id", requestWithId("25E-1"), "25E-1", u"n:2.5"_s, u"ping"_s);
    request("request, overflowing id", requestWithId("1e400"), "1e400", u"n:inf"_s, u"ping"_s);
    request("request, underflowing id", requestWithId("-1e-400"), "-1e-400", u"n:0"_s, u"ping"_s);
    request("request, escaped method", R"({"jsonrpc":"2.0","id":1,"method":"tools\/c\u0061ll"})",
            "1", u"n:1"_s, u"tools/call"_s);
    request("request, non-ASCII method",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xE2\x82\xAC\"}", "1", u"n:1"_s,
            u"\u20AC"_s);
    request("request, members in any order", R"({"method":"ping","id":3,"jsonrpc":"2.0"})", "3",
            u"n:3"_s, u"ping"_s);
    request("request, escaped member names",
            R"({"\u006asonrpc":"2.0","\u0069d":3,"m\u0065thod":"ping"})", "3", u"n:3"_s, u"ping"_s);
    request("request, escaped jsonrpc value", R"({"jsonrpc":"\u0032.0","id":3,"method":"ping"})",
            "3", u"n:3"_s, u"ping"_s);
    request("request, duplicate id (last wins)",
            R"({"jsonrpc":"2.0","id":1,"method":"ping","id":"two"})", R"("two")", u"s:two"_s,
            u"ping"_s);
    request("request, duplicate method (last wins)",
            R"({"jsonrpc":"2.0","id":1,"method":5,"method":"ping"})", "1", u"n:1"_s, u"ping"_s);
    request("request, duplicate jsonrpc (last wins)",
            R"({"jsonrpc":"1.0","id":1,"method":"ping","jsonrpc":"2.0"})", "1", u"n:1"_s,
            u"ping"_s);
    request("request, nested members named like ours are ignored",
            R"({"jsonrpc":"2.0","id":1,"method":"m","params":{"id":null,"method":3,"jsonrpc":1,"error":{}}})",
            "1", u"n:1"_s, u"m"_s);
    request("request, nested values of every type",
            R"({"jsonrpc":"2.0","id":1,"method":"m","params":{"a":[true,false,null,-0.5e+3,"s",{},[]]}})",
            "1", u"n:1"_s, u"m"_s);
    request("request, with result member (method wins)",
            R"({"jsonrpc":"2.0","id":1,"method":"m","result":1})", "1", u"n:1"_s, u"m"_s);
    request("request, surrounding whitespace",
            " \t\r\n{ \"jsonrpc\" : \"2.0\" ,\r\n\t\"id\" : 1 , \"method\" : \"m\" } \r\n\t ", "1",
            u"n:1"_s, u"m"_s);
    request("request, CRLF pretty-printed",
            "{\r\n  \"jsonrpc\": \"2.0\",\r\n  \"id\": 1,\r\n  \"method\": \"m\"\r\n}\r\n", "1",
            u"n:1"_s, u"m"_s);
    request("request, DEL and noncharacter in strings are fine",
            "{\"jsonrpc\":\"2.0\",\"id\":\"\x7F\xEF\xBF\xBF\",\"method\":\"m\"}",
            "\"\x7F\xEF\xBF\xBF\"", u"s:\u007F\uFFFF"_s, u"m"_s);
    request("request, four-byte UTF-8 in params",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":"
            "\"\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF\"}",
            "1", u"n:1"_s, u"m"_s);
    request("request, 512 levels of nesting", requestWithParams(nestedArrays(511)), "7", u"n:7"_s,
            u"tools/call"_s);

    QTest::newRow("notification") << R"({"jsonrpc":"2.0","method":"notifications/initialized"})"_ba
                                  << Kind::Notification << ParseError << "null"_ba << QString()
                                  << u"notifications/initialized"_s << false;
    QTest::newRow("notification, with params")
            << R"({"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}})"_ba
            << Kind::Notification << ParseError << "null"_ba << QString()
            << u"notifications/progress"_s << false;

    QTest::newRow("response, result")
            << R"({"jsonrpc":"2.0","id":1,"result":{}})"_ba << Kind::Response << ParseError
            << "1"_ba << u"n:1"_s << QString() << false;
    QTest::newRow("response, null result counts as result")
            << R"({"jsonrpc":"2.0","id":"a","result":null})"_ba << Kind::Response << ParseError
            << R"("a")"_ba << u"s:a"_s << QString() << false;
    QTest::newRow("response, error")
            << R"({"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"no"}})"_ba
            << Kind::Response << ParseError << "1"_ba << u"n:1"_s << QString() << true;
    QTest::newRow("response, error with null id")
            << R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse"}})"_ba
            << Kind::Response << ParseError << "null"_ba << QString() << QString() << true;

    QTest::newRow("batch")
            << R"([{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","method":"b"}])"_ba
            << Kind::Batch << ParseError << "null"_ba << QString() << QString() << false;
    QTest::newRow("batch, contents are not checked")
            << "[1, \"x\", null]"_ba << Kind::Batch << ParseError << "null"_ba << QString()
            << QString() << false;
    QTest::newRow("batch, 512 levels of nesting") << nestedArrays(512) << Kind::Batch << ParseError
                                                  << "null"_ba << QString() << QString() << false;

    // Not JSON at all: ParseError, id null.
    invalid("empty input", "", ParseError);
    invalid("only whitespace", " \r\n\t", ParseError);
    invalid("garbage", "hello", ParseError);
    invalid("garbage after object", R"({"jsonrpc":"2.0","method":"m"}x)", ParseError);
    invalid("two objects", R"({"jsonrpc":"2.0","method":"m"}{})", ParseError);
    invalid("NUL after object", "{\"jsonrpc\":\"2.0\",\"method\":\"m\"}\0"_ba, ParseError);
    invalid("byte order mark", "\xEF\xBB\xBF{\"jsonrpc\":\"2.0\",\"method\":\"m\"}", ParseError);
    invalid("vertical tab is not whitespace", "\v{}", ParseError);
    invalid("form feed is not whitespace", "{}\f", ParseError);
    invalid("no-break space is not whitespace", "\xC2\xA0{}", ParseError);
    invalid("truncated object", R"({"jsonrpc":"2.0","id":1)", ParseError);
    invalid("truncated after colon", R"({"jsonrpc":)", ParseError);
    invalid("truncated member name", R"({"jsonr)", ParseError);
    invalid("truncated string", R"({"jsonrpc":"2.)", ParseError);
    invalid("truncated escape", R"({"a":"\)", ParseError);
    invalid("truncated unicode escape", R"({"a":"\u12"})", ParseError);
    invalid("truncated literal", R"({"a":tru)", ParseError);
    invalid("truncated array", "[1, 2", ParseError);
    invalid("lone opening brace", "{", ParseError);
    invalid("lone closing brace", "}", ParseError);
    invalid("mismatched brackets", "[}", ParseError);
    invalid("trailing comma in object", R"({"jsonrpc":"2.0","method":"m",})", ParseError);
    invalid("trailing comma in array", "[1,]", ParseError);
    invalid("leading comma", "[,1]", ParseError);
    invalid("double comma", "[1,,2]", ParseError);
    invalid("missing colon", R"({"jsonrpc" "2.0"})", ParseError);
    invalid("missing comma", R"({"jsonrpc":"2.0" "method":"m"})", ParseError);
    invalid("unquoted member name", R"({jsonrpc:"2.0"})", ParseError);
    invalid("number as member name", R"({1:"2.0"})", ParseError);
    invalid("single quotes", "{'jsonrpc':'2.0'}", ParseError);
    invalid("comment", "{/* c */}", ParseError);
    invalid("number with leading zero", requestWithId("01"), ParseError);
    invalid("number with plus", requestWithId("+1"), ParseError);
    invalid("number without int part", requestWithId(".5"), ParseError);
    invalid("number without fraction digits", requestWithId("1."), ParseError);
    invalid("number with empty fraction and exponent", requestWithId("1.e5"), ParseError);
    invalid("number with empty exponent", requestWithId("1e"), ParseError);
    invalid("number with signed empty exponent", requestWithId("1e+"), ParseError);
    invalid("lone minus", requestWithId("-"), ParseError);
    invalid("double minus", requestWithId("--1"), ParseError);
    invalid("hex number", requestWithId("0x10"), ParseError);
    invalid("NaN", requestWithId("NaN"), ParseError);
    invalid("Infinity", requestWithId("-Infinity"), ParseError);
    invalid("capitalised literal", requestWithId("True"), ParseError);
    invalid("invalid escape \\a", R"({"a":"\a"})", ParseError);
    invalid("invalid escape \\x", R"({"a":"\x41"})", ParseError);
    invalid("invalid escape \\U", R"({"a":"\U0041"})", ParseError);
    invalid("invalid unicode escape digit", R"({"a":"\u00g0"})", ParseError);
    invalid("escaped raw newline", "{\"a\":\"\\\n\"}", ParseError);
    invalid("raw control character in string", "{\"a\":\"\x01\"}", ParseError);
    invalid("raw tab in string", "{\"a\":\"\t\"}", ParseError);
    invalid("raw newline in string", "{\"a\":\"x\ny\"}", ParseError);
    invalid("raw CR in string", "{\"a\":\"x\ry\"}", ParseError);
    invalid("raw NUL in string", "{\"a\":\"\0\"}"_ba, ParseError);
    invalid("control character in member name", "{\"\x1F\":1}", ParseError);
    invalid("invalid UTF-8, lone continuation byte", "{\"a\":\"\x80\"}", ParseError);
    invalid("invalid UTF-8, overlong two bytes", "{\"a\":\"\xC0\x80\"}", ParseError);
    invalid("invalid UTF-8, overlong C1", "{\"a\":\"\xC1\xBF\"}", ParseError);
    invalid("invalid UTF-8, overlong three bytes", "{\"a\":\"\xE0\x80\x80\"}", ParseError);
    invalid("invalid UTF-8, overlong four bytes", "{\"a\":\"\xF0\x80\x80\x80\"}", ParseError);
    invalid("invalid UTF-8, encoded surrogate", "{\"a\":\"\xED\xA0\x80\"}", ParseError);
    invalid("invalid UTF-8, above U+10FFFF", "{\"a\":\"\xF4\x90\x80\x80\"}", ParseError);
    invalid("invalid UTF-8, F5 lead byte", "{\"a\":\"\xF5\x80\x80\x80\"}", ParseError);
    invalid("invalid UTF-8, FF byte", "{\"a\":\"\xFF\"}", ParseError);
    invalid("invalid UTF-8, truncated sequence", "{\"a\":\"\xE2\x82\"}", ParseError);
    invalid("invalid UTF-8, truncated at end of input", "{\"a\":\"\xF0\x9F\x98", ParseError);
    invalid("invalid UTF-8, missing continuation", "{\"a\":\"\xC3(\"}", ParseError);
    invalid("invalid UTF-8, in member name", "{\"\xC3\":1}", ParseError);
    invalid("invalid UTF-8, outside strings", "{\"a\":1\xC3\xA9}", ParseError);
    invalid("513 levels of nesting in params", requestWithParams(nestedArrays(512)), ParseError);
    invalid("513 levels of arrays", nestedArrays(513), ParseError);
    invalid("513 levels of objects",
            QByteArray(512, '{').replace("{", R"({"a":)") + "{}" + QByteArray(512, '}'),
            ParseError);

    // JSON, but not a JSON-RPC message: InvalidRequest.
    invalid("top-level null", "null", InvalidRequest);
    invalid("top-level number", " 42 ", InvalidRequest);
    invalid("top-level string", R"("{\"jsonrpc\":\"2.0\"}")", InvalidRequest);
    invalid("top-level true", "true", InvalidRequest);
    invalid("empty batch", "[]", InvalidRequest);
    invalid("empty batch with whitespace", " [ \r\n ] ", InvalidRequest);
    invalid("empty object", "{}", InvalidRequest);
    invalid("missing jsonrpc", R"({"id":1,"method":"m"})", InvalidRequest, "1", u"n:1"_s);
    invalid("jsonrpc 1.0", R"({"jsonrpc":"1.0","id":"x","method":"m"})", InvalidRequest, R"("x")",
            u"s:x"_s);
    invalid("jsonrpc as number", R"({"jsonrpc":2.0,"id":1,"method":"m"})", InvalidRequest, "1",
            u"n:1"_s);
    invalid("jsonrpc with trailing space", R"({"jsonrpc":"2.0 ","id":1,"method":"m"})",
            InvalidRequest, "1", u"n:1"_s);
    invalid("jsonrpc null", R"({"jsonrpc":null,"method":"m"})", InvalidRequest);
    invalid("method not a string", R"({"jsonrpc":"2.0","id":1,"method":5})", InvalidRequest, "1",
            u"n:1"_s);
    invalid("method null", R"({"jsonrpc":"2.0","method":null})", InvalidRequest);
    invalid("request with null id", R"({"jsonrpc":"2.0","id":null,"method":"m"})", InvalidRequest);
    invalid("object id", R"({"jsonrpc":"2.0","id":{"a":1},"method":"m"})", InvalidRequest);
    invalid("array id", R"({"jsonrpc":"2.0","id":[1],"method":"m"})", InvalidRequest);
    invalid("boolean id", R"({"jsonrpc":"2.0","id":true,"method":"m"})", InvalidRequest);
    invalid("response without id", R"({"jsonrpc":"2.0","result":1})", InvalidRequest);
    invalid("result response with null id", R"({"jsonrpc":"2.0","id":null,"result":1})",
            InvalidRequest);
    invalid("response with result and error",
            R"({"jsonrpc":"2.0","id":5,"result":1,"error":{"code":1,"message":""}})",
            InvalidRequest, "5", u"n:5"_s);
    invalid("neither method nor result nor error", R"({"jsonrpc":"2.0","id":"q"})", InvalidRequest,
            R"("q")", u"s:q"_s);
}

void tst_JsonRpcMessage::classify()
{
    QFETCH(QByteArray, input);
    QFETCH(Kind, kind);
    QFETCH(JsonRpcErrorCode, error);
    QFETCH(QByteArray, rawId);
    QFETCH(QString, idKey);
    QFETCH(QString, method);
    QFETCH(bool, isErrorResponse);

    const JsonRpcMessage message = JsonRpcMessage::classify(input);
    QCOMPARE(message.kind(), kind);
    QCOMPARE(message.isValid(), kind != Kind::Invalid);
    QCOMPARE(message.isRequest(), kind == Kind::Request);
    QCOMPARE(message.isNotification(), kind == Kind::Notification);
    QCOMPARE(message.isResponse(), kind == Kind::Response);
    if (kind == Kind::Invalid) {
        QCOMPARE(message.error(), error);
        QVERIFY(!message.errorMessage().isEmpty());
    }
    QCOMPARE(message.rawId(), rawId);
    QCOMPARE(message.idKey(), idKey);
    QCOMPARE(JsonRpcMessage::idKey(message.id()), idKey);
    QCOMPARE(message.method(), method);
    QCOMPARE(message.isErrorResponse(), isErrorResponse);
}

void tst_JsonRpcMessage::parseErrorMessages_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QString>("message");

    QTest::newRow("empty input") << QByteArray() << u"empty input at offset 0"_s;
    QTest::newRow("nesting too deep") << nestedArrays(513) << u"nesting too deep at offset 512"_s;
    QTest::newRow("control character")
            << "{\"a\":\"\x01\"}"_ba << u"control character in string at offset 6"_s;
    QTest::newRow("invalid escape")
            << R"({"a":"\q"})"_ba << u"invalid escape sequence at offset 6"_s;
    QTest::newRow("invalid number") << R"({"a":-x})"_ba << u"invalid number at offset 5"_s;
    QTest::newRow("invalid UTF-8")
            << "[\"\xC0\x80\"]"_ba << u"invalid UTF-8 in string at offset 2"_s;
    QTest::newRow("trailing data")
            << "[] []"_ba << u"unexpected data after the JSON value at offset 3"_s;
}

void tst_JsonRpcMessage::parseErrorMessages()
{
    QFETCH(QByteArray, input);
    QFETCH(QString, message);

    const JsonRpcMessage classified = JsonRpcMessage::classify(input);
    QCOMPARE(classified.error(), ParseError);
    QCOMPARE(classified.errorMessage(), message);
}

void tst_JsonRpcMessage::idValues_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QJsonValue>("id");

    QTest::newRow("integer") << requestWithId("42") << QJsonValue(qint64(42));
    QTest::newRow("integer beyond double precision")
            << requestWithId("9007199254740993") << QJsonValue(qint64(9007199254740993LL));
    QTest::newRow("integral float is an integer")
            << requestWithId("9007199254740993.0e0") << QJsonValue(qint64(9007199254740993LL));
    QTest::newRow("int64 min") << requestWithId("-9223372036854775808")
                               << QJsonValue(std::numeric_limits<qint64>::min());
    QTest::newRow("beyond int64") << requestWithId("18446744073709551616")
                                  << QJsonValue(18446744073709551616.0);
    QTest::newRow("fraction") << requestWithId("-2.25") << QJsonValue(-2.25);
    QTest::newRow("overflow") << requestWithId("-1e999")
                              << QJsonValue(-std::numeric_limits<double>::infinity());
    QTest::newRow("string") << requestWithId(R"("a\tb")") << QJsonValue(u"a\tb"_s);
    QTest::newRow("null") << R"({"jsonrpc":"2.0","id":null,"error":{}})"_ba
                          << QJsonValue(QJsonValue::Null);
    QTest::newRow("absent") << R"({"jsonrpc":"2.0","method":"m"})"_ba
                            << QJsonValue(QJsonValue::Undefined);
}

void tst_JsonRpcMessage::idValues()
{
    QFETCH(QByteArray, input);
    QFETCH(QJsonValue, id);

    const QJsonValue actual = JsonRpcMessage::classify(input).id();
    QCOMPARE(actual.type(), id.type());
    QCOMPARE(actual, id);
    // QJsonValue's operator== compares doubles; check integers exactly.
    QCOMPARE(actual.toInteger(-1), id.toInteger(-1));
}

void tst_JsonRpcMessage::idKeyEquivalence_data()
{
    QTest::addColumn<QByteArray>("first");
    QTest::addColumn<QByteArray>("second");
    QTest::addColumn<bool>("equal");

    QTest::newRow("1 == 1.0") << "1"_ba
                              << "1.0"_ba << true;
    QTest::newRow("1 == 1e0") << "1"_ba
                              << "1e0"_ba << true;
    QTest::newRow("1 == 10E-1") << "1"_ba
                                << "10E-1"_ba << true;
    QTest::newRow("1 == 0.01e+2") << "1"_ba
                                  << "0.01e+2"_ba << true;
    QTest::newRow("100 == 1e2") << "100"_ba
                                << "1e2"_ba << true;
    QTest::newRow("0 == -0") << "0"_ba
                             << "-0"_ba << true;
    QTest::newRow("0 == 0.0e5") << "0"_ba
                                << "0.0e5"_ba << true;
    QTest::newRow("-7 == -700e-2") << "-7"_ba
                                   << "-700e-2"_ba << true;
    QTest::newRow("1.5 == 15e-1") << "1.5"_ba
                                  << "15e-1"_ba << true;
    QTest::newRow("0.1 == 1e-1") << "0.1"_ba
                                 << "1e-1"_ba << true;
    QTest::newRow("exact big integer in two spellings") << "9007199254740993"_ba
                                                        << "90071992547409930e-1"_ba << true;
    QTest::newRow("1e20 == 100000000000000000000") << "1e20"_ba
                                                   << "100000000000000000000"_ba << true;
    QTest::newRow("\"A\" == \"\\u0041\"") << R"("A")"_ba
                                          << R"("\u0041")"_ba << true;
    QTest::newRow("\"/\" == \"\\/\"") << R"("/")"_ba
                                      << R"("\/")"_ba << true;
    QTest::newRow("UTF-8 == escaped") << "\"\xC3\xA9\""_ba
                                      << R"("\u00e9")"_ba << true;

    QTest::newRow("1 != \"1\"") << "1"_ba
                                << R"("1")"_ba << false;
    QTest::newRow("1 != 1.5") << "1"_ba
                              << "1.5"_ba << false;
    QTest::newRow("big integers differ in the last digit") << "9007199254740993"_ba
                                                           << "9007199254740992"_ba << false;
    QTest::newRow("\"a\" != \"A\"") << R"("a")"_ba
                                    << R"("A")"_ba << false;
    QTest::newRow("\"n:1\" != 1") << R"("n:1")"_ba
                                  << "1"_ba << false;
}

void tst_JsonRpcMessage::idKeyEquivalence()
{
    QFETCH(QByteArray, first);
    QFETCH(QByteArray, second);
    QFETCH(bool, equal);

    const JsonRpcMessage a = JsonRpcMessage::classify(requestWithId(first));
    const JsonRpcMessage b = JsonRpcMessage::classify(requestWithId(second));
    QVERIFY(a.isRequest());
    QVERIFY(b.isRequest());
    QCOMPARE(a.rawId(), first);
    QCOMPARE(b.rawId(), second);
    QCOMPARE(a.idKey() == b.idKey(), equal);
    QCOMPARE(JsonRpcMessage::idKey(a.id()), a.idKey());
    QCOMPARE(JsonRpcMessage::idKey(b.id()), b.idKey());
}

void tst_JsonRpcMessage::idKeyFromJsonValue_data()
{
    QTest::addColumn<QJsonValue>("id");
    QTest::addColumn<QString>("key");

    QTest::newRow("qint64") << QJsonValue(qint64(9007199254740993LL)) << u"n:9007199254740993"_s;
    QTest::newRow("int") << QJsonValue(3) << u"n:3"_s;
    QTest::newRow("integral double") << QJsonValue(3.0) << u"n:3"_s;
    QTest::newRow("negative zero") << QJsonValue(-0.0) << u"n:0"_s;
    QTest::newRow("fraction") << QJsonValue(0.1) << u"n:0.10000000000000001"_s;
    QTest::newRow("double beyond int64") << QJsonValue(1e20) << u"n:1e+20"_s;
    QTest::newRow("string") << QJsonValue(u"x"_s) << u"s:x"_s;
    QTest::newRow("empty string") << QJsonValue(QString()) << u"s:"_s;
    QTest::newRow("null") << QJsonValue(QJsonValue::Null) << QString();
    QTest::newRow("undefined") << QJsonValue(QJsonValue::Undefined) << QString();
    QTest::newRow("bool") << QJsonValue(true) << QString();
    QTest::newRow("object") << QJsonValue(QJsonObject()) << QString();
}

void tst_JsonRpcMessage::idKeyFromJsonValue()
{
    QFETCH(QJsonValue, id);
    QFETCH(QString, key);

    QCOMPARE(JsonRpcMessage::idKey(id), key);
}

void tst_JsonRpcMessage::agreesWithQJsonDocument_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<bool>("wrapForQt");
    QTest::addColumn<int>("deviation");

    const auto row = [](const char *name, const QByteArray &input, Deviation deviation = None) {
        QTest::newRow(name) << input << false << int(deviation);
    };
    const auto scalar = [](const char *name, const QByteArray &input, Deviation deviation = None) {
        QTest::newRow(name) << input << true << int(deviation);
    };

    row("object", R"({"a":[1,2.5,-3e-2,true,false,null,"x",{}]})");
    row("array", "[[[]],{},\"\"]");
    row("duplicate keys", R"({"a":1,"a":2})");
    row("whitespace everywhere", " \t\r\n[ 1 , { \"a\" : 2 } ] \r\n");
    row("empty member name", R"({"":1})");
    row("all simple escapes", R"(["\"\\\/\b\f\n\r\t\u00FF\uFFFF"])");
    row("lone high surrogate escape", R"(["\ud800"])");
    row("lone low surrogate escape", R"(["\udc00x"])");
    row("reversed surrogate pair escapes", R"(["\udc00\ud800"])");
    row("UTF-8 of all lengths", "[\"\x41\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"]");
    row("noncharacter U+FFFF", "[\"\xEF\xBF\xBF\"]");
    row("number zoo", "[0,-0,0.0,-0.0e-0,1E+2,123456789012345678901234567890,1e308,5e-324]");
    row("truncated", R"({"a":)");
    row("trailing comma", "[1,]");
    row("missing value", R"({"a":})");
    row("leading zero", "[01]");
    row("plus sign", "[+1]");
    row("empty exponent", "[1e]");
    row("lone minus", "[-]");
    row("double dot", "[1.2.3]");
    row("truncated literal", "[nul]");
    row("truncated unicode escape", R"(["\u12"])");
    row("overlong UTF-8", "[\"\xC0\x80\"]");
    row("encoded surrogate", "[\"\xED\xA0\x80\"]");
    row("above U+10FFFF", "[\"\xF4\x90\x80\x80\"]");
    row("invalid byte after escape", "[\"\\\xC3\xA9\"]");
    row("garbage after", "[1] x");
    row("NUL after", "[1]\0"_ba);
    row("vertical tab", "[1]\v");
    row("raw control character", "[\"\x01\"]", QtAccepts);
    row("raw newline", "[\"\n\"]", QtAccepts);
    row("invalid escape", R"(["\a"])", QtAccepts);
    row("fraction without int part", "[.5]", QtAccepts);
    row("int part without fraction", "[1.]", QtAccepts);
    row("empty fraction before exponent", "[-1.e5]", QtAccepts);
    row("byte order mark", "\xEF\xBB\xBF[1]", QtAccepts);
    row("overflowing number", "[1e400]", QtRejects);
    row("underflowing number", "[-1e-400]", QtRejects);
    row("600 levels", nestedArrays(600), QtAccepts);
    scalar("top-level number", "42");
    scalar("top-level string", R"("x")");
    scalar("top-level null", "null");
    scalar("top-level false", " false ");
    scalar("top-level bad literal", "nulL");
}

void tst_JsonRpcMessage::agreesWithQJsonDocument()
{
    QFETCH(QByteArray, input);
    QFETCH(bool, wrapForQt);
    QFETCH(int, deviation);

    const bool ours = isValidJson(JsonRpcMessage::classify(input));
    const bool qt = isValidForQt(input, wrapForQt);
    switch (Deviation(deviation)) {
    case None:
        QCOMPARE(ours, qt);
        break;
    case QtAccepts:
        QVERIFY(qt);
        QVERIFY(!ours);
        break;
    case QtRejects:
        QVERIFY(!qt);
        QVERIFY(ours);
        break;
    }
}

void tst_JsonRpcMessage::truncatedDocumentsAreParseErrors_data()
{
    QTest::addColumn<QByteArray>("document");

    QTest::newRow("request")
            << R"({"jsonrpc":"2.0","id":"a\"b","method":"tools/call","params":{"x":[1.5e-3,true,null,false,"\u00e9"]}})"_ba;
    QTest::newRow("response") << R"({"jsonrpc":"2.0","id":-12,"result":{"content":[]}})"_ba;
    QTest::newRow("batch")
            << R"([{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","id":1,"result":0}])"_ba;
    QTest::newRow("UTF-8") << "{\"\xF0\x9F\x98\x80\":\"\xE2\x82\xAC\xC3\xA9\"}"_ba;
}

void tst_JsonRpcMessage::truncatedDocumentsAreParseErrors()
{
    QFETCH(QByteArray, document);

    QVERIFY(isValidJson(JsonRpcMessage::classify(document)));
    for (qsizetype length = 0; length < document.size(); ++length) {
        const JsonRpcMessage message = JsonRpcMessage::classify(document.first(length));
        QVERIFY2(!message.isValid() && message.error() == ParseError,
                QByteArray::number(length).constData());
        QCOMPARE(message.rawId(), "null"_ba);
    }
}

void tst_JsonRpcMessage::requestIdOfTruncatedText_data()
{
    QTest::addColumn<QByteArray>("start");
    QTest::addColumn<QByteArray>("expected");

    QTest::newRow("empty") << QByteArray() << "null"_ba;
    QTest::newRow("typical SDK order")
            << R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","argu)"_ba
            << "1"_ba;
    QTest::newRow("method first")
            << R"({"method":"tools/call","jsonrpc":"2.0","id":"req-9","params":[)"_ba
            << R"("req-9")"_ba;
    QTest::newRow("whitespace and escapes kept as sent")
            << "{ \"id\" :\t\"\\u00e9\\\"\" ,\r\n \"method\" : \"m\" , \"params\""_ba
            << R"("\u00e9\"")"_ba;
    QTest::newRow("negative exponent id") << R"({"id":-1.5e3,"method":"m",)"_ba
                                          << "-1.5e3"_ba;
    QTest::newRow("no jsonrpc member yet") << R"({"id":2,"method":"m","params":{)"_ba
                                           << "2"_ba;
    QTest::newRow("number cut at the end") << R"({"method":"m","id":12)"_ba
                                           << "null"_ba;
    QTest::newRow("number before whitespace only") << R"({"method":"m","id":12  )"_ba
                                                   << "null"_ba;
    QTest::newRow("string id cut") << R"({"method":"m","id":"ab)"_ba
                                   << "null"_ba;
    QTest::newRow("method cut") << R"({"id":3,"method":"tools/ca)"_ba
                                << "null"_ba;
    QTest::newRow("no method") << R"({"jsonrpc":"2.0","id":3,"params":{"a":"b)"_ba
                               << "null"_ba;
    QTest::newRow("response") << R"({"jsonrpc":"2.0","id":3,"result":{"a":"b)"_ba
                              << "null"_ba;
    QTest::newRow("response with a method") << R"({"id":3,"method":"m","error":{"code":1},"x":")"_ba
                                            << "null"_ba;
    QTest::newRow("wrong jsonrpc") << R"({"jsonrpc":"1.0","id":3,"method":"m","p)"_ba
                                   << "null"_ba;
    QTest::newRow("null id") << R"({"id":null,"method":"m","params":)"_ba
                             << "null"_ba;
    QTest::newRow("boolean id") << R"({"id":true,"method":"m","params":)"_ba
                                << "null"_ba;
    QTest::newRow("array id") << R"({"id":[1],"method":"m","params":)"_ba
                              << "null"_ba;
    QTest::newRow("number method") << R"({"id":1,"method":5,"params":)"_ba
                                   << "null"_ba;
    QTest::newRow("nested id only") << R"({"params":{"id":1,"method":"m"},"x)"_ba
                                    << "null"_ba;
    QTest::newRow("batch") << R"([{"jsonrpc":"2.0","id":1,"method":"m"},{"id)"_ba
                           << "null"_ba;
    QTest::newRow("garbage before the id") << R"({"a":tru,"id":1,"method":"m",)"_ba
                                           << "null"_ba;
    QTest::newRow("garbage after the id") << R"({"id":1x,"method":"m",)"_ba
                                          << "null"_ba;
    QTest::newRow("invalid UTF-8 later") << "{\"id\":1,\"method\":\"m\",\"p\":\"\xC0\x80"_ba
                                         << "1"_ba;
    QTest::newRow("complete request") << R"({"jsonrpc":"2.0","id":8,"method":"m"})"_ba
                                      << "8"_ba;
}

void tst_JsonRpcMessage::requestIdOfTruncatedText()
{
    QFETCH(QByteArray, start);
    QFETCH(QByteArray, expected);
    QCOMPARE(JsonRpcMessage::requestIdOfTruncatedText(start), expected);
}

void tst_JsonRpcMessage::requestIdOfEveryCut()
{
    // Cut anywhere: null until both members are complete, then the id as sent.
    const QByteArray request =
            R"({"jsonrpc":"2.0","id":"a\"1","method":"tools/call","params":{"id":2,"s":"xyz"}})"_ba;
    const qsizetype ready = request.indexOf(R"(,"params")");
    for (qsizetype length = 0; length <= request.size(); ++length) {
        const QByteArray id = JsonRpcMessage::requestIdOfTruncatedText(request.first(length));
        QCOMPARE(id, length > ready ? R"("a\"1")"_ba : "null"_ba);
    }
}

void tst_JsonRpcMessage::errorResponse_data()
{
    QTest::addColumn<QByteArray>("rawId");
    QTest::addColumn<QString>("message");
    QTest::addColumn<QJsonValue>("data");
    QTest::addColumn<QJsonValue>("expectedId");

    const QJsonValue undefined(QJsonValue::Undefined);
    QTest::newRow("number id") << "1"_ba << u"upstream request failed"_s << undefined
                               << QJsonValue(1);
    QTest::newRow("big number id keeps every digit") << "9007199254740993"_ba << u"x"_s << undefined
                                                     << QJsonValue(qint64(9007199254740993LL));
    QTest::newRow("float id") << "-1.5e3"_ba << u"x"_s << undefined << QJsonValue(-1500.0);
    QTest::newRow("string id") << R"("abc")"_ba << u"x"_s << undefined << QJsonValue(u"abc"_s);
    QTest::newRow("escaped string id")
            << R"("\u0041\"\n")"_ba << u"x"_s << undefined << QJsonValue(u"A\"\n"_s);
    QTest::newRow("null id") << "null"_ba << u"x"_s << undefined << QJsonValue(QJsonValue::Null);
    QTest::newRow("empty id is null")
            << QByteArray() << u"x"_s << undefined << QJsonValue(QJsonValue::Null);
    QTest::newRow("message needing escapes")
            << "2"_ba << QString(u"quote \" backslash \\ newline \n cr \r tab \t nul "_s + QChar(0))
            << undefined << QJsonValue(2);
    QTest::newRow("non-ASCII message")
            << "2"_ba << u"\u00e9\u20ac\U0001F600"_s << undefined << QJsonValue(2);
    QTest::newRow("empty message") << "2"_ba << QString() << undefined << QJsonValue(2);
    QTest::newRow("null data") << "3"_ba << u"m"_s << QJsonValue(QJsonValue::Null) << QJsonValue(3);
    QTest::newRow("string data") << "3"_ba << u"m"_s << QJsonValue(u"line1\nline2"_s)
                                 << QJsonValue(3);
    QTest::newRow("object data") << "3"_ba << u"m"_s
                                 << QJsonValue(QJsonObject{
                                            {u"status"_s, 502}, {u"body"_s, u"<html>\n"_s}})
                                 << QJsonValue(3);
    QTest::newRow("array data") << "3"_ba << u"m"_s << QJsonValue(QJsonArray{1, u"two"_s})
                                << QJsonValue(3);
}

void tst_JsonRpcMessage::errorResponse()
{
    QFETCH(QByteArray, rawId);
    QFETCH(QString, message);
    QFETCH(QJsonValue, data);
    QFETCH(QJsonValue, expectedId);

    const int code = int(JsonRpcErrorCode::ProxyError);
    const QByteArray response = JsonRpcMessage::errorResponse(rawId, code, message, data);
    QVERIFY(!response.contains('\n'));
    QVERIFY(!response.contains('\r'));
    // The id is written byte for byte.
    const QByteArray idText = rawId.isEmpty() ? "null"_ba : rawId;
    const QByteArray prefix = R"({"jsonrpc":"2.0","id":)"_ba + idText + R"(,"error":{)"_ba;
    QVERIFY2(response.startsWith(prefix), response.constData());

    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(response, &parseError);
    QCOMPARE(parseError.error, QJsonParseError::NoError);
    const QJsonObject object = document.object();
    QCOMPARE(object.size(), 3);
    QCOMPARE(object.value(u"jsonrpc"_s), QJsonValue(u"2.0"_s));
    QCOMPARE(object.value(u"id"_s), expectedId);
    QCOMPARE(object.value(u"id"_s).toInteger(-1), expectedId.toInteger(-1));
    const QJsonObject error = object.value(u"error"_s).toObject();
    QCOMPARE(error.value(u"code"_s), QJsonValue(code));
    QCOMPARE(error.value(u"message"_s), QJsonValue(message));
    QCOMPARE(error.contains(u"data"_s), !data.isUndefined());
    if (!data.isUndefined())
        QCOMPARE(error.value(u"data"_s), data);

    const JsonRpcMessage classified = JsonRpcMessage::classify(response);
    QVERIFY(classified.isResponse());
    QVERIFY(classified.isErrorResponse());
    QCOMPARE(classified.rawId(), idText);
}

void tst_JsonRpcMessage::toSingleLine_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("expected");

    QTest::newRow("empty") << QByteArray() << QByteArray();
    QTest::newRow("no line breaks") << R"({"a":"b"})"_ba
                                    << R"({"a":"b"})"_ba;
    QTest::newRow("LF") << "{\n\"a\":1\n}"_ba
                        << "{ \"a\":1 }"_ba;
    QTest::newRow("CRLF") << "{\r\n\"a\":1\r\n}\r\n"_ba
                          << "{  \"a\":1  }  "_ba;
    QTest::newRow("lone CR") << "[1,\r2]"_ba
                             << "[1, 2]"_ba;
    QTest::newRow("escaped newlines stay") << R"(["a\nb\r\n"])"_ba
                                           << R"(["a\nb\r\n"])"_ba;
    QTest::newRow("only line breaks") << "\r\n\n\r"_ba
                                      << "    "_ba;
}

void tst_JsonRpcMessage::toSingleLine()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, expected);

    const QByteArray line = JsonRpcMessage::toSingleLine(input);
    QCOMPARE(line, expected);
    // A valid text stays valid and means the same.
    const JsonRpcMessage before = JsonRpcMessage::classify(input);
    const JsonRpcMessage after = JsonRpcMessage::classify(line);
    QCOMPARE(isValidJson(after), isValidJson(before));
    if (isValidJson(before)) {
        QCOMPARE(QJsonDocument::fromJson(line), QJsonDocument::fromJson(input));
    }
}

void tst_JsonRpcMessage::toSingleLineDoesNotCopyWithoutLineBreaks()
{
    const QByteArray input = R"({"jsonrpc":"2.0","method":"m"})"_ba;
    const QByteArray line = JsonRpcMessage::toSingleLine(input);
    QVERIFY(line.constData() == input.constData());

    const QByteArray pretty =
            "{\r\n  \"jsonrpc\": \"2.0\",\r\n  \"id\": \"a\",\r\n  \"method\": \"m\"\r\n}"_ba;
    const JsonRpcMessage original = JsonRpcMessage::classify(pretty);
    const JsonRpcMessage flattened = JsonRpcMessage::classify(JsonRpcMessage::toSingleLine(pretty));
    QVERIFY(original.isRequest());
    QCOMPARE(flattened.kind(), original.kind());
    QCOMPARE(flattened.rawId(), original.rawId());
    QCOMPARE(flattened.method(), original.method());
}

void tst_JsonRpcMessage::largeStringArgument_data()
{
    QTest::addColumn<QByteArray>("tail");
    QTest::addColumn<Kind>("kind");

    QTest::newRow("plain") << QByteArray() << Kind::Request;
    QTest::newRow("escapes and UTF-8 at the end")
            << "\\n\\u00e9\xC3\xA9\xF0\x9F\x98\x80"_ba << Kind::Request;
    QTest::newRow("invalid UTF-8 at the end") << "\xC3"_ba << Kind::Invalid;
    QTest::newRow("control character at the end") << "\x1F"_ba << Kind::Invalid;
    QTest::newRow("invalid escape at the end") << "\\v"_ba << Kind::Invalid;
}

void tst_JsonRpcMessage::largeStringArgument()
{
    QFETCH(QByteArray, tail);
    QFETCH(Kind, kind);

    // No timing assertion: this only has to finish.
    const QByteArray input = largeRequest(tail);
    const JsonRpcMessage message = JsonRpcMessage::classify(input);
    QCOMPARE(message.kind(), kind);
    if (kind == Kind::Request) {
        QCOMPARE(message.rawId(), "7"_ba);
        QCOMPARE(message.method(), u"tools/call"_s);
    } else {
        QCOMPARE(message.error(), ParseError);
    }
    QCOMPARE(isValidJson(message), isValidForQt(input, false) && kind == Kind::Request);
}

QTEST_APPLESS_MAIN(tst_JsonRpcMessage)

#include "tst_jsonrpcmessage.moc"
