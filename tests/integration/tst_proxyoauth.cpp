// The real binary against a fake MCP server guarded by a fake authorization server on the same
// origin: auth on demand (401 → discovery → DCR → PKCE login → token), client_credentials at
// start-up, refresh on expiry, actionable failures, the 30 s deadline, explicit configuration
// over failed discovery, `login` with a grant configured. The "browser" is this test: $BROWSER
// starts mcp-test-browser, which records the URL; the test approves it at the fake AS and follows
// the redirect into the proxy's loopback callback. Every test runs in both configuration styles
// (initTestCase_data): "configured" sets OAUTH2_GRANT as users of the npm reference do, "on-demand"
// configures nothing; tests that set their own grant keep it.
#include "support/fakeauthserver.h"
#include "support/fakemcpserver.h"
#include "support/guardedserver.h"
#include "support/proxyprocess.h"
#include "support/testbrowser.h"

#include <QtCore/QDir>
#include <QtCore/QElapsedTimer>
#include <QtCore/QFile>
#include <QtCore/QJsonArray>
#include <QtCore/QTemporaryDir>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>
#include <QtTest/QTest>

using namespace McpProxy::Test;
using namespace Qt::StringLiterals;

namespace {

QString resultText(const QJsonObject &response)
{
    return response.value(u"result")[u"content"][0][u"text"].toString();
}

// The environment of the current configuration style (see initTestCase_data()).
QProcessEnvironment styled(QProcessEnvironment env = {})
{
    QFETCH_GLOBAL(QString, style);
    if (style == u"configured" && !env.contains(u"OAUTH2_GRANT"_s))
        env.insert(u"OAUTH2_GRANT"_s, u"authorization_code"_s);
    return env;
}

// The test browser, in the current configuration style.
class Browser : public TestBrowser
{
public:
    QProcessEnvironment environment(const QString &configHome = {}) const
    {
        return styled(TestBrowser::environment(configHome));
    }
};

} // namespace

class tst_ProxyOAuth : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase_data();
    void authOnDemandWithRegistrationAndPkce();
    void clientCredentialsAtStartUp();
    void expiredTokenIsRefreshedWithoutLogin();
    void failuresTellTheUserWhatToDo();
    void secondStartUsesTheStoredTokens();
    void threeInstancesLogInOnce();
    void loginStatusLogout();
    void noBrowserPrintsInstructionsAndCompletes();
    void failureIsTranslatedButTheLogIsNot();
    void nearlyExpiredStoredTokenIsRefreshedFirst();
    void everyRequestIsAnsweredWithinTheDeadline();
    void configurationWinsOverMismatchedMetadata();
    void loginWithTheGrantConfiguredStoresTheTokens();
    void shortLivedTokenIsRenewedOnlyWhenUsed();
    void deniedLoginIsRememberedForLaterRequests();
    void issuerInTheCallbackIsCheckedBeforeTheCode_data();
    void issuerInTheCallbackIsCheckedBeforeTheCode();
    void authorizationServerMigration();
};

void tst_ProxyOAuth::initTestCase_data()
{
    QTest::addColumn<QString>("style");
    QTest::newRow("configured") << u"configured"_s;
    QTest::newRow("on-demand") << u"on-demand"_s;
}

