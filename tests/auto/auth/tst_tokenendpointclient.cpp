// TokenEndpointClient against in-process fake servers: exact bodies and headers for every client
// authentication method, extra parameters that must not override protocol parameters, error
// parsing, timeout, network errors, redirects not followed, and the callback contract.
#include "auth/protocol/tokenendpointclient.h"
#include "support/fakeauthserver.h"
#include "support/fakehttpserver.h"

#include <QtCore/QElapsedTimer>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QPointer>
#include <QtCore/QRegularExpression>
#include <QtCore/QTimer>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>
#include <QtTest/QTest>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <optional>

using namespace McpProxy;
using namespace McpProxy::Test;
using namespace Qt::StringLiterals;

using Method = ClientAuthentication::Method;

namespace {

const QByteArray TokenJson =
        R"({"access_token":"AT","token_type":"bearer","expires_in":3600,"refresh_token":"RT"})"_ba;

// A fresh P-256 key (PKCS#8 PEM), so no private key lives in the repository.
QByteArray generateEcKeyPem()
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    if (!key)
        return {};
    BIO *bio = BIO_new(BIO_s_mem());
    QByteArray pem;
    if (PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) == 1) {
        char *data = nullptr;
        const long size = BIO_get_mem_data(bio, &data);
        pem = QByteArray(data, size);
    }
    BIO_free(bio);
    EVP_PKEY_free(key);
    return pem;
}

QJsonObject jwtPart(const QByteArray &jwt, int index)
{
    const QList<QByteArray> parts = jwt.split('.');
    if (parts.size() != 3)
        return {};
    return QJsonDocument::fromJson(
            QByteArray::fromBase64(parts.at(index),
                    QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals))
            .object();
}

struct Outcome
{
    int calls = 0;
    TokenResponse response;
};

} // namespace

class tst_TokenEndpointClient : public QObject
{
    Q_OBJECT

private:
    // Runs one request and waits for its callback.
    std::optional<TokenResponse> run(const TokenRequest &request, int waitMs = 5000)
    {
        auto outcome = std::make_shared<Outcome>();
        m_client->request(request, this, [outcome](const TokenResponse &response) {
            ++outcome->calls;
            outcome->response = response;
        });
        if (!QTest::qWaitFor([&] { return outcome->calls > 0; }, waitMs))
            return std::nullopt;
        QTest::qWait(20); // a second call would show up now
        if (outcome->calls != 1)
            return std::nullopt;
        return outcome->response;
    }

    void answerWith(int status, const QByteArray &body,
            const FakeHttpHeaders &headers = {{"Content-Type", "application/json"}})
    {
        m_server->setHandler([status, body, headers](const FakeHttpRequest &,
                                     FakeHttpResponder *r) { r->reply(status, headers, body); });
    }

    TokenRequest baseRequest() const
    {
        TokenRequest request;
        request.tokenEndpoint = m_server->url(u"/token"_s);
        request.grant = {{u"grant_type"_s, u"client_credentials"_s}};
        request.client.method = Method::ClientSecretPost;
        request.client.clientId = u"cid"_s;
        request.client.clientSecret = u"secret"_s;
        return request;
    }

    std::unique_ptr<QNetworkAccessManager> m_nam;
    std::unique_ptr<TokenEndpointClient> m_client;
    std::unique_ptr<FakeHttpServer> m_server;

private Q_SLOTS:
    void init()
    {
        m_nam = std::make_unique<QNetworkAccessManager>();
        m_client = std::make_unique<TokenEndpointClient>(m_nam.get());
        m_server = std::make_unique<FakeHttpServer>();
        QVERIFY(m_server->listen());
        answerWith(200, TokenJson);
    }

    void cleanup()
    {
        m_client.reset();
        m_server.reset();
        m_nam.reset();
    }

    void methodNames_data()
    {
        QTest::addColumn<Method>("method");
        QTest::addColumn<QString>("name");
        QTest::addRow("none") << Method::None << u"none"_s;
        QTest::addRow("basic") << Method::ClientSecretBasic << u"client_secret_basic"_s;
        QTest::addRow("post") << Method::ClientSecretPost << u"client_secret_post"_s;
        QTest::addRow("jwt") << Method::PrivateKeyJwt << u"private_key_jwt"_s;
    }
    void methodNames()
    {
        QFETCH(Method, method);
        QFETCH(QString, name);
        QCOMPARE(ClientAuthentication::methodName(method), name);
        QCOMPARE(ClientAuthentication::methodFromName(name), std::optional<Method>(method));
    }
    void unknownMethodName()
    {
        QVERIFY(!ClientAuthentication::methodFromName(u"tls_client_auth"_s));
        QVERIFY(!ClientAuthentication::methodFromName(u"Client_Secret_Basic"_s));
        QVERIFY(!ClientAuthentication::methodFromName(QString()));
    }

