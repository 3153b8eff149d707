#include "transport/transporterror.h"

#include "jsonrpc/jsonrpcmessage.h"

#include <QtCore/QJsonObject>

namespace McpProxy {

namespace {
constexpr qsizetype BodyExcerptChars = 500; // as the npm package: first 500 characters

TransportError make(TransportError::Kind kind, const QString &reason)
{
    TransportError error;
    error.kind = kind;
    error.reason = reason;
    return error;
}
} // namespace

TransportError TransportError::upstreamStatus(int status, const QByteArray &bodyExcerpt)
{
    TransportError error = make(Kind::HttpStatus, QString());
    error.httpStatus = status;
    error.body = bodyExcerpt;
    return error;
}

TransportError TransportError::timeout(int timeoutMs)
{
    TransportError error = make(Kind::Timeout, QStringLiteral("upstream deadline exceeded"));
    error.timeoutMs = timeoutMs;
    return error;
}

TransportError TransportError::network(const QString &reason, const QString &code)
{
    TransportError error = make(Kind::Network, reason);
    error.code = code;
    return error;
}

TransportError TransportError::streamEnded(const QString &reason)
{
    return make(Kind::StreamEnded, reason);
}

TransportError TransportError::invalidResponse(const QString &reason, const QString &code)
{
    TransportError error = make(Kind::InvalidResponse, reason);
    error.code = code;
    return error;
}

TransportError TransportError::shutdown()
{
    return make(Kind::Shutdown, QStringLiteral("proxy is shutting down"));
}

TransportError TransportError::authorization(int status, const QString &whatToDo)
{
    TransportError error = make(Kind::Authorization, whatToDo);
    error.httpStatus = status;
    return error;
}

QByteArray TransportError::toErrorResponse(QByteArrayView rawId) const
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
