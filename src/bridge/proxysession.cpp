#include "bridge/proxysession.h"

#include "logging/logcategories.h"

#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>

namespace McpProxy {

using namespace Qt::StringLiterals;

ProxySession::ProxySession(QObject *parent)
    : QObject(parent)
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
    Q_EMIT clientBoundMessage(line);
}

} // namespace McpProxy
