// The fake authorization server of tests/support, over real HTTP: its metadata documents (RFC
// 8414, OpenID Connect Discovery, RFC 9728), dynamic client registration (RFC 7591), the
// authorization endpoint with PKCE (RFC 7636), every grant and client authentication method at the
// token endpoint (RFC 6749, RFC 7523), its injected failures, revocation (RFC 7009) and the
// resource-server helpers. Other tests trust this fake to refuse what a real server refuses: a
// fake that accepted everything would let them pass silently.
#include "support/fakeauthserver.h"

#include <QtCore/QCryptographicHash>
#include <QtCore/QDateTime>
#include <QtCore/QElapsedTimer>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QUrlQuery>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>
#include <QtTest/QTest>

#include <memory>

using namespace Qt::StringLiterals;
using namespace McpProxy::Test;

namespace {

struct Reply
{
    int status = 0; // 0: no answer
    QByteArray contentType;
    QByteArray location;
    QByteArray wwwAuthenticate;
    QByteArray retryAfter;
    QByteArray body;

    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
    QString error() const { return json().value(u"error").toString(); }
};

// One request, redirects not followed; waits at most `timeoutMs`.
Reply exchange(QNetworkAccessManager &nam, const QByteArray &method, const QUrl &url,
        const QByteArray &body = {}, const QList<std::pair<QByteArray, QByteArray>> &headers = {},
        int timeoutMs = 5000)
{
    QNetworkRequest request(url);
    request.setAttribute(
            QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    for (const auto &[name, value] : headers)
        request.setRawHeader(name, value);
    std::unique_ptr<QNetworkReply> reply(nam.sendCustomRequest(request, method, body));
    Reply result;
    if (!QTest::qWaitFor([&] { return reply->isFinished(); }, timeoutMs))
        return result;
    result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    result.contentType = reply->rawHeader("Content-Type");
    result.location = reply->rawHeader("Location");
    result.wwwAuthenticate = reply->rawHeader("WWW-Authenticate");
    result.retryAfter = reply->rawHeader("Retry-After");
    result.body = reply->readAll();
    return result;
}

// application/x-www-form-urlencoded (every reserved character percent-encoded).
QByteArray form(const QList<std::pair<QString, QString>> &fields)
{
    QByteArray body;
    for (const auto &[name, value] : fields) {
        body += (body.isEmpty() ? "" : "&") + QUrl::toPercentEncoding(name) + '='
                + QUrl::toPercentEncoding(value);
    }
    return body;
}

QList<std::pair<QByteArray, QByteArray>> formType()
{
    return {{"Content-Type", "application/x-www-form-urlencoded"}};
}

QString challengeOf(const QString &verifier)
{
    return QString::fromLatin1(
            QCryptographicHash::hash(verifier.toUtf8(), QCryptographicHash::Sha256)
                    .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

QByteArray basic(const QString &id, const QString &secret)
{
    return "Basic " + QByteArray(id.toUtf8() + ':' + secret.toUtf8()).toBase64();
}

QByteArray jwtPart(const QJsonObject &object)
{
    return QJsonDocument(object)
            .toJson(QJsonDocument::Compact)
            .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

const QString Verifier = u"a-verifier-of-the-required-length-43-characters-long"_s;
const QString Redirect = u"http://127.0.0.1:4711/callback"_s;

} // namespace

class tst_FakeAuthServer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void metadataAtEveryLocation_data();
    void metadataAtEveryLocation();
    void metadataCanBeChanged();
    void resourceMetadata_data();
    void resourceMetadata();
    void registration_data();
    void registration();
    void registrationFailureOnDemand();
    void authorization_data();
    void authorization();
    void consentPage();
    void authorizationCodeGrant_data();
    void authorizationCodeGrant();
    void reusedCodeRevokesWhatItProduced();
    void clientAuthentication_data();
    void clientAuthentication();
    void refreshGrant_data();
    void refreshGrant();
    void tokenEndpointRefusesMalformedRequests_data();
    void tokenEndpointRefusesMalformedRequests();
    void tokenFailuresOnDemand_data();
    void tokenFailuresOnDemand();
    void tokenShapes();
    void revocation_data();
    void revocation();
    void resourceServerSide();
    void cannedResponses();
    void deviceFlow_data();
    void deviceFlow();

private:
    // An authorization code for `clientId` (PKCE with Verifier, redirect to Redirect).
    QString codeFor(
            const QString &clientId, const QString &scope = {}, const QString &resource = {});
    Reply token(const QList<std::pair<QString, QString>> &fields,
            const QList<std::pair<QByteArray, QByteArray>> &headers = formType());

    std::unique_ptr<FakeAuthServer> m_auth;
    std::unique_ptr<QNetworkAccessManager> m_nam;
};

void tst_FakeAuthServer::init()
{
    m_auth = std::make_unique<FakeAuthServer>();
    m_nam = std::make_unique<QNetworkAccessManager>();
    QVERIFY(m_auth->listen());
    FakeOAuthClient confidential;
    confidential.clientId = u"conf"_s;
    confidential.clientSecret = u"s3cret"_s;
    confidential.tokenEndpointAuthMethod = QString(); // any method
    m_auth->addClient(confidential);
}

void tst_FakeAuthServer::cleanup()
{
    m_nam.reset();
    m_auth.reset();
}

QString tst_FakeAuthServer::codeFor(
        const QString &clientId, const QString &scope, const QString &resource)
{
    QUrlQuery query{{u"response_type"_s, u"code"_s}, {u"client_id"_s, clientId},
            {u"redirect_uri"_s, Redirect}, {u"code_challenge"_s, challengeOf(Verifier)},
            {u"code_challenge_method"_s, u"S256"_s}, {u"state"_s, u"st"_s}};
    if (!scope.isEmpty())
        query.addQueryItem(u"scope"_s, scope);
    if (!resource.isEmpty())
        query.addQueryItem(u"resource"_s, resource);
    QUrl url = m_auth->authorizationEndpoint();
    url.setQuery(query);
    return QUrlQuery(m_auth->approve(url)).queryItemValue(u"code"_s, QUrl::FullyDecoded);
}

Reply tst_FakeAuthServer::token(const QList<std::pair<QString, QString>> &fields,
        const QList<std::pair<QByteArray, QByteArray>> &headers)
{
    return exchange(*m_nam, "POST", m_auth->tokenEndpoint(), form(fields), headers);
}

void tst_FakeAuthServer::metadataAtEveryLocation_data()
{
    QTest::addColumn<FakeAuthServer::MetadataLocation>("location");
    QTest::addColumn<QString>("issuerPath");
    QTest::addColumn<QString>("path");
    using L = FakeAuthServer::MetadataLocation;
    QTest::newRow("RFC 8414, root issuer")
            << L::OAuthInserted << QString() << u"/.well-known/oauth-authorization-server"_s;
    QTest::newRow("RFC 8414, inserted")
            << L::OAuthInserted << u"/t1"_s << u"/.well-known/oauth-authorization-server/t1"_s;
    QTest::newRow("OIDC, inserted")
            << L::OidcInserted << u"/t1"_s << u"/.well-known/openid-configuration/t1"_s;
    QTest::newRow("OIDC, appended")
            << L::OidcAppended << u"t1/"_s << u"/t1/.well-known/openid-configuration"_s;
    QTest::newRow("RFC 8414 at the root")
            << L::OAuthRoot << u"/t1"_s << u"/.well-known/oauth-authorization-server"_s;
    QTest::newRow("OIDC at the root")
            << L::OidcRoot << u"/t1"_s << u"/.well-known/openid-configuration"_s;
}

void tst_FakeAuthServer::metadataAtEveryLocation()
{
    QFETCH(FakeAuthServer::MetadataLocation, location);
    QFETCH(QString, issuerPath);
    QFETCH(QString, path);
    m_auth->setIssuerPath(issuerPath);
    m_auth->setMetadataLocations({location});
    QCOMPARE(m_auth->metadataPath(location), path);

    const Reply reply = exchange(*m_nam, "GET", m_auth->url(path));
    QCOMPARE(reply.status, 200);
    QVERIFY(reply.contentType.startsWith("application/json"));
    const QJsonObject metadata = reply.json();
    QCOMPARE(metadata, m_auth->authorizationServerMetadata());
    const QString issuer = m_auth->url().toString(QUrl::StripTrailingSlash)
            + (issuerPath.isEmpty() ? QString() : u"/t1"_s);
    QCOMPARE(metadata.value(u"issuer").toString(), issuer);
    QCOMPARE(m_auth->issuer(), issuer);
    QCOMPARE(metadata.value(u"authorization_endpoint").toString(), issuer + u"/authorize");
    QCOMPARE(metadata.value(u"token_endpoint").toString(), issuer + u"/token");
    QCOMPARE(metadata.value(u"registration_endpoint").toString(), issuer + u"/register");
    QCOMPARE(metadata.value(u"revocation_endpoint").toString(), issuer + u"/revoke");
    QCOMPARE(metadata.value(u"code_challenge_methods_supported").toArray(), QJsonArray{u"S256"_s});
    QVERIFY(!metadata.contains(u"authorization_response_iss_parameter_supported"));
    QCOMPARE(m_auth->metadataCount(), 1);

    // Only the configured location answers; a POST is not a metadata request.
    using L = FakeAuthServer::MetadataLocation;
    for (const L other :
            {L::OAuthInserted, L::OidcInserted, L::OidcAppended, L::OAuthRoot, L::OidcRoot}) {
        if (m_auth->metadataPath(other) != path)
            QCOMPARE(exchange(*m_nam, "GET", m_auth->url(m_auth->metadataPath(other))).status, 404);
    }
    QCOMPARE(exchange(*m_nam, "POST", m_auth->url(path)).status, 405);
}

void tst_FakeAuthServer::metadataCanBeChanged()
{
    m_auth->setAdvertisedIssuer(u"https://elsewhere.example"_s);
    m_auth->setMetadataValue(u"token_endpoint"_s, u"https://elsewhere.example/token"_s);
    m_auth->setMetadataValue(u"revocation_endpoint"_s, QJsonValue(QJsonValue::Undefined));
    m_auth->setRegistrationEnabled(false);
    m_auth->setScopesSupported({u"read"_s, u"write"_s});
    m_auth->setIssParameter(true);
    const QJsonObject metadata =
            exchange(*m_nam, "GET", m_auth->url(u"/.well-known/oauth-authorization-server"_s))
                    .json();
    QCOMPARE(metadata.value(u"issuer").toString(), u"https://elsewhere.example"_s);
    QCOMPARE(metadata.value(u"token_endpoint").toString(), u"https://elsewhere.example/token"_s);
    QVERIFY(!metadata.contains(u"revocation_endpoint"));
    QVERIFY(!metadata.contains(u"registration_endpoint"));
    QCOMPARE(metadata.value(u"scopes_supported").toArray(), (QJsonArray{u"read"_s, u"write"_s}));
    QCOMPARE(metadata.value(u"authorization_response_iss_parameter_supported").toBool(), true);
    // Registration disabled: /register is not served at all.
    const Reply reply = exchange(*m_nam, "POST", m_auth->registrationEndpoint(), "{}",
            {{"Content-Type", "application/json"}});
    QCOMPARE(reply.status, 404);
    QCOMPARE(m_auth->registerCount(), 0);
}

void tst_FakeAuthServer::resourceMetadata_data()
{
    QTest::addColumn<QString>("resource");
    QTest::addColumn<FakeAuthServer::ResourceMetadataLocation>("location");
    QTest::addColumn<QString>("path");
    using L = FakeAuthServer::ResourceMetadataLocation;
    QTest::newRow("path inserted (RFC 9728 section 3.1)")
            << u"https://mcp.example/api/mcp"_s << L::PathInserted
            << u"/.well-known/oauth-protected-resource/api/mcp"_s;
    QTest::newRow("root") << u"https://mcp.example/api/mcp"_s << L::Root
                          << u"/.well-known/oauth-protected-resource"_s;
    QTest::newRow("resource without a path") << u"https://mcp.example/"_s << L::PathInserted
                                             << u"/.well-known/oauth-protected-resource"_s;
}

void tst_FakeAuthServer::resourceMetadata()
{
    QFETCH(QString, resource);
    QFETCH(FakeAuthServer::ResourceMetadataLocation, location);
    QFETCH(QString, path);
    QCOMPARE(FakeAuthServer::resourceMetadataPath(QUrl(resource), location), path);
    m_auth->setProtectedResource(resource, {location}, {u"mcp:tools"_s});
    m_auth->addResourceMetadataPath(u"/prm"_s);
    QCOMPARE(m_auth->resourceMetadataUrl(), m_auth->url(path));

    for (const QString &served : {path, u"/prm"_s}) {
        const Reply reply = exchange(*m_nam, "GET", m_auth->url(served));
        QCOMPARE(reply.status, 200);
        const QJsonObject metadata = reply.json();
        QCOMPARE(metadata.value(u"resource").toString(), resource);
        QCOMPARE(metadata.value(u"authorization_servers").toArray(), QJsonArray{m_auth->issuer()});
        QCOMPARE(metadata.value(u"scopes_supported").toArray(), QJsonArray{u"mcp:tools"_s});
    }
    QCOMPARE(m_auth->resourceMetadataCount(), 2);

    m_auth->setResourceMetadataValue(u"resource"_s, u"https://other.example/"_s);
    m_auth->setResourceMetadataValue(u"scopes_supported"_s, QJsonValue(QJsonValue::Undefined));
    const QJsonObject changed = exchange(*m_nam, "GET", m_auth->url(path)).json();
    QCOMPARE(changed.value(u"resource").toString(), u"https://other.example/"_s);
    QVERIFY(!changed.contains(u"scopes_supported"));

    // RFC 6750 section 3 / RFC 9728 section 5.1.
    QCOMPARE(m_auth->bearerChallenge(),
            "Bearer resource_metadata=\"" + m_auth->url(path).toEncoded() + '"');
    QCOMPARE(m_auth->bearerChallenge(u"a b"_s, u"insufficient_scope"_s),
            "Bearer resource_metadata=\"" + m_auth->url(path).toEncoded()
                    + "\", scope=\"a b\", error=\"insufficient_scope\"");
}

void tst_FakeAuthServer::registration_data()
{
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<bool>("issueSecrets");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("error");
    QTest::addColumn<QString>("method"); // registered token_endpoint_auth_method
    QTest::addColumn<bool>("secret");
    const QByteArray json = "application/json";
    const QByteArray redirect = R"("redirect_uris":["http://127.0.0.1:4711/callback"])";
    QTest::newRow("public client")
            << json << "{" + redirect + R"(,"token_endpoint_auth_method":"none"})" << true << 201
            << QString() << u"none"_s << false;
    QTest::newRow("default method is client_secret_basic (RFC 7591 section 2)")
            << json << "{" + redirect + "}" << true << 201 << QString() << u"client_secret_basic"_s
            << true;
    QTest::newRow("client_secret_post without secrets")
            << json << "{" + redirect + R"(,"token_endpoint_auth_method":"client_secret_post"})"
            << false << 201 << QString() << u"client_secret_post"_s << false;
    QTest::newRow("client_credentials needs no redirect URI")
            << json
            << QByteArray(
                       R"({"grant_types":["client_credentials"],"token_endpoint_auth_method":"private_key_jwt"})")
            << true << 201 << QString() << u"private_key_jwt"_s << false;
    QTest::newRow("authorization_code without redirect URIs")
            << json << QByteArray("{}") << true << 400 << u"invalid_redirect_uri"_s << QString()
            << false;
    QTest::newRow("redirect URI with a fragment")
            << json << QByteArray(R"({"redirect_uris":["http://127.0.0.1/cb#x"]})") << true << 400
            << u"invalid_redirect_uri"_s << QString() << false;
    QTest::newRow("relative redirect URI")
            << json << QByteArray(R"({"redirect_uris":["/cb"]})") << true << 400
            << u"invalid_redirect_uri"_s << QString() << false;
    QTest::newRow("unknown method")
            << json << "{" + redirect + R"(,"token_endpoint_auth_method":"tls_client_auth"})"
            << true << 400 << u"invalid_client_metadata"_s << QString() << false;
    QTest::newRow("not JSON") << json << QByteArray("redirect_uris=x") << true << 400
                              << u"invalid_client_metadata"_s << QString() << false;
    QTest::newRow("form content type")
            << QByteArray("application/x-www-form-urlencoded") << "{" + redirect + "}" << true
            << 400 << u"invalid_client_metadata"_s << QString() << false;
}

void tst_FakeAuthServer::registration()
{
    QFETCH(QByteArray, contentType);
    QFETCH(QByteArray, body);
    QFETCH(bool, issueSecrets);
    QFETCH(int, status);
    QFETCH(QString, error);
    QFETCH(QString, method);
    QFETCH(bool, secret);
    m_auth->setIssueClientSecrets(issueSecrets);
    const Reply reply = exchange(
            *m_nam, "POST", m_auth->registrationEndpoint(), body, {{"Content-Type", contentType}});
    QCOMPARE(reply.status, status);
    QCOMPARE(m_auth->registerCount(), 1);
    QCOMPARE(m_auth->registrations().size(), 1);
    if (status != 201) {
        QCOMPARE(reply.error(), error);
        return;
    }
    const QJsonObject client = reply.json();
    const QString clientId = client.value(u"client_id").toString();
    QVERIFY(!clientId.isEmpty());
    QVERIFY(client.contains(u"client_id_issued_at"));
    QCOMPARE(client.value(u"token_endpoint_auth_method").toString(), method);
    QCOMPARE(client.contains(u"client_secret"), secret);
    const std::optional<FakeOAuthClient> known = m_auth->client(clientId);
    QVERIFY(known);
    QCOMPARE(known->tokenEndpointAuthMethod, method);
    QCOMPARE(known->clientSecret, client.value(u"client_secret").toString());
    QCOMPARE(known->registeredMetadata, QJsonDocument::fromJson(body).object());
}

void tst_FakeAuthServer::registrationFailureOnDemand()
{
    m_auth->failRegistration(u"invalid_software_statement"_s, u"nope"_s, 403, 2);
    const QByteArray body = R"({"redirect_uris":["http://127.0.0.1:4711/callback"]})";
    const QList<std::pair<QByteArray, QByteArray>> json = {{"Content-Type", "application/json"}};
    for (int i = 0; i < 2; ++i) {
        const Reply reply = exchange(*m_nam, "POST", m_auth->registrationEndpoint(), body, json);
        QCOMPARE(reply.status, 403);
        QCOMPARE(reply.error(), u"invalid_software_statement"_s);
        QCOMPARE(reply.json().value(u"error_description").toString(), u"nope"_s);
    }
    QCOMPARE(exchange(*m_nam, "POST", m_auth->registrationEndpoint(), body, json).status, 201);
    QCOMPARE(exchange(*m_nam, "GET", m_auth->registrationEndpoint()).status, 405);
    QCOMPARE(m_auth->registerCount(), 4);
}

void tst_FakeAuthServer::authorization_data()
{
    QTest::addColumn<QString>("query"); // %1: the code challenge
    QTest::addColumn<QString>("setup");
    QTest::addColumn<QString>("error"); // "": a code; "refused": no redirect at all
    const QString good = u"response_type=code&client_id=pub&redirect_uri=http://127.0.0.1:4711/"
                         u"callback&code_challenge=%1&code_challenge_method=S256&state=st"_s;
    QTest::newRow("valid") << good << QString() << QString();
    QTest::newRow("known client, registered redirect URI")
            << QString(good).replace(u"client_id=pub"_s, u"client_id=reg"_s) << u"known"_s
            << QString();
    QTest::newRow("no PKCE")
            << u"response_type=code&client_id=pub&redirect_uri=http://127.0.0.1:4711/callback&state=st"_s
            << QString() << u"invalid_request"_s;
    QTest::newRow("PKCE plain") << QString(good).replace(u"S256"_s, u"plain"_s) << QString()
                                << u"invalid_request"_s;
    QTest::newRow("implicit grant")
            << QString(good).replace(u"response_type=code"_s, u"response_type=token"_s) << QString()
            << u"unsupported_response_type"_s;
    QTest::newRow("resource required") << good << u"requireResource"_s << u"invalid_target"_s;
    QTest::newRow("injected error") << good << u"fail"_s << u"access_denied"_s;
    QTest::newRow("grant not registered")
            << QString(good).replace(u"client_id=pub"_s, u"client_id=m2m"_s) << u"known"_s
            << u"unauthorized_client"_s;
    QTest::newRow("no client_id") << QString(good).replace(u"client_id=pub&"_s, QString())
                                  << QString() << u"refused"_s;
    QTest::newRow("unknown client when known clients are required")
            << good << u"requireKnown"_s << u"refused"_s;
    QTest::newRow("redirect URI not registered")
            << QString(good)
                       .replace(u"client_id=pub"_s, u"client_id=reg"_s)
                       .replace(u"4711"_s, u"4712"_s)
            << u"known"_s << u"refused"_s;
    QTest::newRow("no redirect URI")
            << QString(good).replace(u"redirect_uri=http://127.0.0.1:4711/callback&"_s, QString())
            << QString() << u"refused"_s;
}

void tst_FakeAuthServer::authorization()
{
    QFETCH(QString, query);
    QFETCH(QString, setup);
    QFETCH(QString, error);
    FakeOAuthClient registered;
    registered.clientId = u"reg"_s;
    registered.redirectUris = {Redirect};
    m_auth->addClient(registered);
    FakeOAuthClient machine;
    machine.clientId = u"m2m"_s;
    machine.grantTypes = {u"client_credentials"_s};
    m_auth->addClient(machine);
    if (setup == u"requireResource")
        m_auth->setRequireResource(true);
    if (setup == u"fail")
        m_auth->failAuthorization(u"access_denied"_s);
    if (setup == u"requireKnown")
        m_auth->setRequireKnownClients(true);

    QUrl url = m_auth->authorizationEndpoint();
    url.setQuery(query.contains(u"%1") ? query.arg(challengeOf(Verifier)) : query);
    // Through HTTP, as a browser would send it, and through approve(), as the tests call it.
    const Reply reply = exchange(*m_nam, "GET", url);
    const QUrl approved = m_auth->approve(url);
    QCOMPARE(m_auth->authorizeCount(), 2);
    QCOMPARE(m_auth->authorizeRequests().size(), 2);
    if (error == u"refused") {
        QCOMPARE(reply.status, 400);
        QVERIFY(reply.location.isEmpty());
        QVERIFY(approved.isEmpty());
        QVERIFY(!m_auth->authorizeRequests().last().error.isEmpty());
        return;
    }
    QCOMPARE(reply.status, 302);
    for (const QUrl &redirect : {QUrl::fromEncoded(reply.location), approved}) {
        QCOMPARE(redirect.adjusted(QUrl::RemoveQuery).toString(),
                QUrl(query.section(u"redirect_uri="_s, 1).section(u'&', 0, 0)).toString());
        const QUrlQuery answer(redirect);
        QCOMPARE(answer.queryItemValue(u"state"_s), u"st"_s);
        QVERIFY(!answer.hasQueryItem(u"iss"_s));
        if (error.isEmpty()) {
            QVERIFY(!answer.queryItemValue(u"code"_s).isEmpty());
            QVERIFY(!answer.hasQueryItem(u"error"_s));
        } else if (setup == u"fail") {
            // Injected once: the first request fails, the second gets its code.
            QCOMPARE(
                    QUrlQuery(QUrl::fromEncoded(reply.location)).queryItemValue(u"error"_s), error);
            QVERIFY(!QUrlQuery(approved).queryItemValue(u"code"_s).isEmpty());
            break;
        } else {
            QCOMPARE(answer.queryItemValue(u"error"_s), error);
            QVERIFY(!answer.hasQueryItem(u"code"_s));
        }
    }
    const FakeAuthorizeRequest &record = m_auth->authorizeRequests().first();
    QCOMPARE(record.state, u"st"_s);
    QCOMPARE(record.error, error);
}

void tst_FakeAuthServer::consentPage()
{
    m_auth->setConsentPage(true);
    m_auth->setIssParameter(true);
    QUrl url = m_auth->authorizationEndpoint();
    url.setQuery(QUrlQuery{{u"response_type"_s, u"code"_s}, {u"client_id"_s, u"pub"_s},
            {u"redirect_uri"_s, Redirect}, {u"code_challenge"_s, challengeOf(Verifier)},
            {u"code_challenge_method"_s, u"S256"_s}, {u"state"_s, u"st"_s},
            {u"scope"_s, u"<b>"_s}});
    const Reply page = exchange(*m_nam, "GET", url);
    QCOMPARE(page.status, 200);
    QVERIFY(page.contentType.startsWith("text/html"));
    QVERIFY(page.body.contains("id=\"approve\""));
    QVERIFY(page.body.contains("id=\"deny\""));
    QVERIFY(page.body.contains("&lt;b&gt;")); // escaped
    QVERIFY(!page.body.contains("<b>"));
    QCOMPARE(m_auth->authorizeCount(), 0); // showing the page is not an authorization yet

    QUrl deny = url;
    deny.setQuery(url.query(QUrl::FullyEncoded) + u"&consent=deny"_s, QUrl::StrictMode);
    const QUrlQuery denied(QUrl::fromEncoded(exchange(*m_nam, "GET", deny).location));
    QCOMPARE(denied.queryItemValue(u"error"_s), u"access_denied"_s);
    QCOMPARE(denied.queryItemValue(u"state"_s), u"st"_s);

    QUrl approve = url;
    approve.setQuery(url.query(QUrl::FullyEncoded) + u"&consent=approve"_s, QUrl::StrictMode);
    const QUrlQuery approved(QUrl::fromEncoded(exchange(*m_nam, "GET", approve).location));
    QVERIFY(!approved.queryItemValue(u"code"_s).isEmpty());
    QCOMPARE(approved.queryItemValue(u"iss"_s, QUrl::FullyDecoded),
            m_auth->issuer()); // RFC 9207 section 2
    m_auth->setIssParameterValue(u"https://evil.example"_s);
    QCOMPARE(QUrlQuery(m_auth->approve(url)).queryItemValue(u"iss"_s, QUrl::FullyDecoded),
            u"https://evil.example"_s);
}

void tst_FakeAuthServer::authorizationCodeGrant_data()
{
    QTest::addColumn<QString>("change"); // what differs from the correct token request
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("error");
    QTest::newRow("correct") << QString() << 200 << QString();
    QTest::newRow("wrong verifier (RFC 7636 section 4.6)")
            << u"verifier"_s << 400 << u"invalid_grant"_s;
    QTest::newRow("no verifier") << u"noVerifier"_s << 400 << u"invalid_request"_s;
    QTest::newRow("redirect_uri differs") << u"redirect"_s << 400 << u"invalid_grant"_s;
    QTest::newRow("another client") << u"client"_s << 400 << u"invalid_grant"_s;
    QTest::newRow("unknown code") << u"code"_s << 400 << u"invalid_grant"_s;
    QTest::newRow("resource differs (RFC 8707)") << u"resource"_s << 400 << u"invalid_target"_s;
}

void tst_FakeAuthServer::authorizationCodeGrant()
{
    QFETCH(QString, change);
    QFETCH(int, status);
    QFETCH(QString, error);
    const QString code = codeFor(u"pub"_s, u"read"_s, u"https://mcp.example/"_s);
    QVERIFY(!code.isEmpty());
    QList<std::pair<QString, QString>> fields{{u"grant_type"_s, u"authorization_code"_s},
            {u"code"_s, change == u"code" ? u"code-x"_s : code},
            {u"redirect_uri"_s, change == u"redirect" ? Redirect + u'/' : Redirect},
            {u"client_id"_s, change == u"client" ? u"other"_s : u"pub"_s}};
    if (change == u"verifier")
        fields.append({u"code_verifier"_s, Verifier + u'x'});
    else if (change != u"noVerifier")
        fields.append({u"code_verifier"_s, Verifier});
    if (change == u"resource")
        fields.append({u"resource"_s, u"https://other.example/"_s});
    const Reply reply = token(fields);
    QCOMPARE(reply.status, status);
    QCOMPARE(m_auth->tokenCount(), 1);
    QCOMPARE(m_auth->tokenRequests().size(), 1);
    const FakeTokenRequest &record = m_auth->tokenRequests().first();
    QCOMPARE(record.grantType, u"authorization_code"_s);
    QCOMPARE(record.clientAuthMethod, u"none"_s);
    QCOMPARE(record.status, status);
    QCOMPARE(record.error, error);
    QCOMPARE(reply.error(), error);
    if (status != 200) {
        QCOMPARE(m_auth->issuedAccessTokenCount(), 0);
        return;
    }
    const QJsonObject tokens = reply.json();
    QCOMPARE(tokens.value(u"token_type").toString(), u"Bearer"_s);
    QCOMPARE(tokens.value(u"expires_in").toInt(), 3600);
    QCOMPARE(tokens.value(u"scope").toString(), u"read"_s);
    const QString access = tokens.value(u"access_token").toString();
    QCOMPARE(access, m_auth->latestAccessToken());
    QCOMPARE(tokens.value(u"refresh_token").toString(), m_auth->latestRefreshToken());
    QVERIFY(m_auth->isAccessTokenValid(access));
    QCOMPARE(m_auth->accessTokenScope(access), u"read"_s);
    QCOMPARE(m_auth->accessTokenResource(access), u"https://mcp.example/"_s);
}

void tst_FakeAuthServer::reusedCodeRevokesWhatItProduced()
{
    const QString code = codeFor(u"pub"_s);
    const QList<std::pair<QString, QString>> fields{{u"grant_type"_s, u"authorization_code"_s},
            {u"code"_s, code}, {u"redirect_uri"_s, Redirect}, {u"client_id"_s, u"pub"_s},
            {u"code_verifier"_s, Verifier}};
    const Reply first = token(fields);
    QCOMPARE(first.status, 200);
    const QString access = first.json().value(u"access_token").toString();
    const QString refresh = first.json().value(u"refresh_token").toString();
    QVERIFY(m_auth->isAccessTokenValid(access));
    // RFC 6749 section 4.1.2: the second use fails and revokes the tokens of the first.
    const Reply second = token(fields);
    QCOMPARE(second.status, 400);
    QCOMPARE(second.error(), u"invalid_grant"_s);
    QVERIFY(!m_auth->isAccessTokenValid(access));
    const Reply renewal = token({{u"grant_type"_s, u"refresh_token"_s},
            {u"refresh_token"_s, refresh}, {u"client_id"_s, u"pub"_s}});
    QCOMPARE(renewal.error(), u"invalid_grant"_s);
}

void tst_FakeAuthServer::clientAuthentication_data()
{
    QTest::addColumn<QString>("method");
    QTest::addColumn<QString>("registeredFor"); // "": any method
    QTest::addColumn<QString>("secret");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("error");
    QTest::addColumn<QString>("recorded"); // FakeTokenRequest::clientAuthMethod
    QTest::newRow("client_secret_basic") << u"basic"_s << QString() << u"s3cret"_s << 200
                                         << QString() << u"client_secret_basic"_s;
    QTest::newRow("client_secret_post")
            << u"post"_s << QString() << u"s3cret"_s << 200 << QString() << u"client_secret_post"_s;
    QTest::newRow("basic, wrong secret") << u"basic"_s << QString() << u"wrong"_s << 401
                                         << u"invalid_client"_s << u"client_secret_basic"_s;
    QTest::newRow("post, wrong secret") << u"post"_s << QString() << u"wrong"_s << 401
                                        << u"invalid_client"_s << u"client_secret_post"_s;
    QTest::newRow("post, registered for basic")
            << u"post"_s << u"client_secret_basic"_s << u"s3cret"_s << 401 << u"invalid_client"_s
            << u"client_secret_post"_s;
    QTest::newRow("two methods (RFC 6749 section 2.3)")
            << u"both"_s << QString() << u"s3cret"_s << 400 << u"invalid_request"_s << QString();
    QTest::newRow("basic, differing client_id")
            << u"basicOtherId"_s << QString() << u"s3cret"_s << 400 << u"invalid_request"_s
            << u"client_secret_basic"_s;
    QTest::newRow("malformed Basic") << u"basicMalformed"_s << QString() << QString() << 401
                                     << u"invalid_client"_s << QString();
    QTest::newRow("private_key_jwt")
            << u"jwt"_s << QString() << QString() << 200 << QString() << u"private_key_jwt"_s;
    QTest::newRow("private_key_jwt, expired") << u"jwtExpired"_s << QString() << QString() << 401
                                              << u"invalid_client"_s << u"private_key_jwt"_s;
    QTest::newRow("private_key_jwt, HS256") << u"jwtHs256"_s << QString() << QString() << 401
                                            << u"invalid_client"_s << u"private_key_jwt"_s;
    QTest::newRow("private_key_jwt, wrong audience")
            << u"jwtAudience"_s << QString() << QString() << 401 << u"invalid_client"_s
            << u"private_key_jwt"_s;
    QTest::newRow("private_key_jwt, not a JWT")
            << u"jwtMalformed"_s << QString() << QString() << 401 << u"invalid_client"_s
            << u"private_key_jwt"_s;
    QTest::newRow("client_credentials without authentication (RFC 6749 section 4.4)")
            << u"none"_s << QString() << QString() << 400 << u"unauthorized_client"_s << u"none"_s;
}

void tst_FakeAuthServer::clientAuthentication()
{
    QFETCH(QString, method);
    QFETCH(QString, registeredFor);
    QFETCH(QString, secret);
    QFETCH(int, status);
    QFETCH(QString, error);
    QFETCH(QString, recorded);
    if (!registeredFor.isEmpty()) {
        FakeOAuthClient client = *m_auth->client(u"conf"_s);
        client.tokenEndpointAuthMethod = registeredFor;
        m_auth->addClient(client);
    }
    QList<std::pair<QString, QString>> fields{
            {u"grant_type"_s, u"client_credentials"_s}, {u"scope"_s, u"jobs"_s}};
    QList<std::pair<QByteArray, QByteArray>> headers = formType();
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    QJsonObject claims{{u"iss"_s, u"conf"_s}, {u"sub"_s, u"conf"_s},
            {u"aud"_s, m_auth->tokenEndpoint().toString()}, {u"exp"_s, now + 60}, {u"iat"_s, now},
            {u"jti"_s, u"j1"_s}};
    QJsonObject header{{u"alg"_s, u"ES256"_s}, {u"typ"_s, u"JWT"_s}};
    if (method == u"jwtExpired")
        claims.insert(u"exp"_s, now - 1);
    if (method == u"jwtHs256")
        header.insert(u"alg"_s, u"HS256"_s);
    if (method == u"jwtAudience")
        claims.insert(u"aud"_s, u"https://elsewhere.example/token"_s);
    if (method == u"basic" || method == u"both")
        headers.append({"Authorization", basic(u"conf"_s, secret)});
    if (method == u"basicOtherId") {
        headers.append({"Authorization", basic(u"conf"_s, secret)});
        fields.append({u"client_id"_s, u"pub"_s});
    }
    if (method == u"basicMalformed")
        headers.append({"Authorization", "Basic " + QByteArray("no-colon").toBase64()});
    if (method == u"post" || method == u"both")
        fields += {{u"client_id"_s, u"conf"_s}, {u"client_secret"_s, secret}};
    if (method == u"none")
        fields.append({u"client_id"_s, u"conf"_s});
    if (method.startsWith(u"jwt")) {
        const QByteArray assertion = method == u"jwtMalformed"
                ? QByteArray("not-a-jwt")
                : jwtPart(header) + '.' + jwtPart(claims) + ".c2ln";
        fields += {{u"client_assertion_type"_s,
                           u"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"_s},
                {u"client_assertion"_s, QString::fromLatin1(assertion)}};
    }
    const Reply reply = token(fields, headers);
    QCOMPARE(reply.status, status);
    QCOMPARE(reply.error(), error);
    // RFC 6749 section 5.2: a client that used the Authorization header is challenged.
    QCOMPARE(!reply.wwwAuthenticate.isEmpty(), status == 401 && recorded == u"client_secret_basic");
    const FakeTokenRequest &record = m_auth->tokenRequests().last();
    QCOMPARE(record.clientAuthMethod, recorded);
    if (status != 200)
        return;
    QCOMPARE(record.clientId, u"conf"_s);
    const QJsonObject tokens = reply.json();
    QVERIFY(!tokens.contains(u"refresh_token")); // none for client_credentials
    QCOMPARE(tokens.value(u"scope").toString(), u"jobs"_s);
    QVERIFY(m_auth->acceptsAuthorization(
            "Bearer " + tokens.value(u"access_token").toString().toUtf8(), u"jobs"_s));
    if (method == u"basic")
        QCOMPARE(record.basicClientSecret, secret);
    if (method == u"jwt") {
        QCOMPARE(record.assertionClaims, claims);
        QCOMPARE(record.assertionHeader, header);
        // RFC 7523 section 3: the same jti twice is a replay.
        const Reply replay = token(fields, headers);
        QCOMPARE(replay.status, 401);
        QCOMPARE(replay.error(), u"invalid_client"_s);
    }
}

void tst_FakeAuthServer::refreshGrant_data()
{
    QTest::addColumn<bool>("rotate");
    QTest::addColumn<QString>("scope"); // requested on refresh
    QTest::addColumn<QString>("error");
    QTest::addColumn<QString>("grantedScope");
    QTest::newRow("rotation (OAuth 2.1 section 4.3.1)")
            << true << QString() << QString() << u"read write"_s;
    QTest::newRow("no rotation") << false << QString() << QString() << u"read write"_s;
    QTest::newRow("narrower scope") << true << u"read"_s << QString() << u"read"_s;
    QTest::newRow("wider scope (RFC 6749 section 6)")
            << true << u"read admin"_s << u"invalid_scope"_s << QString();
}

void tst_FakeAuthServer::refreshGrant()
{
    QFETCH(bool, rotate);
    QFETCH(QString, scope);
    QFETCH(QString, error);
    QFETCH(QString, grantedScope);
    m_auth->setRotateRefreshTokens(rotate);
    const QString code = codeFor(u"pub"_s, u"read write"_s);
    const Reply first = token({{u"grant_type"_s, u"authorization_code"_s}, {u"code"_s, code},
            {u"redirect_uri"_s, Redirect}, {u"client_id"_s, u"pub"_s},
            {u"code_verifier"_s, Verifier}});
    QCOMPARE(first.status, 200);
    const QString refresh = first.json().value(u"refresh_token").toString();
    QVERIFY(!refresh.isEmpty());

    // Another client may not use it.
    QCOMPARE(token({{u"grant_type"_s, u"refresh_token"_s}, {u"refresh_token"_s, refresh},
                           {u"client_id"_s, u"other"_s}})
                     .error(),
            u"invalid_grant"_s);
    QList<std::pair<QString, QString>> fields{{u"grant_type"_s, u"refresh_token"_s},
            {u"refresh_token"_s, refresh}, {u"client_id"_s, u"pub"_s}};
    if (!scope.isEmpty())
        fields.append({u"scope"_s, scope});
    const Reply renewed = token(fields);
    QCOMPARE(renewed.error(), error);
    if (!error.isEmpty())
        return;
    QCOMPARE(renewed.status, 200);
    const QJsonObject tokens = renewed.json();
    QCOMPARE(tokens.value(u"scope").toString(), grantedScope);
    QVERIFY(tokens.value(u"access_token").toString()
            != first.json().value(u"access_token").toString());
    QCOMPARE(tokens.contains(u"refresh_token"), rotate);
    // With rotation, the old refresh token is spent.
    QCOMPARE(token(fields).status, rotate ? 400 : 200);
}

void tst_FakeAuthServer::tokenEndpointRefusesMalformedRequests_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("error");
    const QByteArray formType = "application/x-www-form-urlencoded";
    QTest::newRow("GET") << QByteArray("GET") << QByteArray() << QByteArray() << 405 << QString();
    QTest::newRow("JSON body") << QByteArray("POST") << QByteArray("application/json")
                               << QByteArray(R"({"grant_type":"client_credentials"})") << 400
                               << u"invalid_request"_s;
    QTest::newRow("repeated parameter (RFC 6749 section 3.2)")
            << QByteArray("POST") << formType
            << QByteArray("grant_type=client_credentials&client_id=conf&client_secret=s3cret&"
                          "scope=a&scope=b")
            << 400 << u"invalid_request"_s;
    QTest::newRow("unsupported grant")
            << QByteArray("POST") << formType
            << QByteArray("grant_type=password&client_id=conf&client_secret=s3cret") << 400
            << u"unsupported_grant_type"_s;
    QTest::newRow("no client") << QByteArray("POST") << formType
                               << QByteArray("grant_type=client_credentials") << 401
                               << u"invalid_client"_s;
}

void tst_FakeAuthServer::tokenEndpointRefusesMalformedRequests()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, contentType);
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    QFETCH(QString, error);
    QList<std::pair<QByteArray, QByteArray>> headers;
    if (!contentType.isEmpty())
        headers.append({"Content-Type", contentType});
    const Reply reply = exchange(*m_nam, method, m_auth->tokenEndpoint(), body, headers);
    QCOMPARE(reply.status, status);
    QCOMPARE(reply.error(), error);
    QCOMPARE(m_auth->tokenRequests().size(), 1);
    QCOMPARE(m_auth->tokenRequests().first().status, status);
    QCOMPARE(m_auth->issuedAccessTokenCount(), 0);
}

void tst_FakeAuthServer::tokenFailuresOnDemand_data()
{
    QTest::addColumn<FakeAuthServer::TokenFailure>("failure");
    QTest::addColumn<int>("status"); // 0: no answer
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QString>("recorded");
    using F = FakeAuthServer::TokenFailure;
    const QByteArray json = "application/json";
    QTest::newRow("invalid_grant") << F::InvalidGrant << 400 << json << u"invalid_grant"_s;
    QTest::newRow("invalid_client") << F::InvalidClient << 401 << json << u"invalid_client"_s;
    QTest::newRow("temporarily_unavailable")
            << F::TemporarilyUnavailable << 503 << json << u"temporarily_unavailable"_s;
    QTest::newRow("500") << F::ServerError500 << 500 << QByteArray("text/plain")
                         << u"injected_500"_s;
    QTest::newRow("HTML") << F::NonJson << 200 << QByteArray("text/html") << u"injected_non_json"_s;
    QTest::newRow("redirect") << F::Redirect << 307 << QByteArray() << u"injected_redirect"_s;
    QTest::newRow("hang") << F::Hang << 0 << QByteArray() << u"injected_hang"_s;
}

void tst_FakeAuthServer::tokenFailuresOnDemand()
{
    QFETCH(FakeAuthServer::TokenFailure, failure);
    QFETCH(int, status);
    QFETCH(QByteArray, contentType);
    QFETCH(QString, recorded);
    m_auth->failToken(failure, 2);
    const QList<std::pair<QString, QString>> fields{{u"grant_type"_s, u"client_credentials"_s},
            {u"client_id"_s, u"conf"_s}, {u"client_secret"_s, u"s3cret"_s}};
    for (int i = 0; i < 2; ++i) {
        const Reply reply = exchange(*m_nam, "POST", m_auth->tokenEndpoint(), form(fields),
                formType(), status == 0 ? 300 : 5000);
        QCOMPARE(reply.status, status);
        QVERIFY(reply.contentType.startsWith(contentType));
        QCOMPARE(m_auth->tokenRequests().last().error, recorded);
        if (failure == FakeAuthServer::TokenFailure::TemporarilyUnavailable)
            QCOMPARE(reply.retryAfter, "1"_ba);
        if (failure == FakeAuthServer::TokenFailure::Redirect)
            QCOMPARE(QUrl::fromEncoded(reply.location).path(), u"/elsewhere/token"_s);
    }
    QCOMPARE(m_auth->issuedAccessTokenCount(), 0);
    // Used up after `times`: the third request gets its tokens; clearTokenFailures() drops the
    // rest of a longer run.
    QCOMPARE(token(fields).status, 200);
    m_auth->failToken(failure, -1);
    m_auth->clearTokenFailures();
    QCOMPARE(token(fields).status, 200);
    QCOMPARE(m_auth->tokenCount(), 4);
}

void tst_FakeAuthServer::tokenShapes()
{
    const QList<std::pair<QString, QString>> fields{{u"grant_type"_s, u"client_credentials"_s},
            {u"client_id"_s, u"conf"_s}, {u"client_secret"_s, u"s3cret"_s},
            {u"scope"_s, u"asked"_s}};
    m_auth->setAccessTokenLifetime(-1);
    m_auth->setGrantedScope(u"given"_s);
    m_auth->setTokenSpecialCharacters(true);
    const QJsonObject tokens = token(fields).json();
    QVERIFY(!tokens.contains(u"expires_in"));
    QCOMPARE(tokens.value(u"scope").toString(), u"given"_s);
    const QString access = tokens.value(u"access_token").toString();
    QVERIFY(access.contains(u'+') && access.contains(u'/') && access.endsWith(u'='));
    QVERIFY(!access.contains(u'%')); // still an RFC 6750 b64token
    QVERIFY(m_auth->isAccessTokenValid(access)); // no lifetime: never expires

    m_auth->setAccessTokenLifetime(1);
    const QString shortLived = token(fields).json().value(u"access_token").toString();
    QVERIFY(m_auth->isAccessTokenValid(shortLived));
    m_auth->expireAccessTokens();
    QVERIFY(!m_auth->isAccessTokenValid(shortLived));
    QVERIFY(!m_auth->isAccessTokenValid(access));

    // A delayed answer arrives after the delay.
    m_auth->setTokenDelayMs(300);
    QElapsedTimer clock;
    clock.start();
    QCOMPARE(token(fields).status, 200);
    QVERIFY(clock.elapsed() >= 250);

    // No refresh tokens when told so.
    m_auth->setTokenDelayMs(0);
    m_auth->setIssueRefreshTokens(false);
    const Reply code = token({{u"grant_type"_s, u"authorization_code"_s},
            {u"code"_s, codeFor(u"pub"_s)}, {u"redirect_uri"_s, Redirect},
            {u"client_id"_s, u"pub"_s}, {u"code_verifier"_s, Verifier}});
    QCOMPARE(code.status, 200);
    QVERIFY(!code.json().contains(u"refresh_token"));
}

void tst_FakeAuthServer::revocation_data()
{
    QTest::addColumn<QString>("which"); // access, refresh, unknown, missing, badClient
    QTest::addColumn<int>("status");
    QTest::addColumn<bool>("known");
    QTest::addColumn<bool>("accessStillValid");
    QTest::newRow("access token") << u"access"_s << 200 << true << false;
    QTest::newRow("refresh token revokes its grant (RFC 7009 section 2.1)")
            << u"refresh"_s << 200 << true << false;
    QTest::newRow("unknown token (RFC 7009 section 2.2)") << u"unknown"_s << 200 << false << true;
    QTest::newRow("no token") << u"missing"_s << 400 << false << true;
    QTest::newRow("wrong client secret") << u"badClient"_s << 401 << false << true;
}

void tst_FakeAuthServer::revocation()
{
    QFETCH(QString, which);
    QFETCH(int, status);
    QFETCH(bool, known);
    QFETCH(bool, accessStillValid);
    const QJsonObject tokens = token(
            {{u"grant_type"_s, u"authorization_code"_s}, {u"code"_s, codeFor(u"pub"_s)},
                    {u"redirect_uri"_s, Redirect}, {u"client_id"_s, u"pub"_s},
                    {u"code_verifier"_s,
                            Verifier}}).json();
    const QString access = tokens.value(u"access_token").toString();
    const QString refresh = tokens.value(u"refresh_token").toString();
    QList<std::pair<QString, QString>> fields{{u"client_id"_s, u"pub"_s}};
    if (which == u"access")
        fields += {{u"token"_s, access}, {u"token_type_hint"_s, u"access_token"_s}};
    else if (which == u"refresh")
        fields.append({u"token"_s, refresh});
    else if (which == u"unknown")
        fields.append({u"token"_s, u"at-0-0"_s});
    else if (which == u"badClient")
        fields = {{u"token"_s, access}, {u"client_id"_s, u"conf"_s},
                {u"client_secret"_s, u"wrong"_s}};
    const Reply reply =
            exchange(*m_nam, "POST", m_auth->revocationEndpoint(), form(fields), formType());
    QCOMPARE(reply.status, status);
    QCOMPARE(m_auth->revokeCount(), 1);
    QCOMPARE(m_auth->revocations().size(), 1);
    QCOMPARE(m_auth->revocations().first().known, known);
    if (which == u"access")
        QCOMPARE(m_auth->revocations().first().tokenTypeHint, u"access_token"_s);
    QCOMPARE(m_auth->isAccessTokenValid(access), accessStillValid);
    const Reply renewal = token({{u"grant_type"_s, u"refresh_token"_s},
            {u"refresh_token"_s, refresh}, {u"client_id"_s, u"pub"_s}});
    QCOMPARE(renewal.status, which == u"refresh" ? 400 : 200);
    QCOMPARE(exchange(*m_nam, "GET", m_auth->revocationEndpoint()).status, 405);
}

void tst_FakeAuthServer::resourceServerSide()
{
    const QJsonObject tokens =
            token({{u"grant_type"_s, u"client_credentials"_s}, {u"client_id"_s, u"conf"_s},
                          {u"client_secret"_s, u"s3cret"_s}, {u"scope"_s, u"read write"_s}})
                    .json();
    const QByteArray access = tokens.value(u"access_token").toString().toUtf8();
    QVERIFY(m_auth->acceptsAuthorization("Bearer " + access));
    QVERIFY(m_auth->acceptsAuthorization("bearer " + access)); // RFC 9110 section 11.1
    QVERIFY(m_auth->acceptsAuthorization("Bearer " + access, u"write read"_s));
    QVERIFY(!m_auth->acceptsAuthorization("Bearer " + access, u"admin"_s));
    QVERIFY(!m_auth->acceptsAuthorization("Basic " + access));
    QVERIFY(!m_auth->acceptsAuthorization("Bearer " + access + 'x'));
    QVERIFY(!m_auth->acceptsAuthorization({}));
    m_auth->revokeAllTokens();
    QVERIFY(!m_auth->acceptsAuthorization("Bearer " + access));
}

void tst_FakeAuthServer::cannedResponses()
{
    m_auth->setResponse(u"/token"_s, 418, "teapot", "text/plain", 1);
    m_auth->setResponse(u"/anything"_s, 204);
    const Reply canned = exchange(*m_nam, "POST", m_auth->tokenEndpoint(), {}, formType());
    QCOMPARE(canned.status, 418);
    QCOMPARE(canned.body, "teapot"_ba);
    QCOMPARE(canned.contentType, "text/plain"_ba);
    QCOMPARE(m_auth->tokenCount(), 0); // never reached the endpoint
    // Used up: the real endpoint answers again.
    QCOMPARE(exchange(*m_nam, "POST", m_auth->tokenEndpoint(), {}, formType()).status, 401);
    for (int i = 0; i < 3; ++i)
        QCOMPARE(exchange(*m_nam, "GET", m_auth->url(u"/anything"_s)).status, 204);
    m_auth->clearResponses();
    const Reply notFound = exchange(*m_nam, "GET", m_auth->url(u"/anything"_s));
    QCOMPARE(notFound.status, 404);
    QCOMPARE(notFound.error(), u"not_found"_s);
}

void tst_FakeAuthServer::deviceFlow_data()
{
    QTest::addColumn<QString>("outcome"); // approve, deny, expire
    QTest::addColumn<QStringList>("answers"); // the token endpoint's errors, then "tokens"
    QTest::newRow("approve after slow_down and pending")
            << u"approve"_s << QStringList{u"slow_down"_s, u"authorization_pending"_s, u"tokens"_s};
    QTest::newRow("deny") << u"deny"_s
                          << QStringList{u"slow_down"_s, u"authorization_pending"_s,
                                     u"access_denied"_s};
    QTest::newRow("expire") << u"expire"_s
                            << QStringList{u"slow_down"_s, u"authorization_pending"_s,
                                       u"expired_token"_s};
}

void tst_FakeAuthServer::deviceFlow()
{
    QFETCH(QString, outcome);
    QFETCH(QStringList, answers);
    const QString grantType = u"urn:ietf:params:oauth:grant-type:device_code"_s;
    // Not advertised nor served until enabled.
    QVERIFY(!m_auth->authorizationServerMetadata().contains(u"device_authorization_endpoint"));
    QCOMPARE(exchange(*m_nam, "POST", m_auth->deviceAuthorizationEndpoint(),
                     form({{u"client_id"_s, u"pub"_s}}), formType())
                     .status,
            404);
    m_auth->setDeviceFlow(true, outcome == u"expire"_s ? 1 : 600, 2);
    m_auth->setDeviceSlowDowns(1);
    const QJsonObject metadata = m_auth->authorizationServerMetadata();
    QCOMPARE(metadata.value(u"device_authorization_endpoint").toString(),
            m_auth->deviceAuthorizationEndpoint().toString());
    QVERIFY(metadata.value(u"grant_types_supported").toArray().contains(grantType));

    const Reply issued = exchange(*m_nam, "POST", m_auth->deviceAuthorizationEndpoint(),
            form({{u"client_id"_s, u"pub"_s}, {u"scope"_s, u"s"_s}}), formType());
    QCOMPARE(issued.status, 200);
    const QJsonObject code = issued.json();
    QCOMPARE(code.value(u"interval").toInt(), 2);
    QVERIFY(code.value(u"verification_uri").toString().endsWith(u"/activate"_s));
    const QString userCode = code.value(u"user_code").toString();
    QVERIFY(code.value(u"verification_uri_complete").toString().endsWith(userCode));
    const QString deviceCode = code.value(u"device_code").toString();
    const auto poll = [&] {
        return token({{u"grant_type"_s, grantType}, {u"device_code"_s, deviceCode},
                {u"client_id"_s, u"pub"_s}});
    };
    for (qsizetype i = 0; i < answers.size(); ++i) {
        if (i == answers.size() - 1) {
            if (outcome == u"approve"_s)
                QVERIFY(m_auth->approveDevice(userCode));
            else if (outcome == u"deny"_s)
                QVERIFY(m_auth->denyDevice(userCode));
            else
                QTest::qWait(1100); // past expires_in
        }
        const Reply answer = poll();
        if (answers.at(i) == u"tokens"_s) {
            QCOMPARE(answer.status, 200);
            QVERIFY(m_auth->isAccessTokenValid(answer.json().value(u"access_token").toString()));
        } else {
            QCOMPARE(answer.status, 400);
            QCOMPARE(answer.error(), answers.at(i));
        }
    }
    QCOMPARE(m_auth->devicePolls().size(), answers.size());
    QCOMPARE(m_auth->deviceAuthorizationCount(), 1); // the one while disabled was not served
    QVERIFY(!m_auth->approveDevice(userCode)); // no longer pending
}

QTEST_GUILESS_MAIN(tst_FakeAuthServer)
#include "tst_fakeauthserver.moc"
