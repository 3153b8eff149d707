#pragma once

#include "mcp/listchanged.h"

#include <QtCore/QByteArray>
#include <QtCore/QHash>
#include <QtCore/QJsonObject>
#include <QtCore/QList>
#include <QtCore/QString>
#include <QtCore/QStringView>

namespace McpProxy {

// A host that gives up on a list request while it waits for a login (the MCP TypeScript SDK
// cancels a request after 60 s, basic/utilities/cancellation) shows no tools, prompts or
// resources until it lists again, and nothing tells it to: the server's list did not change.
// So when the login succeeds, the host is told that each list it gave up on changed (MCP
// 2025-11-25 server/tools, server/prompts, server/resources, "List Changed Notification"),
// once per list, and only when the InitializeResult the host received declared `listChanged`
// for it (a server that did not declare it never sends the notification). Nothing is said after
// a failed login, for a request answered before its cancellation, or for one cancelled while no
// authorization was pending.
// Pure: fed what the host sent and received and when authorization was pending; ProxySession is
// its shell.
class ListChangedAfterLogin
{
public:
    // A host request on its way upstream: its initialize and its list requests are followed
    // until answered. An initialize starts a new session: its answer says what is declared.
    void requestSent(const QString &idKey, QStringView method);
    // Whether an answer is still awaited (so that the shell reads answers only then).
    bool awaitsAnswers() const { return !m_initializeId.isEmpty() || !m_listRequests.isEmpty(); }
    // A response (or the error instead of one) for the host: `line`, the whole message, is read
    // only when it answers the host's initialize.
    void answered(const QString &idKey, const QByteArray &line);
    // The host cancelled the request (notifications/cancelled).
    void cancelled(const QString &idKey);

    // Messages wait for an authorization round (held at start-up, or a challenge).
    void authorizationStarted() { m_authorizing = true; }
    // The round ended: after a success, the notifications to give the host now, in the order
    // tools, prompts, resources; after a failure none. Either way the round's cancellations are
    // forgotten.
    QList<QByteArray> authorizationFinished(bool ok);

private:
    QString m_initializeId; // the host's initialize, not answered yet
    QJsonObject m_capabilities; // of the InitializeResult the host received
    QHash<QString, ListKind> m_listRequests; // not answered yet
    QList<ListKind> m_cancelled; // while authorization was pending, each kind once
    bool m_authorizing = false;
};

} // namespace McpProxy
