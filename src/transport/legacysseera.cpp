#include "transport/legacysseera.h"

#include "logging/logcategories.h"
#include "transport/httpexchange.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QMetaEnum>
#include <QtNetwork/QNetworkReply>

namespace McpProxy {

using namespace Qt::StringLiterals;

namespace {

const QByteArray AcceptPost = "application/json, text/event-stream"_ba;
const QByteArray AcceptStream = "text/event-stream"_ba;
// A stream that stayed open this long was healthy: the next failure starts the backoff anew.
constexpr qint64 HealthyStreamMs = 10000;

int defaultPort(const QUrl &url)
{
    return url.scheme() == "https"_L1 ? 443 : 80;
}

bool sameOrigin(const QUrl &a, const QUrl &b)
{
    return a.scheme() == b.scheme() && a.host() == b.host()
            && a.port(defaultPort(a)) == b.port(defaultPort(b));
}

bool isSuccess(int status)
{
    return status >= 200 && status < 300;
}

// RFC 6750 section 3.1: a 401, or a 403 that asks for more scope (MCP 2025-11-25 "Scope
// Challenge Handling"), is a challenge; any other 403 is an ordinary HTTP error.
bool isChallenge(int status, const QByteArray &wwwAuthenticate)
{
    return status == 401
            || (status == 403 && wwwAuthenticate.toLower().contains("insufficient_scope"));
}

QString networkErrorName(QNetworkReply::NetworkError error)
{
    return QString::fromLatin1(
            QMetaEnum::fromType<QNetworkReply::NetworkError>().valueToKey(error));
}

} // namespace

LegacySseEra::Endpoint LegacySseEra::resolveEndpoint(const QUrl &streamUrl, QByteArrayView data)
{
    Endpoint endpoint;
    const QByteArray reference = data.trimmed().toByteArray();
    if (reference.isEmpty()) {
        endpoint.error = u"the endpoint event names no URI"_s;
        return endpoint;
    }
    const QUrl relative = QUrl::fromEncoded(reference, QUrl::StrictMode);
    if (!relative.isValid()) {
        endpoint.error = u"the endpoint event's URI is not valid"_s;
        return endpoint;
    }
    const QUrl resolved = streamUrl.resolved(relative);
    if (resolved.scheme() != "http"_L1 && resolved.scheme() != "https"_L1) {
        endpoint.error = u"the endpoint event's URI is not http(s)"_s;
        return endpoint;
    }
    if (!sameOrigin(resolved, streamUrl)) {
        endpoint.error =
                QStringLiteral("the endpoint event names another origin (%1) than the SSE URL; "
                               "messages are not sent there")
                        .arg(resolved.toString(QUrl::RemovePath | QUrl::RemoveQuery
                                | QUrl::RemoveUserInfo | QUrl::RemoveFragment));
        return endpoint;
    }
    endpoint.url = resolved.adjusted(QUrl::RemoveFragment);
    return endpoint;
}

// One message on its way: its POST to the endpoint (again after a new token or a new session),
// then, for a request, the wait for its response on the stream. Deleted only later
// (deleteLater), so a report to the session may close it inside its own call stack: every step
// after a report checks m_state.
class LegacySseEra::Delivery : public QObject
{
public:
    enum class State {
        AwaitingEndpoint, // the stream is being opened
        Posting,
        AwaitingResponse, // the POST was accepted; the response comes on the stream
        Waiting, // reported a challenge or an expired session; resend() or abort() follows
        Closed
    };

    Delivery(
            LegacySseEra &era, Handle handle, const QByteArray &body, const JsonRpcMessage &message)
        : QObject(&era)
        , m_era(era)
        , m_handle(handle)
        , m_body(body)
        , m_message(message)
    {
        m_responseTimer.setSingleShot(true);
        connect(&m_responseTimer, &QTimer::timeout, this, [this] { checkInactivity(); });
    }

    State state() const { return m_state; }
    bool isRequest() const { return m_message.isRequest(); }
    void post();
    void close();
    // The response was delivered on the stream.
    void responseArrived();
    void fail(const TransportError &error);
    // Fails it from the event loop (the era is inside a call from the session).
    void failLater(const TransportError &error);
    void wait() { m_state = State::Waiting; }

private:
    void handleFinished();
    void checkInactivity();
    void succeed(int status);
    bool awaitsResponse() const
    {
        return m_message.isRequest() && m_era.listener()->awaitsResponse(m_handle);
    }

