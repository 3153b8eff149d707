#include "support/fakemcpserver.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QUuid>

#include <cmath>
#include <utility>

using namespace Qt::StringLiterals;

namespace McpProxy::Test {

namespace {

constexpr QByteArrayView SessionHeader = "Mcp-Session-Id";
constexpr QByteArrayView ProtocolVersionHeader = "MCP-Protocol-Version";
const QByteArray JsonType = "application/json"_ba;
const QByteArray SseType = "text/event-stream"_ba;
const QByteArray LatestVersion = "2025-11-25"_ba;

bool isSupportedVersion(const QByteArray &version)
{
    return version == "2025-03-26" || version == "2025-06-18" || version == LatestVersion;
}

QByteArray compact(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QJsonObject response(const QJsonValue &id, const QJsonObject &result)
{
    return {{u"jsonrpc"_s, u"2.0"_s}, {u"id"_s, id}, {u"result"_s, result}};
}

QJsonObject errorResponse(const QJsonValue &id, int code, const QString &message)
{
    return {{u"jsonrpc"_s, u"2.0"_s}, {u"id"_s, id},
            {u"error"_s, QJsonObject{{u"code"_s, code}, {u"message"_s, message}}}};
}

QJsonObject notification(const QString &method, const QJsonObject &params)
{
    return {{u"jsonrpc"_s, u"2.0"_s}, {u"method"_s, method}, {u"params"_s, params}};
}

QJsonObject tool(const QString &name, const QString &description, const QJsonObject &properties)
{
    return {{u"name"_s, name}, {u"description"_s, description},
            {u"inputSchema"_s,
                    QJsonObject{{u"type"_s, u"object"_s}, {u"properties"_s, properties}}}};
}

QJsonObject typed(const QString &type)
{
    return {{u"type"_s, type}};
}

QByteArray eventId(int stream, qsizetype sequence)
{
    return QByteArray::number(stream) + '-' + QByteArray::number(sequence);
}

} // namespace

FakeMcpServer::FakeMcpServer(QObject *parent)
    : QObject(parent)
{
    m_sessions.insert(QByteArray(), Session{LatestVersion, 0});
    m_http.setHandler([this](const FakeHttpRequest &request, FakeHttpResponder *responder) {
        if (m_delayHeadersMs <= 0)
            return handle(request, responder);
        QTimer::singleShot(m_delayHeadersMs, responder,
                [this, request, responder] { handle(request, responder); });
    });
    connect(&m_heartbeat, &QTimer::timeout, this, &FakeMcpServer::writeHeartbeat);
}

FakeMcpServer::~FakeMcpServer() = default;

bool FakeMcpServer::listen(quint16 port, const QByteArray &path)
{
    m_path = path;
    return m_http.listen(port);
}

QUrl FakeMcpServer::url() const
{
    return m_http.url(QString::fromLatin1(m_path));
}

void FakeMcpServer::expireSession()
{
    const QList<QByteArray> ids = m_sessions.keys();
    for (const QByteArray &id : ids) {
        if (id.isEmpty())
            continue;
        closeStandaloneStream(id);
        m_sessions.remove(id);
    }
}

void FakeMcpServer::failStatus(const QString &method, int status, const QByteArray &body, int times)
{
    if (times == 0)
        m_failures.remove(method);
    else
        m_failures.insert(method, Failure{status, body, times});
}

void FakeMcpServer::requireHeader(
        const QByteArray &name, const QByteArray &value, const QByteArray &challenge)
{
    m_requiredHeaders.append(RequiredHeader{name, value, challenge});
}

void FakeMcpServer::setHeartbeatMs(int intervalMs)
{
    if (intervalMs > 0)
        m_heartbeat.start(intervalMs);
    else
        m_heartbeat.stop();
}

void FakeMcpServer::setRecording(bool record)
{
    m_recording = record;
    m_http.setRecordRequests(record);
}

void FakeMcpServer::sendStandaloneMessage(const QJsonObject &message)
{
    sendStandalone(m_sessionsEnabled ? m_lastSessionId : QByteArray(), message);
}

void FakeMcpServer::sendStandalone(const QByteArray &sessionId, const QJsonObject &message)
{
    const auto session = m_sessions.find(sessionId);
    if (session == m_sessions.end())
        return; // ended or expired
    if (session->standaloneStream == 0) {
        session->standaloneStream = ++m_nextStream;
        EventStream &stream = m_streams[session->standaloneStream];
        stream.session = sessionId;
        stream.standalone = true;
    }
    pushEvent(session->standaloneStream, message, false);
}

int FakeMcpServer::openGetStreamCount() const
{
    int count = 0;
    for (const EventStream &stream : m_streams)
        count += stream.standalone && stream.live ? 1 : 0;
    return count;
}

void FakeMcpServer::handle(const FakeHttpRequest &request, FakeHttpResponder *responder)
{
    if (m_requestFilter && m_requestFilter(request, responder))
        return;
    if (request.path() != m_path)
        return respond(responder, {}, 404);
    for (const RequiredHeader &required : std::as_const(m_requiredHeaders)) {
        if (request.header(required.name) != required.value)
            return respond(responder, {}, 401, {{"WWW-Authenticate"_ba, required.challenge}});
    }
    if (request.method == "POST")
        return handlePost(request, responder);
    if (request.method == "GET")
        return handleGet(request, responder);
    if (request.method == "DELETE")
        return handleDelete(request, responder);
    respond(responder, {}, 405, {{"Allow"_ba, "GET, POST, DELETE"_ba}});
}

void FakeMcpServer::handlePost(const FakeHttpRequest &request, FakeHttpResponder *responder)
{
    ++m_postCount;
    const QByteArray accept = request.header("Accept");
    if (!accept.contains(JsonType) || !accept.contains(SseType))
        return respond(responder, {}, 406);
    if (!request.header("Content-Type").startsWith(JsonType))
        return respond(responder, {}, 415);
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(request.body, &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isObject())
        return respondError(responder, {}, 400, document.isArray() ? -32600 : -32700,
                document.isArray() ? u"Batches are not supported"_s : u"Parse error"_s);

    const QJsonObject message = document.object();
    if (m_recording)
        m_messages.append(message);
    Q_EMIT messageReceived(message);
    const QString method = message.value(u"method"_s).toString();
    const bool isRequest = !method.isEmpty() && message.contains(u"id"_s);
    QByteArray summary = method.isEmpty() ? "response"_ba : method.toUtf8();
    const QString toolName = message.value(u"params"_s)[u"name"_s].toString();
    if (method == u"tools/call")
        summary += ' ' + toolName.toUtf8();

    if (const auto failure = m_failures.find(method); failure != m_failures.end()) {
        const FakeHttpHeaders headers{
                {"Content-Type"_ba, failure->body.startsWith('{') ? JsonType : "text/plain"_ba}};
        const int status = failure->status;
        const QByteArray body = failure->body;
        if (failure->remaining > 0 && --failure->remaining == 0)
            m_failures.erase(failure);
        return respond(responder, summary, status, headers, body);
    }

    Call call;
    call.responder = responder;
    call.id = message.value(u"id"_s);
    call.summary = summary;
    call.params = message.value(u"params"_s).toObject();
    if (isRequest && method == u"initialize") {
        ++m_initializeCount;
        const QByteArray requested = call.params.value(u"protocolVersion"_s).toString().toUtf8();
        call.protocolVersion = isSupportedVersion(requested) ? requested : LatestVersion;
        if (m_sessionsEnabled) {
            call.session = QUuid::createUuid().toByteArray(QUuid::WithoutBraces);
            call.newSession = true;
            m_lastSessionId = call.session;
        }
        m_sessions[call.session].protocolVersion = call.protocolVersion;
    } else if (!checkSession(request, responder, summary, &call.session)) {
        return;
    }

    if (request.hasHeader(ProtocolVersionHeader)) {
        m_lastProtocolVersion = request.header(ProtocolVersionHeader);
        if (!isSupportedVersion(m_lastProtocolVersion))
            return respondError(responder, summary, 400, -32600, u"Unsupported protocol version"_s);
        if (!call.newSession)
            call.protocolVersion = m_lastProtocolVersion;
    } else if (call.protocolVersion.isEmpty()) {
        call.protocolVersion = m_sessions.value(call.session).protocolVersion;
    }

    if (!isRequest) {
        if (method.isEmpty())
            handleClientResponse(message);
        else
            handleNotification(message);
        return respond(responder, summary, 202);
    }
    if (m_stallAfterHeaders) {
        responder->beginStream(200, {{"Content-Type"_ba, SseType}});
        return logExchange(responder, summary, 200, SseType);
    }
    const bool alwaysSse =
            method == u"tools/call" && (toolName == u"progress" || toolName == u"sample");
    if (m_useSse || alwaysSse) {
        FakeHttpHeaders headers;
        if (call.newSession)
            headers.append({SessionHeader.toByteArray(), call.session});
        call.stream = openStream(responder, summary, call.session, call.protocolVersion, headers);
    }
    handleRequest(std::move(call), method);
}

bool FakeMcpServer::checkSession(const FakeHttpRequest &request, FakeHttpResponder *responder,
        const QByteArray &summary, QByteArray *session)
{
    if (!m_sessionsEnabled)
        return true;
    if (!request.hasHeader(SessionHeader)) {
        respondError(responder, summary, 400, -32600, u"Missing Mcp-Session-Id"_s);
        return false;
    }
    *session = request.header(SessionHeader);
    if (session->isEmpty() || !m_sessions.contains(*session)) {
        respondError(responder, summary, 404, -32001, u"Session not found"_s);
        return false;
    }
    return true;
}

void FakeMcpServer::handleRequest(Call call, const QString &method)
{
    if (method == u"initialize") {
        const QJsonObject result{{u"protocolVersion"_s, QString::fromLatin1(call.protocolVersion)},
                {u"capabilities"_s,
                        QJsonObject{
                                {u"tools"_s, QJsonObject{{u"listChanged"_s, m_toolsListChanged}}},
                                {u"logging"_s, QJsonObject()}}},
                {u"serverInfo"_s,
                        QJsonObject{
                                {u"name"_s, u"fake-mcp-server"_s}, {u"version"_s, u"1.0.0"_s}}}};
        return complete(call, response(call.id, result));
    }
    if (method == u"ping" || method == u"logging/setLevel")
        return complete(call, response(call.id, {}));
    if (method == u"tools/list") {
        const QJsonArray tools{
                tool(u"echo"_s, u"Returns the text"_s, {{u"text"_s, typed(u"string"_s)}}),
                tool(u"add"_s, u"Adds two numbers"_s,
                        {{u"a"_s, typed(u"number"_s)}, {u"b"_s, typed(u"number"_s)}}),
                tool(u"slow"_s, u"Answers after ms milliseconds"_s,
                        {{u"ms"_s, typed(u"integer"_s)}}),
                tool(u"progress"_s, u"Sends progress notifications"_s,
                        {{u"steps"_s, typed(u"integer"_s)},
                                {u"intervalMs"_s, typed(u"integer"_s)}}),
                tool(u"big"_s, u"Returns a text of the given size"_s,
                        {{u"bytes"_s, typed(u"integer"_s)}}),
                tool(u"sample"_s, u"Asks the client to sample"_s,
                        {{u"prompt"_s, typed(u"string"_s)}}),
                tool(u"notify"_s, u"Logs on the standalone stream"_s,
                        {{u"text"_s, typed(u"string"_s)}})};
        return complete(call, response(call.id, {{u"tools"_s, tools}}));
    }
    if (method == u"tools/call")
        return callTool(std::move(call));
    complete(call, errorResponse(call.id, -32601, u"Method not found: "_s + method));
}

void FakeMcpServer::callTool(Call call)
{
    const QString name = call.params.value(u"name"_s).toString();
    const QJsonObject arguments = call.params.value(u"arguments"_s).toObject();
    if (name == u"echo") {
        const QJsonValue text = arguments.value(u"text"_s);
        return completeTool(
                call, text.isString() ? text.toString() : QString::fromUtf8(compact(arguments)));
    }
    if (name == u"add") {
        const double sum = arguments.value(u"a"_s).toDouble() + arguments.value(u"b"_s).toDouble();
        const bool integral = std::floor(sum) == sum && std::abs(sum) < 1e15;
        return completeTool(
                call, integral ? QString::number(qint64(sum)) : QString::number(sum, 'g', 17));
    }
    if (name == u"slow") {
        const int ms = arguments.value(u"ms"_s).toInt(1000);
        QTimer::singleShot(ms, this, [this, call, ms] {
            if (!abandonIfCancelled(call))
                completeTool(call, u"slept %1 ms"_s.arg(ms));
        });
        return;
    }
    if (name == u"progress") {
        const int steps = arguments.value(u"steps"_s).toInt(3);
        const int intervalMs = arguments.value(u"intervalMs"_s).toInt(10);
        QTimer::singleShot(0, this,
                [this, call, steps, intervalMs] { progressStep(call, 0, steps, intervalMs); });
        return;
    }
    if (name == u"big") {
        const int bytes = qMax(0, arguments.value(u"bytes"_s).toInt(1024 * 1024));
        const QByteArray text =
                "abcdefghijklmnopqrstuvwxyz"_ba.repeated(bytes / 26 + 1).left(bytes);
        return completeTool(call, QString::fromLatin1(text));
    }
    if (name == u"sample") {
        const QString requestId = u"srv-%1"_s.arg(++m_nextClientRequest);
        const QString prompt = arguments.value(u"prompt"_s).toString(u"Say hello"_s);
        const QJsonObject content{{u"type"_s, u"text"_s}, {u"text"_s, prompt}};
        const QJsonObject params{
                {u"messages"_s,
                        QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, content}}}},
                {u"maxTokens"_s, 100}};
        m_awaitingClient.insert(requestId, call);
        return sendToClient(call,
                {{u"jsonrpc"_s, u"2.0"_s}, {u"id"_s, requestId},
                        {u"method"_s, u"sampling/createMessage"_s}, {u"params"_s, params}});
    }
    if (name == u"notify") {
        const QJsonValue text = arguments.value(u"text"_s);
        sendStandalone(call.session,
                notification(u"notifications/message"_s,
                        {{u"level"_s, u"info"_s}, {u"logger"_s, u"fake-mcp-server"_s},
                                {u"data"_s, text.isString() ? text : QJsonValue(u"notify"_s)}}));
        return completeTool(call, u"ok"_s);
    }
    complete(call, errorResponse(call.id, -32602, u"Unknown tool: "_s + name));
}

