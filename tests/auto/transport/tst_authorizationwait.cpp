// How UpstreamSession makes requests wait for authorization: one deadline per request across
// every round (a clear JSON-RPC error instead of the host's own timeout), extended while a
// browser login runs, and a renewal before a request once the token passed its renewal point.
#include "support/fakemcpserver.h"
#include "transport/streamablehttpera.h"
#include "transport/upstreamsession.h"

#include <QtCore/QElapsedTimer>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

using namespace McpProxy;
using namespace McpProxy::Test;
using namespace Qt::StringLiterals;

namespace {

const QByteArray Initialize =
        R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})";

// The session over the 2025 era, with someone answering authorizationRequired().
struct Client : UpstreamSession
{
    Client(const QUrl &url, int deadlineMs)
        : UpstreamSession(std::make_unique<StreamableHttpEra>(eraOptions(url)), options(deadlineMs))
    { }
    static StreamableHttpEra::Options eraOptions(const QUrl &url)
    {
        StreamableHttpEra::Options o;
        o.url = url;
        o.timeoutMs = 10000;
        o.openServerStream = false;
        return o;
    }
    static UpstreamSession::Options options(int deadlineMs)
    {
        UpstreamSession::Options o;
        o.authorizationAvailable = true;
        o.authorizationDeadlineMs = deadlineMs;
        return o;
    }
};

void send(UpstreamSession &client, const QByteArray &body)
{
    client.send(body, JsonRpcMessage::classify(body));
}

QJsonObject errorOf(const QSignalSpy &failed)
{
    return QJsonDocument::fromJson(failed.last().at(1).toByteArray())
            .object()
            .value(u"error")
            .toObject();
}

} // namespace

class tst_AuthorizationWait : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void startUpRoundIsBoundedByTheDeadline();
    void oneDeadlineAcrossRounds();
    void browserLoginExtendsTheDeadline();
    void renewalPointRenewsBeforeTheRequest();
};

void tst_AuthorizationWait::startUpRoundIsBoundedByTheDeadline()
{
    FakeMcpServer server;
    QVERIFY(server.listen());
    Client client(server.url(), 300);
    connect(&client, &UpstreamSession::authorizationRequired, this, [] {});
    QSignalSpy failed(&client, &UpstreamSession::requestFailed);
    client.holdForAuthorization(); // a start-up round that never ends
    send(client, Initialize);
    QVERIFY(failed.wait(5000));
    QCOMPARE(failed.size(), 1);
    const QString message = errorOf(failed).value(u"message").toString();
    QVERIFY2(message.contains(u"did not finish"), qPrintable(message));
    QVERIFY(server.http().requests().isEmpty()); // never sent
    client.finishAuthorization(false, u"late"_s); // the late end answers nobody twice
    QTest::qWait(50);
    QCOMPARE(failed.size(), 1);
}

void tst_AuthorizationWait::oneDeadlineAcrossRounds()
{
    // Every request gets 401; the first round takes 1 s, the second never ends. With a 1.5 s
    // deadline per request the error comes 0.5 s into the second round, not 1.5 s into it.
    FakeMcpServer server;
    QVERIFY(server.listen());
    server.setRequestFilter([](const FakeHttpRequest &, FakeHttpResponder *responder) {
        responder->reply(401, {{"WWW-Authenticate", "Bearer"}}, "{}");
        return true;
    });
    Client client(server.url(), 1500);
    int rounds = 0;
    connect(&client, &UpstreamSession::authorizationRequired, this, [&] {
        if (++rounds == 1)
            QTimer::singleShot(1000, &client, [&] { client.finishAuthorization(true, {}); });
    });
    QSignalSpy failed(&client, &UpstreamSession::requestFailed);
    QElapsedTimer elapsed;
    elapsed.start();
    send(client, Initialize);
    QVERIFY(failed.wait(10000));
    QCOMPARE(rounds, 2);
    QVERIFY2(elapsed.elapsed() < 2300, qPrintable(QString::number(elapsed.elapsed())));
    QVERIFY(errorOf(failed).value(u"message").toString().contains(u"did not finish"));
}

void tst_AuthorizationWait::browserLoginExtendsTheDeadline()
{
    FakeMcpServer server;
    QVERIFY(server.listen());
    Client client(server.url(), 200);
    connect(&client, &UpstreamSession::authorizationRequired, this, [] {});
    QSignalSpy failed(&client, &UpstreamSession::requestFailed);
    client.holdForAuthorization();
    send(client, Initialize);
    client.extendAuthorizationDeadline(1); // the user has 1 s (+ the deadline) to log in
    QTest::qWait(700);
    QCOMPARE(failed.size(), 0);
    client.finishAuthorization(true, {});
    QTRY_COMPARE(server.receivedMessages().size(), 1);
    QCOMPARE(failed.size(), 0);
}

void tst_AuthorizationWait::renewalPointRenewsBeforeTheRequest()
{
    FakeMcpServer server;
    QVERIFY(server.listen());
    Client client(server.url(), 5000);
    QList<int> statuses;
    connect(&client, &UpstreamSession::authorizationRequired, this,
            [&](const QByteArray &, int status) {
                statuses.append(status);
                QVERIFY(server.http().requests().isEmpty()); // asked before anything was sent
                client.setAuthorizationHeader("Bearer renewed");
                client.setRenewalPoint(QDateTime::currentDateTimeUtc().addSecs(3600));
                QTimer::singleShot(0, &client, [&] { client.finishAuthorization(true, {}); });
            });
    client.setAuthorizationHeader("Bearer old");
    client.setRenewalPoint(QDateTime::currentDateTimeUtc().addSecs(-1));
    send(client, Initialize);
    QTRY_COMPARE(server.http().requests().size(), 1);
    QCOMPARE(statuses, QList<int>{0});
    QCOMPARE(server.http().requests().first().header("Authorization"), "Bearer renewed"_ba);
}

QTEST_GUILESS_MAIN(tst_AuthorizationWait)
#include "tst_authorizationwait.moc"