void tst_ProxyOAuth::authOnDemandWithRegistrationAndPkce()
{
    GuardedServer server;
    Browser browser;
    ProxyProcess proxy;
    const QProcessEnvironment env = browser.environment();
    QVERIFY(proxy.start({server.mcp.url().toString()}, env));
    proxy.send(
            R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})");
    QCOMPARE(browser.completeLogin(server.auth), 200);
    QVERIFY2(proxy.takeResponse(1).contains(u"result"), proxy.stderrText().constData());
    proxy.send(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
    proxy.send(
            R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"authorized"}}})");
    QCOMPARE(resultText(proxy.takeResponse(2)), u"authorized"_s);

    QCOMPARE(server.auth.registerCount(), 1);
    QCOMPARE(server.auth.authorizeCount(), 1);
    QCOMPARE(server.auth.tokenCount(), 1);
    const FakeAuthorizeRequest &authorize = server.auth.authorizeRequests().first();
    QCOMPARE(authorize.codeChallengeMethod, u"S256"_s);
    QVERIFY(authorize.state.size() >= 43);
    QCOMPARE(authorize.resource, server.mcp.url().toString()); // RFC 8707, canonical URI
    const FakeTokenRequest &token = server.auth.tokenRequests().first();
    QCOMPARE(token.grantType, u"authorization_code"_s);
    QVERIFY(token.hasParam(u"code_verifier"_s));
    QCOMPARE(token.param(u"resource"_s), authorize.resource);
    QCOMPARE(
            server.auth.registrations().first().value(u"application_type").toString(), u"native"_s);
    // No secret in the log.
    QVERIFY(!proxy.stderrText().contains(server.auth.latestAccessToken().toUtf8()));
    QVERIFY(proxy.stdoutViolations().isEmpty());
}

void tst_ProxyOAuth::clientCredentialsAtStartUp()
{
    GuardedServer server;
    FakeOAuthClient client;
    client.clientId = u"svc"_s;
    client.clientSecret = u"s3cret+/="_s;
    client.tokenEndpointAuthMethod = u"client_secret_basic"_s;
    server.auth.addClient(client);
    ProxyProcess proxy;
    QProcessEnvironment env = styled();
    env.insert(u"OAUTH2_GRANT"_s, u"client_credentials"_s);
    env.insert(u"OAUTH2_CLIENT_ID"_s, u"svc"_s);
    env.insert(u"OAUTH2_CLIENT_SECRET"_s, u"s3cret+/="_s);
    env.insert(u"OAUTH2_AUTH_STYLE"_s, u"header"_s);
    QVERIFY(proxy.start({server.mcp.url().toString()}, env));
    // The token is obtained at start-up, before any message: the first POST already carries it.
    QTRY_COMPARE(server.auth.tokenCount(), 1);
    proxy.initialize();
    proxy.send(
            R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"svc"}}})");
    QCOMPARE(resultText(proxy.takeResponse(2)), u"svc"_s);
    QCOMPARE(server.auth.tokenCount(), 1);
    QCOMPARE(server.auth.tokenRequests().first().clientAuthMethod, u"client_secret_basic"_s);
    for (const FakeHttpRequest &request : server.mcp.http().requests()) {
        if (request.path() == "/mcp")
            QVERIFY(request.header("Authorization").startsWith("Bearer "));
    }
    QVERIFY(!proxy.stderrText().contains("s3cret"));
}

void tst_ProxyOAuth::expiredTokenIsRefreshedWithoutLogin()
{
    GuardedServer server;
    Browser browser;
    ProxyProcess proxy;
    const QProcessEnvironment env = browser.environment();
    QVERIFY(proxy.start({server.mcp.url().toString()}, env));
    proxy.send(
            R"({"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})");
    QCOMPARE(browser.completeLogin(server.auth), 200);
    QVERIFY(proxy.takeResponse(u"init"_s).contains(u"result"));
    server.auth.expireAccessTokens();
    proxy.send(R"({"jsonrpc":"2.0","id":3,"method":"ping"})");
    const QJsonObject pong = proxy.takeResponse(3);
    QVERIFY2(pong.contains(u"result"),
            QByteArray(QJsonDocument(pong).toJson() + proxy.stderrText().right(3000)).constData());
    QCOMPARE(server.auth.authorizeCount(), 1); // no second browser login
    QCOMPARE(server.auth.tokenRequests().last().grantType, u"refresh_token"_s);
    QCOMPARE(browser.urls().size(), 1);
}

