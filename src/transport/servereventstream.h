#pragma once

#include "transport/sseparser.h"

#include <QtCore/QByteArray>
#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QPointer>
#include <QtCore/QTimer>

#include <functional>

class QNetworkAccessManager;
class QNetworkRequest;

namespace McpProxy {

class HttpExchange;

// The standalone GET event stream of MCP Streamable HTTP (basic/transports, "Listening for
// Messages from the Server"): no idle timeout, resumes with Last-Event-ID, reconnects after a
// clean end (after the server's retry: delay), backs off with jitter on errors, and gives up on
// 405 and other 4xx. A 401 and a 404 are reported; the owner either acts or calls refuse().
class ServerEventStream : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        int defaultRetryMs = 1000; // reconnection time when the server sent no retry:
        int maxBackoffMs = 30000;
    };
    // Builds the GET (headers, session, token) at each connection.
    using RequestFactory = std::function<QNetworkRequest()>;

    ServerEventStream(QNetworkAccessManager &nam, RequestFactory requestFactory,
            const Options &options, QObject *parent = nullptr);
    ~ServerEventStream() override;

    // Connects unless already connected or given up.
    void open();
    // Disconnects and forgets the position (a new session starts from scratch).
    void close();
    // Gives the stream up for this process after `status` (logged).
    void refuse(int status);

Q_SIGNALS:
    // The data of one "message" event.
    void messageReceived(const QByteArray &data);
    void unauthorized(const QByteArray &wwwAuthenticate);
    void notFound();

private:
    void handleEvents(const QList<McpProxy::SseEvent> &events);
    void handleFinished();
    void reconnectIn(int delayMs);

    QNetworkAccessManager &m_nam;
    RequestFactory m_requestFactory;
    Options m_options;
    QPointer<HttpExchange> m_exchange;
    QTimer m_reconnectTimer;
    QByteArray m_lastEventId;
    int m_retryMs = -1;
    int m_failures = 0;
    quint64 m_generation = 0; // changes at every open() and close()
    bool m_receivedEvent = false;
    bool m_disabled = false;
};

} // namespace McpProxy
