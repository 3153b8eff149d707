#pragma once

#include "network/tlsconfiguration.h"
#include "transport/sseparser.h"
#include "transport/upstreamera.h"

#include <QtCore/QByteArray>
#include <QtCore/QByteArrayView>
#include <QtCore/QElapsedTimer>
#include <QtCore/QHash>
#include <QtCore/QList>
#include <QtCore/QPointer>
#include <QtCore/QString>
#include <QtCore/QTimer>
#include <QtCore/QUrl>
#include <QtNetwork/QNetworkRequest>

#include <map>
#include <utility>

namespace McpProxy {

class HttpExchange;

// The client side of the HTTP with SSE transport of MCP 2024-11-05 (basic/transports, "HTTP with
// SSE"; kept for servers that predate Streamable HTTP, MCP 2025-11-25 basic/transports,
// "Backwards Compatibility"): a GET opens the event stream, whose first `endpoint` event names
// the URI every message is POSTed to; each POST is accepted (202) and the responses, the
// server's requests and its notifications all arrive as `message` events on that one stream.
// The stream is the session: when it ends, the requests still waiting fail and the session is
// asked to start over (a new stream, a new endpoint, initialize replayed).
class LegacySseEra : public UpstreamEra
{
    Q_OBJECT
public:
    struct Options
    {
        QUrl url; // the SSE endpoint (GET)
        int timeoutMs = 300000; // a request's inactivity limit: no byte on its POST or the stream
        QList<std::pair<QByteArray, QByteArray>> headers; // static headers, never logged
        TlsSettings tls; // the system CAs and the CA bundle (tlsSettings())
        // Shared by the era's network managers (upstream.cookies); null: no cookies. Not owned.
        QNetworkCookieJar *cookieJar = nullptr;
        // upstream.connectTimeoutMs / upstream.headersTimeoutMs (PhaseTimeouts); 0: unbounded.
        int connectTimeoutMs = 0;
        int headersTimeoutMs = 0;
        int defaultRetryMs = 1000; // first delay before reconnecting a stream that keeps failing
        int maxBackoffMs = 30000;
    };

    // The `code` of the HttpStatus error a message fails with when the GET that opens the
    // stream was refused (never shown to the client: an HttpStatus error shows status and body).
    static constexpr QLatin1StringView StreamRefusedCode{"SseStreamRefused"};

    // Pure: the POST endpoint an `endpoint` event names, resolved against the stream's URL (RFC
    // 3986 section 5). Another origin (scheme, host, port) is refused: the token and the static
    // headers go with every POST. `error` is empty when `url` may be used.
    struct Endpoint
    {
        QUrl url;
        QString error;
    };
    static Endpoint resolveEndpoint(const QUrl &streamUrl, QByteArrayView data);

    explicit LegacySseEra(const Options &options, QObject *parent = nullptr);
    ~LegacySseEra() override;

    void send(Handle handle, const QByteArray &body, const JsonRpcMessage &message) override;
    void resend(Handle handle) override;
    void abort(Handle handle) override;
    // The stream carries the responses: it is open whenever the session is.
    void openServerStream() override;
    void closeServerStream() override { }
    void setAuthorizationHeader(const QByteArray &value) override { m_authorization = value; }
    // The HTTP with SSE transport sends no MCP-Protocol-Version header.
    void setProtocolVersion(const QString &) override { }
    // Drops the stream: the next message opens a new one (a new session).
    void forgetSession() override;
    QByteArray sessionId() const override { return QByteArray(); }
    void endSession() override;

private:
    class Delivery;
    friend class Delivery;

    enum class StreamState {
        Closed, // no stream; the next message opens one
        Connecting, // the GET runs, no endpoint yet
        Open, // the endpoint is known
        Ended // endSession()
    };

    QNetworkRequest buildRequest(const QUrl &url, const QByteArray &accept) const;
    void ensureStream();
    void connectStream();
    void dropStream();
    void handleStreamEvents(const QList<SseEvent> &events);
    void handleStreamFinished();
    void handleEndpoint(const QByteArray &data);
    void failStreamConnection(const TransportError &error);
    void challengeStream(const QByteArray &wwwAuthenticate, int status);
    void streamLost(const QString &reason);
    // Fails (later, from the event loop) every request whose response the stream still owed,
    // and those whose POST still runs: their responses would have come on that stream.
    void failRequestsOwedByTheStream(const TransportError &error);
    void deliverServerMessage(QByteArray bytes);
    void finishDelivery(Handle handle); // forgets it; its report follows
    template <typename Predicate> QList<Handle> deliveriesWhere(Predicate predicate) const;

    Options m_options;
    QByteArray m_userAgent;
    // POSTs and the long-lived stream use separate connection pools, so the stream never takes
    // a connection the POSTs need (docs/qt-notes.md).
    TlsNetworkAccessManager m_postNam;
    TlsNetworkAccessManager m_streamNam;
    QPointer<HttpExchange> m_stream;
    StreamState m_streamState = StreamState::Closed;
    quint64 m_streamGeneration = 0; // changes whenever the stream is dropped
    QUrl m_endpoint;
    QElapsedTimer m_streamOpenedAt;
    QElapsedTimer m_lastActivity; // the last byte of the stream
    QTimer m_reconnectTimer;
    int m_failures = 0; // streams in a row that failed or ended early
    std::map<Handle, QPointer<Delivery>> m_deliveries;
    QHash<QString, Handle> m_requests; // request id key → its delivery
    QByteArray m_authorization;
};

} // namespace McpProxy
