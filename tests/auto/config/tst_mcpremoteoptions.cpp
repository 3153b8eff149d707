#include "app/commandline.h"
#include "config/configloader.h"
#include "config/mcpremote.h"

#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

using namespace Qt::StringLiterals;
using McpProxy::ConfigLoadResult;
using McpProxy::ProxyConfig;
namespace McpRemote = McpProxy::McpRemote;

// mcp-remote's (npm, 0.15.1) command line, understood as mcp-remote understands it: every option
// is mapped onto a setting or refused with one line (README.md, "Switching from mcp-remote").
// Expected hashes and ports were computed with mcp-remote's own getServerUrlHash() and
// calculateDefaultPort().
class tst_McpRemoteOptions : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void hash_data();
    void hash();
    void stringifySorted_data();
    void stringifySorted();
    void headerLine_data();
    void headerLine();
    void headerFile();
    void options_data();
    void options();
    void errors_data();
    void errors();
    void storedClientSelectsRedirectUri();
    void commandLineHeaderWinsOverHeaderFile();

private:
    ConfigLoadResult load(const QStringList &args, const QStringList &env = {});
    QString writeFile(const QString &name, const QByteArray &content);

    std::unique_ptr<QTemporaryDir> m_tmp;
};

namespace {

// The settings a row checks, as text.
QString fieldText(const ProxyConfig &c, const QString &path)
{
    const auto pairs = [](const QList<std::pair<QString, QString>> &list) {
        QStringList out;
        for (const auto &p : list)
            out << p.first + u'=' + p.second;
        return out.join(u'&');
    };
    const auto bytePairs = [](const QList<std::pair<QByteArray, QByteArray>> &list) {
        QStringList out;
        for (const auto &p : list)
            out << QString::fromUtf8(p.first + ": " + p.second);
        return out.join(u'|');
    };
    const ProxyConfig::OAuth2 &o = c.oauth2;
    if (path == u"upstream.url")
        return c.upstream.url.toString();
    if (path == u"upstream.headers")
        return bytePairs(c.upstream.headers);
    if (path == u"upstream.timeoutMs")
        return QString::number(c.upstream.timeoutMs);
    if (path == u"upstream.transport")
        return QString::number(int(c.upstream.transport));
    if (path == u"upstream.protocol")
        return QString::number(int(c.upstream.protocol));
    if (path == u"upstream.pingIntervalMs")
        return QString::number(c.upstream.pingIntervalMs);
    if (path == u"upstream.connectTimeoutMs")
        return QString::number(c.upstream.connectTimeoutMs);
    if (path == u"upstream.headersTimeoutMs")
        return QString::number(c.upstream.headersTimeoutMs);
    if (path == u"upstream.cookies")
        return c.upstream.cookies ? u"true"_s : u"false"_s;
    if (path == u"oauth2.useIdToken")
        return o.useIdToken ? u"true"_s : u"false"_s;
    if (path == u"oauth2.grant")
        return QString::number(int(o.grant));
    if (path == u"oauth2.tokenUrl")
        return o.tokenUrl.toString();
    if (path == u"oauth2.clientId")
        return o.clientId;
    if (path == u"oauth2.clientSecret")
        return o.clientSecret;
    if (path == u"oauth2.scope")
        return o.scope;
    if (path == u"oauth2.resource")
        return o.resource;
    if (path == u"oauth2.sendResource")
        return o.sendResource ? u"true"_s : u"false"_s;
    if (path == u"oauth2.tokenEndpointAuthMethod")
        return o.tokenEndpointAuthMethod;
    if (path == u"oauth2.clientMetadataUrl")
        return o.clientMetadataUrl.toString();
    if (path == u"oauth2.redirectUri")
        return o.redirectUri.toString();
    if (path == u"oauth2.callbackHost")
        return o.callbackHost;
    if (path == u"oauth2.callbackPort")
        return QString::number(o.callbackPort);
    if (path == u"oauth2.callbackPortAlternatives")
        return QString::number(o.callbackPortAlternatives);
    if (path == u"oauth2.callbackTimeoutSeconds")
        return QString::number(o.callbackTimeoutSeconds);
    if (path == u"oauth2.authorizeParams")
        return pairs(o.authorizeParams);
    if (path == u"oauth2.mcpRemoteServerHash")
        return o.mcpRemoteServerHash;
    if (path == u"log.level")
        return QString::number(int(c.logLevel));
    if (path == u"allowInsecureHttp")
        return c.allowInsecureHttp ? u"true"_s : u"false"_s;
    qFatal("unknown field %s", qPrintable(path));
}

} // namespace

