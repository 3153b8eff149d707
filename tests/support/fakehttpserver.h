#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QElapsedTimer>
#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QPair>
#include <QtCore/QPointer>
#include <QtCore/QUrl>
#include <QtNetwork/QHostAddress>
#include <QtNetwork/QSslConfiguration>
#include <QtNetwork/QTcpServer>

#include <functional>
#include <memory>

class QTcpSocket;

namespace McpProxy::Test {

class FakeHttpConnection;
using FakeHttpHeaders = QList<QPair<QByteArray, QByteArray>>;

// One HTTP/1.1 request as the fake server received it (body already de-chunked).
struct FakeHttpRequest
{
    QByteArray method;
    QByteArray target; // path and query as sent on the request line
    FakeHttpHeaders headers; // in arrival order, names as sent
    QByteArray body;
    int connectionId = 0; // 1-based, per accepted TCP connection
    int sequence = 0; // 1-based, per server
    qint64 arrivalMs = 0; // FakeHttpServer::elapsedMs() when the request was complete

    QByteArray path() const; // target without the query
    bool hasHeader(QByteArrayView name) const;
    // Case-insensitive; several headers of that name are joined with ", ".
    QByteArray header(QByteArrayView name) const;
    QList<QByteArray> headerValues(QByteArrayView name) const;
};

// Answers one request. Owned by its connection: it is deleted once the response is complete or
// the connection closes, so keep it in a QPointer for later (timer-driven) writes.
class FakeHttpResponder : public QObject
{
    Q_OBJECT
public:
    enum class State { Pending, Streaming, Finished };
    Q_ENUM(State)

    State state() const { return m_state; }
    bool isStreaming() const { return m_state == State::Streaming; }
    const FakeHttpRequest &request() const { return m_request; }

    // Complete response with Content-Length (unless headers already carry one).
    void reply(int status, const FakeHttpHeaders &headers = {}, const QByteArray &body = {});
    // Transfer-Encoding: chunked; writeChunk() any number of times, then endStream().
    void beginStream(int status, const FakeHttpHeaders &headers = {});
    // No length and Connection: close; the body ends when endStream() closes the connection.
    void beginCloseDelimitedStream(int status, const FakeHttpHeaders &headers = {});
    void writeChunk(const QByteArray &bytes);
    void endStream();
    // Closes the TCP connection now: without a response, or in the middle of one.
    void closeAbruptly();
    // Bytes as they are, for malformed responses. Does not change the state.
    void writeRaw(const QByteArray &bytes);

Q_SIGNALS:
    // The peer closed the connection before the response was complete.
    void disconnected();

private:
    friend class FakeHttpConnection;
    FakeHttpResponder(QTcpSocket *socket, FakeHttpRequest request, QObject *parent);
    void writeHead(int status, const FakeHttpHeaders &headers, const FakeHttpHeaders &extra);
    void finish(bool closeConnection);

    QPointer<QTcpSocket> m_socket;
    FakeHttpRequest m_request;
    State m_state = State::Pending;
    bool m_closeDelimited = false;
    bool m_closeAfterResponse = false;
};

// Scriptable HTTP/1.1 server on loopback for tests: keep-alive, Content-Length and chunked
// request bodies (up to maxBodySize()), every request recorded. Responses come from the handler;
// without one every request gets 404.
class FakeHttpServer : public QObject
{
    Q_OBJECT
public:
    using Handler = std::function<void(const FakeHttpRequest &, FakeHttpResponder *)>;

    explicit FakeHttpServer(QObject *parent = nullptr);
    ~FakeHttpServer() override;

    // Before listen(): serve HTTPS with this configuration (certificate and key) instead.
    void setTlsConfiguration(const QSslConfiguration &configuration);
    // A server configuration with the test certificate for 127.0.0.1 and localhost, signed by
    // testCaPath() (tests/support/tls, test-only keys).
    static QSslConfiguration testTlsConfiguration();
    static QString testCaPath();
    // A CA certificate of the same name as testCaPath()'s but another key: it signed nothing
    // these servers present.
    static QString impostorCaPath();
    bool listen(quint16 port = 0, const QHostAddress &address = QHostAddress::LocalHost);
    quint16 port() const;
    QUrl url(const QString &path = {}) const; // https when TLS is configured

    void setHandler(Handler handler);
    void setMaxBodySize(qint64 bytes) { m_maxBodySize = bytes; }
    qint64 maxBodySize() const { return m_maxBodySize; }
    // Recording costs memory per request; the benchmark server turns it off.
    void setRecordRequests(bool record) { m_recordRequests = record; }

    const QList<FakeHttpRequest> &requests() const { return m_requests; }
    void clearRequests() { m_requests.clear(); }
    int connectionCount() const { return m_connectionCount; } // accepted so far
    int openConnectionCount() const;
    qint64 elapsedMs() const { return m_clock.elapsed(); }
    void closeAllConnections();

    // One server-sent event; data lines are split at LF.
    static QByteArray sseEvent(const QByteArray &data, const QByteArray &id = {}, int retryMs = -1,
            const QByteArray &event = {});
    static QByteArray reasonPhrase(int status);

Q_SIGNALS:
    void requestReceived(const McpProxy::Test::FakeHttpRequest &request);
    void connectionClosed(int connectionId);

private:
    friend class FakeHttpConnection;
    void acceptConnections();
    void dispatch(const FakeHttpRequest &request, FakeHttpResponder *responder);

    std::unique_ptr<QTcpServer> m_server;
    bool m_tls = false;
    QElapsedTimer m_clock;
    Handler m_handler;
    QList<FakeHttpRequest> m_requests;
    QList<FakeHttpConnection *> m_connections; // until deleted, also closed ones
    qint64 m_maxBodySize = 64 * 1024 * 1024;
    int m_connectionCount = 0;
    int m_requestCount = 0;
    bool m_recordRequests = true;
};

} // namespace McpProxy::Test
