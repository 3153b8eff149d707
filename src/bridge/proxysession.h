#pragma once

#include "jsonrpc/jsonrpcmessage.h"

#include <QtCore/QByteArray>
#include <QtCore/QHash>
#include <QtCore/QObject>

namespace McpProxy {

// The routing policy between the MCP host (stdio) and the upstream transport. It holds no
// pointer to either: lines and messages come in through slots and leave through signals, wired
// by ProxyApplication. It guarantees that every request the client sent gets exactly one
// response: the upstream's, or a JSON-RPC error with the original id (never-hang).
class ProxySession : public QObject
{
    Q_OBJECT
public:
    explicit ProxySession(QObject *parent = nullptr);

    int pendingRequestCount() const { return int(m_pending.size()); }

public Q_SLOTS:
    // One line from the client (stdin).
    void routeClientLine(const QByteArray &line);
    // A line too long to read: answered with an error that carries the request's id when it can
    // be read from the line's start (else null, JSON-RPC 2.0 section 5), so the host does not wait.
    void rejectOverlongLine(const QByteArray &start, qsizetype maxLength);
    // One message from the server, already a single line.
    void routeServerMessage(const QByteArray &line, const McpProxy::JsonRpcMessage &message);
    // The transport gave up on a request; errorResponse carries the client's id.
    void failRequest(const QString &idKey, const QByteArray &errorResponse);

Q_SIGNALS:
    void serverBoundMessage(const QByteArray &body, const McpProxy::JsonRpcMessage &message);
    void cancelRequested(const QString &idKey);
    void clientBoundMessage(const QByteArray &line);
    // Emitted whenever the last pending request got its answer.
    void idle();

private:
    void answered(const QString &idKey);

    QHash<QString, QByteArray> m_pending; // idKey → raw id of client requests in flight
};

} // namespace McpProxy
