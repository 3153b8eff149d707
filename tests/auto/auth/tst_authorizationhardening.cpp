// AuthorizationManager against the in-process fake authorization server, for what users of the
// npm mcp-oauth2-proxy and hostile servers expect: its default client authentication
// (authStyle body), a confidential registration for client_credentials (RFC 6749 section 4.4),
// tokens that cannot go into an Authorization header (RFC 6750 section 2.1), the CA bundle on every
// authorization connection, and log lines that name their subject.
#include "auth/authorizationmanager.h"
#include "auth/store/keyprovider.h"
#include "support/fakeauthserver.h"

#include <QtCore/QJsonArray>
#include <QtCore/QRegularExpression>
#include <QtCore/QTemporaryDir>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include <qt6keychain/keychain.h>

using namespace McpProxy;
using namespace McpProxy::Test;
using namespace Qt::StringLiterals;

namespace {

ProxyConfig clientCredentials(const FakeAuthServer &auth)
{
    ProxyConfig config;
    config.upstream.url = auth.url(u"/mcp"_s);
    config.oauth2.grant = ProxyConfig::Grant::ClientCredentials;
    config.oauth2.clientId = u"svc"_s;
    config.oauth2.clientSecret = u"secret"_s;
    return config;
}

void setUp(FakeAuthServer &auth)
{
    QVERIFY(auth.listen());
    auth.setProtectedResource(auth.url(u"/mcp"_s).toString());
    FakeOAuthClient svc;
    svc.clientId = u"svc"_s;
    svc.clientSecret = u"secret"_s;
    svc.tokenEndpointAuthMethod = QString(); // any
    auth.addClient(svc);
}

// Requests that reached the token endpoint (canned answers included).
int tokenEndpointHits(FakeAuthServer &auth)
{
    int hits = 0;
    for (const FakeHttpRequest &request : auth.http().requests())
        hits += request.path() == "/token" ? 1 : 0;
    return hits;
}

// Runs one start-up round; the outcome of authorizationFinished().
std::optional<std::pair<bool, QString>> runRound(AuthorizationManager &manager)
{
    QSignalSpy finished(&manager, &AuthorizationManager::authorizationFinished);
    manager.start();
    if (!finished.wait(40000))
        return std::nullopt;
    return std::make_pair(finished.first().at(0).toBool(), finished.first().at(1).toString());
}

} // namespace

class tst_AuthorizationHardening : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void clientAuthenticationDefault_data();
    void clientAuthenticationDefault();
    void clientCredentialsRegistersAConfidentialClient_data();
    void clientCredentialsRegistersAConfidentialClient();
    void tokenThatCannotBeAHeaderIsAnError_data();
    void tokenThatCannotBeAHeaderIsAnError();
    void caBundleCoversAuthorizationTraffic_data();
    void caBundleCoversAuthorizationTraffic();
    void storedTokensLineNamesItsSubject();
    void keychainProblemIsExplained_data();
    void keychainProblemIsExplained();
};

void tst_AuthorizationHardening::clientAuthenticationDefault_data()
{
    QTest::addColumn<bool>("discovery");
    QTest::addColumn<QJsonValue>("asMethods"); // undefined: the fake's default; null: none
    QTest::addColumn<QString>("authStyle"); // "": not set
    QTest::addColumn<QString>("method"); // OAUTH2_TOKEN_ENDPOINT_AUTH_METHOD, "": not set
    QTest::addColumn<QString>("expected");

    const QJsonValue unset(QJsonValue::Undefined);
    const QJsonArray both{u"client_secret_basic"_s, u"client_secret_post"_s};
    // npm mcp-oauth2-proxy: authStyle defaults to "body" (client_id and client_secret in the form).
    QTest::newRow("discovery off, nothing set: body")
            << false << unset << QString() << QString() << u"client_secret_post"_s;
    QTest::newRow("discovery off, authStyle header")
            << false << unset << u"header"_s << QString() << u"client_secret_basic"_s;
    QTest::newRow("discovery off, authStyle body")
            << false << unset << u"body"_s << QString() << u"client_secret_post"_s;
    QTest::newRow("AS lists both, nothing set: body")
            << true << QJsonValue(both) << QString() << QString() << u"client_secret_post"_s;
    QTest::newRow("AS lists only basic, nothing set: basic")
            << true << QJsonValue(QJsonArray{u"client_secret_basic"_s}) << QString() << QString()
            << u"client_secret_basic"_s;
    QTest::newRow("AS lists nothing, nothing set: body")
            << true << QJsonValue(QJsonValue::Null) << QString() << QString()
            << u"client_secret_post"_s;
    QTest::newRow("explicit authStyle header beats the AS list")
            << true << QJsonValue(QJsonArray{u"client_secret_post"_s}) << u"header"_s << QString()
            << u"client_secret_basic"_s;
    QTest::newRow("explicit method beats authStyle")
            << false << unset << u"body"_s << u"client_secret_basic"_s << u"client_secret_basic"_s;
}

