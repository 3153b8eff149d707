#pragma once

#include "transport/statelesshttpera.h"
#include "transport/upstreamera.h"

#include <memory>

namespace McpProxy {

// Era detection (MCP 2026-07-28 basic/transports/streamable-http, "Backward Compatibility"):
// every host initialize is first tried on the stateless era, whose server/discover probe decides;
// a server that does not answer it as a modern one gets the initialize, and everything after it,
// on the earlier era (`legacy`). Nothing is cached beyond one initialize: the next one probes
// again (one round trip). A host that speaks 2026-07-28 itself stays on the stateless era.
class DetectingEra : public UpstreamEra, private UpstreamEraListener
{
    Q_OBJECT
public:
    using Handle = UpstreamEraListener::Handle;

    DetectingEra(std::unique_ptr<StatelessHttpEra> modern, std::unique_ptr<UpstreamEra> legacy,
            QObject *parent = nullptr);
    ~DetectingEra() override;

    void send(Handle handle, const QByteArray &body, const JsonRpcMessage &message) override;
    void resend(Handle handle) override;
    void abort(Handle handle) override;
    void openServerStream() override;
    void closeServerStream() override;
    void setAuthorizationHeader(const QByteArray &value) override;
    void setProtocolVersion(const QString &version) override;
    void forgetSession() override;
    QByteArray sessionId() const override;
    void endSession() override;

    bool legacyActive() const { return m_active == m_legacy.get(); }

private:
    // UpstreamEraListener: both eras report here; everything goes on to our listener.
    void serverMessageReceived(const QByteArray &line, const JsonRpcMessage &message) override;
    void messageDelivered(Handle handle, int httpStatus) override;
    void messageFailed(Handle handle, const TransportError &error) override;
    void authorizationChallenged(
            Handle handle, const QByteArray &wwwAuthenticate, int httpStatus) override;
    void sessionExpired(Handle handle, const TransportError &error) override;
    bool serverStreamChallenged(const QByteArray &wwwAuthenticate) override;
    bool serverStreamSessionExpired() override;
    bool awaitsResponse(Handle handle) const override;
    void sessionEnded() override;

    std::unique_ptr<StatelessHttpEra> m_modern;
    std::unique_ptr<UpstreamEra> m_legacy;
    UpstreamEra *m_active = nullptr;
};

} // namespace McpProxy
