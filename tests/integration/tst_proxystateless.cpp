// The real binary against a fake MCP 2026-07-28 (stateless) server: era detection, the bridge for
// a host of an earlier revision (initialize from server/discover, _meta, request metadata headers,
// tools/list filter, multi round-trip requests, subscriptions/listen), a 2026-07-28 host
// passed through, and a remembered legacy era that the server has left since.
#include "support/fakehttpserver.h"
#include "support/proxyprocess.h"

#include <QtCore/QCryptographicHash>
#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QPointer>
#include <QtCore/QSet>
#include <QtCore/QTemporaryDir>
#include <QtTest/QTest>

using namespace McpProxy::Test;
using namespace Qt::StringLiterals;

namespace {

const QString Modern = u"2026-07-28"_s;

QJsonObject parse(const QByteArray &body)
{
    return QJsonDocument::fromJson(body).object();
}

QByteArray json(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

// A stateless server: POST only (GET and DELETE 405), every request validated as the revision
// requires (MCP-Protocol-Version present and equal to _meta, Mcp-Method equal to the method,
// _meta protocolVersion and clientCapabilities), tools with x-mcp-header declarations.
class FakeStatelessServer
{
public:
    FakeHttpServer http;
    bool sse = false;
    int rejectVersionFirst = 0; // answer this many requests with -32022 first
    bool elicit = false; // tools/call "confirm" asks for input first
    // tools/call checks every Mcp-Param header its current schema declares (-32020 otherwise).
    bool validateParams = false;
    int toolsSchema = 1; // 2: "query" also mirrors its "zone" argument into Mcp-Param-Zone
    bool paginate = false; // tools/list in two pages ("invalid", then "query")
    bool alwaysMismatch = false; // every tools/call gets -32020
    // This many tools/call SSE responses end before their result (-1: all); abruptly: TCP close.
    int breakStreams = 0;
    bool breakAbruptly = false;
    QList<QPointer<FakeHttpResponder>> listens;
    QList<FakeHttpRequest> posts; // every POST, as received

    FakeStatelessServer()
    {
        http.setHandler([this](const FakeHttpRequest &request, FakeHttpResponder *responder) {
            handle(request, responder);
        });
    }

    QList<FakeHttpRequest> postsOf(const QString &method) const
    {
        QList<FakeHttpRequest> out;
        for (const FakeHttpRequest &request : posts) {
            if (parse(request.body).value(u"method").toString() == method)
                out.append(request);
        }
        return out;
    }

    void notifyListeners(const QByteArray &notification)
    {
        for (const QPointer<FakeHttpResponder> &listen : std::as_const(listens)) {
            if (listen && listen->isStreaming())
                listen->writeChunk(FakeHttpServer::sseEvent(notification));
        }
    }

private:
    void answer(FakeHttpResponder *responder, int status, const QJsonObject &message) const
    {
        if (sse && status == 200) {
            responder->beginStream(200, {{"Content-Type", "text/event-stream"}});
            responder->writeChunk(FakeHttpServer::sseEvent(json(message)));
            responder->endStream();
            return;
        }
        responder->reply(status, {{"Content-Type", "application/json"}}, json(message));
    }
    static QJsonObject error(const QJsonValue &id, int code, const QString &text,
            const QJsonValue &data = QJsonValue())
    {
        QJsonObject error{{u"code"_s, code}, {u"message"_s, text}};
        if (!data.isNull())
            error.insert(u"data"_s, data);
        return {{u"jsonrpc"_s, u"2.0"_s}, {u"id"_s, id}, {u"error"_s, error}};
    }
    static QByteArray decoded(const QByteArray &value)
    {
        if (value.startsWith("=?base64?") && value.endsWith("?="))
            return QByteArray::fromBase64(value.mid(9, value.size() - 11));
        return value;
    }
    // The tools/call headers of `params` are those the current schema declares.
    bool paramHeadersMatch(const FakeHttpRequest &request, const QJsonObject &params) const
    {
        const QJsonObject arguments = params.value(u"arguments").toObject();
        QList<std::pair<QString, QByteArray>> declared{{u"region"_s, "Mcp-Param-Region"_ba}};
        if (toolsSchema == 2)
            declared.append({u"zone"_s, "Mcp-Param-Zone"_ba});
        for (const auto &[argument, header] : declared) {
            const QByteArray expected = arguments.value(argument).toString().toUtf8();
            if (arguments.contains(argument) ? decoded(request.header(header)) != expected
                                             : request.hasHeader(header))
                return false;
        }
        return true;
    }
    static QJsonObject result(const QJsonValue &id, QJsonObject result)
    {
        if (!result.contains(u"resultType"))
            result.insert(u"resultType"_s, u"complete"_s);
        return {{u"jsonrpc"_s, u"2.0"_s}, {u"id"_s, id}, {u"result"_s, result}};
    }

    void handle(const FakeHttpRequest &request, FakeHttpResponder *responder)
    {
        if (request.method != "POST") {
            responder->reply(405);
            return;
        }
        posts.append(request);
        const QJsonObject message = parse(request.body);
        const QJsonValue id = message.value(u"id");
        const QString method = message.value(u"method").toString();
        const QJsonObject params = message.value(u"params").toObject();
        const QJsonObject meta = params.value(u"_meta").toObject();
        const QString version = meta.value(u"io.modelcontextprotocol/protocolVersion").toString();
        if (request.header("MCP-Protocol-Version").isEmpty()
                || request.header("MCP-Protocol-Version") != version.toLatin1()
                || request.header("Mcp-Method") != method.toLatin1()) {
            answer(responder, 400, error(id, -32020, u"header mismatch"_s));
            return;
        }
        if (!meta.contains(u"io.modelcontextprotocol/clientCapabilities")) {
            answer(responder, 400, error(id, -32602, u"missing _meta"_s));
            return;
        }
        if (rejectVersionFirst > 0) {
            --rejectVersionFirst;
            answer(responder, 400,
                    error(id, -32022, u"Unsupported protocol version"_s,
                            QJsonObject{{u"supported"_s, QJsonArray{Modern}},
                                    {u"requested"_s, version}}));
            return;
        }
        if (method == "server/discover"_L1) {
            answer(responder, 200,
                    result(id,
                            QJsonObject{{u"supportedVersions"_s, QJsonArray{Modern}},
                                    {u"capabilities"_s,
                                            QJsonObject{{u"tools"_s,
                                                    QJsonObject{{u"listChanged"_s, true}}}}},
                                    {u"serverInfo"_s,
                                            QJsonObject{{u"name"_s, u"stateless"_s},
                                                    {u"version"_s, u"9"_s}}},
                                    {u"instructions"_s, u"be nice"_s}}));
            return;
        }
        if (method == "subscriptions/listen"_L1) {
            responder->beginStream(200, {{"Content-Type", "text/event-stream"}});
            responder->writeChunk(FakeHttpServer::sseEvent(
                    R"({"jsonrpc":"2.0","method":"notifications/subscriptions/acknowledged","params":{}})"));
            listens.append(responder);
            return;
        }
        if (method == "tools/list"_L1) {
            const QJsonObject region{{u"type"_s, u"string"_s}, {u"x-mcp-header"_s, u"Region"_s}};
            const QJsonObject bad{{u"type"_s, u"number"_s}, {u"x-mcp-header"_s, u"Score"_s}};
            QJsonObject properties{{u"region"_s, region}};
            if (toolsSchema == 2) {
                properties.insert(u"zone"_s,
                        QJsonObject{{u"type"_s, u"string"_s}, {u"x-mcp-header"_s, u"Zone"_s}});
            }
            const QJsonObject query{{u"name"_s, u"query"_s},
                    {u"inputSchema"_s,
                            QJsonObject{{u"type"_s, u"object"_s}, {u"properties"_s, properties}}}};
            const QJsonObject invalid{{u"name"_s, u"invalid"_s},
                    {u"inputSchema"_s,
                            QJsonObject{{u"type"_s, u"object"_s},
                                    {u"properties"_s, QJsonObject{{u"score"_s, bad}}}}}};
            if (!paginate) {
                answer(responder, 200,
                        result(id, QJsonObject{{u"tools"_s, QJsonArray{query, invalid}}}));
            } else if (params.value(u"cursor").toString() != u"2"_s) {
                answer(responder, 200,
                        result(id,
                                QJsonObject{{u"tools"_s, QJsonArray{invalid}},
                                        {u"nextCursor"_s, u"2"_s}}));
            } else {
                answer(responder, 200, result(id, QJsonObject{{u"tools"_s, QJsonArray{query}}}));
            }
            return;
        }
        if (method == "tools/call"_L1) {
            if (alwaysMismatch || (validateParams && !paramHeadersMatch(request, params))) {
                answer(responder, 400, error(id, -32020, u"Header mismatch: Mcp-Param"_s));
                return;
            }
            if (breakStreams != 0) {
                if (breakStreams > 0)
                    --breakStreams;
                responder->beginStream(200, {{"Content-Type", "text/event-stream"}});
                responder->writeChunk(FakeHttpServer::sseEvent(
                        R"({"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"working"}})"));
                if (breakAbruptly)
                    responder->closeAbruptly();
                else
                    responder->endStream(); // a clean end, but no result
                return;
            }
            if (elicit && !params.contains(u"inputResponses")) {
                answer(responder, 200,
                        result(id,
                                QJsonObject{{u"resultType"_s, u"input_required"_s},
                                        {u"inputRequests"_s,
                                                QJsonObject{{u"ask"_s,
                                                        QJsonObject{
                                                                {u"method"_s,
                                                                        u"elicitation/create"_s},
                                                                {u"params"_s,
                                                                        QJsonObject{{u"message"_s,
                                                                                u"ok?"_s}}}}}}},
                                        {u"requestState"_s, u"opaque-state"_s}}));
                return;
            }
            const QString text = params.contains(u"inputResponses")
                    ? QString(QString::fromUtf8(json(params.value(u"inputResponses").toObject()))
                            + u'|' + params.value(u"requestState").toString())
                    : QString(u"called "_s + params.value(u"name").toString());
            // No resultType: a result of an earlier revision's shape is complete.
            answer(responder, 200,
                    QJsonObject{{u"jsonrpc"_s, u"2.0"_s}, {u"id"_s, id},
                            {u"result"_s,
                                    QJsonObject{{u"content"_s,
                                            QJsonArray{QJsonObject{{u"type"_s, u"text"_s},
                                                    {u"text"_s, text}}}}}}});
            return;
        }
        answer(responder, 404, error(id, -32601, u"Method not found"_s));
    }
};

} // namespace

