// UpstreamSession over StreamableHttpEra against the in-process fake servers: ordering barriers,
// session and version capture, re-initialization, resumption limits, GET stream policy,
// cancellation, shutdown, redirects.
#include "support/fakehttpserver.h"
#include "support/fakemcpserver.h"
#include "transport/streamablehttpera.h"
#include "transport/upstreamsession.h"

#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QPointer>
#include <QtCore/QTimer>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include <cstdlib>

using namespace McpProxy;
using namespace McpProxy::Test;
using namespace Qt::StringLiterals;

namespace {

const QByteArray Initialize =
        R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})";
const QByteArray Initialized = R"({"jsonrpc":"2.0","method":"notifications/initialized"})";

QByteArray echo(int id, const QByteArray &text = "x")
{
    return R"({"jsonrpc":"2.0","id":)" + QByteArray::number(id)
            + R"(,"method":"tools/call","params":{"name":"echo","arguments":{"text":")" + text
            + R"("}}})";
}

QByteArray slow(int id, int ms)
{
    return R"({"jsonrpc":"2.0","id":)" + QByteArray::number(id)
            + R"(,"method":"tools/call","params":{"name":"slow","arguments":{"ms":)"
            + QByteArray::number(ms) + "}}}";
}

struct Harness
{
    explicit Harness(const QUrl &url, int timeoutMs = 10000)
        : client(std::make_unique<StreamableHttpEra>(options(url, timeoutMs)), {})
        , received(&client, &UpstreamSession::messageReceived)
        , failed(&client, &UpstreamSession::requestFailed)
    { }
    static StreamableHttpEra::Options options(const QUrl &url, int timeoutMs)
    {
        StreamableHttpEra::Options o;
        o.url = url;
        o.timeoutMs = timeoutMs;
        o.defaultRetryMs = 50;
        o.maxBackoffMs = 200;
        return o;
    }
    void send(const QByteArray &body) { client.send(body, JsonRpcMessage::classify(body)); }
    bool handshake()
    {
        send(Initialize);
        send(Initialized);
        return QTest::qWaitFor([this] { return responseFor(0).has_value(); }, 5000);
    }
    std::optional<QJsonObject> responseFor(int id) const
    {
        for (const QList<QVariant> &args : received) {
            const QJsonObject m = QJsonDocument::fromJson(args.at(0).toByteArray()).object();
            if (m.value(u"id").toInt(-1) == id && !m.contains(u"method"))
                return m;
        }
        for (const QList<QVariant> &args : failed) {
            const QJsonObject m = QJsonDocument::fromJson(args.at(1).toByteArray()).object();
            if (m.value(u"id").toInt(-1) == id)
                return m;
        }
        return std::nullopt;
    }
    QJsonObject waitFor(int id, int timeoutMs = 5000)
    {
        std::optional<QJsonObject> found;
        (void)QTest::qWaitFor([&] { return (found = responseFor(id)).has_value(); }, timeoutMs);
        return found.value_or(QJsonObject());
    }

    UpstreamSession client;
    QSignalSpy received;
    QSignalSpy failed;
};

} // namespace

class tst_StreamableHttpEra : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void messagesWaitForTheHandshake();
    void negotiatedVersionAndSessionAreSent();
    void statelessServerWorksWithoutSession();
    void reinitializationFailureIsReported();
    void resumptionGivesUpAfterTheLimit();
    void getStreamBacksOffOnServerErrors();
    void cancelledRequestEmitsNothing();
    void shutdownFailsPendingAndDeletesSession();
    void invalidSuccessBodiesFailTheRequest_data();
    void invalidSuccessBodiesFailTheRequest();
    void batchResponseIsSplit();
    void crossOriginRedirectIsNotFollowed();
    void brokenSuccessBodyReportsItsCause_data();
    void brokenSuccessBodyReportsItsCause();
    void sameOriginRedirectIsPostedExactlyOnce_data();
    void sameOriginRedirectIsPostedExactlyOnce();
    void redirectsThatChangeTheMethodAreRefused_data();
    void redirectsThatChangeTheMethodAreRefused();
    void redirectLoopIsRefused();
    void negotiatedVersionMustBeAToken();
    void eventIdWithControlCharactersIsNotSentBack_data();
    void eventIdWithControlCharactersIsNotSentBack();
};

