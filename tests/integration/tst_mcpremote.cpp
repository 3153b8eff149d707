// Switching from mcp-remote (npm): its command line with our binary logs in with the redirect URI
// mcp-remote would use (a client pre-registered with only that URI works), and a user's login
// stored by mcp-remote (MCP_REMOTE_CONFIG_DIR/mcp-remote-v1/<hash>_client_info.json and
// <hash>_tokens.json) is used without a browser and then kept in our token store. Both
// configuration styles (initTestCase_data), as tst_proxyoauth.
#include "config/mcpremote.h"
#include "support/fakeauthserver.h"
#include "support/fakemcpserver.h"
#include "support/freeport.h"
#include "support/guardedserver.h"
#include "support/proxyprocess.h"
#include "support/testbrowser.h"

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QTemporaryDir>
#include <QtNetwork/QTcpServer>
#include <QtTest/QTest>

using namespace McpProxy::Test;
using namespace Qt::StringLiterals;
namespace McpRemote = McpProxy::McpRemote;

namespace {

QString resultText(const QJsonObject &response)
{
    return response.value(u"result")[u"content"][0][u"text"].toString();
}

QProcessEnvironment styled(QProcessEnvironment env)
{
    QFETCH_GLOBAL(QString, style);
    if (style == u"configured" && !env.contains(u"OAUTH2_GRANT"_s))
        env.insert(u"OAUTH2_GRANT"_s, u"authorization_code"_s);
    return env;
}

// The environment of a host that runs mcp-remote's command line with our binary: mcp-remote's
// config dir under `home`, the callback port from the command line (not OAUTH2_CALLBACK_PORT).
QProcessEnvironment mcpRemoteEnvironment(const TestBrowser &browser, const QString &home)
{
    QProcessEnvironment env = styled(browser.environment(home));
    env.remove(u"OAUTH2_CALLBACK_PORT"_s);
    env.insert(u"MCP_REMOTE_CONFIG_DIR"_s, QDir(home).filePath(u"mcp-auth"_s));
    return env;
}

// `mcp-remote <url> <port> --static-oauth-client-info {"client_id":"<clientId>"}`
QStringList staticClientArguments(const QString &url, int port, const QString &clientId)
{
    return {url, QString::number(port), u"--static-oauth-client-info"_s,
            u"{\"client_id\":\""_s + clientId + u"\"}"_s};
}

bool writeJson(const QString &path, const QJsonObject &object)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(QJsonDocument(object).toJson()) > 0;
}

} // namespace

class tst_McpRemote : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase_data();
    void preRegisteredClientWithMcpRemotesRedirectUri();
    void storedLoginIsImportedOnce();
    void derivedCallbackPortTakenMovesToTheNextFreeOne();
};

void tst_McpRemote::initTestCase_data()
{
    QTest::addColumn<QString>("style");
    QTest::newRow("configured") << u"configured"_s;
    QTest::newRow("on-demand") << u"on-demand"_s;
}

void tst_McpRemote::preRegisteredClientWithMcpRemotesRedirectUri()
{
    // `mcp-remote <url> <port> --static-oauth-client-info {...}`: the client lists only
    // http://localhost:<port>/oauth/callback.
    GuardedServer server;
    const quint16 port = freePort();
    const QString redirect = McpRemote::redirectUri(
            McpRemote::defaultCallbackHost(), port, McpRemote::DefaultCallbackPath);
    FakeOAuthClient client;
    client.clientId = u"pre-registered"_s;
    client.redirectUris = {redirect};
    server.auth.addClient(client);
    TestBrowser browser;
    QTemporaryDir home;
    ProxyProcess proxy;
    QVERIFY(proxy.start(staticClientArguments(server.mcp.url().toString(), port, client.clientId),
            mcpRemoteEnvironment(browser, home.path())));
    proxy.send(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}})");
    QCOMPARE(browser.completeLogin(server.auth), 200);
    QVERIFY2(proxy.takeResponse(1).contains(u"result"), proxy.stderrText().constData());
    QCOMPARE(server.auth.registerCount(), 0);
    QCOMPARE(server.auth.authorizeRequests().first().redirectUri, redirect);
    QCOMPARE(server.auth.tokenRequests().first().param(u"redirect_uri"_s), redirect);
}

