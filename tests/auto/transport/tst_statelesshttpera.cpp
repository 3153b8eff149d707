// UpstreamSession over StatelessHttpEra against an in-process MCP 2026-07-28 server: the one
// corrected retry after -32020 (re-listing shared by every refused call, its failure, a tool gone
// meanwhile, a cancel while it runs) and the re-issue of a request whose response stream broke
// or whose JSON body broke off (new id, the host's id back, cancel during the delay, the bound).
#include "support/fakehttpserver.h"
#include "transport/statelesshttpera.h"
#include "transport/upstreamsession.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QPointer>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include <memory>
#include <optional>

using namespace McpProxy;
using namespace McpProxy::Test;
using namespace Qt::StringLiterals;

namespace {

const QByteArray Initialize =
        R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})";

QByteArray query(int id)
{
    return R"({"jsonrpc":"2.0","id":)" + QByteArray::number(id)
            + R"(,"method":"tools/call","params":{"name":"query","arguments":{"zone":"z1"}}})";
}

QJsonObject parse(const QByteArray &body)
{
    return QJsonDocument::fromJson(body).object();
}

QByteArray json(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

// A 2026-07-28 server whose tool "query" mirrors "zone" into Mcp-Param-Zone: a tools/call
// without the header is refused with -32020. tools/list answers can be held back.
struct Server
{
    FakeHttpServer http;
    bool holdToolsList = false;
    int toolsListStatus = 200;
    bool listQuery = true; // tools/list names "query"
    int breakStreams = 0; // tools/call SSE streams that end before the result (-1: all)
    int breakJson = 0; // tools/call JSON bodies cut off by a connection reset
    QList<QPointer<FakeHttpResponder>> heldLists;
    QList<QJsonObject> calls; // tools/call bodies as received
    int toolsLists = 0;

    Server()
    {
        http.setHandler([this](const FakeHttpRequest &request, FakeHttpResponder *responder) {
            handle(request, responder);
        });
    }

    void answerToolsList(FakeHttpResponder *responder, const QJsonValue &id)
    {
        if (toolsListStatus != 200) {
            responder->reply(toolsListStatus, {{"Content-Type", "text/plain"}}, "down");
            return;
        }
        QJsonArray tools;
        if (listQuery) {
            const QJsonObject zone{{u"type"_s, u"string"_s}, {u"x-mcp-header"_s, u"Zone"_s}};
            tools.append(QJsonObject{{u"name"_s, u"query"_s},
                    {u"inputSchema"_s,
                            QJsonObject{{u"type"_s, u"object"_s},
                                    {u"properties"_s, QJsonObject{{u"zone"_s, zone}}}}}});
        }
        // An SSE answer, to read the re-listing from a stream too.
        responder->beginStream(200, {{"Content-Type", "text/event-stream"}});
        responder->writeChunk(FakeHttpServer::sseEvent(json({{u"jsonrpc"_s, u"2.0"_s},
                {u"id"_s, id},
                {u"result"_s,
                        QJsonObject{{u"resultType"_s, u"complete"_s}, {u"tools"_s, tools}}}})));
        responder->endStream();
    }

    void releaseToolsLists()
    {
        holdToolsList = false;
        for (const QPointer<FakeHttpResponder> &held : std::exchange(heldLists, {})) {
            if (held)
                answerToolsList(held, parse(held->request().body).value(u"id"));
        }
    }

    void handle(const FakeHttpRequest &request, FakeHttpResponder *responder)
    {
        const QJsonObject message = parse(request.body);
        const QJsonValue id = message.value(u"id");
        const QString method = message.value(u"method").toString();
        const auto reply = [responder, id](int status, const QJsonObject &member) {
            QJsonObject body{{u"jsonrpc"_s, u"2.0"_s}, {u"id"_s, id}};
            body.insert(member.contains(u"code") ? u"error"_s : u"result"_s, member);
            responder->reply(status, {{"Content-Type", "application/json"}}, json(body));
        };
        if (method == "server/discover"_L1) {
            reply(200,
                    {{u"resultType"_s, u"complete"_s},
                            {u"supportedVersions"_s, QJsonArray{u"2026-07-28"_s}},
                            {u"capabilities"_s, QJsonObject{{u"tools"_s, QJsonObject()}}},
                            {u"serverInfo"_s,
                                    QJsonObject{{u"name"_s, u"s"_s}, {u"version"_s, u"1"_s}}}});
            return;
        }
        if (method == "tools/list"_L1) {
            ++toolsLists;
            if (holdToolsList)
                heldLists.append(responder);
            else
                answerToolsList(responder, id);
            return;
        }
        if (method == "tools/call"_L1) {
            calls.append(message);
            if (request.header("Mcp-Param-Zone") != "z1") {
                reply(400, {{u"code"_s, -32020}, {u"message"_s, u"Header mismatch: Zone"_s}});
                return;
            }
            if (breakJson > 0) {
                --breakJson;
                responder->writeRaw("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                    "Content-Length: 500\r\n\r\n{\"jsonrpc\":\"2.0\",");
                responder->closeAbruptly();
                return;
            }
            responder->beginStream(200, {{"Content-Type", "text/event-stream"}});
            if (breakStreams != 0) {
                if (breakStreams > 0)
                    --breakStreams;
                responder->endStream(); // no result
                return;
            }
            responder->writeChunk(
                    FakeHttpServer::sseEvent(json({{u"jsonrpc"_s, u"2.0"_s}, {u"id"_s, id},
                            {u"result"_s,
                                    QJsonObject{{u"resultType"_s, u"complete"_s},
                                            {u"content"_s, QJsonArray()}}}})));
            responder->endStream();
            return;
        }
        reply(404, {{u"code"_s, -32601}, {u"message"_s, u"Method not found"_s}});
    }
};

struct Harness
{
    explicit Harness(const QUrl &url, int reissueDelayMs = 10)
        : client(std::make_unique<StatelessHttpEra>(options(url, reissueDelayMs)), {})
        , received(&client, &UpstreamSession::messageReceived)
        , failed(&client, &UpstreamSession::requestFailed)
    { }
    static StatelessHttpEra::Options options(const QUrl &url, int reissueDelayMs)
    {
        StatelessHttpEra::Options o;
        o.url = url;
        o.timeoutMs = 20000;
        o.openServerStream = false;
        o.reissueDelayMs = reissueDelayMs;
        return o;
    }
    void send(const QByteArray &body) { client.send(body, JsonRpcMessage::classify(body)); }
    bool initialize()
    {
        send(Initialize);
        return !waitFor(0).isEmpty();
    }
    // The one answer the host got for `id` (a response or a failure), if any yet.
    std::optional<QJsonObject> answerFor(int id) const
    {
        for (const QList<QVariant> &args : received) {
            const QJsonObject m = parse(args.at(0).toByteArray());
            if (m.value(u"id").toInt(-1) == id && !m.contains(u"method"))
                return m;
        }
        for (const QList<QVariant> &args : failed) {
            const QJsonObject m = parse(args.at(1).toByteArray());
            if (m.value(u"id").toInt(-1) == id)
                return m;
        }
        return std::nullopt;
    }
    // Responses and failures; notifications are not answers.
    int answerCount() const
    {
        int count = int(failed.size());
        for (const QList<QVariant> &args : received)
            count += parse(args.at(0).toByteArray()).contains(u"method") ? 0 : 1;
        return count;
    }
    int notificationCount(const QString &method) const
    {
        int count = 0;
        for (const QList<QVariant> &args : received)
            count += parse(args.at(0).toByteArray()).value(u"method").toString() == method ? 1 : 0;
        return count;
    }
    QJsonObject waitFor(int id, int timeoutMs = 20000)
    {
        std::optional<QJsonObject> found;
        (void)QTest::qWaitFor([&] { return (found = answerFor(id)).has_value(); }, timeoutMs);
        return found.value_or(QJsonObject());
    }

    UpstreamSession client;
    QSignalSpy received;
    QSignalSpy failed;
};

} // namespace

class tst_StatelessHttpEra : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void refusedCallsShareOneRelistingAndRetryOnce();
    void failedRelistingGivesTheServersError_data();
    void failedRelistingGivesTheServersError();
    void cancelWhileRelistingSendsNothingMore();
    void brokenStreamIsReissuedUnderANewId_data();
    void brokenStreamIsReissuedUnderANewId();
    void cancelDuringTheReissueDelaySendsNothingMore();
    void reissuesAreBounded();
};

