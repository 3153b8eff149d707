#pragma once

#include "logging/loglevel.h"

#include <QtCore/QByteArray>
#include <QtCore/QList>
#include <QtCore/QString>
#include <QtCore/QUrl>

#include <utility>

namespace McpProxy {

// Validated settings. Names, types and defaults follow the reference implementation
// (npm mcp-oauth2-proxy 0.2.0, shared/reference/reference-behaviour.md §1.3); additions are
// marked. Filled by ConfigLoader: defaults < JSON file < environment < command line.
struct ProxyConfig
{
    enum class Grant { None, ClientCredentials, AuthorizationCode };
    enum class AuthStyle { Body, Header };

    struct Upstream
    {
        QUrl url;                        // upstream.url / UPSTREAM_URL / positional URL
        int timeoutMs = 300000;          // upstream.timeoutMs / UPSTREAM_TIMEOUT_MS (inactivity)
        bool openServerStream = true;    // upstream.openServerStream / UPSTREAM_OPEN_SERVER_STREAM
        QString protocolVersion;         // upstream.protocolVersion / UPSTREAM_PROTOCOL_VERSION
        // addition: static headers sent on every request, never logged.
        // upstream.headers {"Name":"value"} / --header "Name: value"; ${VAR} expanded.
        QList<std::pair<QByteArray, QByteArray>> headers;
        QString caBundle;                // addition: upstream.caBundle / MCP_PROXY_CA_BUNDLE / --ca-bundle
    };

    struct OAuth2
    {
        Grant grant = Grant::None;       // oauth2.grant / OAUTH2_GRANT (optional now)
        QUrl tokenUrl;
        QString clientId;
        QString clientSecret;
        QString scope;
        QString resource;
        QString audience;
        AuthStyle authStyle = AuthStyle::Body;
        int refreshSkewSeconds = 30;
        QList<std::pair<QString, QString>> extraParams; // in file order
        QString authorizationCode;
        QUrl authorizationUrl;
        QUrl redirectUri;
        QString codeVerifier;
        QString refreshToken;
        bool interactive = true;
        QString callbackHost = QStringLiteral("127.0.0.1");
        int callbackPort = 53682;
        int callbackTimeoutSeconds = 300;
        QString tokenCacheDir;
    };

    Upstream upstream;
    OAuth2 oauth2;
    bool discoveryEnabled = true;        // discovery.enabled / DISCOVERY_ENABLED
    LogLevel logLevel = LogLevel::Info;  // log.level / LOG_LEVEL / --log-level
    QString logFile;                     // addition: log.file / LOG_FILE / --log-file
    bool allowInsecureHttp = false;      // allowInsecureHttp / ALLOW_INSECURE_HTTP / --allow-http
    qsizetype maxLineBytes = 64 * 1024 * 1024; // addition: stdio.maxLineBytes / MCP_PROXY_MAX_LINE_BYTES
};

} // namespace McpProxy
