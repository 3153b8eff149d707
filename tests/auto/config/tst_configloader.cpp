#include "app/commandline.h"
#include "config/configloader.h"

#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

#include <memory>

using namespace Qt::StringLiterals;
using McpProxy::ConfigLoadResult;
using McpProxy::ProxyConfig;

namespace {

const QString Url = u"UPSTREAM_URL=https://mcp.example.com/mcp"_s;

// Paths whose values are secrets: compared without printing them.
const QStringList SecretPaths = {u"oauth2.clientSecret"_s, u"oauth2.refreshToken"_s,
        u"oauth2.authorizationCode"_s, u"oauth2.codeVerifier"_s, u"upstream.headers"_s};

QString grantName(ProxyConfig::Grant grant)
{
    switch (grant) {
    case ProxyConfig::Grant::None:
        return u"none"_s;
    case ProxyConfig::Grant::ClientCredentials:
        return u"client_credentials"_s;
    case ProxyConfig::Grant::AuthorizationCode:
        return u"authorization_code"_s;
    case ProxyConfig::Grant::DeviceCode:
        return u"device_code"_s;
    }
    return QString();
}

QString transportName(ProxyConfig::Transport transport)
{
    switch (transport) {
    case ProxyConfig::Transport::HttpFirst:
        return u"http-first"_s;
    case ProxyConfig::Transport::SseFirst:
        return u"sse-first"_s;
    case ProxyConfig::Transport::HttpOnly:
        return u"http-only"_s;
    case ProxyConfig::Transport::SseOnly:
        return u"sse-only"_s;
    }
    return QString();
}

QVariant fieldValue(const ProxyConfig &c, const QString &path)
{
    const ProxyConfig::Upstream &u = c.upstream;
    const ProxyConfig::OAuth2 &o = c.oauth2;
    QStringList headers;
    for (const auto &header : u.headers)
        headers << QString::fromUtf8(header.first + ": " + header.second);
    QStringList extraParams;
    for (const auto &param : o.extraParams)
        extraParams << param.first + u'=' + param.second;
    const QHash<QString, QVariant> values = {
            {u"upstream.url"_s, u.url.toString()},
            {u"upstream.timeoutMs"_s, qlonglong(u.timeoutMs)},
            {u"upstream.openServerStream"_s, u.openServerStream},
            {u"upstream.protocolVersion"_s, u.protocolVersion},
            {u"upstream.headers"_s, headers},
            {u"upstream.caBundle"_s, u.caBundle},
            {u"upstream.transport"_s, transportName(u.transport)},
            {u"oauth2.grant"_s, grantName(o.grant)},
            {u"oauth2.tokenUrl"_s, o.tokenUrl.toString()},
            {u"oauth2.clientId"_s, o.clientId},
            {u"oauth2.clientSecret"_s, o.clientSecret},
            {u"oauth2.scope"_s, o.scope},
            {u"oauth2.resource"_s, o.resource},
            {u"oauth2.audience"_s, o.audience},
            {u"oauth2.authStyle"_s,
                    o.authStyle == ProxyConfig::AuthStyle::Header ? u"header"_s : u"body"_s},
            {u"oauth2.refreshSkewSeconds"_s, qlonglong(o.refreshSkewSeconds)},
            {u"oauth2.extraParams"_s, extraParams},
            {u"oauth2.authorizationCode"_s, o.authorizationCode},
            {u"oauth2.authorizationUrl"_s, o.authorizationUrl.toString()},
            {u"oauth2.redirectUri"_s, o.redirectUri.toString()},
            {u"oauth2.codeVerifier"_s, o.codeVerifier},
            {u"oauth2.refreshToken"_s, o.refreshToken},
            {u"oauth2.interactive"_s, o.interactive},
            {u"oauth2.callbackHost"_s, o.callbackHost},
            {u"oauth2.callbackPort"_s, qlonglong(o.callbackPort)},
            {u"oauth2.callbackTimeoutSeconds"_s, qlonglong(o.callbackTimeoutSeconds)},
            {u"oauth2.tokenCacheDir"_s, o.tokenCacheDir},
            {u"discovery.enabled"_s, c.discoveryEnabled},
            {u"log.level"_s, QString(McpProxy::logLevelName(c.logLevel))},
            {u"log.file"_s, c.logFile},
            {u"allowInsecureHttp"_s, c.allowInsecureHttp},
            {u"stdio.maxLineBytes"_s, qlonglong(c.maxLineBytes)},
    };
    return values.value(path);
}

// A row name on one line.
QString rowText(QString text)
{
    return text.replace(u'\t', u"\\t"_s).replace(u'\n', u"\\n"_s);
}

bool sameValue(const QVariant &actual, const QVariant &expected)
{
    if (actual.typeId() == QMetaType::LongLong)
        return expected.canConvert<qlonglong>() && actual.toLongLong() == expected.toLongLong();
    if (actual.typeId() == QMetaType::QStringList)
        return actual.toStringList() == expected.toStringList();
    return actual == expected;
}

// Short row builders.
QVariantMap expect(std::initializer_list<std::pair<QString, QVariant>> list)
{
    QVariantMap map;
    for (const auto &entry : list)
        map.insert(entry.first, entry.second);
    return map;
}

struct IntegerEnv
{
    QString env;
    QString path;
    qlonglong defaultValue;
    qlonglong validValue;
};

const QList<IntegerEnv> IntegerEnvs = {
        {u"UPSTREAM_TIMEOUT_MS"_s, u"upstream.timeoutMs"_s, 300000, 2000},
        {u"OAUTH2_REFRESH_SKEW_SECONDS"_s, u"oauth2.refreshSkewSeconds"_s, 30, 2000},
        {u"OAUTH2_CALLBACK_PORT"_s, u"oauth2.callbackPort"_s, 53682, 2000},
        {u"OAUTH2_CALLBACK_TIMEOUT_SECONDS"_s, u"oauth2.callbackTimeoutSeconds"_s, 300, 2000},
        {u"MCP_PROXY_MAX_LINE_BYTES"_s, u"stdio.maxLineBytes"_s, 64 * 1024 * 1024, 2000},
};

struct StringEnv
{
    QString env;
    QString path; // "group.key"
    QString fileValue;
    QString envValue;
};

const QList<StringEnv> StringEnvs = {
        {u"UPSTREAM_PROTOCOL_VERSION"_s, u"upstream.protocolVersion"_s, u"2025-03-26"_s,
                u"2025-06-18"_s},
        {u"OAUTH2_TOKEN_URL"_s, u"oauth2.tokenUrl"_s, u"https://file.example/token"_s,
                u"https://env.example/token"_s},
        {u"OAUTH2_CLIENT_ID"_s, u"oauth2.clientId"_s, u"file-client"_s, u"env-client"_s},
        {u"OAUTH2_CLIENT_SECRET"_s, u"oauth2.clientSecret"_s, u"file-secret"_s, u"env-secret"_s},
        {u"OAUTH2_SCOPE"_s, u"oauth2.scope"_s, u"a b"_s, u"c d"_s},
        {u"OAUTH2_RESOURCE"_s, u"oauth2.resource"_s, u"https://file.example/r"_s,
                u"https://env.example/r"_s},
        {u"OAUTH2_AUDIENCE"_s, u"oauth2.audience"_s, u"file-aud"_s, u"env-aud"_s},
        {u"OAUTH2_AUTHORIZATION_CODE"_s, u"oauth2.authorizationCode"_s, u"file-code"_s,
                u"env-code"_s},
        {u"OAUTH2_AUTHORIZATION_URL"_s, u"oauth2.authorizationUrl"_s,
                u"https://file.example/authorize"_s, u"https://env.example/authorize"_s},
        {u"OAUTH2_REDIRECT_URI"_s, u"oauth2.redirectUri"_s, u"http://127.0.0.1:1234/cb"_s,
                u"http://localhost:4321/callback"_s},
        {u"OAUTH2_CODE_VERIFIER"_s, u"oauth2.codeVerifier"_s, u"file-verifier"_s,
                u"env-verifier"_s},
        {u"OAUTH2_REFRESH_TOKEN"_s, u"oauth2.refreshToken"_s, u"file-refresh"_s, u"env-refresh"_s},
        {u"OAUTH2_CALLBACK_HOST"_s, u"oauth2.callbackHost"_s, u"localhost"_s, u"127.0.0.2"_s},
        {u"OAUTH2_TOKEN_CACHE_DIR"_s, u"oauth2.tokenCacheDir"_s, u"/file/cache"_s, u"/env/cache"_s},
};

// {"upstream":{"url":...}, "<group>":{"<key>": <json>}} for a one-field file.
QString fileWith(const QString &path, const QString &json)
{
    const QString group = path.section(u'.', 0, 0);
    const QString key = path.section(u'.', 1);
    if (key.isEmpty())
        return u"{\"upstream\":{\"url\":\"https://mcp.example.com/mcp\"},\"%1\":%2}"_s.arg(
                group, json);
    if (group == u"upstream"_s)
        return u"{\"upstream\":{\"url\":\"https://mcp.example.com/mcp\",\"%1\":%2}}"_s.arg(
                key, json);
    return u"{\"upstream\":{\"url\":\"https://mcp.example.com/mcp\"},\"%1\":{\"%2\":%3}}"_s.arg(
            group, key, json);
}

} // namespace

class tst_ConfigLoader : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void fields_data();
    void fields();
    void errors_data();
    void errors();
    void unknownKeys_data();
    void unknownKeys();
    void secureUrl_data();
    void secureUrl();
    void configSecrets();
    void processEnvironment_data();
    void processEnvironment();
    void environmentDefaults();
    void childEnvironmentIsTheEnvironmentGiven();
    void exampleConfig();
    void toolFilters_data();
    void toolFilters();

private:
    QString substitute(QString text) const;
    ConfigLoadResult load(const QStringList &env, const QString &file, const QStringList &args);
    void addCommonColumns();

    std::unique_ptr<QTemporaryDir> m_tmp;
};

void tst_ConfigLoader::init()
{
    m_tmp = std::make_unique<QTemporaryDir>();
    QVERIFY(m_tmp->isValid());
    for (const QString &name : {u"ca1.pem"_s, u"ca2.pem"_s, u"ca3.pem"_s}) {
        QFile file(m_tmp->filePath(name));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("# test CA bundle\n");
    }
    QVERIFY(QDir(m_tmp->path()).mkdir(u"dir"_s));
}

void tst_ConfigLoader::cleanup()
{
    m_tmp.reset();
}

QString tst_ConfigLoader::substitute(QString text) const
{
    return text.replace(u"@TMP@"_s, m_tmp->path())
            .replace(u"@DATA@"_s, QStringLiteral(MCPPROXY_TEST_DATA_DIR));
}

ConfigLoadResult tst_ConfigLoader::load(
        const QStringList &env, const QString &file, const QStringList &args)
{
    QProcessEnvironment environment(QProcessEnvironment::InheritFromParent);
    environment.clear();
    bool hasConfigEnv = false;
    for (const QString &entry : env) {
        const qsizetype equals = entry.indexOf(u'=');
        environment.insert(entry.left(equals), substitute(entry.mid(equals + 1)));
        hasConfigEnv |= entry.startsWith(u"MCP_PROXY_CONFIG="_s);
    }
    QStringList argv = {u"mcp-oauth2-proxy"_s};
    for (const QString &arg : args)
        argv << substitute(arg);
    if (!file.isEmpty()) {
        const QString path = m_tmp->filePath(u"config.json"_s);
        QFile out(path);
        if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate))
            qFatal("cannot write the test config file");
        out.write(substitute(file).toUtf8());
        out.close();
        if (!hasConfigEnv && !args.contains(u"--config"_s))
            environment.insert(u"MCP_PROXY_CONFIG"_s, path);
    }
    const McpProxy::CommandLineParseResult parsed = McpProxy::parseCommandLine(argv);
    if (parsed.status != McpProxy::CommandLineParseResult::Status::Ok)
        qFatal("bad test arguments: %s", qPrintable(parsed.text));
    return McpProxy::loadConfig(parsed.options, environment);
}

void tst_ConfigLoader::addCommonColumns()
{
    QTest::addColumn<QStringList>("env"); // NAME=value; @TMP@ and @DATA@ substituted
    QTest::addColumn<QString>("file"); // JSON text, given through MCP_PROXY_CONFIG
    QTest::addColumn<QStringList>("args"); // command line after the program name
}

