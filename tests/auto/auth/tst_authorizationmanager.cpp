// AuthorizationManager, the token lifecycle state machine, against the in-process fake
// authorization server: rounds, sharing, refresh-before-login, step-up scope union, renewal
// timing, actionable failures, the start-up round, explicit configuration over discovery, the
// per-session step-up limit and the cool-down after a failure. Time-driven behaviour (renewal
// timers, backoff, cool-downs) runs on a ManualClock the test advances: nothing sleeps.
#include "auth/authorizationmanager.h"
#include "manualclock.h"
#include "referenceseal.h"
#include "support/fakeauthserver.h"
#include "support/testbrowser.h"

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QProcessEnvironment>
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
    // As the loader takes it: $BROWSER is the test browser (initTestCase).
    config.childEnvironment = QProcessEnvironment::systemEnvironment();
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

// A port that was free a moment ago, for the login's loopback listener.
int freeCallbackPort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost))
        return 0;
    return probe.serverPort();
}

} // namespace

class tst_AuthorizationManager : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void clientCredentialsRoundAndSilentRenewal();
    void concurrentRequestsShareOneRound();
    void unauthorizedRefreshesBeforeLoggingIn();
    void stepUpRequestsTheUnionOfScopes();
    void stepUpKeepsTheScopesRequestedBefore();
    void failureMessageNamesTheSetting();
    void referenceCacheRefreshTokenIsMigrated();
    void startUpLeavesTheBrowserLoginToTheChallenge();
    void startUpRoundCountsTowardTheStepUpLimit_data();
    void startUpRoundCountsTowardTheStepUpLimit();
    void stepUpLimitHoldsAcrossRequests();
    void failedRoundIsRememberedDuringTheCoolDown();
    void deniedLoginOpensNoFurtherBrowserTabs();
    void shortLivedTokensAreNotRenewedWhileIdle_data();
    void shortLivedTokensAreNotRenewedWhileIdle();
    void idleRenewalFollowsTheClock_data();
    void idleRenewalFollowsTheClock();
    void idleRenewalRetriesTransientFailures_data();
    void idleRenewalRetriesTransientFailures();
    void coolDownDoublesWithEveryFailure();
    void renewalBeforeUse();
    void configurationWinsOverFailedDiscovery_data();
    void configurationWinsOverFailedDiscovery();
    void authorizationServerMigration_data();
    void authorizationServerMigration();
    void preRegisteredClientStaysWithItsServer();
    void storedTokensStayWithTheirServer();
    void idTokenIsTheBearerWhenAsked_data();
    void idTokenIsTheBearerWhenAsked();
    void headersTimeoutBoundsTheTokenRequest();

private:
    int browserLaunches() const;
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

int tst_AuthorizationManager::browserLaunches() const
{
    QFile file(m_urls);
    return file.open(QIODevice::ReadOnly)
            ? int(QString::fromUtf8(file.readAll()).split(u'\n', Qt::SkipEmptyParts).size())
            : 0;
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

void tst_AuthorizationManager::clientCredentialsRoundAndSilentRenewal()
{
    FakeAuthServer auth;
    setUpAuth(auth);
    auth.setAccessTokenLifetime(45); // renewed while idle after 30 s (the floor)
    ManualClock clock;
    AuthorizationManager manager(clientCredentials(auth));
    manager.setClock(&clock);
    QSignalSpy finished(&manager, &AuthorizationManager::authorizationFinished);
    QSignalSpy header(&manager, &AuthorizationManager::authorizationHeaderChanged);
    QVERIFY(manager.prefetches());
    manager.start();
    QVERIFY(finished.wait(5000));
    QCOMPARE(finished.first().at(0).toBool(), true);
    QVERIFY(header.last().first().toByteArray().startsWith("Bearer "));
    QVERIFY(auth.acceptsAuthorization(header.last().first().toByteArray()));
    QCOMPARE(auth.tokenCount(), 1);
    // The renewal is scheduled by itself; nobody waits for it (shortLivedTokens… checks when).
    QVERIFY(manager.idleRenewalInMs() >= int(RenewalPolicy::MinIdleRenewalIntervalMs));
    QCOMPARE(finished.size(), 1);
    // When it is due, the token is renewed silently: a new header, no round anybody waits for.
    clock.advance(manager.idleRenewalInMs());
    QTRY_COMPARE(auth.tokenCount(), 2);
    QTRY_COMPARE(header.size(), 2);
    QVERIFY(auth.acceptsAuthorization(header.last().first().toByteArray()));
    QCOMPARE(finished.size(), 1);
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
    // The round may end while approveNextLogin() still waits for the callback's answer.
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10000);
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
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 3, 10000);
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