    void exactBodyAndHeaders_data()
    {
        QTest::addColumn<QStringList>("grant"); // name, value, name, value, …
        QTest::addColumn<QString>("scope");
        QTest::addColumn<QString>("resource");
        QTest::addColumn<QString>("audience");
        QTest::addColumn<QStringList>("extra");
        QTest::addColumn<Method>("method");
        QTest::addColumn<QString>("clientId");
        QTest::addColumn<QString>("clientSecret");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QByteArray>("authorization");

        QTest::addRow("none, authorization_code")
                << QStringList{u"grant_type"_s, u"authorization_code"_s, u"code"_s, u"c0de+/="_s,
                           u"redirect_uri"_s, u"http://127.0.0.1:5555/callback"_s,
                           u"code_verifier"_s, u"v-._~"_s}
                << QString() << u"https://mcp.example.com/mcp"_s << QString() << QStringList()
                << Method::None << u"cid"_s << QString()
                << "grant_type=authorization_code&code=c0de%2B%2F%3D&redirect_uri=http%3A%2F%2F127.0.0.1%3A5555%2Fcallback&code_verifier=v-._~&resource=https%3A%2F%2Fmcp.example.com%2Fmcp&client_id=cid"_ba
                << QByteArray();
        QTest::newRow("basic, refresh_token with + and %")
                << QStringList{u"grant_type"_s, u"refresh_token"_s, u"refresh_token"_s,
                           u"r+t/%=x"_s}
                << u"mcp:read mcp:write"_s << QString() << QString() << QStringList()
                << Method::ClientSecretBasic << u"my client"_s << u"s:e+c%"_s
                << "grant_type=refresh_token&refresh_token=r%2Bt%2F%25%3Dx&scope=mcp%3Aread+mcp%3Awrite"_ba
                << "Basic "_ba + "my+client:s%3Ae%2Bc%25"_ba.toBase64();
        QTest::addRow("post, client_credentials with audience")
                << QStringList{u"grant_type"_s, u"client_credentials"_s} << u"x"_s
                << u"https://r.example/"_s << u"api://aud"_s << QStringList()
                << Method::ClientSecretPost << u"id"_s << u"p+w%d"_s
                << "grant_type=client_credentials&scope=x&resource=https%3A%2F%2Fr.example%2F&audience=api%3A%2F%2Faud&client_id=id&client_secret=p%2Bw%25d"_ba
                << QByteArray();
        QTest::addRow("extra params never override")
                << QStringList{u"grant_type"_s, u"refresh_token"_s, u"refresh_token"_s, u"rt"_s}
                << u"s"_s << u"https://r.example"_s << QString()
                << QStringList{u"prompt"_s, u"consent"_s, u"client_id"_s, u"evil"_s, u"resource"_s,
                           u"https://evil.example"_s, u"Scope"_s, u"all"_s, u"code"_s, u"x"_s,
                           u"CLIENT_SECRET"_s, u"y"_s, u"client_assertion"_s, u"z"_s, u"foo"_s,
                           u"a+b%c d"_s, u"refresh_token"_s, u"other"_s}
                << Method::None << u"cid"_s << QString()
                << "grant_type=refresh_token&refresh_token=rt&prompt=consent&foo=a%2Bb%25c+d&scope=s&resource=https%3A%2F%2Fr.example&client_id=cid"_ba
                << QByteArray();
        QTest::addRow("extra audience dropped when audience set")
                << QStringList{u"grant_type"_s, u"client_credentials"_s} << QString() << QString()
                << u"real"_s << QStringList{u"audience"_s, u"fake"_s, u"tenant"_s, u"t1"_s}
                << Method::ClientSecretBasic << u"id"_s << u"pw"_s
                << "grant_type=client_credentials&tenant=t1&audience=real"_ba
                << "Basic "_ba + "id:pw"_ba.toBase64();
        QTest::addRow("none without client_id")
                << QStringList{u"grant_type"_s, u"refresh_token"_s, u"refresh_token"_s, u"rt"_s}
                << QString() << QString() << QString() << QStringList() << Method::None << QString()
                << QString() << "grant_type=refresh_token&refresh_token=rt"_ba << QByteArray();
    }
    void exactBodyAndHeaders()
    {
        QFETCH(QStringList, grant);
        QFETCH(QString, scope);
        QFETCH(QString, resource);
        QFETCH(QString, audience);
        QFETCH(QStringList, extra);
        QFETCH(Method, method);
        QFETCH(QString, clientId);
        QFETCH(QString, clientSecret);
        QFETCH(QByteArray, body);
        QFETCH(QByteArray, authorization);

        TokenRequest request;
        request.tokenEndpoint = m_server->url(u"/oauth/token"_s);
        for (qsizetype i = 0; i + 1 < grant.size(); i += 2)
            request.grant.append({grant.at(i), grant.at(i + 1)});
        for (qsizetype i = 0; i + 1 < extra.size(); i += 2)
            request.extraParams.append({extra.at(i), extra.at(i + 1)});
        request.scope = scope;
        request.resource = resource;
        request.audience = audience;
        request.client.method = method;
        request.client.clientId = clientId;
        request.client.clientSecret = clientSecret;

        QString error;
        const std::optional<PreparedTokenRequest> prepared =
                TokenEndpointClient::prepare(request, &error);
        QVERIFY2(prepared, qPrintable(error));
        QCOMPARE(prepared->body, body);
        QCOMPARE(prepared->authorization, authorization);

        for (const QString &key : prepared->droppedExtraParams) {
            QTest::ignoreMessage(QtWarningMsg,
                    qPrintable(
                            u"ignoring the extra token parameter %1 because the protocol sets it"_s
                                    .arg(key)));
        }

        const std::optional<TokenResponse> response = run(request);
        QVERIFY(response);
        QVERIFY2(response->tokens, qPrintable(response->error.toString()));
        QCOMPARE(response->tokens->accessToken, u"AT"_s);
        QCOMPARE(response->tokens->refreshToken, u"RT"_s);

        QCOMPARE(m_server->requests().size(), 1);
        const FakeHttpRequest &sent = m_server->requests().first();
        QCOMPARE(sent.method, "POST"_ba);
        QCOMPARE(sent.target, "/oauth/token"_ba);
        QCOMPARE(sent.body, body);
        QCOMPARE(sent.header("Content-Type"), "application/x-www-form-urlencoded"_ba);
        QCOMPARE(sent.header("Accept"), "application/json"_ba);
        QVERIFY(sent.header("User-Agent").startsWith("mcp-oauth2-proxy/"));
        QCOMPARE(sent.hasHeader("Authorization"), !authorization.isEmpty());
        QCOMPARE(sent.header("Authorization"), authorization);
        QVERIFY(!sent.hasHeader("Cookie"));
    }

