#pragma once

#include "jsonrpc/jsonrpcmessage.h"
#include "transport/transporterror.h"
#include "transport/upstreamera.h"

#include <QtCore/QByteArray>
#include <QtCore/QDateTime>
#include <QtCore/QElapsedTimer>
#include <QtCore/QHash>
#include <QtCore/QJsonObject>
#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QTimer>

#include <functional>
#include <map>
#include <memory>

namespace McpProxy {

// The MCP session with the upstream server, whatever era carries it (UpstreamEra): the one owner
// of the session rules.
// - Exactly one answer: every client request handed to send() ends in exactly one of a
//   messageReceived() carrying its response, a requestFailed(), or nothing when cancel() was
//   called for it. A second request with an id still in flight, and a response nobody waits for,
//   never reach the other side.
// - Initialize capture and replay: the client's initialize and notifications/initialized are
//   kept; the negotiated protocol version is taken from the initialize response.
// - Barriers: initialize and notifications/initialized complete before later messages go out.
// - Re-initialization: when the server forgets the session, the client's initialize is replayed
//   under a reserved id, then notifications/initialized, and the failed message is sent again once.
// - Authorization: a challenge parks the message and asks for one round (authorizationRequired());
//   new messages queue behind the round; each request waits at most authorizationDeadlineMs in
//   all.
// - A browser login never times out the host's initialize: while one runs, the initialize is
//   answered from the InitializeResult this server gave last time (setRememberedInitialize())
//   when the host asked for the same protocol version; the request itself still goes to the
//   server after the login (its response is kept from the host) and stays the barrier the
//   host's later messages wait behind.
// Messages are forwarded as the bytes the client wrote.
class UpstreamSession : public QObject, private UpstreamEraListener
{
    Q_OBJECT
public:
    struct Options
    {
        QString protocolVersion; // configured; used until one is negotiated by initialize
        // Someone answers authorizationRequired() with finishAuthorization(); otherwise a
        // challenge fails the request at once.
        bool authorizationAvailable = false;
        // How long a request may wait for authorization in all (every round included) before
        // it fails; extended by a browser login (extendAuthorizationDeadline()).
        int authorizationDeadlineMs = 30000;
        // upstream.pingIntervalMs (mcp-remote's --keep-alive / --ping-interval): once the session
        // is initialized, a `ping` (MCP basic/utilities/ping) this often, so that an idle session
        // is not reaped by the server or a load balancer; 0: never. Its answer is not shown.
        int pingIntervalMs = 0;
    };

    UpstreamSession(
            std::unique_ptr<UpstreamEra> era, const Options &options, QObject *parent = nullptr);
    ~UpstreamSession() override;

    void send(const QByteArray &body, const JsonRpcMessage &message);
    // Aborts the upstream exchange of a request the client cancelled (notifications/cancelled);
    // nothing is emitted for it afterwards.
    void cancel(const QString &idKey);
    // Fails every pending request with Shutdown, stops the server stream, ends the session
    // (bounded), then emits shutdownFinished().
    void shutdown();

    // The Authorization header value for every later request ("Bearer …"); empty: none.
    // Never logged. (MCP authorization: the token goes in the header of every request.)
    void setAuthorizationHeader(const QByteArray &value);
    // The answer to authorizationRequired(): ok → parked messages are sent again with the new
    // header; otherwise they fail with `message` (what the user can do).
    void finishAuthorization(bool ok, const QString &message);
    // Messages wait from now until finishAuthorization() (a token is being obtained at start-up).
    void holdForAuthorization() { m_authorizing = true; }
    // Requests sent at or after `renewAt` first ask for a renewed token (authorizationRequired()
    // with status 0); invalid: never.
    void setRenewalPoint(const QDateTime &renewAt) { m_renewAt = renewAt; }
    // A browser login began: requests waiting for authorization may wait that much longer.
    void extendAuthorizationDeadline(int seconds);
    // The InitializeResult this server gave a host that asked for `requestedVersion` (from an
    // earlier run); used only while a browser login runs.
    void setRememberedInitialize(const QString &requestedVersion, const QJsonObject &result);

    QByteArray sessionId() const { return m_era->sessionId(); }
    QString protocolVersion() const { return m_protocolVersion; }
    // Client requests still owed an answer.
    int pendingRequestCount() const { return m_clientRequestsOwed; }

Q_SIGNALS:
    // One server message as a single line of JSON.
    void messageReceived(const QByteArray &line, const McpProxy::JsonRpcMessage &message);
    // A client request that gets no response from upstream; `errorResponse` is the JSON-RPC
    // error line to give the client instead (with the request's id).
    void requestFailed(const QString &idKey, const QByteArray &errorResponse);
    // The last client request owed an answer got it.
    void idle();
    void shutdownFinished();
    // A 401, or a 403 with error="insufficient_scope" (RFC 6750 section 3.1): messages wait until
    // finishAuthorization(). Emitted once per authorization round; `wwwAuthenticate` is the raw
    // header (several challenges joined by ", "). httpStatus 0: the token reached its renewal
    // point (setRenewalPoint()) before a request.
    void authorizationRequired(const QByteArray &wwwAuthenticate, int httpStatus);
    // The server answered a host's initialize (params.protocolVersion `requestedVersion`) with
    // `result`: what setRememberedInitialize() takes in a later run.
    void initializeResultReceived(const QString &requestedVersion, const QJsonObject &result);

private:
    using Handle = UpstreamEraListener::Handle;