// MCP 2026-07-28 "Step-Up Authorization Flow": the union of the scopes requested before and the
// challenged ones, even when the authorization server granted fewer than were requested.
void tst_AuthorizationManager::stepUpKeepsTheScopesRequestedBefore()
{
    FakeAuthServer auth;
    setUpAuth(auth);
    auth.setGrantedScope(u"mcp:read"_s);
    AuthorizationManager manager(clientCredentials(auth));
    QSignalSpy finished(&manager, &AuthorizationManager::authorizationFinished);
    manager.authorize(auth.bearerChallenge(u"mcp:read mcp:list"_s), 401);
    QVERIFY(finished.wait(5000));
    QCOMPARE(auth.tokenRequests().last().param(u"scope"_s), u"mcp:read mcp:list"_s);
    manager.authorize(auth.bearerChallenge(u"mcp:write"_s, u"insufficient_scope"_s), 403);
    QVERIFY(finished.wait(5000));
    QVERIFY(finished.last().at(0).toBool());
    QCOMPARE(auth.tokenRequests().last().param(u"scope"_s), u"mcp:read mcp:list mcp:write"_s);
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
    // A login with the npm reference left a refresh token in its cache (<dir>/<hash>.json.enc).
    QString clientId;
    {
        AuthorizationManager first(config);
        QSignalSpy finished(&first, &AuthorizationManager::authorizationFinished);
        first.authorize(auth.bearerChallenge(), 401);
        QCOMPARE(approveNextLogin(auth, 0), QString());
        // The round may end while approveNextLogin() still waits for the callback's answer.
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10000);
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

void tst_AuthorizationManager::startUpLeavesTheBrowserLoginToTheChallenge()
{
    // OAUTH2_GRANT=authorization_code, no client id: the start-up round cannot know the scope
    // the server will challenge with, so the browser waits for the 401 (MCP 2025-11-25 "Scope
    // Selection Strategy": the challenge's scope first).
    QFile::remove(m_urls);
    FakeAuthServer auth;
    setUpAuth(auth);
    auth.setProtectedResource(auth.url(u"/mcp"_s).toString(),
            {FakeAuthServer::ResourceMetadataLocation::PathInserted}, {u"mcp:other"_s});
    ProxyConfig config = configFor(auth);
    config.oauth2.grant = ProxyConfig::Grant::AuthorizationCode;
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost));
    config.oauth2.callbackPort = probe.serverPort();
    probe.close();
    AuthorizationManager manager(config);
    QSignalSpy finished(&manager, &AuthorizationManager::authorizationFinished);
    QVERIFY(manager.prefetches());
    manager.start();
    QTRY_COMPARE(finished.size(), 1);
    QVERIFY(finished.last().at(0).toBool());
    QCOMPARE(browserLaunches(), 0);
    QCOMPARE(auth.registerCount(), 0);

    manager.authorize(auth.bearerChallenge(u"mcp:basic"_s), 401);
    QCOMPARE(approveNextLogin(auth, 0), QString());
    QTRY_COMPARE(finished.size(), 2);
    QVERIFY(finished.last().at(0).toBool());
    QCOMPARE(auth.authorizeCount(), 1);
    QCOMPARE(auth.authorizeRequests().first().scope, u"mcp:basic"_s);
}

void tst_AuthorizationManager::startUpRoundCountsTowardTheStepUpLimit_data()
{
    QTest::addColumn<QString>("configuredScope");
    QTest::addColumn<QString>("challengedScope");
    QTest::newRow("scope from the metadata") << QString() << u"mcp:admin"_s;
    // The rounds request the configured scope, whatever the challenge names.
    QTest::newRow("OAUTH2_SCOPE configured") << u"mcp:admin"_s << u"mcp:other"_s;
}

void tst_AuthorizationManager::startUpRoundCountsTowardTheStepUpLimit()
{
    // The start-up grant plus step-ups: 3 authorizations for one scope set in all.
    QFETCH(QString, configuredScope);
    QFETCH(QString, challengedScope);
    FakeAuthServer auth;
    setUpAuth(auth);
    auth.setProtectedResource(auth.url(u"/mcp"_s).toString(),
            {FakeAuthServer::ResourceMetadataLocation::PathInserted}, {u"mcp:admin"_s});
    ManualClock clock;
    ProxyConfig config = clientCredentials(auth);
    config.oauth2.scope = configuredScope;
    AuthorizationManager manager(config);
    manager.setClock(&clock);
    QSignalSpy finished(&manager, &AuthorizationManager::authorizationFinished);
    manager.start();
    QVERIFY(finished.wait(5000));
    QVERIFY(finished.last().at(0).toBool());
    QCOMPARE(auth.tokenCount(), 1);
    const QByteArray forbidden = auth.bearerChallenge(challengedScope, u"insufficient_scope"_s);
    for (int stepUp = 1; stepUp <= 3; ++stepUp) {
        manager.authorize(forbidden, 403);
        QVERIFY(finished.wait(5000));
    }
    QCOMPARE(auth.tokenCount(), 3);
    QCOMPARE(finished.last().at(0).toBool(), false);
    QVERIFY2(finished.last().at(1).toString().contains(u"mcp:admin"),
            qPrintable(finished.last().at(1).toString()));
}