void tst_McpRemoteOptions::init()
{
    m_tmp = std::make_unique<QTemporaryDir>();
    QVERIFY(m_tmp->isValid());
}

QString tst_McpRemoteOptions::writeFile(const QString &name, const QByteArray &content)
{
    const QString path = m_tmp->filePath(name);
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        qFatal("cannot write %s", qPrintable(path));
    file.write(content);
    return path;
}

ConfigLoadResult tst_McpRemoteOptions::load(const QStringList &args, const QStringList &env)
{
    QProcessEnvironment environment;
    environment.insert(u"MCP_REMOTE_CONFIG_DIR"_s, m_tmp->filePath(u"mcp-auth"_s));
    for (const QString &entry : env) {
        const qsizetype equals = entry.indexOf(u'=');
        environment.insert(entry.left(equals), entry.mid(equals + 1));
    }
    QStringList argv{u"mcp-oauth2-proxy"_s};
    for (const QString &arg : args)
        argv << QString(arg).replace(u"@TMP@"_s, m_tmp->path());
    const McpProxy::CommandLineParseResult parsed = McpProxy::parseCommandLine(argv);
    if (parsed.status != McpProxy::CommandLineParseResult::Status::Ok) {
        ConfigLoadResult result;
        result.error = parsed.text;
        return result;
    }
    return McpProxy::loadConfig(parsed.options, environment);
}

void tst_McpRemoteOptions::hash_data()
{
    QTest::addColumn<QString>("serverUrl");
    QTest::addColumn<QString>("resource");
    QTest::addColumn<QStringList>("headers"); // name, value, name, value…
    QTest::addColumn<QStringList>("authorizeParams");
    QTest::addColumn<QString>("clientMetadataUrl");
    QTest::addColumn<QString>("tokenEndpoint");
    QTest::addColumn<QString>("hash");
    QTest::addColumn<int>("port");

    QTest::addRow("url only") << u"https://remote.mcp.server/sse"_s << QString() << QStringList{}
                              << QStringList{} << QString() << QString()
                              << u"2499d8b26827bb8c0b6efe76f75fcbe2"_s << 12704;
    QTest::addRow("resource") << u"https://mcp.atlassian.com/v1/sse"_s
                              << u"https://tenant1.atlassian.net/"_s << QStringList{}
                              << QStringList{} << QString() << QString()
                              << u"224d1023ed8b747f99479d42f28f0bb6"_s << 12116;
    QTest::addRow("header before expansion")
            << u"https://remote.mcp.server/sse"_s << QString()
            << QStringList{u"Authorization"_s, u"Bearer ${AUTH_TOKEN}"_s} << QStringList{}
            << QString() << QString() << u"761a0d2f90baa2cc05369a9f55dfd245"_s << 33569;
    QTest::addRow("authorize params")
            << u"https://remote.mcp.server/mcp"_s << QString() << QStringList{}
            << QStringList{u"access_type"_s, u"offline"_s, u"prompt"_s, u"consent"_s} << QString()
            << QString() << u"5c4500975119eaf056ff228e9c7caced"_s << 26956;
    QTest::addRow("everything, escapes, sorting")
            << u"https://remote.mcp.server/mcp"_s << QString()
            << QStringList{u"b"_s, u"2"_s, u"a"_s, u"\u00e9\"\\\n\u0001"_s}
            << QStringList{u"z"_s, u"1"_s, u"A"_s, u"x"_s} << u"https://client.example.com/m"_s
            << u"https://auth.example.com/token"_s << u"b8af1cf629b1316df6435a53f9f8f1c9"_s << 4798;
}

