#pragma once

#include "jsonrpc/jsonrpcmessage.h"
#include "transport/transporterror.h"

#include <QtCore/QByteArray>
#include <QtCore/QObject>
#include <QtCore/QString>

namespace McpProxy {

// What an era reports to the session that drives it (UpstreamSession). Calls arrive
// synchronously from inside the era; the session may call the era back from any of them (abort,
// resend, shutdown), so the era checks its own state after each call.
class UpstreamEraListener
{
public:
    using Handle = quint64;

    // One server message, already a single line: a response, a server→client request or a
    // notification, from whichever channel carried it.
    virtual void serverMessageReceived(const QByteArray &line, const JsonRpcMessage &message) = 0;
    // The era is done with `handle`: its message was accepted (a notification or response) or
    // its request's exchange ended after the response came.
    virtual void messageDelivered(Handle handle, int httpStatus) = 0;
    // The era is done with `handle` and could not deliver it, or its request's exchange ended
    // without the response.
    virtual void messageFailed(Handle handle, const TransportError &error) = 0;
    // The server asks for (more) authorization before it takes `handle` (a 401, or a 403 with
    // error="insufficient_scope", RFC 6750 section 3.1). The era keeps the message until
    // resend() or abort().
    virtual void authorizationChallenged(
            Handle handle, const QByteArray &wwwAuthenticate, int httpStatus) = 0;
    // The server no longer knows the session `handle` was sent in (MCP basic/transports,
    // session management: 404). The era keeps the message until resend() or abort(); `error` is
    // what the request fails with when the session is not re-established.
    virtual void sessionExpired(Handle handle, const TransportError &error) = 0;
    // The same two facts for the server→client stream; false: the session will not act, the era
    // gives the stream up.
    virtual bool serverStreamChallenged(const QByteArray &wwwAuthenticate) = 0;
    virtual bool serverStreamSessionExpired() = 0;
    // Whether the request sent under `handle` still waits for its response.
    virtual bool awaitsResponse(Handle handle) const = 0;
    // endSession() finished.
    virtual void sessionEnded() = 0;

protected:
    ~UpstreamEraListener() = default;
};

// How messages travel to one generation of MCP servers and back: the transport of an MCP
// revision. UpstreamSession owns the session rules (who is owed an answer, initialize capture and
// replay, barriers, re-initialization, authorization); the era owns the wire: HTTP verbs and
// headers, the event streams, redirects, resumption and the session id. Implemented today:
// StreamableHttpEra (MCP 2025-03-26 … 2025-11-25), LegacySseEra (MCP 2024-11-05 HTTP with SSE),
// and FallbackEra, which switches from one to the other (upstream.transport).
class UpstreamEra : public QObject
{
    Q_OBJECT
public:
    using Handle = UpstreamEraListener::Handle;

    using QObject::QObject;
    void setListener(UpstreamEraListener *listener) { m_listener = listener; }

    // Starts delivering one message; the era reports exactly one of messageDelivered() and
    // messageFailed() for it, unless abort() comes first. Before that it may report
    // authorizationChallenged() or sessionExpired() and then wait for resend() or abort().
    virtual void send(Handle handle, const QByteArray &body, const JsonRpcMessage &message) = 0;
    // Sends a waiting message again, continuing where it stopped (after a new token or a new
    // session).
    virtual void resend(Handle handle) = 0;
    // Forgets a message; nothing is reported for it afterwards.
    virtual void abort(Handle handle) = 0;

    // The server→client channel for messages outside any request (MCP basic/transports,
    // "Listening for Messages from the Server").
    virtual void openServerStream() = 0;
    virtual void closeServerStream() = 0;

    // Session facts the session decides and the era puts on the wire.
    virtual void setAuthorizationHeader(const QByteArray &value) = 0; // "Bearer …"; never logged
    virtual void setProtocolVersion(const QString &version) = 0; // empty: none
    // The session (if any) is over on our side: later messages start without it.
    virtual void forgetSession() = 0;
    virtual QByteArray sessionId() const = 0;
    // Ends the session with the server (bounded), then reports sessionEnded(); nothing is sent
    // afterwards.
    virtual void endSession() = 0;

protected:
    UpstreamEraListener *listener() const { return m_listener; }

private:
    UpstreamEraListener *m_listener = nullptr;
};

} // namespace McpProxy