void tst_AuthorizationManager::stepUpLimitHoldsAcrossRequests()
{
    // A server that always answers 403: the limit is per session and scope set, not per
    // request; after the cool-down exactly one new attempt.
    FakeAuthServer auth;
    setUpAuth(auth);
    ManualClock clock;
    AuthorizationManager manager(clientCredentials(auth));
    manager.setClock(&clock);
    QSignalSpy finished(&manager, &AuthorizationManager::authorizationFinished);
    manager.authorize(auth.bearerChallenge(u"mcp:admin"_s), 401);
    QVERIFY(finished.wait(5000));
    const QByteArray forbidden = auth.bearerChallenge(u"mcp:admin"_s, u"insufficient_scope"_s);
    for (int message = 0; message < 12; ++message) {
        manager.authorize(forbidden, 403);
        QVERIFY(finished.wait(5000));
    }
    QCOMPARE(auth.tokenCount(), 3);
    QCOMPARE(finished.last().at(0).toBool(), false);
    const QString message = finished.last().at(1).toString();

    clock.advance(AuthorizationLimits::CoolDownMs + 1000); // past the cool-down
    manager.authorize(forbidden, 403);
    QVERIFY(finished.wait(5000));
    QCOMPARE(auth.tokenCount(), 4);
    manager.authorize(forbidden, 403);
    QVERIFY(finished.wait(5000));
    QCOMPARE(auth.tokenCount(), 4);
    QCOMPARE(finished.last().at(0).toBool(), false);
    QCOMPARE(finished.last().at(1).toString(), message);
}

void tst_AuthorizationManager::failedRoundIsRememberedDuringTheCoolDown()
{
    // The token endpoint answers garbage: one request, then the same error at once until the
    // cool-down ends, then one new attempt.
    FakeAuthServer auth;
    setUpAuth(auth);
    auth.failToken(FakeAuthServer::TokenFailure::NonJson, 100);
    ManualClock clock;
    AuthorizationManager manager(clientCredentials(auth));
    manager.setClock(&clock);
    QSignalSpy finished(&manager, &AuthorizationManager::authorizationFinished);
    manager.authorize(auth.bearerChallenge(), 401);
    QVERIFY(finished.wait(5000));
    QCOMPARE(finished.last().at(0).toBool(), false);
    const QString message = finished.last().at(1).toString();
    QVERIFY(!message.isEmpty());
    for (int i = 0; i < 12; ++i) {
        manager.authorize(auth.bearerChallenge(), 401);
        QVERIFY(finished.wait(5000));
        QCOMPARE(finished.last().at(0).toBool(), false);
        QCOMPARE(finished.last().at(1).toString(), message);
    }
    QCOMPARE(auth.tokenCount(), 1);
    clock.advance(31000);
    auth.clearTokenFailures();
    manager.authorize(auth.bearerChallenge(), 401);
    QVERIFY(finished.wait(5000));
    QVERIFY(finished.last().at(0).toBool());
    QCOMPARE(auth.tokenCount(), 2);
}

void tst_AuthorizationManager::deniedLoginOpensNoFurtherBrowserTabs()
{
    QFile::remove(m_urls);
    FakeAuthServer auth;
    setUpAuth(auth);
    auth.failAuthorization(u"access_denied"_s);
    ProxyConfig config = configFor(auth);
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost));
    config.oauth2.callbackPort = probe.serverPort();
    probe.close();
    ManualClock clock;
    AuthorizationManager manager(config);
    manager.setClock(&clock);
    QSignalSpy finished(&manager, &AuthorizationManager::authorizationFinished);
    manager.authorize(auth.bearerChallenge(), 401);
    QCOMPARE(approveNextLogin(auth, 0), QString()); // the user clicks Deny
    QTRY_COMPARE(finished.size(), 1);
    QCOMPARE(finished.last().at(0).toBool(), false);
    for (int message = 0; message < 12; ++message) {
        manager.authorize(auth.bearerChallenge(), 401);
        QVERIFY(finished.wait(5000));
        QCOMPARE(finished.last().at(0).toBool(), false);
    }
    QCOMPARE(browserLaunches(), 1);
}