    // One message on its way upstream, from send() until the era is done with it.
    struct Outgoing
    {
        enum class State {
            Queued, // behind a barrier, a re-initialization or an authorization round
            InFlight, // with the era
            AwaitingAuthorization, // challenged; sent again after the round
            AwaitingSession, // the session expired; sent again after the re-initialization
        };
        enum class Origin { Client, Reinitialization, KeepAlive };

        Handle handle = 0;
        QByteArray body;
        JsonRpcMessage message;
        Origin origin = Origin::Client;
        State state = State::Queued;
        bool barrier = false; // initialize / notifications/initialized: later messages wait
        bool retriedAfterReinitialization = false;
        int unauthorizedRounds = 0; // 401 → authorize → retry, at most twice
        int stepUps = 0; // 403 insufficient_scope → step-up (3 rounds in all)
        int lastStatus = 0; // of the last challenge
        qint64 authorizationDeadline = -1; // on m_authorizationClock, once it waited for one
        std::function<void(bool ok)> onDone; // a re-initialization step
    };
    // The session with the server.
    enum class SessionState {
        Live,
        Reinitializing,
        Lost, // a re-initialization failed; tried again before the next message
        Closed // shut down
    };

    // UpstreamEraListener
    void serverMessageReceived(const QByteArray &line, const JsonRpcMessage &message) override;
    void messageDelivered(Handle handle, int httpStatus) override;
    void messageFailed(Handle handle, const TransportError &error) override;
    void authorizationChallenged(
            Handle handle, const QByteArray &wwwAuthenticate, int httpStatus) override;
    void sessionExpired(Handle handle, const TransportError &error) override;
    bool serverStreamChallenged(const QByteArray &wwwAuthenticate) override;
    bool serverStreamSessionExpired() override;
    bool awaitsResponse(Handle handle) const override;
    void sessionEnded() override;

    Outgoing *find(Handle handle);
    Outgoing &create(
            const QByteArray &body, const JsonRpcMessage &message, Outgoing::Origin origin);
    void dispatchOrQueue(Outgoing &outgoing);
    void transmit(Outgoing &outgoing);
    void complete(Handle handle, bool accepted);
    // Removes the request from the ledger; true when it was still owed.
    bool settle(const Outgoing &outgoing);
    void failRequest(Handle handle, const TransportError &error);
    void releaseBarrier(Handle handle);
    void drainQueue();
    void checkIdle(int owedBefore);

    void requestAuthorization(const QByteArray &wwwAuthenticate, int httpStatus);
    void startAuthorizationDeadline(Outgoing &outgoing);
    void enforceAuthorizationDeadlines();

    // Answers the host's waiting initialize from the remembered result, if there is one for it.
    void answerInitializeEarly();
    void receiveEarlyAnsweredInitialize(const QByteArray &line, const JsonRpcMessage &message);

    void sendKeepAlivePing();
    void endKeepAlivePing();
    void startReinitialization();
    void finishReinitialization(bool ok);
    void captureProtocolVersion(const QByteArray &line);

    std::unique_ptr<UpstreamEra> m_era;
    Options m_options;
    std::map<Handle, Outgoing> m_outgoing; // ordered by handle: the order of send()
    // Who is still owed an answer: request id key → the message carrying it.
    QHash<QString, Handle> m_owed;
    int m_clientRequestsOwed = 0;
    QList<Handle> m_queue; // Queued, in order
    Handle m_nextHandle = 1;
    Handle m_barrier = 0; // the barrier in flight

    bool m_authorizing = false;
    bool m_streamAwaitsAuthorization = false;
    QDateTime m_renewAt;
    QElapsedTimer m_authorizationClock;
    QTimer m_authorizationDeadlineTimer;
    QTimer m_pingTimer; // Options::pingIntervalMs
    int m_pingCount = 0;
    bool m_pingInFlight = false; // set by sendKeepAlivePing(), cleared by endKeepAlivePing() only
    qint64 m_interactiveUntil = -1; // on m_authorizationClock, while a browser login runs

    SessionState m_state = SessionState::Live;
    QString m_protocolVersion;
    QByteArray m_initializeBody; // the client's initialize, replayed on session expiry
    QByteArray m_initializedBody; // its notifications/initialized
    int m_reinitCount = 0;
    int m_reinitFailures = 0;
    QString m_rememberedRequestedVersion;
    QJsonObject m_rememberedResult; // empty: none
    Handle m_answeredEarly = 0; // the host's initialize, answered from m_rememberedResult
};

} // namespace McpProxy