class tst_ProxyStateless : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void bridgedHost_data();
    void bridgedHost();
    void unsupportedVersionIsRetriedOnce();
    void inputRequiredBecomesHostRequest_data();
    void inputRequiredBecomesHostRequest();
    void unansweredInputRequestFailsTheRequest();
    void listenStreamDeliversListChanges();
    void modernHostPassesThrough();
    void modernHostGetsNoUnrequestedListChanged();
    void forcedModernAgainstLegacyServerFails();
    void headerMismatchRelistsAndRetriesOnce();
    void headerMismatchTwiceReachesTheHost();
    void brokenStreamIsReissuedUnderANewId_data();
    void brokenStreamIsReissuedUnderANewId();
    void alwaysBrokenStreamFailsClearly();
    void rememberedLegacyEraOfAServerNowModern_data();
    void rememberedLegacyEraOfAServerNowModern();
};

void tst_ProxyStateless::bridgedHost_data()
{
    QTest::addColumn<bool>("sse");
    QTest::addColumn<QString>("protocol"); // upstream.protocol; empty: the default (auto)
    QTest::newRow("json, auto") << false << QString();
    QTest::newRow("sse, auto") << true << QString();
    QTest::newRow("json, forced") << false << u"2026-07-28"_s;
}

void tst_ProxyStateless::bridgedHost()
{
    QFETCH(bool, sse);
    QFETCH(QString, protocol);
    FakeStatelessServer server;
    server.sse = sse;
    QVERIFY(server.http.listen());
    ProxyProcess proxy;
    QStringList arguments;
    if (!protocol.isEmpty())
        arguments << u"--protocol"_s << protocol;
    QVERIFY(proxy.start(arguments << server.http.url(u"/mcp"_s).toString()));

    proxy.send(
            R"({"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{"sampling":{}},"clientInfo":{"name":"tst","version":"1"}}})");
    const QJsonObject initialized = proxy.takeResponse(u"init"_s);
    const QJsonObject initializeResult = initialized.value(u"result").toObject();
    QCOMPARE(initializeResult.value(u"protocolVersion").toString(), u"2025-06-18"_s);
    QCOMPARE(initializeResult.value(u"serverInfo")[u"name"].toString(), u"stateless"_s);
    QCOMPARE(initializeResult.value(u"instructions").toString(), u"be nice"_s);
    QVERIFY(initializeResult.value(u"capabilities")[u"tools"].isObject());
    proxy.send(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");

    proxy.send(R"({"jsonrpc":"2.0","id":2,"method":"ping"})");
    QVERIFY(proxy.takeResponse(2).value(u"result").isObject());
    proxy.send(R"({"jsonrpc":"2.0","id":3,"method":"tools/list"})");
    const QJsonArray tools = proxy.takeResponse(3).value(u"result")[u"tools"].toArray();
    QCOMPARE(tools.size(), 1); // "invalid" declares x-mcp-header on a number
    QCOMPARE(tools.first()[u"name"].toString(), u"query"_s);
    proxy.send(
            R"({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"query","arguments":{"region":"eu west ✓"},"_meta":{"progressToken":7}}})");
    QCOMPARE(proxy.takeResponse(4).value(u"result")[u"content"][0][u"text"].toString(),
            u"called query"_s);

    proxy.closeStdin();
    QVERIFY(proxy.waitForExit());
    QCOMPARE(proxy.process().exitCode(), 0);
    QVERIFY2(proxy.stdoutViolations().isEmpty(), proxy.stdoutViolations().value(0).constData());

    // The wire: POST only, no session, no initialize, no notification, no ping, no DELETE.
    for (const FakeHttpRequest &request : server.http.requests()) {
        QCOMPARE(request.method, "POST"_ba);
        QVERIFY(!request.hasHeader("Mcp-Session-Id"));
    }
    QVERIFY(server.postsOf(u"initialize"_s).isEmpty());
    QVERIFY(server.postsOf(u"ping"_s).isEmpty());
    QVERIFY(server.postsOf(u"notifications/initialized"_s).isEmpty());
    QCOMPARE(server.postsOf(u"server/discover"_s).size(), 1);
    const QList<FakeHttpRequest> calls = server.postsOf(u"tools/call"_s);
    QCOMPARE(calls.size(), 1);
    const FakeHttpRequest &call = calls.first();
    QCOMPARE(call.header("MCP-Protocol-Version"), "2026-07-28"_ba);
    QCOMPARE(call.header("Mcp-Method"), "tools/call"_ba);
    QCOMPARE(call.header("Mcp-Name"), "query"_ba);
    QCOMPARE(call.header("Mcp-Param-Region"),
            "=?base64?" + u"eu west ✓"_s.toUtf8().toBase64() + "?=");
    const QJsonObject meta = parse(call.body).value(u"params")[u"_meta"].toObject();
    QCOMPARE(meta.value(u"io.modelcontextprotocol/protocolVersion").toString(), Modern);
    QCOMPARE(meta.value(u"io.modelcontextprotocol/clientCapabilities").toObject(),
            QJsonObject({{u"sampling"_s, QJsonObject()}}));
    QCOMPARE(meta.value(u"io.modelcontextprotocol/clientInfo")[u"name"].toString(), u"tst"_s);
    QCOMPARE(meta.value(u"progressToken").toInt(), 7); // the host's own _meta stays
}