void tst_AuthorizationManager::shortLivedTokensAreNotRenewedWhileIdle_data()
{
    QTest::addColumn<int>("lifetime");
    QTest::addColumn<int>("idleRenewalMs"); // -1: only before a request
    QTest::newRow("expires_in 0") << 0 << -1;
    QTest::newRow("expires_in 1") << 1 << -1;
    QTest::newRow("expires_in 3") << 3 << -1;
    QTest::newRow("expires_in 30") << 30 << -1;
    QTest::newRow("expires_in 45: the 30 s floor") << 45 << 30000;
    QTest::newRow("an hour: skew before expiry") << 3600 << 3540000;
}

void tst_AuthorizationManager::shortLivedTokensAreNotRenewedWhileIdle()
{
    QFETCH(int, lifetime);
    QFETCH(int, idleRenewalMs);
    FakeAuthServer auth;
    setUpAuth(auth);
    auth.setAccessTokenLifetime(lifetime);
    ManualClock clock;
    ProxyConfig config = clientCredentials(auth);
    config.oauth2.refreshSkewSeconds = 60;
    AuthorizationManager manager(config);
    manager.setClock(&clock);
    QSignalSpy finished(&manager, &AuthorizationManager::authorizationFinished);
    QSignalSpy renewal(&manager, &AuthorizationManager::renewalPointChanged);
    manager.start();
    QVERIFY(finished.wait(5000));
    QVERIFY(finished.last().at(0).toBool());
    // Lifetimes are whole seconds and the clock moved a little: compare to the second.
    const int idle = manager.idleRenewalInMs();
    QVERIFY2(idleRenewalMs < 0 ? idle == -1 : qAbs(idle - idleRenewalMs) <= 1000,
            qPrintable(QString::number(idle)));
    // A request is told when to renew first (lazily), whatever the lifetime.
    QVERIFY(!renewal.isEmpty());
    QVERIFY(renewal.last().first().toDateTime().isValid());
    if (lifetime <= 3) {
        // The old policy renewed a 1-3 s token every 1-1.5 s while idle: no timer runs at all.
        QCOMPARE(clock.activeTimers(), 0);
        clock.advance(2500);
        QCOMPARE(clock.firedTimers(), 0);
        QCOMPARE(auth.tokenCount(), 1);
    }
}

void tst_AuthorizationManager::idleRenewalFollowsTheClock_data()
{
    QTest::addColumn<int>("lifetime");
    QTest::addColumn<int>("idleRenewalMs"); // when the renewal is due (to the second)
    QTest::addColumn<qint64>("offsetMs"); // the clock is advanced to that point plus this
    QTest::addColumn<int>("tokens"); // token requests after advancing
    QTest::newRow("45 s: 1 ms before the 30 s floor") << 45 << 30000 << qint64(-1) << 1;
    QTest::newRow("45 s: at the 30 s floor") << 45 << 30000 << qint64(0) << 2;
    QTest::newRow("an hour: 1 ms before the skew") << 3600 << 3540000 << qint64(-1) << 1;
    QTest::newRow("an hour: at the skew") << 3600 << 3540000 << qint64(0) << 2;
    QTest::newRow("an hour: at expiry, renewed once") << 3600 << 3540000 << qint64(60000) << 2;
}

void tst_AuthorizationManager::idleRenewalFollowsTheClock()
{
    QFETCH(int, lifetime);
    QFETCH(int, idleRenewalMs);
    QFETCH(qint64, offsetMs);
    QFETCH(int, tokens);
    FakeAuthServer auth;
    setUpAuth(auth);
    auth.setAccessTokenLifetime(lifetime);
    ManualClock clock;
    ProxyConfig config = clientCredentials(auth);
    config.oauth2.refreshSkewSeconds = 60;
    AuthorizationManager manager(config);
    manager.setClock(&clock);
    QSignalSpy finished(&manager, &AuthorizationManager::authorizationFinished);
    manager.start();
    QVERIFY(finished.wait(5000));
    QCOMPARE(auth.tokenCount(), 1);
    // Lifetimes are whole seconds and the token arrived a little after the clock was read:
    // compare to the second, then advance from the exact point.
    const int due = manager.idleRenewalInMs();
    QVERIFY2(qAbs(due - idleRenewalMs) <= 1000, qPrintable(QString::number(due)));
    clock.advance(due + offsetMs);
    QCOMPARE(clock.firedTimers(), tokens - 1);
    QTRY_COMPARE(auth.tokenCount(), tokens);
    QCOMPARE(finished.size(), 1); // nobody waited for the renewal
}