void tst_ConfigLoader::fields_data()
{
    addCommonColumns();
    QTest::addColumn<QVariantMap>("expected");

    // The npm package's test suite (config.test).
    QTest::addRow("reference: full config from env only")
            << QStringList{Url, u"UPSTREAM_TIMEOUT_MS=15000"_s,
                       u"UPSTREAM_OPEN_SERVER_STREAM=false"_s, u"OAUTH2_GRANT=client_credentials"_s,
                       u"OAUTH2_TOKEN_URL=https://idp.example.com/token"_s,
                       u"OAUTH2_CLIENT_ID=cid"_s, u"OAUTH2_CLIENT_SECRET=test-secret-1"_s,
                       u"OAUTH2_SCOPE=mcp:read mcp:write"_s,
                       u"OAUTH2_RESOURCE=https://mcp.example.com/mcp"_s,
                       u"OAUTH2_AUTH_STYLE=body"_s, u"OAUTH2_REFRESH_SKEW_SECONDS=60"_s,
                       u"OAUTH2_EXTRA_PARAMS={\"resource\":\"https://other.example/r\"}"_s}
            << QString() << QStringList{}
            << expect({{u"upstream.url"_s, u"https://mcp.example.com/mcp"_s},
                       {u"upstream.timeoutMs"_s, 15000}, {u"upstream.openServerStream"_s, false},
                       {u"oauth2.grant"_s, u"client_credentials"_s},
                       {u"oauth2.tokenUrl"_s, u"https://idp.example.com/token"_s},
                       {u"oauth2.clientId"_s, u"cid"_s},
                       {u"oauth2.clientSecret"_s, u"test-secret-1"_s},
                       {u"oauth2.scope"_s, u"mcp:read mcp:write"_s},
                       {u"oauth2.resource"_s, u"https://mcp.example.com/mcp"_s},
                       {u"oauth2.authStyle"_s, u"body"_s}, {u"oauth2.refreshSkewSeconds"_s, 60},
                       {u"oauth2.extraParams"_s,
                               QStringList{u"resource=https://other.example/r"_s}}});
    QTest::addRow("reference: file + env, env wins")
            << QStringList{u"OAUTH2_CLIENT_SECRET=env-secret"_s,
                       u"OAUTH2_RESOURCE=https://env.example/r"_s,
                       u"UPSTREAM_URL=https://env.example/mcp"_s}
            << uR"({"upstream":{"url":"https://file.example/mcp"},
                    "oauth2":{"grant":"client_credentials","clientId":"from-file",
                              "clientSecret":"file-secret","resource":"https://file.example/r"}})"_s
            << QStringList{}
            << expect({{u"upstream.url"_s, u"https://env.example/mcp"_s},
                       {u"oauth2.clientId"_s, u"from-file"_s},
                       {u"oauth2.clientSecret"_s, u"env-secret"_s},
                       {u"oauth2.resource"_s, u"https://env.example/r"_s}});
    QTest::addRow("reference: cleartext http to loopback without escape hatch")
            << QStringList{u"UPSTREAM_URL=http://127.0.0.1:8080/mcp"_s,
                       u"OAUTH2_GRANT=client_credentials"_s, u"OAUTH2_CLIENT_ID=cid"_s,
                       u"OAUTH2_TOKEN_URL=http://localhost:9000/token"_s}
            << QString() << QStringList{}
            << expect({{u"upstream.url"_s, u"http://127.0.0.1:8080/mcp"_s},
                       {u"oauth2.tokenUrl"_s, u"http://localhost:9000/token"_s},
                       {u"allowInsecureHttp"_s, false}});
    QTest::addRow("reference: ALLOW_INSECURE_HTTP=true keeps remote http")
            << QStringList{u"UPSTREAM_URL=http://mcp.example.com/mcp"_s,
                       u"ALLOW_INSECURE_HTTP=true"_s}
            << QString() << QStringList{}
            << expect({{u"upstream.url"_s, u"http://mcp.example.com/mcp"_s},
                       {u"allowInsecureHttp"_s, true}});

    QTest::addRow("defaults")
            << QStringList{Url} << QString() << QStringList{}
            << expect({{u"upstream.timeoutMs"_s, 300000}, {u"upstream.openServerStream"_s, true},
                       {u"upstream.protocolVersion"_s, QString()},
                       {u"upstream.headers"_s, QStringList{}}, {u"upstream.caBundle"_s, QString()},
                       {u"oauth2.grant"_s, u"none"_s}, {u"oauth2.tokenUrl"_s, QString()},
                       {u"oauth2.clientId"_s, QString()}, {u"oauth2.authStyle"_s, u"body"_s},
                       {u"oauth2.refreshSkewSeconds"_s, 30},
                       {u"oauth2.extraParams"_s, QStringList{}},
                       {u"oauth2.redirectUri"_s, QString()}, {u"oauth2.interactive"_s, true},
                       {u"oauth2.callbackHost"_s, u"127.0.0.1"_s},
                       {u"oauth2.callbackPort"_s, 53682}, {u"oauth2.callbackTimeoutSeconds"_s, 300},
                       {u"oauth2.tokenCacheDir"_s, QString()}, {u"discovery.enabled"_s, true},
                       {u"log.level"_s, u"info"_s}, {u"log.file"_s, QString()},
                       {u"allowInsecureHttp"_s, false},
                       {u"stdio.maxLineBytes"_s, 64 * 1024 * 1024}});
    QTest::addRow("url from the file only")
            << QStringList{} << fileWith(u"log.level"_s, u"\"warn\""_s) << QStringList{}
            << expect({{u"upstream.url"_s, u"https://mcp.example.com/mcp"_s},
                       {u"log.level"_s, u"warn"_s}});
    QTest::addRow("url from the argument only")
            << QStringList{} << QString() << QStringList{u"https://arg.example/mcp"_s}
            << expect({{u"upstream.url"_s, u"https://arg.example/mcp"_s}});
    QTest::addRow("every field from the file")
            << QStringList{u"API_KEY=k-123456"_s}
            << uR"({"upstream":{"url":"https://f.example/mcp","timeoutMs":1000,"openServerStream":false,
                    "protocolVersion":"2025-06-18","headers":{"X-Api-Key":"${API_KEY}","X-Client":"me"},
                    "caBundle":"@TMP@/ca1.pem"},
                    "oauth2":{"grant":"authorization_code","tokenUrl":"https://f.example/token",
                    "clientId":"c","clientSecret":"file-secret-2","scope":"s","resource":"https://f.example/mcp",
                    "audience":"aud","authStyle":"header","refreshSkewSeconds":0,
                    "extraParams":{"prompt":"consent","access_type":"offline"},
                    "authorizationCode":"file-code-2","authorizationUrl":"https://f.example/authorize",
                    "redirectUri":"http://127.0.0.1:9999/callback","codeVerifier":"file-verifier-2",
                    "refreshToken":"file-refresh-2","interactive":false,"callbackHost":"localhost",
                    "callbackPort":0,"callbackTimeoutSeconds":1,"tokenCacheDir":"@TMP@/cache"},
                    "discovery":{"enabled":false},"log":{"level":"trace","file":"@TMP@/proxy.log"},
                    "allowInsecureHttp":true,"stdio":{"maxLineBytes":1024}})"_s
            << QStringList{}
            << expect({{u"upstream.url"_s, u"https://f.example/mcp"_s},
                       {u"upstream.timeoutMs"_s, 1000}, {u"upstream.openServerStream"_s, false},
                       {u"upstream.protocolVersion"_s, u"2025-06-18"_s},
                       {u"upstream.headers"_s,
                               QStringList{u"X-Api-Key: k-123456"_s, u"X-Client: me"_s}},
                       {u"upstream.caBundle"_s, u"@TMP@/ca1.pem"_s},
                       {u"oauth2.grant"_s, u"authorization_code"_s},
                       {u"oauth2.tokenUrl"_s, u"https://f.example/token"_s},
                       {u"oauth2.clientId"_s, u"c"_s},
                       {u"oauth2.clientSecret"_s, u"file-secret-2"_s}, {u"oauth2.scope"_s, u"s"_s},
                       {u"oauth2.resource"_s, u"https://f.example/mcp"_s},
                       {u"oauth2.audience"_s, u"aud"_s}, {u"oauth2.authStyle"_s, u"header"_s},
                       {u"oauth2.refreshSkewSeconds"_s, 0},
                       {u"oauth2.extraParams"_s,
                               QStringList{u"prompt=consent"_s, u"access_type=offline"_s}},
                       {u"oauth2.authorizationCode"_s, u"file-code-2"_s},
                       {u"oauth2.authorizationUrl"_s, u"https://f.example/authorize"_s},
                       {u"oauth2.redirectUri"_s, u"http://127.0.0.1:9999/callback"_s},
                       {u"oauth2.codeVerifier"_s, u"file-verifier-2"_s},
                       {u"oauth2.refreshToken"_s, u"file-refresh-2"_s},
                       {u"oauth2.interactive"_s, false}, {u"oauth2.callbackHost"_s, u"localhost"_s},
                       {u"oauth2.callbackPort"_s, 0}, {u"oauth2.callbackTimeoutSeconds"_s, 1},
                       {u"oauth2.tokenCacheDir"_s, u"@TMP@/cache"_s},
                       {u"discovery.enabled"_s, false}, {u"log.level"_s, u"trace"_s},
                       {u"log.file"_s, u"@TMP@/proxy.log"_s}, {u"allowInsecureHttp"_s, true},
                       {u"stdio.maxLineBytes"_s, 1024}});
    QTest::addRow("integral float in the file")
            << QStringList{} << fileWith(u"upstream.timeoutMs"_s, u"30000.0"_s) << QStringList{}
            << expect({{u"upstream.timeoutMs"_s, 30000}});
    QTest::addRow("empty caBundle and log.file in the file mean unset")
            << QStringList{}
            << uR"({"upstream":{"url":"https://mcp.example.com/mcp","caBundle":""},"log":{"file":""}})"_s
            << QStringList{}
            << expect({{u"upstream.caBundle"_s, QString()}, {u"log.file"_s, QString()}});
    QTest::addRow("grant without clientId is accepted")
            << QStringList{Url, u"OAUTH2_GRANT=authorization_code"_s} << QString() << QStringList{}
            << expect({{u"oauth2.grant"_s, u"authorization_code"_s},
                       {u"oauth2.clientId"_s, QString()}});
    QTest::addRow("file with a UTF-8 byte order mark")
            << QStringList{} << u"\uFEFF{\"upstream\":{\"url\":\"https://bom.example/mcp\"}}"_s
            << QStringList{} << expect({{u"upstream.url"_s, u"https://bom.example/mcp"_s}});
    QTest::addRow("comment keys are ignored")
            << QStringList{}
            << uR"({"//":"top","$schema":"x","upstream":{"//url":"c","url":"https://mcp.example.com/mcp"}})"_s
            << QStringList{} << expect({{u"upstream.url"_s, u"https://mcp.example.com/mcp"_s}});

    // Boolean env vars applied whenever defined (as in the npm package): the empty string means
    // false.
    const QList<std::pair<QString, bool>> boolValues = {
            {u"1"_s, true},
            {u"true"_s, true},
            {u"TRUE"_s, true},
            {u" yes "_s, true},
            {u"On"_s, true},
            {u"\ttrue\n"_s, true},
            {u"0"_s, false},
            {u"false"_s, false},
            {u""_s, false},
            {u"   "_s, false},
            {u"no"_s, false},
            {u"garbage"_s, false},
            {u"y"_s, false},
            {u"2"_s, false},
    };
    const QList<std::pair<QString, QString>> definedBools = {
            {u"OAUTH2_INTERACTIVE"_s, u"oauth2.interactive"_s},
            {u"DISCOVERY_ENABLED"_s, u"discovery.enabled"_s},
            {u"ALLOW_INSECURE_HTTP"_s, u"allowInsecureHttp"_s},
    };
    for (const auto &[env, path] : definedBools) {
        for (const auto &[raw, value] : boolValues) {
            // The file sets the opposite, so every row shows the env var applied.
            QTest::addRow("%s=\"%s\"", qPrintable(env), qPrintable(rowText(raw)))
                    << QStringList{env + u'=' + raw}
                    << fileWith(path, value ? u"false"_s : u"true"_s) << QStringList{}
                    << expect({{path, value}});
        }
    }
    // UPSTREAM_OPEN_SERVER_STREAM applies only when non-empty (as in the npm package).
    for (const auto &[raw, value] : boolValues) {
        const bool ignored = raw.isEmpty();
        for (const bool fileValue : {false, true}) {
            QTest::addRow("UPSTREAM_OPEN_SERVER_STREAM=\"%s\" over file %s",
                    qPrintable(rowText(raw)), fileValue ? "true" : "false")
                    << QStringList{u"UPSTREAM_OPEN_SERVER_STREAM="_s + raw}
                    << fileWith(u"upstream.openServerStream"_s, fileValue ? u"true"_s : u"false"_s)
                    << QStringList{}
                    << expect({{u"upstream.openServerStream"_s, ignored ? fileValue : value}});
        }
    }

    // Integer env vars (the npm package's parseIntEnv): trimmed, ^-?\d+$; empty is ignored.
    for (const IntegerEnv &e : IntegerEnvs) {
        for (const QString &raw : {u"2000"_s, u" 2000 "_s, u"\t2000\n"_s, u"02000"_s}) {
            QTest::addRow("%s=\"%s\"", qPrintable(e.env), qPrintable(rowText(raw)))
                    << QStringList{Url, e.env + u'=' + raw} << QString() << QStringList{}
                    << expect({{e.path, e.validValue}});
        }
        QTest::addRow("%s empty is ignored", qPrintable(e.env)) << QStringList{Url,
                e.env + u'='} << QString() << QStringList{} << expect({{e.path, e.defaultValue}});
        QTest::addRow("%s over the file", qPrintable(e.env))
                << QStringList{e.env + u"=2000"_s} << fileWith(e.path, u"1500"_s) << QStringList{}
                << expect({{e.path, 2000}});
    }
    // Range limits that pass.
    const QList<std::tuple<QString, QString, qlonglong>> limits = {
            {u"UPSTREAM_TIMEOUT_MS"_s, u"upstream.timeoutMs"_s, 1},
            {u"UPSTREAM_TIMEOUT_MS"_s, u"upstream.timeoutMs"_s, 2147483647},
            {u"OAUTH2_REFRESH_SKEW_SECONDS"_s, u"oauth2.refreshSkewSeconds"_s, 0},
            {u"OAUTH2_CALLBACK_PORT"_s, u"oauth2.callbackPort"_s, 0},
            {u"OAUTH2_CALLBACK_PORT"_s, u"oauth2.callbackPort"_s, 65535},
            {u"OAUTH2_CALLBACK_TIMEOUT_SECONDS"_s, u"oauth2.callbackTimeoutSeconds"_s, 1},
            {u"OAUTH2_CALLBACK_TIMEOUT_SECONDS"_s, u"oauth2.callbackTimeoutSeconds"_s, 2147483},
            {u"MCP_PROXY_MAX_LINE_BYTES"_s, u"stdio.maxLineBytes"_s, 1024},
            {u"MCP_PROXY_MAX_LINE_BYTES"_s, u"stdio.maxLineBytes"_s, 4294967296LL},
    };
    for (const auto &[env, path, value] : limits) {
        QTest::addRow("%s=%lld", qPrintable(env), value)
                << QStringList{Url, env + u'=' + QString::number(value)} << QString()
                << QStringList{} << expect({{path, value}});
    }

    // Combinations that can work.
    QTest::addRow("client_credentials without a client id, discovery on (registration)")
            << QStringList{Url, u"OAUTH2_GRANT=client_credentials"_s} << QString() << QStringList{}
            << expect({{u"oauth2.grant"_s, u"client_credentials"_s},
                       {u"oauth2.clientId"_s, QString()}});
    QTest::addRow("client_credentials with a client id, discovery off")
            << QStringList{Url, u"OAUTH2_GRANT=client_credentials"_s, u"OAUTH2_CLIENT_ID=cid"_s,
                       u"DISCOVERY_ENABLED=false"_s}
            << QString() << QStringList{} << expect({{u"oauth2.clientId"_s, u"cid"_s}});
    QTest::addRow("non-loopback redirect URI beside a code obtained elsewhere")
            << QStringList{Url, u"OAUTH2_AUTHORIZATION_CODE=code-1"_s,
                       u"OAUTH2_REDIRECT_URI=https://app.example/cb"_s}
            << QString() << QStringList{}
            << expect({{u"oauth2.redirectUri"_s, u"https://app.example/cb"_s}});
    // The login listener trims and lower-cases the callback host, so the check does too.
    QTest::addRow("callback host with spaces")
            << QStringList{Url, u"OAUTH2_CALLBACK_HOST= LOCALHOST "_s} << QString() << QStringList{}
            << expect({{u"oauth2.callbackHost"_s, u" LOCALHOST "_s}});
    for (const QString &redirect : {u"http://127.0.0.1:1/cb"_s, u"http://[::1]:8080/"_s,
                 u"http://LOCALHOST:65535/a/b?x=1"_s, u"http://127.0.0.2:8080/cb"_s}) {
        QTest::addRow("loopback redirect URI %s", qPrintable(redirect))
                << QStringList{Url, u"OAUTH2_REDIRECT_URI="_s + redirect} << QString()
                << QStringList{} << expect({{u"oauth2.redirectUri"_s, QUrl(redirect).toString()}});
    }
    QTest::addRow("protocol version with every token character")
            << QStringList{Url, u"UPSTREAM_PROTOCOL_VERSION=2025-11-25.draft_1+x"_s} << QString()
            << QStringList{}
            << expect({{u"upstream.protocolVersion"_s, u"2025-11-25.draft_1+x"_s}});

    // String env vars: applied when non-empty, the empty string is ignored (as in the npm package).
    for (const StringEnv &e : StringEnvs) {
        const QString file = fileWith(e.path, u'"' + e.fileValue + u'"');
        QTest::addRow("%s over the file", qPrintable(e.env))
                << QStringList{e.env + u'=' + e.envValue} << file << QStringList{}
                << expect({{e.path, e.envValue}});
        QTest::addRow("%s empty is ignored", qPrintable(e.env)) << QStringList{
                e.env + u'='} << file << QStringList{} << expect({{e.path, e.fileValue}});
    }
    QTest::addRow("whitespace-only string env is applied")
            << QStringList{Url, u"OAUTH2_CLIENT_ID=  "_s} << QString() << QStringList{}
            << expect({{u"oauth2.clientId"_s, u"  "_s}});

    // Enumerations.
    for (const QString &grant : {u"client_credentials"_s, u"authorization_code"_s}) {
        QTest::addRow("OAUTH2_GRANT=%s", qPrintable(grant))
                << QStringList{Url, u"OAUTH2_GRANT="_s + grant} << QString() << QStringList{}
                << expect({{u"oauth2.grant"_s, grant}});
    }
    for (const QString &style : {u"header"_s, u"body"_s}) {
        QTest::addRow("OAUTH2_AUTH_STYLE=%s", qPrintable(style))
                << QStringList{Url, u"OAUTH2_AUTH_STYLE="_s + style}
                << fileWith(u"oauth2.authStyle"_s,
                           style == u"body"_s ? u"\"header\""_s : u"\"body\""_s)
                << QStringList{} << expect({{u"oauth2.authStyle"_s, style}});
    }
    for (const QString &transport :
            {u"http-first"_s, u"sse-first"_s, u"http-only"_s, u"sse-only"_s}) {
        QTest::addRow("UPSTREAM_TRANSPORT=%s", qPrintable(transport))
                << QStringList{Url, u"UPSTREAM_TRANSPORT="_s + transport}
                << fileWith(u"upstream.transport"_s,
                           transport == u"sse-only"_s ? u"\"http-only\""_s : u"\"sse-only\""_s)
                << QStringList{} << expect({{u"upstream.transport"_s, transport}});
    }
    QTest::addRow("transport: default http-first")
            << QStringList{Url} << QString() << QStringList{}
            << expect({{u"upstream.transport"_s, u"http-first"_s}});
    QTest::addRow("transport: file < env < option")
            << QStringList{Url, u"UPSTREAM_TRANSPORT=sse-only"_s}
            << fileWith(u"upstream.transport"_s, u"\"http-only\""_s)
            << QStringList{u"--transport"_s, u"sse-first"_s}
            << expect({{u"upstream.transport"_s, u"sse-first"_s}});
    QTest::addRow("transport: file")
            << QStringList{} << fileWith(u"upstream.transport"_s, u"\"sse-only\""_s)
            << QStringList{} << expect({{u"upstream.transport"_s, u"sse-only"_s}});
    QTest::addRow("grant device_code from the environment")
            << QStringList{Url, u"OAUTH2_GRANT=device_code"_s} << QString() << QStringList{}
            << expect({{u"oauth2.grant"_s, u"device_code"_s}});
    QTest::addRow("grant: --device-code wins over file and environment")
            << QStringList{Url, u"OAUTH2_GRANT=client_credentials"_s, u"OAUTH2_CLIENT_ID=c"_s}
            << fileWith(u"oauth2.grant"_s, u"\"authorization_code\""_s)
            << QStringList{u"--device-code"_s} << expect({{u"oauth2.grant"_s, u"device_code"_s}});
    for (const QString &level :
            {u"trace"_s, u"debug"_s, u"info"_s, u"warn"_s, u"error"_s, u"fatal"_s}) {
        QTest::addRow("LOG_LEVEL=%s", qPrintable(level))
                << QStringList{Url, u"LOG_LEVEL="_s + level} << QString() << QStringList{}
                << expect({{u"log.level"_s, level}});
    }

    // OAUTH2_EXTRA_PARAMS and oauth2.extraParams keep JSON.parse's key order.
    QTest::addRow("extraParams env in source order")
            << QStringList{Url, u"OAUTH2_EXTRA_PARAMS={\"b\":\"2\", \"a\":\"1\",\"c\":\"\"}"_s}
            << QString() << QStringList{}
            << expect({{u"oauth2.extraParams"_s, QStringList{u"b=2"_s, u"a=1"_s, u"c="_s}}});
    QTest::addRow("extraParams integer keys first")
            << QStringList{Url,
                       u"OAUTH2_EXTRA_PARAMS={\"z\":\"1\",\"10\":\"2\",\"2\":\"3\",\"02\":\"4\"}"_s}
            << QString() << QStringList{}
            << expect({{u"oauth2.extraParams"_s,
                       QStringList{u"2=3"_s, u"10=2"_s, u"z=1"_s, u"02=4"_s}}});
    QTest::addRow("extraParams escaped keys")
            << QStringList{Url, u"OAUTH2_EXTRA_PARAMS={\"q\\\"x\":\"1\",\"\\u0061\":\"2\"}"_s}
            << QString() << QStringList{}
            << expect({{u"oauth2.extraParams"_s, QStringList{u"q\"x=1"_s, u"a=2"_s}}});
    QTest::addRow("extraParams file in source order")
            << QStringList{} << uR"({"upstream":{"url":"https://mcp.example.com/mcp"},
                    "oauth2":{"extraParams":{"zeta":"1","alpha":"2","nested":"{\"x\":[1,{\"y\":2}]}"}}})"_s
            << QStringList{}
            << expect({{u"oauth2.extraParams"_s,
                       QStringList{u"zeta=1"_s, u"alpha=2"_s, u"nested={\"x\":[1,{\"y\":2}]}"_s}}});
    QTest::addRow("extraParams env replaces the file's")
            << QStringList{u"OAUTH2_EXTRA_PARAMS={\"b\":\"env\"}"_s}
            << fileWith(u"oauth2.extraParams"_s, u"{\"a\":\"file\"}"_s) << QStringList{}
            << expect({{u"oauth2.extraParams"_s, QStringList{u"b=env"_s}}});
    QTest::addRow("extraParams empty env is ignored")
            << QStringList{u"OAUTH2_EXTRA_PARAMS="_s}
            << fileWith(u"oauth2.extraParams"_s, u"{\"a\":\"file\"}"_s) << QStringList{}
            << expect({{u"oauth2.extraParams"_s, QStringList{u"a=file"_s}}});

    // Precedence: defaults < file < env < command line.
    QTest::addRow("url: file < env") << QStringList{u"UPSTREAM_URL=https://env.example/mcp"_s}
                                     << fileWith(u"log.level"_s, u"\"info\""_s) << QStringList{}
                                     << expect({{u"upstream.url"_s, u"https://env.example/mcp"_s}});
    QTest::addRow("url: env < argument")
            << QStringList{u"UPSTREAM_URL=https://env.example/mcp"_s}
            << fileWith(u"log.level"_s, u"\"info\""_s) << QStringList{u"https://arg.example/mcp"_s}
            << expect({{u"upstream.url"_s, u"https://arg.example/mcp"_s}});
    QTest::addRow("log level: file < env")
            << QStringList{u"LOG_LEVEL=error"_s} << fileWith(u"log.level"_s, u"\"debug\""_s)
            << QStringList{} << expect({{u"log.level"_s, u"error"_s}});
    QTest::addRow("log level: env < option")
            << QStringList{u"LOG_LEVEL=error"_s} << fileWith(u"log.level"_s, u"\"debug\""_s)
            << QStringList{u"--log-level"_s, u"trace"_s} << expect({{u"log.level"_s, u"trace"_s}});
    QTest::addRow("log file: file < env")
            << QStringList{u"LOG_FILE=@TMP@/env.log"_s}
            << fileWith(u"log.file"_s, u"\"@TMP@/file.log\""_s) << QStringList{}
            << expect({{u"log.file"_s, u"@TMP@/env.log"_s}});
    QTest::addRow("log file: env < option") << QStringList{u"LOG_FILE=@TMP@/env.log"_s}
                                            << fileWith(u"log.file"_s, u"\"@TMP@/file.log\""_s)
                                            << QStringList{u"--log-file"_s, u"@TMP@/dir/cli.log"_s}
                                            << expect({{u"log.file"_s, u"@TMP@/dir/cli.log"_s}});
    QTest::addRow("ca bundle: file < env")
            << QStringList{u"MCP_PROXY_CA_BUNDLE=@TMP@/ca2.pem"_s}
            << fileWith(u"upstream.caBundle"_s, u"\"@TMP@/ca1.pem\""_s) << QStringList{}
            << expect({{u"upstream.caBundle"_s, u"@TMP@/ca2.pem"_s}});
    QTest::addRow("ca bundle: env < option")
            << QStringList{u"MCP_PROXY_CA_BUNDLE=@TMP@/ca2.pem"_s}
            << fileWith(u"upstream.caBundle"_s, u"\"@TMP@/ca1.pem\""_s)
            << QStringList{u"--ca-bundle"_s, u"@DATA@/ca-bundle.pem"_s}
            << expect({{u"upstream.caBundle"_s, u"@DATA@/ca-bundle.pem"_s}});
    QTest::addRow("allow http: file true < env empty")
            << QStringList{u"ALLOW_INSECURE_HTTP="_s} << fileWith(u"allowInsecureHttp"_s, u"true"_s)
            << QStringList{} << expect({{u"allowInsecureHttp"_s, false}});
    QTest::addRow("allow http: env false < option")
            << QStringList{u"ALLOW_INSECURE_HTTP=false"_s,
                       u"UPSTREAM_URL=http://remote.example/mcp"_s}
            << QString() << QStringList{u"--allow-http"_s}
            << expect({{u"allowInsecureHttp"_s, true},
                       {u"upstream.url"_s, u"http://remote.example/mcp"_s}});
    QTest::addRow("config: MCP_PROXY_CONFIG < --config")
            << QStringList{} << fileWith(u"log.level"_s, u"\"warn\""_s)
            << QStringList{u"--config"_s, u"@DATA@/minimal.json"_s}
            << expect({{u"upstream.url"_s, u"https://data.example/mcp"_s},
                       {u"log.level"_s, u"info"_s}});
    QTest::addRow("config: --config without MCP_PROXY_CONFIG")
            << QStringList{} << QString() << QStringList{u"--config"_s, u"@DATA@/minimal.json"_s}
            << expect({{u"upstream.url"_s, u"https://data.example/mcp"_s}});
    QTest::addRow("config: empty MCP_PROXY_CONFIG is ignored")
            << QStringList{Url, u"MCP_PROXY_CONFIG="_s} << QString() << QStringList{}
            << expect({{u"upstream.url"_s, u"https://mcp.example.com/mcp"_s}});

    // Headers (our addition).
    QTest::addRow("headers: command line replaces the file's, case-insensitive")
            << QStringList{}
            << fileWith(u"upstream.headers"_s, u"{\"X-Api-Key\":\"k-file\",\"X-Other\":\"o\"}"_s)
            << QStringList{u"--header"_s, u"x-api-key: k-cli"_s, u"--header"_s, u"X-New: n"_s}
            << expect({{u"upstream.headers"_s,
                       QStringList{u"x-api-key: k-cli"_s, u"X-Other: o"_s, u"X-New: n"_s}}});
    QTest::addRow("headers: file order kept")
            << QStringList{}
            << fileWith(u"upstream.headers"_s, u"{\"X-B\":\"1\",\"X-A\":\"2\",\"X-C\":\"3\"}"_s)
            << QStringList{}
            << expect({{u"upstream.headers"_s,
                       QStringList{u"X-B: 1"_s, u"X-A: 2"_s, u"X-C: 3"_s}}});
    QTest::addRow("headers: ${VAR} expanded")
            << QStringList{u"TOKEN=abc.def"_s, u"A=x"_s, u"B_2=y"_s, u"EMPTY="_s}
            << fileWith(u"upstream.headers"_s,
                       u"{\"Authorization\":\"Bearer ${TOKEN}\",\"X-Pair\":\"${A}-${B_2}\","
                       "\"X-Empty\":\"[${EMPTY}]\",\"X-Dollar\":\"$HOME $ {A} $\"}"_s)
            << QStringList{u"--header"_s, u"X-Cli: ${A}${A}"_s}
            << expect({{u"upstream.headers"_s,
                       QStringList{u"Authorization: Bearer abc.def"_s, u"X-Pair: x-y"_s,
                               u"X-Empty: []"_s, u"X-Dollar: $HOME $ {A} $"_s, u"X-Cli: xx"_s}}});
    QTest::addRow("headers: value whitespace trimmed, inner kept")
            << QStringList{} << QString()
            << QStringList{u"https://mcp.example.com/mcp"_s, u"--header"_s, u"X-A:   a \t b  "_s,
                       u"--header"_s, u"X-Empty:"_s}
            << expect({{u"upstream.headers"_s, QStringList{u"X-A: a \t b"_s, u"X-Empty: "_s}}});
    QTest::addRow("headers: token characters in names")
            << QStringList{} << QString()
            << QStringList{Url.mid(13), u"--header"_s, u"X-!#$%&'*+-.^_`|~09: v"_s}
            << expect({{u"upstream.headers"_s, QStringList{u"X-!#$%&'*+-.^_`|~09: v"_s}}});
    QTest::addRow("headers: Authorization is allowed")
            << QStringList{Url} << QString()
            << QStringList{u"--header"_s, u"Authorization: Bearer static-token"_s}
            << expect({{u"upstream.headers"_s,
                       QStringList{u"Authorization: Bearer static-token"_s}}});
}

