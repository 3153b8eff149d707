#pragma once

#include "logging/loglevel.h"

#include <QtCore/QByteArray>
#include <QtCore/QList>
#include <QtCore/QProcessEnvironment>
#include <QtCore/QString>
#include <QtCore/QStringList>
#include <QtCore/QUrl>

#include <utility>

namespace McpProxy {

// Validated settings; the loader is the only reader of the environment, so whatever else needs an
// environment variable gets it from here. Names, types and defaults follow the reference
// implementation (npm mcp-oauth2-proxy 0.2.0, its configuration fields); additions are marked
// "addition" and documented in config.example.json. Filled by loadConfig(): defaults < JSON file <
// environment < command line. Each comment: JSON path / env var / option. Differences from the
// reference on purpose: oauth2.grant and oauth2.clientId are optional (Grant::None: the upstream
// needs no OAuth), upstream.url may come from the URL argument, unknown file keys are warnings (not
// silently dropped), and every field is validated whatever the grant (the reference strips the
// fields of the other grant).
struct ProxyConfig
{
    // DeviceCode: the RFC 8628 device authorization grant (addition; mcp-remote's --device-code).
    enum class Grant { None, ClientCredentials, AuthorizationCode, DeviceCode };
    enum class AuthStyle { Body, Header };
    // Which MCP transport to speak upstream (mcp-remote's --transport): Streamable HTTP, the
    // HTTP with SSE transport of MCP 2024-11-05, or one with the other as its fallback.
    enum class Transport { HttpFirst, SseFirst, HttpOnly, SseOnly };
    // Which MCP era the upstream speaks (mcp-remote's --protocol values plus one):
    // Auto detects it per initialize (server/discover first, MCP 2026-07-28 "Backward
    // Compatibility"), Legacy is initialize and sessions (2025-11-25 and earlier), Stateless is
    // MCP 2026-07-28 only.
    enum class Protocol { Auto, Legacy, Stateless };

    struct Upstream
    {
        QUrl url; // upstream.url / UPSTREAM_URL / positional URL (required)
        int timeoutMs = 300000; // upstream.timeoutMs / UPSTREAM_TIMEOUT_MS (> 0, inactivity)
        bool openServerStream = true; // upstream.openServerStream / UPSTREAM_OPEN_SERVER_STREAM
        QString protocolVersion; // upstream.protocolVersion / UPSTREAM_PROTOCOL_VERSION
        // addition: upstream.protocol / UPSTREAM_PROTOCOL / --protocol: auto | legacy | 2026-07-28
        Protocol protocol = Protocol::Auto;
        // addition: static headers sent on every request, never logged (configSecrets()).
        // upstream.headers {"Name":"value"} / --header "Name: value" (command line replaces a
        // same-named file header, case-insensitive). Names are RFC 9110 tokens, values have no
        // control characters, ${VAR} is expanded from the environment (unset: error), and the
        // headers the proxy manages (Host, Content-Length, Content-Type, Accept, Mcp-Session-Id,
        // MCP-Protocol-Version, Last-Event-ID, Transfer-Encoding, Connection) are refused.
        // In file order, then new command-line headers.
        QList<std::pair<QByteArray, QByteArray>> headers;
        // addition: PEM file of extra trusted CA certificates (exists and is readable).
        // upstream.caBundle / MCP_PROXY_CA_BUNDLE / --ca-bundle; empty: system CAs only.
        QString caBundle;
        // addition: upstream.transport / UPSTREAM_TRANSPORT / --transport: http-first (default;
        // HTTP+SSE when initialize gets 400, 404 or 405), sse-first, http-only, sse-only.
        Transport transport = Transport::HttpFirst;
        // addition: upstream.cookies / UPSTREAM_COOKIES / --disable-cookies (false): keep the
        // cookies the MCP server sets, in memory only, and send them back on every MCP request
        // (sticky sessions behind a load balancer, as mcp-remote). A Cookie given with --header
        // wins.
        bool cookies = true;
        // addition: upstream.pingIntervalMs / UPSTREAM_PING_INTERVAL_MS / --keep-alive (30 s),
        // --ping-interval SECONDS: a keep-alive ping into the session this often; 0: never.
        int pingIntervalMs = 0;
        // addition: upstream.connectTimeoutMs / UPSTREAM_CONNECT_TIMEOUT_MS / --connect-timeout,
        // upstream.headersTimeoutMs / UPSTREAM_HEADERS_TIMEOUT_MS / --headers-timeout: bounds for
        // connecting and for the response headers of every request (MCP and OAuth); 0: unbounded
        // (the system's connect timeout; upstream.timeoutMs still bounds inactivity).
        int connectTimeoutMs = 0;
        int headersTimeoutMs = 0;
    };

