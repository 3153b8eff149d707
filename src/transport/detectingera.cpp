#include "transport/detectingera.h"

#include "logging/logcategories.h"

#include <utility>

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
                Q_EMIT eraDetected(true);
                m_legacy->send(handle, body, message);
            });
    connect(m_modern.get(), &StatelessHttpEra::modernServerDetected, this,
            [this] { Q_EMIT eraDetected(false); });
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
        if (std::exchange(m_skipProbe, false)) {
            qCInfo(lcTransport) << "upstream answered in the legacy era last time: initialize "
                                   "without the server/discover probe";
            m_active = m_legacy.get();
            m_unprobed = Unprobed{handle, body, message};
        }
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
    if (handle == m_unprobed.handle)
        m_unprobed = Unprobed();
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
    if (handle == m_unprobed.handle)
        m_unprobed = Unprobed(); // the legacy era still holds
    listener()->messageDelivered(handle, httpStatus);
}

void DetectingEra::messageFailed(Handle handle, const TransportError &error)
{
    const bool answered = error.kind == TransportError::Kind::HttpStatus
            || error.kind == TransportError::Kind::InvalidResponse
            || error.kind == TransportError::Kind::StreamEnded;
    if (handle == m_unprobed.handle && legacyActive() && answered) {
        // The server refused the unprobed initialize (or answered it with no usable response):
        // the probe decides now. A server that moved to MCP 2026-07-28 is bridged, a legacy one
        // gets the initialize again and fails it again, with the error the host then sees. A
        // server that did not answer at all (timeout, connection refused) is not asked twice.
        qCInfo(lcTransport).noquote() << "initialize without the probe failed (" << error.describe()
                                      << "); probing with server/discover";
        const Unprobed unprobed = std::exchange(m_unprobed, Unprobed());
        m_legacy->forgetSession();
        m_active = m_modern.get();
        m_modern->send(unprobed.handle, unprobed.body, unprobed.message);
        return;
    }
    if (handle == m_unprobed.handle)
        m_unprobed = Unprobed();
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