void tst_StreamableHttpEra::messagesWaitForTheHandshake()
{
    FakeMcpServer server;
    QVERIFY(server.listen());
    server.setDelayHeadersMs(200); // a slow initialize
    Harness h(server.url());
    h.send(Initialize);
    h.send(Initialized);
    h.send(echo(1));
    h.send(echo(2));
    QVERIFY(!h.waitFor(2).isEmpty());
    // Nothing reached the server before the initialize response: every later POST carries the
    // session, and notifications/initialized came before the calls.
    const QList<FakeHttpRequest> &requests = server.http().requests();
    QStringList order;
    for (const FakeHttpRequest &r : requests) {
        if (r.method != "POST")
            continue;
        const QJsonObject m = QJsonDocument::fromJson(r.body).object();
        order << m.value(u"method").toString();
        if (m.value(u"method").toString() != u"initialize")
            QCOMPARE(r.header("Mcp-Session-Id"), server.sessionId());
    }
    QCOMPARE(order.mid(0, 2), (QStringList{u"initialize"_s, u"notifications/initialized"_s}));
}

void tst_StreamableHttpEra::negotiatedVersionAndSessionAreSent()
{
    FakeMcpServer server;
    QVERIFY(server.listen());
    Harness h(server.url());
    QVERIFY(h.handshake());
    QCOMPARE(h.client.protocolVersion(), u"2025-11-25"_s);
    QCOMPARE(h.client.sessionId(), server.sessionId());
    h.send(echo(1));
    QVERIFY(!h.waitFor(1).isEmpty());
    QCOMPARE(server.lastProtocolVersionSeen(), "2025-11-25"_ba);
    QTRY_COMPARE(server.openGetStreamCount(), 1);
}

void tst_StreamableHttpEra::statelessServerWorksWithoutSession()
{
    FakeMcpServer server;
    QVERIFY(server.listen());
    server.setSessionsEnabled(false);
    server.setGetStreamMode(FakeMcpServer::GetStreamMode::MethodNotAllowed405);
    Harness h(server.url());
    QVERIFY(h.handshake());
    QVERIFY(h.client.sessionId().isEmpty());
    h.send(echo(1));
    QCOMPARE(h.waitFor(1).value(u"result")[u"content"][0][u"text"].toString(), u"x"_s);
    QSignalSpy finished(&h.client, &UpstreamSession::shutdownFinished);
    h.client.shutdown();
    QVERIFY(finished.wait(2000));
    QCOMPARE(server.deleteCount(), 0); // no session, nothing to DELETE
}

void tst_StreamableHttpEra::reinitializationFailureIsReported()
{
    FakeMcpServer server;
    QVERIFY(server.listen());
    Harness h(server.url());
    QVERIFY(h.handshake());
    QTRY_COMPARE(server.openGetStreamCount(), 1); // notifications/initialized is through
    server.expireSession();
    server.failStatus(u"initialize"_s, 500, "down");
    h.send(echo(1));
    const QJsonObject error = h.waitFor(1).value(u"error").toObject();
    QCOMPARE(error.value(u"code").toInt(), -32001);
    QCOMPARE(error.value(u"data")[u"status"].toInt(), 404);
    // The server is back: the next message re-initializes first instead of going out without a
    // session.
    server.clearFailures();
    h.send(echo(2, "back"));
    QCOMPARE(h.waitFor(2).value(u"result")[u"content"][0][u"text"].toString(), u"back"_s);
    QCOMPARE(server.initializeCount(), 2);
}

void tst_StreamableHttpEra::resumptionGivesUpAfterTheLimit()
{
    FakeMcpServer server;
    QVERIFY(server.listen());
    server.setRetryMs(10);
    Harness h(server.url());
    QVERIFY(h.handshake());
    // From now on every stream ends after a priming event, and every resumption ends without a
    // new event: the client must stop after maxResumeAttempts.
    server.http().setHandler([](const FakeHttpRequest &request, FakeHttpResponder *responder) {
        responder->beginStream(200, {{"Content-Type", "text/event-stream"}});
        if (!request.hasHeader("Last-Event-ID"))
            responder->writeChunk(FakeHttpServer::sseEvent({}, "s-0", 10));
        responder->endStream();
    });
    h.send(echo(7));
    const QJsonObject error = h.waitFor(7, 5000).value(u"error").toObject();
    QCOMPARE(error.value(u"code").toInt(), -32000);
    QVERIFY2(error.value(u"data")[u"reason"].toString().contains(u"gave up after 5 attempts"),
            qPrintable(error.value(u"data")[u"reason"].toString()));
}