void tst_ConfigLoader::fields()
{
    QFETCH(QStringList, env);
    QFETCH(QString, file);
    QFETCH(QStringList, args);
    QFETCH(QVariantMap, expected);

    const ConfigLoadResult result = load(env, file, args);
    QVERIFY2(result.error.isEmpty(), qPrintable(result.error));
    QVERIFY(result.config.has_value());
    QVERIFY2(result.warnings.isEmpty(), qPrintable(result.warnings.join(u'\n')));
    for (auto it = expected.cbegin(); it != expected.cend(); ++it) {
        const QVariant actual = fieldValue(*result.config, it.key());
        QVERIFY2(actual.isValid(), qPrintable(u"unknown field "_s + it.key()));
        QVariant want = it.value();
        if (want.typeId() == QMetaType::QString)
            want = substitute(want.toString());
        if (SecretPaths.contains(it.key())) {
            // Never print secrets, not even the fake ones of a test.
            QVERIFY2(sameValue(actual, want), qPrintable(u"wrong value of "_s + it.key()));
        } else if (!sameValue(actual, want)) {
            QFAIL(qPrintable(u"%1: got %2, expected %3"_s.arg(it.key(),
                    actual.toStringList().join(u'|') + actual.toString(),
                    want.toStringList().join(u'|') + want.toString())));
        }
    }
}

