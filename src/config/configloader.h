#pragma once

#include "config/proxyconfig.h"

#include <QtCore/QProcessEnvironment>
#include <QtCore/QStringList>

#include <optional>

namespace McpProxy {

// What the command line may set (app/commandline.h fills it), before merging with file and env.
// An empty string means "not given".
struct ConfigOverrides
{
    bool noBrowser = false; // --no-browser: print the login URL, launch nothing
    QString configFile; // --config FILE (overrides MCP_PROXY_CONFIG)
    QString url; // positional URL (overrides UPSTREAM_URL)
    QStringList headers; // --header "Name: value", repeatable, raw (not yet expanded)
    QString logLevel; // --log-level
    QString logFile; // --log-file
    bool allowHttp = false; // --allow-http
    QString caBundle; // --ca-bundle
    QString transport; // --transport
    QString protocol; // --protocol auto|legacy|2026-07-28
    QStringList allowTools; // --allow-tool PATTERN, repeatable (replaces tools.allow)
    QStringList ignoreTools; // --ignore-tool PATTERN, repeatable (replaces tools.deny)

    // mcp-remote's options (npm mcp-remote 0.15.1), as given; the loader maps them onto the
    // settings and refuses what cannot be honoured (README.md, "Switching from mcp-remote").
    // std::nullopt: not given.
    struct McpRemote
    {
        QString callbackPort; // the second positional argument: <url> [callback-port]
        QStringList headerFiles; // --header-file FILE, repeatable
        std::optional<QString> resource; // --resource URI ("" omits the parameter)
        bool disableResourceParameter = false; // --disable-resource-parameter
        QStringList authorizeParams; // --authorize-param key=value, repeatable
        std::optional<QString> host; // --host
        std::optional<QString> callbackPath; // --callback-path
        std::optional<QString> authTimeout; // --auth-timeout SECONDS
        std::optional<QString> authSuccessUrl; // --auth-success-url
        bool debug = false; // --debug
        bool silent = false; // --silent
        bool enableProxy = false; // --enable-proxy
        std::optional<QString> connectTimeout; // --connect-timeout SECONDS
        std::optional<QString> headersTimeout; // --headers-timeout SECONDS
        std::optional<QString> bodyTimeout; // --body-timeout SECONDS
        bool keepAlive = false; // --keep-alive
        std::optional<QString> pingInterval; // --ping-interval SECONDS
        bool ipv4 = false; // --ipv4
        std::optional<QString> staticClientMetadata; // --static-oauth-client-metadata JSON|@file
        std::optional<QString> staticClientInfo; // --static-oauth-client-info JSON|@file
        std::optional<QString> clientMetadataUrl; // --client-metadata-url
        bool clientCredentials = false; // --client-credentials
        std::optional<QString> tokenEndpoint; // --token-endpoint
        bool deviceCode = false; // --device-code
        bool useIdToken = false; // --use-id-token
        bool disableCookies = false; // --disable-cookies
    };
    McpRemote mcpRemote;
};

struct ConfigLoadResult
{
    std::optional<ProxyConfig> config;
    // One translated line: names the field (JSON path, env var or option), the bad value (secrets
    // as "****") and what is allowed. The caller prints "failed to load config: <error>" and
    // exits 2, as the npm mcp-oauth2-proxy does.
    QString error;
    // Log text (not translated), e.g. `config: unknown key "upstream.timeout" (did you mean
    // "upstream.timeoutMs"?)`. Filled even when error is set.
    QStringList warnings;
};

// Merge built-in defaults < JSON file (options.configFile, else env MCP_PROXY_CONFIG) < environment
// < command line, then validate (the npm package's order, plus the command line). Never calls
// qgetenv: the environment is injected; it also supplies ${VAR} in header values. In the file, keys
// starting with "//" or "$" (comments,
// "$schema") are ignored; other unknown keys are warnings.
ConfigLoadResult loadConfig(const ConfigOverrides &options, const QProcessEnvironment &env);

// `status` without a server, when the full configuration does not load: the built-in defaults
// plus what the environment says about the token store (OAUTH2_TOKEN_CACHE_DIR as given,
// MCP_PROXY_KEYCHAIN) and the network (the proxy variables). Never fails.
ProxyConfig environmentDefaults(const QProcessEnvironment &env);

// UrlPolicy::check() worded as the npm package's assertSecureUrl: an empty string when url may be
// used, else the message (English, for logs) with label as the subject, e.g.
// "oauth2.tokenUrl uses cleartext http to a non-loopback host (…) …".
QString checkSecureUrl(const QString &url, bool allowInsecureHttp, const QString &label);

// The values of config that must never appear in logs (client secret, refresh token,
// authorization code, code verifier, static header values); give each to Redactor::addSecret.
QStringList configSecrets(const ProxyConfig &config);

} // namespace McpProxy