void tst_AuthorizationManager::idleRenewalRetriesTransientFailures_data()
{
    QTest::addColumn<int>("failures");
    QTest::addColumn<bool>("renewed");
    QTest::newRow("one failure") << 1 << true;
    QTest::newRow("three failures: 2 s, 4 s, 8 s") << 3 << true;
    QTest::newRow("four failures: given up") << 4 << false;
}

void tst_AuthorizationManager::idleRenewalRetriesTransientFailures()
{
    QFETCH(int, failures);
    QFETCH(bool, renewed);
    FakeAuthServer auth;
    setUpAuth(auth);
    auth.setAccessTokenLifetime(45);
    ManualClock clock;
    AuthorizationManager manager(clientCredentials(auth));
    manager.setClock(&clock);
    QSignalSpy finished(&manager, &AuthorizationManager::authorizationFinished);
    manager.start();
    QVERIFY(finished.wait(5000));
    QCOMPARE(manager.idleRenewalInMs(), int(RenewalPolicy::MinIdleRenewalIntervalMs));
    auth.failToken(FakeAuthServer::TokenFailure::TemporarilyUnavailable, failures);
    clock.advance(manager.idleRenewalInMs());
    int requests = 2;
    QTRY_COMPARE(auth.tokenCount(), requests);
    for (int retry = 1; retry <= qMin(failures, RenewalPolicy::MaxRenewFailures); ++retry) {
        // The failed renewal is retried after 2 s, 4 s, 8 s: not a millisecond earlier.
        QTRY_COMPARE(manager.idleRenewalInMs(), 1000 << retry);
        clock.advance((1000 << retry) - 1);
        QCOMPARE(auth.tokenCount(), requests);
        clock.advance(1);
        ++requests;
        QTRY_COMPARE(auth.tokenCount(), requests);
    }
    if (renewed) {
        // Renewed: the next idle renewal is scheduled as for any new token.
        QTRY_COMPARE(manager.idleRenewalInMs(), int(RenewalPolicy::MinIdleRenewalIntervalMs));
    } else {
        // Given up: the next 401 (or a request past the renewal point) asks again.
        QTRY_COMPARE(clock.activeTimers(), 0);
        QCOMPARE(manager.idleRenewalInMs(), -1);
    }
    QCOMPARE(finished.size(), 1);
}

void tst_AuthorizationManager::coolDownDoublesWithEveryFailure()
{
    // A failed round is answered at once for 30 s, then 60 s, 120 s, 240 s, and at most 5 min;
    // after each cool-down exactly one new attempt.
    FakeAuthServer auth;
    setUpAuth(auth);
    auth.failToken(FakeAuthServer::TokenFailure::NonJson, 100);
    ManualClock clock;
    AuthorizationManager manager(clientCredentials(auth));
    manager.setClock(&clock);
    QSignalSpy finished(&manager, &AuthorizationManager::authorizationFinished);
    manager.authorize(auth.bearerChallenge(), 401);
    QVERIFY(finished.wait(5000));
    QCOMPARE(finished.last().at(0).toBool(), false);
    const QString message = finished.last().at(1).toString();
    int requests = 1;
    for (const qint64 coolDownSeconds : {30, 60, 120, 240, 300, 300}) {
        QCOMPARE(auth.tokenCount(), requests);
        clock.advance(coolDownSeconds * 1000 - 1);
        manager.authorize(auth.bearerChallenge(), 401);
        QVERIFY(finished.wait(5000));
        QCOMPARE(finished.last().at(0).toBool(), false);
        QCOMPARE(finished.last().at(1).toString(), message);
        QCOMPARE(auth.tokenCount(), requests); // answered at once
        clock.advance(1);
        manager.authorize(auth.bearerChallenge(), 401);
        QVERIFY(finished.wait(5000));
        QCOMPARE(finished.last().at(0).toBool(), false);
        ++requests;
        QCOMPARE(auth.tokenCount(), requests); // one new attempt
    }
}

void tst_AuthorizationManager::renewalBeforeUse()
{
    FakeAuthServer auth;
    setUpAuth(auth);
    auth.setAccessTokenLifetime(1);
    ManualClock clock;
    AuthorizationManager manager(clientCredentials(auth));
    manager.setClock(&clock);
    QSignalSpy finished(&manager, &AuthorizationManager::authorizationFinished);
    QSignalSpy header(&manager, &AuthorizationManager::authorizationHeaderChanged);
    manager.start();
    QVERIFY(finished.wait(5000));
    manager.authorize(QByteArray(), 0); // a request found the token past its renewal point
    QVERIFY(finished.wait(5000));
    QVERIFY(finished.last().at(0).toBool());
    QCOMPARE(auth.tokenCount(), 2);
    QCOMPARE(header.size(), 2);
}

