// The real binary, in both configuration styles (grant configured at start-up; nothing
// configured, authorization on the first 401), against fakes that behave like a private-CA
// deployment or a hostile authorization server: --ca-bundle / MCP_PROXY_CA_BUNDLE covers the MCP
// requests and every authorization request, and a server whose CA neither the system store nor
// the bundle trusts is refused (the bundle vouches by its own verification, so this holds with
// every TLS backend, Wine's Schannel included); the token request authenticates like the npm
// mcp-oauth2-proxy by default (authStyle body); a token that cannot be an Authorization
// header value (RFC 6750 section 2.1, RFC 9110 section 5.5) never reaches the server and fails
// clearly.
#include "support/fakeauthserver.h"
#include "support/fakemcpserver.h"
#include "support/guardedserver.h"
#include "support/proxyprocess.h"
#include "support/testbrowser.h"

#include <QtCore/QFile>
#include <QtCore/QTemporaryDir>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>
#include <QtTest/QTest>

using namespace McpProxy::Test;
using namespace Qt::StringLiterals;

namespace {

// The guarded server with a confidential client "svc" (secret "s3cret", any authentication
// method) for the client_credentials grant.
struct ServiceServer : GuardedServer
{
    explicit ServiceServer(Scheme scheme = Scheme::Http)
        : GuardedServer(scheme)
    {
        FakeOAuthClient svc;
        svc.clientId = u"svc"_s;
        svc.clientSecret = u"s3cret"_s;
        svc.tokenEndpointAuthMethod = QString(); // any
        auth.addClient(svc);
    }
};

// Requests that reached the token endpoint (canned answers included).
int tokenEndpointHits(FakeMcpServer &mcp)
{
    int hits = 0;
    for (const FakeHttpRequest &request : mcp.http().requests())
        hits += request.path() == "/token" ? 1 : 0;
    return hits;
}

QByteArray initializeLine(const QByteArray &id)
{
    return R"({"jsonrpc":"2.0","id":")" + id
            + R"(","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})";
}

// What is wrong with the refusal of a server whose CA is not trusted (empty: nothing): the host's
// request fails with an error that names the TLS handshake and the missing issuer (OpenSSL and
// Schannel word it differently around "issuer certificate"), and no HTTP request reached the
// server.
QByteArray untrustedServerRefusalProblem(const QJsonObject &response, FakeMcpServer &mcp)
{
    const QJsonObject data = response.value(u"error").toObject().value(u"data").toObject();
    if (data.value(u"code").toString() != u"SslHandshakeFailedError")
        return "no TLS handshake error: " + QJsonDocument(response).toJson(QJsonDocument::Compact);
    if (!data.value(u"reason").toString().contains(u"issuer certificate"))
        return "the error does not name the issuer: " + data.value(u"reason").toString().toUtf8();
    if (!mcp.http().requests().isEmpty())
        return "a request reached the server over an untrusted connection";
    return {};
}

} // namespace

class tst_ProxyAuthHardening : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void caBundleCoversEveryConnection_data();
    void caBundleCoversEveryConnection();
    void caBundleCoversLoginAndLogout();
    void serverOfAnUntrustedCaIsRefused_data();
    void serverOfAnUntrustedCaIsRefused();
    void tokenRequestAuthenticatesLikeTheReference();
    void revocationAuthenticatesLikeTheTokenRequest();
    void tokenThatCannotBeAHeaderNeverReachesTheServer_data();
    void tokenThatCannotBeAHeaderNeverReachesTheServer();
};

void tst_ProxyAuthHardening::caBundleCoversEveryConnection_data()
{
    QTest::addColumn<bool>("atStartUp"); // OAUTH2_GRANT set; else on demand (browser login)
    QTest::addColumn<bool>("viaEnvironment"); // MCP_PROXY_CA_BUNDLE; else --ca-bundle
    QTest::newRow("grant at start-up, --ca-bundle") << true << false;
    QTest::newRow("grant at start-up, MCP_PROXY_CA_BUNDLE") << true << true;
    QTest::newRow("on demand, --ca-bundle") << false << false;
    QTest::newRow("on demand, MCP_PROXY_CA_BUNDLE") << false << true;
}

