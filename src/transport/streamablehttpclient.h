#pragma once

#include "jsonrpc/jsonrpcmessage.h"
#include "network/tlsconfiguration.h"
#include "transport/sseparser.h"
#include "transport/transporterror.h"

#include <QtCore/QByteArray>
#include <QtCore/QDateTime>
#include <QtCore/QElapsedTimer>
#include <QtCore/QHash>
#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QPointer>
#include <QtCore/QTimer>
#include <QtCore/QUrl>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkRequest>
#include <QtNetwork/QSslConfiguration>

#include <functional>
#include <map>
#include <memory>
#include <utility>

class QNetworkReply;

namespace McpProxy {

// The client side of the MCP Streamable HTTP transport (MCP 2025-11-25 basic/transports; also
// 2025-03-26 and 2025-06-18 servers): one POST per message, JSON or SSE replies, 202 for
// notifications and responses, Mcp-Session-Id and MCP-Protocol-Version on every later request,
// the standalone GET stream, resumption with Last-Event-ID, transparent re-initialization when
// the server forgets the session (404), DELETE at shutdown.
//
// Every request handed to send() ends in exactly one of: a messageReceived() carrying its
// response, a requestFailed() (timeout, HTTP error, network, stream ended, shutdown), or nothing
// when cancel() was called for it. Messages are forwarded as the bytes the client wrote.
class StreamableHttpClient : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        QUrl url;
        int timeoutMs = 300000; // inactivity on a POST exchange (reference: upstream.timeoutMs)
        bool openServerStream = true;
        QString protocolVersion; // configured; used until one is negotiated by initialize
        QList<std::pair<QByteArray, QByteArray>> headers; // static headers, never logged
        QSslConfiguration sslConfiguration = QSslConfiguration::defaultConfiguration();
        int maxResumeAttempts = 5; // consecutive resumptions without a new event
        int defaultRetryMs = 1000; // reconnection time when the server sent no retry:
        int maxBackoffMs = 30000; // standalone GET stream reconnection cap
        int shutdownDeleteTimeoutMs = 2000;
        // How long a request may wait for authorization in all (every round included) before
        // it fails; extended by a browser login (extendAuthorizationDeadline()).
        int authorizationDeadlineMs = 30000;
    };

    explicit StreamableHttpClient(const Options &options, QObject *parent = nullptr);
    ~StreamableHttpClient() override;

    void send(const QByteArray &body, const JsonRpcMessage &message);
    // Aborts the upstream exchange of a request the client cancelled (notifications/cancelled);
    // nothing is emitted for it afterwards.
    void cancel(const QString &idKey);
    // Fails every pending request with Shutdown, stops the GET stream, DELETEs the session
    // (bounded, 405 is fine), then emits shutdownFinished().
    void shutdown();

    // The Authorization header value for every later request ("Bearer …"); empty: none.
    // Never logged. (MCP authorization: the token goes in the header of every request.)
    void setAuthorizationHeader(const QByteArray &value) { m_authorization = value; }
    // The answer to authorizationRequired(): ok → parked messages are sent again with the new
    // header; otherwise they fail with `message` (what the user can do).
    void finishAuthorization(bool ok, const QString &message);
    // Messages wait from now until finishAuthorization() (a token is being obtained at start-up).
    void holdForAuthorization() { m_authorizing = true; }
    // Requests sent at or after `renewAt` first ask for a renewed token (authorizationRequired()
    // with status 0); invalid: never.
    void setRenewalPoint(const QDateTime &renewAt) { m_renewAt = renewAt; }
    // A browser login began: requests waiting for authorization may wait that much longer.
    void extendAuthorizationDeadline(int seconds);

    QByteArray sessionId() const { return m_sessionId; }
    QString protocolVersion() const { return m_protocolVersion; }
    int pendingRequestCount() const { return int(m_pendingByIdKey.size()); }

Q_SIGNALS:
    // One server message as a single line of JSON.
    void messageReceived(const QByteArray &line, const McpProxy::JsonRpcMessage &message);
    // A client request that will get no response from upstream; `errorResponse` is the JSON-RPC
    // error line to give the client instead.
    void requestFailed(const QString &idKey, const QByteArray &errorResponse);
    void shutdownFinished();
    // A 401, or a 403 with error="insufficient_scope" (RFC 6750 section 3.1): messages wait until
    // finishAuthorization(). Emitted once per authorization round; `wwwAuthenticate` is the raw
    // header (several challenges joined by ", "). httpStatus 0: the token reached its renewal
    // point (setRenewalPoint()) before a request.
    void authorizationRequired(const QByteArray &wwwAuthenticate, int httpStatus);

