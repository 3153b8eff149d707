#pragma once

#include "support/fakehttpserver.h"

#include <QtCore/QHash>
#include <QtCore/QJsonObject>
#include <QtCore/QJsonValue>
#include <QtCore/QPointer>

#include <functional>

namespace McpProxy::Test {

// An MCP server of the HTTP with SSE transport (MCP 2024-11-05 basic/transports) on top of
// FakeHttpServer:
// - GET /sse opens a session's event stream; its first event is `endpoint` with the message URI
//   (setEndpointTemplate(): "%1" becomes the session id; relative by default).
// - POST /messages?sessionId=<id> takes one JSON-RPC message and answers 202 Accepted; its
//   response goes on the session's stream. An unknown session: 404. POST /sse: 405, as a server
//   without Streamable HTTP answers.
// Tools: echo {text}, big {bytes}, slow {ms}, hang {} (never answers), notify {text}
// (notifications/message, then the result), ask {question} (elicitation/create to the client on
// the stream; the result quotes the client's answer).
class FakeLegacyServer : public QObject
{
    Q_OBJECT
public:
    explicit FakeLegacyServer(QObject *parent = nullptr);

    bool listen(quint16 port = 0);
    QUrl url() const; // the SSE URL, http://127.0.0.1:<port>/sse
    FakeHttpServer &http() { return m_http; }

    // "%1" is replaced with the session id.
    void setEndpointTemplate(const QByteArray &endpoint) { m_endpointTemplate = endpoint; }
    // The response goes on the stream before the 202 of its POST is written (both orders are
    // legal; the SDK's server often races them).
    void setRespondBeforeAccepted(bool before) { m_respondBeforeAccepted = before; }
    // The status a POST is accepted with (202 by default).
    void setAcceptedStatus(int status) { m_acceptedStatus = status; }
    // Answers the GET of the stream with this status instead (0: serve the stream).
    void setGetStatus(int status) { m_getStatus = status; }
    // GET and POST must carry this Authorization value, else 401 with the challenge.
    void requireAuthorization(const QByteArray &value, bool onGet, bool onPost,
            const QByteArray &challenge = "Bearer realm=\"mcp\"");
    // Runs first for every request; returns true when it answered it (a FakeAuthServer on the
    // same origin).
    using RequestFilter = std::function<bool(const FakeHttpRequest &, FakeHttpResponder *)>;
    void setRequestFilter(RequestFilter filter) { m_requestFilter = std::move(filter); }
    // Ends every open stream (cleanly, or by closing the connection) and forgets its session.
    void dropStreams(bool abruptly = false);
    // Forgets every session but leaves its stream open: its POSTs get 404 (a restarted server).
    void forgetSessions() { m_sessions.clear(); }

    int getCount() const { return m_getCount; }
    int postCount() const { return m_postCount; }
    int initializeCount() const { return m_initializeCount; }
    int openStreamCount() const;
    const QList<QJsonObject> &receivedMessages() const { return m_messages; }

Q_SIGNALS:
    void messageReceived(const QJsonObject &message);

private:
    struct Session
    {
        QPointer<FakeHttpResponder> stream;
    };

    void handle(const FakeHttpRequest &request, FakeHttpResponder *responder);
    void handleGet(const FakeHttpRequest &request, FakeHttpResponder *responder);
    void handlePost(const FakeHttpRequest &request, FakeHttpResponder *responder);
    void handleMessage(const QByteArray &session, const QJsonObject &message);
    void accept(FakeHttpResponder *responder);
    void callTool(const QByteArray &session, const QJsonValue &id, const QJsonObject &params);
    void push(const QByteArray &session, const QJsonObject &message);
    bool authorized(const FakeHttpRequest &request, FakeHttpResponder *responder, bool required);

    FakeHttpServer m_http;
    QByteArray m_endpointTemplate = "/messages?sessionId=%1";
    QHash<QByteArray, Session> m_sessions;
    QHash<QString, std::pair<QByteArray, QJsonValue>> m_asking; // our request id → tool call
    QList<QJsonObject> m_messages;
    RequestFilter m_requestFilter;
    QByteArray m_authorization;
    QByteArray m_challenge;
    bool m_authorizeGet = false;
    bool m_authorizePost = false;
    bool m_respondBeforeAccepted = false;
    int m_getStatus = 0;
    int m_acceptedStatus = 202;
    int m_nextSession = 0;
    int m_nextRequest = 0;
    int m_getCount = 0;
    int m_postCount = 0;
    int m_initializeCount = 0;
};

} // namespace McpProxy::Test