void tst_StreamableHttpEra::getStreamBacksOffOnServerErrors()
{
    FakeMcpServer server;
    QVERIFY(server.listen());
    server.setGetStreamMode(FakeMcpServer::GetStreamMode::Error500);
    Harness h(server.url());
    QVERIFY(h.handshake());
    QTRY_VERIFY_WITH_TIMEOUT(server.getCount() >= 4, 5000); // keeps trying, with backoff
    const QList<FakeHttpRequest> &requests = server.http().requests();
    QList<qint64> gets;
    for (const FakeHttpRequest &r : requests) {
        if (r.method == "GET")
            gets << r.arrivalMs;
    }
    QVERIFY(gets.size() >= 4);
    QVERIFY(gets.at(1) - gets.at(0) >= 20); // jittered: at least half of the 50 ms base
    // It never disturbs requests.
    h.send(echo(3));
    QVERIFY(!h.waitFor(3).isEmpty());
}

void tst_StreamableHttpEra::cancelledRequestEmitsNothing()
{
    FakeMcpServer server;
    QVERIFY(server.listen());
    Harness h(server.url());
    QVERIFY(h.handshake());
    h.send(slow(5, 300));
    QTest::qWait(50);
    h.client.cancel(JsonRpcMessage::classify(slow(5, 300)).idKey());
    QCOMPARE(h.client.pendingRequestCount(), 0);
    QTest::qWait(600);
    QVERIFY(!h.responseFor(5).has_value());
}

void tst_StreamableHttpEra::shutdownFailsPendingAndDeletesSession()
{
    FakeMcpServer server;
    QVERIFY(server.listen());
    Harness h(server.url());
    QVERIFY(h.handshake());
    h.send(slow(8, 5000));
    QTest::qWait(50);
    QSignalSpy finished(&h.client, &UpstreamSession::shutdownFinished);
    h.client.shutdown();
    const QJsonObject error = h.responseFor(8).value_or(QJsonObject());
    QCOMPARE(error.value(u"error")[u"data"][u"reason"].toString(), u"proxy is shutting down"_s);
    QVERIFY(finished.wait(3000));
    QCOMPARE(server.deleteCount(), 1);
    // After shutdown, new requests fail at once.
    h.send(echo(9));
    QVERIFY(h.responseFor(9).has_value());
}

void tst_StreamableHttpEra::invalidSuccessBodiesFailTheRequest_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QByteArray>("body");
    QTest::newRow("202 for a request") << 202 << QByteArray() << QByteArray();
    QTest::newRow("200 empty") << 200 << "application/json"_ba << QByteArray();
    QTest::newRow("200 not json") << 200 << "application/json"_ba
                                  << "<html>oops</html>"_ba;
    QTest::newRow("200 other id") << 200 << "application/json"_ba
                                  << R"({"jsonrpc":"2.0","id":999,"result":{}})"_ba;
}

void tst_StreamableHttpEra::invalidSuccessBodiesFailTheRequest()
{
    QFETCH(int, status);
    QFETCH(QByteArray, contentType);
    QFETCH(QByteArray, body);
    FakeHttpServer server;
    QVERIFY(server.listen());
    server.setHandler([&](const FakeHttpRequest &, FakeHttpResponder *responder) {
        FakeHttpHeaders headers;
        if (!contentType.isEmpty())
            headers.append({"Content-Type", contentType});
        responder->reply(status, headers, body);
    });
    Harness h(server.url(u"/mcp"_s));
    h.send(echo(4));
    const QJsonObject error = h.waitFor(4).value(u"error").toObject();
    QCOMPARE(error.value(u"code").toInt(), -32000);
    QVERIFY(error.value(u"data")[u"reason"].toString().contains(u"without a JSON-RPC response"));
}