void tst_ConfigLoader::errors_data()
{
    addCommonColumns();
    QTest::addColumn<QString>("expected"); // the error contains this (after substitution)
    QTest::addColumn<QStringList>("forbidden"); // secrets that must not appear in the error

    const QStringList none;
    // The npm package's test suite (config.test).
    QTest::addRow("reference: OAUTH2_EXTRA_PARAMS invalid JSON")
            << QStringList{Url, u"OAUTH2_EXTRA_PARAMS={not json"_s} << QString() << QStringList{}
            << u"OAUTH2_EXTRA_PARAMS is not valid JSON: "_s << none;
    QTest::addRow("reference: required fields missing")
            << QStringList{} << QString() << QStringList{} << u"upstream.url is required"_s << none;
    QTest::addRow("reference: OAUTH2_CALLBACK_PORT not an integer with client_credentials")
            << QStringList{Url, u"OAUTH2_GRANT=client_credentials"_s, u"OAUTH2_CLIENT_ID=cid"_s,
                       u"OAUTH2_CALLBACK_PORT=53683x"_s}
            << QString() << QStringList{}
            << u"OAUTH2_CALLBACK_PORT must be an integer, got \"53683x\""_s << none;
    QTest::addRow("reference: UPSTREAM_TIMEOUT_MS whitespace")
            << QStringList{Url, u"UPSTREAM_TIMEOUT_MS=  "_s} << QString() << QStringList{}
            << u"UPSTREAM_TIMEOUT_MS must be an integer, got \"  \""_s << none;
    QTest::addRow("reference: cleartext http upstream.url")
            << QStringList{u"UPSTREAM_URL=http://example.com/mcp"_s} << QString() << QStringList{}
            << u"upstream.url uses cleartext http to a non-loopback host (example.com), which "
               "would leak OAuth2 credentials/tokens. Use https, target a loopback address, or "
               "set allowInsecureHttp / ALLOW_INSECURE_HTTP=true to override."_s
            << none;
    QTest::addRow("reference: cleartext http oauth2.tokenUrl")
            << QStringList{Url, u"OAUTH2_GRANT=client_credentials"_s, u"OAUTH2_CLIENT_ID=cid"_s,
                       u"OAUTH2_TOKEN_URL=http://idp.example.com:8080/token"_s}
            << QString() << QStringList{}
            << u"oauth2.tokenUrl uses cleartext http to a non-loopback host (idp.example.com:8080)"_s
            << none;
    QTest::addRow("cleartext http oauth2.authorizationUrl")
            << QStringList{Url, u"OAUTH2_AUTHORIZATION_URL=http://idp.example.com/authorize"_s}
            << QString() << QStringList{}
            << u"oauth2.authorizationUrl uses cleartext http to a non-loopback host "
               "(idp.example.com)"_s
            << none;
    QTest::addRow("cleartext http from the file, allowed by the file, refused by env")
            << QStringList{u"ALLOW_INSECURE_HTTP=0"_s}
            << uR"({"upstream":{"url":"http://remote.example/mcp"},"allowInsecureHttp":true})"_s
            << QStringList{} << u"upstream.url uses cleartext http"_s << none;
    QTest::addRow("cleartext http from the argument")
            << QStringList{} << QString() << QStringList{u"http://remote.example/mcp"_s}
            << u"upstream.url uses cleartext http"_s << none;
    QTest::addRow("ftp upstream") << QStringList{u"UPSTREAM_URL=ftp://example.com/mcp"_s,
            u"ALLOW_INSECURE_HTTP=1"_s}
                                  << QString() << QStringList{}
                                  << u"upstream.url must use http or https, got \"ftp:\""_s << none;
    QTest::addRow("not a url") << QStringList{u"UPSTREAM_URL=not a url"_s} << QString()
                               << QStringList{} << u"upstream.url is not a valid URL: not a url"_s
                               << none;
    QTest::addRow("not a token url")
            << QStringList{Url, u"OAUTH2_TOKEN_URL=/token"_s} << QString() << QStringList{}
            << u"oauth2.tokenUrl is not a valid URL: /token"_s << none;
    QTest::addRow("redirectUri not http")
            << QStringList{Url, u"OAUTH2_REDIRECT_URI=urn:ietf:wg:oauth:2.0:oob"_s} << QString()
            << QStringList{}
            << u"OAUTH2_REDIRECT_URI must be an absolute http or https URL, got "
               "\"urn:ietf:wg:oauth:2.0:oob\""_s
            << none;
    QTest::addRow("redirectUri relative in the file")
            << QStringList{} << fileWith(u"oauth2.redirectUri"_s, u"\"/callback\""_s)
            << QStringList{} << u"oauth2.redirectUri must be an absolute http or https URL"_s
            << none;

    // Configurations that can never work are refused at start-up.
    QTest::addRow("client_credentials without a client id, discovery off")
            << QStringList{Url, u"OAUTH2_GRANT=client_credentials"_s, u"DISCOVERY_ENABLED=false"_s}
            << QString() << QStringList{}
            << u"OAUTH2_GRANT is client_credentials, which needs a client: set oauth2.clientId / "
               "OAUTH2_CLIENT_ID, or enable discovery so that one can be registered "
               "(DISCOVERY_ENABLED is \"false\")"_s
            << none;
    QTest::addRow("client_credentials without a client id, discovery off in the file")
            << QStringList{} << uR"({"upstream":{"url":"https://mcp.example.com/mcp"},
                    "oauth2":{"grant":"client_credentials","clientSecret":"cc-secret-1"},
                    "discovery":{"enabled":false}})"_s
            << QStringList{} << u"oauth2.grant is client_credentials, which needs a client"_s
            << QStringList{u"cc-secret-1"_s};
    const QList<std::pair<QString, QString>> badRedirects = {
            {u"non-loopback https"_s, u"https://app.example/cb"_s},
            {u"non-loopback http"_s, u"http://192.168.1.5:8080/cb"_s},
            {u"https on loopback"_s, u"https://127.0.0.1:8443/cb"_s},
            {u"loopback without a port"_s, u"http://localhost/cb"_s},
            {u"loopback with port 0"_s, u"http://127.0.0.1:0/cb"_s},
            {u"loopback with a fragment"_s, u"http://127.0.0.1:8080/cb#x"_s},
            {u"localhost as a subdomain"_s, u"http://localhost.evil.example:8080/cb"_s},
            {u"not an IPv4 address"_s, u"http://127.999.1.1:8080/cb"_s},
            {u"IPv4-mapped loopback"_s, u"http://[::ffff:127.0.0.1]:8080/cb"_s},
    };
    for (const auto &[name, redirect] : badRedirects) {
        QTest::addRow("redirect URI: %s", qPrintable(name))
                << QStringList{Url, u"OAUTH2_REDIRECT_URI="_s + redirect} << QString()
                << QStringList{}
                << u"OAUTH2_REDIRECT_URI must be an http URL on 127.0.0.1, localhost or [::1] "
                   "with an explicit port and no fragment, where the proxy receives the login "
                   "(RFC 8252 §7.3), got \""_s
                        + redirect + u'"'
                << none;
    }
    for (const QString &host :
            {u"0.0.0.0"_s, u"::"_s, u"192.168.1.5"_s, u"example.com"_s, u"localhost.example.com"_s,
                    u"128.0.0.1"_s, u"127.999.1.1"_s, u"127.0.0.01"_s, u"::ffff:127.0.0.1"_s}) {
        QTest::addRow("callback host %s", qPrintable(host))
                << QStringList{Url, u"OAUTH2_CALLBACK_HOST="_s + host} << QString() << QStringList{}
                << u"OAUTH2_CALLBACK_HOST must be a loopback address (127.0.0.1, localhost or ::1) "
                   "so that only this machine can reach the login callback, got \""_s
                        + host + u'"'
                << none;
    }
    QTest::addRow("callback host in the file")
            << QStringList{} << fileWith(u"oauth2.callbackHost"_s, u"\"0.0.0.0\""_s)
            << QStringList{} << u"oauth2.callbackHost must be a loopback address"_s << none;
    const QList<std::pair<QString, QString>> badVersions = {
            {u"CR LF"_s, u"2025-06-18\r\nX-Injected: 1"_s},
            {u"LF"_s, u"2025-06-18\nX"_s},
            {u"NUL"_s, QStringLiteral("2025%106-18").arg(QChar(0))},
            {u"DEL"_s, QStringLiteral("2025-06-18%1").arg(QChar(0x7f))},
            {u"a space"_s, u"2025 06 18"_s},
            {u"non-ASCII"_s, u"2025\u201106-18"_s},
    };
    for (const auto &[name, version] : badVersions) {
        QTest::addRow("UPSTREAM_PROTOCOL_VERSION with %s", qPrintable(name))
                << QStringList{Url, u"UPSTREAM_PROTOCOL_VERSION="_s + version} << QString()
                << QStringList{}
                << u"UPSTREAM_PROTOCOL_VERSION is sent as an HTTP header and may contain only "
                   "letters, digits and !#$%&'*+-.^_`|~ (a revision such as 2025-11-25), got"_s
                << QStringList{u"\n"_s, u"\r"_s};
    }
    QTest::addRow("upstream.protocolVersion with CR LF in the file")
            << QStringList{} << fileWith(u"upstream.protocolVersion"_s, u"\"1\\r\\nX: y\""_s)
            << QStringList{}
            << u"upstream.protocolVersion is sent as an HTTP header and may contain only letters, "
               "digits and !#$%&'*+-.^_`|~ (a revision such as 2025-11-25), got \"1\\r\\nX: y\""_s
            << none;
    QTest::addRow("command-line header value with a control character")
            << QStringList{Url} << QString()
            << QStringList{u"--header"_s, QStringLiteral("X-Trace: a%1b").arg(QChar(1))}
            << u"--header \"X-Trace\" must not contain CR, LF or other control characters"_s
            << none;
    QTest::addRow("command-line header value with DEL")
            << QStringList{Url} << QString()
            << QStringList{u"--header"_s, QStringLiteral("X-Trace: a%1b").arg(QChar(0x7f))}
            << u"--header \"X-Trace\" must not contain CR, LF or other control characters"_s
            << none;
    QTest::addRow("command-line header name with a control character")
            << QStringList{Url} << QString()
            << QStringList{u"--header"_s, QStringLiteral("X-A%1B: v").arg(QChar(0x0b))}
            << u"--header: \"X-A\\u000bB\" is not a valid header name"_s << none;
    QTest::addRow("command-line header name with CR LF")
            << QStringList{Url} << QString() << QStringList{u"--header"_s, u"X-A\r\nX-B: v"_s}
            << u"--header: \"X-A\\r\\nX-B\" is not a valid header name"_s << none;
    for (const QString &value : {u"2147483647"_s, u"2147484"_s}) {
        QTest::addRow("callback timeout %s s overflows the timer", qPrintable(value))
                << QStringList{Url, u"OAUTH2_CALLBACK_TIMEOUT_SECONDS="_s + value} << QString()
                << QStringList{}
                << u"OAUTH2_CALLBACK_TIMEOUT_SECONDS must be an integer from 1 to 2147483, got \""_s
                        + value + u'"'
                << none;
    }
    QTest::addRow("callback timeout overflow in the file")
            << QStringList{} << fileWith(u"oauth2.callbackTimeoutSeconds"_s, u"2147483647"_s)
            << QStringList{}
            << u"oauth2.callbackTimeoutSeconds must be an integer from 1 to 2147483, got "
               "2147483647"_s
            << none;

    // Integer env errors, for every integer env var.
    for (const IntegerEnv &e : IntegerEnvs) {
        for (const QString &raw :
                {u"abc"_s, u"2000x"_s, u"1.5"_s, u"+5"_s, u"1e3"_s, u"0x10"_s, u"- 1"_s, u" "_s}) {
            QTest::addRow("%s=\"%s\"", qPrintable(e.env), qPrintable(rowText(raw)))
                    << QStringList{Url, e.env + u'=' + raw} << QString() << QStringList{}
                    << e.env + u" must be an integer, got \""_s + raw + u'"' << none;
        }
        for (const QString &raw :
                {u"99999999999999999999"_s, u"9007199254740992"_s, u"-9223372036854775808"_s}) {
            QTest::addRow("%s=%s out of range", qPrintable(e.env), qPrintable(rowText(raw)))
                    << QStringList{Url, e.env + u'=' + raw} << QString() << QStringList{}
                    << e.env + u" is out of range: \""_s + raw + u'"' << none;
        }
        QTest::addRow("%s=-1", qPrintable(e.env))
                << QStringList{Url, e.env + u"=-1"_s} << QString() << QStringList{}
                << e.env + u" must be an integer "_s << none;
    }
    QTest::addRow("tab and newline shown escaped")
            << QStringList{Url, u"UPSTREAM_TIMEOUT_MS=\t1\nx"_s} << QString() << QStringList{}
            << u"UPSTREAM_TIMEOUT_MS must be an integer, got \"\\t1\\nx\""_s << none;
    const QList<std::tuple<QString, qlonglong, QString>> outOfRange = {
            {u"UPSTREAM_TIMEOUT_MS"_s, 0, u"an integer from 1 to 2147483647"_s},
            {u"UPSTREAM_TIMEOUT_MS"_s, 2147483648LL, u"an integer from 1 to 2147483647"_s},
            {u"OAUTH2_REFRESH_SKEW_SECONDS"_s, -1, u"an integer from 0 to 2147483647"_s},
            {u"OAUTH2_CALLBACK_PORT"_s, 65536, u"an integer from 0 to 65535"_s},
            {u"OAUTH2_CALLBACK_PORT"_s, -1, u"an integer from 0 to 65535"_s},
            {u"OAUTH2_CALLBACK_TIMEOUT_SECONDS"_s, 0, u"an integer from 1 to 2147483"_s},
            {u"MCP_PROXY_MAX_LINE_BYTES"_s, 1023, u"an integer of at least 1024"_s},
    };
    for (const auto &[env, value, allowed] : outOfRange) {
        QTest::addRow("%s=%lld out of its range", qPrintable(env), value)
                << QStringList{Url, env + u'=' + QString::number(value)} << QString()
                << QStringList{} << u"%1 must be %2, got \"%3\""_s.arg(env, allowed).arg(value)
                << none;
    }
    QTest::addRow("file range error names the JSON path")
            << QStringList{} << fileWith(u"upstream.timeoutMs"_s, u"-5"_s) << QStringList{}
            << u"upstream.timeoutMs must be an integer from 1 to 2147483647, got -5"_s << none;
    QTest::addRow("file port range")
            << QStringList{} << fileWith(u"oauth2.callbackPort"_s, u"70000"_s) << QStringList{}
            << u"oauth2.callbackPort must be an integer from 0 to 65535, got 70000"_s << none;

    // Enumerations.
    QTest::addRow("OAUTH2_GRANT invalid")
            << QStringList{Url, u"OAUTH2_GRANT=password"_s} << QString() << QStringList{}
            << u"OAUTH2_GRANT must be one of client_credentials, authorization_code, device_code, "
               u"got "
               "\"password\""_s
            << none;
    QTest::addRow("oauth2.grant invalid in the file")
            << QStringList{} << fileWith(u"oauth2.grant"_s, u"\"implicit\""_s) << QStringList{}
            << u"oauth2.grant must be one of client_credentials, authorization_code, device_code, "
               u"got "
               "\"implicit\""_s
            << none;
    QTest::addRow("OAUTH2_AUTH_STYLE invalid")
            << QStringList{Url, u"OAUTH2_AUTH_STYLE=basic"_s} << QString() << QStringList{}
            << u"OAUTH2_AUTH_STYLE must be one of header, body, got \"basic\""_s << none;
    QTest::addRow("UPSTREAM_TRANSPORT invalid")
            << QStringList{Url, u"UPSTREAM_TRANSPORT=websocket"_s} << QString() << QStringList{}
            << u"UPSTREAM_TRANSPORT must be one of http-first, sse-first, http-only, sse-only, got "
               "\"websocket\""_s
            << none;
    QTest::addRow("--transport invalid")
            << QStringList{Url} << QString() << QStringList{u"--transport"_s, u"SSE"_s}
            << u"--transport must be one of http-first, sse-first, http-only, sse-only, got "
               "\"SSE\""_s
            << none;
    QTest::addRow("upstream.transport invalid in the file")
            << QStringList{} << fileWith(u"upstream.transport"_s, u"\"auto\""_s) << QStringList{}
            << u"upstream.transport must be one of http-first, sse-first, http-only, sse-only, "
               "got \"auto\""_s
            << none;
    QTest::addRow("LOG_LEVEL silent")
            << QStringList{Url, u"LOG_LEVEL=silent"_s} << QString() << QStringList{}
            << u"LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, got \"silent\""_s
            << none;
    QTest::addRow("LOG_LEVEL upper case") << QStringList{Url, u"LOG_LEVEL=INFO"_s} << QString()
                                          << QStringList{} << u"LOG_LEVEL must be one of"_s << none;
    QTest::addRow("--log-level invalid")
            << QStringList{Url, u"LOG_LEVEL=info"_s} << QString()
            << QStringList{u"--log-level"_s, u"verbose"_s}
            << u"--log-level must be one of trace, debug, info, warn, error, fatal, got "
               "\"verbose\""_s
            << none;

    // JSON types in the file (the reference's zod types; a quoted number is an error).
    const QList<std::tuple<QString, QString, QString>> typeErrors = {
            {u"upstream.timeoutMs"_s, u"\"30000\""_s,
                    u"upstream.timeoutMs must be an integer, got string \"30000\""_s},
            {u"upstream.timeoutMs"_s, u"1.5"_s,
                    u"upstream.timeoutMs must be an integer, got number 1.5"_s},
            {u"upstream.timeoutMs"_s, u"1e300"_s,
                    u"upstream.timeoutMs must be an integer, got number 1e+300"_s},
            {u"upstream.timeoutMs"_s, u"true"_s,
                    u"upstream.timeoutMs must be an integer, got boolean true"_s},
            {u"upstream.openServerStream"_s, u"\"true\""_s,
                    u"upstream.openServerStream must be a boolean (true or false), got string \"true\""_s},
            {u"upstream.openServerStream"_s, u"1"_s,
                    u"upstream.openServerStream must be a boolean (true or false), got number 1"_s},
            {u"upstream.protocolVersion"_s, u"20250618"_s,
                    u"upstream.protocolVersion must be a string, got number 20250618"_s},
            {u"upstream.headers"_s, u"\"X-A: 1\""_s,
                    u"upstream.headers must be an object of header names to string values, got string"_s},
            {u"upstream.headers"_s, u"[]"_s,
                    u"upstream.headers must be an object of header names to string values, got array"_s},
            {u"upstream.caBundle"_s, u"false"_s,
                    u"upstream.caBundle must be a string, got boolean false"_s},
            {u"oauth2.clientId"_s, u"null"_s, u"oauth2.clientId must be a string, got null"_s},
            {u"oauth2.scope"_s, u"[\"a\",\"b\"]"_s, u"oauth2.scope must be a string, got array"_s},
            {u"oauth2.tokenUrl"_s, u"{}"_s, u"oauth2.tokenUrl must be a string, got object"_s},
            {u"oauth2.extraParams"_s, u"\"a=b\""_s,
                    u"oauth2.extraParams must be an object of string values, got string \"a=b\""_s},
            {u"oauth2.extraParams"_s, u"{\"a\":true}"_s,
                    u"oauth2.extraParams: the member \"a\" must be a string, got boolean ****"_s},
            {u"oauth2.interactive"_s, u"\"no\""_s,
                    u"oauth2.interactive must be a boolean (true or false), got string \"no\""_s},
            {u"oauth2.callbackPort"_s, u"\"53682\""_s,
                    u"oauth2.callbackPort must be an integer, got string \"53682\""_s},
            {u"discovery.enabled"_s, u"0"_s,
                    u"discovery.enabled must be a boolean (true or false), got number 0"_s},
            {u"log.level"_s, u"30"_s, u"log.level must be a string, got number 30"_s},
            {u"log.file"_s, u"1"_s, u"log.file must be a string, got number 1"_s},
            {u"allowInsecureHttp"_s, u"\"yes\""_s,
                    u"allowInsecureHttp must be a boolean (true or false), got string \"yes\""_s},
            {u"stdio.maxLineBytes"_s, u"\"1024\""_s,
                    u"stdio.maxLineBytes must be an integer, got string \"1024\""_s},
            {u"upstream"_s, u"[]"_s, u"upstream must be an object, got array"_s},
            {u"oauth2"_s, u"\"x\""_s, u"oauth2 must be an object, got string \"x\""_s},
            {u"discovery"_s, u"true"_s, u"discovery must be an object, got boolean true"_s},
            {u"log"_s, u"\"info\""_s, u"log must be an object, got string \"info\""_s},
            {u"stdio"_s, u"null"_s, u"stdio must be an object, got null"_s},
    };
    for (const auto &[path, json, message] : typeErrors) {
        QTest::addRow("file type: %s = %s", qPrintable(path), qPrintable(json))
                << QStringList{} << fileWith(path, json) << QStringList{} << message << none;
    }
    QTest::addRow("file type: upstream.url number")
            << QStringList{} << u"{\"upstream\":{\"url\":5}}"_s << QStringList{}
            << u"upstream.url must be a string, got number 5"_s << none;
    QTest::addRow("file type error even when env sets the field")
            << QStringList{u"UPSTREAM_TIMEOUT_MS=5"_s}
            << fileWith(u"upstream.timeoutMs"_s, u"\"30000\""_s) << QStringList{}
            << u"upstream.timeoutMs must be an integer, got string \"30000\""_s << none;
    for (const QString &path : {u"oauth2.clientId"_s, u"oauth2.resource"_s,
                 u"oauth2.callbackHost"_s, u"oauth2.tokenCacheDir"_s}) {
        QTest::addRow("file: empty %s", qPrintable(path))
                << QStringList{} << fileWith(path, u"\"\""_s) << QStringList{}
                << path + u" must be a non-empty string, got \"\""_s << none;
    }

    // The file itself.
    QTest::addRow("file missing via MCP_PROXY_CONFIG")
            << QStringList{u"MCP_PROXY_CONFIG=@TMP@/missing.json"_s} << QString() << QStringList{}
            << u"MCP_PROXY_CONFIG: cannot read the config file \"@TMP@/missing.json\""_s << none;
    QTest::addRow("file missing via --config")
            << QStringList{Url} << QString() << QStringList{u"--config"_s, u"@TMP@/missing.json"_s}
            << u"--config: cannot read the config file \"@TMP@/missing.json\""_s << none;
    QTest::addRow("file is a directory")
            << QStringList{u"MCP_PROXY_CONFIG=@TMP@/dir"_s} << QString() << QStringList{}
            << u"MCP_PROXY_CONFIG: cannot read the config file"_s << none;
    QTest::addRow("file invalid JSON") << QStringList{} << u"{\"upstream\": {"_s << QStringList{}
                                       << u"is not valid JSON: "_s << none;
    QTest::addRow("file empty") << QStringList{} << u" "_s << QStringList{}
                                << u"is not valid JSON: "_s << none;
    QTest::addRow("file top-level array") << QStringList{} << u"[1]"_s << QStringList{}
                                          << u"must contain a JSON object, got array"_s << none;

    // Files named by the config.
    QTest::addRow("ca bundle missing (env)")
            << QStringList{Url, u"MCP_PROXY_CA_BUNDLE=@TMP@/missing.pem"_s} << QString()
            << QStringList{}
            << u"MCP_PROXY_CA_BUNDLE must name a readable file, got \"@TMP@/missing.pem\" (no "
               "such file)"_s
            << none;
    QTest::addRow("ca bundle is a directory (option)")
            << QStringList{Url} << QString() << QStringList{u"--ca-bundle"_s, u"@TMP@/dir"_s}
            << u"--ca-bundle must name a readable file, got \"@TMP@/dir\" (not a regular file)"_s
            << none;
    QTest::addRow("ca bundle missing (file)")
            << QStringList{} << fileWith(u"upstream.caBundle"_s, u"\"@TMP@/nope.pem\""_s)
            << QStringList{} << u"upstream.caBundle must name a readable file"_s << none;
    QTest::addRow("log file in a missing directory")
            << QStringList{Url} << QString()
            << QStringList{u"--log-file"_s, u"@TMP@/no/such/dir/proxy.log"_s}
            << u"--log-file must be a file in an existing directory, got "
               "\"@TMP@/no/such/dir/proxy.log\""_s
            << none;
    QTest::addRow("log file is a directory")
            << QStringList{Url, u"LOG_FILE=@TMP@/dir"_s} << QString() << QStringList{}
            << u"LOG_FILE must be a file in an existing directory"_s << none;

    // Extra params.
    QTest::addRow("OAUTH2_EXTRA_PARAMS array")
            << QStringList{Url, u"OAUTH2_EXTRA_PARAMS=[1,2]"_s} << QString() << QStringList{}
            << u"OAUTH2_EXTRA_PARAMS must be an object of string values, got array"_s << none;
    QTest::addRow("OAUTH2_EXTRA_PARAMS number value")
            << QStringList{Url, u"OAUTH2_EXTRA_PARAMS={\"client_assertion\":31337}"_s} << QString()
            << QStringList{}
            << u"OAUTH2_EXTRA_PARAMS: the member \"client_assertion\" must be a string, got number ****"_s
            << QStringList{u"31337"_s};

    // Headers.
    const QStringList reserved = {u"Host"_s, u"Content-Length"_s, u"Content-Type"_s, u"Accept"_s,
            u"Mcp-Session-Id"_s, u"MCP-Protocol-Version"_s, u"Last-Event-ID"_s,
            u"Transfer-Encoding"_s, u"Connection"_s, u"Mcp-Method"_s, u"Mcp-Name"_s,
            u"Mcp-Param-Region"_s, u"MCP-PARAM-x"_s, u"Mcp-Param-"_s};
    for (const QString &name : reserved) {
        QTest::addRow("reserved header %s in the file", qPrintable(name))
                << QStringList{} << fileWith(u"upstream.headers"_s, u"{\"%1\":\"v\"}"_s.arg(name))
                << QStringList{}
                << u"upstream.headers: the header \"%1\" cannot be set, the proxy manages it"_s.arg(
                           name)
                << none;
        QTest::addRow("reserved header %s on the command line (lower case)", qPrintable(name))
                << QStringList{Url} << QString()
                << QStringList{u"--header"_s, name.toLower() + u": v"_s}
                << u"--header: the header \"%1\" cannot be set"_s.arg(name.toLower()) << none;
    }
    for (const QString &name : {u"Bad Name"_s, u""_s, u"X-\u00dcmlaut"_s, u"X(1)"_s, u"X/Y"_s,
                 u"X-A "_s, u"\"X\""_s}) {
        QTest::addRow("invalid header name \"%s\" in the file", qPrintable(name))
                << QStringList{}
                << fileWith(u"upstream.headers"_s,
                           u"{\"%1\":\"v\"}"_s.arg(QString(name).replace(u"\""_s, u"\\\""_s)))
                << QStringList{} << u"is not a valid header name"_s << none;
    }
    QTest::addRow("invalid header name on the command line")
            << QStringList{Url} << QString() << QStringList{u"--header"_s, u"X A: v"_s}
            << u"--header: \"X A\" is not a valid header name (allowed: letters, digits and "
               "!#$%&'*+-.^_`|~)"_s
            << none;
    QTest::addRow("header from an unset variable")
            << QStringList{u"OTHER=1"_s}
            << fileWith(u"upstream.headers"_s, u"{\"Authorization\":\"Bearer ${MISSING_TOKEN}\"}"_s)
            << QStringList{}
            << u"upstream.headers.Authorization: the environment variable MISSING_TOKEN is not set"_s
            << QStringList{u"${MISSING_TOKEN}"_s};
    QTest::addRow("command-line header from an unset variable")
            << QStringList{Url} << QString() << QStringList{u"--header"_s, u"X-Key: ${NOPE}"_s}
            << u"--header \"X-Key\": the environment variable NOPE is not set"_s << none;
    for (const QString &value : {u"${TOKEN"_s, u"${}"_s, u"${1A}"_s, u"${A-B}"_s, u"x${"_s}) {
        QTest::addRow("malformed variable %s", qPrintable(value))
                << QStringList{Url, u"TOKEN=t"_s, u"A=a"_s} << QString()
                << QStringList{u"--header"_s, u"X-Key: "_s + value}
                << u"--header \"X-Key\": malformed \"${\" in the value"_s << none;
    }
    QTest::addRow("duplicate header in the file (case-insensitive)")
            << QStringList{} << fileWith(u"upstream.headers"_s, u"{\"X-A\":\"1\",\"x-a\":\"2\"}"_s)
            << QStringList{} << u"the header \""_s << none;
    QTest::addRow("duplicate header on the command line")
            << QStringList{Url} << QString()
            << QStringList{u"--header"_s, u"X-A: 1"_s, u"--header"_s, u"x-A: 2"_s}
            << u"--header: the header \"x-A\" is given twice"_s << none;

    // Secrets never appear in an error (masked as "****").
    QTest::addRow("secret: clientSecret of the wrong type")
            << QStringList{} << fileWith(u"oauth2.clientSecret"_s, u"12345678"_s) << QStringList{}
            << u"oauth2.clientSecret must be a string, got number ****"_s
            << QStringList{u"12345678"_s};
    QTest::addRow("secret: refreshToken of the wrong type")
            << QStringList{} << fileWith(u"oauth2.refreshToken"_s, u"987654321"_s) << QStringList{}
            << u"oauth2.refreshToken must be a string, got number ****"_s
            << QStringList{u"987654321"_s};
    QTest::addRow("secret: authorizationCode boolean")
            << QStringList{} << fileWith(u"oauth2.authorizationCode"_s, u"true"_s) << QStringList{}
            << u"oauth2.authorizationCode must be a string, got boolean ****"_s << none;
    QTest::addRow("secret: codeVerifier of the wrong type")
            << QStringList{} << fileWith(u"oauth2.codeVerifier"_s, u"55555555"_s) << QStringList{}
            << u"oauth2.codeVerifier must be a string, got number ****"_s
            << QStringList{u"55555555"_s};
    QTest::addRow("secret: header value with CR LF in the file")
            << QStringList{}
            << fileWith(u"upstream.headers"_s, u"{\"X-Api-Key\":\"supersecret\\r\\nX-Evil: 1\"}"_s)
            << QStringList{}
            << u"upstream.headers.X-Api-Key must not contain CR, LF or other control "
               "characters, got \"****\""_s
            << QStringList{u"supersecret"_s, u"X-Evil"_s};
    QTest::addRow("secret: header value with a NUL")
            << QStringList{}
            << fileWith(u"upstream.headers"_s, u"{\"X-Api-Key\":\"abc\\u0000def\"}"_s)
            << QStringList{} << u"upstream.headers.X-Api-Key must not contain CR"_s
            << QStringList{u"abc"_s, u"def"_s};
    QTest::addRow("secret: header value of the wrong type")
            << QStringList{} << fileWith(u"upstream.headers"_s, u"{\"X-Api-Key\":424242}"_s)
            << QStringList{} << u"upstream.headers.X-Api-Key must be a string, got number ****"_s
            << QStringList{u"424242"_s};
    QTest::addRow("secret: expanded variable with a newline")
            << QStringList{Url, u"TOKEN=secret-tok-value\nX-Injected: 1"_s} << QString()
            << QStringList{u"--header"_s, u"Authorization: Bearer ${TOKEN}"_s}
            << u"--header \"Authorization\" must not contain CR, LF"_s
            << QStringList{u"secret-tok-value"_s, u"X-Injected"_s};
    QTest::addRow("secret: command-line header without a colon")
            << QStringList{Url} << QString()
            << QStringList{u"--header"_s, u"X-A: ok"_s, u"--header"_s, u"Bearer supersecrettoken"_s}
            << u"--header must have the form \"Name: value\", got \"****\" (occurrence 2)"_s
            << QStringList{u"supersecrettoken"_s};
    QTest::addRow("secret: command-line header with CR")
            << QStringList{Url} << QString()
            << QStringList{u"--header"_s, u"X-Api-Key: topsecret\rX"_s}
            << u"--header \"X-Api-Key\" must not contain CR"_s << QStringList{u"topsecret"_s};
    QTest::addRow("secret: clientSecret env is not echoed by later errors")
            << QStringList{Url, u"OAUTH2_CLIENT_SECRET=env-secret-value"_s,
                       u"OAUTH2_CALLBACK_PORT=x"_s}
            << QString() << QStringList{} << u"OAUTH2_CALLBACK_PORT must be an integer"_s
            << QStringList{u"env-secret-value"_s};
}

