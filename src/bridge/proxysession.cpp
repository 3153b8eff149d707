#include "bridge/proxysession.h"

#include "logging/logcategories.h"

#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>

namespace McpProxy {

using namespace Qt::StringLiterals;

ProxySession::ProxySession(QObject *parent)
    : QObject(parent)
{ }

ProxySession::ProxySession(const ToolFilter &toolFilter, QObject *parent)
    : QObject(parent)
    , m_toolFilter(toolFilter)
{ }

void ProxySession::routeClientLine(const QByteArray &line)
{
    const JsonRpcMessage message = JsonRpcMessage::classify(line);
    switch (message.kind()) {
    case JsonRpcMessage::Kind::Invalid:
        // JSON-RPC 2.0 section 5: -32700 for unparseable text (id null), -32600 for valid JSON that
        // is not a request object. The proxy goes on either way.
        qCWarning(lcBridge).noquote() << "stdin: rejected line:" << message.errorMessage();
        Q_EMIT clientBoundMessage(
                JsonRpcMessage::errorResponse(message.rawId(), int(message.error()),
                        message.error() == JsonRpcErrorCode::ParseError ? u"Parse error"_s
                                                                        : u"Invalid Request"_s,
                        QJsonObject{{u"reason"_s, message.errorMessage()}}));
        return;
    case JsonRpcMessage::Kind::Batch:
        // MCP 2025-06-18 removed JSON-RPC batching; hosts never send batches. Answer instead of
        // forwarding something the server must reject.
        qCWarning(lcBridge) << "stdin: rejected a JSON-RPC batch";
        Q_EMIT clientBoundMessage(JsonRpcMessage::errorResponse("null",
                int(JsonRpcErrorCode::InvalidRequest), u"Invalid Request"_s,
                QJsonObject{{u"reason"_s,
                        u"JSON-RPC batches are not supported (removed in MCP 2025-06-18)"_s}}));
        return;
    case JsonRpcMessage::Kind::Request:
        if (const auto refusal = m_toolFilter.refuseCall(line, message)) {
            qCInfo(lcBridge).noquote()
                    << "refused a call of a filtered tool, id" << message.rawId();
            Q_EMIT clientBoundMessage(*refusal);
            return;
        }
        if (m_toolFilter.isActive() && message.method() == "tools/list"_L1)
            ++m_toolListRequests[message.idKey()];
        m_listChanged.requestSent(message.idKey(), message.method());
        break;
    case JsonRpcMessage::Kind::Notification:
        if (message.method() == "notifications/cancelled"_L1) {
            // MCP basic/utilities/cancellation: the receiver stops work and sends no response;
            // the sender ignores any response that still arrives. Forward it, then abort ours.
            const QJsonValue requestId = QJsonDocument::fromJson(line)
                                                 .object()
                                                 .value("params"_L1)
                                                 .toObject()
                                                 .value("requestId"_L1);
            const QString idKey = JsonRpcMessage::idKey(requestId);
            m_toolListRequests.remove(idKey); // no answer comes for it
            m_listChanged.cancelled(idKey);
            Q_EMIT serverBoundMessage(line, message);
            if (!idKey.isEmpty())
                Q_EMIT cancelRequested(idKey); // a request no longer in flight is left alone
            return;
        }
        break;
    case JsonRpcMessage::Kind::Response:
        break; // the client answering a server→client request
    }
    Q_EMIT serverBoundMessage(line, message);
}

void ProxySession::rejectOverlongLine(const QByteArray &start, qsizetype maxLength)
{
    Q_EMIT clientBoundMessage(JsonRpcMessage::errorResponse(
            JsonRpcMessage::requestIdOfTruncatedText(start), int(JsonRpcErrorCode::InvalidRequest),
            u"Invalid Request"_s,
            QJsonObject{{u"reason"_s,
                    QStringLiteral("message longer than %1 bytes dropped").arg(maxLength)}}));
}

void ProxySession::routeServerLine(const QByteArray &line)
{
    if (m_toolListRequests.isEmpty() && !m_listChanged.awaitsAnswers()) {
        Q_EMIT clientBoundMessage(line);
        return;
    }
    const JsonRpcMessage message = JsonRpcMessage::classify(line);
    if (message.isResponse())
        m_listChanged.answered(message.idKey(), line);
    if (!m_toolListRequests.isEmpty()) {
        // Every page of tools/list is one response (MCP server/tools "Listing Tools",
        // basic/utilities/pagination): each loses the hidden tools. Server requests and
        // notifications (notifications/tools/list_changed among them) pass unchanged.
        if (message.isResponse() && m_toolListRequests.contains(message.idKey())) {
            if (--m_toolListRequests[message.idKey()] == 0)
                m_toolListRequests.remove(message.idKey());
            QStringList hidden;
            if (const auto filtered = m_toolFilter.filterListResponse(line, &hidden)) {
                qCDebug(lcBridge).noquote()
                        << "tools/list: hid" << hidden.size() << "tool(s):" << hidden.join(u", ");
                Q_EMIT clientBoundMessage(*filtered);
                return;
            }
        }
    }
    Q_EMIT clientBoundMessage(line);
}

void ProxySession::authorizationStarted()
{
    m_listChanged.authorizationStarted();
}

void ProxySession::authorizationFinished(bool ok)
{
    for (const QByteArray &notification : m_listChanged.authorizationFinished(ok)) {
        qCInfo(lcBridge).noquote() << "the host gave up on a list while authorization was "
                                      "pending; telling it to list again:"
                                   << notification;
        Q_EMIT clientBoundMessage(notification);
    }
}

} // namespace McpProxy
