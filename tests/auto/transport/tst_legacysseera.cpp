// UpstreamSession over LegacySseEra (MCP 2024-11-05 HTTP with SSE) against the in-process
// FakeLegacyServer, and FallbackEra's switch between the two transports: endpoint resolution,
// responses on the stream in either order with the 202, server→client requests, notifications,
// large messages, stream loss, 401 on the GET and on the POST, the http-first / sse-first
// fallbacks.
#include "support/fakehttpserver.h"
#include "support/fakelegacyserver.h"
#include "support/fakemcpserver.h"
#include "transport/fallbackera.h"
#include "transport/legacysseera.h"
#include "transport/streamablehttpera.h"
#include "transport/upstreamsession.h"

#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

using namespace McpProxy;
using namespace McpProxy::Test;
using namespace Qt::StringLiterals;

namespace {

const QByteArray Initialize =
        R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2024-11-05","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})";
const QByteArray Initialized = R"({"jsonrpc":"2.0","method":"notifications/initialized"})";

QByteArray call(int id, const QByteArray &tool, const QByteArray &arguments = "{}")
{
    return R"({"jsonrpc":"2.0","id":)" + QByteArray::number(id)
            + R"(,"method":"tools/call","params":{"name":")" + tool + R"(","arguments":)"
            + arguments + "}}";
}

QString resultText(const QJsonObject &response)
{
    return response.value(u"result")[u"content"][0][u"text"].toString();
}

LegacySseEra::Options legacyOptions(const QUrl &url, int timeoutMs = 10000)
{
    LegacySseEra::Options o;
    o.url = url;
    o.timeoutMs = timeoutMs;
    o.defaultRetryMs = 50;
    o.maxBackoffMs = 200;
    return o;
}

StreamableHttpEra::Options httpOptions(const QUrl &url)
{
    StreamableHttpEra::Options o;
    o.url = url;
    o.timeoutMs = 10000;
    o.defaultRetryMs = 50;
    o.maxBackoffMs = 200;
    return o;
}

struct Harness
{
    explicit Harness(std::unique_ptr<UpstreamEra> era, bool authorization = false)
        : client(std::move(era), options(authorization))
        , received(&client, &UpstreamSession::messageReceived)
        , failed(&client, &UpstreamSession::requestFailed)
        , challenged(&client, &UpstreamSession::authorizationRequired)
    { }
    static UpstreamSession::Options options(bool authorization)
    {
        UpstreamSession::Options o;
        o.authorizationAvailable = authorization;
        return o;
    }
    void send(const QByteArray &body) { client.send(body, JsonRpcMessage::classify(body)); }
    bool handshake()
    {
        send(Initialize);
        send(Initialized);
        return !waitFor(0).isEmpty();
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
    int answersFor(int id) const
    {
        int count = 0;
        for (const QList<QVariant> &args : received) {
            const QJsonObject m = QJsonDocument::fromJson(args.at(0).toByteArray()).object();
            count += m.value(u"id").toInt(-1) == id && !m.contains(u"method") ? 1 : 0;
        }
        for (const QList<QVariant> &args : failed) {
            const QJsonObject m = QJsonDocument::fromJson(args.at(1).toByteArray()).object();
            count += m.value(u"id").toInt(-1) == id ? 1 : 0;
        }
        return count;
    }
    QJsonObject waitFor(int id, int timeoutMs = 5000)
    {
        std::optional<QJsonObject> found;
        (void)QTest::qWaitFor([&] { return (found = responseFor(id)).has_value(); }, timeoutMs);
        return found.value_or(QJsonObject());
    }
    std::optional<QJsonObject> requestFromServer(const QString &method) const
    {
        for (const QList<QVariant> &args : received) {
            const QJsonObject m = QJsonDocument::fromJson(args.at(0).toByteArray()).object();
            if (m.value(u"method").toString() == method)
                return m;
        }
        return std::nullopt;
    }

    UpstreamSession client;
    QSignalSpy received;
    QSignalSpy failed;
    QSignalSpy challenged;
};

std::unique_ptr<UpstreamEra> legacy(const QUrl &url, int timeoutMs = 10000)
{
    return std::make_unique<LegacySseEra>(legacyOptions(url, timeoutMs));
}

} // namespace