void tst_ProxyStateless::unsupportedVersionIsRetriedOnce()
{
    FakeStatelessServer server;
    server.rejectVersionFirst = 1;
    QVERIFY(server.http.listen());
    ProxyProcess proxy;
    QVERIFY(proxy.start({server.http.url(u"/mcp"_s).toString()}));
    proxy.initialize();
    QCOMPARE(server.postsOf(u"server/discover"_s).size(), 2); // -32022, then the retry
    // The proxy's own subscriptions/listen follows initialize: the next -32022 is for tools/list.
    QVERIFY(QTest::qWaitFor([&] { return !server.listens.isEmpty(); }, 10000));
    server.rejectVersionFirst = 1;
    proxy.send(R"({"jsonrpc":"2.0","id":5,"method":"tools/list"})");
    QCOMPARE(proxy.takeResponse(5).value(u"result")[u"tools"].toArray().size(), 1);
    QCOMPARE(server.postsOf(u"tools/list"_s).size(), 2);
}

void tst_ProxyStateless::inputRequiredBecomesHostRequest_data()
{
    QTest::addColumn<bool>("rejectContinuationVersion");
    QTest::newRow("continuation answered") << false;
    // -32022 on the continuation: its retry still carries inputResponses and requestState.
    QTest::newRow("continuation refused with -32022 once") << true;
}