void tst_ProxyAuthHardening::caBundleCoversEveryConnection()
{
    QFETCH(bool, atStartUp);
    QFETCH(bool, viaEnvironment);

    ServiceServer server(ServiceServer::Scheme::Https);
    QCOMPARE(server.mcp.url().scheme(), u"https"_s);
    TestBrowser browser;
    QProcessEnvironment env = browser.environment();
    QStringList arguments{server.mcp.url().toString()};
    if (viaEnvironment)
        env.insert(u"MCP_PROXY_CA_BUNDLE"_s, FakeHttpServer::testCaPath());
    else
        arguments << u"--ca-bundle"_s << FakeHttpServer::testCaPath();
    if (atStartUp) {
        // Discovery (protected resource and AS metadata) and the token endpoint over TLS.
        env.insert(u"OAUTH2_GRANT"_s, u"client_credentials"_s);
        env.insert(u"OAUTH2_CLIENT_ID"_s, u"svc"_s);
        env.insert(u"OAUTH2_CLIENT_SECRET"_s, u"s3cret"_s);
    }
    ProxyProcess proxy;
    QVERIFY(proxy.start(arguments, env));
    proxy.send(initializeLine("init"));
    if (!atStartUp) // discovery, registration, then the code exchange over TLS
        QCOMPARE(browser.completeLogin(server.auth), 200);
    const QJsonObject response = proxy.takeResponse(u"init"_s, 20000);
    QVERIFY2(response.contains(u"result"),
            QByteArray(QJsonDocument(response).toJson() + proxy.stderrText().right(3000))
                    .constData());
    QVERIFY(server.auth.metadataCount() >= 1);
    QCOMPARE(server.auth.tokenCount(), 1);
    QCOMPARE(server.auth.registerCount(), atStartUp ? 0 : 1);
    QVERIFY(!proxy.stderrText().contains("SSL handshake failed"));
}

void tst_ProxyAuthHardening::caBundleCoversLoginAndLogout()
{
    // The subcommands open their own connections: the login's discovery, registration and code
    // exchange, and logout's discovery and RFC 7009 revocation.
    ServiceServer server(ServiceServer::Scheme::Https);
    TestBrowser browser;
    QTemporaryDir store;
    QProcessEnvironment env = browser.environment();
    env.insert(u"XDG_CONFIG_HOME"_s, store.path());
    env.insert(u"APPDATA"_s, store.path()); // the store's parent on Windows
    const QStringList common{
            u"--ca-bundle"_s, FakeHttpServer::testCaPath(), server.mcp.url().toString()};
    const auto run = [&](const QString &command, bool login) {
        ProxyProcess process;
        process.start(QStringList{command} + common, env);
        if (login)
            browser.completeLogin(server.auth);
        const bool exited = process.waitForExit(20000);
        // A crash or a hang is reported with what the process wrote, never as a bare exit code.
        const bool clean = exited && process.process().exitStatus() == QProcess::NormalExit;
        return std::pair<int, QByteArray>(clean ? process.process().exitCode() : -1,
                (clean ? QByteArray() : QByteArray(exited ? "crashed\n" : "still running\n"))
                        + process.stdoutLines().join('\n') + '\n'
                        + process.stderrText().right(4000));
    };
    const auto [loginCode, loginOut] = run(u"login"_s, true);
    QVERIFY2(loginCode == 0 && loginOut.contains("Logged in"), loginOut.constData());
    const auto [logoutCode, logoutOut] = run(u"logout"_s, false);
    QVERIFY2(logoutCode == 0, logoutOut.constData());
    QVERIFY2(logoutOut.contains("revoked"), logoutOut.constData());
    QCOMPARE(server.auth.revokeCount(), 1);
}

void tst_ProxyAuthHardening::serverOfAnUntrustedCaIsRefused_data()
{
    QTest::addColumn<bool>("atStartUp"); // OAUTH2_GRANT set; else on demand (browser login)
    QTest::addColumn<QString>("bundle"); // --ca-bundle; empty: the system CA store only
    QTest::newRow("grant at start-up, no bundle") << true << QString();
    QTest::newRow("grant at start-up, an impostor CA's bundle")
            << true << FakeHttpServer::impostorCaPath();
    QTest::newRow("on demand, no bundle") << false << QString();
    QTest::newRow("on demand, an impostor CA's bundle")
            << false << FakeHttpServer::impostorCaPath();
}

