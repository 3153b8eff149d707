#include "app/commandline.h"

#include <QtTest/QtTest>

using namespace Qt::StringLiterals;
using McpProxy::CommandLineParseResult;
using Status = McpProxy::CommandLineParseResult::Status;

class tst_CommandLine : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parse_data();
    void parse();
    void transport_data();
    void transport();
    void mcpRemote();
    void commands_data();
    void commands();
    void errors_data();
    void errors();
    void help();
    void version();
    void toolFilters_data();
    void toolFilters();
};

void tst_CommandLine::parse_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("configFile");
    QTest::addColumn<QString>("url");
    QTest::addColumn<QStringList>("headers");
    QTest::addColumn<QString>("logLevel");
    QTest::addColumn<QString>("logFile");
    QTest::addColumn<bool>("allowHttp");
    QTest::addColumn<QString>("caBundle");

    QTest::addRow("no arguments") << QStringList{} << QString() << QString() << QStringList{}
                                  << QString() << QString() << false << QString();
    QTest::addRow("program only") << QStringList{u"mcp-oauth2-proxy"_s} << QString() << QString()
                                  << QStringList{} << QString() << QString() << false << QString();
    QTest::addRow("url") << QStringList{u"p"_s, u"https://mcp.example.com/mcp"_s} << QString()
                         << u"https://mcp.example.com/mcp"_s << QStringList{} << QString()
                         << QString() << false << QString();
    QTest::addRow("config") << QStringList{u"p"_s, u"--config"_s, u"c.json"_s} << u"c.json"_s
                            << QString() << QStringList{} << QString() << QString() << false
                            << QString();
    QTest::addRow("config with =")
            << QStringList{u"p"_s, u"--config=c.json"_s} << u"c.json"_s << QString()
            << QStringList{} << QString() << QString() << false << QString();
    QTest::addRow("headers repeated")
            << QStringList{u"p"_s, u"--header"_s, u"X-A: 1"_s, u"--header"_s, u"X-B: two"_s}
            << QString() << QString() << QStringList{u"X-A: 1"_s, u"X-B: two"_s} << QString()
            << QString() << false << QString();
    QTest::addRow("everything") << QStringList{u"p"_s, u"--log-level"_s, u"debug"_s,
            u"--log-file"_s, u"logs/proxy.log"_s, u"--allow-http"_s, u"--ca-bundle"_s, u"ca.pem"_s,
            u"http://h/mcp"_s} << QString()
                                << u"http://h/mcp"_s << QStringList{} << u"debug"_s
                                << u"logs/proxy.log"_s << true << u"ca.pem"_s;
    QTest::addRow("option after url")
            << QStringList{u"p"_s, u"https://h/mcp"_s, u"--allow-http"_s} << QString()
            << u"https://h/mcp"_s << QStringList{} << QString() << QString() << true << QString();
    QTest::addRow("double dash") << QStringList{u"p"_s, u"--"_s, u"https://h/mcp"_s} << QString()
                                 << u"https://h/mcp"_s << QStringList{} << QString() << QString()
                                 << false << QString();
}

void tst_CommandLine::parse()
{
    QFETCH(QStringList, arguments);
    const CommandLineParseResult result = McpProxy::parseCommandLine(arguments);
    QCOMPARE(result.status, Status::Ok);
    QVERIFY(result.text.isEmpty());
    QTEST(result.options.configFile, "configFile");
    QTEST(result.options.url, "url");
    QTEST(result.options.headers, "headers");
    QTEST(result.options.logLevel, "logLevel");
    QTEST(result.options.logFile, "logFile");
    QTEST(result.options.allowHttp, "allowHttp");
    QTEST(result.options.caBundle, "caBundle");
}

void tst_CommandLine::transport_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("transport"); // as given; the loader validates it
    QTest::addRow("none") << QStringList{u"p"_s, u"https://h/mcp"_s} << QString();
    for (const QString &value :
            {u"http-first"_s, u"sse-first"_s, u"http-only"_s, u"sse-only"_s, u"bogus"_s}) {
        QTest::addRow("--transport %s", qPrintable(value))
                << QStringList{u"p"_s, u"--transport"_s, value, u"https://h/mcp"_s} << value;
    }
    QTest::addRow("--transport=") << QStringList{u"p"_s, u"--transport=sse-only"_s}
                                  << u"sse-only"_s;
}