void tst_ProxyStateless::inputRequiredBecomesHostRequest()
{
    QFETCH(bool, rejectContinuationVersion);
    FakeStatelessServer server;
    server.elicit = true;
    QVERIFY(server.http.listen());
    ProxyProcess proxy;
    QVERIFY(proxy.start({server.http.url(u"/mcp"_s).toString()}));
    proxy.send(
            R"({"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{"elicitation":{}},"clientInfo":{"name":"tst","version":"1"}}})");
    QVERIFY(proxy.takeResponse(u"init"_s).contains(u"result"));
    proxy.send(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
    proxy.send(
            R"({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"confirm","arguments":{}}})");
    const QJsonObject ask = proxy.takeMethod(u"elicitation/create"_s);
    QVERIFY2(ask.contains(u"id"), proxy.stderrText().constData());
    QCOMPARE(ask.value(u"params")[u"message"].toString(), u"ok?"_s);
    server.rejectVersionFirst = rejectContinuationVersion ? 1 : 0;
    const QByteArray answer = R"({"jsonrpc":"2.0","id":)"
            + QJsonDocument(QJsonArray{ask.value(u"id")})
                      .toJson(QJsonDocument::Compact)
                      .mid(1)
                      .chopped(1)
            + R"(,"result":{"action":"accept","content":{"yes":true}}})";
    proxy.send(answer);
    const QJsonObject final = proxy.takeResponse(9);
    const QString text = final.value(u"result")[u"content"][0][u"text"].toString();
    QVERIFY2(text.endsWith(u"|opaque-state"_s), qPrintable(text));
    QVERIFY(text.contains(u"accept"_s));
    const QList<FakeHttpRequest> calls = server.postsOf(u"tools/call"_s);
    QCOMPARE(calls.size(), rejectContinuationVersion ? 3 : 2);
    // The continuation has a new id; the host's answer itself never went upstream.
    QVERIFY(parse(calls.at(0).body).value(u"id") != parse(calls.at(1).body).value(u"id"));
    if (rejectContinuationVersion)
        QCOMPARE(
                parse(calls.at(2).body).value(u"params"), parse(calls.at(1).body).value(u"params"));
    for (const FakeHttpRequest &request : server.posts)
        QVERIFY(!parse(request.body).contains(u"result"));
}