void tst_McpRemote::storedLoginIsImportedOnce()
{
    // A user of `mcp-remote <url>` logged in with a dynamically registered client; mcp-remote
    // keeps it under ~/.mcp-auth. The same host configuration with our binary uses that login.
    GuardedServer server;
    const QString url = server.mcp.url().toString();
    const QString hash = McpRemote::serverUrlHash({url, {}, {}, {}, {}, {}});
    const int port = McpRemote::defaultCallbackPort(hash);
    const QString redirect = McpRemote::redirectUri(
            McpRemote::defaultCallbackHost(), port, McpRemote::DefaultCallbackPath);
    FakeOAuthClient client;
    client.clientId = u"mcp-remote-dcr"_s;
    client.redirectUris = {redirect};
    server.auth.addClient(client);

    // The login mcp-remote made (here: one browser login of this client by the proxy itself,
    // whose store is then thrown away), written as mcp-remote writes it.
    TestBrowser browser;
    {
        QTemporaryDir throwaway;
        ProxyProcess first;
        QVERIFY(first.start(staticClientArguments(url, port, client.clientId),
                mcpRemoteEnvironment(browser, throwaway.path())));
        first.send(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}})");
        QCOMPARE(browser.completeLogin(server.auth), 200);
        QVERIFY2(first.takeResponse(1).contains(u"result"), first.stderrText().constData());
        first.closeStdin();
        QVERIFY(first.waitForExit());
    }
    server.auth.expireAccessTokens();
    QTemporaryDir home;
    const QString remoteDir = home.filePath(u"mcp-auth/mcp-remote-v1"_s);
    QVERIFY(writeJson(remoteDir + u'/' + hash + u"_client_info.json"_s,
            {{u"client_id"_s, client.clientId}, {u"redirect_uris"_s, QJsonArray{redirect}},
                    {u"token_endpoint_auth_method"_s, u"none"_s}}));
    QVERIFY(writeJson(remoteDir + u'/' + hash + u"_tokens.json"_s,
            {{u"access_token"_s, server.auth.latestAccessToken()}, {u"token_type"_s, u"bearer"_s},
                    {u"refresh_token"_s, server.auth.latestRefreshToken()}, {u"expires_in"_s, 3600},
                    {u"expires_at"_s, 1000.0}}));

    const QProcessEnvironment env = mcpRemoteEnvironment(browser, home.path());
    const int tokenRequests = server.auth.tokenCount();
    for (int start = 0; start < 2; ++start) {
        ProxyProcess proxy;
        QVERIFY(proxy.start({url}, env));
        proxy.send(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}})");
        QVERIFY2(proxy.takeResponse(1).contains(u"result"), proxy.stderrText().constData());
        proxy.send(
                R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"kept"}}})");
        QCOMPARE(resultText(proxy.takeResponse(2)), u"kept"_s);
        proxy.closeStdin();
        QVERIFY(proxy.waitForExit());
        if (start == 0) {
            // mcp-remote's refresh token, with mcp-remote's client; no browser, no registration.
            QCOMPARE(server.auth.tokenCount(), tokenRequests + 1);
            QCOMPARE(server.auth.tokenRequests().last().grantType, u"refresh_token"_s);
            QCOMPARE(server.auth.tokenRequests().last().param(u"client_id"_s), client.clientId);
            // Ours from now on: mcp-remote's files may go.
            QVERIFY(QDir(remoteDir).removeRecursively());
        }
    }
    // The second start used our store alone: no further token request.
    QCOMPARE(server.auth.tokenCount(), tokenRequests + 1);
    QCOMPARE(browser.urls().size(), 1);
    QCOMPARE(server.auth.registerCount(), 0);
}

void tst_McpRemote::derivedCallbackPortTakenMovesToTheNextFreeOne()
{
    // `mcp-remote <url> --host 127.0.0.1`: the callback port is derived from the server URL and
    // only preferred (mcp-remote's strictPort is off). Another program holds it: like
    // mcp-remote, the proxy takes the next free port, registers (RFC 7591) with that redirect URI,
    // and says so on stderr, instead of failing the login.
    GuardedServer server;
    TestBrowser browser;
    QTemporaryDir home;
    QProcessEnvironment env = styled(browser.environment(home.path()));
    env.remove(u"OAUTH2_CALLBACK_PORT"_s);
    env.insert(u"MCP_REMOTE_CONFIG_DIR"_s, home.filePath(u"mcp-auth"_s)); // nothing stored
    const QString url = server.mcp.url().toString();
    const int derived =
            McpRemote::defaultCallbackPort(McpRemote::serverUrlHash({url, {}, {}, {}, {}, {}}));
    QTcpServer holder; // the other program
    if (!holder.listen(QHostAddress::LocalHost, quint16(derived)))
        QSKIP("the derived callback port is taken by something this test cannot control");
    ProxyProcess proxy;
    QVERIFY(proxy.start({url, u"--host"_s, u"127.0.0.1"_s}, env));
    proxy.send(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}})");
    QCOMPARE(browser.completeLogin(server.auth), 200);
    QVERIFY2(proxy.takeResponse(1).contains(u"result"), proxy.stderrText().constData());
    const QString moved = server.auth.authorizeRequests().first().redirectUri;
    const QUrl movedUrl(moved);
    QCOMPARE(movedUrl.host(), u"127.0.0.1"_s);
    QCOMPARE(movedUrl.path(), McpRemote::DefaultCallbackPath);
    QVERIFY2(movedUrl.port() > derived
                    && movedUrl.port() < derived + McpRemote::CallbackPortCandidates,
            qPrintable(moved));
    QCOMPARE(server.auth.registrations().first().value(u"redirect_uris").toArray(),
            QJsonArray{moved});
    QVERIFY2(proxy.stderrText().contains(
                     u"the callback port %1 (derived from the server URL, as mcp-remote does) is "
                     "in use: using %2"_s.arg(derived)
                             .arg(movedUrl.port())
                             .toUtf8()),
            proxy.stderrText().constData());
}

QTEST_MAIN(tst_McpRemote)

#include "tst_mcpremote.moc"
