#include "transport/detectingera.h"

namespace McpProxy {

using namespace Qt::StringLiterals;

DetectingEra::DetectingEra(std::unique_ptr<StatelessHttpEra> modern,
        std::unique_ptr<UpstreamEra> legacy, QObject *parent)
    : UpstreamEra(parent)
    , m_modern(std::move(modern))
    , m_legacy(std::move(legacy))
    , m_active(m_modern.get())
{
    m_modern->setListener(this);
    m_legacy->setListener(this);
    connect(m_modern.get(), &StatelessHttpEra::legacyServerDetected, this,
            [this](Handle handle, const QByteArray &body, const JsonRpcMessage &message) {
                m_active = m_legacy.get();
                m_legacy->send(handle, body, message);
            });
}

DetectingEra::~DetectingEra()
{
    // Both eras abort what is under way without reporting.
    m_modern.reset();
    m_legacy.reset();
}

void DetectingEra::send(Handle handle, const QByteArray &body, const JsonRpcMessage &message)
{
    // A host's initialize starts a new detection; the session's own replay of it after a legacy
    // session expired (reserved id) stays on the legacy era, whose messages wait for it.
    if (message.isRequest() && message.method() == "initialize"_L1
            && !(legacyActive() && message.idKey().startsWith("s:mcp-oauth2-proxy-reinit-"_L1))) {
        m_active = m_modern.get();
    }
    m_active->send(handle, body, message);
}

void DetectingEra::resend(Handle handle)
{
    // Each era ignores handles it does not hold.
    m_modern->resend(handle);
    m_legacy->resend(handle);
}

void DetectingEra::abort(Handle handle)
{
    m_modern->abort(handle);
    m_legacy->abort(handle);
}

void DetectingEra::openServerStream()
{
    m_active->openServerStream();
}

void DetectingEra::closeServerStream()
{
    m_modern->closeServerStream();
    m_legacy->closeServerStream();
}

void DetectingEra::setAuthorizationHeader(const QByteArray &value)
{
    m_modern->setAuthorizationHeader(value);
    m_legacy->setAuthorizationHeader(value);
}

void DetectingEra::setProtocolVersion(const QString &version)
{
    m_modern->setProtocolVersion(version);
    m_legacy->setProtocolVersion(version);
}

void DetectingEra::forgetSession()
{
    m_modern->forgetSession();
    m_legacy->forgetSession();
}

QByteArray DetectingEra::sessionId() const
{
    return m_active->sessionId();
}

void DetectingEra::endSession()
{
    m_active->endSession();
}

// --- reports ---

void DetectingEra::serverMessageReceived(const QByteArray &line, const JsonRpcMessage &message)
{
    listener()->serverMessageReceived(line, message);
}

void DetectingEra::messageDelivered(Handle handle, int httpStatus)
{
    listener()->messageDelivered(handle, httpStatus);
}

void DetectingEra::messageFailed(Handle handle, const TransportError &error)
{
    listener()->messageFailed(handle, error);
}

void DetectingEra::authorizationChallenged(
        Handle handle, const QByteArray &wwwAuthenticate, int httpStatus)
{
    listener()->authorizationChallenged(handle, wwwAuthenticate, httpStatus);
}

void DetectingEra::sessionExpired(Handle handle, const TransportError &error)
{
    listener()->sessionExpired(handle, error);
}

bool DetectingEra::serverStreamChallenged(const QByteArray &wwwAuthenticate)
{
    return listener()->serverStreamChallenged(wwwAuthenticate);
}

bool DetectingEra::serverStreamSessionExpired()
{
    return listener()->serverStreamSessionExpired();
}

bool DetectingEra::awaitsResponse(Handle handle) const
{
    return listener()->awaitsResponse(handle);
}

void DetectingEra::sessionEnded()
{
    listener()->sessionEnded();
}

} // namespace McpProxy