void tst_ProxyStateless::unansweredInputRequestFailsTheRequest()
{
    FakeStatelessServer server;
    server.elicit = true;
    QVERIFY(server.http.listen());
    ProxyProcess proxy;
    QProcessEnvironment env;
    env.insert(u"UPSTREAM_TIMEOUT_MS"_s, u"1000"_s);
    QVERIFY(proxy.start({server.http.url(u"/mcp"_s).toString()}, env));
    proxy.send(
            R"({"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{"elicitation":{}},"clientInfo":{"name":"tst","version":"1"}}})");
    QVERIFY(proxy.takeResponse(u"init"_s).contains(u"result"));
    proxy.send(
            R"({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"confirm","arguments":{}}})");
    const QJsonObject ask = proxy.takeMethod(u"elicitation/create"_s);
    QVERIFY(ask.contains(u"id"));
    // The host never answers: the request still gets exactly one answer, an error.
    QVERIFY(proxy.takeResponse(9).contains(u"error"));
    QCOMPARE(proxy.takeMethod(u"notifications/cancelled"_s).value(u"params")[u"requestId"],
            ask.value(u"id"));
    QCOMPARE(server.postsOf(u"tools/call"_s).size(), 1);
}

void tst_ProxyStateless::listenStreamDeliversListChanges()
{
    FakeStatelessServer server;
    QVERIFY(server.http.listen());
    ProxyProcess proxy;
    QVERIFY(proxy.start({server.http.url(u"/mcp"_s).toString()}));
    proxy.initialize();
    QVERIFY(QTest::qWaitFor([&] { return !server.listens.isEmpty(); }, 10000));
    const QJsonObject listen = parse(server.postsOf(u"subscriptions/listen"_s).constFirst().body);
    QCOMPARE(listen.value(u"params")[u"notifications"][u"toolsListChanged"].toBool(), true);
    server.notifyListeners(R"({"jsonrpc":"2.0","method":"notifications/tools/list_changed"})");
    QVERIFY(!proxy.takeMethod(u"notifications/tools/list_changed"_s).isEmpty());
    // The acknowledgement is the proxy's own business.
    for (const QJsonObject &message : proxy.messages())
        QVERIFY(message.value(u"method") != u"notifications/subscriptions/acknowledged"_s);
}

void tst_ProxyStateless::modernHostPassesThrough()
{
    FakeStatelessServer server;
    QVERIFY(server.http.listen());
    ProxyProcess proxy;
    QVERIFY(proxy.start({server.http.url(u"/mcp"_s).toString()}));
    const QByteArray discover =
            R"({"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}})";
    proxy.send(discover);
    QCOMPARE(proxy.takeResponse(1).value(u"result")[u"serverInfo"][u"name"].toString(),
            u"stateless"_s);
    proxy.send(
            R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"query","arguments":{"region":"x"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}})");
    QCOMPARE(proxy.takeResponse(2).value(u"result")[u"content"][0][u"text"].toString(),
            u"called query"_s);
    QCOMPARE(server.posts.size(), 2);
    QCOMPARE(server.posts.first().body, discover); // as the host wrote it
    QCOMPARE(server.posts.last().header("Mcp-Name"), "query"_ba);
}

