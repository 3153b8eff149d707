#pragma once

#include "bridge/listchangedafterlogin.h"
#include "filter/toolfilter.h"
#include "jsonrpc/jsonrpcmessage.h"

#include <QtCore/QByteArray>
#include <QtCore/QHash>
#include <QtCore/QObject>
#include <QtCore/QString>

namespace McpProxy {

// The routing policy between the MCP host (stdio) and the upstream session. It holds no
// pointer to either: lines and messages come in through slots and leave through signals, wired
// by ProxyApplication. It answers what never goes upstream (unparseable lines, batches, lines
// too long) and turns a cancellation into an abort; which request is still owed an answer is
// UpstreamSession's rule alone. It is also the one place every era shares where the tool filter
// applies: tools/list answers lose the hidden tools, a tools/call of one is answered here. And
// it sees what the host asked, cancelled and received, so it tells a host that gave up on a list
// while a login ran to list again once the login succeeded (ListChangedAfterLogin).
class ProxySession : public QObject
{
    Q_OBJECT
public:
    explicit ProxySession(QObject *parent = nullptr);
    explicit ProxySession(const ToolFilter &toolFilter, QObject *parent = nullptr);

public Q_SLOTS:
    // One line from the client (stdin).
    void routeClientLine(const QByteArray &line);
    // A line too long to read: answered with an error that carries the request's id when it can
    // be read from the line's start (else null, JSON-RPC 2.0 section 5), so the host does not wait.
    void rejectOverlongLine(const QByteArray &start, qsizetype maxLength);
    // One line for the client from upstream: a server message (a response only while it is
    // owed), or the error a request gets instead of its response.
    void routeServerLine(const QByteArray &line);
    // Messages wait for an authorization round (UpstreamSession::authorizationRequired(), or
    // held at start-up) until authorizationFinished() (AuthorizationManager's).
    void authorizationStarted();
    void authorizationFinished(bool ok);

Q_SIGNALS:
    void serverBoundMessage(const QByteArray &body, const McpProxy::JsonRpcMessage &message);
    void cancelRequested(const QString &idKey);
    void clientBoundMessage(const QByteArray &line);

private:
    ToolFilter m_toolFilter;
    // Id keys of the host's tools/list requests still waiting for their answer, each with the
    // number of answers still due (a request refused for a duplicate id gets its own).
    QHash<QString, int> m_toolListRequests;
    ListChangedAfterLogin m_listChanged;
};

} // namespace McpProxy
