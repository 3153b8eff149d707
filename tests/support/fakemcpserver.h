#pragma once

#include "support/fakehttpserver.h"

#include <QtCore/QHash>
#include <QtCore/QJsonObject>
#include <QtCore/QJsonValue>
#include <QtCore/QTimer>

namespace McpProxy::Test {

// A Streamable HTTP MCP server (MCP 2025-11-25 "Transports") on top of FakeHttpServer, with
// knobs for the failure modes a client must survive. One endpoint path (default /mcp):
// - POST: one JSON-RPC message. Requests are answered with application/json, or with an SSE
//   stream (useSse(), and always for the tools "progress" and "sample"); notifications and
//   responses get 202. initialize issues Mcp-Session-Id; later requests without it get 400,
//   with an unknown or expired one 404. An MCP-Protocol-Version header that is not supported: 400.
// - GET: the standalone SSE stream (or 405/500, getStreamMode()); with Last-Event-ID of a
//   stored stream it resumes that stream instead (also when the standalone GET is disabled).
// - DELETE: ends the session (200).
// Tools: echo {text}, add {a, b}, slow {ms}, progress {steps, intervalMs}, big {bytes},
// sample {prompt} (sampling/createMessage to the client on the POST stream), notify {text}
// (notifications/message on the standalone stream).
// SSE event ids are "<stream>-<sequence>"; every SSE stream starts with a priming event (id, empty
// data, retry) for clients of protocol version 2025-11-25 or newer.
class FakeMcpServer : public QObject
{
    Q_OBJECT
public:
    enum class GetStreamMode { Sse, MethodNotAllowed405, Error500 };
    Q_ENUM(GetStreamMode)

    explicit FakeMcpServer(QObject *parent = nullptr);
    ~FakeMcpServer() override;

    bool listen(quint16 port = 0, const QByteArray &path = "/mcp");
    QUrl url() const;
    FakeHttpServer &http() { return m_http; }

    // Behaviour knobs; each takes effect for the next request.
    void setUseSse(bool useSse) { m_useSse = useSse; }
    void setGetStreamMode(GetStreamMode mode) { m_getStreamMode = mode; }
    void setSessionsEnabled(bool enabled) { m_sessionsEnabled = enabled; } // false: stateless
    void setDeleteAllowed(bool allowed) { m_deleteAllowed = allowed; } // false: DELETE gets 405
    void expireSession(); // every session issued so far now gets 404; their GET streams end
    // POST SSE streams end after the priming event and `events` more events (-1: never), before
    // the result; the rest waits for a GET with Last-Event-ID. Abruptly: TCP close, no last chunk.
    void setDropStreamAfterEvents(int events) { m_dropAfterEvents = events; }
    void setDropStreamAbruptly(bool abruptly) { m_dropAbruptly = abruptly; }
    void setRetryMs(int retryMs) { m_retryMs = retryMs; } // "retry:" of priming events; -1: none
    void setPrimingEvents(bool enabled) { m_primingEvents = enabled; }
    // Whether the InitializeResult declares tools.listChanged (default: false).
    void setToolsListChanged(bool declared) { m_toolsListChanged = declared; }
    // Answer JSON-RPC `method` with this HTTP status (times: how often; -1: until cleared).
    void failStatus(const QString &method, int status, const QByteArray &body = {}, int times = -1);
    void clearFailures() { m_failures.clear(); }
    // Every request must carry the header with this exact value, else 401 with the challenge.
    void requireHeader(const QByteArray &name, const QByteArray &value,
            const QByteArray &challenge = "Bearer realm=\"mcp\"");
    void clearRequiredHeaders() { m_requiredHeaders.clear(); }
    // Runs first for every request (any path); returns true when it answered the request. Lets
    // a FakeAuthServer share the origin and guard the endpoint with real tokens.
    using RequestFilter = std::function<bool(const FakeHttpRequest &, FakeHttpResponder *)>;
    void setRequestFilter(RequestFilter filter) { m_requestFilter = std::move(filter); }
    void setDelayHeadersMs(int delayMs) { m_delayHeadersMs = delayMs; }
    void setStallAfterHeaders(bool stall) { m_stallAfterHeaders = stall; } // POSTed requests only
    void setHeartbeatMs(int intervalMs); // ": ping" comments on every open SSE stream; 0: off
    void setRecording(bool record); // receivedMessages() and http().requests(); on by default
    void setExchangeLogging(bool enabled) { m_exchangeLogging = enabled; } // exchangeLogged()

    // Server-initiated message on the standalone GET stream of the latest session; kept until a
    // GET stream is open.
    void sendStandaloneMessage(const QJsonObject &message);