void tst_StreamableHttpEra::batchResponseIsSplit()
{
    FakeHttpServer server;
    QVERIFY(server.listen());
    server.setHandler([](const FakeHttpRequest &, FakeHttpResponder *responder) {
        responder->reply(200, {{"Content-Type", "application/json"}},
                R"([{"jsonrpc":"2.0","method":"notifications/message","params":{}},
                    {"jsonrpc":"2.0","id":6,"result":{"ok":true}}])");
    });
    Harness h(server.url(u"/mcp"_s));
    h.send(echo(6));
    QVERIFY(h.waitFor(6).value(u"result")[u"ok"].toBool());
    QCOMPARE(h.received.size(), 2);
    for (const QList<QVariant> &args : h.received)
        QVERIFY(!args.at(0).toByteArray().contains('\n'));
}

void tst_StreamableHttpEra::crossOriginRedirectIsNotFollowed()
{
    FakeHttpServer elsewhere;
    QVERIFY(elsewhere.listen());
    elsewhere.setHandler([](const FakeHttpRequest &, FakeHttpResponder *responder) {
        responder->reply(200, {{"Content-Type", "application/json"}},
                R"({"jsonrpc":"2.0","id":1,"result":{}})");
    });
    FakeHttpServer origin;
    QVERIFY(origin.listen());
    const QByteArray target = elsewhere.url(u"/steal"_s).toString().toUtf8();
    origin.setHandler([target](const FakeHttpRequest &, FakeHttpResponder *responder) {
        responder->reply(307, {{"Location", target}});
    });
    StreamableHttpEra::Options o = Harness::options(origin.url(u"/mcp"_s), 5000);
    o.headers.append(std::pair<QByteArray, QByteArray>("Authorization", "Bearer secret-token"));
    UpstreamSession client(std::make_unique<StreamableHttpEra>(o), {});
    QSignalSpy failed(&client, &UpstreamSession::requestFailed);
    client.send(echo(1), JsonRpcMessage::classify(echo(1)));
    QVERIFY(failed.wait(3000));
    QTest::qWait(100);
    QCOMPARE(elsewhere.requests().size(), 0);
}

void tst_StreamableHttpEra::brokenSuccessBodyReportsItsCause_data()
{
    QTest::addColumn<bool>("reset");
    QTest::addColumn<bool>("lengthDelimited");
    QTest::addColumn<QString>("expectedMessage");
    QTest::addColumn<QString>("expectedReason");
    QTest::newRow("stall past the timeout (chunked)")
            << false << false << u"mcp-oauth2-proxy: upstream timed out after 500 ms"_s
            << u"upstream deadline exceeded"_s;
    QTest::newRow("stall past the timeout (Content-Length)")
            << false << true << u"mcp-oauth2-proxy: upstream timed out after 500 ms"_s
            << u"upstream deadline exceeded"_s;
    QTest::newRow("reset mid-body (chunked)")
            << true << false << u"mcp-oauth2-proxy: upstream request failed"_s
            << u"RemoteHostClosedError"_s;
    QTest::newRow("reset mid-body (Content-Length)")
            << true << true << u"mcp-oauth2-proxy: upstream request failed"_s
            << u"RemoteHostClosedError"_s;
}

void tst_StreamableHttpEra::brokenSuccessBodyReportsItsCause()
{
    QFETCH(bool, reset);
    QFETCH(bool, lengthDelimited);
    QFETCH(QString, expectedMessage);
    QFETCH(QString, expectedReason);
    FakeHttpServer server;
    QVERIFY(server.listen());
    const QByteArray part = R"({"jsonrpc":"2.0","id":4,"result":{"content":[{"type":"te)";
    server.setHandler([&](const FakeHttpRequest &, FakeHttpResponder *responder) {
        if (lengthDelimited) {
            responder->writeRaw("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                "Content-Length: 500\r\n\r\n"
                    + part);
        } else {
            responder->beginStream(200, {{"Content-Type", "application/json"}});
            responder->writeChunk(part);
        }
        if (reset) {
            QPointer<FakeHttpResponder> later(responder);
            QTimer::singleShot(50, responder, [later] {
                if (later)
                    later->closeAbruptly();
            });
        }
    });
    Harness h(server.url(u"/mcp"_s), 500);
    h.send(echo(4));
    const QJsonObject error = h.waitFor(4).value(u"error").toObject();
    QCOMPARE(error.value(u"message").toString(), expectedMessage);
    const QJsonObject data = error.value(u"data").toObject();
    const QString described =
            data.value(u"reason").toString() + u' ' + data.value(u"code").toString();
    QVERIFY2(described.contains(expectedReason), qPrintable(described));
    QVERIFY(!data.value(u"reason").toString().contains(u"without a JSON-RPC response"));
}