void tst_StatelessHttpEra::refusedCallsShareOneRelistingAndRetryOnce()
{
    Server server;
    server.holdToolsList = true;
    QVERIFY(server.http.listen());
    Harness h(server.http.url(u"/mcp"_s));
    QVERIFY(h.initialize());
    // The proxy never listed the tools: neither call carries Mcp-Param-Zone.
    h.send(query(1));
    h.send(query(2));
    QVERIFY(QTest::qWaitFor(
            [&] { return server.calls.size() == 2 && server.toolsLists == 1; }, 20000));
    QCOMPARE(server.heldLists.size(), 1); // one re-listing for both refused calls
    QCOMPARE(h.answerCount(), 1); // only initialize's answer so far
    server.releaseToolsLists();
    QVERIFY(h.waitFor(1).contains(u"result"));
    QVERIFY(h.waitFor(2).contains(u"result"));
    QCOMPARE(server.calls.size(), 4);
    QCOMPARE(server.toolsLists, 1);
    // The retries are the host's requests, under the host's ids; the re-listing is the proxy's own.
    QCOMPARE(server.calls.at(2).value(u"id").toInt() + server.calls.at(3).value(u"id").toInt(), 3);
    for (const QList<QVariant> &args : h.received)
        QVERIFY(!args.at(0).toByteArray().contains("mcp-oauth2-proxy-tools-"));
    // The host (2025-11-25, bridged) built the calls from a stale list: one list_changed.
    QCOMPARE(h.notificationCount(u"notifications/tools/list_changed"_s), 1);
}