    void droppedExtraParamsAreLoggedByKeyOnly()
    {
        TokenRequest request = baseRequest();
        request.extraParams = {{u"client_secret"_s, u"leaked-value-123"_s}};
        static QStringList messages;
        messages.clear();
        const QtMessageHandler previous =
                qInstallMessageHandler([](QtMsgType, const QMessageLogContext &,
                                               const QString &text) { messages.append(text); });
        const std::optional<TokenResponse> response = run(request);
        qInstallMessageHandler(previous);
        QVERIFY(response && response->tokens);
        const QString all = messages.join(u'\n');
        QVERIFY(all.contains(u"client_secret"_s));
        QVERIFY(!all.contains(u"leaked-value-123"_s));
        QVERIFY(!all.contains(u"secret\""_s));
        QCOMPARE(m_server->requests().first().body,
                "grant_type=client_credentials&client_id=cid&client_secret=secret"_ba);
    }

    void privateKeyJwt_data()
    {
        QTest::addColumn<QString>("assertionAudience");
        QTest::addColumn<bool>("expectTokenEndpointAudience");
        QTest::addRow("audience defaults to the token endpoint") << QString() << true;
        QTest::addRow("configured audience") << u"https://issuer.example"_s << false;
    }
    void privateKeyJwt()
    {
        QFETCH(QString, assertionAudience);
        QFETCH(bool, expectTokenEndpointAudience);
        const QByteArray pem = generateEcKeyPem();
        QVERIFY(!pem.isEmpty());
        TokenRequest request = baseRequest();
        request.client.method = Method::PrivateKeyJwt;
        request.client.clientSecret.clear();
        request.client.privateKeyPem = pem;
        request.client.assertionAudience = assertionAudience;

        const std::optional<TokenResponse> response = run(request);
        QVERIFY(response && response->tokens);
        const FakeHttpRequest &sent = m_server->requests().first();
        QVERIFY(!sent.hasHeader("Authorization"));
        const FakeFormFields fields = FakeAuthServer::parseForm(sent.body);
        QCOMPARE(fields.size(), 4);
        QCOMPARE(fields.at(0),
                (std::pair<QString, QString>(u"grant_type"_s, u"client_credentials"_s)));
        QCOMPARE(fields.at(1), (std::pair<QString, QString>(u"client_id"_s, u"cid"_s)));
        QCOMPARE(fields.at(2),
                (std::pair<QString, QString>(u"client_assertion_type"_s,
                        u"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"_s)));
        QCOMPARE(fields.at(3).first, u"client_assertion"_s);
        const QByteArray jwt = fields.at(3).second.toLatin1();
        QCOMPARE(jwtPart(jwt, 0).value(u"alg"_s).toString(), u"ES256"_s);
        const QJsonObject claims = jwtPart(jwt, 1);
        QCOMPARE(claims.value(u"iss"_s).toString(), u"cid"_s);
        QCOMPARE(claims.value(u"sub"_s).toString(), u"cid"_s);
        QCOMPARE(claims.value(u"aud"_s).toString(),
                expectTokenEndpointAudience ? request.tokenEndpoint.toString() : assertionAudience);
        QVERIFY(!claims.value(u"jti"_s).toString().isEmpty());
    }

