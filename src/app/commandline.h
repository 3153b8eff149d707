#pragma once

#include "config/configloader.h"

#include <QtCore/QString>
#include <QtCore/QStringList>

namespace McpProxy {

// What the command line asked for (QCommandLineParser): the command, and the settings it
// overrides (merged with file and environment by loadConfig()).
struct CommandLineOptions : ConfigOverrides
{
    // `mcp-oauth2-proxy [login|logout|status] [options] [URL]`: the proxy itself, or a
    // subcommand that manages the stored login of the server (README.md, "Subcommands").
    enum class Command { Proxy, Login, Logout, Status };
    Command command = Command::Proxy;
};

struct CommandLineParseResult
{
    enum class Status { Ok, Error, HelpRequested, VersionRequested };
    Status status = Status::Ok;
    CommandLineOptions options;
    QString text; // the error line, or the help / version text to print (translated)
};

// Pure: never exits, never prints; argv[0] is arguments.first().
// `mcp-oauth2-proxy [login|logout|status] [options] [URL]`; more than one positional argument
// (after the command) is an error. User-facing text is translated in the context
// "McpProxy::CommandLine".
CommandLineParseResult parseCommandLine(const QStringList &arguments);

} // namespace McpProxy