void tst_AuthorizationManager::configurationWinsOverFailedDiscovery_data()
{
    QTest::addColumn<bool>("codeGrant");
    QTest::addColumn<QString>("failure");
    for (const bool code : {false, true}) {
        const char *grant = code ? "authorization_code" : "client_credentials";
        QTest::addRow("%s, PRM names another resource", grant) << code << u"resource"_s;
        QTest::addRow("%s, metadata unreachable", grant) << code << u"unreachable"_s;
        QTest::addRow("%s, metadata 500", grant) << code << u"500"_s;
    }
}

void tst_AuthorizationManager::configurationWinsOverFailedDiscovery()
{
    QFETCH(bool, codeGrant);
    QFETCH(QString, failure);
    QFile::remove(m_urls);
    FakeAuthServer auth;
    setUpAuth(auth);
    ProxyConfig config = clientCredentials(auth);
    config.discoveryEnabled = true;
    config.oauth2.tokenUrl = auth.tokenEndpoint();
    if (failure == u"resource") {
        // UPSTREAM_URL says localhost, the metadata says 127.0.0.1 (RFC 9728 section 3.3 fails).
        config.upstream.url =
                QUrl(auth.url(u"/mcp"_s).toString().replace(u"127.0.0.1"_s, u"localhost"_s));
    } else if (failure == u"unreachable") {
        QTcpServer closed;
        QVERIFY(closed.listen(QHostAddress::LocalHost));
        config.upstream.url = QUrl(u"http://127.0.0.1:%1/mcp"_s.arg(closed.serverPort()));
        closed.close();
    } else {
        auth.setResponse(FakeAuthServer::resourceMetadataPath(auth.url(u"/mcp"_s),
                                 FakeAuthServer::ResourceMetadataLocation::PathInserted),
                500, "oops", "text/plain");
        auth.setResponse(u"/.well-known/oauth-protected-resource"_s, 500, "oops", "text/plain");
        auth.setResponse(u"/.well-known/oauth-authorization-server"_s, 500, "oops", "text/plain");
        auth.setResponse(u"/.well-known/openid-configuration"_s, 500, "oops", "text/plain");
    }
    if (codeGrant) {
        config.oauth2.grant = ProxyConfig::Grant::AuthorizationCode;
        config.oauth2.authorizationUrl = auth.authorizationEndpoint();
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost));
        config.oauth2.callbackPort = probe.serverPort();
        probe.close();
    }
    AuthorizationManager manager(config);
    QSignalSpy finished(&manager, &AuthorizationManager::authorizationFinished);
    QSignalSpy header(&manager, &AuthorizationManager::authorizationHeaderChanged);
    manager.authorize(QByteArray("Bearer"), 401);
    if (codeGrant)
        QCOMPARE(approveNextLogin(auth, 0), QString());
    QTRY_COMPARE(finished.size(), 1);
    QVERIFY2(finished.last().at(0).toBool(), qPrintable(finished.last().at(1).toString()));
    QVERIFY(auth.acceptsAuthorization(header.last().first().toByteArray()));
    // Nothing from the metadata that failed is used: the resource is the configured server's.
    QCOMPARE(auth.tokenRequests().last().param(u"resource"_s), config.upstream.url.toString());
}

// MCP 2026-07-28 client-registration "Authorization Server Binding" (conformance
// auth/authorization-server-migration): after a 401 the protected resource metadata names another
// authorization server. The proxy registers and logs in there; neither the first server's client
// nor its refresh token ever reaches the new one.
void tst_AuthorizationManager::authorizationServerMigration_data()
{
    QTest::addColumn<bool>("withStore");
    QTest::newRow("tokens in memory") << false;
    QTest::newRow("token store") << true;
}