    void unusableKeyFailsWithoutRequest()
    {
        TokenRequest request = baseRequest();
        request.client.method = Method::PrivateKeyJwt;
        request.client.privateKeyPem =
                "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n"_ba;
        QTest::ignoreMessage(
                QtWarningMsg, QRegularExpression(u"cannot create the client assertion"_s));
        const std::optional<TokenResponse> response = run(request);
        QVERIFY(response);
        QVERIFY(!response->tokens);
        QCOMPARE(response->error.error, u"client_assertion_error"_s);
        QVERIFY(!response->error.description.contains(u"not a key"_s));
        QCOMPARE(m_server->requests().size(), 0);
    }

    // The fake authorization server checks each method as an AS would.
    void againstFakeAuthServer_data()
    {
        QTest::addColumn<Method>("method");
        QTest::addColumn<QString>("secretUsed");
        QTest::addColumn<QString>("expectedError");
        QTest::addColumn<int>("expectedStatus");
        QTest::addRow("none") << Method::None << QString() << QString() << 200;
        QTest::addRow("basic") << Method::ClientSecretBasic << u"s3cr+t:%"_s << QString() << 200;
        QTest::addRow("post") << Method::ClientSecretPost << u"s3cr+t:%"_s << QString() << 200;
        QTest::addRow("jwt") << Method::PrivateKeyJwt << QString() << QString() << 200;
        QTest::addRow("basic, wrong secret")
                << Method::ClientSecretBasic << u"wrong"_s << u"invalid_client"_s << 401;
        QTest::addRow("post, wrong secret")
                << Method::ClientSecretPost << u"wrong"_s << u"invalid_client"_s << 401;
    }
    void againstFakeAuthServer()
    {
        QFETCH(Method, method);
        QFETCH(QString, secretUsed);
        QFETCH(QString, expectedError);
        QFETCH(int, expectedStatus);

        FakeAuthServer as;
        QVERIFY(as.listen());
        FakeOAuthClient client;
        client.clientId = u"client one"_s;
        client.tokenEndpointAuthMethod = ClientAuthentication::methodName(method);
        if (method == Method::ClientSecretBasic || method == Method::ClientSecretPost)
            client.clientSecret = u"s3cr+t:%"_s;
        as.addClient(client);
        as.setRequireKnownClients(true);

        TokenRequest request;
        request.tokenEndpoint = as.tokenEndpoint();
        request.grant = {{u"grant_type"_s, u"client_credentials"_s}};
        request.scope = u"mcp"_s;
        request.resource = u"https://mcp.example/mcp"_s;
        request.client.method = method;
        request.client.clientId = client.clientId;
        request.client.clientSecret = secretUsed;
        if (method == Method::PrivateKeyJwt)
            request.client.privateKeyPem = generateEcKeyPem();
        if (method == Method::None) {
            // client_credentials needs a confidential client: expect the RFC 6749 section 4.4
            // refusal.
            expectedError = u"unauthorized_client"_s;
            expectedStatus = 400;
        }

        const std::optional<TokenResponse> response = run(request);
        QVERIFY(response);
        QCOMPARE(as.tokenCount(), 1);
        const FakeTokenRequest &seen = as.tokenRequests().first();
        QCOMPARE(seen.clientAuthMethod, ClientAuthentication::methodName(method));
        QCOMPARE(seen.clientId, client.clientId);
        QCOMPARE(seen.param(u"resource"_s), request.resource);
        if (method == Method::ClientSecretBasic)
            QVERIFY(!seen.hasParam(u"client_id"_s) && !seen.hasParam(u"client_secret"_s));
        if (expectedError.isEmpty()) {
            QVERIFY2(response->tokens, qPrintable(response->error.toString()));
            QVERIFY(as.isAccessTokenValid(response->tokens->accessToken));
            QCOMPARE(as.accessTokenResource(response->tokens->accessToken), request.resource);
            QCOMPARE(response->tokens->scope, u"mcp"_s);
        } else {
            QVERIFY(!response->tokens);
            QCOMPARE(response->error.error, expectedError);
            QCOMPARE(response->error.httpStatus, expectedStatus);
        }
    }