void tst_ProxyOAuth::failuresTellTheUserWhatToDo()
{
    GuardedServer server;
    server.auth.setRegistrationEnabled(false);
    ProxyProcess proxy;
    QVERIFY(proxy.start({server.mcp.url().toString()}, styled()));
    proxy.send(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}})");
    const QJsonObject error = proxy.takeResponse(1).value(u"error").toObject();
    QCOMPARE(error.value(u"code").toInt(), -32001);
    const QString message = error.value(u"message").toString();
    QVERIFY2(message.contains(u"authorization failed"), qPrintable(message));
    QVERIFY2(message.contains(u"OAUTH2_CLIENT_ID"), qPrintable(message));
    QCOMPARE(error.value(u"data")[u"status"].toInt(), 401);
    // The proxy goes on: the next request gets its own answer.
    proxy.send(R"({"jsonrpc":"2.0","id":2,"method":"ping"})");
    QVERIFY(proxy.takeResponse(2).contains(u"error"));
}

void tst_ProxyOAuth::secondStartUsesTheStoredTokens()
{
    GuardedServer server;
    Browser browser;
    QTemporaryDir store;
    const QProcessEnvironment env = browser.environment(store.path());
    {
        ProxyProcess first;
        QVERIFY(first.start({server.mcp.url().toString()}, env));
        first.send(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}})");
        QCOMPARE(browser.completeLogin(server.auth), 200);
        QVERIFY(first.takeResponse(1).contains(u"result"));
        first.closeStdin();
        QVERIFY(first.waitForExit());
    }
    const int tokenRequests = server.auth.tokenCount();
    server.mcp.http().clearRequests();
    ProxyProcess second;
    QVERIFY(second.start({server.mcp.url().toString()}, env));
    second.send(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}})");
    QVERIFY2(second.takeResponse(1).contains(u"result"), second.stderrText().constData());
    // No browser, no token request, no 401: the very first request carried the stored token.
    QCOMPARE(browser.urls().size(), 1);
    QCOMPARE(server.auth.tokenCount(), tokenRequests);
    const FakeHttpRequest &firstRequest = server.mcp.http().requests().first();
    QCOMPARE(firstRequest.path(), "/mcp"_ba);
    QVERIFY(server.auth.acceptsAuthorization(firstRequest.header("Authorization")));
    // Files 0600, no token in clear.
    const QString entries = store.filePath(u"mcp-oauth2-proxy/tokens/v1"_s);
    const QStringList files = QDir(entries).entryList(QDir::Files);
    QVERIFY(!files.isEmpty());
    for (const QString &name : files) {
        QFile file(QDir(entries).filePath(name));
#ifndef Q_OS_WIN
        // On Windows the owner-only access list is the meaning of 0600 (tst_tokenstore checks
        // it); Qt's permission bits show only the read-only attribute there.
        QCOMPARE(file.permissions()
                        & (QFile::ReadGroup | QFile::ReadOther | QFile::WriteGroup
                                | QFile::WriteOther),
                QFile::Permissions());
#endif
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray bytes = file.readAll();
        QVERIFY(!bytes.contains(server.auth.latestAccessToken().toUtf8()));
        QVERIFY(!bytes.contains(server.auth.latestRefreshToken().toUtf8()));
    }
}

void tst_ProxyOAuth::threeInstancesLogInOnce()
{
    GuardedServer server;
    Browser browser;
    QTemporaryDir store;
    const QProcessEnvironment env = browser.environment(store.path());
    ProxyProcess a;
    ProxyProcess b;
    ProxyProcess c;
    for (ProxyProcess *proxy : {&a, &b, &c}) {
        QVERIFY(proxy->start({server.mcp.url().toString()}, env));
        proxy->send(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}})");
    }
    QCOMPARE(browser.completeLogin(server.auth), 200);
    for (ProxyProcess *proxy : {&a, &b, &c})
        QVERIFY2(
                proxy->takeResponse(1, 20000).contains(u"result"), proxy->stderrText().constData());
    QCOMPARE(browser.urls().size(), 1); // exactly one browser launch
    QCOMPARE(server.auth.authorizeCount(), 1);
    QCOMPARE(server.auth.registerCount(), 1);
    int codeExchanges = 0;
    for (const FakeTokenRequest &request : server.auth.tokenRequests())
        codeExchanges += request.grantType == u"authorization_code";
    QCOMPARE(codeExchanges, 1);
}

