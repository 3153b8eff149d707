#include "transport/transporterror.h"

#include "jsonrpc/jsonrpcmessage.h"

#include <QtCore/QJsonObject>

namespace McpProxy {

namespace {
constexpr qsizetype BodyExcerptChars = 500; // as the npm package: first 500 characters
}

QByteArray TransportError::toErrorResponse(QByteArrayView rawId, int timeoutMs) const
{
    QJsonObject data;
    QString message;
    int errorCode = int(JsonRpcErrorCode::ProxyError);
    switch (kind) {
    case Kind::HttpStatus:
        errorCode = int(JsonRpcErrorCode::UpstreamStatus);
        message = QStringLiteral("mcp-oauth2-proxy: upstream returned %1").arg(httpStatus);
        data.insert(QStringLiteral("status"), httpStatus);
        data.insert(QStringLiteral("body"), QString::fromUtf8(body).left(BodyExcerptChars));
        break;
    case Kind::Authorization:
        // Never a bare "401": say what failed and what the user can do (reason).
        errorCode = int(JsonRpcErrorCode::UpstreamStatus);
        message = QStringLiteral("mcp-oauth2-proxy: authorization failed: %1").arg(reason);
        data.insert(QStringLiteral("status"), httpStatus);
        break;
    case Kind::Timeout:
        message = QStringLiteral("mcp-oauth2-proxy: upstream timed out after %1 ms").arg(timeoutMs);
        break;
    case Kind::Network:
    case Kind::StreamEnded:
    case Kind::InvalidResponse:
    case Kind::Shutdown:
        message = QStringLiteral("mcp-oauth2-proxy: upstream request failed");
        break;
    }
    if (kind == Kind::Authorization) {
        data.insert(QStringLiteral("reason"), reason);
    } else if (kind != Kind::HttpStatus) {
        data.insert(QStringLiteral("reason"), reason);
        if (!code.isEmpty())
            data.insert(QStringLiteral("code"), code);
    }
    return JsonRpcMessage::errorResponse(rawId, errorCode, message, data);
}

QString TransportError::describe() const
{
    if (kind == Kind::HttpStatus)
        return QStringLiteral("HTTP %1").arg(httpStatus);
    if (kind == Kind::Authorization) // the reason is user-facing (translated); auth logged it
        return QStringLiteral("authorization failed (HTTP %1)").arg(httpStatus);
    return code.isEmpty() ? reason : reason + QStringLiteral(" (") + code + u')';
}

} // namespace McpProxy