void tst_ConfigLoader::errors()
{
    QFETCH(QStringList, env);
    QFETCH(QString, file);
    QFETCH(QStringList, args);
    QFETCH(QString, expected);
    QFETCH(QStringList, forbidden);

    const ConfigLoadResult result = load(env, file, args);
    QVERIFY(!result.config.has_value());
    QVERIFY(!result.error.isEmpty());
    QVERIFY2(!result.error.contains(u'\n') && !result.error.contains(u'\r'),
            "the error must be one line");
    for (const QString &secret : forbidden)
        QVERIFY2(!result.error.contains(secret), "a secret leaked into the error");
    if (forbidden.isEmpty()) {
        QVERIFY2(
                result.error.contains(substitute(expected)), qPrintable(u"got: "_s + result.error));
    } else {
        // The error may hold a secret if the test fails: do not print it.
        QVERIFY2(result.error.contains(substitute(expected)), "unexpected error text");
    }
}

void tst_ConfigLoader::unknownKeys_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QStringList>("warnings");

    const QString base = u"\"upstream\":{\"url\":\"https://mcp.example.com/mcp\"}"_s;
    QTest::addRow("upstream.timeout")
            << u"{\"upstream\":{\"url\":\"https://mcp.example.com/mcp\",\"timeout\":5}}"_s
            << QStringList{u"config: unknown key \"upstream.timeout\" (did you mean "
                           "\"upstream.timeoutMs\"?)"_s};
    QTest::addRow("oauth") << u"{%1,\"oauth\":{}}"_s.arg(
            base) << QStringList{u"config: unknown key \"oauth\" (did you mean \"oauth2\"?)"_s};
    QTest::addRow("clientID") << u"{%1,\"oauth2\":{\"clientID\":\"x\"}}"_s.arg(base)
                              << QStringList{u"config: unknown key \"oauth2.clientID\" (did you "
                                             "mean \"oauth2.clientId\"?)"_s};
    QTest::addRow("client_secret") << u"{%1,\"oauth2\":{\"client_secret\":\"x\"}}"_s.arg(base)
                                   << QStringList{u"config: unknown key \"oauth2.client_secret\" "
                                                  "(did you mean \"oauth2.clientSecret\"?)"_s};
    QTest::addRow("timeoutMs at the top") << u"{%1,\"timeoutMs\":5}"_s.arg(base)
                                          << QStringList{u"config: unknown key \"timeoutMs\" (did "
                                                         "you mean \"upstream.timeoutMs\"?)"_s};
    QTest::addRow("logLevel at the top") << u"{%1,\"logLevel\":\"info\"}"_s.arg(base)
                                         << QStringList{u"config: unknown key \"logLevel\" (did "
                                                        "you mean \"log.level\"?)"_s};
    QTest::addRow("allowInsecureHTTP") << u"{%1,\"allowInsecureHTTP\":true}"_s.arg(base)
                                       << QStringList{u"config: unknown key \"allowInsecureHTTP\" "
                                                      "(did you mean \"allowInsecureHttp\"?)"_s};
    QTest::addRow("discovery.enable") << u"{%1,\"discovery\":{\"enable\":false}}"_s.arg(base)
                                      << QStringList{u"config: unknown key \"discovery.enable\" "
                                                     "(did you mean \"discovery.enabled\"?)"_s};
    QTest::addRow("dotted key at the top")
            << u"{%1,\"upstream.timeoutMs\":5}"_s.arg(base)
            << QStringList{u"config: unknown key \"upstream.timeoutMs\" (did you mean "
                           "\"upstream.timeoutMs\"?)"_s};
    QTest::addRow("unrelated") << u"{%1,\"totallyUnrelatedSetting\":1}"_s.arg(base)
                               << QStringList{u"config: unknown key \"totallyUnrelatedSetting\" "
                                              "(ignored)"_s};
    QTest::addRow("two unknown keys")
            << u"{%1,\"oauth2\":{\"granttype\":\"x\",\"scopes\":\"a\"}}"_s.arg(base)
            << QStringList{u"config: unknown key \"oauth2.granttype\" (did you mean "
                           "\"oauth2.grant\"?)"_s,
                       u"config: unknown key \"oauth2.scopes\" (did you mean \"oauth2.scope\"?)"_s};
    QTest::addRow("comments and free-form objects")
            << u"{%1,\"//\":\"c\",\"$schema\":\"s\",\"oauth2\":{\"//x\":1,\"extraParams\":{\"foo\":"
               "\"bar\"}},\"log\":{\"$comment\":\"c\"}}"_s.arg(base)
            << QStringList{};
}

