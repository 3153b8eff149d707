#include "support/fakelegacyserver.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QTimer>
#include <QtCore/QUrlQuery>

using namespace Qt::StringLiterals;

namespace McpProxy::Test {

namespace {

QByteArray compact(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QJsonObject response(const QJsonValue &id, const QJsonObject &result)
{
    return {{u"jsonrpc"_s, u"2.0"_s}, {u"id"_s, id}, {u"result"_s, result}};
}

QJsonObject textResult(const QString &text)
{
    return {{u"content"_s, QJsonArray{QJsonObject{{u"type"_s, u"text"_s}, {u"text"_s, text}}}}};
}

} // namespace

FakeLegacyServer::FakeLegacyServer(QObject *parent)
    : QObject(parent)
{
    m_http.setHandler([this](const FakeHttpRequest &request, FakeHttpResponder *responder) {
        handle(request, responder);
    });
}

bool FakeLegacyServer::listen(quint16 port)
{
    return m_http.listen(port);
}

QUrl FakeLegacyServer::url() const
{
    return m_http.url(u"/sse"_s);
}

void FakeLegacyServer::requireAuthorization(
        const QByteArray &value, bool onGet, bool onPost, const QByteArray &challenge)
{
    m_authorization = value;
    m_authorizeGet = onGet;
    m_authorizePost = onPost;
    m_challenge = challenge;
}

void FakeLegacyServer::dropStreams(bool abruptly)
{
    const QHash<QByteArray, Session> sessions = std::exchange(m_sessions, {});
    for (const Session &session : sessions) {
        if (!session.stream)
            continue;
        if (abruptly)
            session.stream->closeAbruptly();
        else
            session.stream->endStream();
    }
}

int FakeLegacyServer::openStreamCount() const
{
    int open = 0;
    for (const Session &session : m_sessions)
        open += session.stream && session.stream->isStreaming() ? 1 : 0;
    return open;
}

void FakeLegacyServer::accept(FakeHttpResponder *responder)
{
    if (m_acceptedStatus == 204)
        responder->reply(204);
    else
        responder->reply(m_acceptedStatus, {{"Content-Type", "text/plain"}}, "Accepted");
}

bool FakeLegacyServer::authorized(
        const FakeHttpRequest &request, FakeHttpResponder *responder, bool required)
{
    if (!required || request.header("Authorization") == m_authorization)
        return true;
    responder->reply(401, {{"WWW-Authenticate", m_challenge}, {"Content-Type", "text/plain"}},
            "Unauthorized");
    return false;
}

void FakeLegacyServer::handle(const FakeHttpRequest &request, FakeHttpResponder *responder)
{
    if (m_requestFilter && m_requestFilter(request, responder))
        return;
    if (request.method == "GET" && request.path() == "/sse")
        return handleGet(request, responder);
    if (request.method == "POST" && request.path() == "/messages")
        return handlePost(request, responder);
    if (request.path() == "/sse")
        return responder->reply(405, {{"Allow", "GET"}}, "Method Not Allowed");
    responder->reply(404, {{"Content-Type", "text/plain"}}, "Not Found");
}

void FakeLegacyServer::handleGet(const FakeHttpRequest &request, FakeHttpResponder *responder)
{
    ++m_getCount;
    if (!authorized(request, responder, m_authorizeGet))
        return;
    if (m_getStatus != 0)
        return responder->reply(m_getStatus, {{"Content-Type", "text/plain"}}, "refused");
    const QByteArray session = QByteArray::number(++m_nextSession);
    m_sessions.insert(session, Session{responder});
    responder->beginStream(
            200, {{"Content-Type", "text/event-stream"}, {"Cache-Control", "no-cache"}});
    QByteArray endpoint = m_endpointTemplate;
    endpoint.replace("%1", session);
    responder->writeChunk(FakeHttpServer::sseEvent(endpoint, {}, -1, "endpoint"));
}

void FakeLegacyServer::handlePost(const FakeHttpRequest &request, FakeHttpResponder *responder)
{
    ++m_postCount;
    if (!authorized(request, responder, m_authorizePost))
        return;
    const QByteArray session = QUrlQuery(QUrl::fromEncoded(request.target).query())
                                       .queryItemValue(u"sessionId"_s)
                                       .toLatin1();
    const auto it = m_sessions.constFind(session);
    if (it == m_sessions.constEnd() || !it->stream)
        return responder->reply(404, {{"Content-Type", "text/plain"}}, "Could not find session");
    const QJsonObject message = QJsonDocument::fromJson(request.body).object();
    if (message.isEmpty())
        return responder->reply(400, {{"Content-Type", "text/plain"}}, "Invalid message");
    m_messages.append(message);
    Q_EMIT messageReceived(message);
    if (m_respondBeforeAccepted) {
        handleMessage(session, message);
        accept(responder);
        return;
    }
    accept(responder);
    QTimer::singleShot(0, this, [this, session, message] { handleMessage(session, message); });
}

void FakeLegacyServer::handleMessage(const QByteArray &session, const QJsonObject &message)
{
    const QString method = message.value(u"method"_s).toString();
    const QJsonValue id = message.value(u"id"_s);
    if (method.isEmpty()) {
        // The client's answer to one of our requests.
        const auto asking = m_asking.find(id.toString());
        if (asking == m_asking.end())
            return;
        const auto [callSession, callId] = *asking;
        m_asking.erase(asking);
        const QString answer = message.contains(u"error"_s)
                ? u"error: "_s + message.value(u"error"_s)[u"message"_s].toString()
                : QString::fromUtf8(compact(message.value(u"result"_s).toObject()));
        push(callSession, response(callId, textResult(u"answered: "_s + answer)));
        return;
    }
    if (id.isUndefined())
        return; // a notification
    if (method == u"initialize") {
        ++m_initializeCount;
        push(session,
                response(id,
                        {{u"protocolVersion"_s, u"2024-11-05"_s},
                                {u"capabilities"_s, QJsonObject{{u"tools"_s, QJsonObject{}}}},
                                {u"serverInfo"_s,
                                        QJsonObject{{u"name"_s, u"fake-legacy-server"_s},
                                                {u"version"_s, u"1"_s}}}}));
        return;
    }
    if (method == u"tools/list") {
        QJsonArray tools;
        for (const QString &name :
                {u"echo"_s, u"big"_s, u"slow"_s, u"hang"_s, u"notify"_s, u"ask"_s}) {
            tools.append(QJsonObject{
                    {u"name"_s, name}, {u"inputSchema"_s, QJsonObject{{u"type"_s, u"object"_s}}}});
        }
        push(session, response(id, {{u"tools"_s, tools}}));
        return;
    }
    if (method == u"tools/call") {
        callTool(session, id, message.value(u"params"_s).toObject());
        return;
    }
    if (method == u"ping") {
        push(session, response(id, {}));
        return;
    }
    push(session,
            {{u"jsonrpc"_s, u"2.0"_s}, {u"id"_s, id},
                    {u"error"_s,
                            QJsonObject{
                                    {u"code"_s, -32601}, {u"message"_s, u"Method not found"_s}}}});
}

void FakeLegacyServer::callTool(
        const QByteArray &session, const QJsonValue &id, const QJsonObject &params)
{
    const QString name = params.value(u"name"_s).toString();
    const QJsonObject arguments = params.value(u"arguments"_s).toObject();
    if (name == u"echo")
        return push(session, response(id, textResult(arguments.value(u"text"_s).toString())));
    if (name == u"big") {
        const int bytes = qMax(0, arguments.value(u"bytes"_s).toInt(1024 * 1024));
        const QByteArray text =
                "abcdefghijklmnopqrstuvwxyz"_ba.repeated(bytes / 26 + 1).left(bytes);
        return push(session, response(id, textResult(QString::fromLatin1(text))));
    }
    if (name == u"slow") {
        const int ms = arguments.value(u"ms"_s).toInt(1000);
        QTimer::singleShot(ms, this, [this, session, id, ms] {
            push(session, response(id, textResult(u"slept %1 ms"_s.arg(ms))));
        });
        return;
    }
    if (name == u"hang")
        return;
    if (name == u"notify") {
        push(session,
                {{u"jsonrpc"_s, u"2.0"_s}, {u"method"_s, u"notifications/message"_s},
                        {u"params"_s,
                                QJsonObject{{u"level"_s, u"info"_s},
                                        {u"data"_s, arguments.value(u"text"_s)}}}});
        return push(session, response(id, textResult(u"ok"_s)));
    }
    if (name == u"ask") {
        const QString requestId = u"srv-%1"_s.arg(++m_nextRequest);
        m_asking.insert(requestId, {session, id});
        push(session,
                {{u"jsonrpc"_s, u"2.0"_s}, {u"id"_s, requestId},
                        {u"method"_s, u"elicitation/create"_s},
                        {u"params"_s,
                                QJsonObject{{u"message"_s, arguments.value(u"question"_s)},
                                        {u"requestedSchema"_s,
                                                QJsonObject{{u"type"_s, u"object"_s}}}}}});
        return;
    }
    push(session,
            {{u"jsonrpc"_s, u"2.0"_s}, {u"id"_s, id},
                    {u"error"_s,
                            QJsonObject{{u"code"_s, -32602}, {u"message"_s, u"Unknown tool"_s}}}});
}

void FakeLegacyServer::push(const QByteArray &session, const QJsonObject &message)
{
    const auto it = m_sessions.constFind(session);
    if (it == m_sessions.constEnd() || !it->stream || !it->stream->isStreaming())
        return;
    it->stream->writeChunk(FakeHttpServer::sseEvent(compact(message), {}, -1, "message"));
}

} // namespace McpProxy::Test
