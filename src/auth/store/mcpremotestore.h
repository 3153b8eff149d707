#pragma once

#include <QtCore/QDateTime>
#include <QtCore/QString>
#include <QtCore/QStringList>

#include <optional>

namespace McpProxy {

// What mcp-remote (npm) stored for one server: its client registration (RFC 7591 client
// information) and its tokens. Secrets: never log them.
struct McpRemoteLogin
{
    struct Client
    {
        QString clientId;
        QString clientSecret; // empty for a public client
        QString tokenEndpointAuthMethod;
        QStringList redirectUris;
        QString issuer; // empty when mcp-remote did not record it
        QDateTime secretExpiresAt; // UTC; invalid when the secret does not expire
    };
    struct Tokens
    {
        QString accessToken;
        QString tokenType;
        QString refreshToken;
        QString idToken;
        QString scope;
        QDateTime expiresAt; // UTC; invalid when unknown
        QString issuer; // empty when not recorded
    };
    std::optional<Client> client;
    std::optional<Tokens> tokens;
};

// Best-effort, read-only: <directory>/<serverHash>_client_info.json and <serverHash>_tokens.json
// as mcp-remote 0.15 writes them (directory: <MCP_REMOTE_CONFIG_DIR or ~/.mcp-auth>/mcp-remote-v1;
// expires_at in epoch ms, else expires_in from the file's modification time). A file that is
// missing or does not parse is left out (debug log). Nothing is written or deleted there: the
// caller keeps what it uses in its own store, and later starts find it there.
McpRemoteLogin readMcpRemoteLogin(const QString &directory, const QString &serverHash);

} // namespace McpProxy