void FakeMcpServer::progressStep(const Call &call, int done, int steps, int intervalMs)
{
    if (abandonIfCancelled(call))
        return;
    if (done >= steps)
        return completeTool(call, u"done %1 steps"_s.arg(steps));
    const QJsonValue token = call.params.value(u"_meta"_s)[u"progressToken"_s];
    if (token.isString() || token.isDouble()) {
        sendToClient(call,
                notification(u"notifications/progress"_s,
                        {{u"progressToken"_s, token}, {u"progress"_s, done + 1},
                                {u"total"_s, steps}, {u"message"_s, u"step %1"_s.arg(done + 1)}}));
    }
    QTimer::singleShot(intervalMs, this, [this, call, done, steps, intervalMs] {
        progressStep(call, done + 1, steps, intervalMs);
    });
}

void FakeMcpServer::handleNotification(const QJsonObject &message)
{
    if (message.value(u"method"_s).toString() == u"notifications/cancelled")
        m_cancelled.append(message.value(u"params"_s)[u"requestId"_s]);
}

void FakeMcpServer::handleClientResponse(const QJsonObject &message)
{
    const auto waiting = m_awaitingClient.find(message.value(u"id"_s).toString());
    if (waiting == m_awaitingClient.end())
        return;
    const Call call = *waiting;
    m_awaitingClient.erase(waiting);
    if (abandonIfCancelled(call))
        return;
    if (message.contains(u"error"_s))
        return completeTool(call, message.value(u"error"_s)[u"message"_s].toString(), true);
    completeTool(
            call, u"sampled: "_s + message.value(u"result"_s)[u"content"_s][u"text"_s].toString());
}