void tst_ProxyOAuth::loginStatusLogout()
{
    GuardedServer server;
    Browser browser;
    QTemporaryDir store;
    const QProcessEnvironment env = browser.environment(store.path());
    const QString url = server.mcp.url().toString();
    const auto run = [&](const QStringList &arguments, bool login = false) {
        ProxyProcess command;
        command.start(arguments, env);
        if (login)
            browser.completeLogin(server.auth);
        command.waitForExit(20000);
        return std::pair<int, QByteArray>(
                command.process().exitCode(), command.stdoutLines().join('\n'));
    };
    const auto [loginCode, loginOut] = run({u"login"_s, url}, true);
    QCOMPARE(loginCode, 0);
    QVERIFY2(loginOut.contains("Logged in"), loginOut.constData());
    const auto [statusCode, statusOut] = run({u"status"_s, url});
    QCOMPARE(statusCode, 0);
    QVERIFY2(statusOut.contains(server.auth.issuer().toUtf8()), statusOut.constData());
    QVERIFY(statusOut.contains("refresh token: yes"));
    QVERIFY(!statusOut.contains(server.auth.latestAccessToken().toUtf8()));
    QVERIFY(!statusOut.contains(server.auth.latestRefreshToken().toUtf8()));
    const auto [logoutCode, logoutOut] = run({u"logout"_s, url});
    QCOMPARE(logoutCode, 0);
    QVERIFY2(logoutOut.contains("Logged out"), logoutOut.constData());
    // RFC 7009: the refresh token was revoked at the authorization server.
    QVERIFY2(logoutOut.contains("revoked"), logoutOut.constData());
    QCOMPARE(server.auth.revokeCount(), 1);
    QVERIFY(!server.auth.isAccessTokenValid(server.auth.latestAccessToken()));
    const auto [afterCode, afterOut] = run({u"status"_s, url});
    QCOMPARE(afterCode, 0);
    QVERIFY2(afterOut.contains("Nothing is stored"), afterOut.constData());
}

void tst_ProxyOAuth::noBrowserPrintsInstructionsAndCompletes()
{
    GuardedServer server;
    Browser browser;
    ProxyProcess proxy;
    const QProcessEnvironment env = browser.environment(); // the browser must not be used
    QVERIFY(proxy.start({u"--no-browser"_s, server.mcp.url().toString()}, env));
    proxy.send(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}})");
    QTRY_VERIFY_WITH_TIMEOUT(proxy.stderrText().contains("ssh -L"), 10000);
    // The user copies the URL from the instructions into a browser elsewhere.
    QUrl authorizationUrl;
    for (const QByteArray &line : proxy.stderrText().split('\n')) {
        if (line.trimmed().startsWith("http") && line.contains("/authorize?"))
            authorizationUrl = QUrl(QString::fromUtf8(line.trimmed()));
    }
    QVERIFY(authorizationUrl.isValid());
    const QUrl redirect = server.auth.approve(authorizationUrl);
    QNetworkAccessManager nam;
    QNetworkReply *reply = nam.get(QNetworkRequest(redirect));
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    delete reply;
    QVERIFY(proxy.takeResponse(1).contains(u"result"));
    QVERIFY(browser.urls().isEmpty());
}

