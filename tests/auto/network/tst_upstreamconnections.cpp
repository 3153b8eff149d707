// UpstreamConnections: warm-up connections that later requests ride, more than six requests in
// flight on HTTP/1.1, one cookie jar, and the TLS session ticket handed to every manager. Checked
// on what the server sees (connections, concurrent requests, headers), never by timing.
#include "network/tlsconfiguration.h"
#include "network/upstreamconnections.h"
#include "support/fakehttpserver.h"

#include <QtNetwork/QNetworkReply>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include <memory>
#include <vector>

using namespace McpProxy;
using namespace McpProxy::Test;
using namespace Qt::StringLiterals;

using Pool = UpstreamConnections::Pool;

class tst_UpstreamConnections : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void warmConnectionsCarryLaterRequests_data();
    void warmConnectionsCarryLaterRequests();
    void moreThanSixRequestsInFlight_data();
    void moreThanSixRequestsInFlight();
    void nearUpstreamKeepsSixConnections();
    void oneCookieJarForEveryPool();
    void tlsSessionTicketIsShared();
    void overflowManagersAskForHttp1_data();
    void overflowManagersAskForHttp1();

private:
    static void configure(FakeHttpServer &server, bool tls)
    {
        if (tls)
            server.setTlsConfiguration(FakeHttpServer::testTlsConfiguration());
    }
    static TlsSettings clientTls() { return tlsSettings(FakeHttpServer::testCaPath()); }
    static QNetworkRequest request(const QUrl &url)
    {
        QNetworkRequest out(url);
        out.setHeader(QNetworkRequest::ContentTypeHeader, "application/json"_ba);
        return out;
    }
};

void tst_UpstreamConnections::warmConnectionsCarryLaterRequests_data()
{
    QTest::addColumn<bool>("tls");
    QTest::addColumn<bool>("streams");
    QTest::newRow("http") << false << true;
    QTest::newRow("https") << true << true;
    QTest::newRow("https, no stream pool") << true << false;
}

void tst_UpstreamConnections::warmConnectionsCarryLaterRequests()
{
    // warm() connects one connection per pool before any request; a request of each pool then
    // goes out on that connection instead of opening another (TCP + TLS saved).
    QFETCH(bool, tls);
    QFETCH(bool, streams);
    FakeHttpServer server;
    configure(server, tls);
    server.setHandler([](const FakeHttpRequest &, FakeHttpResponder *responder) {
        responder->reply(200, {{"Content-Type", "application/json"}}, "{}");
    });
    QVERIFY(server.listen());
    UpstreamConnections connections(clientTls());
    const int pools = streams ? 3 : 2;

    connections.warm(server.url(u"/mcp"_s), streams);
    QTRY_COMPARE_WITH_TIMEOUT(server.connectionCount(), pools, 20000);
    QVERIFY(server.requests().isEmpty());
    connections.warm(server.url(u"/mcp"_s), streams); // once per pool

    std::vector<std::unique_ptr<QNetworkReply>> replies;
    replies.emplace_back(connections.post(Pool::Requests, request(server.url(u"/mcp"_s)), "{}"));
    replies.emplace_back(connections.post(Pool::Control, request(server.url(u"/mcp"_s)), "{}"));
    if (streams)
        replies.emplace_back(connections.get(Pool::Streams, request(server.url(u"/mcp"_s))));
    for (const auto &reply : replies) {
        QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 20000);
        QCOMPARE(reply->error(), QNetworkReply::NoError);
    }
    QCOMPARE(server.requests().size(), pools);
    QCOMPARE(server.connectionCount(), pools);
    QCOMPARE(connections.inFlight(Pool::Requests), 0);
}

void tst_UpstreamConnections::moreThanSixRequestsInFlight_data()
{
    QTest::addColumn<bool>("tls");
    QTest::newRow("http") << false;
    QTest::newRow("https") << true;
}

static UpstreamConnections::Options alwaysOverflow()
{
    UpstreamConnections::Options options;
    options.overflowRoundTripMs = 0;
    return options;
}

