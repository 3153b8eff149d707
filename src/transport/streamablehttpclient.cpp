#include "transport/streamablehttpclient.h"

#include "logging/logcategories.h"
#include "transport/httpsyntax.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QMetaEnum>
#include <QtCore/QMetaMethod>
#include <QtCore/QRandomGenerator>
#include <QtCore/QTimer>
#include <QtNetwork/QNetworkReply>

#include <algorithm>

namespace McpProxy {

using namespace Qt::StringLiterals;

namespace {

constexpr qsizetype ErrorBodyLimit = 4096;
constexpr qint64 MaxReservedBody = 256 * 1024 * 1024;
constexpr int MaxRedirects = 5; // same-origin 307/308 hops of one POST
const QByteArray HeaderSessionId = "Mcp-Session-Id"_ba;
const QByteArray HeaderProtocolVersion = "MCP-Protocol-Version"_ba;
const QByteArray HeaderLastEventId = "Last-Event-ID"_ba;
const QByteArray AcceptPost = "application/json, text/event-stream"_ba;
const QByteArray AcceptStream = "text/event-stream"_ba;

bool isEventStream(QNetworkReply *reply)
{
    const QByteArray type = reply->header(QNetworkRequest::ContentTypeHeader).toByteArray();
    return type.trimmed().toLower().startsWith("text/event-stream");
}

int httpStatus(QNetworkReply *reply)
{
    return reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
}

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
    for (const char c : value) {
        if (c < 0x21 || c > 0x7e)
            return false;
    }
    return true;
}

QString networkErrorName(QNetworkReply::NetworkError error)
{
    return QString::fromLatin1(
            QMetaEnum::fromType<QNetworkReply::NetworkError>().valueToKey(error));
}

} // namespace

StreamableHttpClient::StreamableHttpClient(const Options &options, QObject *parent)
    : QObject(parent)
    , m_options(options)
    , m_userAgent("mcp-oauth2-proxy/" MCPPROXY_VERSION " (Qt "_ba + qVersion() + ')')
    , m_protocolVersion(options.protocolVersion)
{
    // Redirects never carry our headers (Authorization, static headers) to another origin
    // (docs/qt-notes.md).
    for (TlsNetworkAccessManager *nam : {&m_requestNam, &m_controlNam, &m_streamNam}) {
        nam->setRedirectPolicy(QNetworkRequest::SameOriginRedirectPolicy);
        nam->setTlsConfiguration(m_options.sslConfiguration);
    }
    m_authorizationClock.start();
    m_authorizationDeadlineTimer.setSingleShot(true);
    connect(&m_authorizationDeadlineTimer, &QTimer::timeout, this,
            &StreamableHttpClient::enforceAuthorizationDeadlines);
}

StreamableHttpClient::~StreamableHttpClient()
{
    m_shuttingDown = true;
    stopServerStream();
    // Abort without emitting: the owner is going away.
    for (auto &entry : m_exchanges) {
        if (QNetworkReply *reply = entry.second->reply.data()) {
            reply->disconnect(this);
            reply->abort();
            reply->deleteLater();
        }
    }
}

StreamableHttpClient::Exchange *StreamableHttpClient::exchange(quint64 serial) const
{
    const auto it = m_exchanges.find(serial);
    return it == m_exchanges.end() ? nullptr : it->second.get();
}

StreamableHttpClient::Exchange *StreamableHttpClient::createExchange(
        const QByteArray &body, const JsonRpcMessage &message)
{
    auto owned = std::make_unique<Exchange>();
    Exchange *exchange = owned.get();
    exchange->serial = m_nextSerial++;
    exchange->body = body;
    exchange->message = message;
    m_exchanges.emplace(exchange->serial, std::move(owned));
    return exchange;
}

void StreamableHttpClient::send(const QByteArray &body, const JsonRpcMessage &message)
{
    if (m_shuttingDown) {
        if (message.isRequest()) {
            TransportError error;
            error.kind = TransportError::Kind::Shutdown;
            error.reason = u"proxy is shutting down"_s;
            Q_EMIT requestFailed(
                    message.idKey(), error.toErrorResponse(message.rawId(), m_options.timeoutMs));
        }
        return;
    }
    Exchange *exchange = createExchange(body, message);
    if (message.isRequest()) {
        m_pendingByIdKey.insert(message.idKey(), exchange->serial);
        if (message.method() == "initialize"_L1) {
            // A new session begins (MCP lifecycle): forget the old one, keep the request for a
            // transparent re-initialization should the server forget this one.
            m_initializeBody = body;
            m_sessionId.clear();
            m_protocolVersion = m_options.protocolVersion;
            m_reinitFailures = 0;
            m_sessionLost = false;
            stopServerStream();
            exchange->barrier = true;
        }
    } else if (message.isNotification() && message.method() == "notifications/initialized"_L1) {
        m_initializedBody = body;
        exchange->barrier = true;
    }
    dispatchOrQueue(exchange);
}

