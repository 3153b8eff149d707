// AuthorizationManager, the token lifecycle state machine, against the in-process fake
// authorization server: rounds, sharing, refresh-before-login, step-up scope union, renewal
// timing, actionable failures.
#include "auth/authorizationmanager.h"
#include "referenceseal.h"
#include "support/fakeauthserver.h"
#include "support/testbrowser.h"

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QTemporaryDir>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>
#include <QtNetwork/QTcpServer>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

using namespace McpProxy;
using namespace McpProxy::Test;
using namespace Qt::StringLiterals;

namespace {

ProxyConfig configFor(const FakeAuthServer &auth)
{
    ProxyConfig config;
    config.upstream.url = auth.url(u"/mcp"_s);
    return config;
}

ProxyConfig clientCredentials(const FakeAuthServer &auth)
{
    ProxyConfig config = configFor(auth);
    config.oauth2.grant = ProxyConfig::Grant::ClientCredentials;
    config.oauth2.clientId = u"svc"_s;
    config.oauth2.clientSecret = u"secret"_s;
    return config;
}

} // namespace

class tst_AuthorizationManager : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void renewalDelay_data();
    void renewalDelay();
    void clientCredentialsRoundAndSilentRenewal();
    void concurrentRequestsShareOneRound();
    void unauthorizedRefreshesBeforeLoggingIn();
    void stepUpRequestsTheUnionOfScopes();
    void failureMessageNamesTheSetting();
    void referenceCacheRefreshTokenIsMigrated();

private:
    void setUpAuth(FakeAuthServer &auth);
    QString approveNextLogin(FakeAuthServer &auth, int index);

    QTemporaryDir m_dir;
    QString m_urls;
    QNetworkAccessManager m_nam;
};

void tst_AuthorizationManager::initTestCase()
{
    // The "browser": records the URL; approveNextLogin() plays the user.
    m_urls = m_dir.filePath(u"urls.txt"_s);
    qputenv("BROWSER", McpProxy::Test::testBrowserCommand(m_urls).toUtf8());
}

void tst_AuthorizationManager::setUpAuth(FakeAuthServer &auth)
{
    QVERIFY(auth.listen());
    auth.setProtectedResource(auth.url(u"/mcp"_s).toString());
    FakeOAuthClient svc;
    svc.clientId = u"svc"_s;
    svc.clientSecret = u"secret"_s;
    svc.tokenEndpointAuthMethod = QString(); // any
    auth.addClient(svc);
}

QString tst_AuthorizationManager::approveNextLogin(FakeAuthServer &auth, int index)
{
    const auto urls = [this] {
        QFile file(m_urls);
        return file.open(QIODevice::ReadOnly)
                ? QString::fromUtf8(file.readAll()).split(u'\n', Qt::SkipEmptyParts)
                : QStringList();
    };
    if (!QTest::qWaitFor([&] { return urls().size() > index; }, 10000))
        return u"no browser launch"_s;
    const QUrl redirect = auth.approve(QUrl(urls().at(index)));
    QNetworkReply *reply = m_nam.get(QNetworkRequest(redirect));
    if (!QTest::qWaitFor([reply] { return reply->isFinished(); }, 10000))
        return u"callback did not answer"_s;
    reply->deleteLater();
    return QString();
}

void tst_AuthorizationManager::renewalDelay_data()
{
    QTest::addColumn<qint64>("lifetimeMs");
    QTest::addColumn<int>("skew");
    QTest::addColumn<qint64>("delayMs");
    QTest::newRow("hour, 30 s skew") << qint64(3600000) << 30 << qint64(3570000);
    QTest::newRow("exactly twice the skew") << qint64(60000) << 30 << qint64(30000);
    QTest::newRow("shorter than the skew: half") << qint64(10000) << 30 << qint64(5000);
    QTest::newRow("zero skew: at expiry") << qint64(10000) << 0 << qint64(10000);
    QTest::newRow("very short: 1 s floor") << qint64(1500) << 30 << qint64(1000);
    QTest::newRow("already expired: 1 s floor") << qint64(-5000) << 30 << qint64(1000);
}

void tst_AuthorizationManager::renewalDelay()
{
    QFETCH(qint64, lifetimeMs);
    QFETCH(int, skew);
    QFETCH(qint64, delayMs);
    QCOMPARE(AuthorizationManager::renewalDelayMs(lifetimeMs, skew), delayMs);
}