void tst_ProxyAuthHardening::serverOfAnUntrustedCaIsRefused()
{
    // The server's certificate chains to a CA that neither the system store nor the bundle
    // trusts (the impostor has the right name but another key): no request goes out over that
    // connection, the host gets an error, and stderr says why.
    QFETCH(bool, atStartUp);
    QFETCH(QString, bundle);

    ServiceServer server(ServiceServer::Scheme::Https);
    TestBrowser browser;
    QProcessEnvironment env = browser.environment();
    QStringList arguments{server.mcp.url().toString()};
    if (!bundle.isEmpty())
        arguments << u"--ca-bundle"_s << bundle;
    if (atStartUp) {
        env.insert(u"OAUTH2_GRANT"_s, u"client_credentials"_s);
        env.insert(u"OAUTH2_CLIENT_ID"_s, u"svc"_s);
        env.insert(u"OAUTH2_CLIENT_SECRET"_s, u"s3cret"_s);
    }
    ProxyProcess proxy;
    QVERIFY(proxy.start(arguments, env));
    proxy.send(initializeLine("init"));
    const QByteArray problem =
            untrustedServerRefusalProblem(proxy.takeResponse(u"init"_s, 20000), server.mcp);
    QVERIFY2(problem.isEmpty(),
            QByteArray(problem + '\n' + proxy.stderrText().right(3000)).constData());
    QVERIFY(proxy.stderrText().contains("SSL handshake failed"));
    // With a bundle, stderr also says why the bundle did not vouch for the server.
    QCOMPARE(proxy.stderrText().contains("the CA bundle does not vouch for 127.0.0.1: "),
            !bundle.isEmpty());
}

void tst_ProxyAuthHardening::tokenRequestAuthenticatesLikeTheReference()
{
    // The npm mcp-oauth2-proxy's configuration: grant, token URL, client id and secret, discovery
    // off, OAUTH2_AUTH_STYLE unset. Its default is "body": client_id and client_secret in the form.
    ServiceServer server;
    ProxyProcess proxy;
    QProcessEnvironment env;
    env.insert(u"OAUTH2_GRANT"_s, u"client_credentials"_s);
    env.insert(u"OAUTH2_TOKEN_URL"_s, server.auth.tokenEndpoint().toString());
    env.insert(u"OAUTH2_CLIENT_ID"_s, u"svc"_s);
    env.insert(u"OAUTH2_CLIENT_SECRET"_s, u"s3cret"_s);
    env.insert(u"DISCOVERY_ENABLED"_s, u"false"_s);
    QVERIFY(proxy.start({server.mcp.url().toString()}, env));
    proxy.send(initializeLine("init"));
    QVERIFY2(proxy.takeResponse(u"init"_s).contains(u"result"), proxy.stderrText().constData());
    QCOMPARE(server.auth.tokenRequests().size(), 1);
    const FakeTokenRequest &request = server.auth.tokenRequests().first();
    QCOMPARE(request.clientAuthMethod, u"client_secret_post"_s);
    QCOMPARE(request.param(u"client_id"_s), u"svc"_s);
    QVERIFY(request.hasParam(u"client_secret"_s));
    QVERIFY(!proxy.stderrText().contains("s3cret"));
}