void tst_StreamableHttpEra::sameOriginRedirectIsPostedExactlyOnce_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<bool>("closeAfterRedirect");
    QTest::newRow("307") << 307 << false;
    QTest::newRow("308") << 308 << false;
    QTest::newRow("307, connection closed after it") << 307 << true;
    QTest::newRow("308, connection closed after it") << 308 << true;
}

void tst_StreamableHttpEra::sameOriginRedirectIsPostedExactlyOnce()
{
    QFETCH(int, status);
    QFETCH(bool, closeAfterRedirect);
    FakeMcpServer server;
    QVERIFY(server.listen());
    int redirected = 0;
    server.setRequestFilter([&](const FakeHttpRequest &request, FakeHttpResponder *responder) {
        if (request.path() != "/old")
            return false;
        ++redirected;
        FakeHttpHeaders headers{{"Location", "/mcp"}};
        if (closeAfterRedirect)
            headers.append(qMakePair("Connection"_ba, "close"_ba));
        responder->reply(status, headers, "moved");
        return true;
    });
    QUrl old = server.url();
    old.setPath(u"/old"_s);
    Harness h(old);
    QVERIFY(h.handshake());
    for (int id = 1; id <= 5; ++id)
        h.send(echo(id, "once-" + QByteArray::number(id)));
    for (int id = 1; id <= 5; ++id)
        QCOMPARE(h.waitFor(id).value(u"result")[u"content"][0][u"text"].toString(),
                u"once-"_s + QString::number(id));
    QTest::qWait(200); // a late duplicate would arrive now
    // The upstream ran every JSON-RPC request exactly once.
    QHash<int, int> runs;
    for (const QJsonObject &message : server.receivedMessages()) {
        if (message.value(u"method").toString() == u"tools/call")
            ++runs[message.value(u"id").toInt()];
    }
    QCOMPARE(runs.size(), 5);
    for (auto it = runs.cbegin(); it != runs.cend(); ++it)
        QCOMPARE(it.value(), 1);
    // 307 is redirected each time; 308 moves the endpoint for later requests.
    QVERIFY(status == 307 ? redirected >= 6 : redirected == 1);
}

void tst_StreamableHttpEra::redirectsThatChangeTheMethodAreRefused_data()
{
    QTest::addColumn<int>("status");
    QTest::newRow("301") << 301;
    QTest::newRow("302") << 302;
    QTest::newRow("303") << 303;
    QTest::newRow("307 without a Location") << -307;
}

void tst_StreamableHttpEra::redirectsThatChangeTheMethodAreRefused()
{
    QFETCH(int, status);
    const bool withLocation = status > 0;
    status = std::abs(status);
    FakeMcpServer server;
    QVERIFY(server.listen());
    server.setRequestFilter([&](const FakeHttpRequest &request, FakeHttpResponder *responder) {
        if (request.path() != "/old")
            return false;
        responder->reply(
                status, withLocation ? FakeHttpHeaders{{"Location", "/mcp"}} : FakeHttpHeaders{});
        return true;
    });
    QUrl old = server.url();
    old.setPath(u"/old"_s);
    Harness h(old);
    h.send(echo(3));
    const QJsonObject error = h.waitFor(3).value(u"error").toObject();
    QCOMPARE(error.value(u"code").toInt(), -32000);
    const QString reason = error.value(u"data")[u"reason"].toString();
    QVERIFY2(reason.contains(u"HTTP %1"_s.arg(status))
                    && (withLocation ? reason.contains(u"/mcp"_s)
                                            && reason.contains(u"upstream.url"_s)
                                     : reason.contains(u"no usable Location"_s)),
            qPrintable(reason));
    QTest::qWait(100);
    QCOMPARE(server.postCount(), 0); // neither re-posted nor turned into a GET of the endpoint
    QCOMPARE(server.getCount(), 0);
}

