#include "auth/store/mcpremotestore.h"

#include "logging/logcategories.h"

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QFileInfo>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>

using namespace Qt::StringLiterals;

namespace McpProxy {

namespace {

std::optional<QJsonObject> readObject(const QString &path, QDateTime *modified)
{
    QFile file(path);
    if (!file.exists())
        return std::nullopt;
    if (!file.open(QIODevice::ReadOnly)) {
        qCDebug(lcAuth).noquote() << "mcp-remote store: cannot read" << path;
        return std::nullopt;
    }
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll(), &error);
    if (error.error != QJsonParseError::NoError || !document.isObject()) {
        qCDebug(lcAuth).noquote() << "mcp-remote store: not a JSON object:" << path;
        return std::nullopt;
    }
    *modified = QFileInfo(file).lastModified().toUTC();
    return document.object();
}

QString text(const QJsonObject &object, QLatin1StringView name)
{
    return object.value(name).toString();
}

} // namespace

McpRemoteLogin readMcpRemoteLogin(const QString &directory, const QString &serverHash)
{
    McpRemoteLogin login;
    if (directory.isEmpty() || serverHash.isEmpty())
        return login;
    const QDir dir(directory);
    QDateTime modified;
    if (const auto info =
                    readObject(dir.filePath(serverHash + u"_client_info.json"_s), &modified)) {
        McpRemoteLogin::Client client;
        client.clientId = text(*info, "client_id"_L1);
        client.clientSecret = text(*info, "client_secret"_L1);
        client.tokenEndpointAuthMethod = text(*info, "token_endpoint_auth_method"_L1);
        client.issuer = text(*info, "issuer"_L1);
        const QJsonArray uris = info->value("redirect_uris"_L1).toArray();
        for (const auto &uri : std::as_const(uris))
            client.redirectUris << uri.toString();
        // RFC 7591 section 3.2.1: seconds since the epoch, 0 for "never".
        const qint64 expires = qint64(info->value("client_secret_expires_at"_L1).toDouble());
        if (expires > 0)
            client.secretExpiresAt = QDateTime::fromSecsSinceEpoch(expires, Qt::UTC);
        if (!client.clientId.isEmpty())
            login.client = client;
    }
    if (const auto stored = readObject(dir.filePath(serverHash + u"_tokens.json"_s), &modified)) {
        McpRemoteLogin::Tokens tokens;
        tokens.accessToken = text(*stored, "access_token"_L1);
        tokens.tokenType = text(*stored, "token_type"_L1);
        tokens.refreshToken = text(*stored, "refresh_token"_L1);
        tokens.idToken = text(*stored, "id_token"_L1);
        tokens.scope = text(*stored, "scope"_L1);
        tokens.issuer = text(*stored, "issuer"_L1);
        // expires_at (epoch ms, mcp-remote's own field; z.coerce.number() also takes a string),
        // else expires_in counted from when the file was written.
        const QJsonValue expiresAt = stored->value("expires_at"_L1);
        const double at =
                expiresAt.isString() ? expiresAt.toString().toDouble() : expiresAt.toDouble();
        const double expiresIn = stored->value("expires_in"_L1).toDouble();
        if (at > 0)
            tokens.expiresAt = QDateTime::fromMSecsSinceEpoch(qint64(at), Qt::UTC);
        else if (expiresIn > 0 && modified.isValid())
            tokens.expiresAt = modified.addSecs(qint64(expiresIn));
        if (!tokens.accessToken.isEmpty() || !tokens.refreshToken.isEmpty())
            login.tokens = tokens;
    }
    return login;
}

} // namespace McpProxy