    void authorizationCodeAndRefreshRotation()
    {
        FakeAuthServer as;
        QVERIFY(as.listen());
        as.setTokenSpecialCharacters(true); // codes and tokens with '+', '/', '%' and '='
        const QString verifier = u"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"_s;
        const QString challenge = u"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"_s; // RFC 7636 B
        QUrl authorize = as.authorizationEndpoint();
        authorize.setQuery(
                u"response_type=code&client_id=cli&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcb&code_challenge="_s
                + challenge
                + u"&code_challenge_method=S256&state=st&resource=https%3A%2F%2Fr.example"_s);
        const QUrl redirect = as.approve(authorize);
        QVERIFY(redirect.isValid());
        const FakeFormFields callback =
                FakeAuthServer::parseForm(redirect.query(QUrl::FullyEncoded).toUtf8());
        QCOMPARE(callback.size(), 2);
        QCOMPARE(callback.at(1).second, u"st"_s);
        const QString code = callback.at(0).second;
        QVERIFY(code.contains(u'+') && code.contains(u'%'));

        TokenRequest request;
        request.tokenEndpoint = as.tokenEndpoint();
        request.grant = {{u"grant_type"_s, u"authorization_code"_s}, {u"code"_s, code},
                {u"redirect_uri"_s, u"http://127.0.0.1:1/cb"_s}, {u"code_verifier"_s, verifier}};
        request.resource = u"https://r.example"_s;
        request.client.clientId = u"cli"_s;
        std::optional<TokenResponse> response = run(request);
        QVERIFY(response);
        QVERIFY2(response->tokens, qPrintable(response->error.toString()));
        const QString firstRefresh = response->tokens->refreshToken;
        QVERIFY(firstRefresh.contains(u'+') && firstRefresh.contains(u'%'));

        // Rotation (OAuth 2.1 section 4.3.1): a new refresh token; the old one is dead.
        TokenRequest refresh = request;
        refresh.grant = {{u"grant_type"_s, u"refresh_token"_s}, {u"refresh_token"_s, firstRefresh}};
        response = run(refresh);
        QVERIFY(response);
        QVERIFY2(response->tokens, qPrintable(response->error.toString()));
        const QString secondRefresh = response->tokens->refreshToken;
        QVERIFY(!secondRefresh.isEmpty() && secondRefresh != firstRefresh);
        response = run(refresh);
        QVERIFY(response && !response->tokens);
        QCOMPARE(response->error.error, u"invalid_grant"_s);

        // The code is single use; reusing it revokes the grant (RFC 6749 section 4.1.2).
        response = run(request);
        QVERIFY(response && !response->tokens);
        QCOMPARE(response->error.error, u"invalid_grant"_s);
        refresh.grant = {
                {u"grant_type"_s, u"refresh_token"_s}, {u"refresh_token"_s, secondRefresh}};
        response = run(refresh);
        QVERIFY(response && !response->tokens);
        QCOMPARE(response->error.error, u"invalid_grant"_s);
    }