void tst_AuthorizationManager::authorizationServerMigration()
{
    QFETCH(bool, withStore);
    QFile::remove(m_urls);
    FakeAuthServer first;
    setUpAuth(first);
    FakeAuthServer second;
    QVERIFY(second.listen());
    ProxyConfig config = configFor(first);
    config.oauth2.callbackPort = freeCallbackPort();
    QTemporaryDir dir;
    std::optional<TokenStoreOptions> store;
    if (withStore) {
        store.emplace();
        store->directory = dir.path();
        store->keyStorage = KeyStorage::FileOnly;
    }
    AuthorizationManager manager(config, store);
    QSignalSpy finished(&manager, &AuthorizationManager::authorizationFinished);
    QSignalSpy header(&manager, &AuthorizationManager::authorizationHeaderChanged);
    manager.authorize(first.bearerChallenge(), 401);
    QCOMPARE(approveNextLogin(first, 0), QString());
    QTRY_COMPARE(finished.size(), 1);
    QVERIFY2(finished.last().at(0).toBool(), qPrintable(finished.last().at(1).toString()));
    QVERIFY(first.acceptsAuthorization(header.last().first().toByteArray()));
    QVERIFY(!first.latestRefreshToken().isEmpty());
    const QString firstClient = first.tokenRequests().last().clientId;
    const int firstTokenRequests = first.tokenCount();

    // The resource moves to the second server; its token from the first one is refused.
    first.setResourceMetadataValue(u"authorization_servers"_s, QJsonArray{second.issuer()});
    manager.authorize(first.bearerChallenge(), 401);
    QCOMPARE(approveNextLogin(second, 1), QString());
    QTRY_COMPARE(finished.size(), 2);
    QVERIFY2(finished.last().at(0).toBool(), qPrintable(finished.last().at(1).toString()));
    QVERIFY(second.acceptsAuthorization(header.last().first().toByteArray()));
    QCOMPARE(first.tokenCount(), firstTokenRequests); // its refresh token was not used
    QCOMPARE(second.registerCount(), 1);
    QCOMPARE(second.authorizeCount(), 1);
    QVERIFY(second.authorizeRequests().first().clientId != firstClient);
    for (const FakeTokenRequest &request : second.tokenRequests()) {
        QVERIFY(request.clientId != firstClient);
        QCOMPARE(request.grantType, u"authorization_code"_s);
        QVERIFY(request.param(u"refresh_token"_s).isEmpty());
    }
}

// A pre-registered client belongs to its authorization server: when the resource names another
// one, the round fails with a message that says so (client-registration "Authorization Server
// Binding": SHOULD surface an error), and nothing is sent to the new server.
void tst_AuthorizationManager::preRegisteredClientStaysWithItsServer()
{
    FakeAuthServer first;
    setUpAuth(first);
    FakeAuthServer second;
    setUpAuth(second); // knows a client "svc" too: still not used there
    AuthorizationManager manager(clientCredentials(first));
    QSignalSpy finished(&manager, &AuthorizationManager::authorizationFinished);
    manager.authorize(first.bearerChallenge(), 401);
    QTRY_COMPARE(finished.size(), 1);
    QVERIFY(finished.last().at(0).toBool());

    first.setResourceMetadataValue(u"authorization_servers"_s, QJsonArray{second.issuer()});
    manager.authorize(first.bearerChallenge(), 401);
    QTRY_COMPARE(finished.size(), 2);
    QCOMPARE(finished.last().at(0).toBool(), false);
    const QString message = finished.last().at(1).toString();
    QVERIFY2(message.contains(second.issuer()) && message.contains(first.issuer())
                    && message.contains(u"OAUTH2_CLIENT_ID"_s),
            qPrintable(message));
    QCOMPARE(second.tokenCount(), 0);
    QCOMPARE(second.metadataCount(), 1); // discovered, then refused
    QCOMPARE(first.tokenCount(), 1);
}

// Tokens a previous run stored for the first authorization server: after a restart the resource
// names another one, so the stored refresh token is never sent there; a login there follows, and
// the store keeps each server's tokens under its own issuer.
void tst_AuthorizationManager::storedTokensStayWithTheirServer()
{
    QFile::remove(m_urls);
    FakeAuthServer first;
    setUpAuth(first);
    FakeAuthServer second;
    QVERIFY(second.listen());
    ProxyConfig config = configFor(first);
    config.oauth2.callbackPort = freeCallbackPort();
    QTemporaryDir dir;
    TokenStoreOptions store;
    store.directory = dir.path();
    store.keyStorage = KeyStorage::FileOnly;
    {
        AuthorizationManager earlier(config, store);
        QSignalSpy finished(&earlier, &AuthorizationManager::authorizationFinished);
        earlier.start();
        QTRY_COMPARE(finished.size(), 1); // nothing stored yet
        earlier.authorize(first.bearerChallenge(), 401);
        QCOMPARE(approveNextLogin(first, 0), QString());
        QTRY_COMPARE(finished.size(), 2);
        QVERIFY(finished.last().at(0).toBool());
        QTRY_COMPARE(earlier.pendingStoreWrites(), 0);
    }
    const int firstTokenRequests = first.tokenCount();

    first.setResourceMetadataValue(u"authorization_servers"_s, QJsonArray{second.issuer()});
    AuthorizationManager manager(config, store);
    QSignalSpy finished(&manager, &AuthorizationManager::authorizationFinished);
    QSignalSpy header(&manager, &AuthorizationManager::authorizationHeaderChanged);
    manager.start();
    QTRY_COMPARE(finished.size(), 1); // the stored token of the first server, not yet refused
    manager.authorize(first.bearerChallenge(), 401);
    QCOMPARE(approveNextLogin(second, 1), QString());
    QTRY_COMPARE(finished.size(), 2);
    QVERIFY2(finished.last().at(0).toBool(), qPrintable(finished.last().at(1).toString()));
    QVERIFY(second.acceptsAuthorization(header.last().first().toByteArray()));
    QCOMPARE(first.tokenCount(), firstTokenRequests);
    for (const FakeTokenRequest &request : second.tokenRequests())
        QCOMPARE(request.grantType, u"authorization_code"_s);
    QTRY_COMPARE(manager.pendingStoreWrites(), 0);

    TokenStore tokens(store);
    QList<TokenStoreEntryInfo> entries;
    bool listed = false;
    tokens.listEntries(this, [&](const QList<TokenStoreEntryInfo> &list) {
        entries = list;
        listed = true;
    });
    QTRY_VERIFY(listed);
    QStringList tokenIssuers;
    QStringList registrationIssuers;
    for (const TokenStoreEntryInfo &entry : std::as_const(entries)) {
        if (entry.kind == TokenStoreEntryInfo::Kind::Tokens)
            tokenIssuers.append(entry.issuer);
        else if (entry.kind == TokenStoreEntryInfo::Kind::Registration)
            registrationIssuers.append(entry.issuer);
    }
    tokenIssuers.sort();
    registrationIssuers.sort();
    QStringList both{first.issuer(), second.issuer()};
    both.sort();
    QCOMPARE(tokenIssuers, both);
    QCOMPARE(registrationIssuers, both);
}