    struct OAuth2
    {
        // oauth2.grant / OAUTH2_GRANT (optional now) / --device-code: client_credentials,
        // authorization_code or (addition) device_code
        Grant grant = Grant::None;
        QUrl tokenUrl; // oauth2.tokenUrl / OAUTH2_TOKEN_URL (empty: discovery)
        QString clientId; // oauth2.clientId / OAUTH2_CLIENT_ID (optional now)
        QString clientSecret; // oauth2.clientSecret / OAUTH2_CLIENT_SECRET
        QString scope; // oauth2.scope / OAUTH2_SCOPE (space-separated)
        QString resource; // oauth2.resource / OAUTH2_RESOURCE (RFC 8707)
        QString audience; // oauth2.audience / OAUTH2_AUDIENCE
        AuthStyle authStyle = AuthStyle::Body; // oauth2.authStyle / OAUTH2_AUTH_STYLE
        int refreshSkewSeconds = 30; // oauth2.refreshSkewSeconds / OAUTH2_REFRESH_SKEW_SECONDS
        // oauth2.extraParams / OAUTH2_EXTRA_PARAMS (JSON object of strings), in JSON.parse key
        // order (integer-like keys first, then file order), as the reference's Object.entries.
        QList<std::pair<QString, QString>> extraParams;
        QString authorizationCode; // oauth2.authorizationCode / OAUTH2_AUTHORIZATION_CODE
        QUrl authorizationUrl; // oauth2.authorizationUrl / OAUTH2_AUTHORIZATION_URL
        QUrl redirectUri; // oauth2.redirectUri / OAUTH2_REDIRECT_URI
        // addition, derived (never configured): how many ports after redirectUri's may replace
        // it when that one is taken (mcp-remote's callback port derived from the server URL is a
        // preference, its next 7 ports the alternatives); 0: the port is the one registered.
        int callbackPortAlternatives = 0;
        QString codeVerifier; // oauth2.codeVerifier / OAUTH2_CODE_VERIFIER
        QString refreshToken; // oauth2.refreshToken / OAUTH2_REFRESH_TOKEN
        bool interactive = true; // oauth2.interactive / OAUTH2_INTERACTIVE
        QString callbackHost =
                QStringLiteral("127.0.0.1"); // oauth2.callbackHost / OAUTH2_CALLBACK_HOST
        int callbackPort = 53682; // oauth2.callbackPort / OAUTH2_CALLBACK_PORT (0..65535)
        int callbackTimeoutSeconds =
                300; // oauth2.callbackTimeoutSeconds / OAUTH2_CALLBACK_TIMEOUT_SECONDS
        QString tokenCacheDir; // oauth2.tokenCacheDir / OAUTH2_TOKEN_CACHE_DIR (empty: OS default,
                               // the npm package's directory)