void tst_AuthorizationHardening::clientAuthenticationDefault()
{
    QFETCH(bool, discovery);
    QFETCH(QJsonValue, asMethods);
    QFETCH(QString, authStyle);
    QFETCH(QString, method);
    QFETCH(QString, expected);

    FakeAuthServer auth;
    setUp(auth);
    // The fake lists every method by default; null removes the member.
    if (asMethods.isNull())
        auth.setMetadataValue(u"token_endpoint_auth_methods_supported"_s, QJsonValue::Undefined);
    else if (!asMethods.isUndefined())
        auth.setMetadataValue(u"token_endpoint_auth_methods_supported"_s, asMethods);
    ProxyConfig config = clientCredentials(auth);
    config.discoveryEnabled = discovery;
    config.oauth2.tokenUrl = discovery ? QUrl() : auth.tokenEndpoint();
    if (!authStyle.isEmpty()) {
        config.oauth2.authStyle = authStyle == u"header" ? ProxyConfig::AuthStyle::Header
                                                         : ProxyConfig::AuthStyle::Body;
        config.oauth2.authStyleSet = true;
    }
    config.oauth2.tokenEndpointAuthMethod = method;

    AuthorizationManager manager(config);
    const auto outcome = runRound(manager);
    QVERIFY(outcome);
    QVERIFY2(outcome->first, qPrintable(outcome->second));
    QCOMPARE(auth.tokenRequests().size(), 1);
    QCOMPARE(auth.tokenRequests().first().clientAuthMethod, expected);
}

void tst_AuthorizationHardening::clientCredentialsRegistersAConfidentialClient_data()
{
    QTest::addColumn<QJsonArray>("asMethods");
    QTest::addColumn<QString>("registered"); // "": no registration, the round fails

    QTest::newRow("AS lists none first") << QJsonArray{u"none"_s, u"client_secret_basic"_s,
            u"client_secret_post"_s} << u"client_secret_post"_s;
    QTest::newRow("AS lists none and basic")
            << QJsonArray{u"none"_s, u"client_secret_basic"_s} << u"client_secret_basic"_s;
    QTest::newRow("AS offers only none") << QJsonArray{u"none"_s} << QString();
}

void tst_AuthorizationHardening::clientCredentialsRegistersAConfidentialClient()
{
    QFETCH(QJsonArray, asMethods);
    QFETCH(QString, registered);

    FakeAuthServer auth;
    setUp(auth);
    auth.setMetadataValue(u"token_endpoint_auth_methods_supported"_s, asMethods);
    ProxyConfig config = clientCredentials(auth);
    config.oauth2.clientId.clear(); // no pre-registered client: dynamic registration
    config.oauth2.clientSecret.clear();

    AuthorizationManager manager(config);
    const auto outcome = runRound(manager);
    QVERIFY(outcome);
    if (registered.isEmpty()) {
        QVERIFY(!outcome->first);
        QVERIFY2(outcome->second.contains(u"confidential"_s), qPrintable(outcome->second));
        QCOMPARE(auth.registerCount(), 0);
        QCOMPARE(auth.tokenCount(), 0);
        return;
    }
    QVERIFY2(outcome->first, qPrintable(outcome->second));
    QCOMPARE(auth.registrations().size(), 1);
    const QJsonObject request = auth.registrations().first();
    QCOMPARE(request.value(u"token_endpoint_auth_method"_s).toString(), registered);
    QCOMPARE(request.value(u"grant_types"_s).toArray(), QJsonArray{u"client_credentials"_s});
    QCOMPARE(auth.tokenRequests().size(), 1);
    QCOMPARE(auth.tokenRequests().first().clientAuthMethod, registered);
}

void tst_AuthorizationHardening::tokenThatCannotBeAHeaderIsAnError_data()
{
    QTest::addColumn<QByteArray>("body");

    QTest::newRow("CR LF in the token")
            << R"({"access_token":"abc\r\nX-Injected: 1","token_type":"Bearer","expires_in":3600})"_ba;
    QTest::newRow("non-Latin-1 token")
            << R"({"access_token":"abc\u4e2d","token_type":"Bearer","expires_in":3600})"_ba;
    QTest::newRow("token_type mac")
            << R"({"access_token":"abc","token_type":"mac","expires_in":1})"_ba;
}