void tst_AuthorizationManager::idTokenIsTheBearerWhenAsked_data()
{
    QTest::addColumn<bool>("useIdToken");
    QTest::newRow("access token (default)") << false;
    QTest::newRow("ID token (oauth2.useIdToken, --use-id-token)") << true;
}

void tst_AuthorizationManager::idTokenIsTheBearerWhenAsked()
{
    // Servers that verify who calls take the OpenID Connect ID token as the bearer; its own exp
    // (here shorter than the access token's) decides renewal.
    QFETCH(bool, useIdToken);
    FakeAuthServer auth;
    setUpAuth(auth);
    auth.setAccessTokenLifetime(3600);
    auth.setIssueIdTokens(true, 600);
    ProxyConfig config = clientCredentials(auth);
    config.oauth2.useIdToken = useIdToken;
    ManualClock clock;
    AuthorizationManager manager(config);
    manager.setClock(&clock);
    QSignalSpy finished(&manager, &AuthorizationManager::authorizationFinished);
    QSignalSpy header(&manager, &AuthorizationManager::authorizationHeaderChanged);
    QSignalSpy renewal(&manager, &AuthorizationManager::renewalPointChanged);
    manager.start();
    QVERIFY(finished.wait(5000));
    QCOMPARE(finished.first().at(0).toBool(), true);
    const QByteArray expected =
            "Bearer " + (useIdToken ? auth.latestIdToken() : auth.latestAccessToken()).toLatin1();
    QVERIFY(header.last().first().toByteArray() == expected); // tokens: compared, not printed
    QVERIFY(!renewal.isEmpty());
    const QDateTime renewAt = renewal.last().first().toDateTime();
    const qint64 secondsLeft = clock.nowUtc().secsTo(renewAt);
    if (useIdToken)
        QVERIFY2(secondsLeft <= 600, qPrintable(QString::number(secondsLeft)));
    else
        QVERIFY2(secondsLeft > 600, qPrintable(QString::number(secondsLeft)));
}

void tst_AuthorizationManager::headersTimeoutBoundsTheTokenRequest()
{
    // upstream.headersTimeoutMs (mcp-remote's --headers-timeout) bounds the OAuth requests too:
    // a token endpoint that never answers fails the round after 300 ms, not after the token
    // request's own 30 s bound (the spy waits 10 s, a third of that).
    FakeAuthServer auth;
    setUpAuth(auth);
    auth.failToken(FakeAuthServer::TokenFailure::Hang, 100);
    ProxyConfig config = clientCredentials(auth);
    config.upstream.headersTimeoutMs = 300;
    AuthorizationManager manager(config);
    QSignalSpy finished(&manager, &AuthorizationManager::authorizationFinished);
    manager.authorize(auth.bearerChallenge(), 401);
    QVERIFY(finished.wait(10000));
    QCOMPARE(finished.last().at(0).toBool(), false);
    QCOMPARE(auth.tokenCount(), 1);
}

QTEST_GUILESS_MAIN(tst_AuthorizationManager)
#include "tst_authorizationmanager.moc"