void tst_ProxyStateless::modernHostGetsNoUnrequestedListChanged()
{
    FakeStatelessServer server;
    server.validateParams = true; // the host's call lacks Mcp-Param-Region: -32020 first
    QVERIFY(server.http.listen());
    ProxyProcess proxy;
    QVERIFY(proxy.start({server.http.url(u"/mcp"_s).toString()}));
    proxy.send(
            R"({"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}})");
    QVERIFY(proxy.takeResponse(1).contains(u"result"));
    proxy.send(
            R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"query","arguments":{"region":"x"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}})");
    const QJsonObject answer = proxy.takeResponse(2);
    QVERIFY2(answer.contains(u"result"), json(answer).constData());
    QCOMPARE(server.postsOf(u"tools/call"_s).size(), 2);
    // A 2026-07-28 client gets only the notifications its subscriptions/listen asked for
    // (basic/patterns/subscriptions): none here.
    for (const QJsonObject &message : proxy.messages())
        QVERIFY(!message.contains(u"method"));
}

void tst_ProxyStateless::forcedModernAgainstLegacyServerFails()
{
    FakeHttpServer legacy; // a 2025 stateful server refuses anything before initialize
    legacy.setHandler([](const FakeHttpRequest &, FakeHttpResponder *responder) {
        responder->reply(400, {{"Content-Type", "application/json"}},
                R"({"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Bad Request: No valid session ID provided"}})");
    });
    QVERIFY(legacy.listen());
    ProxyProcess proxy;
    QVERIFY(proxy.start({u"--protocol"_s, u"2026-07-28"_s, legacy.url(u"/mcp"_s).toString()}));
    proxy.send(
            R"({"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"tst","version":"1"}}})");
    const QJsonObject response = proxy.takeResponse(u"init"_s);
    QVERIFY(response.contains(u"error"));
    QVERIFY2(response.value(u"error")[u"message"].toString().contains(u"upstream.protocol"_s)
                    || response.value(u"error")[u"data"]
                               .toObject()
                               .value(u"reason")
                               .toString()
                               .contains(u"upstream.protocol"_s),
            qPrintable(QString::fromUtf8(json(response))));
    QCOMPARE(legacy.requests().size(), 1); // no initialize was tried
}

void tst_ProxyStateless::headerMismatchRelistsAndRetriesOnce()
{
    FakeStatelessServer server;
    server.validateParams = true;
    server.paginate = true;
    QVERIFY(server.http.listen());
    ProxyProcess proxy;
    QVERIFY(proxy.start({server.http.url(u"/mcp"_s).toString()}));
    proxy.initialize();
    proxy.send(R"({"jsonrpc":"2.0","id":3,"method":"tools/list"})");
    QCOMPARE(proxy.takeResponse(3).value(u"result")[u"nextCursor"].toString(), u"2"_s);
    proxy.send(R"({"jsonrpc":"2.0","id":4,"method":"tools/list","params":{"cursor":"2"}})");
    QCOMPARE(proxy.takeResponse(4).value(u"result")[u"tools"].toArray().size(), 1);
    server.toolsSchema = 2; // the server now mirrors "zone" too; the proxy does not know yet
    proxy.send(
            R"({"jsonrpc":"2.0","id":"call-5","method":"tools/call","params":{"name":"query","arguments":{"region":"eu","zone":"z1"}}})");
    const QJsonObject answer = proxy.takeResponse(u"call-5"_s);
    QVERIFY2(answer.contains(u"result"), json(answer).constData());
    QCOMPARE(answer.value(u"result")[u"content"][0][u"text"].toString(), u"called query"_s);

    const QList<FakeHttpRequest> calls = server.postsOf(u"tools/call"_s);
    QCOMPARE(calls.size(), 2); // refused, then exactly one corrected retry
    QVERIFY(!calls.first().hasHeader("Mcp-Param-Zone"));
    QCOMPARE(calls.last().header("Mcp-Param-Zone"), "z1"_ba);
    QCOMPARE(calls.last().header("Mcp-Param-Region"), "eu"_ba);
    // Both pages listed again by the proxy itself (never shown to the host).
    const QList<FakeHttpRequest> lists = server.postsOf(u"tools/list"_s);
    QCOMPARE(lists.size(), 4);
    QVERIFY(!parse(lists.at(2).body).value(u"params").toObject().contains(u"cursor"));
    QCOMPARE(parse(lists.at(3).body).value(u"params")[u"cursor"].toString(), u"2"_s);
    QCOMPARE(lists.at(3).header("Mcp-Method"), "tools/list"_ba);
    for (const QJsonObject &message : proxy.messages())
        QVERIFY(message.value(u"id") != QJsonValue(parse(lists.at(2).body).value(u"id")));
    // The host's own listing was stale as well: it is told so, once.
    QVERIFY(!proxy.takeMethod(u"notifications/tools/list_changed"_s).isEmpty());
    for (const QJsonObject &message : proxy.messages())
        QVERIFY(message.value(u"method") != u"notifications/tools/list_changed"_s);
}

