#pragma once

#include "config/proxyconfig.h"

#include <QtCore/QProcessEnvironment>
#include <QtCore/QStringList>

#include <optional>

namespace McpProxy {

// What the command line asked for (QCommandLineParser), before merging with file and env.
struct CommandLineOptions
{
    QString configFile;        // --config FILE (overrides MCP_PROXY_CONFIG)
    QString url;               // positional URL (overrides UPSTREAM_URL)
    QStringList headers;       // --header "Name: value", repeatable, raw (not yet expanded)
    QString logLevel;          // --log-level
    QString logFile;           // --log-file
    bool allowHttp = false;    // --allow-http
    QString caBundle;          // --ca-bundle
};

struct CommandLineParseResult
{
    enum class Status { Ok, Error, HelpRequested, VersionRequested };
    Status status = Status::Ok;
    CommandLineOptions options;
    QString text; // the error line, or the help / version text to print
};

// Pure: no I/O beyond reading nothing; argv[0] is arguments.first().
CommandLineParseResult parseCommandLine(const QStringList &arguments);

struct ConfigLoadResult
{
    std::optional<ProxyConfig> config;
    QString error;          // one line: names the field, the bad value (secrets masked), what is allowed
    QStringList warnings;   // e.g. unknown keys in the file, with the closest known key
};

// Merge built-in defaults < JSON file (options.configFile, else env MCP_PROXY_CONFIG) < environment
// < command line, then validate. Never calls qgetenv: the environment is injected.
ConfigLoadResult loadConfig(const CommandLineOptions &options, const QProcessEnvironment &env);

// The reference's loopback rule (reference §7.1): localhost, 127.0.0.0/8 (dotted quad), ::1.
bool isLoopbackHost(const QString &host);

} // namespace McpProxy