    // The fake AS as the integration tests drive it: a browser GET of /authorize, tokens, the
    // resource-server checks, and RFC 7009 revocation.
    void fakeAuthServerBrowserResourceAndRevocation()
    {
        FakeAuthServer as;
        QVERIFY(as.listen());
        as.setIssParameter(true);
        as.setScopesSupported({u"mcp:read"_s, u"mcp:write"_s});
        as.setProtectedResource(u"https://mcp.example/mcp"_s);
        QCOMPARE(as.bearerChallenge(u"mcp:read"_s, u"insufficient_scope"_s),
                "Bearer resource_metadata=\""_ba
                        + as.url(u"/.well-known/oauth-protected-resource/mcp"_s).toEncoded()
                        + "\", scope=\"mcp:read\", error=\"insufficient_scope\""_ba);

        QUrl authorize = as.authorizationEndpoint();
        authorize.setQuery(
                u"response_type=code&client_id=cli&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcb%3Fx%3D1&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&state=a%2Bb&scope=mcp%3Aread+mcp%3Awrite&resource=https%3A%2F%2Fmcp.example%2Fmcp"_s);
        QNetworkRequest browser(authorize);
        browser.setAttribute(
                QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
        QNetworkReply *reply = m_nam->get(browser);
        QTRY_VERIFY(reply->isFinished());
        reply->deleteLater();
        QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 302);
        const QUrl location = QUrl::fromEncoded(reply->rawHeader("Location"));
        QCOMPARE(location.path(), u"/cb"_s);
        const FakeFormFields callback =
                FakeAuthServer::parseForm(location.query(QUrl::FullyEncoded).toUtf8());
        QCOMPARE(callback.size(), 4);
        QCOMPARE(callback.at(0), (std::pair<QString, QString>(u"x"_s, u"1"_s)));
        QCOMPARE(callback.at(1).first, u"code"_s);
        QCOMPARE(callback.at(2), (std::pair<QString, QString>(u"state"_s, u"a+b"_s)));
        QCOMPARE(callback.at(3), (std::pair<QString, QString>(u"iss"_s, as.issuer())));
        QCOMPARE(as.authorizeCount(), 1);
        const FakeAuthorizeRequest &seen = as.authorizeRequests().first();
        QCOMPARE(seen.scope, u"mcp:read mcp:write"_s);
        QCOMPARE(seen.resource, u"https://mcp.example/mcp"_s);
        QCOMPARE(seen.codeChallengeMethod, u"S256"_s);
        QCOMPARE(seen.redirectUri, u"http://127.0.0.1:1/cb?x=1"_s);

        TokenRequest request;
        request.tokenEndpoint = as.tokenEndpoint();
        request.grant = {{u"grant_type"_s, u"authorization_code"_s},
                {u"code"_s, callback.at(1).second},
                {u"redirect_uri"_s, u"http://127.0.0.1:1/cb?x=1"_s},
                {u"code_verifier"_s, u"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"_s}};
        request.resource = u"https://mcp.example/mcp"_s;
        request.client.clientId = u"cli"_s;
        const std::optional<TokenResponse> response = run(request);
        QVERIFY(response && response->tokens);
        const TokenSet tokens = *response->tokens;
        QCOMPARE(tokens.scope, u"mcp:read mcp:write"_s);
        QVERIFY(as.acceptsAuthorization(
                "Bearer "_ba + tokens.accessToken.toUtf8(), u"mcp:write"_s));
        QVERIFY(!as.acceptsAuthorization("Bearer "_ba + tokens.accessToken.toUtf8(), u"admin"_s));
        QVERIFY(!as.acceptsAuthorization("Bearer nope"_ba));
        QCOMPARE(as.latestRefreshToken(), tokens.refreshToken);

        as.expireAccessTokens();
        QVERIFY(!as.isAccessTokenValid(tokens.accessToken));

        // Revoking the refresh token (RFC 7009 section 2.1) kills the grant.
        QNetworkRequest revoke(as.revocationEndpoint());
        revoke.setHeader(
                QNetworkRequest::ContentTypeHeader, "application/x-www-form-urlencoded"_ba);
        reply = m_nam->post(revoke,
                "token="_ba + QUrl::toPercentEncoding(tokens.refreshToken)
                        + "&token_type_hint=refresh_token&client_id=cli"_ba);
        QTRY_VERIFY(reply->isFinished());
        reply->deleteLater();
        QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        QCOMPARE(as.revokeCount(), 1);
        QCOMPARE(as.revocations().first().tokenTypeHint, u"refresh_token"_s);
        QVERIFY(as.revocations().first().known);
        request.grant = {
                {u"grant_type"_s, u"refresh_token"_s}, {u"refresh_token"_s, tokens.refreshToken}};
        const std::optional<TokenResponse> refreshed = run(request);
        QVERIFY(refreshed && !refreshed->tokens);
        QCOMPARE(refreshed->error.error, u"invalid_grant"_s);
    }

    void wrongVerifierIsInvalidGrant()
    {
        FakeAuthServer as;
        QVERIFY(as.listen());
        QUrl authorize = as.authorizationEndpoint();
        authorize.setQuery(
                u"response_type=code&client_id=c&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcb&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"_s);
        const QUrl redirect = as.approve(authorize);
        TokenRequest request;
        request.tokenEndpoint = as.tokenEndpoint();
        request.grant = {{u"grant_type"_s, u"authorization_code"_s},
                {u"code"_s,
                        FakeAuthServer::parseForm(redirect.query(QUrl::FullyEncoded).toUtf8())
                                .at(0)
                                .second},
                {u"redirect_uri"_s, u"http://127.0.0.1:1/cb"_s},
                {u"code_verifier"_s, u"wrong-verifier-wrong-verifier-wrong-verifier"_s}};
        request.client.clientId = u"c"_s;
        const std::optional<TokenResponse> response = run(request);
        QVERIFY(response && !response->tokens);
        QCOMPARE(response->error.error, u"invalid_grant"_s);
    }

    void errors_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("contentType");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("error");
        QTest::addColumn<bool>("transient");