class tst_LegacySseEra : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void resolveEndpoint_data();
    void resolveEndpoint();
    void responsesComeOnTheStream_data();
    void responsesComeOnTheStream();
    void endpointForms_data();
    void endpointForms();
    void serverToClientRequestAndNotification();
    void largeMessage();
    void streamLossFailsPendingAndStartsANewSession_data();
    void streamLossFailsPendingAndStartsANewSession();
    void postStatus_data();
    void postStatus();
    void forgottenSessionIsStartedAgain();
    void refusedStreamFailsTheRequest();
    void unauthorized_data();
    void unauthorized();
    void unauthorizedWithoutAuthorizationFails();
    void inactivityTimeout();
    void shutdownClosesTheStream();
    void httpFirstFallsBack_data();
    void httpFirstFallsBack();
    void httpFirstStaysOnStreamableHttp();
    void httpOnlyDoesNotFallBack();
    void sseFirstFallsBackToStreamableHttp();
    void fallbackFailureIsAnsweredOnce();
};

void tst_LegacySseEra::resolveEndpoint_data()
{
    QTest::addColumn<QString>("stream");
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<QString>("expected"); // empty: refused

    const QString sse = u"https://mcp.example/api/sse?x=1"_s;
    QTest::newRow("absolute path") << sse << "/messages?sessionId=abc"_ba
                                   << u"https://mcp.example/messages?sessionId=abc"_s;
    QTest::newRow("relative path") << sse << "messages?sessionId=abc"_ba
                                   << u"https://mcp.example/api/messages?sessionId=abc"_s;
    QTest::newRow("whitespace trimmed") << sse << " /m?s=1 \n"_ba << u"https://mcp.example/m?s=1"_s;
    QTest::newRow("same origin absolute")
            << sse << "https://mcp.example:443/m?s=1"_ba << u"https://mcp.example:443/m?s=1"_s;
    QTest::newRow("fragment dropped") << sse << "/m?s=1#frag"_ba << u"https://mcp.example/m?s=1"_s;
    QTest::newRow("explicit port kept")
            << u"http://127.0.0.1:8080/sse"_s << "/m"_ba << u"http://127.0.0.1:8080/m"_s;
    QTest::newRow("other host") << sse << "https://evil.example/m"_ba << QString();
    QTest::newRow("network-path reference") << sse << "//evil.example/m"_ba << QString();
    QTest::newRow("other port") << sse << "https://mcp.example:8443/m"_ba << QString();
    QTest::newRow("other scheme") << sse << "http://mcp.example/m"_ba << QString();
    QTest::newRow("not http") << sse << "javascript:alert(1)"_ba << QString();
    QTest::newRow("empty") << sse << ""_ba << QString();
    QTest::newRow("invalid") << sse << "http://[::1"_ba << QString();
}

void tst_LegacySseEra::resolveEndpoint()
{
    QFETCH(QString, stream);
    QFETCH(QByteArray, data);
    QFETCH(QString, expected);
    const LegacySseEra::Endpoint endpoint = LegacySseEra::resolveEndpoint(QUrl(stream), data);
    if (expected.isEmpty()) {
        QVERIFY(!endpoint.error.isEmpty());
        QVERIFY(endpoint.url.isEmpty());
    } else {
        QVERIFY2(endpoint.error.isEmpty(), qPrintable(endpoint.error));
        QCOMPARE(endpoint.url.toString(), expected);
    }
}

void tst_LegacySseEra::responsesComeOnTheStream_data()
{
    QTest::addColumn<bool>("respondBeforeAccepted");
    QTest::newRow("202 first") << false;
    QTest::newRow("response first") << true;
}