void tst_ProxyOAuth::failureIsTranslatedButTheLogIsNot()
{
    GuardedServer server;
    server.auth.setRegistrationEnabled(false);
    ProxyProcess proxy;
    QProcessEnvironment env = styled();
    env.insert(u"LANG"_s, u"ru_RU.UTF-8"_s);
    QVERIFY(proxy.start({server.mcp.url().toString()}, env));
    proxy.send(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}})");
    const QString message = proxy.takeResponse(1)[u"error"][u"message"].toString();
    QVERIFY2(message.contains(u"зарегистрируйте"), qPrintable(message));
    QVERIFY(message.contains(u"OAUTH2_CLIENT_ID"));
    proxy.closeStdin();
    QVERIFY(proxy.waitForExit());
    for (const QByteArray &line : proxy.stderrText().split('\n')) {
        if (line.startsWith("20")) // log lines (timestamped) stay English
            QVERIFY2(QString::fromUtf8(line).toLatin1() == line, line.constData());
    }
}

void tst_ProxyOAuth::nearlyExpiredStoredTokenIsRefreshedFirst()
{
    GuardedServer server;
    // Shorter than the 30 s refresh skew: renewed after half its life (2 s).
    server.auth.setAccessTokenLifetime(4);
    Browser browser;
    QTemporaryDir store;
    const QProcessEnvironment env = browser.environment(store.path());
    {
        ProxyProcess first;
        QVERIFY(first.start({server.mcp.url().toString()}, env));
        first.send(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}})");
        QCOMPARE(browser.completeLogin(server.auth), 200);
        QVERIFY(first.takeResponse(1).contains(u"result"));
        first.closeStdin();
        QVERIFY(first.waitForExit());
    }
    QTest::qWait(2500); // past the renewal point, before the expiry
    server.mcp.http().clearRequests();
    ProxyProcess second;
    QVERIFY(second.start({server.mcp.url().toString()}, env));
    second.send(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}})");
    QVERIFY2(second.takeResponse(1).contains(u"result"), second.stderrText().constData());
    // Renewed with the stored refresh token before the first request: no 401, no browser.
    QVERIFY2(server.auth.tokenRequests().last().grantType == u"refresh_token"_s,
            second.stderrText().constData());
    QCOMPARE(browser.urls().size(), 1);
    for (const FakeHttpRequest &request : server.mcp.http().requests()) {
        if (request.path() == "/mcp") { // the first MCP request already carries the new token
            QVERIFY(server.auth.acceptsAuthorization(request.header("Authorization")));
            break;
        }
    }
}

void tst_ProxyOAuth::everyRequestIsAnsweredWithinTheDeadline()
{
    // The token endpoint accepts the connection and never answers. Configured: the start-up
    // round hangs, then the first request's 401 would start a second one; on demand: the 401's
    // round refreshes a configured refresh token. Either way one deadline of 30 s per request.
    QFETCH_GLOBAL(QString, style);
    GuardedServer server;
    server.auth.failToken(FakeAuthServer::TokenFailure::Hang, 10);
    QProcessEnvironment env = styled();
    if (style == u"configured") {
        FakeOAuthClient client;
        client.clientId = u"svc"_s;
        client.clientSecret = u"secret"_s;
        client.tokenEndpointAuthMethod = QString();
        server.auth.addClient(client);
        env.insert(u"OAUTH2_GRANT"_s, u"client_credentials"_s);
        env.insert(u"OAUTH2_CLIENT_ID"_s, u"svc"_s);
        env.insert(u"OAUTH2_CLIENT_SECRET"_s, u"secret"_s);
    } else {
        // No browser login after the refresh: its interactive wait would extend the deadline.
        env.insert(u"OAUTH2_REFRESH_TOKEN"_s, u"configured-refresh-token"_s);
        env.insert(u"OAUTH2_INTERACTIVE"_s, u"false"_s);
    }
    ProxyProcess proxy;
    QVERIFY(proxy.start({server.mcp.url().toString()}, env));
    QElapsedTimer elapsed;
    elapsed.start();
    proxy.send(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}})");
    const QJsonObject error = proxy.takeResponse(1, 45000).value(u"error").toObject();
    QVERIFY2(elapsed.elapsed() < 33000, qPrintable(QString::number(elapsed.elapsed())));
    const QString message = error.value(u"message").toString();
    // On demand the refresh's own 30 s timeout ends the round at about the same time.
    QVERIFY2(message.contains(u"did not finish within 30 s")
                    || (style == u"on-demand" && message.contains(u"authorization failed")),
            qPrintable(message));
}