void tst_ProxyStateless::headerMismatchTwiceReachesTheHost()
{
    FakeStatelessServer server;
    server.alwaysMismatch = true;
    QVERIFY(server.http.listen());
    ProxyProcess proxy;
    QVERIFY(proxy.start({server.http.url(u"/mcp"_s).toString()}));
    proxy.initialize();
    proxy.send(
            R"({"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"query","arguments":{"region":"eu"}}})");
    const QJsonObject answer = proxy.takeResponse(6);
    QCOMPARE(answer.value(u"error")[u"code"].toInt(), -32020); // the server's own error
    QCOMPARE(answer.value(u"error")[u"message"].toString(), u"Header mismatch: Mcp-Param"_s);
    QCOMPARE(server.postsOf(u"tools/call"_s).size(), 2);
    QCOMPARE(server.postsOf(u"tools/list"_s).size(), 1);
    // A later call gets its own single retry.
    proxy.send(
            R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"query","arguments":{"region":"eu"}}})");
    QCOMPARE(proxy.takeResponse(7).value(u"error")[u"code"].toInt(), -32020);
    QCOMPARE(server.postsOf(u"tools/call"_s).size(), 4);
}

void tst_ProxyStateless::brokenStreamIsReissuedUnderANewId_data()
{
    QTest::addColumn<bool>("abruptly");
    QTest::addColumn<bool>("modernHost");
    QTest::newRow("clean end, bridged host") << false << false;
    QTest::newRow("connection reset, bridged host") << true << false;
    QTest::newRow("clean end, 2026-07-28 host") << false << true;
}

void tst_ProxyStateless::brokenStreamIsReissuedUnderANewId()
{
    QFETCH(bool, abruptly);
    QFETCH(bool, modernHost);
    FakeStatelessServer server;
    server.breakStreams = 1;
    server.breakAbruptly = abruptly;
    QVERIFY(server.http.listen());
    ProxyProcess proxy;
    QVERIFY(proxy.start({server.http.url(u"/mcp"_s).toString()}));
    if (modernHost) {
        proxy.send(
                R"({"jsonrpc":"2.0","id":"call-8","method":"tools/call","params":{"name":"query","arguments":{},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}})");
    } else {
        proxy.initialize();
        proxy.send(
                R"({"jsonrpc":"2.0","id":"call-8","method":"tools/call","params":{"name":"query","arguments":{}}})");
    }
    const QJsonObject answer = proxy.takeResponse(u"call-8"_s);
    QVERIFY2(answer.contains(u"result"), json(answer).constData());
    QCOMPARE(answer.value(u"result")[u"content"][0][u"text"].toString(), u"called query"_s);

    const QList<FakeHttpRequest> calls = server.postsOf(u"tools/call"_s);
    QCOMPARE(calls.size(), 2);
    const QJsonObject first = parse(calls.first().body);
    const QJsonObject second = parse(calls.last().body);
    QCOMPARE(first.value(u"id").toString(), u"call-8"_s);
    QVERIFY(second.value(u"id") != first.value(u"id")); // a new request, a new id
    QCOMPARE(second.value(u"params"), first.value(u"params"));
    QCOMPARE(calls.last().header("Mcp-Name"), "query"_ba);
    // What the broken stream carried still reached the host; no second answer for call-8.
    QCOMPARE(proxy.takeMethod(u"notifications/message"_s).value(u"params")[u"data"].toString(),
            u"working"_s);
    for (const QJsonObject &message : proxy.messages())
        QVERIFY(message.value(u"id") != u"call-8"_s);
}

void tst_ProxyStateless::alwaysBrokenStreamFailsClearly()
{
    FakeStatelessServer server;
    server.breakStreams = -1;
    QVERIFY(server.http.listen());
    ProxyProcess proxy;
    QVERIFY(proxy.start({server.http.url(u"/mcp"_s).toString()}));
    proxy.initialize();
    proxy.send(
            R"({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"query","arguments":{}}})");
    const QJsonObject answer = proxy.takeResponse(9);
    QVERIFY2(answer.contains(u"error"), json(answer).constData());
    const QString reason = answer.value(u"error")[u"data"][u"reason"].toString();
    QVERIFY2(reason.contains(u"ended before the final response, also after 2 re-issues"_s),
            qPrintable(reason));
    QCOMPARE(server.postsOf(u"tools/call"_s).size(), 3); // the request and two re-issues
    QSet<QString> ids;
    for (const FakeHttpRequest &call : server.postsOf(u"tools/call"_s))
        ids.insert(QString::fromUtf8(json(QJsonObject{{u"id"_s, parse(call.body).value(u"id")}})));
    QCOMPARE(ids.size(), 3);
}