    LegacySseEra &m_era;
    const Handle m_handle;
    const QByteArray m_body;
    const JsonRpcMessage m_message;
    State m_state = State::AwaitingEndpoint;
    QPointer<HttpExchange> m_exchange;
    QTimer m_responseTimer;
};

void LegacySseEra::Delivery::post()
{
    if (m_state == State::Closed)
        return;
    if (m_era.m_streamState != StreamState::Open) {
        m_state = State::AwaitingEndpoint;
        m_era.ensureStream();
        return;
    }
    QNetworkRequest request = m_era.buildRequest(m_era.m_endpoint, AcceptPost);
    // A redirect of the POST is not followed (see docs/architecture.md, "Duplicate requests").
    request.setAttribute(
            QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json"_ba);
    if (m_era.m_options.timeoutMs > 0)
        request.setTransferTimeout(m_era.m_options.timeoutMs);
    m_state = State::Posting;
    qCDebug(lcTransport).noquote() << "POST (HTTP+SSE)" << m_message.method() << m_message.rawId()
                                   << m_body.size() << "bytes";
    if (m_exchange)
        m_exchange->discard();
    auto *exchange =
            new HttpExchange(m_era.m_postNam.post(request, m_body), HttpExchange::Body::Keep, this);
    m_exchange = exchange;
    connect(exchange, &HttpExchange::finished, this, [this] { handleFinished(); });
}

void LegacySseEra::Delivery::close()
{
    m_state = State::Closed;
    m_responseTimer.stop();
    if (m_exchange)
        m_exchange->discard();
    deleteLater();
}

void LegacySseEra::Delivery::handleFinished()
{
    HttpExchange *exchange = m_exchange;
    const int status = exchange->status();
    const QNetworkReply::NetworkError error = exchange->error();
    if (status == 0 || (!exchange->headersSeen() && error != QNetworkReply::NoError)) {
        // A transfer timeout reports OperationCanceledError like abort() (docs/qt-notes.md); an
        // aborted exchange reports nothing (HttpExchange::discard()), so here it is the timeout.
        if (error == QNetworkReply::OperationCanceledError || error == QNetworkReply::TimeoutError)
            fail(TransportError::timeout(m_era.m_options.timeoutMs));
        else
            fail(TransportError::network(exchange->errorString(), networkErrorName(error)));
        return;
    }
    if (isSuccess(status)) {
        // 202 Accepted is the rule; a server that answers in the body is tolerated.
        QByteArray body = exchange->isEventStream() ? QByteArray() : exchange->takeBody();
        if (JsonRpcMessage::classify(body).isValid()) {
            m_era.deliverServerMessage(std::move(body));
            if (m_state == State::Closed)
                return;
        }
        if (!awaitsResponse()) {
            succeed(status);
            return;
        }
        m_state = State::AwaitingResponse;
        if (m_era.m_options.timeoutMs > 0)
            m_responseTimer.start(m_era.m_options.timeoutMs);
        return;
    }
    const QByteArray challenge = exchange->rawHeader("WWW-Authenticate");
    if (isChallenge(status, challenge)) {
        wait();
        m_era.listener()->authorizationChallenged(m_handle, challenge, status);
        return;
    }
    const TransportError httpError = TransportError::upstreamStatus(status, exchange->takeBody());
    if (status == 404) {
        // The server no longer knows the session the endpoint belongs to: in a new one (a new
        // stream and endpoint) the message is posted afresh.
        wait();
        m_era.listener()->sessionExpired(m_handle, httpError);
        return;
    }
    fail(httpError);
}

void LegacySseEra::Delivery::responseArrived()
{
    if (m_state == State::AwaitingResponse && !awaitsResponse())
        succeed(200);
    // While the POST still runs, its end reports the delivery.
}

void LegacySseEra::Delivery::checkInactivity()
{
    if (m_state != State::AwaitingResponse)
        return;
    // upstream.timeoutMs is an inactivity limit: progress notifications and keep-alive comments
    // on the stream keep a long request alive.
    const qint64 timeoutMs = m_era.m_options.timeoutMs;
    const qint64 idleMs =
            m_era.m_lastActivity.isValid() ? m_era.m_lastActivity.elapsed() : timeoutMs;
    if (idleMs < timeoutMs) {
        m_responseTimer.start(int(timeoutMs - idleMs));
        return;
    }
    fail(TransportError::timeout(int(timeoutMs)));
}

void LegacySseEra::Delivery::fail(const TransportError &error)
{
    if (m_state == State::Closed)
        return;
    const Handle handle = m_handle;
    LegacySseEra &era = m_era;
    era.finishDelivery(handle);
    era.listener()->messageFailed(handle, error);
}

void LegacySseEra::Delivery::failLater(const TransportError &error)
{
    m_state = State::Waiting; // nothing else happens to it until then
    m_responseTimer.stop();
    if (m_exchange)
        m_exchange->discard();
    QMetaObject::invokeMethod(
            this, [this, error] { fail(error); }, Qt::QueuedConnection);
}

void LegacySseEra::Delivery::succeed(int status)
{
    const Handle handle = m_handle;
    LegacySseEra &era = m_era;
    era.finishDelivery(handle);
    era.listener()->messageDelivered(handle, status);
}

// --- the era ---

LegacySseEra::LegacySseEra(const Options &options, QObject *parent)
    : UpstreamEra(parent)
    , m_options(options)
    , m_userAgent("mcp-oauth2-proxy/" MCPPROXY_VERSION " (Qt "_ba + qVersion() + ')')
{
    // Redirects never carry our headers (Authorization, static headers) to another origin
    // (docs/qt-notes.md).
    for (TlsNetworkAccessManager *nam : {&m_postNam, &m_streamNam}) {
        nam->setRedirectPolicy(QNetworkRequest::SameOriginRedirectPolicy);
        nam->setTlsSettings(m_options.tls);
        nam->shareCookieJar(m_options.cookieJar);
        nam->setPhaseTimeouts(m_options.connectTimeoutMs, m_options.headersTimeoutMs);
    }
    m_reconnectTimer.setSingleShot(true);
    connect(&m_reconnectTimer, &QTimer::timeout, this, &LegacySseEra::connectStream);
}

LegacySseEra::~LegacySseEra()
{
    // Abort without reporting: the owner is going away.
    m_streamState = StreamState::Ended;
    dropStream();
    for (auto &entry : m_deliveries) {
        if (entry.second)
            entry.second->close();
    }
    m_deliveries.clear();
}

QNetworkRequest LegacySseEra::buildRequest(const QUrl &url, const QByteArray &accept) const
{
    QNetworkRequest request(url);
    request.setRawHeader("Accept", accept);
    request.setHeader(QNetworkRequest::UserAgentHeader, m_userAgent);
    for (const auto &[name, value] : m_options.headers)
        request.setRawHeader(name, value);
    if (!m_authorization.isEmpty())
        request.setRawHeader("Authorization", m_authorization);
    request.setAttribute(
            QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::SameOriginRedirectPolicy);
    return request;
}

void LegacySseEra::send(Handle handle, const QByteArray &body, const JsonRpcMessage &message)
{
    auto *delivery = new Delivery(*this, handle, body, message);
    m_deliveries[handle] = delivery;
    if (message.isRequest())
        m_requests.insert(message.idKey(), handle);
    delivery->post();
}

void LegacySseEra::resend(Handle handle)
{
    const auto it = m_deliveries.find(handle);
    if (it != m_deliveries.end() && it->second)
        it->second->post();
}

void LegacySseEra::abort(Handle handle)
{
    finishDelivery(handle);
}

void LegacySseEra::finishDelivery(Handle handle)
{
    const auto it = m_deliveries.find(handle);
    if (it == m_deliveries.end())
        return;
    const QPointer<Delivery> delivery = it->second;
    m_deliveries.erase(it);
    for (auto request = m_requests.cbegin(); request != m_requests.cend(); ++request) {
        if (request.value() == handle) {
            m_requests.erase(request);
            break;
        }
    }
    if (delivery)
        delivery->close();
}

template <typename Predicate>
QList<LegacySseEra::Handle> LegacySseEra::deliveriesWhere(Predicate predicate) const
{
    QList<Handle> handles;
    for (const auto &[handle, delivery] : m_deliveries) {
        if (delivery && predicate(*delivery))
            handles.append(handle);
    }
    return handles;
}

void LegacySseEra::openServerStream()
{
    ensureStream();
}

void LegacySseEra::ensureStream()
{
    if (m_streamState != StreamState::Closed || m_reconnectTimer.isActive())
        return;
    // A stream that keeps failing is opened again after a growing delay (1 s … 30 s); the first
    // attempt after a healthy stream goes at once.
    if (m_failures <= 1) {
        connectStream();
        return;
    }
    const int exponent = qMin(m_failures - 2, 15);
    const int delay = qMin(m_options.maxBackoffMs, m_options.defaultRetryMs << exponent);
    qCInfo(lcTransport) << "opening the SSE stream again in" << delay << "ms";
    m_reconnectTimer.start(delay);
}

void LegacySseEra::connectStream()
{
    if (m_streamState != StreamState::Closed)
        return;
    QNetworkRequest request = buildRequest(m_options.url, AcceptStream);
    request.setRawHeader("Cache-Control", "no-cache");
    // No idle timeout on the stream itself: servers may stay silent for hours; a request's own
    // inactivity limit covers its wait for the response.
    request.setTransferTimeout(0);
    m_streamState = StreamState::Connecting;
    m_endpoint.clear();
    ++m_streamGeneration;
    qCDebug(lcTransport) << "GET (HTTP+SSE stream)";
    auto *exchange = new HttpExchange(m_streamNam.get(request), HttpExchange::Body::Keep, this);
    m_stream = exchange;
    connect(exchange, &HttpExchange::eventsReceived, this, &LegacySseEra::handleStreamEvents);
    connect(exchange, &HttpExchange::finished, this, &LegacySseEra::handleStreamFinished);
}

void LegacySseEra::dropStream()
{
    ++m_streamGeneration;
    m_reconnectTimer.stop();
    m_endpoint.clear();
    if (m_streamState != StreamState::Ended)
        m_streamState = StreamState::Closed;
    if (HttpExchange *exchange = m_stream.data()) {
        m_stream = nullptr;
        exchange->discard();
    }
}

void LegacySseEra::handleStreamEvents(const QList<SseEvent> &events)
{
    m_lastActivity.start(); // any byte, a keep-alive comment too
    const quint64 generation = m_streamGeneration;
    for (const SseEvent &event : events) {
        if (event.type == "endpoint") {
            handleEndpoint(event.data);
        } else if ((event.type.isEmpty() || event.type == "message")
                && !event.data.trimmed().isEmpty()) {
            deliverServerMessage(event.data);
        }
        if (m_streamGeneration != generation)
            return; // dropped while delivering
    }
}

void LegacySseEra::handleEndpoint(const QByteArray &data)
{
    const QUrl streamUrl = m_stream && m_stream->url().isValid() ? m_stream->url() : m_options.url;
    const Endpoint endpoint = resolveEndpoint(streamUrl, data);
    if (!endpoint.error.isEmpty()) {
        qCWarning(lcTransport).noquote() << "upstream SSE stream:" << endpoint.error;
        ++m_failures;
        dropStream();
        const TransportError error =
                TransportError::invalidResponse(endpoint.error, u"EndpointRefused"_s);
        for (const Handle handle : deliveriesWhere([](const Delivery &delivery) {
                 return delivery.state() == Delivery::State::AwaitingEndpoint;
             })) {
            if (const auto it = m_deliveries.find(handle); it != m_deliveries.end() && it->second)
                it->second->fail(error);
        }
        return;
    }
    const bool first = m_streamState == StreamState::Connecting;
    m_endpoint = endpoint.url;
    m_streamState = StreamState::Open;
    if (first) {
        m_streamOpenedAt.start();
        qCInfo(lcTransport) << "HTTP+SSE stream open";
    } else {
        qCInfo(lcTransport) << "HTTP+SSE endpoint changed";
    }
    for (const Handle handle : deliveriesWhere([](const Delivery &delivery) {
             return delivery.state() == Delivery::State::AwaitingEndpoint;
         })) {
        if (const auto it = m_deliveries.find(handle); it != m_deliveries.end() && it->second)
            it->second->post();
    }
}

void LegacySseEra::handleStreamFinished()
{
    HttpExchange *exchange = m_stream.data();
    if (!exchange)
        return;
    const int status = exchange->headersSeen() ? exchange->status() : 0;
    const bool stream = isSuccess(status) && exchange->isEventStream();
    const QList<SseEvent> lastEvents = stream ? exchange->finishEvents() : QList<SseEvent>();
    const QByteArray challenge = exchange->rawHeader("WWW-Authenticate");
    const QByteArray body = stream ? QByteArray() : exchange->takeBody();
    const QNetworkReply::NetworkError networkError = exchange->error();
    const QString errorString = exchange->errorString();
    const quint64 generation = m_streamGeneration;
    if (!lastEvents.isEmpty()) {
        handleStreamEvents(lastEvents);
        if (m_streamGeneration != generation)
            return;
    }
    const bool wasOpen = m_streamState == StreamState::Open;
    m_stream = nullptr;
    exchange->discard();
    ++m_streamGeneration;
    m_endpoint.clear();
    m_streamState = StreamState::Closed;
    const bool healthy =
            wasOpen && m_streamOpenedAt.isValid() && m_streamOpenedAt.elapsed() >= HealthyStreamMs;
    m_failures = healthy ? 1 : m_failures + 1;

    if (wasOpen) {
        streamLost(stream && networkError == QNetworkReply::NoError
                        ? u"upstream SSE stream ended"_s
                        : QStringLiteral("upstream SSE stream broke (%1)").arg(errorString));
        return;
    }
    if (isChallenge(status, challenge)) {
        challengeStream(challenge, status);
        return;
    }
    if (status == 0) {
        failStreamConnection(TransportError::network(errorString, networkErrorName(networkError)));
        return;
    }
    if (!isSuccess(status)) {
        TransportError error = TransportError::upstreamStatus(status, body);
        error.code = StreamRefusedCode;
        failStreamConnection(error);
        return;
    }
    failStreamConnection(TransportError::invalidResponse(stream
                    ? u"upstream SSE stream ended before its endpoint event"_s
                    : QStringLiteral("upstream answered the SSE GET with HTTP %1 but no event "
                                     "stream")
                              .arg(status)));
}

void LegacySseEra::failStreamConnection(const TransportError &error)
{
    qCWarning(lcTransport).noquote()
            << "could not open the upstream SSE stream:" << error.describe();
    for (const Handle handle : deliveriesWhere([](const Delivery &delivery) {
             return delivery.state() == Delivery::State::AwaitingEndpoint;
         })) {
        if (const auto it = m_deliveries.find(handle); it != m_deliveries.end() && it->second)
            it->second->fail(error);
    }
}

void LegacySseEra::challengeStream(const QByteArray &wwwAuthenticate, int status)
{
    m_failures = 0; // not the stream's fault: it opens at once with the new token
    const QList<Handle> waiting = deliveriesWhere([](const Delivery &delivery) {
        return delivery.state() == Delivery::State::AwaitingEndpoint;
    });
    if (waiting.isEmpty()) {
        if (!listener()->serverStreamChallenged(wwwAuthenticate))
            qCWarning(lcTransport) << "upstream refused the SSE stream with HTTP" << status;
        return;
    }
    // Each waiting message takes part in the authorization round as if its POST had been
    // refused; resend() opens the stream again with the new token.
    for (const Handle handle : waiting) {
        const auto it = m_deliveries.find(handle);
        if (it == m_deliveries.end() || !it->second
                || it->second->state() != Delivery::State::AwaitingEndpoint)
            continue;
        it->second->wait();
        listener()->authorizationChallenged(handle, wwwAuthenticate, status);
    }
}

void LegacySseEra::streamLost(const QString &reason)
{
    qCWarning(lcTransport).noquote() << reason << "; its session is gone";
    // The responses owed on that stream can no longer come (the HTTP with SSE transport has no
    // redelivery): those requests fail; a message whose POST still runs fails with them, since
    // its response would have come on the lost stream.
    const TransportError error = TransportError::streamEnded(reason + u" before the response"_s);
    failRequestsOwedByTheStream(error);
    // A new stream is a new session (a new endpoint): the session replays initialize on it.
    if (!listener()->serverStreamSessionExpired())
        qCInfo(lcTransport) << "the next message opens a new SSE stream";
}

void LegacySseEra::failRequestsOwedByTheStream(const TransportError &error)
{
    for (const Handle handle : deliveriesWhere([](const Delivery &delivery) {
             return delivery.isRequest()
                     && (delivery.state() == Delivery::State::AwaitingResponse
                             || delivery.state() == Delivery::State::Posting);
         })) {
        if (const auto it = m_deliveries.find(handle); it != m_deliveries.end() && it->second)
            it->second->failLater(error);
    }
}

void LegacySseEra::forgetSession()
{
    if (m_streamState == StreamState::Ended)
        return;
    const bool hadStream = m_streamState != StreamState::Closed;
    dropStream();
    if (!hadStream)
        return;
    const TransportError error =
            TransportError::streamEnded(u"upstream session ended before the response"_s);
    failRequestsOwedByTheStream(error);
}

void LegacySseEra::deliverServerMessage(QByteArray bytes)
{
    const JsonRpcMessage message = JsonRpcMessage::classify(bytes);
    if (message.kind() == JsonRpcMessage::Kind::Batch) {
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
    if (!message.isResponse())
        return;
    const auto request = m_requests.constFind(message.idKey());
    if (request == m_requests.constEnd())
        return;
    const auto it = m_deliveries.find(request.value());
    if (it != m_deliveries.end() && it->second)
        it->second->responseArrived();
}

void LegacySseEra::endSession()
{
    // The HTTP with SSE transport has no DELETE: closing the stream ends the session.
    m_streamState = StreamState::Ended;
    dropStream();
    QMetaObject::invokeMethod(
            this, [this] { listener()->sessionEnded(); }, Qt::QueuedConnection);
}

} // namespace McpProxy
