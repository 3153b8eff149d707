#pragma once

#include "transport/legacysseera.h"
#include "transport/streamablehttpera.h"
#include "transport/upstreamera.h"

#include <QtCore/QByteArray>
#include <QtCore/QString>

#include <functional>
#include <memory>

namespace McpProxy {

// Which transport the proxy speaks upstream, as mcp-remote's --transport: one era only, or one
// first and the other when the first is refused.
enum class UpstreamTransport {
    HttpFirst, // Streamable HTTP; HTTP with SSE when initialize gets 400, 404 or 405
    SseFirst, // HTTP with SSE; Streamable HTTP when the GET of the stream gets 400, 404 or 405
    HttpOnly,
    SseOnly
};

// The one owner of the era switch: an era made of a first era and a fallback (MCP 2025-11-25
// basic/transports, "Backwards Compatibility"). Everything goes to the first era until the
// client's first `initialize` fails in a way `refused` recognises; then, once, the fallback era
// is made, takes over the session facts and sends that same initialize (the session sees one
// message, answered once). After an initialize succeeded on an era, it stays.
class FallbackEra : public UpstreamEra
{
    Q_OBJECT
public:
    using Factory = std::function<std::unique_ptr<UpstreamEra>()>;
    using RefusalTest = std::function<bool(const TransportError &)>;

    FallbackEra(const Factory &first, Factory fallback, RefusalTest refused, QString description,
            QObject *parent = nullptr);
    ~FallbackEra() override;

    // The statuses of MCP 2025-11-25 "Backwards Compatibility" for the initialize POST.
    static bool initializeRefused(const TransportError &error);
    // sse-first: the GET of the event stream answered 400, 404 or 405 (mcp-remote falls back on
    // 404 and 405; a Streamable HTTP server of the MCP SDKs answers a GET without a session 400).
    static bool streamRefused(const TransportError &error);

    bool switched() const { return m_switched; }

    void send(Handle handle, const QByteArray &body, const JsonRpcMessage &message) override;
    void resend(Handle handle) override { m_active->resend(handle); }
    void abort(Handle handle) override;
    void openServerStream() override { m_active->openServerStream(); }
    void closeServerStream() override { m_active->closeServerStream(); }
    void setAuthorizationHeader(const QByteArray &value) override;
    void setProtocolVersion(const QString &version) override;
    void forgetSession() override { m_active->forgetSession(); }
    QByteArray sessionId() const override { return m_active->sessionId(); }
    void endSession() override { m_active->endSession(); }

private:
    class Relay;
    friend class Relay;

    void fallBack(Handle handle, const TransportError &error);

    Factory m_makeFallback;
    RefusalTest m_refused;
    QString m_description; // for the log: "Streamable HTTP → HTTP+SSE"
    std::unique_ptr<UpstreamEra> m_first;
    std::unique_ptr<UpstreamEra> m_fallback;
    std::unique_ptr<Relay> m_firstRelay;
    std::unique_ptr<Relay> m_fallbackRelay;
    UpstreamEra *m_active = nullptr;
    Handle m_initialize = 0; // the initialize that may still switch the era
    QByteArray m_initializeBody;
    JsonRpcMessage m_initializeMessage;
    QByteArray m_authorization;
    QString m_protocolVersion;
    bool m_switched = false;
    bool m_settled = false; // an initialize succeeded: no switch any more
};

// The era for `transport`; both eras get the same URL, timeout, headers and TLS settings.
std::unique_ptr<UpstreamEra> createUpstreamEra(UpstreamTransport transport,
        const StreamableHttpEra::Options &http, const LegacySseEra::Options &sse);

} // namespace McpProxy