void tst_ProxyStateless::rememberedLegacyEraOfAServerNowModern_data()
{
    QTest::addColumn<qint64>("ageSeconds"); // of the remembered verdict
    QTest::addColumn<int>("initializePosts"); // initialize tried before the probe
    // Within a day the remembered verdict skips the probe: initialize goes first, the server
    // refuses it, and the probe finds the modern server. After a day the probe comes first.
    QTest::newRow("remembered an hour ago") << qint64(3600) << 1;
    QTest::newRow("remembered two days ago") << qint64(2 * 86400) << 0;
}

void tst_ProxyStateless::rememberedLegacyEraOfAServerNowModern()
{
    QFETCH(qint64, ageSeconds);
    QFETCH(int, initializePosts);
    FakeStatelessServer server;
    QVERIFY(server.http.listen());
    const QString url = server.http.url(u"/mcp"_s).toString();
    // The file of the initialize cache (auth/store/initializeresultcache.h) as an earlier start
    // against a 2025 server at this URL left it.
    QTemporaryDir store;
    QVERIFY(store.isValid());
    const QByteArray hash =
            QCryptographicHash::hash(url.toUtf8(), QCryptographicHash::Sha256).toHex();
    const QString folder = store.filePath(u"initialize/v1"_s);
    QVERIFY(QDir().mkpath(folder));
    const auto ownerOnly = QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner;
    for (const QString &directory : {store.path(), store.filePath(u"initialize"_s), folder})
        QVERIFY(QFile::setPermissions(directory, ownerOnly));
    QFile file(folder + u'/' + QString::fromLatin1(hash.left(32)) + u".json"_s);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(json(QJsonObject{{u"schema"_s, 1}, {u"server"_s, QString::fromLatin1(hash)},
            {u"requestedProtocolVersion"_s, u"2025-06-18"_s},
            {u"result"_s,
                    QJsonObject{{u"protocolVersion"_s, u"2025-06-18"_s},
                            {u"capabilities"_s, QJsonObject()},
                            {u"serverInfo"_s,
                                    QJsonObject{{u"name"_s, u"old"_s}, {u"version"_s, u"1"_s}}}}},
            {u"era"_s, u"legacy"_s},
            {u"eraDetectedAt"_s,
                    QDateTime::currentDateTimeUtc()
                            .addSecs(-ageSeconds)
                            .toString(Qt::ISODateWithMs)}}));
    file.close();
    QVERIFY(file.setPermissions(QFile::ReadOwner | QFile::WriteOwner));

    ProxyProcess proxy;
    QProcessEnvironment env;
    env.insert(u"OAUTH2_TOKEN_CACHE_DIR"_s, store.path());
    QVERIFY(proxy.start({url}, env));
    proxy.send(
            R"({"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"tst","version":"1"}}})");
    const QJsonObject initialized = proxy.takeResponse(u"init"_s);
    QVERIFY2(initialized.contains(u"result"), proxy.stderrText().constData());
    QCOMPARE(initialized.value(u"result")[u"serverInfo"][u"name"].toString(), u"stateless"_s);
    proxy.send(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
    proxy.send(
            R"({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"query","arguments":{"region":"eu"}}})");
    QCOMPARE(proxy.takeResponse(4).value(u"result")[u"content"][0][u"text"].toString(),
            u"called query"_s);
    QCOMPARE(server.postsOf(u"initialize"_s).size(), initializePosts);
    QCOMPARE(server.postsOf(u"server/discover"_s).size(), 1);
    QCOMPARE(proxy.stderrText().contains("probing with server/discover"), initializePosts > 0);
    // Nothing else reached the host: not the refusal of the unprobed initialize.
    QVERIFY(proxy.messages().isEmpty());

    proxy.closeStdin();
    QVERIFY(proxy.waitForExit());
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QJsonObject remembered = parse(file.readAll());
    QCOMPARE(remembered.value(u"era").toString(), u"modern"_s);
    const QDateTime detectedAt =
            QDateTime::fromString(remembered.value(u"eraDetectedAt").toString(), Qt::ISODateWithMs);
    QVERIFY(qAbs(detectedAt.secsTo(QDateTime::currentDateTimeUtc())) < 600);
}

QTEST_GUILESS_MAIN(tst_ProxyStateless)
#include "tst_proxystateless.moc"