void tst_McpRemoteOptions::hash()
{
    QFETCH(QString, serverUrl);
    QFETCH(QString, resource);
    QFETCH(QStringList, headers);
    QFETCH(QStringList, authorizeParams);
    QFETCH(QString, clientMetadataUrl);
    QFETCH(QString, tokenEndpoint);
    McpRemote::HashInput input{serverUrl, resource, {}, {}, clientMetadataUrl, tokenEndpoint};
    for (qsizetype i = 0; i + 1 < headers.size(); i += 2)
        input.headers.append({headers.at(i), headers.at(i + 1)});
    for (qsizetype i = 0; i + 1 < authorizeParams.size(); i += 2)
        input.authorizeParams.append({authorizeParams.at(i), authorizeParams.at(i + 1)});
    const QString hash = McpRemote::serverUrlHash(input);
    QTEST(hash, "hash");
    QTEST(McpRemote::defaultCallbackPort(hash), "port");
}

void tst_McpRemoteOptions::stringifySorted_data()
{
    QTest::addColumn<QStringList>("members");
    QTest::addColumn<QString>("json");
    QTest::addRow("empty") << QStringList{} << u"{}"_s;
    QTest::addRow("sorted by code unit") << QStringList{u"b"_s, u"2"_s, u"a"_s, u"1"_s, u"B"_s,
            u"3"_s} << u"{\"B\":\"3\",\"a\":\"1\",\"b\":\"2\"}"_s;
    QTest::addRow("later duplicate wins")
            << QStringList{u"a"_s, u"1"_s, u"a"_s, u"2"_s} << u"{\"a\":\"2\"}"_s;
    QTest::addRow("escapes") << QStringList{u"a"_s, u"\u00e9\"\\\n\u0001\b\f\r\t"_s}
                             << u"{\"a\":\"\u00e9\\\"\\\\\\n\\u0001\\b\\f\\r\\t\"}"_s;
    QTest::addRow("lone surrogate")
            << QStringList{u"a"_s, QString(QChar(0xd800))} << u"{\"a\":\"\\ud800\"}"_s;
}

void tst_McpRemoteOptions::stringifySorted()
{
    QFETCH(QStringList, members);
    McpRemote::StringPairs pairs;
    for (qsizetype i = 0; i + 1 < members.size(); i += 2)
        pairs.append({members.at(i), members.at(i + 1)});
    QTEST(McpRemote::stringifySorted(pairs), "json");
}

void tst_McpRemoteOptions::headerLine_data()
{
    QTest::addColumn<QString>("line");
    QTest::addColumn<bool>("matches");
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("value");
    QTest::addRow("plain") << u"X-Api-Key: abc"_s << true << u"X-Api-Key"_s << u"abc"_s;
    QTest::addRow("no space") << u"Authorization:${AUTH_HEADER}"_s << true << u"Authorization"_s
                              << u"${AUTH_HEADER}"_s;
    QTest::addRow("trailing space kept") << u"A:  v "_s << true << u"A"_s << u"v "_s;
    QTest::addRow("empty value") << u"A:"_s << true << u"A"_s << QString();
    QTest::addRow("dot in name") << u"X.Y: v"_s << false << QString() << QString();
    QTest::addRow("space before colon") << u"A : v"_s << false << QString() << QString();
    QTest::addRow("no colon") << u"Bearer abc"_s << false << QString() << QString();
    QTest::addRow("newline in value") << u"A: v\nB: w"_s << false << QString() << QString();
}

void tst_McpRemoteOptions::headerLine()
{
    QFETCH(QString, line);
    QFETCH(bool, matches);
    const auto header = McpRemote::parseHeaderLine(line);
    QCOMPARE(header.has_value(), matches);
    if (header) {
        QTEST(header->first, "name");
        QTEST(header->second, "value");
    }
}

void tst_McpRemoteOptions::headerFile()
{
    const auto lines = McpRemote::parseHeaderFile(
            u"# credentials\r\n\r\n  Authorization: Bearer t  \r\nX-Custom: c\nbad line\n"_s);
    QCOMPARE(lines.size(), 3);
    QCOMPARE(lines.at(0).first, 3);
    QCOMPARE(lines.at(0).second, std::optional(std::pair{u"Authorization"_s, u"Bearer t"_s}));
    QCOMPARE(lines.at(1).first, 4);
    QCOMPARE(lines.at(1).second, std::optional(std::pair{u"X-Custom"_s, u"c"_s}));
    QCOMPARE(lines.at(2).first, 5);
    QVERIFY(!lines.at(2).second);
}