void tst_AuthorizationManager::clientCredentialsRoundAndSilentRenewal()
{
    FakeAuthServer auth;
    setUpAuth(auth);
    auth.setAccessTokenLifetime(2); // renewed after half its life: skew 30 s > lifetime
    AuthorizationManager manager(clientCredentials(auth));
    QSignalSpy finished(&manager, &AuthorizationManager::authorizationFinished);
    QSignalSpy header(&manager, &AuthorizationManager::authorizationHeaderChanged);
    QVERIFY(manager.prefetches());
    manager.start();
    QVERIFY(finished.wait(5000));
    QCOMPARE(finished.first().at(0).toBool(), true);
    QVERIFY(header.last().first().toByteArray().startsWith("Bearer "));
    QVERIFY(auth.acceptsAuthorization(header.last().first().toByteArray()));
    QCOMPARE(auth.tokenCount(), 1);
    // The renewal runs by itself and nobody waits for it: no second authorizationFinished.
    QTRY_COMPARE_WITH_TIMEOUT(auth.tokenCount(), 2, 4000);
    QTRY_COMPARE(header.size(), 2);
    QCOMPARE(finished.size(), 1);
    QCOMPARE(auth.tokenRequests().last().grantType, u"client_credentials"_s);
    QVERIFY(auth.acceptsAuthorization(header.last().first().toByteArray()));
}

void tst_AuthorizationManager::concurrentRequestsShareOneRound()
{
    FakeAuthServer auth;
    setUpAuth(auth);
    auth.setTokenDelayMs(200);
    AuthorizationManager manager(clientCredentials(auth));
    QSignalSpy finished(&manager, &AuthorizationManager::authorizationFinished);
    manager.authorize(auth.bearerChallenge(), 401);
    manager.authorize(auth.bearerChallenge(), 401);
    manager.authorize(auth.bearerChallenge(), 401);
    QVERIFY(finished.wait(5000));
    QTest::qWait(300);
    QCOMPARE(finished.size(), 1);
    QCOMPARE(auth.tokenCount(), 1);
}

void tst_AuthorizationManager::unauthorizedRefreshesBeforeLoggingIn()
{
    QFile::remove(m_urls);
    FakeAuthServer auth;
    setUpAuth(auth);
    ProxyConfig config = configFor(auth);
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost));
    config.oauth2.callbackPort = probe.serverPort();
    probe.close();
    AuthorizationManager manager(config);
    QSignalSpy finished(&manager, &AuthorizationManager::authorizationFinished);
    QSignalSpy header(&manager, &AuthorizationManager::authorizationHeaderChanged);

    // 1. First 401: discovery, registration, browser login, code exchange.
    manager.authorize(auth.bearerChallenge(), 401);
    QCOMPARE(approveNextLogin(auth, 0), QString());
    QVERIFY(finished.wait(5000));
    QVERIFY(finished.last().at(0).toBool());
    QCOMPARE(auth.registerCount(), 1);
    QCOMPARE(auth.authorizeCount(), 1);

    // 2. The token expires: a 401 is answered by the refresh token, no browser.
    auth.expireAccessTokens();
    manager.authorize(auth.bearerChallenge(u""_s, u"invalid_token"_s), 401);
    QVERIFY(finished.wait(5000));
    QVERIFY(finished.last().at(0).toBool());
    QCOMPARE(auth.tokenRequests().last().grantType, u"refresh_token"_s);
    QCOMPARE(auth.authorizeCount(), 1);
    QVERIFY(auth.acceptsAuthorization(header.last().first().toByteArray()));

    // 3. The refresh token is refused (invalid_grant): never a dead end, a new login follows.
    auth.expireAccessTokens();
    auth.failToken(FakeAuthServer::TokenFailure::InvalidGrant, 1);
    manager.authorize(auth.bearerChallenge(), 401);
    QCOMPARE(approveNextLogin(auth, 1), QString());
    QVERIFY(finished.wait(5000));
    QVERIFY(finished.last().at(0).toBool());
    QCOMPARE(auth.authorizeCount(), 2);
    QCOMPARE(auth.registerCount(), 1); // the registration is reused
    QVERIFY(auth.acceptsAuthorization(header.last().first().toByteArray()));
}

