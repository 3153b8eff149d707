#pragma once

#include "transport/statelesshttpera.h"
#include "transport/upstreamera.h"

#include <memory>

namespace McpProxy {

// Era detection (MCP 2026-07-28 basic/transports/streamable-http, "Backward Compatibility"):
// every host initialize is first tried on the stateless era, whose server/discover probe decides;
// a server that does not answer it as a modern one gets the initialize, and everything after it,
// on the earlier era (`legacy`). A host that speaks 2026-07-28 itself stays on the stateless era.
//
// The verdict is reported (eraDetected()) so that a later start can skip the probe for a server
// that was found legacy (setSkipProbe()): the host's initialize then goes straight to the legacy
// era, saving the probe's round trip. If that initialize fails (the server has moved to 2026-07-28
// and refuses it, or anything else), the probe runs after all and decides, as without the hint;
// the host sees only the outcome of the probed attempt.
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
    // The server answered in the legacy era last time: send the next host initialize on the
    // legacy era without the probe (once; a failed attempt falls back to the probe).
    void setSkipProbe(bool skip) { m_skipProbe = skip; }

Q_SIGNALS:
    // The probe decided (true: legacy, false: MCP 2026-07-28).
    void eraDetected(bool legacy);

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

    // The initialize sent on the legacy era without a probe: probed after all if it fails.
    struct Unprobed
    {
        Handle handle = 0;
        QByteArray body;
        JsonRpcMessage message;
    };

    std::unique_ptr<StatelessHttpEra> m_modern;
    std::unique_ptr<UpstreamEra> m_legacy;
    UpstreamEra *m_active = nullptr;
    bool m_skipProbe = false;
    Unprobed m_unprobed;
};

} // namespace McpProxy