void tst_McpRemoteOptions::options_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QStringList>("env");
    QTest::addColumn<QStringList>("expected"); // field=value

    const QString url = u"https://remote.mcp.server/sse"_s;
    const QString localhost = McpRemote::defaultCallbackHost();
    // The README's host configurations first.
    QTest::addRow("README: plain url")
            << QStringList{url} << QStringList{}
            << QStringList{u"upstream.url="_s + url, u"oauth2.redirectUri="_s,
                       u"oauth2.callbackPort=53682"_s, u"oauth2.callbackPortAlternatives=0"_s,
                       u"oauth2.mcpRemoteServerHash=2499d8b26827bb8c0b6efe76f75fcbe2"_s};
    QTest::addRow("README: header with ${VAR}")
            << QStringList{url, u"--header"_s, u"Authorization: Bearer ${AUTH_TOKEN}"_s}
            << QStringList{u"AUTH_TOKEN=t0k"_s}
            << QStringList{u"upstream.headers=Authorization: Bearer t0k"_s,
                       u"oauth2.mcpRemoteServerHash=761a0d2f90baa2cc05369a9f55dfd245"_s};
    QTest::addRow("README: header without spaces")
            << QStringList{url, u"--header"_s, u"Authorization:${AUTH_HEADER}"_s}
            << QStringList{u"AUTH_HEADER=Bearer x"_s}
            << QStringList{u"upstream.headers=Authorization: Bearer x"_s};
    QTest::addRow("README: header file")
            << QStringList{url, u"--header-file"_s, u"@TMP@/headers.txt"_s} << QStringList{}
            << QStringList{u"upstream.headers=Authorization: Bearer my-token|X-Custom-Header: "
                           "custom-value"_s};
    QTest::addRow("README: resource")
            << QStringList{u"https://mcp.atlassian.com/v1/sse"_s, u"--resource"_s,
                       u"https://tenant1.atlassian.net/"_s}
            << QStringList{}
            << QStringList{u"oauth2.resource=https://tenant1.atlassian.net/"_s,
                       u"oauth2.sendResource=true"_s,
                       u"oauth2.mcpRemoteServerHash=224d1023ed8b747f99479d42f28f0bb6"_s};
    QTest::addRow("README: authorize params")
            << QStringList{u"https://remote.mcp.server/mcp"_s, u"--authorize-param"_s,
                       u"access_type=offline"_s, u"--authorize-param"_s, u"prompt=consent"_s}
            << QStringList{}
            << QStringList{u"oauth2.authorizeParams=access_type=offline&prompt=consent"_s,
                       u"oauth2.mcpRemoteServerHash=5c4500975119eaf056ff228e9c7caced"_s,
                       u"oauth2.redirectUri="_s};
    QTest::addRow("README: disable resource parameter")
            << QStringList{url, u"--disable-resource-parameter"_s} << QStringList{}
            << QStringList{u"oauth2.sendResource=false"_s, u"oauth2.resource="_s};
    QTest::addRow("empty resource omits it") << QStringList{url, u"--resource"_s,
            u" "_s} << QStringList{} << QStringList{u"oauth2.sendResource=false"_s};
    QTest::addRow("README: callback port")
            << QStringList{url, u"9696"_s} << QStringList{}
            << QStringList{u"upstream.url="_s + url, u"oauth2.callbackPort=9696"_s,
                       u"oauth2.callbackHost="_s + localhost,
                       u"oauth2.redirectUri=http://"_s + localhost + u":9696/oauth/callback"_s,
                       u"oauth2.callbackPortAlternatives=0"_s};
    QTest::addRow("README: host")
            << QStringList{url, u"--host"_s, u"127.0.0.1"_s} << QStringList{}
            << QStringList{u"oauth2.callbackHost=127.0.0.1"_s, u"oauth2.callbackPort=12704"_s,
                       u"oauth2.redirectUri=http://127.0.0.1:12704/oauth/callback"_s,
                       u"oauth2.callbackPortAlternatives=7"_s};
    QTest::addRow("derived port pinned by a configured client")
            << QStringList{url, u"--host"_s, u"127.0.0.1"_s} << QStringList{u"OAUTH2_CLIENT_ID=c"_s}
            << QStringList{u"oauth2.redirectUri=http://127.0.0.1:12704/oauth/callback"_s,
                       u"oauth2.callbackPortAlternatives=0"_s};
    QTest::addRow("README: callback path")
            << QStringList{url, u"--callback-path"_s, u"/custom/callback"_s} << QStringList{}
            << QStringList{
                       u"oauth2.redirectUri=http://"_s + localhost + u":12704/custom/callback"_s,
                       u"oauth2.callbackPortAlternatives=7"_s};
    QTest::addRow("README: allow http")
            << QStringList{u"http://internal-service.vpc/sse"_s, u"--allow-http"_s} << QStringList{}
            << QStringList{u"allowInsecureHttp=true"_s};
    QTest::addRow("README: debug")
            << QStringList{url, u"--debug"_s} << QStringList{} << QStringList{u"log.level=1"_s};
    QTest::addRow("README: silent")
            << QStringList{url, u"--silent"_s} << QStringList{} << QStringList{u"log.level=5"_s};
    QTest::addRow("debug wins over silent") << QStringList{url, u"--silent"_s, u"--debug"_s}
                                            << QStringList{} << QStringList{u"log.level=1"_s};
    QTest::addRow("--log-level wins over --debug")
            << QStringList{url, u"--debug"_s, u"--log-level"_s, u"warn"_s} << QStringList{}
            << QStringList{u"log.level=3"_s};
    QTest::addRow("README: enable proxy")
            << QStringList{url, u"--enable-proxy"_s} << QStringList{u"HTTPS_PROXY=http://p:3128"_s}
            << QStringList{u"upstream.url="_s + url};
    QTest::addRow("README: auth timeout") << QStringList{url, u"--auth-timeout"_s,
            u"60"_s} << QStringList{} << QStringList{u"oauth2.callbackTimeoutSeconds=60"_s};
    QTest::addRow("README: body timeout") << QStringList{url, u"--body-timeout"_s,
            u"1.5"_s} << QStringList{} << QStringList{u"upstream.timeoutMs=1500"_s};
    QTest::addRow("README: connect and body timeouts")
            << QStringList{url, u"--connect-timeout"_s, u"30"_s, u"--body-timeout"_s, u"0"_s}
            << QStringList{}
            << QStringList{u"upstream.connectTimeoutMs=30000"_s, u"upstream.timeoutMs=2147483647"_s,
                       u"upstream.headersTimeoutMs=0"_s};
    QTest::addRow("headers timeout")
            << QStringList{url, u"--headers-timeout"_s, u"300"_s} << QStringList{}
            << QStringList{u"upstream.headersTimeoutMs=300000"_s};
    QTest::addRow("body timeout 0 disables it") << QStringList{url, u"--body-timeout"_s,
            u"0"_s} << QStringList{} << QStringList{u"upstream.timeoutMs=2147483647"_s};
    QTest::addRow("README: transport") << QStringList{url, u"--transport"_s, u"sse-only"_s}
                                       << QStringList{} << QStringList{u"upstream.transport=3"_s};
    QTest::addRow("README: protocol auto") << QStringList{url, u"--protocol"_s,
            u"auto"_s} << QStringList{} << QStringList{u"upstream.protocol=0"_s};
    QTest::addRow("README: static client metadata")
            << QStringList{url, u"--static-oauth-client-metadata"_s,
                       u"{ \"scope\": \"space separated scopes\" }"_s}
            << QStringList{} << QStringList{u"oauth2.scope=space separated scopes"_s};
    QTest::addRow("README: static client metadata auth method")
            << QStringList{url, u"--static-oauth-client-metadata"_s,
                       u"{ \"token_endpoint_auth_method\": \"client_secret_post\" }"_s}
            << QStringList{} << QStringList{u"oauth2.tokenEndpointAuthMethod=client_secret_post"_s};
    QTest::addRow("README: static client info")
            << QStringList{url, u"--static-oauth-client-info"_s,
                       u"{ \"client_id\": \"xxx\", \"client_secret\": \"yyy\" }"_s}
            << QStringList{}
            << QStringList{u"oauth2.clientId=xxx"_s, u"oauth2.clientSecret=yyy"_s,
                       u"oauth2.redirectUri=http://"_s + localhost + u":12704/oauth/callback"_s,
                       u"oauth2.callbackPortAlternatives=0"_s};
    QTest::addRow("static client info from @file with ${VAR}")
            << QStringList{url, u"--static-oauth-client-info"_s, u"@@TMP@/info.json"_s}
            << QStringList{u"MCP_CLIENT_SECRET=s3cret"_s}
            << QStringList{u"oauth2.clientId=my-client"_s, u"oauth2.clientSecret=s3cret"_s};
    QTest::addRow("README: client metadata url")
            << QStringList{url, u"3334"_s, u"--client-metadata-url"_s,
                       u"https://client.example.com/.well-known/oauth-client-metadata"_s}
            << QStringList{}
            << QStringList{u"oauth2.clientMetadataUrl=https://client.example.com/.well-known/"
                           "oauth-client-metadata"_s,
                       u"oauth2.redirectUri=http://"_s + localhost + u":3334/oauth/callback"_s,
                       u"oauth2.callbackPortAlternatives=0"_s};
    QTest::addRow("README: client credentials") << QStringList{u"https://example.remote/mcp"_s,
            u"--client-credentials"_s, u"--static-oauth-client-info"_s,
            u"{\"client_id\":\"my-client\",\"client_secret\":\"${MCP_CLIENT_SECRET}\"}"_s}
                                                << QStringList{u"MCP_CLIENT_SECRET=s3cret"_s}
                                                << QStringList{u"oauth2.grant=1"_s,
                                                           u"oauth2.clientId=my-client"_s,
                                                           u"oauth2.clientSecret=s3cret"_s};
    QTest::addRow("README: client credentials with token endpoint")
            << QStringList{u"https://example.remote/mcp"_s, u"--client-credentials"_s,
                       u"--token-endpoint"_s, u"https://auth.example.com/oauth/token"_s,
                       u"--static-oauth-client-info"_s,
                       u"{\"client_id\":\"my-client\",\"client_secret\":\"${MCP_CLIENT_SECRET}\"}"_s,
                       u"--static-oauth-client-metadata"_s,
                       u"{\"scope\":\"mcp.read mcp.write\",\"token_endpoint_auth_method\":"
                       "\"client_secret_basic\"}"_s}
            << QStringList{u"MCP_CLIENT_SECRET=s3cret"_s}
            << QStringList{u"oauth2.grant=1"_s,
                       u"oauth2.tokenUrl=https://auth.example.com/oauth/token"_s,
                       u"oauth2.scope=mcp.read mcp.write"_s,
                       u"oauth2.tokenEndpointAuthMethod=client_secret_basic"_s};
    QTest::addRow("README: use id token")
            << QStringList{url, u"--use-id-token"_s, u"--static-oauth-client-metadata"_s,
                       u"{ \"scope\": \"openid email\" }"_s}
            << QStringList{}
            << QStringList{u"oauth2.useIdToken=true"_s, u"oauth2.scope=openid email"_s};
    QTest::addRow("README: keep alive") << QStringList{url, u"--keep-alive"_s} << QStringList{}
                                        << QStringList{u"upstream.pingIntervalMs=30000"_s};
    QTest::addRow("README: keep alive, ping interval")
            << QStringList{url, u"--keep-alive"_s, u"--ping-interval"_s, u"60"_s} << QStringList{}
            << QStringList{u"upstream.pingIntervalMs=60000"_s};
    QTest::addRow("ping interval alone turns it on") << QStringList{url, u"--ping-interval"_s,
            u"0.5"_s} << QStringList{} << QStringList{u"upstream.pingIntervalMs=500"_s};
    QTest::addRow("no keep-alive by default")
            << QStringList{url} << QStringList{} << QStringList{u"upstream.pingIntervalMs=0"_s};
    QTest::addRow("README: disable cookies")
            << QStringList{url, u"--disable-cookies"_s} << QStringList{}
            << QStringList{u"upstream.cookies=false"_s};
    QTest::addRow("cookies on by default")
            << QStringList{url} << QStringList{}
            << QStringList{u"upstream.cookies=true"_s, u"oauth2.useIdToken=false"_s};
    QTest::addRow("subcommand, url and port") << QStringList{u"login"_s, url,
            u"9696"_s} << QStringList{} << QStringList{u"oauth2.callbackPort=9696"_s};
}