void FakeMcpServer::handleGet(const FakeHttpRequest &request, FakeHttpResponder *responder)
{
    ++m_getCount;
    if (!request.header("Accept").contains(SseType))
        return respond(responder, {}, 406);
    QByteArray session;
    if (!checkSession(request, responder, {}, &session))
        return;
    const QByteArray version = request.hasHeader(ProtocolVersionHeader)
            ? request.header(ProtocolVersionHeader)
            : m_sessions.value(session).protocolVersion;

    if (request.hasHeader("Last-Event-ID")) {
        m_lastEventId = request.header("Last-Event-ID");
        const qsizetype dash = m_lastEventId.indexOf('-');
        bool ok = dash > 0;
        const int streamId = ok ? m_lastEventId.left(dash).toInt(&ok) : 0;
        const qsizetype sequence = ok ? m_lastEventId.mid(dash + 1).toLongLong(&ok) : 0;
        const auto stream = m_streams.find(streamId);
        if (ok && stream != m_streams.end() && stream->session == session && !stream->live
                && sequence >= 0 && sequence <= stream->events.size()) {
            attachLive(streamId, responder);
            stream->dropAfter = -1;
            responder->beginStream(
                    200, {{"Content-Type"_ba, SseType}, {"Cache-Control"_ba, "no-cache"_ba}});
            logExchange(responder, "resume", 200, SseType);
            for (qsizetype i = sequence; i < stream->events.size(); ++i)
                responder->writeChunk(stream->events.at(i));
            stream->delivered = stream->events.size();
            if (stream->complete) {
                responder->endStream();
                m_streams.erase(stream);
            }
            return;
        }
    }

    if (m_getStreamMode == GetStreamMode::MethodNotAllowed405)
        return respond(responder, {}, 405, {{"Allow"_ba, "POST, DELETE"_ba}});
    if (m_getStreamMode == GetStreamMode::Error500)
        return respond(responder, {}, 500);
    Session &state = m_sessions[session];
    if (state.standaloneStream != 0 && m_streams.value(state.standaloneStream).live)
        return respondError(
                responder, {}, 409, -32600, u"Only one standalone SSE stream per session"_s);
    state.standaloneStream =
            openStream(responder, {}, session, version, {}, state.standaloneStream);
    Q_EMIT getStreamOpened();
}

