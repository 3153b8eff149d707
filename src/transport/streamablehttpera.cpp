#include "transport/streamablehttpera.h"

#include "logging/logcategories.h"
#include "transport/httpexchange.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QMetaEnum>
#include <QtCore/QTimer>
#include <QtNetwork/QNetworkReply>

#include <algorithm>

namespace McpProxy {

using namespace Qt::StringLiterals;

namespace {

constexpr int MaxRedirects = 5; // same-origin 307/308 hops of one POST
const QByteArray HeaderSessionId = "Mcp-Session-Id"_ba;
const QByteArray HeaderProtocolVersion = "MCP-Protocol-Version"_ba;
const QByteArray HeaderLastEventId = "Last-Event-ID"_ba;
const QByteArray AcceptPost = "application/json, text/event-stream"_ba;
const QByteArray AcceptStream = "text/event-stream"_ba;

int defaultPort(const QUrl &url)
{
    return url.scheme() == "https"_L1 ? 443 : 80;
}

// An SSE event id is sent back as Last-Event-ID: only one that is a valid field value (RFC 9110
// section 5.5: no control characters but HTAB; SSE lines already end at CR and LF) is kept.
bool isFieldValue(const QByteArray &value)
{
    return std::none_of(value.cbegin(), value.cend(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return (byte < 0x20 && byte != '\t') || byte == 0x7f;
    });
}

// MCP 2025-11-25 session management: the id MUST only contain visible ASCII (0x21-0x7E).
bool isVisibleAscii(const QByteArray &value)
{
    if (value.isEmpty())
        return false;
    return std::all_of(value.cbegin(), value.cend(), [](char c) { return c >= 0x21 && c <= 0x7e; });
}

QString networkErrorName(QNetworkReply::NetworkError error)
{
    return QString::fromLatin1(
            QMetaEnum::fromType<QNetworkReply::NetworkError>().valueToKey(error));
}

bool isSuccess(int status)
{
    return status >= 200 && status < 300;
}

} // namespace

// One message on its way: its POST, the POSTs of same-origin redirects, and the GET resumptions
// of its reply stream, one HttpExchange at a time. Deleted only later (deleteLater), so a report
// to the session may close it without pulling it from under its own call stack: every step after
// a report checks m_state.
class StreamableHttpEra::Delivery : public QObject
{
public:
    enum class State {
        Posting, // the POST (or a redirected POST) runs
        Resuming, // a GET with Last-Event-ID continues the reply stream
        WaitingToResume, // the server's retry delay before the next resumption
        Waiting, // reported a challenge or an expired session; resend() or abort() follows
        Closed
    };

    Delivery(StreamableHttpEra &era, Handle handle, const QByteArray &body,
            const JsonRpcMessage &message)
        : QObject(&era)
        , m_era(era)
        , m_handle(handle)
        , m_body(body)
        , m_message(message)
    { }

    void post();
    void resume();
    void resend() { m_resumesNext ? resume() : post(); }
    void close();

private:
    void start(QNetworkReply *reply, HttpExchange::Body body);
    void handleHeaders();
    void handleEvents(const QList<SseEvent> &events);
    void handleFinished();
    void completeSse();
    void completeJson();
    void followRedirect();
    void scheduleResume(const TransportError &reasonIfGivingUp);
    void fail(const TransportError &error);
    void succeed(int status);
    void wait() { m_state = State::Waiting; }
    TransportError errorFromExchange() const;
    bool awaitsResponse() const
    {
        return m_message.isRequest() && m_era.listener()->awaitsResponse(m_handle);
    }

