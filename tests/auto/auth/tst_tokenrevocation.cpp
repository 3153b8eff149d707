// TokenRevocation (RFC 7009) against FakeAuthServer: the form (token, token_type_hint), client
// authentication as at the token endpoint, and the outcome for a rejection, an unreachable
// endpoint and a key that cannot sign.
#include "auth/protocol/tokenrevocation.h"
#include "support/fakeauthserver.h"

#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QTcpServer>
#include <QtTest/QTest>

#include <memory>
#include <optional>

using namespace McpProxy;
using namespace McpProxy::Test;
using namespace Qt::StringLiterals;

using Method = ClientAuthentication::Method;
using Outcome = RevocationResult::Outcome;

class tst_TokenRevocation : public QObject
{
    Q_OBJECT

private:
    std::optional<RevocationResult> run(const RevocationRequest &request)
    {
        int calls = 0;
        RevocationResult result;
        m_revocation->revoke(request, this, [&](const RevocationResult &r) {
            ++calls;
            result = r;
        });
        if (calls != 0) // never inside revoke()
            return std::nullopt;
        if (!QTest::qWaitFor([&] { return calls > 0; }, 5000))
            return std::nullopt;
        return calls == 1 ? std::optional<RevocationResult>(result) : std::nullopt;
    }

    std::unique_ptr<QNetworkAccessManager> m_nam;
    std::unique_ptr<TokenRevocation> m_revocation;
    std::unique_ptr<FakeAuthServer> m_auth;

private Q_SLOTS:
    void init()
    {
        m_nam = std::make_unique<QNetworkAccessManager>();
        m_revocation = std::make_unique<TokenRevocation>(m_nam.get());
        m_auth = std::make_unique<FakeAuthServer>();
        QVERIFY(m_auth->listen());
        FakeOAuthClient confidential;
        confidential.clientId = u"svc"_s;
        confidential.clientSecret = u"secret"_s;
        confidential.tokenEndpointAuthMethod = QString(); // any
        m_auth->addClient(confidential);
        FakeOAuthClient pub;
        pub.clientId = u"public"_s;
        m_auth->addClient(pub);
    }

    void cleanup()
    {
        m_revocation.reset();
        m_auth.reset();
        m_nam.reset();
    }

    void revokes_data()
    {
        QTest::addColumn<QString>("clientId");
        QTest::addColumn<QString>("secret");
        QTest::addColumn<int>("method");
        QTest::addColumn<QString>("hint");
        QTest::newRow("public client, refresh token")
                << u"public"_s << QString() << int(Method::None) << u"refresh_token"_s;
        QTest::newRow("client_secret_basic, access token")
                << u"svc"_s << u"secret"_s << int(Method::ClientSecretBasic) << u"access_token"_s;
        QTest::newRow("client_secret_post, no hint")
                << u"svc"_s << u"secret"_s << int(Method::ClientSecretPost) << QString();
    }

    void revokes()
    {
        QFETCH(QString, clientId);
        QFETCH(QString, secret);
        QFETCH(int, method);
        QFETCH(QString, hint);
        RevocationRequest request;
        request.revocationEndpoint = m_auth->revocationEndpoint();
        request.token = u"some-token"_s;
        request.tokenTypeHint = hint;
        request.client.clientId = clientId;
        request.client.clientSecret = secret;
        request.client.method = Method(method);
        const std::optional<RevocationResult> result = run(request);
        QVERIFY(result);
        QCOMPARE(result->outcome, Outcome::Revoked);
        QCOMPARE(result->httpStatus, 200);
        QCOMPARE(m_auth->revocations().size(), 1);
        const FakeRevocation &seen = m_auth->revocations().first();
        QCOMPARE(seen.token, u"some-token"_s);
        QCOMPARE(seen.tokenTypeHint, hint);
        QCOMPARE(seen.clientId, clientId);
        QVERIFY(!seen.known); // RFC 7009 section 2.2: 200 for an unknown token too
    }

    void rejectedClientFails()
    {
        RevocationRequest request;
        request.revocationEndpoint = m_auth->revocationEndpoint();
        request.token = u"some-token"_s;
        request.client.clientId = u"svc"_s;
        request.client.clientSecret = u"wrong"_s;
        request.client.method = Method::ClientSecretBasic;
        const std::optional<RevocationResult> result = run(request);
        QVERIFY(result);
        QCOMPARE(result->outcome, Outcome::Failed);
        QCOMPARE(result->httpStatus, 401);
    }

    void unreachableEndpointFails()
    {
        QTcpServer closed;
        QVERIFY(closed.listen(QHostAddress::LocalHost));
        const quint16 port = closed.serverPort();
        closed.close();
        RevocationRequest request;
        request.revocationEndpoint = QUrl(u"http://127.0.0.1:%1/revoke"_s.arg(port));
        request.token = u"some-token"_s;
        const std::optional<RevocationResult> result = run(request);
        QVERIFY(result);
        QCOMPARE(result->outcome, Outcome::Failed);
        QCOMPARE(result->httpStatus, 0);
    }

    void unusableKeyIsNotSent()
    {
        RevocationRequest request;
        request.revocationEndpoint = m_auth->revocationEndpoint();
        request.token = u"some-token"_s;
        request.client.clientId = u"svc"_s;
        request.client.method = Method::PrivateKeyJwt;
        request.client.privateKeyPem = "not a key";
        const std::optional<RevocationResult> result = run(request);
        QVERIFY(result);
        QCOMPARE(result->outcome, Outcome::NotSent);
        QCOMPARE(m_auth->revokeCount(), 0);
    }
};

QTEST_GUILESS_MAIN(tst_TokenRevocation)
#include "tst_tokenrevocation.moc"