void tst_UpstreamConnections::moreThanSixRequestsInFlight()
{
    // Qt opens at most six HTTP/1.1 connections per host and manager; 32 requests in flight all
    // reach the server at once (the server holds every answer until it has them all).
    QFETCH(bool, tls);
    constexpr int Burst = 32;
    FakeHttpServer server;
    configure(server, tls);
    QList<QPointer<FakeHttpResponder>> held;
    server.setHandler([&held](const FakeHttpRequest &, FakeHttpResponder *responder) {
        held.append(responder);
    });
    QVERIFY(server.listen());
    UpstreamConnections connections(clientTls(), alwaysOverflow());

    std::vector<std::unique_ptr<QNetworkReply>> replies;
    replies.reserve(Burst);
    for (int i = 0; i < Burst; ++i) {
        replies.emplace_back(
                connections.post(Pool::Requests, request(server.url(u"/mcp"_s)), "{}"));
    }
    QCOMPARE(connections.inFlight(Pool::Requests), Burst);
    QTRY_COMPARE_WITH_TIMEOUT(held.size(), Burst, 30000);
    QCOMPARE(server.connectionCount(), Burst);
    QCOMPARE(connections.requestManagerCount(),
            (Burst + UpstreamConnections::ConnectionsPerManager - 1)
                    / UpstreamConnections::ConnectionsPerManager);
    for (const QPointer<FakeHttpResponder> &responder : std::as_const(held)) {
        QVERIFY(responder);
        responder->reply(200, {{"Content-Type", "application/json"}}, "{}");
    }
    for (const auto &reply : replies) {
        QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 20000);
        QCOMPARE(reply->error(), QNetworkReply::NoError);
    }
    QCOMPARE(connections.inFlight(Pool::Requests), 0);
    QVERIFY(!connections.http2Seen());

    // Idle again: the next request goes to the first manager, no new manager or connection.
    const int managers = connections.requestManagerCount();
    held.clear();
    std::unique_ptr<QNetworkReply> again(
            connections.post(Pool::Requests, request(server.url(u"/mcp"_s)), "{}"));
    QTRY_COMPARE_WITH_TIMEOUT(held.size(), 1, 20000);
    held.first()->reply(200, {}, "{}");
    QTRY_VERIFY_WITH_TIMEOUT(again->isFinished(), 20000);
    QCOMPARE(connections.requestManagerCount(), managers);
    QCOMPARE(server.connectionCount(), Burst);
}

void tst_UpstreamConnections::nearUpstreamKeepsSixConnections()
{
    // An upstream that answered quicker than overflowRoundTripMs gets no extra manager: a burst
    // waits for the six connections of the first (a threshold no answer can miss here).
    constexpr int Burst = 16;
    FakeHttpServer server;
    QList<QPointer<FakeHttpResponder>> held;
    server.setHandler([&held](const FakeHttpRequest &request, FakeHttpResponder *responder) {
        if (request.path() == "/first")
            responder->reply(200, {}, "{}");
        else
            held.append(responder);
    });
    QVERIFY(server.listen());
    UpstreamConnections::Options options;
    options.overflowRoundTripMs = 24 * 3600 * 1000;
    UpstreamConnections connections(clientTls(), options);
    std::unique_ptr<QNetworkReply> first(
            connections.post(Pool::Requests, request(server.url(u"/first"_s)), "{}"));
    QTRY_VERIFY_WITH_TIMEOUT(first->isFinished(), 20000);
    QVERIFY(connections.quickestAnswerMs() >= 0);

    std::vector<std::unique_ptr<QNetworkReply>> replies;
    replies.reserve(Burst);
    for (int i = 0; i < Burst; ++i) {
        replies.emplace_back(
                connections.post(Pool::Requests, request(server.url(u"/mcp"_s)), "{}"));
    }
    QTRY_COMPARE_WITH_TIMEOUT(held.size(), UpstreamConnections::ConnectionsPerManager, 20000);
    QCOMPARE(connections.requestManagerCount(), 1);
    QCOMPARE(server.connectionCount(), UpstreamConnections::ConnectionsPerManager);
    // The rest follow as connections free up.
    int answered = 0;
    while (answered < Burst) {
        QTRY_VERIFY_WITH_TIMEOUT(answered < held.size(), 20000);
        const QPointer<FakeHttpResponder> &next = held.at(answered++);
        QVERIFY(next);
        next->reply(200, {}, "{}");
    }
    for (const auto &reply : replies)
        QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 20000);
    QCOMPARE(server.connectionCount(), UpstreamConnections::ConnectionsPerManager);
}

void tst_UpstreamConnections::oneCookieJarForEveryPool()
{
    // A cookie set on a reply of one pool (a load balancer's affinity cookie) goes with the
    // requests of the others, and of managers added for a burst.
    FakeHttpServer server;
    server.setHandler([](const FakeHttpRequest &request, FakeHttpResponder *responder) {
        if (request.path() == "/set")
            responder->reply(200, {{"Set-Cookie", "affinity=node-7; Path=/"}}, "{}");
        else
            responder->reply(200, {}, "{}");
    });
    QVERIFY(server.listen());
    auto connections = std::make_unique<UpstreamConnections>(clientTls(), alwaysOverflow());
    std::unique_ptr<QNetworkReply> set(
            connections->post(Pool::Requests, request(server.url(u"/set"_s)), "{}"));
    QTRY_VERIFY_WITH_TIMEOUT(set->isFinished(), 20000);

    std::vector<std::unique_ptr<QNetworkReply>> replies;
    replies.emplace_back(connections->post(Pool::Control, request(server.url(u"/mcp"_s)), "{}"));
    replies.emplace_back(connections->get(Pool::Streams, request(server.url(u"/mcp"_s))));
    for (int i = 0; i < 8; ++i) { // beyond the first manager
        replies.emplace_back(
                connections->post(Pool::Requests, request(server.url(u"/mcp"_s)), "{}"));
    }
    QVERIFY(connections->requestManagerCount() > 1);
    for (const auto &reply : replies)
        QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 20000);
    QCOMPARE(server.requests().size(), 11);
    for (const FakeHttpRequest &received : server.requests().mid(1))
        QCOMPARE(received.header("Cookie"), "affinity=node-7"_ba);
    // The managers go before the jar they share (no use after free under ASan).
    replies.clear();
    set.reset();
    connections.reset();
}