void tst_ConfigLoader::unknownKeys()
{
    QFETCH(QString, file);
    QFETCH(QStringList, warnings);
    const ConfigLoadResult result = load({}, file, {});
    QVERIFY2(result.error.isEmpty(), qPrintable(result.error));
    QCOMPARE(result.warnings, warnings);
}

void tst_ConfigLoader::secureUrl_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<bool>("allowInsecureHttp");
    QTest::addColumn<QString>("problem"); // empty: accepted; else the message contains this

    // The npm package's security.test (assertSecureUrl)
    QTest::addRow("https any host") << u"https://example.com/x"_s << false << QString();
    QTest::addRow("http 127.0.0.1") << u"http://127.0.0.1:8080/x"_s << false << QString();
    QTest::addRow("http localhost") << u"http://localhost/x"_s << false << QString();
    QTest::addRow("http LOCALHOST") << u"http://LOCALHOST:1/x"_s << false << QString();
    QTest::addRow("http [::1]") << u"http://[::1]:8080/x"_s << false << QString();
    QTest::addRow("http 127.1.2.3") << u"http://127.1.2.3/x"_s << false << QString();
    QTest::addRow("http remote") << u"http://example.com/x"_s << false
                                 << u"x uses cleartext http to a non-loopback host (example.com), "
                                    "which would leak OAuth2 credentials/tokens."_s;
    QTest::addRow("http remote allowed") << u"http://example.com/x"_s << true << QString();
    QTest::addRow("http remote port")
            << u"http://example.com:8080/x"_s << false << u"(example.com:8080)"_s;
    QTest::addRow("http remote default port")
            << u"http://example.com:80/x"_s << false << u"(example.com)"_s;
    QTest::addRow("http upper-case host")
            << u"HTTP://EXAMPLE.com/x"_s << false << u"(example.com)"_s;
    QTest::addRow("http remote ipv6")
            << u"http://[2001:db8::1]:81/x"_s << false << u"([2001:db8::1]:81)"_s;
    QTest::addRow("http 0.0.0.0") << u"http://0.0.0.0/x"_s << false << u"cleartext http"_s;
    QTest::addRow("http *.localhost")
            << u"http://evil.localhost/x"_s << false << u"cleartext http"_s;
    QTest::addRow("http v4-mapped")
            << u"http://[::ffff:127.0.0.1]/x"_s << false << u"cleartext http"_s;
    QTest::addRow("http 127.999.1.1 (not an address)")
            << u"http://127.999.1.1/x"_s << false << u"cleartext http"_s;
    QTest::addRow("ftp") << u"ftp://example.com/x"_s << false
                         << u"x must use http or https, got \"ftp:\""_s;
    QTest::addRow("ftp allowed") << u"ftp://example.com/x"_s << true
                                 << u"x must use http or https, got \"ftp:\""_s;
    QTest::addRow("mailto") << u"mailto:a@example.com"_s << false
                            << u"x must use http or https, got \"mailto:\""_s;
    QTest::addRow("not a url") << u"not a url"_s << false << u"x is not a valid URL: not a url"_s;
    QTest::addRow("empty") << QString() << false << u"x is not a valid URL: "_s;
    QTest::addRow("no host") << u"https://"_s << false << u"x is not a valid URL: https://"_s;
    QTest::addRow("relative") << u"/mcp"_s << false << u"x is not a valid URL: /mcp"_s;
}