void tst_StatelessHttpEra::failedRelistingGivesTheServersError_data()
{
    QTest::addColumn<int>("listStatus");
    QTest::addColumn<bool>("listQuery");
    QTest::addColumn<int>("listChanged"); // notifications the host gets
    QTest::newRow("tools/list fails") << 500 << true << 0; // nothing new is known
    QTest::newRow("the tool is gone") << 200 << false << 1;
}

void tst_StatelessHttpEra::failedRelistingGivesTheServersError()
{
    QFETCH(int, listStatus);
    QFETCH(bool, listQuery);
    QFETCH(int, listChanged);
    Server server;
    server.toolsListStatus = listStatus;
    server.listQuery = listQuery;
    QVERIFY(server.http.listen());
    Harness h(server.http.url(u"/mcp"_s));
    QVERIFY(h.initialize());
    h.send(query(3));
    const QJsonObject answer = h.waitFor(3);
    QCOMPARE(answer.value(u"error")[u"code"].toInt(), -32020);
    QCOMPARE(answer.value(u"error")[u"message"].toString(), u"Header mismatch: Zone"_s);
    QCOMPARE(server.calls.size(), 1); // no retry without a corrected header set
    QCOMPARE(server.toolsLists, 1);
    QCOMPARE(h.answerCount(), 2);
    QCOMPARE(h.notificationCount(u"notifications/tools/list_changed"_s), listChanged);
}