void StreamableHttpClient::dispatchOrQueue(Exchange *exchange)
{
    // The session id arrives with the initialize response, and the server may reject anything
    // sent before notifications/initialized: later messages wait behind these two (the
    // npm package lets notifications/initialized race later requests).
    if (m_barrierSerial != 0 || m_reinitializing || m_authorizing) {
        m_queue.append(exchange->serial);
        if (m_authorizing)
            startAuthorizationDeadline(exchange);
        return;
    }
    if (exchange->message.isRequest() && !exchange->internal && m_renewAt.isValid()
            && QDateTime::currentDateTimeUtc() >= m_renewAt
            && isSignalConnected(
                    QMetaMethod::fromSignal(&StreamableHttpClient::authorizationRequired))) {
        // The token is about to expire: renew it first rather than meet a 401.
        m_renewAt = QDateTime();
        m_queue.prepend(exchange->serial);
        requestAuthorization(QByteArray(), 0);
        startAuthorizationDeadline(exchange);
        return;
    }
    if (m_sessionLost && !exchange->barrier && !exchange->internal) {
        // The last re-initialization failed (e.g. the server was restarting): try once more
        // before sending, rather than posting without a session the server would refuse.
        m_queue.append(exchange->serial);
        startReinitialization(nullptr);
        return;
    }
    if (exchange->barrier)
        m_barrierSerial = exchange->serial;
    post(exchange);
}

QNetworkRequest StreamableHttpClient::buildRequest(const char *accept, const QUrl &url) const
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

