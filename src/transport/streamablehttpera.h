#pragma once

#include "network/upstreamconnections.h"
#include "transport/servereventstream.h"
#include "transport/upstreamera.h"

#include <QtCore/QByteArray>
#include <QtCore/QList>
#include <QtCore/QPointer>
#include <QtCore/QString>
#include <QtCore/QUrl>
#include <QtNetwork/QNetworkRequest>

#include <map>
#include <memory>
#include <utility>

namespace McpProxy {

// The client side of the MCP Streamable HTTP transport (MCP 2025-11-25 basic/transports; also
// 2025-03-26 and 2025-06-18 servers): one POST per message, JSON or SSE replies, 202 for
// notifications and responses, Mcp-Session-Id and MCP-Protocol-Version on every later request,
// same-origin 307/308 followed by a fresh POST, resumption of a broken reply stream with a GET and
// Last-Event-ID, the standalone GET stream (ServerEventStream), DELETE at the end.
class StreamableHttpEra : public UpstreamEra
{
    Q_OBJECT
public:
    struct Options
    {
        QUrl url;
        int timeoutMs = 300000; // inactivity on a POST exchange (reference: upstream.timeoutMs)
        bool openServerStream = true;
        QList<std::pair<QByteArray, QByteArray>> headers; // static headers, never logged
        TlsSettings tls; // the system CAs and the CA bundle (tlsSettings())
        int maxResumeAttempts = 5; // consecutive resumptions without a new event
        int defaultRetryMs = 1000; // reconnection time when the server sent no retry:
        int maxBackoffMs = 30000; // standalone GET stream reconnection cap
        int shutdownDeleteTimeoutMs = 2000;
        // Shared with the other eras of the same upstream; empty: the era makes its own.
        std::shared_ptr<UpstreamConnections> connections;
    };

    explicit StreamableHttpEra(const Options &options, QObject *parent = nullptr);
    ~StreamableHttpEra() override;

    void send(Handle handle, const QByteArray &body, const JsonRpcMessage &message) override;
    void resend(Handle handle) override;
    void abort(Handle handle) override;
    void openServerStream() override;
    void closeServerStream() override;
    void setAuthorizationHeader(const QByteArray &value) override { m_authorization = value; }
    void setProtocolVersion(const QString &version) override { m_protocolVersion = version; }
    void forgetSession() override { m_sessionId.clear(); }
    QByteArray sessionId() const override { return m_sessionId; }
    void endSession() override;

private:
    class Delivery;
    friend class Delivery;

    QNetworkRequest buildRequest(const QByteArray &accept, const QUrl &url = QUrl()) const;
    void captureSessionId(const QByteArray &sessionId);
    void deliverServerMessage(QByteArray bytes);
    void finishDelivery(Handle handle); // forgets it; its report follows
    void handleStreamUnauthorized(const QByteArray &wwwAuthenticate);
    void handleStreamNotFound();
    void warmConnections();

    Options m_options;
    QByteArray m_userAgent;
    // Requests, short control messages and long-lived GET streams in separate pools, so neither
    // can starve the POST that would unblock the other (UpstreamConnections).
    std::shared_ptr<UpstreamConnections> m_connections;
    ServerEventStream m_stream;
    std::map<Handle, QPointer<Delivery>> m_deliveries;
    QByteArray m_authorization;
    QString m_protocolVersion;
    QByteArray m_sessionId;
    bool m_ended = false;
    bool m_warmed = false;
};

} // namespace McpProxy