void tst_AuthorizationHardening::tokenThatCannotBeAHeaderIsAnError()
{
    QFETCH(QByteArray, body);

    FakeAuthServer auth;
    setUp(auth);
    auth.setResponse(u"/token"_s, 200, body);
    AuthorizationManager manager(clientCredentials(auth));
    QSignalSpy header(&manager, &AuthorizationManager::authorizationHeaderChanged);
    const auto outcome = runRound(manager);
    QVERIFY(outcome);
    QVERIFY(!outcome->first);
    QVERIFY2(outcome->second.contains(u"RFC 6750"_s), qPrintable(outcome->second));
    QVERIFY(!outcome->second.contains(u"abc"_s)); // the token is never echoed
    for (const QList<QVariant> &arguments : header)
        QVERIFY(arguments.at(0).toByteArray().isEmpty());
    // No renewal was scheduled for the rejected token: no refresh storm while idle.
    QCOMPARE(tokenEndpointHits(auth), 1);
    QTest::qWait(1500);
    QCOMPARE(tokenEndpointHits(auth), 1);
    QVERIFY(!manager.hasUsableToken());
}

void tst_AuthorizationHardening::caBundleCoversAuthorizationTraffic_data()
{
    QTest::addColumn<bool>("withBundle");
    QTest::newRow("with the private CA") << true;
    QTest::newRow("without it the handshake fails") << false;
}

void tst_AuthorizationHardening::caBundleCoversAuthorizationTraffic()
{
    QFETCH(bool, withBundle);

    FakeAuthServer auth;
    auth.http().setTlsConfiguration(FakeHttpServer::testTlsConfiguration());
    setUp(auth);
    QCOMPARE(auth.url().scheme(), u"https"_s);
    ProxyConfig config = clientCredentials(auth);
    config.oauth2.clientId.clear(); // discovery, registration and the token endpoint, all TLS
    config.oauth2.clientSecret.clear();
    if (withBundle)
        config.upstream.caBundle = FakeHttpServer::testCaPath();

    AuthorizationManager manager(config);
    const auto outcome = runRound(manager);
    QVERIFY(outcome);
    if (!withBundle) {
        QVERIFY(!outcome->first);
        QCOMPARE(auth.tokenCount(), 0);
        return;
    }
    QVERIFY2(outcome->first, qPrintable(outcome->second));
    QVERIFY(auth.metadataCount() >= 1);
    QCOMPARE(auth.registerCount(), 1);
    QCOMPARE(auth.tokenCount(), 1);
}

void tst_AuthorizationHardening::storedTokensLineNamesItsSubject()
{
    FakeAuthServer auth;
    setUp(auth);
    QTemporaryDir store;
    TokenStoreOptions options;
    options.directory = store.path();
    options.keyStorage = KeyStorage::FileOnly;
    ProxyConfig config = clientCredentials(auth);
    config.discoveryEnabled = false;
    config.oauth2.tokenUrl = auth.tokenEndpoint();
    {
        AuthorizationManager first(config, options);
        QSignalSpy written(&first, &AuthorizationManager::storeWritesDone);
        const auto outcome = runRound(first);
        QVERIFY(outcome && outcome->first);
        QVERIFY(first.pendingStoreWrites() == 0 || written.wait(5000));
    }
    // The line used to end after "of " with discovery off (no issuer known).
    QTest::ignoreMessage(QtInfoMsg,
            QRegularExpression(
                    u"^using the stored tokens for %1 \\(no authorization server "
                    "metadata: discovery is off, client svc\\)$"_s.arg(QRegularExpression::escape(
                            canonicalResourceUri(config.upstream.url)))));
    AuthorizationManager second(config, options);
    const auto outcome = runRound(second);
    QVERIFY(outcome && outcome->first);
    QCOMPARE(auth.tokenCount(), 1);
}

void tst_AuthorizationHardening::keychainProblemIsExplained_data()
{
    QTest::addColumn<int>("error");
    QTest::addColumn<QString>("errorString");
    QTest::addColumn<QString>("contains");

    // qtkeychain without libsecret / a D-Bus session: OtherError, "Unknown error".
    QTest::newRow("other, unknown error")
            << int(QKeychain::OtherError) << u"Unknown error"_s << u"no Secret Service"_s;
    QTest::newRow("no backend") << int(QKeychain::NoBackendAvailable) << QString()
                                << u"no keychain backend"_s;
    QTest::newRow("denied, with text") << int(QKeychain::AccessDenied) << u"locked"_s
                                       << u"access to the keychain was denied: locked"_s;
}

void tst_AuthorizationHardening::keychainProblemIsExplained()
{
    QFETCH(int, error);
    QFETCH(QString, errorString);
    QFETCH(QString, contains);
    const QString text = describeKeychainError(error, errorString);
    QVERIFY2(text.contains(contains), qPrintable(text));
    QVERIFY2(!text.contains(u"Unknown error"_s), qPrintable(text));
}

QTEST_GUILESS_MAIN(tst_AuthorizationHardening)
#include "tst_authorizationhardening.moc"