void tst_McpRemoteOptions::options()
{
    QFETCH(QStringList, args);
    QFETCH(QStringList, env);
    QFETCH(QStringList, expected);
    writeFile(u"headers.txt"_s,
            "# credentials for the example server\nAuthorization: Bearer my-token\n"
            "X-Custom-Header: custom-value\n");
    writeFile(
            u"info.json"_s, R"({"client_id":"my-client","client_secret":"${MCP_CLIENT_SECRET}"})");
    const ConfigLoadResult result = load(args, env);
    QVERIFY2(result.config.has_value(), qPrintable(result.error));
    for (const QString &entry : expected) {
        const qsizetype equals = entry.indexOf(u'=');
        const QString field = entry.left(equals);
        const QString actual = fieldText(*result.config, field);
        if (field == u"oauth2.clientSecret"_s || field == u"upstream.headers"_s) {
            QVERIFY2(actual == entry.mid(equals + 1), qPrintable(u"wrong value of "_s + field));
        } else {
            QCOMPARE(field + u'=' + actual, entry);
        }
    }
}

void tst_McpRemoteOptions::errors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("expected"); // part of the one-line error

    const QString url = u"https://remote.mcp.server/sse"_s;
    QTest::addRow("port not a number")
            << QStringList{url, u"https://b/mcp"_s} << u"too many arguments"_s;
    QTest::addRow("port out of range") << QStringList{url, u"70000"_s} << u"callback port"_s;
    QTest::addRow("three positionals")
            << QStringList{url, u"1"_s, u"2"_s} << u"too many arguments"_s;
    QTest::addRow("host not loopback")
            << QStringList{url, u"--host"_s, u"example.com"_s} << u"--host must be"_s;
    QTest::addRow("callback path without slash")
            << QStringList{url, u"--callback-path"_s, u"cb"_s} << u"--callback-path must"_s;
    QTest::addRow("callback path reserved") << QStringList{url, u"--callback-path"_s,
            u"/wait-for-auth"_s} << u"--callback-path must"_s;
    QTest::addRow("header file missing") << QStringList{url, u"--header-file"_s,
            u"@TMP@/none.txt"_s} << u"--header-file: cannot read"_s;
    QTest::addRow("header file bad line")
            << QStringList{url, u"--header-file"_s, u"@TMP@/bad.txt"_s} << u"line 2 is not"_s;
    QTest::addRow("resource not absolute") << QStringList{url, u"--resource"_s, u"tenant1"_s}
                                           << u"--resource must be an absolute URI"_s;
    QTest::addRow("authorize param without =") << QStringList{url, u"--authorize-param"_s,
            u"prompt"_s} << u"--authorize-param must be key=value"_s;
    QTest::addRow("authorize param reserved") << QStringList{url, u"--authorize-param"_s,
            u"state=x"_s} << u"--authorize-param cannot set \"state\""_s;
    QTest::addRow("auth timeout not a number")
            << QStringList{url, u"--auth-timeout"_s, u"soon"_s} << u"--auth-timeout must be"_s;
    QTest::addRow("auth timeout zero")
            << QStringList{url, u"--auth-timeout"_s, u"0"_s} << u"--auth-timeout must be"_s;
    QTest::addRow("body timeout negative")
            << QStringList{url, u"--body-timeout"_s, u"-1"_s} << u"--body-timeout must be"_s;
    QTest::addRow("connect timeout zero")
            << QStringList{url, u"--connect-timeout"_s, u"0"_s} << u"--connect-timeout must be"_s;
    QTest::addRow("headers timeout not a number")
            << QStringList{url, u"--headers-timeout"_s, u"x"_s} << u"--headers-timeout must be"_s;
    QTest::addRow("ping interval zero")
            << QStringList{url, u"--ping-interval"_s, u"0"_s} << u"--ping-interval must be"_s;
    QTest::addRow("auth success url")
            << QStringList{url, u"--auth-success-url"_s, u"https://app.example.com/ok"_s}
            << u"--auth-success-url (an mcp-remote option) is not supported"_s;
    QTest::addRow("ipv4") << QStringList{url, u"--ipv4"_s}
                          << u"--ipv4 (an mcp-remote option) is not supported"_s;
    QTest::addRow("token endpoint without client credentials")
            << QStringList{url, u"--token-endpoint"_s, u"https://auth.example.com/token"_s}
            << u"--token-endpoint can only be used with --client-credentials"_s;
    QTest::addRow("token endpoint cleartext") << QStringList{url, u"--client-credentials"_s,
            u"--token-endpoint"_s, u"http://auth.example.com/token"_s}
                                              << u"cleartext http"_s;
    QTest::addRow("two grants") << QStringList{url, u"--client-credentials"_s, u"--device-code"_s}
                                << u"choose different grants"_s;
    QTest::addRow("static client info not JSON")
            << QStringList{url, u"--static-oauth-client-info"_s, u"{client_id"_s}
            << u"--static-oauth-client-info must be a JSON object"_s;
    QTest::addRow("static client info without client_id") << QStringList{
            url, u"--static-oauth-client-info"_s, u"{}"_s} << u"non-empty string \"client_id\""_s;
    QTest::addRow("static client info unset variable") << QStringList{url,
            u"--static-oauth-client-info"_s, u"{\"client_id\":\"${NOPE_NOT_SET}\"}"_s}
                                                       << u"NOPE_NOT_SET is not set"_s;
    QTest::addRow("static client metadata we cannot send")
            << QStringList{url, u"--static-oauth-client-metadata"_s, u"{\"client_name\":\"x\"}"_s}
            << u"\"client_name\" (an mcp-remote option) is not supported"_s;
    QTest::addRow("client metadata url without path")
            << QStringList{url, u"--client-metadata-url"_s, u"https://client.example.com"_s}
            << u"--client-metadata-url must be an https URL with a path"_s;
    QTest::addRow("transport unknown") << QStringList{url, u"--transport"_s, u"websocket"_s}
                                       << u"--transport must be one of"_s;
    QTest::addRow("protocol unknown")
            << QStringList{url, u"--protocol"_s, u"modern"_s} << u"--protocol must be one of"_s;
}