void tst_CommandLine::transport()
{
    QFETCH(QStringList, arguments);
    const CommandLineParseResult result = McpProxy::parseCommandLine(arguments);
    QCOMPARE(result.status, Status::Ok);
    QTEST(result.options.transport, "transport");
}

void tst_CommandLine::mcpRemote()
{
    // mcp-remote's options are accepted as given (the loader maps and validates them).
    const CommandLineParseResult result = McpProxy::parseCommandLine({u"p"_s, u"https://h/sse"_s,
            u"9696"_s, u"--header-file"_s, u"h.txt"_s, u"--resource"_s, QString(),
            u"--authorize-param"_s, u"a=1"_s, u"--authorize-param"_s, u"b=2"_s, u"--host"_s,
            u"127.0.0.1"_s, u"--callback-path"_s, u"/cb"_s, u"--auth-timeout"_s, u"60"_s,
            u"--debug"_s, u"--silent"_s, u"--enable-proxy"_s, u"--body-timeout"_s, u"0"_s,
            u"--static-oauth-client-info"_s, u"@info.json"_s, u"--client-credentials"_s,
            u"--token-endpoint"_s, u"https://a/token"_s, u"--disable-resource-parameter"_s});
    QCOMPARE(result.status, Status::Ok);
    const McpProxy::ConfigOverrides::McpRemote &r = result.options.mcpRemote;
    QCOMPARE(result.options.url, u"https://h/sse"_s);
    QCOMPARE(r.callbackPort, u"9696"_s);
    QCOMPARE(r.headerFiles, QStringList{u"h.txt"_s});
    QCOMPARE(r.resource, std::optional(QString()));
    QCOMPARE(r.authorizeParams, (QStringList{u"a=1"_s, u"b=2"_s}));
    QCOMPARE(r.host, std::optional(u"127.0.0.1"_s));
    QCOMPARE(r.callbackPath, std::optional(u"/cb"_s));
    QCOMPARE(r.authTimeout, std::optional(u"60"_s));
    QVERIFY(r.debug && r.silent && r.enableProxy && r.clientCredentials);
    QVERIFY(r.disableResourceParameter);
    QCOMPARE(r.bodyTimeout, std::optional(u"0"_s));
    QCOMPARE(r.staticClientInfo, std::optional(u"@info.json"_s));
    QCOMPARE(r.tokenEndpoint, std::optional(u"https://a/token"_s));
    QVERIFY(!r.connectTimeout && !r.pingInterval && !r.keepAlive && !r.ipv4 && !r.useIdToken);
    QVERIFY(!r.deviceCode && !r.disableCookies && !r.staticClientMetadata);
}

void tst_CommandLine::commands_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<int>("command");
    QTest::addColumn<QString>("url");
    QTest::addColumn<bool>("noBrowser");
    using Command = McpProxy::CommandLineOptions::Command;
    QTest::addRow("proxy") << QStringList{u"p"_s, u"https://h/mcp"_s} << int(Command::Proxy)
                           << u"https://h/mcp"_s << false;
    QTest::addRow("login with url and --no-browser")
            << QStringList{u"p"_s, u"login"_s, u"--no-browser"_s, u"https://h/mcp"_s}
            << int(Command::Login) << u"https://h/mcp"_s << true;
    QTest::addRow("logout without url")
            << QStringList{u"p"_s, u"logout"_s} << int(Command::Logout) << QString() << false;
    QTest::addRow("status") << QStringList{u"p"_s, u"status"_s, u"https://h/mcp"_s}
                            << int(Command::Status) << u"https://h/mcp"_s << false;
    QTest::addRow("options first") << QStringList{u"p"_s, u"--allow-http"_s, u"status"_s}
                                   << int(Command::Status) << QString() << false;
}

void tst_CommandLine::commands()
{
    QFETCH(QStringList, arguments);
    const CommandLineParseResult result = McpProxy::parseCommandLine(arguments);
    QCOMPARE(result.status, Status::Ok);
    QTEST(int(result.options.command), "command");
    QTEST(result.options.url, "url");
    QTEST(result.options.noBrowser, "noBrowser");
}