    // Observations.
    QByteArray sessionId() const { return m_lastSessionId; } // the latest issued
    int postCount() const { return m_postCount; }
    int getCount() const { return m_getCount; }
    int deleteCount() const { return m_deleteCount; }
    int initializeCount() const { return m_initializeCount; }
    QByteArray lastEventIdSeen() const { return m_lastEventId; }
    QByteArray lastProtocolVersionSeen() const { return m_lastProtocolVersion; }
    const QList<QJsonObject> &receivedMessages() const { return m_messages; }
    const QList<QJsonValue> &cancelledRequestIds() const { return m_cancelled; }
    int openGetStreamCount() const;

Q_SIGNALS:
    void messageReceived(const QJsonObject &message);
    void getStreamOpened();
    void sessionTerminated(const QByteArray &sessionId);
    // "POST /mcp tools/call echo -> 200 application/json"; only with setExchangeLogging(true).
    void exchangeLogged(const QByteArray &line);

private:
    struct Call
    {
        QPointer<FakeHttpResponder> responder;
        QJsonValue id;
        QByteArray session;
        QByteArray protocolVersion;
        QByteArray summary; // "tools/call echo", for the exchange log
        QJsonObject params;
        int stream = 0; // SSE stream id, 0: JSON response
        bool newSession = false;
    };
    struct EventStream
    {
        QByteArray session;
        QList<QByteArray> events; // encoded; events[i] has sequence i + 1 (the priming one is 0)
        QPointer<FakeHttpResponder> live;
        qsizetype delivered = 0;
        int dropAfter = -1;
        bool complete = false;
        bool standalone = false;
    };
    struct Session
    {
        QByteArray protocolVersion;
        int standaloneStream = 0;
    };
    struct Failure
    {
        int status = 500;
        QByteArray body;
        int remaining = -1;
    };
    struct RequiredHeader
    {
        QByteArray name;
        QByteArray value;
        QByteArray challenge;
    };

    RequestFilter m_requestFilter;
    void handle(const FakeHttpRequest &request, FakeHttpResponder *responder);
    void handlePost(const FakeHttpRequest &request, FakeHttpResponder *responder);
    void handleGet(const FakeHttpRequest &request, FakeHttpResponder *responder);
    void handleDelete(const FakeHttpRequest &request, FakeHttpResponder *responder);
    bool checkSession(const FakeHttpRequest &request, FakeHttpResponder *responder,
            const QByteArray &summary, QByteArray *session);
    void handleRequest(Call call, const QString &method);
    void callTool(Call call);
    void progressStep(const Call &call, int done, int steps, int intervalMs);
    void sendStandalone(const QByteArray &sessionId, const QJsonObject &message);
    void handleNotification(const QJsonObject &message);
    void handleClientResponse(const QJsonObject &message);

    void respond(FakeHttpResponder *responder, const QByteArray &summary, int status,
            const FakeHttpHeaders &headers = {}, const QByteArray &body = {});
    void respondError(FakeHttpResponder *responder, const QByteArray &summary, int status, int code,
            const QString &message);
    int openStream(FakeHttpResponder *responder, const QByteArray &summary,
            const QByteArray &session, const QByteArray &protocolVersion, FakeHttpHeaders headers,
            int existingStream = 0);
    void attachLive(int streamId, FakeHttpResponder *responder);
    void pushEvent(int streamId, const QJsonObject &message, bool final);
    void dropLive(EventStream &stream);
    void sendToClient(const Call &call, const QJsonObject &message);
    void complete(const Call &call, const QJsonObject &response);
    void completeTool(const Call &call, const QString &text, bool isError = false);
    bool abandonIfCancelled(const Call &call);
    void closeStandaloneStream(const QByteArray &session);
    void writeHeartbeat();
    void logExchange(FakeHttpResponder *responder, const QByteArray &summary, int status,
            const QByteArray &contentType);

    FakeHttpServer m_http;
    QByteArray m_path = "/mcp";
    QHash<QByteArray, Session> m_sessions; // "" is the session of a stateless server
    QHash<int, EventStream> m_streams;
    QHash<QString, Call> m_awaitingClient; // server→client request id → the tool call waiting
    QHash<QString, Failure> m_failures;
    QList<RequiredHeader> m_requiredHeaders;
    QList<QJsonObject> m_messages;
    QList<QJsonValue> m_cancelled;
    QTimer m_heartbeat;
    QByteArray m_lastSessionId;
    QByteArray m_lastEventId;
    QByteArray m_lastProtocolVersion;
    GetStreamMode m_getStreamMode = GetStreamMode::Sse;
    int m_nextStream = 0;
    int m_nextClientRequest = 0;
    int m_dropAfterEvents = -1;
    int m_retryMs = 100;
    int m_delayHeadersMs = 0;
    int m_postCount = 0;
    int m_getCount = 0;
    int m_deleteCount = 0;
    int m_initializeCount = 0;
    bool m_useSse = false;
    bool m_sessionsEnabled = true;
    bool m_deleteAllowed = true;
    bool m_dropAbruptly = false;
    bool m_primingEvents = true;
    bool m_toolsListChanged = false;
    bool m_stallAfterHeaders = false;
    bool m_recording = true;
    bool m_exchangeLogging = false;
};

} // namespace McpProxy::Test