void FakeMcpServer::handleDelete(const FakeHttpRequest &request, FakeHttpResponder *responder)
{
    ++m_deleteCount;
    if (!m_deleteAllowed || !m_sessionsEnabled)
        return respond(responder, {}, 405, {{"Allow"_ba, "GET, POST"_ba}});
    QByteArray session;
    if (!checkSession(request, responder, {}, &session))
        return;
    closeStandaloneStream(session);
    m_sessions.remove(session);
    respond(responder, {}, 200);
    Q_EMIT sessionTerminated(session);
}

void FakeMcpServer::respond(FakeHttpResponder *responder, const QByteArray &summary, int status,
        const FakeHttpHeaders &headers, const QByteArray &body)
{
    if (!responder)
        return;
    QByteArray contentType;
    for (const auto &header : std::as_const(headers)) {
        if (header.first.compare("Content-Type", Qt::CaseInsensitive) == 0)
            contentType = header.second;
    }
    logExchange(responder, summary, status, contentType);
    responder->reply(status, headers, body);
}

void FakeMcpServer::respondError(FakeHttpResponder *responder, const QByteArray &summary,
        int status, int code, const QString &message)
{
    respond(responder, summary, status, {{"Content-Type"_ba, JsonType}},
            compact(errorResponse(QJsonValue::Null, code, message)));
}

