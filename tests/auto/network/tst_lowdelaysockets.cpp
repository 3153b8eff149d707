// LowDelaySockets: TCP_NODELAY on every TCP connection of the process, and on every connection
// the transport's network managers open (checked on the sockets themselves, not by timing).
#include "network/lowdelaysockets.h"
#include "network/tlsconfiguration.h"
#include "support/fakemcpserver.h"
#include "transport/streamablehttpera.h"
#include "transport/upstreamsession.h"

#include <QtCore/QDir>
#include <QtNetwork/QNetworkReply>
#include <QtNetwork/QTcpServer>
#include <QtNetwork/QTcpSocket>
#include <QtNetwork/QUdpSocket>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

using namespace McpProxy;
using namespace McpProxy::Test;
using namespace Qt::StringLiterals;

namespace {

// The descriptors of this process's TCP sockets connected to 127.0.0.1:port.
QList<int> socketsConnectedTo(quint16 port)
{
    QList<int> result;
    const QStringList entries = QDir(u"/proc/self/fd"_s).entryList(QDir::System | QDir::Files);
    for (const QString &entry : entries) {
        bool ok = false;
        const int fd = entry.toInt(&ok);
        if (!ok)
            continue;
        sockaddr_in peer = {};
        socklen_t length = sizeof(peer);
        if (::getpeername(fd, reinterpret_cast<sockaddr *>(&peer), &length) == 0
                && peer.sin_family == AF_INET && ntohs(peer.sin_port) == port)
            result << fd;
    }
    return result;
}

} // namespace

class tst_LowDelaySockets : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void appliesToEveryTcpSocketOnce();
    void leavesOtherDescriptorsAlone();
    void transportConnectionsGetNoDelay_data();
    void transportConnectionsGetNoDelay();
    void tlsNetworkAccessManagerConnectionsGetNoDelay();
};

void tst_LowDelaySockets::appliesToEveryTcpSocketOnce()
{
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost));
    QTcpSocket client;
    client.connectToHost(QHostAddress::LocalHost, server.serverPort());
    QVERIFY(client.waitForConnected(5000));
    QVERIFY(server.waitForNewConnection(5000));
    std::unique_ptr<QTcpSocket> accepted(server.nextPendingConnection());
    QVERIFY(accepted);
    // Nagle's algorithm is on for a new TCP socket.
    QVERIFY(!LowDelaySockets::hasNoDelay(client.socketDescriptor()));
    QVERIFY(!LowDelaySockets::hasNoDelay(accepted->socketDescriptor()));

    QVERIFY(LowDelaySockets::applyToProcess() >= 2);
    QVERIFY(LowDelaySockets::hasNoDelay(client.socketDescriptor()));
    QVERIFY(LowDelaySockets::hasNoDelay(accepted->socketDescriptor()));
    QCOMPARE(client.socketOption(QAbstractSocket::LowDelayOption).toInt(), 1);
    QCOMPARE(LowDelaySockets::applyToProcess(), 0); // nothing left to change

    // The connection still works.
    client.write("ping");
    QVERIFY(client.waitForBytesWritten(5000));
    QVERIFY(accepted->bytesAvailable() > 0 || accepted->waitForReadyRead(5000));
    QCOMPARE(accepted->readAll(), "ping"_ba);
}

void tst_LowDelaySockets::leavesOtherDescriptorsAlone()
{
    int fds[2];
    QCOMPARE(::pipe(fds), 0);
    QUdpSocket udp;
    QVERIFY(udp.bind(QHostAddress::LocalHost, 0));
    const int unixSocket = ::socket(AF_UNIX, SOCK_STREAM, 0);
    QVERIFY(unixSocket >= 0);
    LowDelaySockets::applyToProcess();
    QCOMPARE(LowDelaySockets::applyToProcess(), 0);
    QVERIFY(!LowDelaySockets::hasNoDelay(fds[0]));
    QVERIFY(!LowDelaySockets::hasNoDelay(udp.socketDescriptor()));
    QVERIFY(!LowDelaySockets::hasNoDelay(unixSocket));
    ::close(unixSocket);
    ::close(fds[0]);
    ::close(fds[1]);
}

void tst_LowDelaySockets::transportConnectionsGetNoDelay_data()
{
    QTest::addColumn<bool>("sse");
    QTest::newRow("json") << false;
    QTest::newRow("sse") << true;
}

void tst_LowDelaySockets::transportConnectionsGetNoDelay()
{
    // Each connection QNAM opens for the transport (requests, control, GET stream) ends up with
    // TCP_NODELAY, although nothing in Qt 6.4 sets it.
    QFETCH(bool, sse);
    FakeMcpServer server;
    QVERIFY(server.listen());
    server.setUseSse(sse);
    StreamableHttpEra::Options options;
    options.url = server.url();
    UpstreamSession client(std::make_unique<StreamableHttpEra>(options), {});
    QSignalSpy received(&client, &UpstreamSession::messageReceived);
    const QByteArray initialize =
            R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})";
    const QByteArray initialized = R"({"jsonrpc":"2.0","method":"notifications/initialized"})";
    const QByteArray call =
            R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"x"}}})";
    client.send(initialize, JsonRpcMessage::classify(initialize));
    client.send(initialized, JsonRpcMessage::classify(initialized));
    client.send(call, JsonRpcMessage::classify(call));
    QTRY_VERIFY(received.size() >= 2);
    QTRY_COMPARE(server.openGetStreamCount(), 1);
    QTest::qWait(50); // the queued signals of the last reply
    const QList<int> sockets = socketsConnectedTo(server.url().port());
    QVERIFY2(sockets.size() >= 2, "expected the request and the GET stream connections");
    for (const int fd : sockets)
        QVERIFY2(LowDelaySockets::hasNoDelay(fd), qPrintable(u"fd %1 has Nagle on"_s.arg(fd)));
}

void tst_LowDelaySockets::tlsNetworkAccessManagerConnectionsGetNoDelay()
{
    // The authorization traffic (discovery, registration, token and revocation requests) goes
    // through TlsNetworkAccessManager: its connections get TCP_NODELAY without the caller asking.
    FakeMcpServer server;
    QVERIFY(server.listen());
    TlsNetworkAccessManager nam;
    QUrl metadata = server.url();
    metadata.setPath(u"/.well-known/oauth-protected-resource"_s);
    std::unique_ptr<QNetworkReply> reply(nam.get(QNetworkRequest(metadata)));
    QTRY_VERIFY(reply->isFinished());
    QTest::qWait(50); // the queued signals of the reply
    const QList<int> sockets = socketsConnectedTo(server.url().port());
    QVERIFY2(!sockets.isEmpty(), "expected the manager's kept-alive connection");
    for (const int fd : sockets)
        QVERIFY2(LowDelaySockets::hasNoDelay(fd), qPrintable(u"fd %1 has Nagle on"_s.arg(fd)));
}

QTEST_GUILESS_MAIN(tst_LowDelaySockets)
#include "tst_lowdelaysockets.moc"
