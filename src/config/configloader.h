#pragma once

#include "config/proxyconfig.h"

#include <QtCore/QProcessEnvironment>
#include <QtCore/QStringList>

#include <optional>

namespace McpProxy {

// What the command line asked for (QCommandLineParser), before merging with file and env.
// An empty string means "not given".
struct CommandLineOptions
{
    // `mcp-oauth2-proxy [login|logout|status] [options] [URL]`: the proxy itself, or a
    // subcommand that manages the stored login of the server (README.md, "Subcommands").
    enum class Command { Proxy, Login, Logout, Status };
    Command command = Command::Proxy;
    bool noBrowser = false; // --no-browser: print the login URL, launch nothing
    QString configFile; // --config FILE (overrides MCP_PROXY_CONFIG)
    QString url; // positional URL (overrides UPSTREAM_URL)
    QStringList headers; // --header "Name: value", repeatable, raw (not yet expanded)
    QString logLevel; // --log-level
    QString logFile; // --log-file
    bool allowHttp = false; // --allow-http
    QString caBundle; // --ca-bundle
};

struct CommandLineParseResult
{
    enum class Status { Ok, Error, HelpRequested, VersionRequested };
    Status status = Status::Ok;
    CommandLineOptions options;
    QString text; // the error line, or the help / version text to print (translated)
};

// Pure: never exits, never prints; argv[0] is arguments.first().
// `mcp-oauth2-proxy [options] [URL]`; more than one positional argument is an error.
CommandLineParseResult parseCommandLine(const QStringList &arguments);

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
ConfigLoadResult loadConfig(const CommandLineOptions &options, const QProcessEnvironment &env);

// UrlPolicy::check() worded as the npm package's assertSecureUrl: an empty string when url may be
// used, else the message (English, for logs) with label as the subject, e.g.
// "oauth2.tokenUrl uses cleartext http to a non-loopback host (…) …".
QString checkSecureUrl(const QString &url, bool allowInsecureHttp, const QString &label);

// The values of config that must never appear in logs (client secret, refresh token,
// authorization code, code verifier, static header values); give each to Redactor::addSecret.
QStringList configSecrets(const ProxyConfig &config);

} // namespace McpProxy