int FakeMcpServer::openStream(FakeHttpResponder *responder, const QByteArray &summary,
        const QByteArray &session, const QByteArray &protocolVersion, FakeHttpHeaders headers,
        int existingStream)
{
    const int id = existingStream != 0 ? existingStream : ++m_nextStream;
    EventStream &stream = m_streams[id];
    stream.session = session;
    stream.standalone = responder->request().method == "GET";
    attachLive(id, responder);
    stream.dropAfter = stream.standalone ? -1 : m_dropAfterEvents;
    headers.append({"Content-Type"_ba, SseType});
    headers.append({"Cache-Control"_ba, "no-cache"_ba});
    responder->beginStream(200, headers);
    logExchange(responder, summary, 200, SseType);
    // SEP-1699 priming event; older clients may choke on empty data, so only for 2025-11-25+.
    if (m_primingEvents && protocolVersion >= LatestVersion)
        responder->writeChunk(
                FakeHttpServer::sseEvent({}, eventId(id, stream.delivered), m_retryMs));
    for (qsizetype i = stream.delivered; i < stream.events.size();
            ++i) // queued standalone messages
        responder->writeChunk(stream.events.at(i));
    stream.delivered = stream.events.size();
    if (stream.dropAfter == 0)
        dropLive(stream);
    return id;
}