void tst_McpRemoteOptions::errors()
{
    QFETCH(QStringList, args);
    QFETCH(QString, expected);
    writeFile(u"bad.txt"_s, "A: 1\nnot a header\n");
    const ConfigLoadResult result = load(args);
    QVERIFY(!result.config.has_value());
    QVERIFY2(result.error.contains(expected), qPrintable(result.error));
    QVERIFY(!result.error.contains(u'\n'));
}

void tst_McpRemoteOptions::storedClientSelectsRedirectUri()
{
    // mcp-remote registered a client for this server: its redirect URI is used, so the
    // registration stays valid; an explicitly configured callback wins.
    const QString url = u"https://remote.mcp.server/sse"_s;
    writeFile(u"mcp-auth/mcp-remote-v1/2499d8b26827bb8c0b6efe76f75fcbe2_client_info.json"_s,
            R"({"client_id":"c","redirect_uris":["http://localhost:12704/oauth/callback"]})");
    ConfigLoadResult result = load({url});
    QVERIFY2(result.config.has_value(), qPrintable(result.error));
    QCOMPARE(result.config->oauth2.redirectUri.toString(),
            u"http://"_s + McpRemote::defaultCallbackHost() + u":12704/oauth/callback"_s);
    QCOMPARE(result.config->oauth2.mcpRemoteStoreDirectory,
            m_tmp->filePath(u"mcp-auth/mcp-remote-v1"_s));
    // The registration lists exactly that port: it is not moved when taken (mcp-remote's
    // strictPort would not hold here, but its registration would then no longer match).
    QCOMPARE(result.config->oauth2.callbackPortAlternatives, 0);
    // Same command line with --host: the imported registration still pins the port.
    result = load({url, u"--host"_s, McpRemote::defaultCallbackHost()});
    QVERIFY2(result.config.has_value(), qPrintable(result.error));
    QCOMPARE(result.config->oauth2.callbackPortAlternatives, 0);

    result = load({url}, {u"OAUTH2_CALLBACK_PORT=4000"_s});
    QVERIFY2(result.config.has_value(), qPrintable(result.error));
    QVERIFY(result.config->oauth2.redirectUri.isEmpty());
    QCOMPARE(result.config->oauth2.callbackPort, 4000);
}

void tst_McpRemoteOptions::commandLineHeaderWinsOverHeaderFile()
{
    writeFile(u"h.txt"_s, "X-A: file\nX-B: file\n");
    const ConfigLoadResult result = load({u"https://h/mcp"_s, u"--header-file"_s, u"@TMP@/h.txt"_s,
            u"--header"_s, u"x-a: arg"_s});
    QVERIFY2(result.config.has_value(), qPrintable(result.error));
    QCOMPARE(fieldText(*result.config, u"upstream.headers"_s), u"x-a: arg|X-B: file"_s);
}

QTEST_APPLESS_MAIN(tst_McpRemoteOptions)

#include "tst_mcpremoteoptions.moc"