    StreamableHttpEra &m_era;
    const Handle m_handle;
    const QByteArray m_body;
    const JsonRpcMessage m_message;
    State m_state = State::Posting;
    bool m_resumesNext = false; // resend() continues the reply stream rather than re-posting
    QPointer<HttpExchange> m_exchange;
    QUrl m_target; // where the POST goes after a redirect; empty: the endpoint
    int m_redirects = 0;
    bool m_sentWithSession = false;
    int m_resumeAttempts = 0;
    int m_retryMs = -1;
    QByteArray m_lastEventId;
};

void StreamableHttpEra::Delivery::start(QNetworkReply *reply, HttpExchange::Body body)
{
    if (m_exchange)
        m_exchange->discard();
    auto *exchange = new HttpExchange(reply, body, this);
    m_exchange = exchange;
    connect(exchange, &HttpExchange::headersReceived, this, [this] { handleHeaders(); });
    connect(exchange, &HttpExchange::eventsReceived, this,
            [this](const QList<SseEvent> &events) { handleEvents(events); });
    connect(exchange, &HttpExchange::finished, this, [this] { handleFinished(); });
}

void StreamableHttpEra::Delivery::post()
{
    QNetworkRequest request = m_era.buildRequest(AcceptPost, m_target);
    // Redirects of a POST are followed by followRedirect(), one fresh POST per hop, never by
    // QNAM (see docs/architecture.md, "Duplicate requests").
    request.setAttribute(
            QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json"_ba);
    if (m_message.isRequest() && m_era.m_options.timeoutMs > 0)
        request.setTransferTimeout(m_era.m_options.timeoutMs);
    m_sentWithSession = !m_era.m_sessionId.isEmpty();
    m_state = State::Posting;
    m_resumesNext = false;
    const UpstreamConnections::Pool pool = m_message.isRequest()
            ? UpstreamConnections::Pool::Requests
            : UpstreamConnections::Pool::Control;
    qCDebug(lcTransport).noquote()
            << "POST" << m_message.method() << m_message.rawId() << m_body.size() << "bytes";
    start(m_era.m_connections->post(pool, request, m_body), HttpExchange::Body::Keep);
}

void StreamableHttpEra::Delivery::resume()
{
    if (m_state == State::Closed || m_era.m_ended)
        return;
    // Resumption is always a GET with Last-Event-ID, whichever stream it continues
    // (MCP 2025-11-25 basic/transports, "Resumability and Redelivery").
    QNetworkRequest request = m_era.buildRequest(AcceptStream);
    request.setRawHeader(HeaderLastEventId, m_lastEventId);
    if (m_era.m_options.timeoutMs > 0)
        request.setTransferTimeout(m_era.m_options.timeoutMs);
    m_state = State::Resuming;
    m_resumesNext = true;
    start(m_era.m_connections->get(UpstreamConnections::Pool::Streams, request),
            HttpExchange::Body::Keep);
}

void StreamableHttpEra::Delivery::close()
{
    m_state = State::Closed;
    if (m_exchange)
        m_exchange->discard();
    deleteLater();
}

void StreamableHttpEra::Delivery::handleHeaders()
{
    if (isSuccess(m_exchange->status()) && m_message.method() == "initialize"_L1)
        m_era.captureSessionId(m_exchange->rawHeader(HeaderSessionId));
}

void StreamableHttpEra::Delivery::handleEvents(const QList<SseEvent> &events)
{
    const SseParser &sse = m_exchange->sse();
    // A fresh parser (after a reconnection) starts without an id: keep the last one we had.
    if (!sse.lastEventId().isEmpty() && sse.lastEventId() != m_lastEventId
            && isFieldValue(sse.lastEventId())) {
        m_lastEventId = sse.lastEventId();
        m_resumeAttempts = 0; // progress: the stream moved on
    }
    if (const auto retry = sse.reconnectionTime())
        m_retryMs = *retry;
    for (const SseEvent &event : events) {
        // MCP only defines "message" events; a priming event (id + empty data, SEP-1699) carries
        // no message.
        if ((!event.type.isEmpty() && event.type != "message") || event.data.trimmed().isEmpty())
            continue;
        m_era.deliverServerMessage(event.data);
        if (m_state == State::Closed)
            return;
    }
}

void StreamableHttpEra::Delivery::handleFinished()
{
    HttpExchange *exchange = m_exchange;
    const int status = exchange->status();
    const QNetworkReply::NetworkError error = exchange->error();

    if (exchange->isEventStream()) {
        if ((error == QNetworkReply::OperationCanceledError || error == QNetworkReply::TimeoutError)
                && awaitsResponse()) {
            fail(errorFromExchange()); // silent for upstream.timeoutMs
            return;
        }
        // A stream that broke mid-way (reset, timeout) is handled like one that ended: resume
        // if an event id allows it (MCP 2025-11-25 "Resumability and Redelivery").
        completeSse();
        return;
    }
    if (status == 0 || (!exchange->headersSeen() && error != QNetworkReply::NoError)) {
        fail(errorFromExchange());
        return;
    }
    if (isSuccess(status)) {
        if (error != QNetworkReply::NoError
                && !JsonRpcMessage::classify(exchange->body()).isValid()) {
            // The body broke off (reset, or no byte for upstream.timeoutMs): report that cause,
            // not the incomplete body.
            fail(errorFromExchange());
            return;
        }
        completeJson();
        return;
    }
    if (status >= 300 && status < 400 && m_state != State::Resuming) {
        followRedirect();
        return;
    }
    const QByteArray challenge = exchange->rawHeader("WWW-Authenticate");
    // RFC 6750 section 3.1: only insufficient_scope asks for a step-up (MCP 2025-11-25 "Scope
    // Challenge Handling"); any other 403 is an ordinary HTTP error.
    if (status == 401 || (status == 403 && challenge.toLower().contains("insufficient_scope"))) {
        wait();
        m_era.listener()->authorizationChallenged(m_handle, challenge, status);
        return;
    }
    const TransportError httpError = TransportError::upstreamStatus(status, exchange->takeBody());
    if (status == 404 && m_sentWithSession) {
        // MCP basic/transports, session management: a 404 for a request carrying a session id
        // means the session is gone; in a new one the message is posted afresh.
        m_resumesNext = false;
        wait();
        m_era.listener()->sessionExpired(m_handle, httpError);
        return;
    }
    fail(httpError);
}

void StreamableHttpEra::Delivery::completeSse()
{
    handleEvents(m_exchange->finishEvents());
    if (m_state == State::Closed)
        return;
    if (!awaitsResponse()) {
        succeed(m_exchange->status());
        return;
    }
    scheduleResume(TransportError::streamEnded(u"upstream stream ended before the response"_s));
}

void StreamableHttpEra::Delivery::scheduleResume(const TransportError &reasonIfGivingUp)
{
    if (m_lastEventId.isEmpty()) {
        fail(reasonIfGivingUp); // nothing to resume from
        return;
    }
    if (m_resumeAttempts >= m_era.m_options.maxResumeAttempts) {
        TransportError gaveUp = reasonIfGivingUp;
        gaveUp.reason +=
                QStringLiteral("; resumption gave up after %1 attempts").arg(m_resumeAttempts);
        fail(gaveUp);
        return;
    }
    ++m_resumeAttempts;
    // The client MUST respect the server's retry field (MCP 2025-11-25, SEP-1699).
    const int delay = m_retryMs >= 0 ? m_retryMs : m_era.m_options.defaultRetryMs;
    qCDebug(lcTransport) << "resuming stream of request" << m_message.rawId() << "in" << delay
                         << "ms";
    m_state = State::WaitingToResume;
    QTimer::singleShot(delay, this, [this] {
        if (m_state == State::WaitingToResume)
            resume();
    });
}

void StreamableHttpEra::Delivery::completeJson()
{
    const int status = m_exchange->status();
    QByteArray body = m_exchange->takeBody();
    if (m_state == State::Resuming) {
        // A GET resumption must be an event stream; anything else ends it.
        fail(TransportError::streamEnded(
                QStringLiteral("resumption answered HTTP %1 without an event stream").arg(status)));
        return;
    }
    if (!body.trimmed().isEmpty())
        m_era.deliverServerMessage(std::move(body));
    if (m_state == State::Closed)
        return;
    if (awaitsResponse()) {
        fail(TransportError::invalidResponse(
                QStringLiteral("upstream answered HTTP %1 without a JSON-RPC response")
                        .arg(status)));
        return;
    }
    succeed(status);
}

void StreamableHttpEra::Delivery::followRedirect()
{
    // RFC 9110 sections 15.4.8/15.4.9: 307 and 308 repeat the request with the same method and
    // body. The server did not run a request it redirected, so sending it once to the new location
    // keeps it exactly-once. Another origin (the token must not go there), 301/302/303 (a POST
    // would become a GET) and redirect loops are errors that name the location.
    const int status = m_exchange->status();
    const QUrl from = m_exchange->url();
    const QByteArray locationHeader = m_exchange->rawHeader("Location");
    const QUrl location = from.resolved(QUrl::fromEncoded(locationHeader));
    const bool sameOrigin = !locationHeader.isEmpty() && location.isValid()
            && location.scheme() == from.scheme() && location.host() == from.host()
            && location.port(defaultPort(location)) == from.port(defaultPort(from));
    const QString shown = location.toString(QUrl::RemoveUserInfo | QUrl::RemoveQuery);
    if ((status == 307 || status == 308) && sameOrigin && m_redirects < MaxRedirects) {
        ++m_redirects;
        m_target = location;
        if (status == 308 && from == m_era.m_options.url) {
            qCInfo(lcTransport).noquote() << "upstream moved permanently to" << shown;
            m_era.m_options.url = location;
        }
        qCDebug(lcTransport).noquote() << "following a" << status << "redirect to" << shown;
        post();
        return;
    }
    QString reason;
    if (locationHeader.isEmpty() || !location.isValid()) {
        reason = QStringLiteral("upstream answered the POST with HTTP %1 and no usable Location")
                         .arg(status);
    } else if (!sameOrigin) {
        reason = QStringLiteral("upstream redirected the POST (HTTP %1) to another origin (%2), "
                                "which is not followed; set upstream.url to it if you trust it")
                         .arg(status)
                         .arg(shown);
    } else if (status == 307 || status == 308) {
        reason = QStringLiteral("upstream redirected the POST more than %1 times (last to %2)")
                         .arg(MaxRedirects)
                         .arg(shown);
    } else {
        reason = QStringLiteral("upstream redirected the POST with HTTP %1 to %2, which would "
                                "turn it into a GET; set upstream.url to that URL")
                         .arg(status)
                         .arg(shown);
    }
    fail(TransportError::invalidResponse(reason, u"RedirectRefused"_s));
}

TransportError StreamableHttpEra::Delivery::errorFromExchange() const
{
    const QNetworkReply::NetworkError code = m_exchange->error();
    // A transfer timeout reports OperationCanceledError like abort() (docs/qt-notes.md); an
    // aborted exchange reports nothing (HttpExchange::discard()), so here it is the timeout.
    if (code == QNetworkReply::OperationCanceledError || code == QNetworkReply::TimeoutError)
        return TransportError::timeout(m_era.m_options.timeoutMs);
    return TransportError::network(m_exchange->errorString(), networkErrorName(code));
}

void StreamableHttpEra::Delivery::fail(const TransportError &error)
{
    const Handle handle = m_handle;
    StreamableHttpEra &era = m_era;
    era.finishDelivery(handle);
    era.listener()->messageFailed(handle, error);
}

void StreamableHttpEra::Delivery::succeed(int status)
{
    const Handle handle = m_handle;
    StreamableHttpEra &era = m_era;
    era.finishDelivery(handle);
    era.listener()->messageDelivered(handle, status);
}

// --- the era ---

StreamableHttpEra::StreamableHttpEra(const Options &options, QObject *parent)
    : UpstreamEra(parent)
    , m_options(options)
    , m_userAgent("mcp-oauth2-proxy/" MCPPROXY_VERSION " (Qt "_ba + qVersion() + ')')
    , m_connections(options.connections ? options.connections
                                        : std::make_shared<UpstreamConnections>(options.tls))
    , m_stream(
              m_connections->manager(UpstreamConnections::Pool::Streams),
              [this] { return buildRequest(AcceptStream); },
              ServerEventStream::Options{options.defaultRetryMs, options.maxBackoffMs})
{
    // Redirects never carry our headers (Authorization, static headers) to another origin
    // (docs/qt-notes.md): every request sets its redirect policy (buildRequest(), post()).
    connect(&m_stream, &ServerEventStream::messageReceived, this,
            [this](const QByteArray &data) { deliverServerMessage(data); });
    connect(&m_stream, &ServerEventStream::unauthorized, this,
            &StreamableHttpEra::handleStreamUnauthorized);
    connect(&m_stream, &ServerEventStream::notFound, this,
            &StreamableHttpEra::handleStreamNotFound);
}

StreamableHttpEra::~StreamableHttpEra()
{
    // Abort without reporting: the owner is going away.
    m_ended = true;
    m_stream.close();
    for (auto &entry : m_deliveries) {
        if (entry.second)
            entry.second->close();
    }
    m_deliveries.clear();
}

QNetworkRequest StreamableHttpEra::buildRequest(const QByteArray &accept, const QUrl &url) const
{
    QNetworkRequest request(url.isEmpty() ? m_options.url : url);
    request.setRawHeader("Accept", accept);
    request.setHeader(QNetworkRequest::UserAgentHeader, m_userAgent);
    if (!m_sessionId.isEmpty())
        request.setRawHeader(HeaderSessionId, m_sessionId);
    if (!m_protocolVersion.isEmpty())
        request.setRawHeader(HeaderProtocolVersion, m_protocolVersion.toLatin1());
    for (const auto &[name, value] : m_options.headers)
        request.setRawHeader(name, value);
    if (!m_authorization.isEmpty())
        request.setRawHeader("Authorization", m_authorization);
    request.setAttribute(
            QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::SameOriginRedirectPolicy);
    return request;
}

void StreamableHttpEra::send(Handle handle, const QByteArray &body, const JsonRpcMessage &message)
{
    // Warm first: a request sent while a warm-up connection is still connecting waits for it
    // rather than opening a second one (qhttpnetworkconnection.cpp, _q_startNextRequest()).
    if (message.method() == "initialize"_L1)
        warmConnections();
    auto *delivery = new Delivery(*this, handle, body, message);
    m_deliveries[handle] = delivery;
    delivery->post();
}

// While `initialize` is on its way, the pools that carry the next messages connect (TCP, and TLS
// for https): notifications/initialized then goes out on a warm connection, and the GET stream is
// open by the time the host's first request follows. A server that sends a request on the GET
// stream and drops it when no stream is open yet (the MCP TypeScript SDK does) then sees the
// stream first. Pools already warmed (at start-up, shared connections) are left as they are.
void StreamableHttpEra::warmConnections()
{
    if (std::exchange(m_warmed, true))
        return;
    m_connections->warm(m_options.url, m_options.openServerStream);
}

void StreamableHttpEra::resend(Handle handle)
{
    const auto it = m_deliveries.find(handle);
    if (it != m_deliveries.end() && it->second)
        it->second->resend();
}

void StreamableHttpEra::abort(Handle handle)
{
    finishDelivery(handle);
}

void StreamableHttpEra::finishDelivery(Handle handle)
{
    const auto it = m_deliveries.find(handle);
    if (it == m_deliveries.end())
        return;
    const QPointer<Delivery> delivery = it->second;
    m_deliveries.erase(it);
    if (delivery)
        delivery->close();
}

void StreamableHttpEra::captureSessionId(const QByteArray &sessionId)
{
    if (sessionId.isEmpty())
        return; // a stateless server
    if (!isVisibleAscii(sessionId)) {
        qCWarning(lcTransport) << "ignoring an Mcp-Session-Id that is not visible ASCII";
        return;
    }
    m_sessionId = sessionId;
    qCInfo(lcTransport) << "session established";
}

void StreamableHttpEra::deliverServerMessage(QByteArray bytes)
{
    const JsonRpcMessage message = JsonRpcMessage::classify(bytes);
    if (message.kind() == JsonRpcMessage::Kind::Batch) {
        // 2025-03-26 servers may answer with a batch: deliver its elements one by one.
        const QJsonArray array = QJsonDocument::fromJson(bytes).array();
        for (const auto &element : array)
            deliverServerMessage(QJsonDocument(element.toObject()).toJson(QJsonDocument::Compact));
        return;
    }
    if (!message.isValid()) {
        qCWarning(lcTransport).noquote()
                << "dropping an upstream message that is not JSON-RPC:" << message.errorMessage();
        return;
    }
    listener()->serverMessageReceived(JsonRpcMessage::toSingleLine(std::move(bytes)), message);
}

void StreamableHttpEra::openServerStream()
{
    if (!m_options.openServerStream || m_ended)
        return;
    m_stream.open();
}

void StreamableHttpEra::closeServerStream()
{
    m_stream.close();
}

void StreamableHttpEra::handleStreamUnauthorized(const QByteArray &wwwAuthenticate)
{
    if (!listener()->serverStreamChallenged(wwwAuthenticate))
        m_stream.refuse(401);
}

void StreamableHttpEra::handleStreamNotFound()
{
    if (!m_sessionId.isEmpty() && listener()->serverStreamSessionExpired())
        return;
    m_stream.refuse(404);
}

void StreamableHttpEra::endSession()
{
    m_ended = true;
    m_stream.close();
    if (m_sessionId.isEmpty()) {
        QMetaObject::invokeMethod(
                this, [this] { listener()->sessionEnded(); }, Qt::QueuedConnection);
        return;
    }
    // MCP basic/transports: clients that no longer need a session SHOULD DELETE it; 405 is fine.
    QNetworkRequest request = buildRequest(AcceptPost);
    request.setTransferTimeout(m_options.shutdownDeleteTimeoutMs);
    QNetworkReply *reply =
            m_connections->deleteResource(UpstreamConnections::Pool::Control, request);
    connect(reply, &QNetworkReply::finished, this, [this, reply] {
        qCDebug(lcTransport) << "session DELETE answered"
                             << reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        reply->deleteLater();
        m_sessionId.clear();
        listener()->sessionEnded();
    });
}

} // namespace McpProxy