void tst_ProxyAuthHardening::revocationAuthenticatesLikeTheTokenRequest()
{
    // A client registered for client_secret_post only: the token request and logout's RFC 7009
    // revocation (section 2.1: the same client authentication) both send the secret in the body.
    ServiceServer server;
    FakeOAuthClient client;
    client.clientId = u"postonly"_s;
    client.clientSecret = u"p0st"_s;
    client.tokenEndpointAuthMethod = u"client_secret_post"_s;
    server.auth.addClient(client);
    QTemporaryDir store;
    QProcessEnvironment env;
    env.insert(u"XDG_CONFIG_HOME"_s, store.path());
    env.insert(u"APPDATA"_s, store.path()); // the store's parent on Windows
    env.insert(u"OAUTH2_GRANT"_s, u"client_credentials"_s);
    env.insert(u"OAUTH2_CLIENT_ID"_s, u"postonly"_s);
    env.insert(u"OAUTH2_CLIENT_SECRET"_s, u"p0st"_s);
    {
        ProxyProcess proxy;
        QVERIFY(proxy.start({server.mcp.url().toString()}, env));
        proxy.send(initializeLine("init"));
        QVERIFY2(proxy.takeResponse(u"init"_s).contains(u"result"), proxy.stderrText().constData());
        proxy.closeStdin();
        QVERIFY(proxy.waitForExit());
    }
    QCOMPARE(server.auth.tokenRequests().first().clientAuthMethod, u"client_secret_post"_s);
    ProxyProcess logout;
    QVERIFY(logout.start({u"logout"_s, server.mcp.url().toString()}, env));
    QVERIFY(logout.waitForExit(20000));
    const QByteArray output = logout.stdoutLines().join('\n');
    QVERIFY2(output.contains("revoked"),
            QByteArray(output + logout.stderrText().right(2000)).constData());
    QCOMPARE(server.auth.revocations().size(), 1);
    QCOMPARE(server.auth.revocations().first().clientId, u"postonly"_s);
    QVERIFY(server.auth.revocations().first().known);
}

void tst_ProxyAuthHardening::tokenThatCannotBeAHeaderNeverReachesTheServer_data()
{
    QTest::addColumn<bool>("atStartUp");
    QTest::addColumn<QByteArray>("tokenResponse");

    const QByteArray crlf =
            R"({"access_token":"abc\r\nX-Injected: 1","token_type":"Bearer","expires_in":3600})"_ba;
    const QByteArray mac = R"({"access_token":"abc","token_type":"mac","expires_in":1})"_ba;
    QTest::newRow("CR LF, grant at start-up") << true << crlf;
    QTest::newRow("CR LF, on demand") << false << crlf;
    QTest::newRow("token_type mac, grant at start-up") << true << mac;
    QTest::newRow("token_type mac, on demand") << false << mac;
}

void tst_ProxyAuthHardening::tokenThatCannotBeAHeaderNeverReachesTheServer()
{
    QFETCH(bool, atStartUp);
    QFETCH(QByteArray, tokenResponse);

    ServiceServer server;
    server.auth.setResponse(u"/token"_s, 200, tokenResponse);
    TestBrowser browser;
    QProcessEnvironment env = browser.environment();
    if (atStartUp) {
        env.insert(u"OAUTH2_GRANT"_s, u"client_credentials"_s);
        env.insert(u"OAUTH2_CLIENT_ID"_s, u"svc"_s);
        env.insert(u"OAUTH2_CLIENT_SECRET"_s, u"s3cret"_s);
    }
    ProxyProcess proxy;
    QVERIFY(proxy.start({server.mcp.url().toString()}, env));
    proxy.send(initializeLine("init"));
    if (!atStartUp)
        QCOMPARE(browser.completeLogin(server.auth), 200);
    const QJsonObject error = proxy.takeResponse(u"init"_s, 20000).value(u"error").toObject();
    const QString message = error.value(u"message").toString();
    QVERIFY2(message.contains(u"RFC 6750"_s) || message.contains(u"only Bearer"_s),
            qPrintable(message + u'\n' + QString::fromUtf8(proxy.stderrText().right(3000))));
    const int tokenRequests = tokenEndpointHits(server.mcp);
    QVERIFY2(tokenRequests >= 1 && tokenRequests <= 2, qPrintable(QString::number(tokenRequests)));
    // Idle: no refresh of a token that was never accepted.
    QTest::qWait(2500);
    QCOMPARE(tokenEndpointHits(server.mcp), tokenRequests);
    for (const FakeHttpRequest &request : server.mcp.http().requests()) {
        QVERIFY(!request.hasHeader("X-Injected"));
        const QByteArray authorization = request.header("Authorization");
        QVERIFY2(authorization.isEmpty() || authorization.startsWith("Bearer "),
                authorization.constData());
    }
    QVERIFY(proxy.stdoutViolations().isEmpty());
}

QTEST_MAIN(tst_ProxyAuthHardening)
#include "tst_proxyauthhardening.moc"