void tst_LegacySseEra::responsesComeOnTheStream()
{
    QFETCH(bool, respondBeforeAccepted);
    FakeLegacyServer server;
    server.setRespondBeforeAccepted(respondBeforeAccepted);
    QVERIFY(server.listen());
    Harness h(legacy(server.url()));
    QVERIFY(h.handshake());
    for (int id = 1; id <= 20; ++id)
        h.send(call(id, "echo", R"({"text":"t)" + QByteArray::number(id) + R"("})"));
    for (int id = 1; id <= 20; ++id)
        QCOMPARE(resultText(h.waitFor(id)), u"t%1"_s.arg(id));
    QTRY_COMPARE(h.client.pendingRequestCount(), 0);
    for (int id = 0; id <= 20; ++id)
        QCOMPARE(h.answersFor(id), 1);
    QCOMPARE(server.getCount(), 1);
    QCOMPARE(server.initializeCount(), 1);
    QCOMPARE(h.client.protocolVersion(), u"2024-11-05"_s);
    for (const FakeHttpRequest &request : server.http().requests()) {
        if (request.method == "GET") {
            QCOMPARE(request.header("Accept"), "text/event-stream"_ba);
        } else {
            QCOMPARE(request.path(), "/messages"_ba);
            QVERIFY(!request.hasHeader("MCP-Protocol-Version"));
            QVERIFY(!request.hasHeader("Mcp-Session-Id"));
        }
    }
    QVERIFY(h.failed.isEmpty());
}

void tst_LegacySseEra::endpointForms_data()
{
    QTest::addColumn<QByteArray>("endpoint"); // "PORT" becomes the server's port
    QTest::addColumn<bool>("accepted");
    QTest::newRow("relative") << "/messages?sessionId=%1"_ba << true;
    QTest::newRow("absolute same origin")
            << "http://127.0.0.1:PORT/messages?sessionId=%1"_ba << true;
    QTest::newRow("another host") << "http://localhost:PORT/messages?sessionId=%1"_ba << false;
    QTest::newRow("another port") << "http://127.0.0.1:1/messages?sessionId=%1"_ba << false;
}

void tst_LegacySseEra::endpointForms()
{
    QFETCH(QByteArray, endpoint);
    QFETCH(bool, accepted);
    FakeLegacyServer server;
    QVERIFY(server.listen());
    server.setEndpointTemplate(endpoint.replace("PORT", QByteArray::number(server.http().port())));
    Harness h(legacy(server.url()));
    h.send(Initialize);
    const QJsonObject answer = h.waitFor(0);
    if (accepted) {
        QVERIFY(answer.contains(u"result"));
        QCOMPARE(server.postCount(), 1);
        return;
    }
    QCOMPARE(answer.value(u"error")[u"data"][u"code"].toString(), u"EndpointRefused"_s);
    QVERIFY(answer.value(u"error")[u"data"][u"reason"].toString().contains(u"another origin"));
    QCOMPARE(server.postCount(), 0); // nothing went to the other origin
}

void tst_LegacySseEra::serverToClientRequestAndNotification()
{
    FakeLegacyServer server;
    QVERIFY(server.listen());
    Harness h(legacy(server.url()));
    QVERIFY(h.handshake());
    h.send(call(1, "ask", R"({"question":"name?"})"));
    QVERIFY(QTest::qWaitFor(
            [&] { return h.requestFromServer(u"elicitation/create"_s).has_value(); }, 5000));
    const QJsonObject request = *h.requestFromServer(u"elicitation/create"_s);
    const QByteArray answer = R"({"jsonrpc":"2.0","id":")"
            + request.value(u"id").toString().toUtf8()
            + R"(","result":{"action":"accept","content":{"name":"Ada"}}})";
    h.send(answer);
    QVERIFY(resultText(h.waitFor(1)).contains(u"Ada"));

    h.send(call(2, "notify", R"({"text":"hello"})"));
    QCOMPARE(resultText(h.waitFor(2)), u"ok"_s);
    const auto notification = h.requestFromServer(u"notifications/message"_s);
    QVERIFY(notification.has_value());
    QCOMPARE(notification->value(u"params")[u"data"].toString(), u"hello"_s);
}