        // Additions (MCP 2025-11-25 authorization):
        // oauth2.tokenEndpointAuthMethod / OAUTH2_TOKEN_ENDPOINT_AUTH_METHOD: none,
        // client_secret_basic, client_secret_post or private_key_jwt (RFC 7591 names); empty:
        // from authStyle when set explicitly, the registration, or the AS metadata.
        QString tokenEndpointAuthMethod;
        bool authStyleSet = false; // authStyle was given (it then maps to basic/post)
        // oauth2.clientMetadataUrl / OAUTH2_CLIENT_METADATA_URL: an https URL with a path where
        // the user hosts a Client ID Metadata Document; used as client_id when the AS supports it.
        QUrl clientMetadataUrl;
        // oauth2.privateKeyFile / OAUTH2_PRIVATE_KEY_FILE: PEM key for private_key_jwt (RFC 7523).
        QString privateKeyFile;
        // oauth2.signingAlgorithm / OAUTH2_SIGNING_ALGORITHM: ES256 or RS256 (empty: from the key).
        QString signingAlgorithm;
        // oauth2.sendResource / OAUTH2_SEND_RESOURCE: send the RFC 8707 resource parameter
        // (default true; false for authorization servers that reject it, e.g. Entra ID v2).
        bool sendResource = true;
        // oauth2.requirePkceSupport / OAUTH2_REQUIRE_PKCE_SUPPORT: refuse an authorization server
        // whose metadata does not list S256 (MCP 2025-11-25 MUST; false only for broken servers).
        bool requirePkceSupport = true;
        // oauth2.useIdToken / OAUTH2_USE_ID_TOKEN / --use-id-token: send the OpenID Connect ID
        // token instead of the access token (servers that verify identity); renewal follows its
        // exp claim.
        bool useIdToken = false;
        // --no-browser: never launch a browser; the login URL is printed with instructions and
        // the login can be completed from any browser that reaches the callback.
        bool openBrowser = true;
        // addition: MCP_PROXY_KEYCHAIN (environment only): off, 0, false or no (trimmed, any
        // case) keep the token store's data key in a 0600 file instead of the OS keychain.
        bool useKeychain = true;
        // addition, command line only: mcp-remote's --authorize-param key=value, sent on the
        // authorization request only (unlike extraParams, which go to the token endpoint too).
        QList<std::pair<QString, QString>> authorizeParams;
        // addition: where mcp-remote (npm) keeps the login for this server, to import it once:
        // <MCP_REMOTE_CONFIG_DIR, default ~/.mcp-auth>/mcp-remote-v1 and mcp-remote's hash of the
        // server URL and the options it keys its files by (config/mcpremote.h). Both empty when
        // the URL is not known.
        QString mcpRemoteStoreDirectory;
        QString mcpRemoteServerHash;
    };

    // addition: which tools the host sees and may call (filter/ToolFilter): a tool is visible
    // when `allow` is empty or one of its patterns matches, and none of `deny` does. Patterns
    // match the whole name, ASCII case-insensitively, '*' any run of characters.
    struct Tools
    {
        QStringList allow; // tools.allow / --allow-tool (repeatable)
        QStringList deny; // tools.deny / --ignore-tool (repeatable; mcp-remote's option)
    };

    Upstream upstream;
    OAuth2 oauth2;
    Tools tools;
    bool discoveryEnabled = true; // discovery.enabled / DISCOVERY_ENABLED
    LogLevel logLevel = LogLevel::Info; // log.level / LOG_LEVEL / --log-level
    // addition: log.file / LOG_FILE / --log-file: append logs there (0600) instead of stderr.
    QString logFile;
    bool allowInsecureHttp = false; // allowInsecureHttp / ALLOW_INSECURE_HTTP / --allow-http
    // addition: stdio.maxLineBytes / MCP_PROXY_MAX_LINE_BYTES (>= 1024): longest stdin line.
    qsizetype maxLineBytes = qsizetype(64) * 1024 * 1024;
    // http_proxy, https_proxy, all_proxy and no_proxy (lower or upper case) as the environment
    // had them, for EnvironmentProxyFactory.
    QProcessEnvironment proxyEnvironment;
    // The environment as the loader was given it, unchanged: what programs the proxy starts (a
    // browser, BrowserLauncher) get and where they are looked up (PATH, $BROWSER, DISPLAY). Empty:
    // a child gets an empty environment, and no browser is found on Linux/BSD.
    QProcessEnvironment childEnvironment;
};

} // namespace McpProxy
