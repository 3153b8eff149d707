// ClientRegistration (RFC 7591) against FakeAuthServer and FakeHttpServer: the request body,
// success and rejection handling, timeouts; and the chooseClientAuthMethod() table.
#include "auth/protocol/clientregistration.h"
#include "support/fakeauthserver.h"
#include "support/fakehttpserver.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QRegularExpression>
#include <QtNetwork/QNetworkAccessManager>
#include <QtTest/QTest>

#include <memory>
#include <optional>

using namespace McpProxy;
using namespace McpProxy::Test;
using namespace Qt::StringLiterals;

using Method = ClientAuthentication::Method;

class tst_ClientRegistration : public QObject
{
    Q_OBJECT

private:
    std::optional<RegistrationResult> run(const RegistrationRequest &request)
    {
        int calls = 0;
        RegistrationResult result;
        m_registration->registerClient(request, this, [&](const RegistrationResult &r) {
            ++calls;
            result = r;
        });
        if (calls != 0)
            return std::nullopt;
        if (!QTest::qWaitFor([&] { return calls > 0; }, 5000))
            return std::nullopt;
        QTest::qWait(20);
        if (calls != 1)
            return std::nullopt;
        return result;
    }

    RegistrationRequest request() const
    {
        RegistrationRequest r;
        r.registrationEndpoint = m_auth->registrationEndpoint();
        r.redirectUri = u"http://127.0.0.1:33418/callback"_s;
        return r;
    }

    std::unique_ptr<QNetworkAccessManager> m_nam;
    std::unique_ptr<ClientRegistration> m_registration;
    std::unique_ptr<FakeAuthServer> m_auth;

private Q_SLOTS:
    void init()
    {
        m_nam = std::make_unique<QNetworkAccessManager>();
        m_registration = std::make_unique<ClientRegistration>(m_nam.get());
        m_auth = std::make_unique<FakeAuthServer>();
        QVERIFY(m_auth->listen());
    }

    void cleanup()
    {
        m_registration.reset();
        m_auth.reset();
        m_nam.reset();
    }

    void requestBody()
    {
        RegistrationRequest r;
        r.redirectUri = u"http://127.0.0.1:1/cb"_s;
        r.scope = u"mcp:tools offline_access"_s;
        const QJsonObject body =
                QJsonDocument::fromJson(ClientRegistration::requestBody(r)).object();
        QCOMPARE(body.value(u"client_name"_s).toString(), u"mcp-oauth2-proxy"_s);
        QCOMPARE(body.value(u"redirect_uris"_s).toArray(), QJsonArray{u"http://127.0.0.1:1/cb"_s});
        QCOMPARE(body.value(u"grant_types"_s).toArray(),
                (QJsonArray{u"authorization_code"_s, u"refresh_token"_s}));
        QCOMPARE(body.value(u"response_types"_s).toArray(), QJsonArray{u"code"_s});
        QCOMPARE(body.value(u"token_endpoint_auth_method"_s).toString(), u"none"_s);
        QCOMPARE(body.value(u"application_type"_s).toString(), u"native"_s);
        QCOMPARE(body.value(u"scope"_s).toString(), u"mcp:tools offline_access"_s);
        QCOMPARE(body.value(u"software_id"_s).toString(), u"mcp-oauth2-proxy"_s);
        QCOMPARE(body.value(u"software_version"_s).toString(), QStringLiteral(MCPPROXY_VERSION));
        QCOMPARE(body.size(), 9);
    }

    void requestBodyForClientCredentials()
    {
        RegistrationRequest r;
        r.grantTypes = {u"client_credentials"_s};
        r.tokenEndpointAuthMethod = u"client_secret_basic"_s;
        r.clientName = u"custom"_s;
        const QJsonObject body =
                QJsonDocument::fromJson(ClientRegistration::requestBody(r)).object();
        QVERIFY(!body.contains(u"redirect_uris"_s));
        QVERIFY(!body.contains(u"scope"_s));
        QCOMPARE(body.value(u"response_types"_s).toArray(), QJsonArray());
        QCOMPARE(body.value(u"grant_types"_s).toArray(), QJsonArray{u"client_credentials"_s});
        QCOMPARE(body.value(u"token_endpoint_auth_method"_s).toString(), u"client_secret_basic"_s);
        QCOMPARE(body.value(u"client_name"_s).toString(), u"custom"_s);
        QCOMPARE(body.value(u"application_type"_s).toString(), u"native"_s);
    }