void tst_LegacySseEra::largeMessage()
{
    FakeLegacyServer server;
    QVERIFY(server.listen());
    Harness h(legacy(server.url()));
    QVERIFY(h.handshake());
    const int bytes = 5 * 1024 * 1024;
    h.send(call(1, "big", R"({"bytes":)" + QByteArray::number(bytes) + "}"));
    QCOMPARE(resultText(h.waitFor(1, 20000)).size(), bytes);
    // And a large message upstream: the POST body arrives whole.
    const QByteArray text(2 * 1024 * 1024, 'x');
    h.send(call(2, "echo", R"({"text":")" + text + R"("})"));
    QCOMPARE(resultText(h.waitFor(2, 20000)).size(), text.size());
}

void tst_LegacySseEra::streamLossFailsPendingAndStartsANewSession_data()
{
    QTest::addColumn<bool>("abruptly");
    QTest::newRow("clean end") << false;
    QTest::newRow("connection closed") << true;
}

void tst_LegacySseEra::streamLossFailsPendingAndStartsANewSession()
{
    QFETCH(bool, abruptly);
    FakeLegacyServer server;
    QVERIFY(server.listen());
    Harness h(legacy(server.url()));
    QVERIFY(h.handshake());
    h.send(call(1, "hang"));
    QTRY_COMPARE(server.postCount(), 3);
    server.dropStreams(abruptly);
    const QJsonObject failure = h.waitFor(1);
    QCOMPARE(failure.value(u"error")[u"code"].toInt(), -32000);
    QVERIFY2(failure.value(u"error")[u"data"][u"reason"].toString().contains(u"SSE stream"),
            QJsonDocument(failure).toJson().constData());
    // A new stream, a new endpoint, initialize replayed (under the proxy's own id).
    QTRY_COMPARE(server.initializeCount(), 2);
    QCOMPARE(server.getCount(), 2);
    h.send(call(2, "echo", R"({"text":"again"})"));
    QCOMPARE(resultText(h.waitFor(2)), u"again"_s);
    QCOMPARE(h.answersFor(1), 1);
    QVERIFY(!h.responseFor(-1).has_value());
    for (const QList<QVariant> &args : h.received)
        QVERIFY(!args.at(0).toByteArray().contains("mcp-oauth2-proxy-reinit"));
}

void tst_LegacySseEra::postStatus_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<int>("errorStatus"); // 0: the response from the stream
    QTest::newRow("202") << 202 << 0;
    QTest::newRow("200") << 200 << 0;
    QTest::newRow("204") << 204 << 0;
    QTest::newRow("500") << 500 << 500;
    QTest::newRow("403 without insufficient_scope") << 403 << 403;
    QTest::newRow("400") << 400 << 400;
}

void tst_LegacySseEra::postStatus()
{
    QFETCH(int, status);
    QFETCH(int, errorStatus);
    FakeLegacyServer server;
    QVERIFY(server.listen());
    server.setRequestFilter([status](const FakeHttpRequest &request, FakeHttpResponder *responder) {
        if (request.method != "POST" || !request.body.contains("tools/call") || status < 300)
            return false;
        responder->reply(status, {{"Content-Type", "text/plain"}}, "refused");
        return true;
    });
    Harness h(legacy(server.url()));
    QVERIFY(h.handshake());
    server.setAcceptedStatus(status < 300 ? status : 202);
    h.send(call(1, "echo", R"({"text":"accepted"})"));
    const QJsonObject answer = h.waitFor(1);
    if (errorStatus == 0) {
        QCOMPARE(resultText(answer), u"accepted"_s);
    } else {
        QCOMPARE(answer.value(u"error")[u"code"].toInt(), -32001);
        QCOMPARE(answer.value(u"error")[u"data"][u"status"].toInt(), errorStatus);
        QCOMPARE(answer.value(u"error")[u"data"][u"body"].toString(), u"refused"_s);
    }
    QTRY_COMPARE(h.client.pendingRequestCount(), 0);
    QCOMPARE(h.answersFor(1), 1);
    QCOMPARE(h.challenged.size(), 0);
}

void tst_LegacySseEra::forgottenSessionIsStartedAgain()
{
    FakeLegacyServer server;
    QVERIFY(server.listen());
    Harness h(legacy(server.url()));
    QVERIFY(h.handshake());
    server.forgetSessions();
    // The POST gets 404: a new stream and endpoint, initialize replayed, the message sent once
    // more in the new session.
    h.send(call(1, "echo", R"({"text":"after restart"})"));
    QCOMPARE(resultText(h.waitFor(1)), u"after restart"_s);
    QCOMPARE(server.initializeCount(), 2);
    QCOMPARE(server.getCount(), 2);
    QCOMPARE(h.answersFor(1), 1);
}

