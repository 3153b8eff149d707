// The real binary against a fake MCP server guarded by a fake authorization server on the same
// origin: auth on demand (401 → discovery → DCR → PKCE login → token), client_credentials at
// start-up, refresh on expiry, actionable failures. The "browser" is this test: $BROWSER starts
// mcp-test-browser, which records the URL; the test approves it at the fake AS and follows the
// redirect into the proxy's loopback callback.
#include "integration/proxyprocess.h"
#include "support/fakeauthserver.h"
#include "support/fakemcpserver.h"
#include "support/testbrowser.h"

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QTemporaryDir>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>
#include <QtNetwork/QTcpServer>
#include <QtTest/QTest>

using namespace McpProxy::Test;
using namespace Qt::StringLiterals;

namespace {

QString resultText(const QJsonObject &response)
{
    return response.value(u"result")[u"content"][0][u"text"].toString();
}

quint16 freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

// An MCP endpoint that only answers with a valid token from `auth` (RFC 6750), which serves its
// metadata and endpoints on the same origin.
struct GuardedServer
{
    GuardedServer()
    {
        QVERIFY(mcp.listen());
        const QUrl origin = mcp.url().adjusted(QUrl::RemovePath);
        auth.setPublicOrigin(origin);
        auth.setProtectedResource(mcp.url().toString());
        mcp.setRequestFilter([this](const FakeHttpRequest &request, FakeHttpResponder *responder) {
            if (auth.handle(request, responder))
                return true;
            if (request.path() != "/mcp")
                return false;
            if (auth.acceptsAuthorization(request.header("Authorization"), requiredScope))
                return false; // authorized: the MCP server answers
            responder->reply(401,
                    {{"WWW-Authenticate", auth.bearerChallenge()},
                            {"Content-Type", "application/json"}},
                    R"({"error":"invalid_token"})");
            return true;
        });
    }
    FakeMcpServer mcp;
    FakeAuthServer auth;
    QString requiredScope;
};

class Browser
{
public:
    Browser()
    {
        m_log = m_dir.filePath(u"urls.txt"_s);
        m_command = testBrowserCommand(m_log);
    }
    QString command() const { return m_command; }
    // $BROWSER = this browser, a free callback port, and the token store under `configHome`
    // when given (else each proxy gets its own empty one).
    QProcessEnvironment environment(const QString &configHome = {}) const
    {
        QProcessEnvironment env;
        env.insert(u"BROWSER"_s, m_command);
        env.insert(u"OAUTH2_CALLBACK_PORT"_s, QString::number(freePort()));
        if (!configHome.isEmpty()) {
            env.insert(u"XDG_CONFIG_HOME"_s, configHome);
            env.insert(u"APPDATA"_s, configHome); // Windows
        }
        return env;
    }
    QStringList urls() const
    {
        QFile file(m_log);
        if (!file.open(QIODevice::ReadOnly))
            return {};
        return QString::fromUtf8(file.readAll()).split(u'\n', Qt::SkipEmptyParts);
    }
    // Waits for the proxy to "open" a URL, approves it at the AS, and delivers the redirect to
    // the proxy's callback listener. Returns the callback's HTTP status.
    int completeLogin(FakeAuthServer &auth, int index = 0)
    {
        if (!QTest::qWaitFor([&] { return urls().size() > index; }, 10000))
            return -1;
        const QUrl redirect = auth.approve(QUrl(urls().at(index)));
        if (redirect.isEmpty())
            return -2;
        QNetworkReply *reply = m_nam.get(QNetworkRequest(redirect));
        if (!QTest::qWaitFor([reply] { return reply->isFinished(); }, 10000))
            return -3;
        reply->deleteLater();
        return reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    }

private:
    QTemporaryDir m_dir;
    QString m_command;
    QString m_log;
    QNetworkAccessManager m_nam;
};

} // namespace

class tst_ProxyOAuth : public QObject
{
    Q_OBJECT

private Q_SLOTS:
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
};

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
    QProcessEnvironment env;
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
    QVERIFY(proxy.start({server.mcp.url().toString()}));
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
        QCOMPARE(file.permissions()
                        & (QFile::ReadGroup | QFile::ReadOther | QFile::WriteGroup
                                | QFile::WriteOther),
                QFile::Permissions());
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
    QProcessEnvironment env;
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

QTEST_GUILESS_MAIN(tst_ProxyOAuth)
#include "tst_proxyoauth.moc"