void tst_StreamableHttpEra::redirectLoopIsRefused()
{
    FakeHttpServer server;
    QVERIFY(server.listen());
    server.setHandler([](const FakeHttpRequest &request, FakeHttpResponder *responder) {
        responder->reply(307, {{"Location", request.path() == "/a" ? "/b" : "/a"}});
    });
    Harness h(server.url(u"/a"_s));
    h.send(echo(2));
    const QJsonObject error = h.waitFor(2).value(u"error").toObject();
    QVERIFY2(error.value(u"data")[u"reason"].toString().contains(u"more than 5 times"_s),
            qPrintable(error.value(u"data")[u"reason"].toString()));
    QCOMPARE(server.requests().size(), 6);
}

void tst_StreamableHttpEra::negotiatedVersionMustBeAToken()
{
    FakeHttpServer server;
    QVERIFY(server.listen());
    server.setHandler([](const FakeHttpRequest &request, FakeHttpResponder *responder) {
        const QJsonObject m = QJsonDocument::fromJson(request.body).object();
        if (m.value(u"method").toString() == u"initialize") {
            responder->reply(200, {{"Content-Type", "application/json"}},
                    R"({"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-11-25\r\nX-Injected: 1","capabilities":{},"serverInfo":{"name":"s","version":"1"}}})");
        } else if (request.method == "POST" && m.contains(u"id")) {
            responder->reply(200, {{"Content-Type", "application/json"}},
                    R"({"jsonrpc":"2.0","id":1,"result":{}})");
        } else {
            responder->reply(request.method == "POST" ? 202 : 405);
        }
    });
    Harness h(server.url(u"/mcp"_s));
    QVERIFY(h.handshake());
    h.send(echo(1));
    QVERIFY(h.waitFor(1).contains(u"result"));
    QCOMPARE(h.client.protocolVersion(), QString());
    for (const FakeHttpRequest &request : server.requests()) {
        QVERIFY(!request.hasHeader("X-Injected"));
        QVERIFY(!request.hasHeader("MCP-Protocol-Version"));
    }
}

void tst_StreamableHttpEra::eventIdWithControlCharactersIsNotSentBack_data()
{
    QTest::addColumn<QByteArray>("eventId");
    QTest::addColumn<bool>("resumed");
    QTest::newRow("plain id") << "stream-1"_ba << true;
    QTest::newRow("id with a tab") << "a\tb"_ba << true;
    QTest::newRow("id with SOH") << "a\x01"
                                    "b"_ba
                                 << false;
    QTest::newRow("id with VT") << "a\x0b"
                                   "b"_ba
                                << false;
    QTest::newRow("id with DEL") << "a\x7f"_ba << false;
}

void tst_StreamableHttpEra::eventIdWithControlCharactersIsNotSentBack()
{
    QFETCH(QByteArray, eventId);
    QFETCH(bool, resumed);
    FakeHttpServer server;
    QVERIFY(server.listen());
    server.setHandler([&](const FakeHttpRequest &request, FakeHttpResponder *responder) {
        if (request.method == "GET") {
            responder->beginStream(200, {{"Content-Type", "text/event-stream"}});
            responder->writeChunk(R"(data: {"jsonrpc":"2.0","id":5,"result":{}})"
                                  "\n\n");
            responder->endStream();
            return;
        }
        responder->beginStream(200, {{"Content-Type", "text/event-stream"}});
        responder->writeChunk("retry: 10\nid: " + eventId + "\ndata: \n\n");
        QPointer<FakeHttpResponder> later(responder);
        QTimer::singleShot(50, responder, [later] {
            if (later)
                later->closeAbruptly();
        });
    });
    Harness h(server.url(u"/mcp"_s));
    h.send(echo(5));
    const QJsonObject answer = h.waitFor(5);
    QCOMPARE(answer.contains(u"result"), resumed);
    for (const FakeHttpRequest &request : server.requests()) {
        if (request.method != "GET")
            continue;
        QVERIFY(resumed);
        QCOMPARE(request.header("Last-Event-ID"), eventId);
    }
}

QTEST_GUILESS_MAIN(tst_StreamableHttpEra)
#include "tst_streamablehttpera.moc"