void tst_ConfigLoader::secureUrl()
{
    QFETCH(QString, url);
    QFETCH(bool, allowInsecureHttp);
    QFETCH(QString, problem);

    const QString message = McpProxy::checkSecureUrl(url, allowInsecureHttp, u"x"_s);
    if (problem.isEmpty())
        QCOMPARE(message, QString());
    else
        QVERIFY2(message.contains(problem), qPrintable(message));

    // The same rule through the config, with the reference's label.
    QStringList env = {u"UPSTREAM_URL="_s + url};
    if (url.isEmpty())
        return; // an empty UPSTREAM_URL is ignored (as in the npm package)
    if (allowInsecureHttp)
        env << u"ALLOW_INSECURE_HTTP=true"_s;
    const ConfigLoadResult result = load(env, QString(), {});
    if (problem.isEmpty()) {
        QVERIFY2(result.config.has_value(), qPrintable(result.error));
    } else {
        QVERIFY(!result.config.has_value());
        QVERIFY2(result.error.startsWith(u"upstream.url "_s), qPrintable(result.error));
    }
}

void tst_ConfigLoader::processEnvironment_data()
{
    QTest::addColumn<QStringList>("env");
    QTest::addColumn<bool>("useKeychain");
    QTest::addColumn<QStringList>("proxyVariables"); // NAME=value, sorted

    QTest::addRow("nothing") << QStringList{} << true << QStringList{};
    for (const QString &off : {u"off"_s, u" OFF "_s, u"0"_s, u"false"_s, u"No"_s})
        QTest::addRow("keychain %s", qPrintable(off))
                << QStringList{u"MCP_PROXY_KEYCHAIN="_s + off} << false << QStringList{};
    for (const QString &on : {u"on"_s, u""_s, u"1"_s, u"offline"_s})
        QTest::addRow("keychain %s", qPrintable(on))
                << QStringList{u"MCP_PROXY_KEYCHAIN="_s + on} << true << QStringList{};
#ifdef Q_OS_WIN
    // Windows environment variable names are case-insensitive: https_proxy and HTTPS_PROXY are
    // one variable (the one set last holds the value), whatever case it is spelled in.
    QTest::addRow("proxy variables")
            << QStringList{u"https_proxy=http://p:3128"_s, u"HTTPS_PROXY=http://q:3128"_s,
                       u"No_Proxy=.corp"_s, u"all_proxy=socks5://s"_s, u"HTTP_PROXY="_s,
                       u"PATH=C:\\Windows"_s, u"ftp_proxy=http://f"_s}
            << true
            << QStringList{u"all_proxy=socks5://s"_s, u"http_proxy="_s,
                       u"https_proxy=http://q:3128"_s, u"no_proxy=.corp"_s};
#else
    QTest::addRow("proxy variables")
            << QStringList{u"https_proxy=http://p:3128"_s, u"HTTPS_PROXY=http://q:3128"_s,
                       u"NO_PROXY=.corp"_s, u"all_proxy=socks5://s"_s, u"HTTP_PROXY="_s,
                       u"PATH=/usr/bin"_s, u"ftp_proxy=http://f"_s}
            << true
            << QStringList{u"HTTPS_PROXY=http://q:3128"_s, u"HTTP_PROXY="_s, u"NO_PROXY=.corp"_s,
                       u"all_proxy=socks5://s"_s, u"https_proxy=http://p:3128"_s};
#endif
}