private:
    struct Exchange
    {
        quint64 serial = 0;
        QByteArray body;
        JsonRpcMessage message;
        bool internal = false; // a message the proxy itself originates (re-initialization)
        bool barrier = false; // initialize / notifications/initialized: later messages wait
        bool retried = false; // already re-sent once after a session re-initialization
        bool answered = false;
        bool sentWithSession = false;
        bool resuming = false; // the current reply is a GET resumption
        bool timedOut = false;
        bool headersSeen = false;
        bool isSse = false;
        int status = 0;
        int resumeAttempts = 0;
        int unauthorizedRetries = 0; // 401 → authorize → retry, at most twice
        int stepUps = 0; // 403 insufficient_scope → step-up (3 rounds in all)
        qint64 authorizationDeadline = -1; // on m_authorizationClock, once it waited for one
        int retryMs = -1;
        int redirects = 0; // same-origin 307/308 followed for this message
        QUrl target; // where the POST goes after a redirect; empty: the endpoint
        QByteArray lastEventId;
        QByteArray responseBody; // JSON body, or a bounded excerpt of an error body
        SseParser sse;
        QPointer<QNetworkReply> reply;
        QPointer<QTimer> timer;
        std::function<void(bool ok)> onInternalDone;
    };

    struct ServerStream
    {
        QPointer<QNetworkReply> reply;
        QPointer<QTimer> timer;
        SseParser sse;
        QByteArray lastEventId;
        int retryMs = -1;
        int failures = 0;
        int status = 0;
        bool headersSeen = false;
        bool receivedEvent = false;
        bool disabled = false;
        bool wanted = false;
    };

    Exchange *createExchange(const QByteArray &body, const JsonRpcMessage &message);
    void dispatchOrQueue(Exchange *exchange);
    void post(Exchange *exchange);
    void resume(quint64 serial);
    QNetworkRequest buildRequest(const char *accept, const QUrl &url = QUrl()) const;
    void attachReply(Exchange *exchange, QNetworkReply *reply);
    void handleReadyRead(quint64 serial);
    void handleFinished(quint64 serial);
    void handleHeaders(Exchange *exchange);
    void handleRedirect(Exchange *exchange, QNetworkReply *reply);
    void processSseEvents(Exchange *exchange, QList<SseEvent> &events);
    bool deliverServerMessage(QByteArray bytes, Exchange *carrier);
    void completeSse(Exchange *exchange);
    void completeJson(Exchange *exchange);
    void scheduleResume(Exchange *exchange, const TransportError &reasonIfGivingUp);
    void fail(Exchange *exchange, const TransportError &error);
    void finish(Exchange *exchange);
    void releaseBarrier(quint64 serial);
    void drainQueue();

    bool handleUnauthorized(Exchange *exchange, QNetworkReply *reply);
    void requestAuthorization(const QByteArray &wwwAuthenticate, int httpStatus);
    void startAuthorizationDeadline(Exchange *exchange);
    void enforceAuthorizationDeadlines();

    void startReinitialization(Exchange *trigger);
    void finishReinitialization(bool ok);

    void openServerStream();
    void handleServerStreamReadyRead();
    void handleServerStreamFinished();
    void scheduleServerStreamReconnect(int delayMs);
    void stopServerStream();

    void captureSession(QNetworkReply *reply, const Exchange *exchange);
    void captureProtocolVersion(const QByteArray &line);
    Exchange *exchange(quint64 serial) const;
    TransportError errorFromReply(const Exchange *exchange, QNetworkReply *reply) const;

    Options m_options;
    QByteArray m_userAgent;
    // Separate connection pools (6 per host on HTTP/1.1, docs/qt-notes.md): requests, short control
    // messages, and long-lived GET streams, so neither can starve the POST that would unblock the
    // other.
    // Each sets the TLS configuration and TCP_NODELAY on every request and connection.
    TlsNetworkAccessManager m_requestNam;
    TlsNetworkAccessManager m_controlNam;
    TlsNetworkAccessManager m_streamNam;

    std::map<quint64, std::unique_ptr<Exchange>> m_exchanges;
    QHash<QString, quint64> m_pendingByIdKey; // client requests awaiting their response
    QList<quint64> m_queue; // waiting behind a barrier or a re-initialization
    QList<quint64> m_retryAfterReinit;
    QList<quint64> m_awaitingAuthorization;
    bool m_authorizing = false;
    bool m_streamAwaitsAuthorization = false;
    QByteArray m_authorization;
    QDateTime m_renewAt;
    QElapsedTimer m_authorizationClock;
    QTimer m_authorizationDeadlineTimer;
    qint64 m_interactiveUntil = -1; // on m_authorizationClock, while a browser login runs
    quint64 m_nextSerial = 1;
    quint64 m_barrierSerial = 0;

    QByteArray m_sessionId;
    QString m_protocolVersion;
    QByteArray m_initializeBody; // the client's initialize, replayed on session expiry
    QByteArray m_initializedBody; // its notifications/initialized
    bool m_reinitializing = false;
    bool m_sessionLost = false; // a re-initialization failed; retried before the next message
    int m_reinitCount = 0;
    int m_reinitFailures = 0;
    bool m_shuttingDown = false;

    ServerStream m_stream;
};

} // namespace McpProxy