    void registersPublicClient()
    {
        const std::optional<RegistrationResult> result = run(request());
        QVERIFY(result);
        QVERIFY2(result->ok, qPrintable(result->error));
        QVERIFY(!result->clientId.isEmpty());
        QVERIFY(result->clientSecret.isEmpty());
        QCOMPARE(result->tokenEndpointAuthMethod, u"none"_s);
        QCOMPARE(result->redirectUris, QStringList{u"http://127.0.0.1:33418/callback"_s});
        QVERIFY(!result->clientSecretExpiresAt.isValid());
        QCOMPARE(result->httpStatus, 201);
        QVERIFY(!result->rawResponse.isEmpty());

        QCOMPARE(m_auth->registerCount(), 1);
        const FakeHttpRequest &sent = m_auth->http().requests().first();
        QCOMPARE(sent.method, "POST"_ba);
        QCOMPARE(sent.header("Content-Type"), "application/json"_ba);
        QCOMPARE(sent.header("Accept"), "application/json"_ba);
        QVERIFY(!sent.hasHeader("Authorization"));
        const QJsonObject registered = m_auth->registrations().first();
        QCOMPARE(registered.value(u"application_type"_s).toString(), u"native"_s);
        QCOMPARE(registered.value(u"redirect_uris"_s).toArray(),
                QJsonArray{u"http://127.0.0.1:33418/callback"_s});
        const std::optional<FakeOAuthClient> client = m_auth->client(result->clientId);
        QVERIFY(client);
        QCOMPARE(client->tokenEndpointAuthMethod, u"none"_s);
    }

    void registersConfidentialClient()
    {
        RegistrationRequest r = request();
        r.tokenEndpointAuthMethod = u"client_secret_post"_s;
        r.initialAccessToken = u"iat-123"_s;
        const std::optional<RegistrationResult> result = run(r);
        QVERIFY(result);
        QVERIFY2(result->ok, qPrintable(result->error));
        QVERIFY(!result->clientSecret.isEmpty());
        QCOMPARE(result->tokenEndpointAuthMethod, u"client_secret_post"_s);
        QCOMPARE(m_auth->client(result->clientId)->clientSecret, result->clientSecret);
        QCOMPARE(m_auth->http().requests().first().header("Authorization"), "Bearer iat-123"_ba);
    }

    void parseResponse_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<bool>("ok");
        QTest::addColumn<QString>("errorCode");
        QTest::addColumn<QString>("errorContains");

