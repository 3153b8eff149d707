#include "network/tlsconfiguration.h"

#include <QtNetwork/QNetworkReply>
#include <QtNetwork/QTcpServer>
#include <QtNetwork/QTcpSocket>
#include <QtTest/QtTest>

using namespace Qt::StringLiterals;

// mcp-remote's --headers-timeout / --connect-timeout (upstream.headersTimeoutMs,
// upstream.connectTimeoutMs): a server that accepts the request but never answers is given up on
// after the headers bound; one that answers in time is not; 0 leaves the phase unbounded.
class tst_PhaseTimeouts : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void headersTimeout_data();
    void headersTimeout();
};

void tst_PhaseTimeouts::headersTimeout_data()
{
    QTest::addColumn<int>("headersTimeoutMs");
    QTest::addColumn<bool>("answer");
    QTest::addColumn<bool>("aborted");
    QTest::newRow("silent server, bounded") << 200 << false << true;
    QTest::newRow("answering server, bounded") << 5000 << true << false;
    QTest::newRow("silent server, unbounded") << 0 << false << false;
}

void tst_PhaseTimeouts::headersTimeout()
{
    QFETCH(int, headersTimeoutMs);
    QFETCH(bool, answer);
    QFETCH(bool, aborted);
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost));
    QList<QTcpSocket *> clients;
    connect(&server, &QTcpServer::newConnection, this, [&] {
        QTcpSocket *socket = server.nextPendingConnection();
        clients << socket;
        connect(socket, &QTcpSocket::readyRead, socket, [socket, answer] {
            socket->readAll();
            if (answer)
                socket->write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        });
    });
    McpProxy::TlsNetworkAccessManager nam;
    nam.setPhaseTimeouts(1000, headersTimeoutMs);
    QNetworkReply *reply =
            nam.get(QNetworkRequest(QUrl(u"http://127.0.0.1:%1/"_s.arg(server.serverPort()))));
    // Generous bound on a loaded machine; the unbounded case waits past the bounded one's limit.
    const bool done = QTest::qWaitFor(
            [reply] { return reply->isFinished(); }, aborted || answer ? 20000 : 1500);
    if (aborted) {
        QVERIFY(done);
        QCOMPARE(reply->error(), QNetworkReply::OperationCanceledError);
    } else if (answer) {
        QVERIFY(done);
        QCOMPARE(reply->error(), QNetworkReply::NoError);
        QCOMPARE(reply->readAll(), "ok"_ba);
    } else {
        QVERIFY(!done); // still waiting: nothing bounds it
        reply->abort();
    }
    delete reply;
}

QTEST_MAIN(tst_PhaseTimeouts)

#include "tst_phasetimeouts.moc"
