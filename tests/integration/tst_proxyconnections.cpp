// The real binary's connections to the upstream: opened at start-up, before the host writes
// anything, and the handshake and the first tools/call ride them (no message waits for a TCP or
// TLS handshake of its own). Checked on the connections the server accepted, never by timing.
#include "support/fakehttpserver.h"
#include "support/fakemcpserver.h"
#include "support/proxyprocess.h"

#include <QtTest/QTest>

using namespace McpProxy::Test;
using namespace Qt::StringLiterals;

class tst_ProxyConnections : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void connectsBeforeTheHostWrites_data();
    void connectsBeforeTheHostWrites();
};

void tst_ProxyConnections::connectsBeforeTheHostWrites_data()
{
    QTest::addColumn<bool>("tls");
    QTest::addColumn<bool>("sse");
    QTest::addColumn<QString>("protocol"); // upstream.protocol: auto probes with server/discover
    QTest::newRow("http, json, legacy") << false << false << u"legacy"_s;
    QTest::newRow("https, sse, legacy") << true << true << u"legacy"_s;
    QTest::newRow("https, json, auto") << true << false << u"auto"_s;
}

void tst_ProxyConnections::connectsBeforeTheHostWrites()
{
    QFETCH(bool, tls);
    QFETCH(bool, sse);
    QFETCH(QString, protocol);
    FakeMcpServer server;
    if (tls)
        server.http().setTlsConfiguration(FakeHttpServer::testTlsConfiguration());
    server.setUseSse(sse);
    QVERIFY(server.listen());
    ProxyProcess proxy;
    QStringList arguments{u"--protocol"_s, protocol};
    if (tls)
        arguments << u"--ca-bundle"_s << FakeHttpServer::testCaPath();
    QVERIFY(proxy.start(arguments + QStringList{server.url().toString()}));

    // Requests, notifications and the GET stream each have a connection before any message.
    QTRY_COMPARE_WITH_TIMEOUT(server.http().connectionCount(), 3, 20000);
    QVERIFY(server.http().requests().isEmpty());
    const int warm = server.http().connectionCount();

    proxy.initialize();
    proxy.send(
            R"({"jsonrpc":"2.0","id":"call","method":"tools/call","params":{"name":"echo","arguments":{"text":"x"}}})");
    QVERIFY(proxy.takeResponse(u"call"_s, 20000).contains(u"result"));
    const QList<FakeHttpRequest> requests = server.http().requests();
    QVERIFY(requests.size()
            >= 3); // initialize, notifications/initialized, tools/call (+ probe, GET)
    for (const FakeHttpRequest &request : requests) {
        QVERIFY2(request.connectionId <= warm,
                qPrintable(u"%1 %2 went out on connection %3, opened after start-up"_s
                                   .arg(QString::fromLatin1(request.method),
                                           QString::fromLatin1(request.body.left(60)))
                                   .arg(request.connectionId)));
    }
}

QTEST_GUILESS_MAIN(tst_ProxyConnections)
#include "tst_proxyconnections.moc"
