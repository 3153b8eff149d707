#include "transport/statelesshttpera.h"

#include "logging/logcategories.h"
#include "mcp/listchanged.h"
#include "transport/eradetection.h"
#include "transport/httpexchange.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QMetaEnum>
#include <QtNetwork/QNetworkReply>

namespace McpProxy {

using namespace Qt::StringLiterals;

namespace {

const QByteArray AcceptPost = "application/json, text/event-stream"_ba;
const QString MetaProtocolVersion = u"io.modelcontextprotocol/protocolVersion"_s;
const QString MetaClientCapabilities = u"io.modelcontextprotocol/clientCapabilities"_s;
const QString MetaClientInfo = u"io.modelcontextprotocol/clientInfo"_s;
const QString MetaLogLevel = u"io.modelcontextprotocol/logLevel"_s;
// Requests the proxy originates use their own id namespace, never shown to the host.
const QString ProbeIdPrefix = u"mcp-oauth2-proxy-discover-"_s;
const QString ListenIdPrefix = u"mcp-oauth2-proxy-listen-"_s;
const QString ReissueIdPrefix = u"mcp-oauth2-proxy-reissue-"_s;
const QString ToolsListIdPrefix = u"mcp-oauth2-proxy-tools-"_s;

// An SSE event that carries a JSON-RPC message (no event type, or "message", and some data).
bool isMessageEvent(const SseEvent &event)
{
    return (event.type.isEmpty() || event.type == "message") && !event.data.trimmed().isEmpty();
}

// basic/transports/streamable-http, "Custom Headers from Tool Parameters": the client SHOULD log
// a warning with the tool name and the reason.
void warnAboutRejectedTools(const ToolHeaderCatalogue::Page &page)
{
    for (const ToolHeaderCatalogue::RejectedTool &rejected : page.rejectedTools) {
        qCWarning(lcTransport).noquote()
                << "dropping tool" << rejected.name << "from tools/list:" << rejected.reason;
    }
}

bool isSuccess(int status)
{
    return status >= 200 && status < 300;
}

QByteArray compact(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QByteArray resultLine(const QByteArray &rawId, const QJsonObject &result)
{
    // The id goes back byte for byte as the host wrote it.
    return "{\"jsonrpc\":\"2.0\",\"id\":"_ba + rawId + ",\"result\":"_ba + compact(result) + '}';
}

// `line` (a server's response, on one line) as the host's answer: when the request went upstream
// under another id than the host's (a re-issue), the host's id goes back byte for byte.
QByteArray withHostId(const QByteArray &line, const QJsonValue &sentId, const JsonRpcMessage &host)
{
    if (JsonRpcMessage::idKey(sentId) == host.idKey())
        return line;
    QJsonObject response = QJsonDocument::fromJson(line).object();
    response.remove("jsonrpc"_L1);
    response.remove("id"_L1);
    const QByteArray rest = compact(response); // "{…}"
    return "{\"jsonrpc\":\"2.0\",\"id\":"_ba + host.rawId()
            + (rest.size() > 2 ? ',' + rest.mid(1) : "}"_ba);
}

QString networkErrorName(QNetworkReply::NetworkError error)
{
    return QString::fromLatin1(
            QMetaEnum::fromType<QNetworkReply::NetworkError>().valueToKey(error));
}

TransportError brokenResponseError()
{
    return TransportError::streamEnded(
            QStringLiteral("upstream response ended before the final response, also after %1 "
                           "re-issues under new ids (MCP 2026-07-28 responses cannot be resumed)")
                    .arg(StatelessHttpEra::MaxReissues));
}

TransportError exchangeError(const HttpExchange &exchange, int timeoutMs)
{
    const QNetworkReply::NetworkError code = exchange.error();
    if (code == QNetworkReply::OperationCanceledError || code == QNetworkReply::TimeoutError)
        return TransportError::timeout(timeoutMs);
    return TransportError::network(exchange.errorString(), networkErrorName(code));
}

// Methods MCP 2026-07-28 removed that a host of an earlier revision may still send
// (changelog; deprecated): answered here with an empty result.
bool answeredLocally(const QString &method)
{
    return method == "ping"_L1 || method == "logging/setLevel"_L1
            || method == "resources/subscribe"_L1 || method == "resources/unsubscribe"_L1;
}

} // namespace

StatelessHttpEra::StatelessHttpEra(const Options &options, QObject *parent)
    : UpstreamEra(parent)
    , m_options(options)
    , m_userAgent("mcp-oauth2-proxy/" MCPPROXY_VERSION " (Qt "_ba + qVersion() + ')')
    , m_connections(options.connections ? options.connections
                                        : std::make_shared<UpstreamConnections>(options.tls))
{
    // Every request sets ManualRedirectPolicy itself (buildRequest()).
    m_listenTimer.setSingleShot(true);
    connect(&m_listenTimer, &QTimer::timeout, this, &StatelessHttpEra::startListening);
}

StatelessHttpEra::~StatelessHttpEra()
{
    m_ended = true;
    if (m_listen)
        m_listen->discard();
    if (m_relisting.exchange)
        m_relisting.exchange->discard();
    for (auto &[handle, pending] : m_pending) {
        if (pending.exchange)
            pending.exchange->discard();
    }
}

StatelessHttpEra::Pending *StatelessHttpEra::find(Handle handle)
{
    const auto it = m_pending.find(handle);
    return it == m_pending.end() ? nullptr : &it->second;
}

// --- what the session hands over ---

void StatelessHttpEra::send(Handle handle, const QByteArray &body, const JsonRpcMessage &message)
{
    const QJsonObject hostRequest =
            message.isRequest() ? QJsonDocument::fromJson(body).object() : QJsonObject();
    const QJsonObject params = hostRequest.value("params"_L1).toObject();
    const bool modernHost = message.method() == "server/discover"_L1
            || params.value("_meta"_L1).toObject().contains(MetaProtocolVersion);
    if (m_hostMode == HostMode::Unknown && m_options.detection == Detection::FallBack
            && !(message.isRequest() && (message.method() == "initialize"_L1 || modernHost))) {
        // No server/discover confirmed a modern server for this host (its initialize failed, or
        // never came): the earlier era carries the message, as it would without detection.
        Q_EMIT legacyServerDetected(handle, body, message);
        return;
    }
    Pending &pending = m_pending[handle];
    pending.hostBody = body;
    pending.message = message;
    const QString method = message.method();

    if (message.isResponse() && m_hostMode == HostMode::Bridged) {
        pending.kind = Pending::Kind::Local;
        handleHostResponse(handle, body);
        return;
    }
    if (!message.isRequest()) {
        // No client notifications are defined over this transport (closing a response stream
        // is the cancellation), and the client MUST NOT send JSON-RPC responses.
        pending.kind = Pending::Kind::Local;
        qCDebug(lcTransport).noquote() << "not forwarded to a 2026-07-28 server:"
                                       << (method.isEmpty() ? u"a response"_s : method);
        answerLocally(handle, QByteArray());
        return;
    }
    if (method == "initialize"_L1) {
        m_hostMode = HostMode::Unknown; // Bridged once server/discover confirmed the server
        m_hostCapabilities = params.value("capabilities"_L1).toObject();
        m_hostInfo = params.value("clientInfo"_L1).toObject();
        m_logLevel.clear();
        m_bridge.setHostCapabilities(m_hostCapabilities);
        pending.kind = Pending::Kind::Probe;
        startProbe(handle);
        return;
    }
    if (m_hostMode == HostMode::Unknown) {
        if (modernHost) {
            m_hostMode = HostMode::PassThrough;
            qCInfo(lcTransport) << "the host speaks MCP 2026-07-28: passing its requests through";
        }
    }
    if (m_hostMode == HostMode::Bridged && answeredLocally(method)) {
        pending.kind = Pending::Kind::Local;
        if (method == "logging/setLevel"_L1)
            m_logLevel = params.value("level"_L1).toString();
        if (method == "resources/subscribe"_L1 || method == "resources/unsubscribe"_L1) {
            const QString uri = params.value("uri"_L1).toString();
            m_resourceSubscriptions.removeAll(uri);
            if (method == "resources/subscribe"_L1 && !uri.isEmpty())
                m_resourceSubscriptions.append(uri);
            restartListening();
        }
        answerLocally(handle, resultLine(message.rawId(), QJsonObject()));
        return;
    }
    pending.kind = Pending::Kind::Request;
    if (!m_tools.requestHeaders(method, params).isValid()) {
        // Mcp-Method mirrors the method: one that is not a plain header value cannot be sent.
        pending.kind = Pending::Kind::Local;
        answerLocally(handle,
                JsonRpcMessage::errorResponse(message.rawId(),
                        int(JsonRpcErrorCode::InvalidRequest), u"Invalid Request"_s,
                        QJsonObject{{u"reason"_s,
                                u"the method name cannot travel in the Mcp-Method header"_s}}));
        return;
    }
    pending.request = prepareRequest(hostRequest);
    pending.asWritten = m_hostMode != HostMode::Bridged;
    pending.version = requestVersion(pending.request);
    post(handle);
}

QJsonObject StatelessHttpEra::requestMeta(const QString &version) const
{
    // MCP 2026-07-28 basic/index "_meta": protocolVersion and clientCapabilities on every
    // request, clientInfo SHOULD; the log level is a per-request opt-in.
    QJsonObject meta{{MetaProtocolVersion, version}, {MetaClientCapabilities, m_hostCapabilities}};
    if (!m_hostInfo.isEmpty())
        meta.insert(MetaClientInfo, m_hostInfo);
    if (!m_logLevel.isEmpty())
        meta.insert(MetaLogLevel, m_logLevel);
    return meta;
}

QJsonObject StatelessHttpEra::prepareRequest(const QJsonObject &hostRequest) const
{
    if (m_hostMode != HostMode::Bridged)
        return hostRequest; // a modern host wrote its own _meta
    // The one place the proxy re-serialises a host request: the revision requires _meta
    // in the body. The host's own _meta keys (progressToken, …) stay.
    QJsonObject request = hostRequest;
    QJsonObject params = request.value("params"_L1).toObject();
    QJsonObject meta = params.value("_meta"_L1).toObject();
    const QJsonObject ours =
            requestMeta(m_wireVersion.isEmpty() ? QString::fromLatin1(EraDetection::ModernVersion)
                                                : m_wireVersion);
    for (auto it = ours.constBegin(); it != ours.constEnd(); ++it)
        meta.insert(it.key(), it.value());
    params.insert("_meta"_L1, meta);
    request.insert("params"_L1, params);
    return request;
}

QString StatelessHttpEra::requestVersion(const QJsonObject &request) const
{
    QString version = request.value("params"_L1)
                              .toObject()
                              .value("_meta"_L1)
                              .toObject()
                              .value(MetaProtocolVersion)
                              .toString();
    if (!version.isEmpty())
        return version;
    return m_wireVersion.isEmpty() ? QString::fromLatin1(EraDetection::ModernVersion)
                                   : m_wireVersion;
}

void StatelessHttpEra::startProbe(Handle handle)
{
    Pending *pending = find(handle);
    if (!pending)
        return;
    // MCP 2026-07-28 basic/versioning: a client that supports both eras MAY send a modern
    // request first; server/discover is the cheapest one, and its result answers initialize.
    const QString version = pending->version.isEmpty()
            ? QString::fromLatin1(EraDetection::ModernVersion)
            : pending->version;
    pending->version = version;
    pending->request = QJsonObject{
            {u"jsonrpc"_s, u"2.0"_s},
            {u"id"_s, QString(ProbeIdPrefix + QString::number(++m_probeCount))},
            {u"method"_s, u"server/discover"_s},
            {u"params"_s, QJsonObject{{u"_meta"_s, requestMeta(version)}}},
    };
    post(handle);
}

QNetworkRequest StatelessHttpEra::buildRequest(
        const QJsonObject &request, const QString &version) const
{
    QNetworkRequest out(m_options.url);
    out.setRawHeader("Accept", AcceptPost);
    out.setHeader(QNetworkRequest::ContentTypeHeader, "application/json"_ba);
    out.setHeader(QNetworkRequest::UserAgentHeader, m_userAgent);
    out.setAttribute(
            QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    for (const auto &[name, value] : m_options.headers)
        out.setRawHeader(name, value);
    // basic/transports/streamable-http, "Request Metadata": MCP-Protocol-Version equal to the
    // _meta version, Mcp-Method, Mcp-Name, Mcp-Param-{Name}.
    out.setRawHeader("MCP-Protocol-Version", version.toLatin1());
    const RequestHeaders metadata = m_tools.requestHeaders(
            request.value("method"_L1).toString(), request.value("params"_L1).toObject());
    for (const HttpHeaderField &field : metadata.fields())
        out.setRawHeader(field.name, field.value);
    if (!m_authorization.isEmpty())
        out.setRawHeader("Authorization", m_authorization);
    return out;
}

void StatelessHttpEra::post(Handle handle)
{
    Pending *pending = find(handle);
    if (!pending || m_ended)
        return;
    if (pending->exchange)
        pending->exchange->discard();
    QNetworkRequest request = buildRequest(pending->request, pending->version);
    if (m_options.timeoutMs > 0)
        request.setTransferTimeout(m_options.timeoutMs);
    pending->state = Pending::State::Posting;
    pending->responded = false;
    const QByteArray body = pending->asWritten ? pending->hostBody : compact(pending->request);
    qCDebug(lcTransport).noquote() << "POST" << pending->request.value("method"_L1).toString()
                                   << pending->message.rawId() << body.size() << "bytes";
    auto *exchange = new HttpExchange(
            m_connections->post(UpstreamConnections::Pool::Requests, request, body),
            HttpExchange::Body::Keep, this);
    pending->exchange = exchange;
    connect(exchange, &HttpExchange::eventsReceived, this,
            [this, handle, exchange](const QList<SseEvent> &events) {
                const Pending *current = find(handle);
                if (current && current->exchange == exchange)
                    handleEvents(handle, events);
            });
    connect(exchange, &HttpExchange::finished, this, [this, handle, exchange] {
        const Pending *current = find(handle);
        if (current && current->exchange == exchange)
            handleFinished(handle);
    });
}

void StatelessHttpEra::resend(Handle handle)
{
    Pending *pending = find(handle);
    if (!pending || pending->state != Pending::State::Waiting)
        return;
    post(handle); // after a new token: the same request, with the new Authorization
}

void StatelessHttpEra::abort(Handle handle)
{
    // Closing the response stream is the cancellation (basic/transports/streamable-http,
    // "Cancellation").
    const Pending *pending = find(handle);
    const QString hostIdKey = pending ? pending->message.idKey() : QString();
    forget(handle);
    if (!hostIdKey.isEmpty() && m_bridge.hasFlow(hostIdKey)) {
        // The host's requests asked on the server's behalf are withdrawn with it.
        const InputRequiredBridge::Step step = m_bridge.cancel(hostIdKey);
        for (const QByteArray &line : step.hostMessages)
            deliverToHost(line);
    }
}

void StatelessHttpEra::forget(Handle handle)
{
    const auto it = m_pending.find(handle);
    if (it == m_pending.end())
        return;
    const QPointer<HttpExchange> exchange = it->second.exchange;
    m_pending.erase(it);
    if (exchange)
        exchange->discard();
}

// --- replies ---

void StatelessHttpEra::handleEvents(Handle handle, const QList<SseEvent> &events)
{
    Pending *pending = nullptr;
    for (const SseEvent &event : events) {
        if (!isMessageEvent(event))
            continue;
        handleServerMessage(handle, event.data);
        pending = find(handle);
        if (!pending || pending->state != Pending::State::Posting || pending->responded)
            return;
    }
}

bool StatelessHttpEra::handleServerMessage(Handle handle, const QByteArray &bytes)
{
    Pending *pending = find(handle);
    const QJsonObject object = QJsonDocument::fromJson(bytes).object();
    const JsonRpcMessage message = JsonRpcMessage::classify(bytes);
    if (!message.isValid()) {
        qCWarning(lcTransport).noquote()
                << "dropping an upstream message that is not JSON-RPC:" << message.errorMessage();
        return false;
    }
    if (message.isNotification()) {
        deliverToHost(JsonRpcMessage::toSingleLine(bytes));
        return false;
    }
    if (message.isRequest()) {
        // A 2026-07-28 server embeds its requests in results (MRTR); it MUST NOT send any on a
        // response stream.
        qCWarning(lcTransport).noquote()
                << "dropping a server request on a response stream:" << message.method();
        return false;
    }
    const QJsonValue sentId = pending->request.value("id"_L1);
    if (JsonRpcMessage::idKey(sentId) != message.idKey())
        return false; // not the answer to this request
    if (pending->kind == Pending::Kind::Probe) {
        finishProbe(handle, pending->exchange ? pending->exchange->status() : 200, bytes);
        return true;
    }
    return handleResponse(handle, object, bytes);
}

bool StatelessHttpEra::handleResponse(
        Handle handle, const QJsonObject &response, const QByteArray &bytes)
{
    Pending *pending = find(handle);
    const QJsonObject error = response.value("error"_L1).toObject();
    const int code = error.value("code"_L1).toInt();
    if (pending->retries == 0 && code == EraDetection::UnsupportedProtocolVersion
            && m_hostMode == HostMode::Bridged) {
        // Retry once with a version the server names (basic/versioning).
        const QString version = EraDetection::chooseModernVersion(
                error.value("data"_L1).toObject().value("supported"_L1).toVariant().toStringList());
        if (!version.isEmpty()) {
            ++pending->retries;
            m_wireVersion = version;
            pending->version = version;
            // The request as last sent (a continuation keeps its inputResponses and
            // requestState) with the new version in _meta; its id stays.
            pending->request = prepareRequest(pending->request);
            post(handle);
            return true;
        }
    }
    if (code == EraDetection::HeaderMismatch && !pending->headerRetried
            && pending->request.value("method"_L1) == "tools/call"_L1) {
        relistTools(handle, error);
        return true;
    }
    const QString hostIdKey = pending->message.idKey();
    if (m_hostMode == HostMode::Bridged && response.value("result"_L1).isObject()) {
        const QJsonObject result = response.value("result"_L1).toObject();
        InputRequiredBridge::Step step;
        if (InputRequiredBridge::isInputRequired(result)) {
            // basic/patterns/mrtr: the server needs input; a host of an earlier revision gets it
            // asked as the server→client requests it knows.
            const QJsonObject hostRequest = QJsonDocument::fromJson(pending->hostBody).object();
            step = m_bridge.handleInputRequired(hostIdKey, pending->message.rawId(),
                    pending->message.method(), hostRequest.value("params"_L1).toObject(), result);
        } else if (m_bridge.hasFlow(hostIdKey)) {
            step = m_bridge.handleComplete(hostIdKey, compact(result));
        }
        if (step.kind != InputRequiredBridge::Step::Kind::Ignored) {
            pending->responded = applyBridgeStep(handle, step);
            return true;
        }
    }
    if (m_bridge.hasFlow(hostIdKey)) {
        // An error for a continuation: the host gets it under its own id.
        m_bridge.finish(hostIdKey);
        pending->responded = true;
        deliverToHost(JsonRpcMessage::errorResponse(pending->message.rawId(), code,
                error.value("message"_L1).toString(), error.value("data"_L1)));
        return true;
    }
    pending->responded = true;
    const QString method = pending->message.method();
    QByteArray line;
    if (method == "tools/list"_L1 && response.value("result"_L1).isObject()) {
        const bool firstPage =
                !pending->request.value("params"_L1).toObject().contains("cursor"_L1);
        line = filterToolsList(response, bytes, firstPage);
    } else {
        line = JsonRpcMessage::toSingleLine(bytes);
    }
    deliverToHost(withHostId(line, pending->request.value("id"_L1), pending->message));
    return true;
}

QByteArray StatelessHttpEra::filterToolsList(
        const QJsonObject &response, const QByteArray &bytes, bool firstPage)
{
    // basic/transports/streamable-http, "Custom Headers from Tool Parameters": tools whose
    // x-mcp-header declarations are invalid MUST be excluded from tools/list.
    const ToolHeaderCatalogue::Page page =
            m_tools.acceptToolsListPage(response.value("result"_L1).toObject(), firstPage);
    warnAboutRejectedTools(page);
    if (!page.changed)
        return JsonRpcMessage::toSingleLine(bytes);
    QJsonObject filtered = response;
    filtered.insert("result"_L1, page.result);
    return compact(filtered);
}

void StatelessHttpEra::handleFinished(Handle handle)
{
    Pending *pending = find(handle);
    HttpExchange *exchange = pending->exchange;
    const int status = exchange->status();
    const QNetworkReply::NetworkError error = exchange->error();

    if (exchange->isEventStream()) {
        for (const SseEvent &event : exchange->finishEvents()) {
            if (!isMessageEvent(event))
                continue;
            handleServerMessage(handle, event.data);
            pending = find(handle);
            if (!pending || pending->state != Pending::State::Posting || pending->responded)
                break;
        }
        pending = find(handle);
        if (!pending || pending->state != Pending::State::Posting)
            return;
        if (pending->exchange != exchange)
            return; // re-sent
        if (pending->responded) {
            succeed(handle, status);
            return;
        }
        if (error == QNetworkReply::OperationCanceledError
                || error == QNetworkReply::TimeoutError) {
            fail(handle, exchangeError(*exchange, m_options.timeoutMs));
            return;
        }
        // Streams are not resumable in this revision: the request is lost with its stream.
        if (!reissue(handle))
            fail(handle, brokenResponseError());
        return;
    }
    if (status == 0 || (!exchange->headersSeen() && error != QNetworkReply::NoError)) {
        fail(handle, exchangeError(*exchange, m_options.timeoutMs));
        return;
    }
    const QByteArray challenge = exchange->rawHeader("WWW-Authenticate");
    // RFC 6750 section 3.1: only insufficient_scope asks for a step-up.
    if (status == 401 || (status == 403 && challenge.toLower().contains("insufficient_scope"))) {
        pending->state = Pending::State::Waiting;
        listener()->authorizationChallenged(handle, challenge, status);
        return;
    }
    QByteArray body = exchange->takeBody();
    if (pending->kind == Pending::Kind::Probe) {
        finishProbe(handle, status, body);
        return;
    }
    const bool isJsonRpc = JsonRpcMessage::classify(body).isResponse();
    if (isJsonRpc) {
        // Modern servers answer errors with 4xx and a JSON-RPC error body (404 + -32601 for an
        // unknown method; 400 for version and header errors): the host gets that answer.
        handleServerMessage(handle, body);
        pending = find(handle);
        if (!pending || pending->exchange != exchange || pending->state != Pending::State::Posting)
            return;
        if (pending->responded) {
            succeed(handle, status);
            return;
        }
    }
    if (isSuccess(status) && error != QNetworkReply::NoError
            && error != QNetworkReply::OperationCanceledError
            && error != QNetworkReply::TimeoutError) {
        // A JSON body that broke off is lost like a broken stream.
        if (!reissue(handle))
            fail(handle, brokenResponseError());
        return;
    }
    if (isSuccess(status)) {
        fail(handle,
                TransportError::invalidResponse(
                        QStringLiteral("upstream answered HTTP %1 without a JSON-RPC response")
                                .arg(status)));
        return;
    }
    fail(handle, TransportError::upstreamStatus(status, body));
}

bool StatelessHttpEra::reissue(Handle handle)
{
    Pending *pending = find(handle);
    if (!pending || m_ended || pending->reissues >= MaxReissues)
        return false;
    const int attempt = ++pending->reissues;
    const int delayMs = m_options.reissueDelayMs << (attempt - 1);
    const QString what = pending->request.value("method"_L1).toString() + u' '
            + QString::fromUtf8(pending->message.rawId());
    const QString note = QStringLiteral("the response to %1 broke off before the final response; "
                                        "re-issuing it under a new id in %2 ms (%3 of %4)")
                                 .arg(what)
                                 .arg(delayMs)
                                 .arg(attempt)
                                 .arg(MaxReissues);
    qCInfo(lcTransport).noquote() << note;
    pending->state = Pending::State::Reissuing;
    if (pending->exchange)
        pending->exchange->discard();
    QTimer::singleShot(delayMs, this, [this, handle, attempt] {
        Pending *waiting = find(handle);
        if (!waiting || waiting->state != Pending::State::Reissuing || waiting->reissues != attempt)
            return; // answered, aborted or failed meanwhile
        waiting->request.insert(
                "id"_L1, QString(ReissueIdPrefix + QString::number(++m_ownIdCount)));
        waiting->asWritten = false; // the body carries the new id
        post(handle);
    });
    return true;
}

void StatelessHttpEra::relistTools(Handle handle, const QJsonObject &error)
{
    Pending *pending = find(handle);
    pending->headerRetried = true;
    pending->mismatchAnswer =
            JsonRpcMessage::errorResponse(pending->message.rawId(), error.value("code"_L1).toInt(),
                    error.value("message"_L1).toString(), error.value("data"_L1));
    pending->state = Pending::State::Relisting;
    if (pending->exchange)
        pending->exchange->discard();
    qCInfo(lcTransport).noquote() << "upstream refused the headers of tools/call"
                                  << pending->message.rawId()
                                  << "(-32020); listing the tools again before one corrected retry";
    m_relisting.waiters.append(handle);
    if (m_relisting.exchange)
        return; // a re-listing runs: its outcome serves this call too
    m_relisting.version = pending->version;
    m_relisting.pages = 0;
    postToolsListPage(QString());
}

void StatelessHttpEra::postToolsListPage(const QString &cursor)
{
    m_relisting.cursor = cursor;
    m_relisting.answer = QJsonObject();
    m_relisting.requestId = ToolsListIdPrefix + QString::number(++m_ownIdCount);
    QJsonObject params{{u"_meta"_s, requestMeta(m_relisting.version)}};
    if (!cursor.isEmpty())
        params.insert(u"cursor"_s, cursor);
    const QJsonObject request{
            {u"jsonrpc"_s, u"2.0"_s},
            {u"id"_s, m_relisting.requestId},
            {u"method"_s, u"tools/list"_s},
            {u"params"_s, params},
    };
    QNetworkRequest httpRequest = buildRequest(request, m_relisting.version);
    if (m_options.timeoutMs > 0)
        httpRequest.setTransferTimeout(m_options.timeoutMs);
    auto *exchange = new HttpExchange(
            m_connections->post(UpstreamConnections::Pool::Requests, httpRequest, compact(request)),
            HttpExchange::Body::Keep, this);
    m_relisting.exchange = exchange;
    connect(exchange, &HttpExchange::eventsReceived, this,
            [this, exchange](const QList<SseEvent> &events) {
                if (m_relisting.exchange != exchange)
                    return;
                for (const SseEvent &event : events) {
                    if (isMessageEvent(event))
                        keepToolsListAnswer(event.data);
                }
            });
    connect(exchange, &HttpExchange::finished, this, [this, exchange] {
        if (m_relisting.exchange == exchange)
            handleToolsListPage();
    });
}

void StatelessHttpEra::keepToolsListAnswer(const QByteArray &bytes)
{
    const QJsonObject message = QJsonDocument::fromJson(bytes).object();
    if (JsonRpcMessage::idKey(message.value("id"_L1))
                    == JsonRpcMessage::idKey(m_relisting.requestId)
            && (message.contains("result"_L1) || message.contains("error"_L1)))
        m_relisting.answer = message;
}

void StatelessHttpEra::handleToolsListPage()
{
    HttpExchange *exchange = m_relisting.exchange;
    if (exchange->isEventStream()) {
        for (const SseEvent &event : exchange->finishEvents()) {
            if (isMessageEvent(event))
                keepToolsListAnswer(event.data);
        }
    } else {
        keepToolsListAnswer(exchange->body());
    }
    const int status = exchange->status();
    m_relisting.exchange = nullptr;
    exchange->discard();
    const QJsonValue result = m_relisting.answer.value("result"_L1);
    if (!result.isObject()) {
        qCInfo(lcTransport) << "listing the tools again failed (HTTP" << status
                            << "); the host gets the server's -32020";
        finishRelisting(false);
        return;
    }
    const ToolHeaderCatalogue::Page page =
            m_tools.acceptToolsListPage(result.toObject(), m_relisting.cursor.isEmpty());
    warnAboutRejectedTools(page);
    const QString next = result.toObject().value("nextCursor"_L1).toString();
    if (!next.isEmpty() && ++m_relisting.pages < MaxRelistPages) {
        postToolsListPage(next);
        return;
    }
    finishRelisting(true);
}

void StatelessHttpEra::finishRelisting(bool listed)
{
    const QList<Handle> waiters = std::exchange(m_relisting.waiters, {});
    if (listed && m_hostMode == HostMode::Bridged) {
        // The server refused a call the host built from its own tools/list: that list is stale
        // too. A bridged host speaks 2025-11-25 or older, where list_changed is how a server says
        // so (server/tools "List Changed Notification"). A modern host gets no such notification:
        // it receives only what its subscriptions/listen asked for (basic/patterns/subscriptions).
        deliverToHost(listChangedNotification(ListKind::Tools));
    }
    for (const Handle handle : waiters) {
        Pending *pending = find(handle);
        if (!pending || pending->state != Pending::State::Relisting)
            continue; // aborted meanwhile
        const QString tool =
                pending->request.value("params"_L1).toObject().value("name"_L1).toString();
        if (listed && m_tools.toolState(tool) == ToolHeaderCatalogue::ToolState::Listed) {
            post(handle); // the same request; buildRequest() applies the new declarations
            continue;
        }
        // No corrected header set exists (the listing failed, or the tool is gone or invalid
        // now): the host gets the server's answer.
        if (m_bridge.hasFlow(pending->message.idKey()))
            m_bridge.finish(pending->message.idKey());
        pending->responded = true;
        deliverToHost(pending->mismatchAnswer);
        if (find(handle))
            succeed(handle, 400);
    }
}

void StatelessHttpEra::finishProbe(Handle handle, int httpStatus, const QByteArray &answer)
{
    Pending *pending = find(handle);
    const EraDetection::Verdict verdict =
            EraDetection::classifyDiscoverAnswer(httpStatus, answer, pending->version);
    switch (verdict.kind) {
    case EraDetection::Verdict::Kind::Modern: {
        m_wireVersion = verdict.version;
        m_discover = verdict.discover;
        m_hostMode = HostMode::Bridged;
        qCInfo(lcTransport).noquote()
                << "upstream speaks MCP" << m_wireVersion << "(stateless); bridging the host";
        Q_EMIT modernServerDetected();
        pending = find(handle);
        if (!pending)
            return;
        const QJsonObject hostRequest = QJsonDocument::fromJson(pending->hostBody).object();
        const QString hostVersion =
                hostRequest.value("params"_L1).toObject().value("protocolVersion"_L1).toString();
        pending->responded = true;
        const QByteArray line = resultLine(pending->message.rawId(),
                EraDetection::initializeResultFor(m_discover, hostVersion));
        deliverToHost(line);
        if (find(handle))
            succeed(handle, httpStatus);
        return;
    }
    case EraDetection::Verdict::Kind::Retry:
        if (pending->retries == 0) {
            ++pending->retries;
            pending->version = verdict.version;
            startProbe(handle);
            return;
        }
        break;
    case EraDetection::Verdict::Kind::Legacy:
        break;
    }
    const QString reason = verdict.reason.isEmpty()
            ? u"server/discover was rejected again after a corrected retry"_s
            : verdict.reason;
    if (m_options.detection == Detection::FallBack) {
        qCInfo(lcTransport).noquote()
                << "upstream is not a 2026-07-28 server (" << reason << "); using initialize";
        const QByteArray body = pending->hostBody;
        const JsonRpcMessage message = pending->message;
        forget(handle);
        m_hostMode = HostMode::Unknown;
        Q_EMIT legacyServerDetected(handle, body, message);
        return;
    }
    fail(handle,
            TransportError::invalidResponse(
                    u"upstream did not answer server/discover as an MCP 2026-07-28 server ("_s
                            + reason
                            + u"); set upstream.protocol to auto or legacy for older servers"_s,
                    u"ProtocolMismatch"_s));
}

StatelessHttpEra::Handle StatelessHttpEra::handleOf(const QString &hostIdKey) const
{
    for (const auto &[handle, pending] : m_pending) {
        if (pending.kind == Pending::Kind::Request && pending.message.idKey() == hostIdKey)
            return handle;
    }
    return 0;
}

bool StatelessHttpEra::applyBridgeStep(Handle handle, const InputRequiredBridge::Step &step)
{
    using Kind = InputRequiredBridge::Step::Kind;
    const QString hostIdKey = find(handle) ? find(handle)->message.idKey() : QString();
    for (const QByteArray &line : step.hostMessages) {
        const JsonRpcMessage message = JsonRpcMessage::classify(line);
        if (message.isRequest())
            m_bridgeRequests.insert(message.idKey(), hostIdKey); // its answer continues this flow
        deliverToHost(line);
    }
    Pending *pending = find(handle);
    if (!pending)
        return false;
    switch (step.kind) {
    case Kind::AwaitHost: {
        // The leg's answer is in: its stream may close; the host's answers continue the request.
        pending->state = Pending::State::AwaitingHost;
        if (pending->exchange)
            pending->exchange->discard();
        // Never left unanswered: a host that does not answer within upstream.timeoutMs fails
        // the request (and its questions are withdrawn).
        const int generation = ++pending->hostWaits;
        if (m_options.timeoutMs > 0) {
            QTimer::singleShot(m_options.timeoutMs, this, [this, handle, generation] {
                const Pending *waiting = find(handle);
                if (!waiting || waiting->state != Pending::State::AwaitingHost
                        || waiting->hostWaits != generation)
                    return;
                const InputRequiredBridge::Step abandoned =
                        m_bridge.abandon(waiting->message.idKey(),
                                QStringLiteral("the host did not answer the server's request "
                                               "within %1 ms")
                                        .arg(m_options.timeoutMs));
                for (const QByteArray &line : abandoned.hostMessages)
                    deliverToHost(line);
                if (find(handle))
                    succeed(handle, 200);
            });
        }
        return false;
    }
    case Kind::Continue:
        // The continuation: the original request with inputResponses and requestState under a
        // new id, with this revision's _meta.
        pending->request = prepareRequest(step.continuation);
        pending->retries = 0;
        post(handle);
        return false;
    case Kind::Fail:
    case Kind::Complete:
        return true;
    case Kind::Cancelled:
    case Kind::Ignored:
        break;
    }
    return false;
}

void StatelessHttpEra::handleHostResponse(Handle handle, const QByteArray &body)
{
    // The host answers a request the bridge asked on a server's behalf; such answers never go
    // upstream (the client MUST NOT send JSON-RPC responses).
    const QJsonObject response = QJsonDocument::fromJson(body).object();
    const QJsonValue id = response.value("id"_L1);
    const QString flowKey = m_bridgeRequests.take(JsonRpcMessage::idKey(id));
    if (m_bridge.ownsResponseId(id)) {
        const InputRequiredBridge::Step step = m_bridge.handleHostResponse(response);
        const Handle owner = handleOf(flowKey);
        if (owner != 0 && step.kind != InputRequiredBridge::Step::Kind::Ignored
                && applyBridgeStep(owner, step)) {
            succeed(owner, 200);
        }
    } else {
        qCDebug(lcTransport) << "dropping a host response nobody upstream waits for";
    }
    answerLocally(handle, QByteArray());
}

void StatelessHttpEra::answerLocally(Handle handle, const QByteArray &line)
{
    // Reported from the event loop, never from inside send().
    QMetaObject::invokeMethod(
            this,
            [this, handle, line] {
                Pending *pending = find(handle);
                if (!pending || pending->kind != Pending::Kind::Local)
                    return;
                if (!line.isEmpty())
                    deliverToHost(line);
                if (find(handle))
                    succeed(handle, line.isEmpty() ? 202 : 200);
            },
            Qt::QueuedConnection);
}

void StatelessHttpEra::deliverToHost(const QByteArray &line)
{
    listener()->serverMessageReceived(line, JsonRpcMessage::classify(line));
}

void StatelessHttpEra::succeed(Handle handle, int httpStatus)
{
    forget(handle);
    listener()->messageDelivered(handle, httpStatus);
}

void StatelessHttpEra::fail(Handle handle, const TransportError &error)
{
    if (const Pending *pending = find(handle);
            pending && m_bridge.hasFlow(pending->message.idKey()))
        m_bridge.finish(pending->message.idKey());
    forget(handle);
    listener()->messageFailed(handle, error);
}

// --- subscriptions/listen: the server's change notifications ---

void StatelessHttpEra::openServerStream()
{
    if (!m_options.openServerStream || m_ended || m_hostMode != HostMode::Bridged)
        return;
    m_listenWanted = true;
    m_listenBackoffMs = 0;
    if (!m_listen && !m_listenTimer.isActive())
        startListening();
}

void StatelessHttpEra::closeServerStream()
{
    m_listenWanted = false;
    m_listenTimer.stop();
    if (m_listen)
        m_listen->discard();
}

void StatelessHttpEra::restartListening()
{
    if (!m_listenWanted)
        return;
    if (m_listen)
        m_listen->discard();
    m_listenTimer.stop();
    startListening();
}

void StatelessHttpEra::startListening()
{
    if (!m_listenWanted || m_ended)
        return;
    // basic/patterns/subscriptions: the client opts in to each notification type; only those
    // the server's capabilities announce are asked for.
    const QJsonObject capabilities = m_discover.value("capabilities"_L1).toObject();
    QJsonObject filter;
    if (declaresListChanged(capabilities, ListKind::Tools))
        filter.insert("toolsListChanged"_L1, true);
    if (declaresListChanged(capabilities, ListKind::Prompts))
        filter.insert("promptsListChanged"_L1, true);
    if (declaresListChanged(capabilities, ListKind::Resources))
        filter.insert("resourcesListChanged"_L1, true);
    if (!m_resourceSubscriptions.isEmpty())
        filter.insert(
                "resourceSubscriptions"_L1, QJsonArray::fromStringList(m_resourceSubscriptions));
    if (filter.isEmpty())
        return; // nothing the server would send
    const QJsonObject request{
            {u"jsonrpc"_s, u"2.0"_s},
            {u"id"_s, QString(ListenIdPrefix + QString::number(++m_listenCount))},
            {u"method"_s, u"subscriptions/listen"_s},
            {u"params"_s,
                    QJsonObject{{u"_meta"_s, requestMeta(m_wireVersion)},
                            {u"notifications"_s, filter}}},
    };
    auto *exchange =
            new HttpExchange(m_connections->post(UpstreamConnections::Pool::Streams,
                                     buildRequest(request, m_wireVersion), compact(request)),
                    HttpExchange::Body::Keep, this);
    m_listen = exchange;
    connect(exchange, &HttpExchange::eventsReceived, this,
            [this, exchange](const QList<SseEvent> &events) {
                if (m_listen == exchange)
                    handleListenEvents(events);
            });
    connect(exchange, &HttpExchange::finished, this, [this, exchange] {
        if (m_listen == exchange)
            handleListenFinished();
    });
}

void StatelessHttpEra::handleListenEvents(const QList<SseEvent> &events)
{
    for (const SseEvent &event : events) {
        if (!isMessageEvent(event))
            continue;
        m_listenBackoffMs = 0; // the stream works
        const JsonRpcMessage message = JsonRpcMessage::classify(event.data);
        if (!message.isNotification()
                || message.method() == "notifications/subscriptions/acknowledged"_L1)
            continue; // ours alone; the host never asked for a subscription
        if (message.method() == "notifications/tools/list_changed"_L1)
            m_tools.reset(); // the next tools/list fills it again
        deliverToHost(JsonRpcMessage::toSingleLine(event.data));
        if (!m_listen)
            return;
    }
}

void StatelessHttpEra::handleListenFinished()
{
    HttpExchange *exchange = m_listen;
    const int status = exchange->status();
    const QByteArray challenge = exchange->rawHeader("WWW-Authenticate");
    if (exchange->isEventStream())
        handleListenEvents(exchange->finishEvents());
    if (m_listen != exchange)
        return;
    m_listen = nullptr;
    exchange->discard();
    if (status == 401) {
        if (listener()->serverStreamChallenged(challenge))
            return; // openServerStream() follows the new token
        m_listenWanted = false;
        return;
    }
    if (status >= 400 && status < 500) {
        qCInfo(lcTransport) << "subscriptions/listen refused with HTTP" << status
                            << "; no change notifications";
        m_listenWanted = false;
        return;
    }
    scheduleListen();
}

void StatelessHttpEra::scheduleListen()
{
    if (!m_listenWanted || m_ended)
        return;
    m_listenBackoffMs = m_listenBackoffMs == 0
            ? m_options.listenRetryMs
            : qMin(m_listenBackoffMs * 2, m_options.maxBackoffMs);
    m_listenTimer.start(m_listenBackoffMs);
}

void StatelessHttpEra::endSession()
{
    // No session to end in this revision.
    m_ended = true;
    closeServerStream();
    QMetaObject::invokeMethod(
            this, [this] { listener()->sessionEnded(); }, Qt::QueuedConnection);
}

} // namespace McpProxy
