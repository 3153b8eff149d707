#include "support/fakehttpserver.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QFile>
#include <QtCore/QPluginLoader>
#include <QtNetwork/QSslCertificate>
#include <QtNetwork/QSslKey>
#include <QtNetwork/QSslServer>
#include <QtNetwork/QSslSocket>
#include <QtNetwork/QTcpSocket>

#include <utility>

using namespace Qt::StringLiterals;

namespace McpProxy::Test {

namespace {

constexpr qsizetype MaxHeadSize = 64 * 1024;

#ifdef Q_OS_WIN
// Wine's Schannel (secur32 on GnuTLS) implements only the client side of TLS: its
// AcceptSecurityContext is missing (dlls/secur32/schannel.c, up to Wine 8 at least), so a
// QSslServer on Qt's Schannel backend closes every connection there before the handshake.
// Under Wine, MCPPROXY_TEST_TLS_BACKEND names Qt's OpenSSL TLS backend plugin: the test program
// (its HTTPS fakes and the clients inside it) then uses OpenSSL, while the proxy's own .exe, the
// one the integration tests start, keeps Schannel. Unset (real Windows): Schannel everywhere.
void useTestTlsBackend()
{
    const QString plugin = qEnvironmentVariable("MCPPROXY_TEST_TLS_BACKEND");
    if (plugin.isEmpty())
        return;
    QPluginLoader loader(plugin);
    if (!loader.instance())
        qFatal("MCPPROXY_TEST_TLS_BACKEND: %s", qPrintable(loader.errorString()));
    if (!QSslSocket::setActiveBackend(u"openssl"_s))
        qFatal("MCPPROXY_TEST_TLS_BACKEND: no usable OpenSSL TLS backend");
}
Q_COREAPP_STARTUP_FUNCTION(useTestTlsBackend)
#endif

bool headerNameIs(const QByteArray &name, QByteArrayView wanted)
{
    return name.size() == wanted.size()
            && qstrnicmp(name.constData(), wanted.data(), name.size()) == 0;
}

bool containsHeader(const FakeHttpHeaders &headers, QByteArrayView name)
{
    for (const auto &header : headers) {
        if (headerNameIs(header.first, name))
            return true;
    }
    return false;
}

bool hasToken(const QByteArray &value, QByteArrayView token)
{
    const QList<QByteArray> parts = value.split(',');
    for (const QByteArray &part : parts) {
        if (part.trimmed().compare(token, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

} // namespace

QByteArray FakeHttpRequest::path() const
{
    const qsizetype query = target.indexOf('?');
    return query < 0 ? target : target.left(query);
}

bool FakeHttpRequest::hasHeader(QByteArrayView name) const
{
    return containsHeader(headers, name);
}

QByteArray FakeHttpRequest::header(QByteArrayView name) const
{
    return headerValues(name).join(", ");
}

QList<QByteArray> FakeHttpRequest::headerValues(QByteArrayView name) const
{
    QList<QByteArray> values;
    for (const auto &header : headers) {
        if (headerNameIs(header.first, name))
            values.append(header.second);
    }
    return values;
}

// One accepted TCP connection: parses requests one after the other (no pipelining: the next
// request is parsed only once the current response is complete) and owns their responders.
class FakeHttpConnection : public QObject
{
public:
    FakeHttpConnection(QTcpSocket *socket, int id, FakeHttpServer *server)
        : QObject(server)
        , m_server(server)
        , m_socket(socket)
        , m_id(id)
    {
        m_socket->setParent(this);
        connect(m_socket, &QTcpSocket::readyRead, this, &FakeHttpConnection::readAvailable);
        connect(m_socket, &QTcpSocket::disconnected, this, &FakeHttpConnection::handleDisconnected);
        // QSslServer hands the socket over after the handshake: the request may already be
        // buffered, and its readyRead gone.
        QMetaObject::invokeMethod(this, &FakeHttpConnection::readAvailable, Qt::QueuedConnection);
    }
    ~FakeHttpConnection() override
    {
        QObject::disconnect(m_socket, nullptr, this, nullptr);
        m_server->m_connections.removeOne(this);
    }

    void responseFinished(bool closeConnection);
    void abort() { m_socket->abort(); }
    bool isOpen() const { return m_phase != Phase::Closing; }

private:
    enum class Phase {
        Head,
        Body,
        ChunkSize,
        ChunkData,
        ChunkDataEnd,
        ChunkTrailers,
        Dispatched,
        Closing
    };

    void readAvailable();
    void handleDisconnected();
    void processBuffer();
    bool parseHead(qsizetype headEnd);
    bool takeLine(QByteArray *line);
    void appendBody(qsizetype count);
    void dispatch();
    void fail(int status);

    FakeHttpServer *m_server;
    QTcpSocket *m_socket;
    int m_id;
    QByteArray m_buffer;
    Phase m_phase = Phase::Head;
    FakeHttpRequest m_request;
    qint64 m_remaining = 0;
    bool m_processing = false;
    QPointer<FakeHttpResponder> m_responder;
};

void FakeHttpConnection::readAvailable()
{
    m_buffer += m_socket->readAll();
    if (!m_processing)
        processBuffer();
}

void FakeHttpConnection::handleDisconnected()
{
    m_phase = Phase::Closing;
    if (m_responder && m_responder->state() != FakeHttpResponder::State::Finished)
        Q_EMIT m_responder->disconnected();
    Q_EMIT m_server->connectionClosed(m_id);
    deleteLater();
}

void FakeHttpConnection::responseFinished(bool closeConnection)
{
    if (m_phase == Phase::Closing)
        return;
    if (closeConnection) {
        m_phase = Phase::Closing;
        m_socket->disconnectFromHost(); // after the pending bytes are written
        return;
    }
    m_phase = Phase::Head;
    if (!m_processing && !m_buffer.isEmpty())
        processBuffer();
}

void FakeHttpConnection::processBuffer()
{
    m_processing = true;
    for (bool progress = true; progress;) {
        progress = false;
        QByteArray line;
        switch (m_phase) {
        case Phase::Head: {
            const qsizetype headEnd = m_buffer.indexOf("\r\n\r\n");
            if (headEnd < 0) {
                if (m_buffer.size() > MaxHeadSize)
                    fail(431);
                break;
            }
            progress = parseHead(headEnd);
            break;
        }
        case Phase::Body:
            appendBody(qMin<qint64>(m_remaining, m_buffer.size()));
            if (m_remaining == 0) {
                dispatch();
                progress = true;
            }
            break;
        case Phase::ChunkSize:
            if (!takeLine(&line))
                break;
            {
                bool ok = false;
                const qint64 size = line.split(';').constFirst().trimmed().toLongLong(&ok, 16);
                if (!ok || size < 0) {
                    fail(400);
                } else if (m_request.body.size() + size > m_server->maxBodySize()) {
                    fail(413);
                } else {
                    m_remaining = size;
                    m_phase = size == 0 ? Phase::ChunkTrailers : Phase::ChunkData;
                    progress = true;
                }
            }
            break;
        case Phase::ChunkData:
            appendBody(qMin<qint64>(m_remaining, m_buffer.size()));
            if (m_remaining == 0) {
                m_phase = Phase::ChunkDataEnd;
                progress = true;
            }
            break;
        case Phase::ChunkDataEnd: // the CRLF after the chunk's data
            if (!takeLine(&line))
                break;
            if (line.isEmpty()) {
                m_phase = Phase::ChunkSize;
                progress = true;
            } else {
                fail(400);
            }
            break;
        case Phase::ChunkTrailers:
            if (!takeLine(&line))
                break;
            if (line.isEmpty())
                dispatch();
            progress = true;
            break;
        case Phase::Dispatched:
        case Phase::Closing:
            break;
        }
    }
    m_processing = false;
}

bool FakeHttpConnection::takeLine(QByteArray *line)
{
    const qsizetype end = m_buffer.indexOf("\r\n");
    if (end < 0) {
        if (m_buffer.size() > MaxHeadSize)
            fail(400);
        return false;
    }
    *line = m_buffer.left(end);
    m_buffer.remove(0, end + 2);
    return true;
}

void FakeHttpConnection::appendBody(qsizetype count)
{
    m_request.body.append(m_buffer.constData(), count);
    if (count == m_buffer.size())
        m_buffer.clear();
    else
        m_buffer.remove(0, count);
    m_remaining -= count;
}

bool FakeHttpConnection::parseHead(qsizetype headEnd)
{
    const QList<QByteArray> lines = m_buffer.left(headEnd).split('\n');
    m_buffer.remove(0, headEnd + 4);
    const QList<QByteArray> requestLine = lines.constFirst().trimmed().split(' ');
    if (requestLine.size() != 3 || !requestLine.at(2).startsWith("HTTP/1.")) {
        fail(400);
        return false;
    }
    m_request = FakeHttpRequest();
    m_request.method = requestLine.at(0);
    m_request.target = requestLine.at(1);
    m_request.connectionId = m_id;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray headerLine = lines.at(i).trimmed();
        const qsizetype colon = headerLine.indexOf(':');
        if (colon <= 0) {
            fail(400);
            return false;
        }
        m_request.headers.append(
                {headerLine.left(colon).trimmed(), headerLine.mid(colon + 1).trimmed()});
    }
    if (requestLine.at(2) == "HTTP/1.0")
        m_request.headers.append({"Connection"_ba, "close"_ba}); // no keep-alive for 1.0 clients
    if (m_request.header("Expect").compare("100-continue", Qt::CaseInsensitive) == 0)
        m_socket->write("HTTP/1.1 100 Continue\r\n\r\n");

    if (hasToken(m_request.header("Transfer-Encoding"), "chunked")) {
        m_phase = Phase::ChunkSize;
        return true;
    }
    bool ok = true;
    const QByteArray length = m_request.header("Content-Length");
    m_remaining = length.isEmpty() ? 0 : length.toLongLong(&ok);
    if (!ok || m_remaining < 0) {
        fail(400);
        return false;
    }
    if (m_remaining > m_server->maxBodySize()) {
        fail(413);
        return false;
    }
    m_request.body.reserve(m_remaining);
    m_phase = Phase::Body;
    return true;
}

void FakeHttpConnection::dispatch()
{
    m_phase = Phase::Dispatched;
    m_request.sequence = ++m_server->m_requestCount;
    m_request.arrivalMs = m_server->elapsedMs();
    m_responder = new FakeHttpResponder(m_socket, m_request, this);
    m_server->dispatch(std::exchange(m_request, FakeHttpRequest()), m_responder);
}

void FakeHttpConnection::fail(int status)
{
    const QByteArray reason = FakeHttpServer::reasonPhrase(status);
    m_socket->write(QByteArray("HTTP/1.1 " + QByteArray::number(status) + ' ' + reason
            + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
    m_buffer.clear();
    m_phase = Phase::Closing;
    m_socket->disconnectFromHost();
}

FakeHttpResponder::FakeHttpResponder(QTcpSocket *socket, FakeHttpRequest request, QObject *parent)
    : QObject(parent)
    , m_socket(socket)
    , m_request(std::move(request))
{
    m_closeAfterResponse = hasToken(m_request.header("Connection"), "close");
}

void FakeHttpResponder::writeHead(
        int status, const FakeHttpHeaders &headers, const FakeHttpHeaders &extra)
{
    QByteArray head = "HTTP/1.1 " + QByteArray::number(status) + ' '
            + FakeHttpServer::reasonPhrase(status) + "\r\n";
    for (const auto &list : {headers, extra}) {
        for (const auto &header : list)
            head += header.first + ": " + header.second + "\r\n";
    }
    for (const auto &header : headers) {
        if (headerNameIs(header.first, "Connection") && hasToken(header.second, "close"))
            m_closeAfterResponse = true;
    }
    if (m_closeAfterResponse && !containsHeader(headers, "Connection"))
        head += "Connection: close\r\n";
    head += "\r\n";
    writeRaw(head);
}

void FakeHttpResponder::reply(int status, const FakeHttpHeaders &headers, const QByteArray &body)
{
    if (m_state != State::Pending)
        return;
    FakeHttpHeaders extra;
    if (!containsHeader(headers, "Content-Length"))
        extra.append({"Content-Length"_ba, QByteArray::number(body.size())});
    writeHead(status, headers, extra);
    writeRaw(body);
    finish(m_closeAfterResponse);
}

void FakeHttpResponder::beginStream(int status, const FakeHttpHeaders &headers)
{
    if (m_state != State::Pending)
        return;
    writeHead(status, headers, {{"Transfer-Encoding"_ba, "chunked"_ba}});
    m_state = State::Streaming;
}

void FakeHttpResponder::beginCloseDelimitedStream(int status, const FakeHttpHeaders &headers)
{
    if (m_state != State::Pending)
        return;
    m_closeAfterResponse = true;
    m_closeDelimited = true;
    writeHead(status, headers, {});
    m_state = State::Streaming;
}

void FakeHttpResponder::writeChunk(const QByteArray &bytes)
{
    if (m_state != State::Streaming || bytes.isEmpty())
        return;
    if (m_closeDelimited)
        writeRaw(bytes);
    else
        writeRaw(QByteArray::number(bytes.size(), 16) + "\r\n" + bytes + "\r\n");
}

void FakeHttpResponder::endStream()
{
    if (m_state != State::Streaming)
        return;
    if (!m_closeDelimited)
        writeRaw("0\r\n\r\n");
    finish(m_closeAfterResponse);
}

void FakeHttpResponder::closeAbruptly()
{
    if (m_state == State::Finished)
        return;
    m_state = State::Finished;
    if (m_socket) {
        m_socket->flush(); // what was written so far reaches the peer, nothing more
        m_socket->abort(); // emits disconnected() through the connection
    }
}

void FakeHttpResponder::writeRaw(const QByteArray &bytes)
{
    if (m_socket && m_socket->state() == QAbstractSocket::ConnectedState)
        m_socket->write(bytes);
}

void FakeHttpResponder::finish(bool closeConnection)
{
    m_state = State::Finished;
    deleteLater();
    static_cast<FakeHttpConnection *>(parent())->responseFinished(closeConnection);
}

FakeHttpServer::FakeHttpServer(QObject *parent)
    : QObject(parent)
    , m_server(std::make_unique<QTcpServer>())
{
    m_clock.start();
    connect(m_server.get(), &QTcpServer::newConnection, this, &FakeHttpServer::acceptConnections);
}

FakeHttpServer::~FakeHttpServer()
{
    m_server->close();
    const QList<FakeHttpConnection *> connections = std::exchange(m_connections, {});
    qDeleteAll(connections);
}

void FakeHttpServer::setTlsConfiguration(const QSslConfiguration &configuration)
{
    auto server = std::make_unique<QSslServer>();
    server->setSslConfiguration(configuration);
    m_server = std::move(server);
    m_tls = true;
    // A TLS connection is pending only after its handshake: newConnection comes too early then.
    connect(m_server.get(), &QTcpServer::pendingConnectionAvailable, this,
            &FakeHttpServer::acceptConnections);
}

QString FakeHttpServer::testCaPath()
{
    return QStringLiteral(MCPPROXY_TEST_TLS_DIR "/ca.pem");
}

QString FakeHttpServer::impostorCaPath()
{
    return QStringLiteral(MCPPROXY_TEST_TLS_DIR "/impostor-ca.pem");
}

QSslConfiguration FakeHttpServer::testTlsConfiguration()
{
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    QFile certificate(QStringLiteral(MCPPROXY_TEST_TLS_DIR "/server.pem"));
    QFile key(QStringLiteral(MCPPROXY_TEST_TLS_DIR "/server-key.pem"));
    if (certificate.open(QIODevice::ReadOnly) && key.open(QIODevice::ReadOnly)) {
        configuration.setLocalCertificate(QSslCertificate(certificate.readAll()));
        configuration.setPrivateKey(QSslKey(key.readAll(), QSsl::Ec));
    }
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone); // no client certificates
    return configuration;
}

bool FakeHttpServer::listen(quint16 port, const QHostAddress &address)
{
    return m_server->listen(address, port);
}

quint16 FakeHttpServer::port() const
{
    return m_server->serverPort();
}

QUrl FakeHttpServer::url(const QString &path) const
{
    QUrl url;
    url.setScheme(m_tls ? u"https"_s : u"http"_s);
    url.setHost(m_server->serverAddress().toString());
    url.setPort(m_server->serverPort());
    url.setPath(path);
    return url;
}

void FakeHttpServer::setHandler(Handler handler)
{
    m_handler = std::move(handler);
}

int FakeHttpServer::openConnectionCount() const
{
    int count = 0;
    for (const FakeHttpConnection *connection : m_connections)
        count += connection->isOpen() ? 1 : 0;
    return count;
}

void FakeHttpServer::closeAllConnections()
{
    const QList<FakeHttpConnection *> connections = m_connections;
    for (FakeHttpConnection *connection : connections)
        connection->abort();
}

void FakeHttpServer::acceptConnections()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection())
        m_connections.append(new FakeHttpConnection(socket, ++m_connectionCount, this));
}

void FakeHttpServer::dispatch(const FakeHttpRequest &request, FakeHttpResponder *responder)
{
    if (m_recordRequests)
        m_requests.append(request);
    Q_EMIT requestReceived(request);
    if (m_handler)
        m_handler(request, responder);
    else
        responder->reply(404);
}

QByteArray FakeHttpServer::sseEvent(
        const QByteArray &data, const QByteArray &id, int retryMs, const QByteArray &event)
{
    QByteArray out;
    out.reserve(data.size() + id.size() + event.size() + 32);
    if (!event.isEmpty())
        out += "event: " + event + '\n';
    if (!id.isEmpty())
        out += "id: " + id + '\n';
    if (retryMs >= 0)
        out += "retry: " + QByteArray::number(retryMs) + '\n';
    if (!data.contains('\n')) {
        out += "data: " + data + '\n';
    } else {
        const QList<QByteArray> lines = data.split('\n');
        for (const QByteArray &line : lines)
            out += "data: " + line + '\n';
    }
    out += '\n';
    return out;
}

QByteArray FakeHttpServer::reasonPhrase(int status)
{
    switch (status) {
    case 100:
        return "Continue"_ba;
    case 200:
        return "OK"_ba;
    case 202:
        return "Accepted"_ba;
    case 204:
        return "No Content"_ba;
    case 302:
        return "Found"_ba;
    case 307:
        return "Temporary Redirect"_ba;
    case 308:
        return "Permanent Redirect"_ba;
    case 400:
        return "Bad Request"_ba;
    case 401:
        return "Unauthorized"_ba;
    case 403:
        return "Forbidden"_ba;
    case 404:
        return "Not Found"_ba;
    case 405:
        return "Method Not Allowed"_ba;
    case 406:
        return "Not Acceptable"_ba;
    case 409:
        return "Conflict"_ba;
    case 413:
        return "Content Too Large"_ba;
    case 415:
        return "Unsupported Media Type"_ba;
    case 429:
        return "Too Many Requests"_ba;
    case 431:
        return "Request Header Fields Too Large"_ba;
    case 500:
        return "Internal Server Error"_ba;
    case 502:
        return "Bad Gateway"_ba;
    case 503:
        return "Service Unavailable"_ba;
    case 504:
        return "Gateway Timeout"_ba;
    default:
        return "Status"_ba;
    }
}

} // namespace McpProxy::Test