void tst_ProxyOAuth::configurationWinsOverMismatchedMetadata()
{
    // UPSTREAM_URL names localhost, the metadata names 127.0.0.1 (RFC 9728 section 3.3 fails): the
    // configured token URL and client are enough, so the mismatch is only a warning and the
    // metadata is not used.
    GuardedServer server;
    FakeOAuthClient client;
    client.clientId = u"svc"_s;
    client.clientSecret = u"secret"_s;
    client.tokenEndpointAuthMethod = QString();
    server.auth.addClient(client);
    QProcessEnvironment env = styled();
    env.insert(u"OAUTH2_GRANT"_s, u"client_credentials"_s);
    env.insert(u"OAUTH2_CLIENT_ID"_s, u"svc"_s);
    env.insert(u"OAUTH2_CLIENT_SECRET"_s, u"secret"_s);
    env.insert(u"OAUTH2_TOKEN_URL"_s, server.auth.tokenEndpoint().toString());
    env.insert(u"DISCOVERY_ENABLED"_s, u"true"_s);
    const QString url = server.mcp.url().toString().replace(u"127.0.0.1"_s, u"localhost"_s);
    ProxyProcess proxy;
    QVERIFY(proxy.start({url}, env));
    proxy.initialize();
    proxy.send(
            R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"configured"}}})");
    QCOMPARE(resultText(proxy.takeResponse(2)), u"configured"_s);
    QVERIFY(proxy.stderrText().contains("going on with the configured token endpoint"));
}

void tst_ProxyOAuth::loginWithTheGrantConfiguredStoresTheTokens()
{
    // `login` with OAUTH2_GRANT=client_credentials: the start-up round logs in; the tokens are
    // written before the exit, and the next start needs no token request.
    GuardedServer server;
    FakeOAuthClient client;
    client.clientId = u"svc"_s;
    client.clientSecret = u"secret"_s;
    client.tokenEndpointAuthMethod = QString();
    server.auth.addClient(client);
    QTemporaryDir store;
    QProcessEnvironment env = styled();
    env.insert(u"XDG_CONFIG_HOME"_s, store.path());
    env.insert(u"APPDATA"_s, store.path()); // the store's parent on Windows
    env.insert(u"OAUTH2_GRANT"_s, u"client_credentials"_s);
    env.insert(u"OAUTH2_CLIENT_ID"_s, u"svc"_s);
    env.insert(u"OAUTH2_CLIENT_SECRET"_s, u"secret"_s);
    const QString url = server.mcp.url().toString();
    {
        ProxyProcess login;
        QVERIFY(login.start({u"login"_s, url}, env));
        QVERIFY(login.waitForExit(20000));
        QCOMPARE(login.process().exitCode(), 0);
        const QByteArray out = login.stdoutLines().join('\n');
        QVERIFY2(out.contains("Logged in"), out.constData());
    }
    QCOMPARE(server.auth.tokenCount(), 1);
    {
        ProxyProcess status;
        QVERIFY(status.start({u"status"_s, url}, env));
        QVERIFY(status.waitForExit(20000));
        const QByteArray out = status.stdoutLines().join('\n');
        QVERIFY2(out.contains("client: svc"), out.constData());
    }
    ProxyProcess proxy;
    QVERIFY(proxy.start({url}, env));
    proxy.initialize();
    QCOMPARE(server.auth.tokenCount(), 1);
}