void tst_LegacySseEra::refusedStreamFailsTheRequest()
{
    FakeLegacyServer server;
    server.setGetStatus(500);
    QVERIFY(server.listen());
    Harness h(legacy(server.url()));
    h.send(Initialize);
    const QJsonObject failure = h.waitFor(0);
    QCOMPARE(failure.value(u"error")[u"code"].toInt(), -32001);
    QCOMPARE(failure.value(u"error")[u"data"][u"status"].toInt(), 500);
    QCOMPARE(server.postCount(), 0);
}

void tst_LegacySseEra::unauthorized_data()
{
    QTest::addColumn<bool>("onGet");
    QTest::addColumn<bool>("onPost");
    QTest::newRow("GET") << true << false;
    QTest::newRow("POST") << false << true;
    QTest::newRow("both") << true << true;
}

void tst_LegacySseEra::unauthorized()
{
    QFETCH(bool, onGet);
    QFETCH(bool, onPost);
    FakeLegacyServer server;
    server.requireAuthorization("Bearer good", onGet, onPost, "Bearer resource_metadata=\"x\"");
    QVERIFY(server.listen());
    Harness h(legacy(server.url()), true);
    QObject::connect(&h.client, &UpstreamSession::authorizationRequired, &h.client, [&h] {
        QTimer::singleShot(10, &h.client, [&h] {
            h.client.setAuthorizationHeader("Bearer good");
            h.client.finishAuthorization(true, {});
        });
    });
    QVERIFY(h.handshake());
    h.send(call(1, "echo", R"({"text":"authorized"})"));
    QCOMPARE(resultText(h.waitFor(1)), u"authorized"_s);
    QCOMPARE(h.challenged.size(), 1);
    QCOMPARE(h.challenged.first().at(0).toByteArray(), "Bearer resource_metadata=\"x\""_ba);
    QCOMPARE(h.challenged.first().at(1).toInt(), 401);
    QCOMPARE(server.initializeCount(), 1);
    QCOMPARE(h.answersFor(0), 1);
}

void tst_LegacySseEra::unauthorizedWithoutAuthorizationFails()
{
    FakeLegacyServer server;
    server.requireAuthorization("Bearer good", true, true);
    QVERIFY(server.listen());
    Harness h(legacy(server.url()));
    h.send(Initialize);
    const QJsonObject failure = h.waitFor(0);
    QCOMPARE(failure.value(u"error")[u"data"][u"status"].toInt(), 401);
    QVERIFY(failure.value(u"error")[u"message"].toString().contains(u"authorization failed"));
}

void tst_LegacySseEra::inactivityTimeout()
{
    FakeLegacyServer server;
    QVERIFY(server.listen());
    Harness h(legacy(server.url(), 300));
    QVERIFY(h.handshake());
    h.send(call(1, "hang"));
    const QJsonObject failure = h.waitFor(1);
    QVERIFY(failure.value(u"error")[u"message"].toString().contains(u"timed out after 300 ms"));
    h.send(call(2, "echo", R"({"text":"still open"})"));
    QCOMPARE(resultText(h.waitFor(2)), u"still open"_s);
    QCOMPARE(server.getCount(), 1);
}

void tst_LegacySseEra::shutdownClosesTheStream()
{
    FakeLegacyServer server;
    QVERIFY(server.listen());
    Harness h(legacy(server.url()));
    QVERIFY(h.handshake());
    QTRY_COMPARE(server.openStreamCount(), 1);
    h.send(call(1, "hang"));
    QTRY_COMPARE(server.postCount(), 3);
    QSignalSpy finished(&h.client, &UpstreamSession::shutdownFinished);
    h.client.shutdown();
    QCOMPARE(h.waitFor(1).value(u"error")[u"data"][u"reason"].toString(),
            u"proxy is shutting down"_s);
    QTRY_COMPARE(finished.size(), 1);
    QTRY_COMPARE(server.openStreamCount(), 0);
}