void tst_StatelessHttpEra::cancelWhileRelistingSendsNothingMore()
{
    Server server;
    server.holdToolsList = true;
    QVERIFY(server.http.listen());
    Harness h(server.http.url(u"/mcp"_s));
    QVERIFY(h.initialize());
    h.send(query(4));
    QVERIFY(QTest::qWaitFor([&] { return server.toolsLists == 1; }, 20000));
    h.client.cancel(JsonRpcMessage::idKey(QJsonValue(4)));
    server.releaseToolsLists();
    // A later request is answered: everything before it has been handled.
    h.send(R"({"jsonrpc":"2.0","id":5,"method":"resources/list"})");
    QCOMPARE(h.waitFor(5).value(u"error")[u"code"].toInt(), -32601);
    QCOMPARE(server.calls.size(), 1);
    QVERIFY(!h.answerFor(4).has_value());
}

void tst_StatelessHttpEra::brokenStreamIsReissuedUnderANewId_data()
{
    QTest::addColumn<bool>("jsonBody");
    QTest::newRow("SSE stream ends early") << false;
    QTest::newRow("JSON body cut off") << true;
}

void tst_StatelessHttpEra::brokenStreamIsReissuedUnderANewId()
{
    QFETCH(bool, jsonBody);
    Server server;
    (jsonBody ? server.breakJson : server.breakStreams) = 1;
    QVERIFY(server.http.listen());
    Harness h(server.http.url(u"/mcp"_s));
    QVERIFY(h.initialize());
    h.send(R"({"jsonrpc":"2.0","id":"t","method":"tools/list"})"); // learns Mcp-Param-Zone
    QVERIFY(QTest::qWaitFor([&] { return h.received.size() == 2; }, 20000));
    h.send(query(6));
    const QJsonObject answer = h.waitFor(6);
    QVERIFY2(answer.contains(u"result"), json(answer).constData());
    QCOMPARE(answer.value(u"id"), QJsonValue(6)); // the host's own id, as a number
    QCOMPARE(server.calls.size(), 2);
    QCOMPARE(server.calls.first().value(u"id"), QJsonValue(6));
    QVERIFY(server.calls.last().value(u"id").toString().startsWith(u"mcp-oauth2-proxy-reissue-"));
}

void tst_StatelessHttpEra::cancelDuringTheReissueDelaySendsNothingMore()
{
    Server server;
    server.breakStreams = -1;
    QVERIFY(server.http.listen());
    Harness h(server.http.url(u"/mcp"_s), 600000); // the re-issue waits (for the test: forever)
    QVERIFY(h.initialize());
    h.send(R"({"jsonrpc":"2.0","id":"t","method":"tools/list"})");
    QVERIFY(QTest::qWaitFor([&] { return h.received.size() == 2; }, 20000));
    h.send(query(7));
    QVERIFY(QTest::qWaitFor([&] { return server.calls.size() == 1; }, 20000));
    h.client.cancel(JsonRpcMessage::idKey(QJsonValue(7)));
    h.send(R"({"jsonrpc":"2.0","id":8,"method":"resources/list"})");
    QCOMPARE(h.waitFor(8).value(u"error")[u"code"].toInt(), -32601);
    QCOMPARE(server.calls.size(), 1);
    QVERIFY(!h.answerFor(7).has_value());
}

void tst_StatelessHttpEra::reissuesAreBounded()
{
    Server server;
    server.breakStreams = -1;
    QVERIFY(server.http.listen());
    Harness h(server.http.url(u"/mcp"_s));
    QVERIFY(h.initialize());
    h.send(R"({"jsonrpc":"2.0","id":"t","method":"tools/list"})");
    QVERIFY(QTest::qWaitFor([&] { return h.received.size() == 2; }, 20000));
    h.send(query(9));
    const QJsonObject answer = h.waitFor(9);
    QCOMPARE(answer.value(u"error")[u"code"].toInt(), -32000);
    QVERIFY(answer.value(u"error")[u"data"][u"reason"].toString().contains(u"re-issues"_s));
    QCOMPARE(server.calls.size(), 1 + StatelessHttpEra::MaxReissues);
}

QTEST_GUILESS_MAIN(tst_StatelessHttpEra)
#include "tst_statelesshttpera.moc"
