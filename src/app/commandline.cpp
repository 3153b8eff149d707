#include "app/commandline.h"

#include "config/configschema.h"

#include <QtCore/QCommandLineParser>
#include <QtCore/QCoreApplication>

#include <algorithm>
#include <array>

using namespace Qt::StringLiterals;

namespace McpProxy {

namespace {

// The command line's user-facing text (help, errors): translated.
class CommandLineText
{
    Q_DECLARE_TR_FUNCTIONS(McpProxy::CommandLine)
};

constexpr QLatin1String ProgramName = "mcp-oauth2-proxy"_L1;

// mcp-remote's (npm, 0.15.1) options that take no value, and those that take one.
constexpr std::array McpRemoteFlags = {"disable-resource-parameter"_L1, "debug"_L1, "silent"_L1,
        "enable-proxy"_L1, "keep-alive"_L1, "ipv4"_L1, "client-credentials"_L1, "device-code"_L1,
        "use-id-token"_L1, "disable-cookies"_L1};
constexpr std::array McpRemoteValueOptions = {"header-file"_L1, "resource"_L1, "authorize-param"_L1,
        "host"_L1, "callback-path"_L1, "auth-timeout"_L1, "auth-success-url"_L1,
        "connect-timeout"_L1, "headers-timeout"_L1, "body-timeout"_L1, "ping-interval"_L1,
        "static-oauth-client-metadata"_L1, "static-oauth-client-info"_L1, "client-metadata-url"_L1,
        "token-endpoint"_L1};

bool isDecimal(const QString &text)
{
    return !text.isEmpty() && std::all_of(text.begin(), text.end(), [](QChar c) {
        return c >= u'0' && c <= u'9';
    });
}

QString helpText()
{
    struct Line
    {
        QString names;
        QString description;
    };
    const QList<Line> options = {
            {u"--config <file>"_s,
                    CommandLineText::tr("JSON config file (instead of MCP_PROXY_CONFIG)")},
            {u"--header <\"Name: value\">"_s,
                    CommandLineText::tr(
                            "Upstream request header (repeatable; ${VAR} is expanded)")},
            {u"--log-level <level>"_s,
                    CommandLineText::tr(
                            "trace, debug, info, warn, error or fatal (default: info)")},
            {u"--log-file <file>"_s,
                    CommandLineText::tr("Append the log to this file instead of stderr")},
            {u"--allow-http"_s,
                    CommandLineText::tr("Allow cleartext http to hosts that are not loopback")},
            {u"--ca-bundle <file>"_s,
                    CommandLineText::tr("PEM file of additional trusted CA certificates")},
            {u"--protocol <era>"_s,
                    CommandLineText::tr("MCP era: auto (default), legacy or 2026-07-28")},
            {u"--transport <strategy>"_s,
                    CommandLineText::tr("http-first (default), sse-first, http-only or sse-only")},
            {u"--no-browser"_s,
                    CommandLineText::tr("Do not open a browser to log in; print the URL instead")},
            {u"--allow-tool <pattern>"_s,
                    CommandLineText::tr("Show only the tools that match (repeatable; * = any)")},
            {u"--ignore-tool <pattern>"_s,
                    CommandLineText::tr("Hide the tools that match (repeatable; wins over allow)")},
            {u"-h, --help"_s, CommandLineText::tr("Show this help and exit")},
            {u"--version"_s, CommandLineText::tr("Show the version and exit")},
    };
    constexpr qsizetype column = 28;
    QString text =
            CommandLineText::tr("Usage: %1 [login|logout|status] [options] [URL]").arg(ProgramName)
            + u"\n\n"_s
            + CommandLineText::tr("A stdio MCP server that forwards JSON-RPC to a remote "
                                  "Streamable HTTP MCP server,\nadding OAuth 2 access tokens.")
            + u"\n\n"_s + CommandLineText::tr("Arguments:") + u'\n'
            + u"  URL"_s.leftJustified(column)
            + CommandLineText::tr("The upstream MCP endpoint (instead of UPSTREAM_URL)") + u"\n\n"_s
            + CommandLineText::tr("Commands (without one, run the proxy on stdio):") + u'\n'
            + u"  login"_s.leftJustified(column)
            + CommandLineText::tr("Log in to the server now and store the tokens") + u'\n'
            + u"  logout"_s.leftJustified(column)
            + CommandLineText::tr("Delete the stored tokens of the server (and revoke them)")
            + u'\n' + u"  status"_s.leftJustified(column)
            + CommandLineText::tr("Show what is stored for which server (never a token)")
            + u"\n\n"_s + CommandLineText::tr("Options:") + u'\n';
    for (const Line &line : options) {
        QString names = u"  "_s + line.names;
        if (names.size() >= column)
            names += u'\n' + QString(column, u' ');
        else
            names = names.leftJustified(column);
        text += names + line.description + u'\n';
    }
    text += u'\n'
            + CommandLineText::tr("mcp-remote's command line is understood too (README: "
                                  "\"Switching from mcp-remote\"):")
            + u'\n';
    QString remoteLine = u"  <URL> [callback-port]"_s;
    QStringList remoteNames;
    for (const QLatin1String name : McpRemoteValueOptions)
        remoteNames << u"--"_s + name;
    for (const QLatin1String name : McpRemoteFlags)
        remoteNames << u"--"_s + name;
    for (const QString &name : std::as_const(remoteNames)) {
        if (remoteLine.size() + 2 + name.size() > 98) {
            text += remoteLine + u",\n"_s;
            remoteLine = u"  "_s + name;
        } else {
            remoteLine += u", "_s + name;
        }
    }
    text += remoteLine + u"\n"_s;
    text += u'\n' + CommandLineText::tr("Environment (see config.example.json for the file keys):")
            + u'\n';
    QString envLine = u"  MCP_PROXY_CONFIG"_s;
    for (const ConfigSchema::FieldSpec &field : ConfigSchema::Fields) {
        if (field.env.isEmpty())
            continue;
        if (envLine.size() + 2 + field.env.size() > 98) {
            text += envLine + u",\n"_s;
            envLine = u"  "_s + field.env;
        } else {
            envLine += u", "_s + field.env;
        }
    }
    const QString remoteConfigDir = u"MCP_REMOTE_CONFIG_DIR"_s; // mcp-remote's store, imported
    if (envLine.size() + 2 + remoteConfigDir.size() > 98) {
        text += envLine + u",\n"_s;
        envLine = u"  "_s + remoteConfigDir;
    } else {
        envLine += u", "_s + remoteConfigDir;
    }
    text += envLine + u"\n\n"_s;
    text += CommandLineText::tr("Precedence: built-in defaults < config file < environment < "
                                "command line.")
            + u'\n';
    return text;
}

} // namespace

CommandLineParseResult parseCommandLine(const QStringList &arguments)
{
    CommandLineParseResult result;
    QCommandLineParser parser;
    const QCommandLineOption configOption(u"config"_s, QString(), u"file"_s);
    const QCommandLineOption headerOption(u"header"_s, QString(), u"Name: value"_s);
    const QCommandLineOption logLevelOption(u"log-level"_s, QString(), u"level"_s);
    const QCommandLineOption logFileOption(u"log-file"_s, QString(), u"file"_s);
    const QCommandLineOption allowHttpOption(u"allow-http"_s);
    const QCommandLineOption caBundleOption(u"ca-bundle"_s, QString(), u"file"_s);
    const QCommandLineOption protocolOption(u"protocol"_s, QString(), u"era"_s);
    const QCommandLineOption helpOption(QStringList{u"h"_s, u"help"_s});
    const QCommandLineOption versionOption(u"version"_s);
    const QCommandLineOption noBrowserOption(u"no-browser"_s);
    const QCommandLineOption transportOption(u"transport"_s, QString(), u"strategy"_s);
    const QCommandLineOption allowToolOption(u"allow-tool"_s, QString(), u"pattern"_s);
    const QCommandLineOption ignoreToolOption(u"ignore-tool"_s, QString(), u"pattern"_s);
    parser.addOptions({configOption, headerOption, logLevelOption, logFileOption, allowHttpOption,
            caBundleOption, protocolOption, transportOption, helpOption, versionOption,
            noBrowserOption});
    // mcp-remote's options: flags, and options with a value (README.md, "Switching from
    // mcp-remote"); the loader gives them their meaning.
    for (const QLatin1String name : McpRemoteFlags)
        parser.addOption(QCommandLineOption(QString(name)));
    for (const QLatin1String name : McpRemoteValueOptions)
        parser.addOption(QCommandLineOption(QString(name), QString(), u"value"_s));
    parser.addOptions({allowToolOption, ignoreToolOption});
    parser.addPositionalArgument(u"URL"_s, QString(), u"[URL]"_s);

    QStringList argv = arguments;
    if (argv.isEmpty())
        argv << QString(ProgramName);
    const QString hint = CommandLineText::tr("(see %1 --help)").arg(ProgramName);
    if (!parser.parse(argv)) {
        result.status = CommandLineParseResult::Status::Error;
        result.text = parser.errorText() + u' ' + hint;
        return result;
    }
    if (parser.isSet(helpOption)) {
        result.status = CommandLineParseResult::Status::HelpRequested;
        result.text = helpText();
        return result;
    }
    if (parser.isSet(versionOption)) {
        result.status = CommandLineParseResult::Status::VersionRequested;
        result.text = QString(ProgramName) + u' ' + QLatin1String(MCPPROXY_VERSION);
        return result;
    }
    QStringList positional = parser.positionalArguments();
    CommandLineOptions::Command command = CommandLineOptions::Command::Proxy;
    static const std::array<std::pair<QLatin1String, CommandLineOptions::Command>, 3> commands = {{
            {"login"_L1, CommandLineOptions::Command::Login},
            {"logout"_L1, CommandLineOptions::Command::Logout},
            {"status"_L1, CommandLineOptions::Command::Status},
    }};
    for (const auto &[name, value] : commands) {
        if (!positional.isEmpty() && positional.first() == name) {
            command = value;
            positional.removeFirst();
        }
    }
    QString callbackPort;
    // mcp-remote's `<url> [callback-port]`.
    if (positional.size() == 2 && isDecimal(positional.at(1)))
        callbackPort = positional.takeLast();
    if (positional.size() > 1) {
        result.status = CommandLineParseResult::Status::Error;
        result.text = CommandLineText::tr("too many arguments: expected at most one URL, got %1 %2")
                              .arg(positional.size())
                              .arg(hint);
        return result;
    }
    CommandLineOptions &options = result.options;
    options.command = command;
    options.noBrowser = parser.isSet(noBrowserOption);
    options.url = positional.value(0);
    options.configFile = parser.value(configOption);
    options.headers = parser.values(headerOption);
    options.logLevel = parser.value(logLevelOption);
    options.logFile = parser.value(logFileOption);
    options.allowHttp = parser.isSet(allowHttpOption);
    options.caBundle = parser.value(caBundleOption);
    options.protocol = parser.value(protocolOption);
    options.transport = parser.value(transportOption);
    options.allowTools = parser.values(allowToolOption);
    options.ignoreTools = parser.values(ignoreToolOption);

    const auto value = [&parser](QLatin1String name) -> std::optional<QString> {
        if (!parser.isSet(QString(name)))
            return std::nullopt;
        return parser.value(QString(name)); // the last one, as mcp-remote's indexOf-based parser
    };
    const auto flag = [&parser](QLatin1String name) {
        return parser.isSet(QString(name));
    };
    ConfigOverrides::McpRemote &remote = options.mcpRemote;
    remote.callbackPort = callbackPort;
    remote.headerFiles = parser.values(u"header-file"_s);
    remote.resource = value("resource"_L1);
    remote.disableResourceParameter = flag("disable-resource-parameter"_L1);
    remote.authorizeParams = parser.values(u"authorize-param"_s);
    remote.host = value("host"_L1);
    remote.callbackPath = value("callback-path"_L1);
    remote.authTimeout = value("auth-timeout"_L1);
    remote.authSuccessUrl = value("auth-success-url"_L1);
    remote.debug = flag("debug"_L1);
    remote.silent = flag("silent"_L1);
    remote.enableProxy = flag("enable-proxy"_L1);
    remote.connectTimeout = value("connect-timeout"_L1);
    remote.headersTimeout = value("headers-timeout"_L1);
    remote.bodyTimeout = value("body-timeout"_L1);
    remote.keepAlive = flag("keep-alive"_L1);
    remote.pingInterval = value("ping-interval"_L1);
    remote.ipv4 = flag("ipv4"_L1);
    remote.staticClientMetadata = value("static-oauth-client-metadata"_L1);
    remote.staticClientInfo = value("static-oauth-client-info"_L1);
    remote.clientMetadataUrl = value("client-metadata-url"_L1);
    remote.clientCredentials = flag("client-credentials"_L1);
    remote.tokenEndpoint = value("token-endpoint"_L1);
    remote.deviceCode = flag("device-code"_L1);
    remote.useIdToken = flag("use-id-token"_L1);
    remote.disableCookies = flag("disable-cookies"_L1);
    return result;
}

} // namespace McpProxy