// The loader is the only reader of the environment: what the token store and the proxy factory
// need comes with the configuration.
void tst_ConfigLoader::processEnvironment()
{
    QFETCH(QStringList, env);
    QFETCH(bool, useKeychain);
    QFETCH(QStringList, proxyVariables);
    const ConfigLoadResult result = load(QStringList{Url} + env, QString(), {});
    QVERIFY2(result.config.has_value(), qPrintable(result.error));
    QCOMPARE(result.config->oauth2.useKeychain, useKeychain);
    QStringList variables = result.config->proxyEnvironment.toStringList();
#ifdef Q_OS_WIN
    // One spelling per variable; which one is QProcessEnvironment's business (names compare
    // case-insensitively there), so the names are compared in lower case.
    for (QString &variable : variables) {
        const qsizetype equals = variable.indexOf(u'=');
        variable = variable.left(equals).toLower() + variable.mid(equals);
    }
#endif
    variables.sort();
    QCOMPARE(variables, proxyVariables);
}

void tst_ConfigLoader::environmentDefaults()
{
    QProcessEnvironment env;
    env.insert(u"OAUTH2_TOKEN_CACHE_DIR"_s, u" /tmp/store"_s);
    env.insert(u"MCP_PROXY_KEYCHAIN"_s, u"off"_s);
    env.insert(u"no_proxy"_s, u"*"_s);
    env.insert(u"OAUTH2_CALLBACK_PORT"_s, u"1"_s); // only the store and the network settings
    const ProxyConfig config = McpProxy::environmentDefaults(env);
    QCOMPARE(config.oauth2.tokenCacheDir, u" /tmp/store"_s); // as given
    QVERIFY(!config.oauth2.useKeychain);
    QCOMPARE(config.proxyEnvironment.toStringList(), QStringList{u"no_proxy=*"_s});
    QCOMPARE(config.oauth2.callbackPort, ProxyConfig().oauth2.callbackPort);
    QVERIFY(McpProxy::environmentDefaults({}).oauth2.useKeychain);
    QVERIFY(McpProxy::environmentDefaults({}).oauth2.tokenCacheDir.isEmpty());
}

// Programs the proxy starts (a browser) get the environment main() handed to the loader, as it
// was: a user's QT_NO_GLIB=1 too, and nothing main() sets afterwards.
void tst_ConfigLoader::childEnvironmentIsTheEnvironmentGiven()
{
    const QStringList env = {Url, u"QT_NO_GLIB=1"_s, u"BROWSER=firefox %s"_s, u"DISPLAY=:0"_s,
            u"PATH=/opt/bin"_s, u"https_proxy=http://p:3128"_s};
    const ConfigLoadResult result = load(env, QString(), {});
    QVERIFY2(result.config.has_value(), qPrintable(result.error));
    QStringList child = result.config->childEnvironment.toStringList();
    QStringList given = env;
    child.sort();
    given.sort();
    QCOMPARE(child, given);

    QProcessEnvironment environment;
    environment.insert(u"QT_NO_GLIB"_s, u"1"_s);
    environment.insert(u"BROWSER"_s, u"firefox"_s);
    QCOMPARE(McpProxy::environmentDefaults(environment).childEnvironment, environment);
    QVERIFY(McpProxy::environmentDefaults({}).childEnvironment.isEmpty());
}

void tst_ConfigLoader::configSecrets()
{
    const ConfigLoadResult result =
            load({Url, u"OAUTH2_CLIENT_SECRET=cs-1234"_s, u"OAUTH2_REFRESH_TOKEN=rt-1234"_s,
                         u"OAUTH2_AUTHORIZATION_CODE=ac-1234"_s, u"OAUTH2_CODE_VERIFIER=cv-1234"_s,
                         u"KEY=hk-1234"_s},
                    QString(), {u"--header"_s, u"X-Api-Key: ${KEY}"_s});
    QVERIFY2(result.config.has_value(), qPrintable(result.error));
    const QStringList secrets = McpProxy::configSecrets(*result.config);
    QVERIFY(secrets.size() == 5);
    for (const QString &secret :
            {u"cs-1234"_s, u"rt-1234"_s, u"ac-1234"_s, u"cv-1234"_s, u"hk-1234"_s})
        QVERIFY(secrets.contains(secret));

    const ConfigLoadResult plain = load({Url}, QString(), {});
    QVERIFY(plain.config.has_value());
    QVERIFY(McpProxy::configSecrets(*plain.config).isEmpty());
}

void tst_ConfigLoader::exampleConfig()
{
    // The example at the repository root loads cleanly (no error, no warning), with both our
    // loader and (by design) the reference, which ignores the comment keys.
    const QString path =
            QStringLiteral(MCPPROXY_TEST_DATA_DIR) + u"/../../../../config.example.json"_s;
    QVERIFY2(QFileInfo::exists(path), qPrintable(path));
    const ConfigLoadResult result = load({}, QString(), {u"--config"_s, path});
    QVERIFY2(result.error.isEmpty(), qPrintable(result.error));
    QVERIFY2(result.warnings.isEmpty(), qPrintable(result.warnings.join(u'\n')));
    QVERIFY(result.config.has_value());
    const ProxyConfig &config = *result.config;
    QCOMPARE(config.upstream.url, QUrl(u"https://mcp.example.com/mcp"_s));
    QCOMPARE(config.upstream.timeoutMs, 300000);
    QCOMPARE(config.oauth2.grant, ProxyConfig::Grant::ClientCredentials);
    QCOMPARE(config.oauth2.clientId, u"my-client"_s);
    QCOMPARE(config.oauth2.authStyle, ProxyConfig::AuthStyle::Body);
    QCOMPARE(config.oauth2.callbackPort, 53682);
    QCOMPARE(config.logLevel, McpProxy::LogLevel::Info);
    QCOMPARE(config.maxLineBytes, qsizetype(64 * 1024 * 1024));
    QVERIFY(config.upstream.headers.isEmpty());
    QVERIFY(config.upstream.caBundle.isEmpty());
    QVERIFY(config.logFile.isEmpty());

    // Every known key appears in the example, as a value or as a "//key" comment.
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(file.readAll());
    for (const QString &key : {u"url"_s, u"timeoutMs"_s, u"openServerStream"_s,
                 u"protocolVersion"_s, u"headers"_s, u"caBundle"_s, u"transport"_s, u"grant"_s,
                 u"tokenUrl"_s, u"clientId"_s, u"clientSecret"_s, u"scope"_s, u"resource"_s,
                 u"audience"_s, u"authStyle"_s, u"refreshSkewSeconds"_s, u"extraParams"_s,
                 u"authorizationCode"_s, u"authorizationUrl"_s, u"redirectUri"_s, u"codeVerifier"_s,
                 u"refreshToken"_s, u"interactive"_s, u"callbackHost"_s, u"callbackPort"_s,
                 u"callbackTimeoutSeconds"_s, u"tokenCacheDir"_s, u"enabled"_s, u"level"_s,
                 u"file"_s, u"allowInsecureHttp"_s, u"maxLineBytes"_s}) {
        QVERIFY2(text.contains(u'"' + key + u"\":"_s) || text.contains(u"\"//"_s + key + u'"'),
                qPrintable(key));
    }
}

void tst_ConfigLoader::toolFilters_data()
{
    addCommonColumns();
    QTest::addColumn<QStringList>("allow");
    QTest::addColumn<QStringList>("deny");
    QTest::addColumn<QString>("error"); // empty: loads

    QTest::addRow("none") << QStringList{Url} << QString() << QStringList{} << QStringList()
                          << QStringList() << QString();
    QTest::addRow("file") << QStringList{Url}
                          << uR"({"tools":{"allow":["get_*","echo"],"deny":["*_admin"]}})"_s
                          << QStringList{} << QStringList{u"get_*"_s, u"echo"_s}
                          << QStringList{u"*_admin"_s} << QString();
    QTest::addRow("command line") << QStringList{Url} << QString()
                                  << QStringList{u"--allow-tool"_s, u"a*"_s, u"--ignore-tool"_s,
                                             u"b"_s, u"--ignore-tool"_s, u"c"_s}
                                  << QStringList{u"a*"_s} << QStringList{u"b"_s, u"c"_s}
                                  << QString();
    QTest::addRow("the command line's list replaces the file's, the other stays")
            << QStringList{Url} << uR"({"tools":{"allow":["x"],"deny":["y","z"]}})"_s
            << QStringList{u"--ignore-tool"_s, u"w"_s} << QStringList{u"x"_s} << QStringList{u"w"_s}
            << QString();
    QTest::addRow("not an array")
            << QStringList{Url} << uR"({"tools":{"deny":"x"}})"_s << QStringList{} << QStringList()
            << QStringList()
            << u"tools.deny must be an array of non-empty strings (tool name patterns), got string \"x\""_s;
    QTest::addRow("an element that is no string")
            << QStringList{Url} << uR"({"tools":{"allow":["x",3]}})"_s << QStringList{}
            << QStringList() << QStringList() << u"tools.allow must be an array"_s;
    QTest::addRow("an empty pattern from the file")
            << QStringList{Url} << uR"({"tools":{"allow":[""]}})"_s << QStringList{}
            << QStringList() << QStringList() << u"tools.allow must be an array"_s;
    QTest::addRow("an empty pattern on the command line")
            << QStringList{Url} << QString() << QStringList{u"--ignore-tool="_s} << QStringList()
            << QStringList() << u"--ignore-tool must be an array"_s;
    QTest::addRow("tools is no object")
            << QStringList{Url} << uR"({"tools":["x"]})"_s << QStringList{} << QStringList()
            << QStringList() << u"tools must be an object"_s;
}

void tst_ConfigLoader::toolFilters()
{
    QFETCH(QStringList, env);
    QFETCH(QString, file);
    QFETCH(QStringList, args);
    QFETCH(QString, error);
    const ConfigLoadResult result = load(env, file, args);
    if (!error.isEmpty()) {
        QVERIFY(!result.config);
        QVERIFY2(result.error.contains(error), qPrintable(result.error));
        return;
    }
    QVERIFY2(result.config, qPrintable(result.error));
    QVERIFY2(result.warnings.isEmpty(), qPrintable(result.warnings.join(u'\n')));
    QTEST(result.config->tools.allow, "allow");
    QTEST(result.config->tools.deny, "deny");
}

QTEST_APPLESS_MAIN(tst_ConfigLoader)

#include "tst_configloader.moc"