void tst_LegacySseEra::httpFirstFallsBack_data()
{
    QTest::addColumn<int>("status");
    QTest::newRow("400") << 400;
    QTest::newRow("404") << 404;
    QTest::newRow("405") << 405;
}

void tst_LegacySseEra::httpFirstFallsBack()
{
    QFETCH(int, status);
    FakeLegacyServer server;
    QVERIFY(server.listen());
    const QUrl url = server.url();
    server.setRequestFilter([status](const FakeHttpRequest &request, FakeHttpResponder *responder) {
        if (request.method != "POST" || request.path() != "/sse")
            return false;
        responder->reply(status, {{"Content-Type", "text/plain"}}, "no Streamable HTTP here");
        return true;
    });
    Harness h(
            createUpstreamEra(UpstreamTransport::HttpFirst, httpOptions(url), legacyOptions(url)));
    QVERIFY(h.handshake());
    h.send(call(1, "echo", R"({"text":"legacy"})"));
    QCOMPARE(resultText(h.waitFor(1)), u"legacy"_s);
    QCOMPARE(h.answersFor(0), 1);
    QCOMPARE(server.initializeCount(), 1);
    QCOMPARE(server.getCount(), 1);
    int postsToSse = 0;
    for (const FakeHttpRequest &request : server.http().requests())
        postsToSse += request.method == "POST" && request.path() == "/sse" ? 1 : 0;
    QCOMPARE(postsToSse, 1); // one try of Streamable HTTP, once
}

void tst_LegacySseEra::httpFirstStaysOnStreamableHttp()
{
    FakeMcpServer server;
    QVERIFY(server.listen());
    Harness h(createUpstreamEra(
            UpstreamTransport::HttpFirst, httpOptions(server.url()), legacyOptions(server.url())));
    QVERIFY(h.handshake());
    h.send(call(1, "echo", R"({"text":"modern"})"));
    QCOMPARE(resultText(h.waitFor(1)), u"modern"_s);
    QCOMPARE(server.initializeCount(), 1);
    // A later 404 for initialize is a session matter, never a switch.
    QVERIFY(!h.client.sessionId().isEmpty());
}

void tst_LegacySseEra::httpOnlyDoesNotFallBack()
{
    FakeLegacyServer server;
    QVERIFY(server.listen());
    Harness h(createUpstreamEra(
            UpstreamTransport::HttpOnly, httpOptions(server.url()), legacyOptions(server.url())));
    h.send(Initialize);
    QCOMPARE(h.waitFor(0).value(u"error")[u"data"][u"status"].toInt(), 405);
    QCOMPARE(server.getCount(), 0);
}

void tst_LegacySseEra::sseFirstFallsBackToStreamableHttp()
{
    FakeMcpServer server; // answers a GET without a session 400
    QVERIFY(server.listen());
    Harness h(createUpstreamEra(
            UpstreamTransport::SseFirst, httpOptions(server.url()), legacyOptions(server.url())));
    QVERIFY(h.handshake());
    h.send(call(1, "echo", R"({"text":"modern"})"));
    QCOMPARE(resultText(h.waitFor(1)), u"modern"_s);
    QCOMPARE(server.initializeCount(), 1);
    QCOMPARE(h.answersFor(0), 1);
}

void tst_LegacySseEra::fallbackFailureIsAnsweredOnce()
{
    FakeHttpServer server; // 404 for everything
    QVERIFY(server.listen());
    Harness h(createUpstreamEra(UpstreamTransport::HttpFirst, httpOptions(server.url(u"/mcp"_s)),
            legacyOptions(server.url(u"/mcp"_s))));
    h.send(Initialize);
    QCOMPARE(h.waitFor(0).value(u"error")[u"data"][u"status"].toInt(), 404);
    QTest::qWait(100);
    QCOMPARE(h.answersFor(0), 1);
    QCOMPARE(server.requests().size(), 2); // the POST, then the GET of the fallback
    QCOMPARE(server.requests().at(1).method, "GET"_ba);
}

QTEST_MAIN(tst_LegacySseEra)
#include "tst_legacysseera.moc"