void StreamableHttpClient::post(Exchange *exchange)
{
    QNetworkRequest request = buildRequest(AcceptPost.constData(), exchange->target);
    // Redirects of a POST are followed by handleRedirect(), one fresh POST per hop, never by
    // QNAM (see docs/architecture.md, "Duplicate requests").
    request.setAttribute(
            QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json"_ba);
    if (exchange->message.isRequest() && m_options.timeoutMs > 0)
        request.setTransferTimeout(m_options.timeoutMs);
    exchange->sentWithSession = !m_sessionId.isEmpty();
    exchange->resuming = false;
    exchange->headersSeen = false;
    exchange->isSse = false;
    exchange->status = 0;
    exchange->responseBody.clear();
    exchange->sse = SseParser();
    QNetworkAccessManager &nam = exchange->message.isRequest() ? m_requestNam : m_controlNam;
    qCDebug(lcTransport).noquote() << "POST" << exchange->message.method()
                                   << exchange->message.rawId() << exchange->body.size() << "bytes";
    attachReply(exchange, nam.post(request, exchange->body));
}

void StreamableHttpClient::attachReply(Exchange *exchange, QNetworkReply *reply)
{
    exchange->reply = reply;
    const quint64 serial = exchange->serial;
    connect(reply, &QNetworkReply::readyRead, this, [this, serial] { handleReadyRead(serial); });
    connect(reply, &QNetworkReply::finished, this, [this, serial] { handleFinished(serial); });
}

void StreamableHttpClient::handleHeaders(Exchange *exchange)
{
    QNetworkReply *reply = exchange->reply;
    const int status = httpStatus(reply);
    if (status == 101 || status == 0)
        return; // h2c upgrade sends a first 101 (docs/qt-notes.md)
    exchange->headersSeen = true;
    exchange->status = status;
    exchange->isSse = status >= 200 && status < 300 && isEventStream(reply);
    if (!exchange->isSse && status >= 200 && status < 300) {
        // One allocation for a large JSON reply instead of repeated doubling (peak memory while
        // moving multi-megabyte results).
        const qint64 length = reply->header(QNetworkRequest::ContentLengthHeader).toLongLong();
        if (length > 0 && length <= MaxReservedBody)
            exchange->responseBody.reserve(qsizetype(length));
    }
    captureSession(reply, exchange);
}

void StreamableHttpClient::captureSession(QNetworkReply *reply, const Exchange *exchange)
{
    if (exchange->status < 200 || exchange->status >= 300
            || exchange->message.method() != "initialize"_L1)
        return;
    const QByteArray sessionId = reply->rawHeader(HeaderSessionId);
    if (sessionId.isEmpty())
        return; // a stateless server
    if (!isVisibleAscii(sessionId)) {
        qCWarning(lcTransport) << "ignoring an Mcp-Session-Id that is not visible ASCII";
        return;
    }
    m_sessionId = sessionId;
    qCInfo(lcTransport) << "session established";
}

void StreamableHttpClient::captureProtocolVersion(const QByteArray &line)
{
    const QJsonObject result = QJsonDocument::fromJson(line).object().value("result"_L1).toObject();
    const QString version = result.value("protocolVersion"_L1).toString();
    // It goes into the MCP-Protocol-Version header of every later request: an RFC 9110 token
    // only, so a hostile server cannot inject header lines.
    if (!version.isEmpty() && !std::all_of(version.cbegin(), version.cend(), [](QChar c) {
            return HttpSyntax::isTokenChar(c.unicode());
        })) {
        qCWarning(lcTransport) << "ignoring a negotiated protocol version that is not an HTTP "
                                  "token";
        return;
    }
    if (!version.isEmpty()) {
        m_protocolVersion = version;
        qCInfo(lcTransport).noquote() << "negotiated protocol version" << version;
    }
}

void StreamableHttpClient::handleReadyRead(quint64 serial)
{
    Exchange *exchange = this->exchange(serial);
    if (!exchange || !exchange->reply)
        return;
    if (!exchange->headersSeen) {
        handleHeaders(exchange);
        if (!exchange->headersSeen)
            return;
    }
    const QByteArray chunk = exchange->reply->readAll();
    if (exchange->isSse) {
        QList<SseEvent> events;
        exchange->sse.feed(chunk, events);
        processSseEvents(exchange, events);
    } else if (exchange->status >= 200 && exchange->status < 300) {
        exchange->responseBody.append(chunk);
    } else if (exchange->responseBody.size() < ErrorBodyLimit) {
        exchange->responseBody.append(chunk.left(ErrorBodyLimit - exchange->responseBody.size()));
    }
}

void StreamableHttpClient::processSseEvents(Exchange *exchange, QList<SseEvent> &events)
{
    const quint64 serial = exchange->serial;
    // A fresh parser (after a reconnection) starts without an id: keep the last one we had.
    if (!exchange->sse.lastEventId().isEmpty()
            && exchange->sse.lastEventId() != exchange->lastEventId
            && isFieldValue(exchange->sse.lastEventId())) {
        exchange->lastEventId = exchange->sse.lastEventId();
        exchange->resumeAttempts = 0; // progress: the stream moved on
    }
    if (const auto retry = exchange->sse.reconnectionTime())
        exchange->retryMs = *retry;
    for (SseEvent &event : events) {
        // MCP only defines "message" events; a priming event (id + empty data, SEP-1699) carries
        // no message.
        if ((!event.type.isEmpty() && event.type != "message") || event.data.trimmed().isEmpty())
            continue;
        deliverServerMessage(std::move(event.data), exchange);
        if (!this->exchange(serial))
            return;
    }
}

bool StreamableHttpClient::deliverServerMessage(QByteArray bytes, Exchange *carrier)
{
    const JsonRpcMessage message = JsonRpcMessage::classify(bytes);
    if (message.kind() == JsonRpcMessage::Kind::Batch) {
        // 2025-03-26 servers may answer with a batch: deliver its elements one by one.
        const QJsonArray array = QJsonDocument::fromJson(bytes).array();
        bool any = false;
        for (const QJsonValue &element : array) {
            any |= deliverServerMessage(
                    QJsonDocument(element.toObject()).toJson(QJsonDocument::Compact), carrier);
        }
        return any;
    }
    if (!message.isValid()) {
        qCWarning(lcTransport).noquote()
                << "dropping an upstream message that is not JSON-RPC:" << message.errorMessage();
        return false;
    }
    const QByteArray line = JsonRpcMessage::toSingleLine(std::move(bytes));
    if (message.isResponse()) {
        const auto it = m_pendingByIdKey.constFind(message.idKey());
        Exchange *owner = it == m_pendingByIdKey.constEnd() ? nullptr : exchange(it.value());
        if (owner && !owner->answered) {
            owner->answered = true;
            m_pendingByIdKey.remove(message.idKey());
            if (owner->message.method() == "initialize"_L1 && !message.isErrorResponse())
                captureProtocolVersion(line);
            if (owner->internal) {
                // Our own re-initialization: never shown to the client.
                return true;
            }
        }
    }
    Q_UNUSED(carrier);
    Q_EMIT messageReceived(line, message);
    return true;
}

void StreamableHttpClient::handleFinished(quint64 serial)
{
    Exchange *exchange = this->exchange(serial);
    if (!exchange)
        return;
    QNetworkReply *reply = exchange->reply;
    if (!reply)
        return;
    if (!exchange->headersSeen)
        handleHeaders(exchange);
    // Drain what is left (readyRead and finished may arrive together).
    if (reply->bytesAvailable() > 0)
        handleReadyRead(serial);
    exchange = this->exchange(serial);
    if (!exchange)
        return;
    reply->disconnect(this);
    reply->deleteLater();
    exchange->reply = nullptr;

    const int status = exchange->status;
    const QNetworkReply::NetworkError error = reply->error();

    if (exchange->isSse && exchange->message.isRequest() && !exchange->answered
            && (error == QNetworkReply::OperationCanceledError
                    || error == QNetworkReply::TimeoutError)) {
        fail(exchange, errorFromReply(exchange, reply)); // silent for upstream.timeoutMs
        return;
    }
    if (exchange->isSse) {
        // A stream that broke mid-way (reset, timeout) is handled like one that ended: resume
        // if an event id allows it (MCP 2025-11-25 "Resumability and Redelivery").
        completeSse(exchange);
        return;
    }
    if (status == 0 || (!exchange->headersSeen && error != QNetworkReply::NoError)) {
        fail(exchange, errorFromReply(exchange, reply));
        return;
    }
    if (status >= 200 && status < 300) {
        if (error != QNetworkReply::NoError
                && !JsonRpcMessage::classify(exchange->responseBody).isValid()) {
            // The body broke off (reset, or no byte for upstream.timeoutMs): report that cause,
            // not the incomplete body.
            fail(exchange, errorFromReply(exchange, reply));
            return;
        }
        completeJson(exchange);
        return;
    }
    if (status >= 300 && status < 400 && !exchange->resuming) {
        handleRedirect(exchange, reply);
        return;
    }
    if ((status == 401 || status == 403) && handleUnauthorized(exchange, reply))
        return;
    if (status == 404 && exchange->sentWithSession && !exchange->internal && !exchange->retried
            && !m_initializeBody.isEmpty() && exchange->message.method() != "initialize"_L1
            && m_reinitFailures < 2) {
        // MCP basic/transports, session management: a 404 for a request carrying a session id
        // means the session is gone; the client MUST start a new one. We do it on the host's
        // behalf and retry this message once.
        qCInfo(lcTransport) << "upstream session expired (404); re-initializing";
        exchange->retried = true;
        m_retryAfterReinit.append(exchange->serial);
        startReinitialization(exchange);
        return;
    }
    TransportError httpError;
    httpError.kind = TransportError::Kind::HttpStatus;
    httpError.httpStatus = status;
    httpError.body = exchange->responseBody;
    fail(exchange, httpError);
}

void StreamableHttpClient::handleRedirect(Exchange *exchange, QNetworkReply *reply)
{
    // RFC 9110 sections 15.4.8/15.4.9: 307 and 308 repeat the request with the same method and
    // body. The server did not run a request it redirected, so sending it once to the new location
    // keeps it exactly-once. Another origin (the token must not go there), 301/302/303 (a POST
    // would become a GET) and redirect loops are errors that name the location.
    const int status = exchange->status;
    const QUrl from = reply->url();
    const QByteArray locationHeader = reply->rawHeader("Location");
    const QUrl location = from.resolved(QUrl::fromEncoded(locationHeader));
    const bool sameOrigin = !locationHeader.isEmpty() && location.isValid()
            && location.scheme() == from.scheme() && location.host() == from.host()
            && location.port(defaultPort(location)) == from.port(defaultPort(from));
    const QString shown = location.toString(QUrl::RemoveUserInfo | QUrl::RemoveQuery);
    if ((status == 307 || status == 308) && sameOrigin && exchange->redirects < MaxRedirects) {
        ++exchange->redirects;
        exchange->target = location;
        if (status == 308 && from == m_options.url) {
            qCInfo(lcTransport).noquote() << "upstream moved permanently to" << shown;
            m_options.url = location;
        }
        qCDebug(lcTransport).noquote() << "following a" << status << "redirect to" << shown;
        post(exchange);
        return;
    }
    TransportError error;
    error.kind = TransportError::Kind::InvalidResponse;
    error.code = u"RedirectRefused"_s;
    if (locationHeader.isEmpty() || !location.isValid()) {
        error.reason = QStringLiteral("upstream answered the POST with HTTP %1 and no usable "
                                      "Location")
                               .arg(status);
    } else if (!sameOrigin) {
        error.reason = QStringLiteral("upstream redirected the POST (HTTP %1) to another origin "
                                      "(%2), which is not followed; set upstream.url to it if "
                                      "you trust it")
                               .arg(status)
                               .arg(shown);
    } else if (status == 307 || status == 308) {
        error.reason = QStringLiteral("upstream redirected the POST more than %1 times (last to "
                                      "%2)")
                               .arg(MaxRedirects)
                               .arg(shown);
    } else {
        error.reason = QStringLiteral("upstream redirected the POST with HTTP %1 to %2, which "
                                      "would turn it into a GET; set upstream.url to that URL")
                               .arg(status)
                               .arg(shown);
    }
    fail(exchange, error);
}

TransportError StreamableHttpClient::errorFromReply(
        const Exchange *exchange, QNetworkReply *reply) const
{
    TransportError error;
    const QNetworkReply::NetworkError code = reply->error();
    // A transfer timeout reports OperationCanceledError like abort() (docs/qt-notes.md);
    // we never abort without removing the exchange first, so here it is the timeout.
    if (code == QNetworkReply::OperationCanceledError || code == QNetworkReply::TimeoutError) {
        error.kind = TransportError::Kind::Timeout;
        error.reason = u"upstream deadline exceeded"_s;
        return error;
    }
    Q_UNUSED(exchange);
    error.kind = TransportError::Kind::Network;
    error.reason = reply->errorString();
    error.code = networkErrorName(code);
    return error;
}

void StreamableHttpClient::completeSse(Exchange *exchange)
{
    QList<SseEvent> events;
    exchange->sse.finish(events);
    const quint64 serial = exchange->serial;
    processSseEvents(exchange, events);
    exchange = this->exchange(serial);
    if (!exchange)
        return;
    if (!exchange->message.isRequest() || exchange->answered) {
        finish(exchange);
        return;
    }
    TransportError ended;
    ended.kind = TransportError::Kind::StreamEnded;
    ended.reason = u"upstream stream ended before the response"_s;
    scheduleResume(exchange, ended);
}

void StreamableHttpClient::scheduleResume(
        Exchange *exchange, const TransportError &reasonIfGivingUp)
{
    if (exchange->lastEventId.isEmpty()) {
        fail(exchange, reasonIfGivingUp); // nothing to resume from
        return;
    }
    if (exchange->resumeAttempts >= m_options.maxResumeAttempts) {
        TransportError gaveUp = reasonIfGivingUp;
        gaveUp.reason += QStringLiteral("; resumption gave up after %1 attempts")
                                 .arg(exchange->resumeAttempts);
        fail(exchange, gaveUp);
        return;
    }
    ++exchange->resumeAttempts;
    // The client MUST respect the server's retry field (MCP 2025-11-25, SEP-1699).
    const int delay = exchange->retryMs >= 0 ? exchange->retryMs : m_options.defaultRetryMs;
    const quint64 serial = exchange->serial;
    qCDebug(lcTransport) << "resuming stream of request" << exchange->message.rawId() << "in"
                         << delay << "ms";
    QTimer::singleShot(delay, this, [this, serial] { resume(serial); });
}

void StreamableHttpClient::resume(quint64 serial)
{
    Exchange *exchange = this->exchange(serial);
    if (!exchange || exchange->reply || m_shuttingDown)
        return;
    // Resumption is always a GET with Last-Event-ID, whichever stream it continues
    // (MCP 2025-11-25 basic/transports, "Resumability and Redelivery").
    QNetworkRequest request = buildRequest(AcceptStream.constData());
    request.setRawHeader(HeaderLastEventId, exchange->lastEventId);
    if (m_options.timeoutMs > 0)
        request.setTransferTimeout(m_options.timeoutMs);
    exchange->resuming = true;
    exchange->headersSeen = false;
    exchange->isSse = false;
    exchange->status = 0;
    exchange->responseBody.clear();
    exchange->sse = SseParser();
    attachReply(exchange, m_streamNam.get(request));
}

void StreamableHttpClient::completeJson(Exchange *exchange)
{
    const quint64 serial = exchange->serial;
    QByteArray body = std::move(exchange->responseBody);
    exchange->responseBody = QByteArray();
    if (exchange->resuming) {
        // A GET resumption must be an event stream; anything else ends it.
        TransportError ended;
        ended.kind = TransportError::Kind::StreamEnded;
        ended.reason = QStringLiteral("resumption answered HTTP %1 without an event stream")
                               .arg(exchange->status);
        fail(exchange, ended);
        return;
    }
    if (!body.trimmed().isEmpty())
        deliverServerMessage(std::move(body), exchange);
    exchange = this->exchange(serial);
    if (!exchange)
        return;
    if (exchange->message.isRequest() && !exchange->answered) {
        TransportError invalid;
        invalid.kind = TransportError::Kind::InvalidResponse;
        invalid.reason = QStringLiteral("upstream answered HTTP %1 without a JSON-RPC response")
                                 .arg(exchange->status);
        fail(exchange, invalid);
        return;
    }
    finish(exchange);
}

void StreamableHttpClient::fail(Exchange *exchange, const TransportError &error)
{
    if (exchange->internal) {
        qCWarning(lcTransport).noquote() << "re-initialization failed:" << error.describe();
    } else if (exchange->message.isRequest() && !exchange->answered) {
        qCWarning(lcTransport).noquote()
                << "request" << exchange->message.method() << exchange->message.rawId()
                << "failed:" << error.describe();
        m_pendingByIdKey.remove(exchange->message.idKey());
        exchange->answered = true;
        Q_EMIT requestFailed(exchange->message.idKey(),
                error.toErrorResponse(exchange->message.rawId(), m_options.timeoutMs));
    } else if (!exchange->message.isRequest()) {
        qCWarning(lcTransport).noquote()
                << "upstream did not accept"
                << (exchange->message.method().isEmpty() ? u"a response"_s
                                                         : exchange->message.method())
                << ':' << error.describe();
    }
    if (Exchange *still = this->exchange(exchange->serial))
        finish(still);
}

void StreamableHttpClient::finish(Exchange *exchange)
{
    const quint64 serial = exchange->serial;
    const bool ok = exchange->answered
            || (!exchange->message.isRequest() && exchange->status >= 200
                    && exchange->status < 300);
    auto onInternalDone = std::move(exchange->onInternalDone);
    if (exchange->message.isRequest() && !exchange->answered)
        m_pendingByIdKey.remove(exchange->message.idKey());
    const bool wasBarrier = exchange->barrier;
    const bool initializedSent = exchange->message.method() == "notifications/initialized"_L1
            && exchange->status >= 200 && exchange->status < 300;
    if (exchange->timer)
        exchange->timer->deleteLater();
    m_exchanges.erase(serial);

    if (onInternalDone) {
        onInternalDone(ok);
        return;
    }
    if (initializedSent)
        openServerStream();
    if (wasBarrier)
        releaseBarrier(serial);
}

void StreamableHttpClient::releaseBarrier(quint64 serial)
{
    if (m_barrierSerial != serial)
        return;
    m_barrierSerial = 0;
    drainQueue();
}

void StreamableHttpClient::drainQueue()
{
    while (!m_queue.isEmpty() && m_barrierSerial == 0 && !m_reinitializing && !m_authorizing
            && !m_shuttingDown) {
        Exchange *next = exchange(m_queue.takeFirst());
        if (next)
            dispatchOrQueue(next);
    }
}

bool StreamableHttpClient::handleUnauthorized(Exchange *exchange, QNetworkReply *reply)
{
    const QByteArray challenge = reply->rawHeader("WWW-Authenticate");
    TransportError error;
    error.kind = TransportError::Kind::Authorization;
    error.httpStatus = exchange->status;
    if (exchange->status == 403) {
        // RFC 6750 section 3.1: only insufficient_scope asks for a step-up (MCP 2025-11-25 "Scope
        // Challenge Handling"); any other 403 is an ordinary HTTP error.
        if (!challenge.toLower().contains("insufficient_scope"))
            return false;
        // At most 3 authorization rounds per request in all (the conformance suite's
        // auth/scope-retry-limit counts the first 401 round too).
        if (exchange->stepUps + exchange->unauthorizedRetries >= 3) {
            error.reason = u"the server still requires more scope after 3 authorizations; "
                           "check the scopes your account may be granted"_s;
            fail(exchange, error);
            return true;
        }
        ++exchange->stepUps;
    } else {
        if (exchange->unauthorizedRetries >= 2) {
            error.reason = u"the server rejected the new access token; check the OAuth settings "
                           "(oauth2.*) or log in again"_s;
            fail(exchange, error);
            return true;
        }
        ++exchange->unauthorizedRetries;
    }
    if (!isSignalConnected(QMetaMethod::fromSignal(&StreamableHttpClient::authorizationRequired))) {
        error.reason = u"the server requires authorization"_s;
        fail(exchange, error);
        return true;
    }
    m_awaitingAuthorization.append(exchange->serial);
    requestAuthorization(challenge, exchange->status);
    startAuthorizationDeadline(exchange);
    return true;
}

void StreamableHttpClient::requestAuthorization(const QByteArray &wwwAuthenticate, int httpStatus)
{
    if (m_authorizing)
        return; // one authorization round at a time; everyone waits for it
    m_authorizing = true;
    if (httpStatus == 0) {
        qCInfo(lcTransport) << "renewing the access token before the next request";
    } else {
        qCInfo(lcTransport).noquote()
                << QStringLiteral("upstream requires authorization (HTTP %1)").arg(httpStatus);
    }
    // Requests already queued (behind a barrier) wait for this round too.
    for (const quint64 serial : std::as_const(m_queue)) {
        if (Exchange *queued = exchange(serial))
            startAuthorizationDeadline(queued);
    }
    Q_EMIT authorizationRequired(wwwAuthenticate, httpStatus);
}

void StreamableHttpClient::startAuthorizationDeadline(Exchange *exchange)
{
    // One deadline per request, however many rounds it waits for.
    if (!exchange->message.isRequest() || exchange->internal || exchange->answered
            || m_options.authorizationDeadlineMs <= 0)
        return;
    if (exchange->authorizationDeadline < 0) {
        exchange->authorizationDeadline =
                qMax(m_authorizationClock.elapsed() + m_options.authorizationDeadlineMs,
                        m_interactiveUntil);
    }
    const qint64 inMs = exchange->authorizationDeadline - m_authorizationClock.elapsed();
    if (!m_authorizationDeadlineTimer.isActive()
            || m_authorizationDeadlineTimer.remainingTime() > inMs)
        m_authorizationDeadlineTimer.start(int(qMax<qint64>(inMs, 0)));
}

void StreamableHttpClient::extendAuthorizationDeadline(int seconds)
{
    // The user has callbackTimeoutSeconds to log in; the code exchange gets the usual deadline.
    m_interactiveUntil = m_authorizationClock.elapsed() + qint64(seconds) * 1000
            + m_options.authorizationDeadlineMs;
    for (const QList<quint64> *list : {&m_queue, &m_awaitingAuthorization}) {
        for (const quint64 serial : *list) {
            Exchange *waiting = exchange(serial);
            if (waiting && waiting->authorizationDeadline >= 0)
                waiting->authorizationDeadline =
                        qMax(waiting->authorizationDeadline, m_interactiveUntil);
        }
    }
    enforceAuthorizationDeadlines(); // re-arms the timer for the later deadlines
}

void StreamableHttpClient::enforceAuthorizationDeadlines()
{
    const qint64 now = m_authorizationClock.elapsed();
    qint64 next = -1;
    QList<quint64> expired;
    for (QList<quint64> *list : {&m_queue, &m_awaitingAuthorization}) {
        for (const quint64 serial : std::as_const(*list)) {
            const Exchange *waiting = exchange(serial);
            // Only while it waits for authorization (a queue behind a barrier alone is not).
            const bool waitsForAuthorization = list == &m_awaitingAuthorization || m_authorizing;
            if (!waiting || waiting->authorizationDeadline < 0 || waiting->answered
                    || !waitsForAuthorization)
                continue;
            if (waiting->authorizationDeadline <= now)
                expired.append(serial);
            else if (next < 0 || waiting->authorizationDeadline < next)
                next = waiting->authorizationDeadline;
        }
    }
    for (const quint64 serial : std::as_const(expired)) {
        m_queue.removeAll(serial);
        m_awaitingAuthorization.removeAll(serial);
        Exchange *waiting = exchange(serial);
        if (!waiting)
            continue;
        TransportError error;
        error.kind = TransportError::Kind::Authorization;
        error.httpStatus = waiting->status;
        error.reason = QStringLiteral("authorization did not finish within %1 s (the "
                                      "authorization server or its metadata did not answer in "
                                      "time); the request was not sent")
                               .arg(m_options.authorizationDeadlineMs / 1000);
        fail(waiting, error);
    }
    if (next >= 0)
        m_authorizationDeadlineTimer.start(int(qMax<qint64>(next - now, 0)));
}

void StreamableHttpClient::finishAuthorization(bool ok, const QString &message)
{
    if (!m_authorizing)
        return;
    m_authorizing = false;
    m_interactiveUntil = -1;
    QList<quint64> parked;
    parked.swap(m_awaitingAuthorization);
    for (const quint64 serial : parked) {
        Exchange *exchange = this->exchange(serial);
        if (!exchange)
            continue;
        if (ok) {
            if (exchange->resuming)
                resume(serial);
            else
                post(exchange);
            continue;
        }
        TransportError error;
        error.kind = TransportError::Kind::Authorization;
        error.httpStatus = exchange->status;
        error.reason = message;
        fail(exchange, error);
    }
    if (m_streamAwaitsAuthorization) {
        m_streamAwaitsAuthorization = false;
        if (ok)
            openServerStream();
    }
    drainQueue();
}

void StreamableHttpClient::startReinitialization(Exchange *trigger)
{
    Q_UNUSED(trigger);
    if (m_reinitializing)
        return;
    m_reinitializing = true;
    m_sessionId.clear();
    stopServerStream();

    // Replay the client's initialize under a reserved id that the client never sees
    // (requests the proxy originates use their own id namespace).
    QJsonObject initialize = QJsonDocument::fromJson(m_initializeBody).object();
    const QString reservedId = QStringLiteral("mcp-oauth2-proxy-reinit-%1").arg(++m_reinitCount);
    initialize.insert("id"_L1, reservedId);
    const QByteArray body = QJsonDocument(initialize).toJson(QJsonDocument::Compact);
    Exchange *exchange = createExchange(body, JsonRpcMessage::classify(body));
    exchange->internal = true;
    m_pendingByIdKey.insert(exchange->message.idKey(), exchange->serial);
    exchange->onInternalDone = [this](bool ok) {
        if (!ok) {
            finishReinitialization(false);
            return;
        }
        const QByteArray initialized = m_initializedBody.isEmpty()
                ? R"({"jsonrpc":"2.0","method":"notifications/initialized"})"_ba
                : m_initializedBody;
        Exchange *notification = createExchange(initialized, JsonRpcMessage::classify(initialized));
        notification->internal = true;
        notification->onInternalDone = [this](bool notified) {
            finishReinitialization(notified);
        };
        post(notification);
    };
    post(exchange);
}

void StreamableHttpClient::finishReinitialization(bool ok)
{
    m_reinitializing = false;
    QList<quint64> retries;
    retries.swap(m_retryAfterReinit);
    m_sessionLost = !ok && m_reinitFailures < 1; // one more attempt at the next message
    if (ok) {
        m_reinitFailures = 0;
        qCInfo(lcTransport) << "session re-initialized; retrying" << retries.size() << "message(s)";
        openServerStream();
    } else {
        ++m_reinitFailures;
    }
    for (const quint64 serial : retries) {
        Exchange *exchange = this->exchange(serial);
        if (!exchange)
            continue;
        if (ok) {
            post(exchange);
        } else {
            TransportError expired;
            expired.kind = TransportError::Kind::HttpStatus;
            expired.httpStatus = 404;
            expired.body = "session expired and re-initialization failed";
            fail(exchange, expired);
        }
    }
    drainQueue();
}

void StreamableHttpClient::cancel(const QString &idKey)
{
    const auto it = m_pendingByIdKey.constFind(idKey);
    if (it == m_pendingByIdKey.constEnd())
        return;
    const quint64 serial = it.value();
    m_pendingByIdKey.erase(it);
    m_queue.removeAll(serial);
    m_retryAfterReinit.removeAll(serial);
    Exchange *exchange = this->exchange(serial);
    if (!exchange || exchange->internal)
        return;
    qCDebug(lcTransport) << "aborting cancelled request" << exchange->message.rawId();
    exchange->answered = true; // nothing more is owed to the client
    if (QNetworkReply *reply = exchange->reply.data()) {
        reply->disconnect(this);
        reply->abort();
        reply->deleteLater();
        exchange->reply = nullptr;
    }
    const bool wasBarrier = exchange->barrier;
    if (exchange->timer)
        exchange->timer->deleteLater();
    m_exchanges.erase(serial);
    if (wasBarrier)
        releaseBarrier(serial);
}

// --- standalone GET stream (MCP basic/transports, "Listening for Messages from the Server") ---

void StreamableHttpClient::openServerStream()
{
    if (!m_options.openServerStream || m_stream.disabled || m_shuttingDown || m_stream.reply)
        return;
    if (m_stream.timer)
        m_stream.timer->deleteLater();
    m_stream.wanted = true;
    QNetworkRequest request = buildRequest(AcceptStream.constData());
    if (!m_stream.lastEventId.isEmpty())
        request.setRawHeader(HeaderLastEventId, m_stream.lastEventId);
    // No idle timeout on an open stream: servers may stay silent for hours.
    request.setTransferTimeout(0);
    m_stream.sse = SseParser();
    m_stream.headersSeen = false;
    m_stream.receivedEvent = false;
    m_stream.status = 0;
    QNetworkReply *reply = m_streamNam.get(request);
    m_stream.reply = reply;
    connect(reply, &QNetworkReply::readyRead, this, [this] { handleServerStreamReadyRead(); });
    connect(reply, &QNetworkReply::finished, this, [this] { handleServerStreamFinished(); });
}

void StreamableHttpClient::handleServerStreamReadyRead()
{
    QNetworkReply *reply = m_stream.reply;
    if (!reply)
        return;
    if (!m_stream.headersSeen) {
        const int status = httpStatus(reply);
        if (status == 0 || status == 101)
            return;
        m_stream.headersSeen = true;
        m_stream.status = status;
        if (status >= 200 && status < 300 && !isEventStream(reply))
            m_stream.status = -1; // not a stream: ignore the body
    }
    const QByteArray chunk = reply->readAll();
    if (m_stream.status < 200 || m_stream.status >= 300)
        return;
    QList<SseEvent> events;
    m_stream.sse.feed(chunk, events);
    if (!m_stream.sse.lastEventId().isEmpty() && isFieldValue(m_stream.sse.lastEventId()))
        m_stream.lastEventId = m_stream.sse.lastEventId();
    if (const auto retry = m_stream.sse.reconnectionTime())
        m_stream.retryMs = *retry;
    for (SseEvent &event : events) {
        m_stream.receivedEvent = true;
        if ((!event.type.isEmpty() && event.type != "message") || event.data.trimmed().isEmpty())
            continue;
        m_stream.failures = 0;
        deliverServerMessage(std::move(event.data), nullptr);
        if (!m_stream.reply)
            return; // stopped while delivering
    }
}

void StreamableHttpClient::handleServerStreamFinished()
{
    QNetworkReply *reply = m_stream.reply;
    if (!reply)
        return;
    if (!m_stream.headersSeen || reply->bytesAvailable() > 0)
        handleServerStreamReadyRead();
    if (!m_stream.reply)
        return;
    reply->disconnect(this);
    reply->deleteLater();
    m_stream.reply = nullptr;
    if (m_shuttingDown || !m_stream.wanted)
        return;
    const int status = m_stream.headersSeen ? m_stream.status : 0;
    if (status >= 200 && status < 300) {
        QList<SseEvent> events;
        m_stream.sse.finish(events);
        for (SseEvent &event : events) {
            if (!event.data.trimmed().isEmpty())
                deliverServerMessage(std::move(event.data), nullptr);
        }
        // A clean end: reconnect after the server's retry delay (servers may close to force
        // polling, SEP-1699); back off when streams keep ending without any event.
        if (m_stream.receivedEvent)
            m_stream.failures = 0;
        else
            ++m_stream.failures;
        const int base = m_stream.retryMs >= 0 ? m_stream.retryMs : m_options.defaultRetryMs;
        scheduleServerStreamReconnect(
                m_stream.failures > 1 ? qMax(base, 0) * m_stream.failures : base);
        return;
    }
    if (status == 401
            && isSignalConnected(
                    QMetaMethod::fromSignal(&StreamableHttpClient::authorizationRequired))) {
        m_streamAwaitsAuthorization = true;
        requestAuthorization(reply->rawHeader("WWW-Authenticate"), status);
        return;
    }
    if (status == 405) {
        qCInfo(lcTransport) << "upstream offers no standalone GET stream (405)";
        m_stream.disabled = true;
        return;
    }
    if (status == 404 && !m_sessionId.isEmpty() && !m_initializeBody.isEmpty()
            && m_reinitFailures < 2) {
        qCInfo(lcTransport) << "upstream session expired (404 on the GET stream); re-initializing";
        startReinitialization(nullptr);
        return;
    }
    if (status == -1 || (status >= 400 && status < 500 && status != 408 && status != 429)) {
        qCWarning(lcTransport) << "upstream refused the standalone GET stream with HTTP" << status
                               << "; not retrying";
        m_stream.disabled = true;
        return;
    }
    ++m_stream.failures;
    // Exponential backoff with full jitter in the upper half: 1 s, 2 s, 4 s … capped.
    const int exponent = qMin(m_stream.failures - 1, 15);
    const int cap = qMin(m_options.maxBackoffMs, m_options.defaultRetryMs << exponent);
    const int delay = cap / 2 + int(QRandomGenerator::global()->bounded(cap / 2 + 1));
    qCWarning(lcTransport).noquote()
            << "standalone GET stream failed ("
            << (status ? QStringLiteral("HTTP %1").arg(status) : reply->errorString())
            << "); reconnecting in" << delay << "ms";
    scheduleServerStreamReconnect(delay);
}

void StreamableHttpClient::scheduleServerStreamReconnect(int delayMs)
{
    if (m_stream.timer)
        m_stream.timer->deleteLater();
    auto *timer = new QTimer(this);
    timer->setSingleShot(true);
    connect(timer, &QTimer::timeout, this, [this, timer] {
        timer->deleteLater();
        openServerStream();
    });
    m_stream.timer = timer;
    timer->start(qMax(0, delayMs));
}

void StreamableHttpClient::stopServerStream()
{
    m_stream.wanted = false;
    if (m_stream.timer) {
        m_stream.timer->deleteLater();
        m_stream.timer = nullptr;
    }
    if (QNetworkReply *reply = m_stream.reply.data()) {
        m_stream.reply = nullptr;
        reply->disconnect(this);
        reply->abort();
        reply->deleteLater();
    }
    m_stream.lastEventId.clear();
    m_stream.failures = 0;
}

// --- shutdown ---

void StreamableHttpClient::shutdown()
{
    if (m_shuttingDown)
        return;
    m_shuttingDown = true;
    stopServerStream();
    m_queue.clear();
    m_retryAfterReinit.clear();
    m_awaitingAuthorization.clear();
    TransportError error;
    error.kind = TransportError::Kind::Shutdown;
    error.reason = u"proxy is shutting down"_s;
    QList<quint64> serials;
    for (const auto &entry : m_exchanges)
        serials.append(entry.first);
    for (const quint64 serial : serials) {
        Exchange *exchange = this->exchange(serial);
        if (!exchange)
            continue;
        if (QNetworkReply *reply = exchange->reply.data()) {
            reply->disconnect(this);
            reply->abort();
            reply->deleteLater();
            exchange->reply = nullptr;
        }
        exchange->onInternalDone = nullptr;
        if (exchange->message.isRequest() && !exchange->internal && !exchange->answered) {
            exchange->answered = true;
            Q_EMIT requestFailed(exchange->message.idKey(),
                    error.toErrorResponse(exchange->message.rawId(), m_options.timeoutMs));
        }
        if (exchange->timer)
            exchange->timer->deleteLater();
        m_exchanges.erase(serial);
    }
    m_pendingByIdKey.clear();

    if (m_sessionId.isEmpty()) {
        QMetaObject::invokeMethod(
                this, &StreamableHttpClient::shutdownFinished, Qt::QueuedConnection);
        return;
    }
    // MCP basic/transports: clients that no longer need a session SHOULD DELETE it; 405 is fine.
    QNetworkRequest request = buildRequest(AcceptPost.constData());
    request.setTransferTimeout(m_options.shutdownDeleteTimeoutMs);
    QNetworkReply *reply = m_controlNam.deleteResource(request);
    connect(reply, &QNetworkReply::finished, this, [this, reply] {
        qCDebug(lcTransport) << "session DELETE answered" << httpStatus(reply);
        reply->deleteLater();
        m_sessionId.clear();
        Q_EMIT shutdownFinished();
    });
}

} // namespace McpProxy