void tst_AuthorizationManager::stepUpRequestsTheUnionOfScopes()
{
    FakeAuthServer auth;
    setUpAuth(auth);
    ProxyConfig config = clientCredentials(auth);
    AuthorizationManager manager(config);
    QSignalSpy finished(&manager, &AuthorizationManager::authorizationFinished);
    manager.authorize(auth.bearerChallenge(u"mcp:read"_s), 401);
    QVERIFY(finished.wait(5000));
    QCOMPARE(auth.tokenRequests().last().param(u"scope"_s), u"mcp:read"_s);
    manager.authorize(auth.bearerChallenge(u"mcp:write"_s, u"insufficient_scope"_s), 403);
    QVERIFY(finished.wait(5000));
    QVERIFY(finished.last().at(0).toBool());
    QCOMPARE(auth.tokenRequests().last().param(u"scope"_s), u"mcp:read mcp:write"_s);
}

void tst_AuthorizationManager::failureMessageNamesTheSetting()
{
    FakeAuthServer auth;
    setUpAuth(auth);
    auth.setRegistrationEnabled(false);
    AuthorizationManager manager(configFor(auth));
    QSignalSpy finished(&manager, &AuthorizationManager::authorizationFinished);
    manager.authorize(auth.bearerChallenge(), 401);
    QVERIFY(finished.wait(5000));
    QCOMPARE(finished.first().at(0).toBool(), false);
    QVERIFY2(finished.first().at(1).toString().contains(u"OAUTH2_CLIENT_ID"),
            qPrintable(finished.first().at(1).toString()));
}

void tst_AuthorizationManager::referenceCacheRefreshTokenIsMigrated()
{
    QFile::remove(m_urls);
    FakeAuthServer auth;
    setUpAuth(auth);
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost));
    ProxyConfig config = configFor(auth);
    config.oauth2.callbackPort = probe.serverPort();
    probe.close();
    // A login with the npm reference left a refresh token in its cache (reference §4).
    QString clientId;
    {
        AuthorizationManager first(config);
        QSignalSpy finished(&first, &AuthorizationManager::authorizationFinished);
        first.authorize(auth.bearerChallenge(), 401);
        QCOMPARE(approveNextLogin(auth, 0), QString());
        QVERIFY(finished.wait(5000));
        clientId =
                auth.registrations().isEmpty() ? QString() : auth.tokenRequests().last().clientId;
    }
    QVERIFY(!clientId.isEmpty());
    QTemporaryDir cache;
    const QByteArray key(32, 'k');
    QFile keyFile(cache.filePath(u"key.bin"_s));
    QVERIFY(keyFile.open(QIODevice::WriteOnly));
    keyFile.write(key);
    keyFile.close();
    const QByteArray json = QJsonDocument(
            QJsonObject{{u"refreshToken"_s, auth.latestRefreshToken()}, {u"clientId"_s, clientId},
                    {u"tokenUrl"_s, auth.tokenEndpoint().toString()},
                    {u"savedAt"_s, 1760000000123.0}})
                                    .toJson(QJsonDocument::Compact);
    QFile entry(cache.filePath(u"0123456789abcdef.json.enc"_s));
    QVERIFY(entry.open(QIODevice::WriteOnly));
    entry.write(McpProxy::Test::referenceSeal(key, json));
    entry.close();

    config.oauth2.clientId = clientId;
    TokenStoreOptions store;
    store.directory = cache.path();
    store.keyStorage = KeyStorage::FileOnly;
    AuthorizationManager manager(config, store);
    QSignalSpy finished(&manager, &AuthorizationManager::authorizationFinished);
    manager.start();
    QVERIFY(finished.wait(5000)); // loaded; no grant configured, so nothing else yet
    manager.authorize(auth.bearerChallenge(), 401);
    QVERIFY(finished.wait(5000));
    QVERIFY(finished.last().at(0).toBool());
    QCOMPARE(auth.tokenRequests().last().grantType, u"refresh_token"_s);
    QCOMPARE(auth.authorizeCount(), 1); // no second browser login
    QTRY_VERIFY(QDir(cache.filePath(u"tokens/v1"_s)).entryList(QDir::Files).size() == 1);
}

QTEST_GUILESS_MAIN(tst_AuthorizationManager)
#include "tst_authorizationmanager.moc"