void tst_ProxyOAuth::shortLivedTokenIsRenewedOnlyWhenUsed()
{
    // expires_in 3: no renewal while idle (the old policy refreshed every 1.5 s), and a request
    // past the renewal point gets a fresh token first, without meeting a 401.
    GuardedServer server;
    server.auth.setAccessTokenLifetime(3);
    FakeOAuthClient client;
    client.clientId = u"svc"_s;
    client.clientSecret = u"secret"_s;
    client.tokenEndpointAuthMethod = QString();
    server.auth.addClient(client);
    QProcessEnvironment env = styled();
    env.insert(u"OAUTH2_GRANT"_s, u"client_credentials"_s);
    env.insert(u"OAUTH2_CLIENT_ID"_s, u"svc"_s);
    env.insert(u"OAUTH2_CLIENT_SECRET"_s, u"secret"_s);
    ProxyProcess proxy;
    QVERIFY(proxy.start({server.mcp.url().toString()}, env));
    proxy.initialize();
    QCOMPARE(server.auth.tokenCount(), 1);
    QTest::qWait(3500); // idle past the expiry
    QCOMPARE(server.auth.tokenCount(), 1);
    server.mcp.http().clearRequests();
    proxy.send(R"({"jsonrpc":"2.0","id":2,"method":"ping"})");
    QVERIFY2(proxy.takeResponse(2).contains(u"result"), proxy.stderrText().right(3000).constData());
    QCOMPARE(server.auth.tokenCount(), 2);
    for (const FakeHttpRequest &request : server.mcp.http().requests()) {
        if (request.path() == "/mcp") // the ping went out once, with the renewed token
            QVERIFY(server.auth.acceptsAuthorization(request.header("Authorization")));
    }
}

void tst_ProxyOAuth::deniedLoginIsRememberedForLaterRequests()
{
    // The user clicks Deny: the next requests get the same error at once, no new browser tab.
    GuardedServer server;
    server.auth.failAuthorization(u"access_denied"_s);
    Browser browser;
    ProxyProcess proxy;
    QVERIFY(proxy.start({server.mcp.url().toString()}, browser.environment()));
    proxy.send(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}})");
    QVERIFY(browser.completeLogin(server.auth) > 0);
    const QString first = proxy.takeResponse(1)[u"error"][u"message"].toString();
    QVERIFY2(first.contains(u"access_denied"), qPrintable(first));
    for (int id = 2; id <= 13; ++id)
        proxy.send(QByteArray(R"({"jsonrpc":"2.0","id":)") + QByteArray::number(id)
                + R"(,"method":"ping"})");
    for (int id = 2; id <= 13; ++id)
        QCOMPARE(proxy.takeResponse(id)[u"error"][u"message"].toString(), first);
    QCOMPARE(browser.urls().size(), 1);
}

// MCP 2026-07-28 "Authorization Response Validation" (RFC 9207 section 2.4) with the real binary:
// a present iss must be the recorded issuer, character for character; an absent one is refused
// only when the metadata announces it. A refused response never reaches the token endpoint, and
// the error it carried is neither acted on nor shown.
void tst_ProxyOAuth::issuerInTheCallbackIsCheckedBeforeTheCode_data()
{
    QTest::addColumn<QString>("iss"); // empty: none; %1: the issuer
    QTest::addColumn<bool>("advertised");
    QTest::addColumn<QString>("error"); // the authorization server's error response
    QTest::addColumn<bool>("accepted");
    QTest::newRow("matching") << u"%1"_s << true << QString() << true;
    QTest::newRow("matching, not advertised") << u"%1"_s << false << QString() << true;
    QTest::newRow("absent, not advertised") << QString() << false << QString() << true;
    QTest::newRow("absent, advertised") << QString() << true << QString() << false;
    QTest::newRow("another issuer") << u"https://evil.example"_s << true << QString() << false;
    QTest::newRow("another issuer, not advertised")
            << u"https://evil.example"_s << false << QString() << false;
    QTest::newRow("trailing slash") << u"%1/"_s << true << QString() << false;
    QTest::newRow("error with another issuer")
            << u"https://evil.example"_s << true << u"temporarily_unavailable"_s << false;
}

