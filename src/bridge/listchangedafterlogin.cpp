#include "bridge/listchangedafterlogin.h"

#include <QtCore/QJsonDocument>
#include <QtCore/QJsonValue>

#include <utility>

namespace McpProxy {

using namespace Qt::StringLiterals;

void ListChangedAfterLogin::requestSent(const QString &idKey, QStringView method)
{
    if (method == "initialize"_L1) {
        // MCP basic/lifecycle: a new session; what the host knows comes with the answer.
        m_initializeId = idKey;
        m_capabilities = QJsonObject();
        return;
    }
    if (const auto kind = listKindOfMethod(method))
        m_listRequests.insert(idKey, *kind);
}

void ListChangedAfterLogin::answered(const QString &idKey, const QByteArray &line)
{
    if (!m_initializeId.isEmpty() && idKey == m_initializeId) {
        m_initializeId.clear();
        m_capabilities = QJsonDocument::fromJson(line)
                                 .object()
                                 .value("result"_L1)
                                 .toObject()
                                 .value("capabilities"_L1)
                                 .toObject();
        return;
    }
    m_listRequests.remove(idKey);
}

void ListChangedAfterLogin::cancelled(const QString &idKey)
{
    if (idKey == m_initializeId)
        m_initializeId.clear(); // no answer comes for it
    const auto it = m_listRequests.constFind(idKey);
    if (it == m_listRequests.cend())
        return; // answered already, or not a list request
    const ListKind kind = it.value();
    m_listRequests.erase(it);
    if (m_authorizing && !m_cancelled.contains(kind))
        m_cancelled.append(kind);
}

QList<QByteArray> ListChangedAfterLogin::authorizationFinished(bool ok)
{
    m_authorizing = false;
    const QList<ListKind> cancelled = std::exchange(m_cancelled, {});
    QList<QByteArray> notifications;
    if (!ok)
        return notifications;
    for (const ListKind kind : AllListKinds) {
        if (cancelled.contains(kind) && declaresListChanged(m_capabilities, kind))
            notifications.append(listChangedNotification(kind));
    }
    return notifications;
}

} // namespace McpProxy