        QTest::addRow("invalid_grant")
                << 400 << "application/json"_ba
                << R"({"error":"invalid_grant","error_description":"expired"})"_ba
                << u"invalid_grant"_s << false;
        QTest::addRow("invalid_client 401")
                << 401 << "application/json"_ba
                << R"({"error":"invalid_client"})"_ba << u"invalid_client"_s << false;
        QTest::addRow("temporarily_unavailable") << 503 << "application/json"_ba
                                                 << R"({"error":"temporarily_unavailable"})"_ba
                                                 << u"temporarily_unavailable"_s << true;
        QTest::addRow("500 text") << 500 << "text/plain"_ba
                                  << "boom"_ba << u"invalid_response"_s << true;
        QTest::addRow("200 html") << 200 << "text/html"_ba
                                  << "<html>login</html>"_ba << u"invalid_response"_s << false;
        QTest::addRow("200 without access_token")
                << 200 << "application/json"_ba
                << R"({"token_type":"Bearer"})"_ba << u"invalid_response"_s << false;
        QTest::addRow("200 with an error object")
                << 200 << "application/json"_ba
                << R"({"error":"invalid_scope"})"_ba << u"invalid_scope"_s << false;
        QTest::addRow("429") << 429 << "application/json"_ba
                             << R"({"error":"slow_down"})"_ba << u"slow_down"_s << true;
    }
    void errors()
    {
        QFETCH(int, status);
        QFETCH(QByteArray, contentType);
        QFETCH(QByteArray, body);
        QFETCH(QString, error);
        QFETCH(bool, transient);
        answerWith(status, body, {{"Content-Type", contentType}});
        const std::optional<TokenResponse> response = run(baseRequest());
        QVERIFY(response);
        QVERIFY(!response->tokens);
        QCOMPARE(response->error.error, error);
        QCOMPARE(response->error.httpStatus, status);
        QCOMPARE(response->error.isTransient(), transient);
    }

    void basicChallengeOn401StillReadsTheBody()
    {
        // QNAM emits authenticationRequired for Basic; nobody answers it (docs/qt-notes.md).
        answerWith(401, R"({"error":"invalid_client","error_description":"bad secret"})"_ba,
                {{"Content-Type", "application/json"}, {"WWW-Authenticate", "Basic realm=\"t\""}});
        TokenRequest request = baseRequest();
        request.client.method = Method::ClientSecretBasic;
        const std::optional<TokenResponse> response = run(request);
        QVERIFY(response && !response->tokens);
        QCOMPARE(response->error.error, u"invalid_client"_s);
        QCOMPARE(response->error.description, u"bad secret"_s);
        QCOMPARE(m_server->requests().size(), 1);
    }

    void fakeServerFailuresOnDemand_data()
    {
        QTest::addColumn<FakeAuthServer::TokenFailure>("failure");
        QTest::addColumn<QString>("error");
        QTest::addColumn<int>("status");
        QTest::addRow("invalid_grant")
                << FakeAuthServer::TokenFailure::InvalidGrant << u"invalid_grant"_s << 400;
        QTest::addRow("invalid_client")
                << FakeAuthServer::TokenFailure::InvalidClient << u"invalid_client"_s << 401;
        QTest::addRow("temporarily_unavailable")
                << FakeAuthServer::TokenFailure::TemporarilyUnavailable
                << u"temporarily_unavailable"_s << 503;
        QTest::addRow("500") << FakeAuthServer::TokenFailure::ServerError500
                             << u"invalid_response"_s << 500;
        QTest::addRow("non-JSON") << FakeAuthServer::TokenFailure::NonJson << u"invalid_response"_s
                                  << 200;
        QTest::addRow("redirect") << FakeAuthServer::TokenFailure::Redirect << u"invalid_response"_s
                                  << 307;
    }
    void fakeServerFailuresOnDemand()
    {
        QFETCH(FakeAuthServer::TokenFailure, failure);
        QFETCH(QString, error);
        QFETCH(int, status);
        FakeAuthServer as;
        QVERIFY(as.listen());
        as.failToken(failure, 2);
        TokenRequest request = baseRequest();
        request.tokenEndpoint = as.tokenEndpoint();
        for (int i = 0; i < 2; ++i) {
            const std::optional<TokenResponse> response = run(request);
            QVERIFY(response && !response->tokens);
            QCOMPARE(response->error.error, error);
            QCOMPARE(response->error.httpStatus, status);
        }
        const std::optional<TokenResponse> response = run(request);
        QVERIFY(response && response->tokens);
        QCOMPARE(as.tokenCount(), 3);
        QCOMPARE(as.http().requests().size(), 3); // a redirect is never followed
    }

    void redirectIsNotFollowed_data()
    {
        QTest::addColumn<int>("status");
        QTest::addRow("302") << 302;
        QTest::addRow("307") << 307;
        QTest::addRow("308") << 308;
    }
    void redirectIsNotFollowed()
    {
        QFETCH(int, status);
        QUrl target = m_server->url(u"/elsewhere"_s);
        target.setQuery(u"secret=1"_s);
        const QByteArray location = target.toEncoded();
        answerWith(status, {}, {{"Location", location}});
        TokenRequest request = baseRequest();
        request.client.method = Method::ClientSecretBasic;
        const std::optional<TokenResponse> response = run(request);
        QVERIFY(response && !response->tokens);
        QCOMPARE(response->error.error, u"invalid_response"_s);
        QCOMPARE(response->error.httpStatus, status);
        QVERIFY(response->error.description.contains(u"/elsewhere"_s));
        QVERIFY(!response->error.description.contains(u"secret=1"_s));
        QTest::qWait(50);
        QCOMPARE(m_server->requests().size(), 1);
    }

    void timeout()
    {
        m_server->setHandler([](const FakeHttpRequest &, FakeHttpResponder *) { /* never */ });
        TokenRequest request = baseRequest();
        request.timeoutMs = 300;
        QElapsedTimer clock;
        clock.start();
        const std::optional<TokenResponse> response = run(request);
        QVERIFY(response && !response->tokens);
        QCOMPARE(response->error.error, u"timeout"_s);
        QVERIFY(response->error.isTransient());
        QVERIFY(clock.elapsed() >= 250);
        QVERIFY(clock.elapsed() < 3000);
    }

    void slowButInTime()
    {
        FakeAuthServer as;
        QVERIFY(as.listen());
        as.setTokenDelayMs(150);
        TokenRequest request = baseRequest();
        request.tokenEndpoint = as.tokenEndpoint();
        request.timeoutMs = 2000;
        const std::optional<TokenResponse> response = run(request);
        QVERIFY(response && response->tokens);
    }

    void networkError()
    {
        QUrl url;
        {
            FakeHttpServer closed;
            QVERIFY(closed.listen());
            url = closed.url(u"/token"_s);
        } // the port is closed now
        TokenRequest request = baseRequest();
        request.tokenEndpoint = url;
        const std::optional<TokenResponse> response = run(request);
        QVERIFY(response && !response->tokens);
        QCOMPARE(response->error.error, u"network_error"_s);
        QVERIFY(response->error.isTransient());
    }

    void invalidEndpointIsReportedLater_data()
    {
        QTest::addColumn<QUrl>("endpoint");
        QTest::addRow("empty") << QUrl();
        QTest::addRow("relative") << QUrl(u"/token"_s);
        QTest::addRow("ftp") << QUrl(u"ftp://example.com/token"_s);
    }
    void invalidEndpointIsReportedLater()
    {
        QFETCH(QUrl, endpoint);
        TokenRequest request = baseRequest();
        request.tokenEndpoint = endpoint;
        int calls = 0;
        TokenResponse seen;
        m_client->request(request, this, [&](const TokenResponse &response) {
            ++calls;
            seen = response;
        });
        QCOMPARE(calls, 0); // never inside request()
        QTRY_COMPARE(calls, 1);
        QCOMPARE(seen.error.error, u"invalid_request"_s);
    }

    void noCallbackWhenContextDies()
    {
        m_server->setHandler([](const FakeHttpRequest &, FakeHttpResponder *r) {
            QPointer<FakeHttpResponder> guard(r);
            QTimer::singleShot(100, r, [guard] {
                if (guard)
                    guard->reply(200, {{"Content-Type", "application/json"}}, TokenJson);
            });
        });
        auto context = std::make_unique<QObject>();
        int calls = 0;
        m_client->request(baseRequest(), context.get(), [&](const TokenResponse &) { ++calls; });
        QTRY_COMPARE(m_server->requests().size(), 1);
        context.reset();
        QTest::qWait(300);
        QCOMPARE(calls, 0);
    }

    void noCallbackWhenClientDies()
    {
        m_server->setHandler([](const FakeHttpRequest &, FakeHttpResponder *) { /* never */ });
        int calls = 0;
        m_client->request(baseRequest(), this, [&](const TokenResponse &) { ++calls; });
        QTRY_COMPARE(m_server->requests().size(), 1);
        m_client.reset();
        QTest::qWait(100);
        QCOMPARE(calls, 0);
        QTRY_COMPARE(m_server->openConnectionCount(), 0); // the exchange was aborted
    }

    void concurrentRequestsEachGetTheirAnswer()
    {
        FakeAuthServer as;
        QVERIFY(as.listen());
        TokenRequest request = baseRequest();
        request.tokenEndpoint = as.tokenEndpoint();
        QStringList tokens;
        for (int i = 0; i < 5; ++i) {
            m_client->request(request, this, [&tokens](const TokenResponse &response) {
                tokens.append(response.tokens ? response.tokens->accessToken : QString());
            });
        }
        QTRY_COMPARE(tokens.size(), 5);
        tokens.removeDuplicates();
        QCOMPARE(tokens.size(), 5);
        QVERIFY(!tokens.contains(QString()));
    }
};

QTEST_GUILESS_MAIN(tst_TokenEndpointClient)
#include "tst_tokenendpointclient.moc"