void tst_ProxyOAuth::issuerInTheCallbackIsCheckedBeforeTheCode()
{
    QFETCH(QString, iss);
    QFETCH(bool, advertised);
    QFETCH(QString, error);
    QFETCH(bool, accepted);
    GuardedServer server;
    if (!iss.isEmpty()) {
        server.auth.setIssParameter(true);
        server.auth.setIssParameterValue(iss.arg(server.auth.issuer()));
    }
    server.auth.setMetadataValue(u"authorization_response_iss_parameter_supported"_s, advertised);
    if (!error.isEmpty())
        server.auth.failAuthorization(error);
    Browser browser;
    ProxyProcess proxy;
    QVERIFY(proxy.start({server.mcp.url().toString()}, browser.environment()));
    proxy.send(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}})");
    QCOMPARE(browser.completeLogin(server.auth), accepted ? 200 : 400);
    const QJsonObject response = proxy.takeResponse(1);
    if (accepted) {
        QVERIFY2(response.contains(u"result"), proxy.stderrText().right(3000).constData());
        QCOMPARE(server.auth.tokenCount(), 1);
        return;
    }
    const QString message = response[u"error"][u"message"].toString();
    QVERIFY2(message.contains(u"invalid_issuer"_s), qPrintable(message));
    QCOMPARE(server.auth.tokenCount(), 0); // the code never reached the token endpoint
    if (!error.isEmpty()) {
        QVERIFY2(!message.contains(error), qPrintable(message));
        QVERIFY(!proxy.stderrText().contains(error.toUtf8()));
    }
}

// MCP 2026-07-28 client-registration "Authorization Server Binding" with the real binary
// (conformance auth/authorization-server-migration): the resource moves to another authorization
// server while the proxy runs; the next 401 leads to a registration and a login there, and the
// first server's client never shows up at the second.
void tst_ProxyOAuth::authorizationServerMigration()
{
    GuardedServer server;
    FakeAuthServer second;
    QVERIFY(second.listen());
    Browser browser;
    ProxyProcess proxy;
    QVERIFY(proxy.start({server.mcp.url().toString()}, browser.environment()));
    proxy.send(
            R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})");
    QCOMPARE(browser.completeLogin(server.auth), 200);
    QVERIFY2(proxy.takeResponse(1).contains(u"result"), proxy.stderrText().constData());
    proxy.send(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
    const QString firstClient = server.auth.tokenRequests().last().clientId;
    const int firstTokenRequests = server.auth.tokenCount();

    server.auth.setResourceMetadataValue(u"authorization_servers"_s, QJsonArray{second.issuer()});
    server.mcp.setRequestFilter(
            [&server, &second](const FakeHttpRequest &request, FakeHttpResponder *responder) {
                if (server.auth.handle(request, responder))
                    return true;
                if (request.path() != "/mcp")
                    return false;
                if (second.acceptsAuthorization(request.header("Authorization")))
                    return false;
                responder->reply(401,
                        {{"WWW-Authenticate", server.auth.bearerChallenge()},
                                {"Content-Type", "application/json"}},
                        R"({"error":"invalid_token"})");
                return true;
            });
    proxy.send(
            R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"moved"}}})");
    QCOMPARE(browser.completeLogin(second, 1), 200);
    const QJsonObject moved = proxy.takeResponse(2);
    QVERIFY2(resultText(moved) == u"moved"_s, proxy.stderrText().right(3000).constData());
    QCOMPARE(second.registerCount(), 1);
    QCOMPARE(second.authorizeRequests().size(), 1);
    QVERIFY(second.authorizeRequests().first().clientId != firstClient);
    for (const FakeTokenRequest &request : second.tokenRequests())
        QVERIFY(request.clientId != firstClient);
    QCOMPARE(server.auth.tokenCount(), firstTokenRequests); // no refresh at the first server
    QCOMPARE(browser.urls().size(), 2);
}

QTEST_GUILESS_MAIN(tst_ProxyOAuth)
#include "tst_proxyoauth.moc"