        QTest::addRow("201 full")
                << 201
                << R"({"client_id":"c1","client_secret":"s","client_secret_expires_at":1893456000,"token_endpoint_auth_method":"client_secret_basic","redirect_uris":["http://127.0.0.1:1/x"]})"_ba
                << true << QString() << QString();
        QTest::addRow("200 minimal")
                << 200 << R"({"client_id":"c1"})"_ba << true << QString() << QString();
        QTest::addRow("no client_id")
                << 201 << R"({"client_secret":"s"})"_ba << false << QString() << u"no client_id"_s;
        QTest::addRow("not JSON") << 201 << "ok"_ba << false << QString()
                                  << u"without a JSON object"_s;
        QTest::addRow("invalid_redirect_uri")
                << 400
                << R"({"error":"invalid_redirect_uri","error_description":"loopback URIs are not allowed"})"_ba
                << false << u"invalid_redirect_uri"_s
                << u"rejected the client registration (HTTP 400): invalid_redirect_uri: loopback URIs are not allowed"_s;
        QTest::addRow("invalid_client_metadata")
                << 400 << R"({"error":"invalid_client_metadata"})"_ba << false
                << u"invalid_client_metadata"_s << u"invalid_client_metadata"_s;
        QTest::addRow("unapproved_software_statement 403")
                << 403
                << R"({"error":"unapproved_software_statement","error_description":"a\nb"})"_ba
                << false << u"unapproved_software_statement"_s
                << u"unapproved_software_statement: a b"_s;
        QTest::addRow("500 text") << 500 << "Internal error"_ba << false << QString()
                                  << u"client registration failed with HTTP 500: Internal error"_s;
        QTest::addRow("404 empty") << 404 << QByteArray() << false << QString()
                                   << u"client registration failed with HTTP 404"_s;
    }
    void parseResponse()
    {
        QFETCH(int, status);
        QFETCH(QByteArray, body);
        QFETCH(bool, ok);
        QFETCH(QString, errorCode);
        QFETCH(QString, errorContains);
        RegistrationRequest r;
        r.redirectUri = u"http://127.0.0.1:1/cb"_s;
        const RegistrationResult result = ClientRegistration::parseResponse(status, body, r);
        QCOMPARE(result.ok, ok);
        QCOMPARE(result.errorCode, errorCode);
        QCOMPARE(result.httpStatus, status);
        QVERIFY2(result.error.contains(errorContains), qPrintable(result.error));
        if (!ok) {
            QVERIFY(result.clientId.isEmpty());
            QVERIFY(result.rawResponse.isEmpty());
            return;
        }
        QCOMPARE(result.clientId, u"c1"_s);
        QCOMPARE(result.rawResponse, body);
        if (status == 201) {
            QCOMPARE(result.clientSecret, u"s"_s);
            QCOMPARE(result.clientSecretExpiresAt,
                    QDateTime::fromSecsSinceEpoch(1893456000, Qt::UTC));
            QCOMPARE(result.tokenEndpointAuthMethod, u"client_secret_basic"_s);
            QCOMPARE(result.redirectUris, QStringList{u"http://127.0.0.1:1/x"_s});
        } else {
            QCOMPARE(result.tokenEndpointAuthMethod, u"none"_s); // what we asked for
            QCOMPARE(result.redirectUris, QStringList{u"http://127.0.0.1:1/cb"_s});
            QVERIFY(!result.clientSecretExpiresAt.isValid());
        }
    }

    // RFC 7591 section 3.2.2 errors from the server, surfaced.
    void rejectionsAreSurfaced_data()
    {
        QTest::addColumn<QString>("error");
        QTest::addColumn<QString>("description");
        QTest::addColumn<int>("status");
        QTest::addRow("invalid_redirect_uri") << u"invalid_redirect_uri"_s << u"bad uri"_s << 400;
        QTest::addRow("invalid_client_metadata")
                << u"invalid_client_metadata"_s << u"application_type"_s << 400;
        QTest::addRow("invalid_software_statement")
                << u"invalid_software_statement"_s << QString() << 400;
        QTest::addRow("access_denied 403") << u"access_denied"_s << u"DCR disabled"_s << 403;
    }
    void rejectionsAreSurfaced()
    {
        QFETCH(QString, error);
        QFETCH(QString, description);
        QFETCH(int, status);
        m_auth->failRegistration(error, description, status);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"client registration failed"_s));
        std::optional<RegistrationResult> result = run(request());
        QVERIFY(result);
        QVERIFY(!result->ok);
        QCOMPARE(result->errorCode, error);
        QCOMPARE(result->httpStatus, status);
        QVERIFY2(result->error.contains(
                         description.isEmpty() ? error : error + u": "_s + description),
                qPrintable(result->error));
        // Only once: the next registration succeeds.
        result = run(request());
        QVERIFY(result && result->ok);
    }

    void fakeServerValidatesMetadata()
    {
        RegistrationRequest r = request();
        r.redirectUri.clear(); // authorization_code without redirect_uris
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"client registration failed"_s));
        const std::optional<RegistrationResult> result = run(r);
        QVERIFY(result && !result->ok);
        QCOMPARE(result->errorCode, u"invalid_redirect_uri"_s);
    }

    void redirectIsNotFollowed()
    {
        FakeHttpServer server;
        QVERIFY(server.listen());
        server.setHandler([&server](const FakeHttpRequest &, FakeHttpResponder *r) {
            r->reply(307, {{"Location", server.url(u"/other"_s).toEncoded()}});
        });
        RegistrationRequest r = request();
        r.registrationEndpoint = server.url(u"/register"_s);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"client registration failed"_s));
        const std::optional<RegistrationResult> result = run(r);
        QVERIFY(result && !result->ok);
        QVERIFY2(result->error.contains(u"redirect"_s), qPrintable(result->error));
        QTest::qWait(50);
        QCOMPARE(server.requests().size(), 1);
    }

    void timeout()
    {
        FakeHttpServer server;
        QVERIFY(server.listen());
        server.setHandler([](const FakeHttpRequest &, FakeHttpResponder *) { /* never */ });
        RegistrationRequest r = request();
        r.registrationEndpoint = server.url(u"/register"_s);
        r.timeoutMs = 200;
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"client registration failed"_s));
        const std::optional<RegistrationResult> result = run(r);
        QVERIFY(result && !result->ok);
        QVERIFY2(result->error.contains(u"did not answer within 200 ms"_s),
                qPrintable(result->error));
    }

    void invalidEndpoint()
    {
        RegistrationRequest r = request();
        r.registrationEndpoint = QUrl();
        const std::optional<RegistrationResult> result = run(r);
        QVERIFY(result && !result->ok);
        QVERIFY(result->error.contains(u"no usable registration endpoint"_s));
    }

    void chooseClientAuthMethod_data()
    {
        QTest::addColumn<QString>("configured");
        QTest::addColumn<QStringList>("supported");
        QTest::addColumn<QString>("registered");
        QTest::addColumn<bool>("haveSecret");
        QTest::addColumn<bool>("haveKey");
        QTest::addColumn<Method>("expected");

        const QStringList all{
                u"none"_s, u"client_secret_basic"_s, u"client_secret_post"_s, u"private_key_jwt"_s};
        QTest::addRow("configured wins")
                << u"client_secret_post"_s << all << u"client_secret_basic"_s << true << false
                << Method::ClientSecretPost;
        QTest::addRow("configured none despite a secret")
                << u"none"_s << all << QString() << true << false << Method::None;
        QTest::addRow("unknown configured is ignored") << u"tls_client_auth"_s << all << QString()
                                                       << true << false << Method::ClientSecretPost;
        QTest::addRow("configured basic (authStyle header) beats the AS list")
                << u"client_secret_basic"_s << all << QString() << true << false
                << Method::ClientSecretBasic;
        QTest::addRow("configured basic beats the registration")
                << u"client_secret_basic"_s << all << u"client_secret_post"_s << true << false
                << Method::ClientSecretBasic;
        QTest::addRow("registered") << QString() << all << u"client_secret_post"_s << true << false
                                    << Method::ClientSecretPost;
        QTest::addRow("registered none")
                << QString() << all << u"none"_s << false << false << Method::None;
        QTest::addRow("public client")
                << QString() << all << QString() << false << false << Method::None;
        // The npm mcp-oauth2-proxy's default authStyle is "body".
        QTest::addRow("secret: post first, like the npm package")
                << QString() << all << QString() << true << false << Method::ClientSecretPost;
        QTest::addRow("secret: basic when the AS lists only basic")
                << QString() << QStringList{u"none"_s, u"client_secret_basic"_s} << QString()
                << true << false << Method::ClientSecretBasic;
        QTest::addRow("registered basic beats the AS list")
                << QString() << all << u"client_secret_basic"_s << true << false
                << Method::ClientSecretBasic;
        QTest::addRow("secret: post when only post")
                << QString() << QStringList{u"none"_s, u"client_secret_post"_s} << QString() << true
                << false << Method::ClientSecretPost;
        QTest::addRow("secret, AS only lists none") << QString() << QStringList{u"none"_s}
                                                    << QString() << true << false << Method::None;
        QTest::addRow("key: private_key_jwt")
                << QString() << all << QString() << false << true << Method::PrivateKeyJwt;
        QTest::addRow("key and secret: private_key_jwt")
                << QString() << all << QString() << true << true << Method::PrivateKeyJwt;
        QTest::addRow("key, AS without jwt, secret")
                << QString() << QStringList{u"client_secret_basic"_s} << QString() << true << true
                << Method::ClientSecretBasic;
        QTest::addRow("AS lists nothing (discovery off), secret: the npm package's body")
                << QString() << QStringList() << QString() << true << false
                << Method::ClientSecretPost;
        QTest::addRow("AS lists nothing, no secret")
                << QString() << QStringList() << QString() << false << false << Method::None;
        QTest::addRow("AS lists nothing, only a key") << QString() << QStringList() << QString()
                                                      << false << true << Method::PrivateKeyJwt;
        QTest::addRow("no secret, AS wants secrets")
                << QString() << QStringList{u"client_secret_basic"_s} << QString() << false << false
                << Method::None;
    }
    void registrationAuthMethod_data()
    {
        QTest::addColumn<QString>("configured");
        QTest::addColumn<QStringList>("supported");
        QTest::addColumn<bool>("confidential");
        QTest::addColumn<QString>("expected");

        const QStringList all{
                u"none"_s, u"client_secret_basic"_s, u"client_secret_post"_s, u"private_key_jwt"_s};
        QTest::addRow("public: none") << QString() << all << false << u"none"_s;
        QTest::addRow("public: AS lists nothing")
                << QString() << QStringList() << false << u"none"_s;
        QTest::addRow("public: AS without none")
                << QString() << QStringList{u"client_secret_basic"_s} << false
                << u"client_secret_basic"_s;
        QTest::addRow("public: configured")
                << u"client_secret_post"_s << all << false << u"client_secret_post"_s;
        // RFC 6749 section 4.4: client_credentials only for confidential clients, never "none".
        QTest::addRow("confidential: AS lists none first")
                << QString() << all << true << u"client_secret_post"_s;
        QTest::addRow("confidential: AS lists nothing")
                << QString() << QStringList() << true << u"client_secret_post"_s;
        QTest::addRow("confidential: only basic")
                << QString() << QStringList{u"none"_s, u"client_secret_basic"_s} << true
                << u"client_secret_basic"_s;
        QTest::addRow("confidential: configured basic")
                << u"client_secret_basic"_s << all << true << u"client_secret_basic"_s;
        QTest::addRow("confidential: configured none is not used")
                << u"none"_s << all << true << u"client_secret_post"_s;
        QTest::addRow("confidential: AS offers only none")
                << QString() << QStringList{u"none"_s} << true << QString();
    }
    void registrationAuthMethod()
    {
        QFETCH(QString, configured);
        QFETCH(QStringList, supported);
        QFETCH(bool, confidential);
        QFETCH(QString, expected);
        QCOMPARE(McpProxy::registrationAuthMethod(configured, supported, confidential), expected);
    }

    void confidentialRegistrationNeedsASecret_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<bool>("ok");

        QTest::addRow("registered with a secret")
                << R"({"client_id":"c1","client_secret":"s","token_endpoint_auth_method":"client_secret_post"})"_ba
                << true;
        QTest::addRow("registered as none")
                << R"({"client_id":"c1","token_endpoint_auth_method":"none"})"_ba << false;
        QTest::addRow("secret method without a secret")
                << R"({"client_id":"c1","token_endpoint_auth_method":"client_secret_basic"})"_ba
                << false;
    }
    void confidentialRegistrationNeedsASecret()
    {
        QFETCH(QByteArray, body);
        QFETCH(bool, ok);
        RegistrationRequest r;
        r.grantTypes = {u"client_credentials"_s};
        r.tokenEndpointAuthMethod = u"client_secret_post"_s;
        const RegistrationResult result = ClientRegistration::parseResponse(201, body, r);
        QCOMPARE(result.ok, ok);
        if (!ok) {
            QVERIFY2(result.error.contains(u"confidential"_s), qPrintable(result.error));
            QVERIFY(result.clientId.isEmpty());
            QVERIFY(result.rawResponse.isEmpty());
        }
    }

    void chooseClientAuthMethod()
    {
        QFETCH(QString, configured);
        QFETCH(QStringList, supported);
        QFETCH(QString, registered);
        QFETCH(bool, haveSecret);
        QFETCH(bool, haveKey);
        QFETCH(Method, expected);
        QCOMPARE(McpProxy::chooseClientAuthMethod(
                         configured, supported, registered, haveSecret, haveKey),
                expected);
    }
};

QTEST_GUILESS_MAIN(tst_ClientRegistration)
#include "tst_clientregistration.moc"