void tst_UpstreamConnections::tlsSessionTicketIsShared()
{
    // The first TLS session's ticket becomes part of the configuration of every manager, so the
    // connections opened later (a burst's extra managers) can resume the session.
    FakeHttpServer server;
    configure(server, true);
    server.setHandler([](const FakeHttpRequest &, FakeHttpResponder *responder) {
        responder->reply(200, {}, "{}");
    });
    QVERIFY(server.listen());
    UpstreamConnections connections(clientTls());
    QVERIFY(connections.sessionTicket().isEmpty());
    std::unique_ptr<QNetworkReply> first(
            connections.post(Pool::Requests, request(server.url(u"/mcp"_s)), "{}"));
    QTRY_VERIFY_WITH_TIMEOUT(first->isFinished(), 20000);
    QCOMPARE(first->error(), QNetworkReply::NoError);
    QVERIFY(!connections.sessionTicket().isEmpty());
    const QSslConfiguration used = first->sslConfiguration();
    QVERIFY(!used.testSslOption(QSsl::SslOptionDisableSessionPersistence));
}

void tst_UpstreamConnections::overflowManagersAskForHttp1_data()
{
    QTest::addColumn<bool>("answeredFirst"); // an HTTP/1.1 answer came before the burst
    QTest::newRow("after an HTTP/1.1 answer") << true;
    QTest::newRow("protocol not known yet") << false;
}

void tst_UpstreamConnections::overflowManagersAskForHttp1()
{
    // Once the server answered over HTTP/1.1, a manager added for a burst asks for HTTP/1.1 only:
    // Qt then connects its six channels at once, each offering the shared session ticket, instead
    // of one first and the others after that one's ALPN answer. The first manager, and any manager
    // added before the protocol is known, keep HTTP/2 allowed (ALPN decides).
    QFETCH(bool, answeredFirst);
    constexpr int Burst = 2 * UpstreamConnections::ConnectionsPerManager;
    FakeHttpServer server;
    configure(server, true);
    QList<QPointer<FakeHttpResponder>> held;
    server.setHandler([&held](const FakeHttpRequest &request, FakeHttpResponder *responder) {
        if (request.path() == "/first")
            responder->reply(200, {}, "{}");
        else
            held.append(responder);
    });
    QVERIFY(server.listen());
    UpstreamConnections connections(clientTls(), alwaysOverflow());
    if (answeredFirst) {
        std::unique_ptr<QNetworkReply> first(
                connections.post(Pool::Requests, request(server.url(u"/first"_s)), "{}"));
        QTRY_VERIFY_WITH_TIMEOUT(first->isFinished(), 20000);
        QCOMPARE(first->error(), QNetworkReply::NoError);
        QVERIFY(!connections.http2Seen());
    }
    std::vector<std::unique_ptr<QNetworkReply>> replies;
    replies.reserve(Burst);
    for (int i = 0; i < Burst; ++i) {
        replies.emplace_back(
                connections.post(Pool::Requests, request(server.url(u"/mcp"_s)), "{}"));
    }
    QCOMPARE(connections.requestManagerCount(), 2);
    for (int i = 0; i < Burst; ++i) {
        const bool overflow = i >= UpstreamConnections::ConnectionsPerManager;
        const QVariant allowed =
                replies.at(i)->request().attribute(QNetworkRequest::Http2AllowedAttribute);
        QCOMPARE(allowed.isValid() && !allowed.toBool(), overflow && answeredFirst);
    }
    QTRY_COMPARE_WITH_TIMEOUT(held.size(), Burst, 30000);
    for (const QPointer<FakeHttpResponder> &responder : std::as_const(held)) {
        QVERIFY(responder);
        responder->reply(200, {}, "{}");
    }
    for (const auto &reply : replies) {
        QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 20000);
        QCOMPARE(reply->error(), QNetworkReply::NoError);
    }
}

QTEST_GUILESS_MAIN(tst_UpstreamConnections)
#include "tst_upstreamconnections.moc"