void tst_CommandLine::errors_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("expected"); // part of the error text

    QTest::addRow("two urls") << QStringList{u"p"_s, u"https://a/mcp"_s, u"https://b/mcp"_s}
                              << u"too many arguments"_s;
    QTest::addRow("command with two urls") << QStringList{u"p"_s, u"login"_s, u"https://a/mcp"_s,
            u"https://b/mcp"_s} << u"too many arguments"_s;
    QTest::addRow("unknown option") << QStringList{u"p"_s, u"--frobnicate"_s} << u"frobnicate"_s;
    QTest::addRow("missing value") << QStringList{u"p"_s, u"--config"_s} << u"config"_s;
    QTest::addRow("value for a flag")
            << QStringList{u"p"_s, u"--allow-http=yes"_s} << u"allow-http"_s;
}

void tst_CommandLine::errors()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, expected);
    const CommandLineParseResult result = McpProxy::parseCommandLine(arguments);
    QCOMPARE(result.status, Status::Error);
    QVERIFY2(result.text.contains(expected), qPrintable(result.text));
    QVERIFY2(result.text.contains(u"--help"_s), qPrintable(result.text));
    QVERIFY(!result.text.contains(u'\n'));
}

void tst_CommandLine::help()
{
    for (const QString &flag : {u"-h"_s, u"--help"_s}) {
        const CommandLineParseResult result =
                McpProxy::parseCommandLine({u"/some/where/mcp-oauth2-proxy"_s, flag});
        QCOMPARE(result.status, Status::HelpRequested);
        QVERIFY(result.text.startsWith(
                u"Usage: mcp-oauth2-proxy [login|logout|status] [options] [URL]\n"_s));
        for (const QString &needle : {u"--config"_s, u"--header"_s, u"--log-level"_s,
                     u"--log-file"_s, u"--allow-http"_s, u"--ca-bundle"_s, u"--no-browser"_s,
                     u"--transport"_s, u"UPSTREAM_TRANSPORT"_s, u"login"_s, u"logout"_s,
                     u"status"_s, u"--version"_s, u"MCP_PROXY_CONFIG"_s, u"UPSTREAM_URL"_s,
                     u"OAUTH2_CLIENT_SECRET"_s, u"OAUTH2_TOKEN_CACHE_DIR"_s,
                     u"ALLOW_INSECURE_HTTP"_s, u"MCP_PROXY_MAX_LINE_BYTES"_s,
                     u"MCP_PROXY_CA_BUNDLE"_s, u"LOG_FILE"_s, u"Precedence"_s}) {
            QVERIFY2(result.text.contains(needle), qPrintable(needle));
        }
        const QStringList lines = result.text.split(u'\n');
        for (const QString &line : lines)
            QVERIFY2(line.size() <= 100, qPrintable(line));
    }
}

void tst_CommandLine::version()
{
    const CommandLineParseResult result =
            McpProxy::parseCommandLine({u"mcp-oauth2-proxy"_s, u"--version"_s});
    QCOMPARE(result.status, Status::VersionRequested);
    QCOMPARE(result.text, u"mcp-oauth2-proxy "_s + QLatin1String(MCPPROXY_VERSION));
}

void tst_CommandLine::toolFilters_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QStringList>("allow");
    QTest::addColumn<QStringList>("ignore");
    QTest::addRow("none") << QStringList{u"p"_s, u"https://h/mcp"_s} << QStringList()
                          << QStringList();
    QTest::addRow("mcp-remote's --ignore-tool, repeated") << QStringList{u"p"_s, u"https://h/mcp"_s,
            u"--ignore-tool"_s, u"delete*"_s, u"--ignore-tool"_s,
            u"*admin*"_s} << QStringList() << QStringList{u"delete*"_s, u"*admin*"_s};
    QTest::addRow("--allow-tool with =") << QStringList{u"p"_s, u"--allow-tool=get_*"_s,
            u"--allow-tool"_s, u"echo"_s, u"https://h/mcp"_s}
                                         << QStringList{u"get_*"_s, u"echo"_s} << QStringList();
    QTest::addRow("both") << QStringList{u"p"_s, u"--allow-tool"_s, u"*"_s, u"--ignore-tool"_s,
            u"drop_*"_s} << QStringList{u"*"_s}
                          << QStringList{u"drop_*"_s};
}

void tst_CommandLine::toolFilters()
{
    QFETCH(QStringList, arguments);
    const CommandLineParseResult result = McpProxy::parseCommandLine(arguments);
    QCOMPARE(result.status, Status::Ok);
    QTEST(result.options.allowTools, "allow");
    QTEST(result.options.ignoreTools, "ignore");
}

QTEST_APPLESS_MAIN(tst_CommandLine)

#include "tst_commandline.moc"