// The responder's QPointer clears only when its connection is deleted; a client that reconnects
// right after dropping the connection must already find the stream detached.
void FakeMcpServer::attachLive(int streamId, FakeHttpResponder *responder)
{
    m_streams[streamId].live = responder;
    connect(responder, &FakeHttpResponder::disconnected, this, [this, streamId, responder] {
        const auto stream = m_streams.find(streamId);
        if (stream != m_streams.end() && stream->live == responder)
            stream->live = nullptr;
    });
}

void FakeMcpServer::pushEvent(int streamId, const QJsonObject &message, bool final)
{
    const auto stream = m_streams.find(streamId);
    if (stream == m_streams.end())
        return;
    const QByteArray event = FakeHttpServer::sseEvent(
            compact(message), eventId(streamId, stream->events.size() + 1));
    stream->events.append(event);
    stream->complete = final;
    if (!stream->live || !stream->live->isStreaming())
        return;
    stream->live->writeChunk(event);
    stream->delivered = stream->events.size();
    if (final) {
        stream->live->endStream();
        m_streams.erase(stream); // delivered completely: nothing left to resume
    } else if (stream->dropAfter > 0 && --stream->dropAfter == 0) {
        dropLive(*stream);
    }
}

void FakeMcpServer::dropLive(EventStream &stream)
{
    const QPointer<FakeHttpResponder> live = std::exchange(stream.live, nullptr);
    stream.dropAfter = -1;
    if (live && m_dropAbruptly)
        live->closeAbruptly();
    else if (live)
        live->endStream();
}

void FakeMcpServer::sendToClient(const Call &call, const QJsonObject &message)
{
    if (call.stream != 0)
        pushEvent(call.stream, message, false);
    else
        sendStandalone(call.session, message); // a JSON response cannot carry it
}

void FakeMcpServer::complete(const Call &call, const QJsonObject &message)
{
    if (call.stream != 0)
        return pushEvent(call.stream, message, true);
    FakeHttpHeaders headers{{"Content-Type"_ba, JsonType}};
    if (call.newSession)
        headers.append({SessionHeader.toByteArray(), call.session});
    respond(call.responder, call.summary, 200, headers, compact(message));
}

void FakeMcpServer::completeTool(const Call &call, const QString &text, bool isError)
{
    const QJsonObject content{{u"type"_s, u"text"_s}, {u"text"_s, text}};
    complete(call,
            response(call.id, {{u"content"_s, QJsonArray{content}}, {u"isError"_s, isError}}));
}

// A cancelled request gets no response (MCP "Cancellation"): its SSE stream just ends, a JSON
// response's connection is closed.
bool FakeMcpServer::abandonIfCancelled(const Call &call)
{
    if (!m_cancelled.contains(call.id))
        return false;
    if (call.stream != 0) {
        const auto stream = m_streams.find(call.stream);
        if (stream != m_streams.end() && stream->live)
            stream->live->endStream();
        m_streams.remove(call.stream);
    } else if (call.responder) {
        call.responder->closeAbruptly();
    }
    return true;
}

void FakeMcpServer::closeStandaloneStream(const QByteArray &session)
{
    const int streamId = m_sessions.value(session).standaloneStream;
    const auto stream = m_streams.find(streamId);
    if (stream == m_streams.end())
        return;
    if (stream->live)
        stream->live->endStream();
    m_streams.erase(stream);
}

void FakeMcpServer::writeHeartbeat()
{
    for (const EventStream &stream : std::as_const(m_streams)) {
        if (stream.live)
            stream.live->writeChunk(": ping\n\n"_ba);
    }
}

void FakeMcpServer::logExchange(FakeHttpResponder *responder, const QByteArray &summary, int status,
        const QByteArray &contentType)
{
    if (!m_exchangeLogging)
        return;
    QByteArray line = responder->request().method + ' ' + responder->request().path();
    if (!summary.isEmpty())
        line += ' ' + summary;
    line += " -> " + QByteArray::number(status);
    if (!contentType.isEmpty())
        line += ' ' + contentType;
    Q_EMIT exchangeLogged(line);
}

} // namespace McpProxy::Test
