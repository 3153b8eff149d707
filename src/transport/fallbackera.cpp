#include "transport/fallbackera.h"

#include "logging/logcategories.h"

namespace McpProxy {

using namespace Qt::StringLiterals;

// Hears one inner era and passes its reports on while that era is the active one; the reports
// of a replaced era are dropped (it is going away and owes nothing any more).
class FallbackEra::Relay : public UpstreamEraListener
{
public:
    Relay(FallbackEra &owner, UpstreamEra &era)
        : m_owner(owner)
        , m_era(era)
    { }
    virtual ~Relay() = default;

    void serverMessageReceived(const QByteArray &line, const JsonRpcMessage &message) override
    {
        if (active())
            target()->serverMessageReceived(line, message);
    }
    void messageDelivered(Handle handle, int httpStatus) override
    {
        if (!active())
            return;
        if (handle == m_owner.m_initialize) {
            m_owner.m_settled = true;
            m_owner.m_initialize = 0;
        }
        target()->messageDelivered(handle, httpStatus);
    }
    void messageFailed(Handle handle, const TransportError &error) override
    {
        if (!active())
            return;
        if (handle == m_owner.m_initialize && !m_owner.m_switched && !m_owner.m_settled
                && m_owner.m_refused(error)) {
            m_owner.fallBack(handle, error);
            return;
        }
        if (handle == m_owner.m_initialize)
            m_owner.m_initialize = 0;
        target()->messageFailed(handle, error);
    }
    void authorizationChallenged(
            Handle handle, const QByteArray &wwwAuthenticate, int httpStatus) override
    {
        if (active())
            target()->authorizationChallenged(handle, wwwAuthenticate, httpStatus);
    }
    void sessionExpired(Handle handle, const TransportError &error) override
    {
        if (active())
            target()->sessionExpired(handle, error);
    }
    bool serverStreamChallenged(const QByteArray &wwwAuthenticate) override
    {
        return active() && target()->serverStreamChallenged(wwwAuthenticate);
    }
    bool serverStreamSessionExpired() override
    {
        return active() && target()->serverStreamSessionExpired();
    }
    bool awaitsResponse(Handle handle) const override { return target()->awaitsResponse(handle); }
    void sessionEnded() override
    {
        if (active())
            target()->sessionEnded();
    }

private:
    bool active() const { return m_owner.m_active == &m_era; }
    UpstreamEraListener *target() const { return m_owner.listener(); }

    FallbackEra &m_owner;
    UpstreamEra &m_era;
};

FallbackEra::FallbackEra(const Factory &first, Factory fallback, RefusalTest refused,
        QString description, QObject *parent)
    : UpstreamEra(parent)
    , m_makeFallback(std::move(fallback))
    , m_refused(std::move(refused))
    , m_description(std::move(description))
    , m_first(first())
{
    m_firstRelay = std::make_unique<Relay>(*this, *m_first);
    m_first->setListener(m_firstRelay.get());
    m_active = m_first.get();
}

FallbackEra::~FallbackEra()
{
    m_active = nullptr; // the eras abort what they still hold, reporting nothing
    m_fallback.reset();
    m_first.reset();
}

bool FallbackEra::initializeRefused(const TransportError &error)
{
    // MCP 2025-11-25 basic/transports, "Backwards Compatibility": a POST of initialize that
    // fails with 400 Bad Request, 404 Not Found or 405 Method Not Allowed marks an old server.
    return error.kind == TransportError::Kind::HttpStatus
            && (error.httpStatus == 400 || error.httpStatus == 404 || error.httpStatus == 405);
}

bool FallbackEra::streamRefused(const TransportError &error)
{
    return error.kind == TransportError::Kind::HttpStatus
            && error.code == LegacySseEra::StreamRefusedCode
            && (error.httpStatus == 400 || error.httpStatus == 404 || error.httpStatus == 405);
}

void FallbackEra::send(Handle handle, const QByteArray &body, const JsonRpcMessage &message)
{
    if (!m_switched && !m_settled && message.isRequest() && message.method() == "initialize"_L1) {
        m_initialize = handle;
        m_initializeBody = body;
        m_initializeMessage = message;
    }
    m_active->send(handle, body, message);
}

void FallbackEra::abort(Handle handle)
{
    if (handle == m_initialize)
        m_initialize = 0;
    m_active->abort(handle);
}

void FallbackEra::setAuthorizationHeader(const QByteArray &value)
{
    m_authorization = value;
    m_active->setAuthorizationHeader(value);
}

void FallbackEra::setProtocolVersion(const QString &version)
{
    m_protocolVersion = version;
    m_active->setProtocolVersion(version);
}

void FallbackEra::fallBack(Handle handle, const TransportError &error)
{
    m_switched = true;
    const bool stream = error.code == LegacySseEra::StreamRefusedCode;
    qCInfo(lcTransport).noquote() << QStringLiteral(
            "upstream refused %1 (%2); switching from %3 and sending "
            "initialize again")
                                             .arg(stream ? u"the event stream"_s : u"initialize"_s,
                                                     error.describe(), m_description);
    // The first era is inside the call that reported the refusal: it goes away later, and its
    // relay drops whatever it might still report.
    UpstreamEra *retired = m_first.release();
    retired->setParent(this);
    retired->deleteLater();
    m_fallback = m_makeFallback();
    m_fallbackRelay = std::make_unique<Relay>(*this, *m_fallback);
    m_fallback->setListener(m_fallbackRelay.get());
    m_fallback->setAuthorizationHeader(m_authorization);
    m_fallback->setProtocolVersion(m_protocolVersion);
    m_active = m_fallback.get();
    m_active->send(handle, m_initializeBody, m_initializeMessage);
}

std::unique_ptr<UpstreamEra> createUpstreamEra(UpstreamTransport transport,
        const StreamableHttpEra::Options &http, const LegacySseEra::Options &sse)
{
    const FallbackEra::Factory makeHttp = [http] {
        return std::make_unique<StreamableHttpEra>(http);
    };
    const FallbackEra::Factory makeSse = [sse] {
        return std::make_unique<LegacySseEra>(sse);
    };
    switch (transport) {
    case UpstreamTransport::HttpOnly:
        return makeHttp();
    case UpstreamTransport::SseOnly:
        return makeSse();
    case UpstreamTransport::SseFirst:
        return std::make_unique<FallbackEra>(
                makeSse, makeHttp, &FallbackEra::streamRefused, u"HTTP+SSE to Streamable HTTP"_s);
    case UpstreamTransport::HttpFirst:
        break;
    }
    return std::make_unique<FallbackEra>(
            makeHttp, makeSse, &FallbackEra::initializeRefused, u"Streamable HTTP to HTTP+SSE"_s);
}

} // namespace McpProxy
