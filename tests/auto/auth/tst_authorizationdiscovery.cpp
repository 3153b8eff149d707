// AuthorizationDiscovery against FakeAuthServer: every protected resource metadata and
// authorization server metadata location in the MCP 2025-11-25 order, the 2025-03-26 fallback,
// resource and issuer validation, insecure endpoints, MCP-Protocol-Version, errors, timeouts.
#include "auth/protocol/authorizationdiscovery.h"
#include "support/fakeauthserver.h"
#include "support/fakehttpserver.h"

#include <QtCore/QElapsedTimer>
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

using AsLocation = FakeAuthServer::MetadataLocation;
using PrmLocation = FakeAuthServer::ResourceMetadataLocation;

namespace {

QStringList pathsOf(const QList<QUrl> &urls)
{
    QStringList paths;
    for (const QUrl &url : urls)
        paths.append(url.path());
    return paths;
}

QStringList requestedPaths(const FakeHttpServer &server)
{
    QStringList paths;
    for (const FakeHttpRequest &request : server.requests())
        paths.append(QString::fromUtf8(request.path()));
    return paths;
}

const QString PrmInserted = u"/.well-known/oauth-protected-resource/mcp"_s;
const QString PrmRoot = u"/.well-known/oauth-protected-resource"_s;
const QString OAuthRoot = u"/.well-known/oauth-authorization-server"_s;
const QString OidcRoot = u"/.well-known/openid-configuration"_s;

} // namespace

class tst_AuthorizationDiscovery : public QObject
{
    Q_OBJECT

private:
    std::optional<DiscoveryResult> run(const DiscoveryRequest &request, int waitMs = 10000)
    {
        int calls = 0;
        DiscoveryResult result;
        m_discovery->discover(request, this, [&](const DiscoveryResult &r) {
            ++calls;
            result = r;
        });
        if (calls != 0)
            return std::nullopt; // never inside discover()
        if (!QTest::qWaitFor([&] { return calls > 0; }, waitMs))
            return std::nullopt;
        QTest::qWait(20);
        if (calls != 1)
            return std::nullopt;
        return result;
    }

    DiscoveryRequest request(const QUrl &challengeUrl = {}) const
    {
        DiscoveryRequest r;
        r.serverUrl = m_auth->url(u"/mcp"_s);
        r.resourceMetadataUrl = challengeUrl;
        r.protocolVersion = u"2025-11-25"_s;
        return r;
    }

    QString resource() const { return m_auth->url(u"/mcp"_s).toString(); }

    std::unique_ptr<QNetworkAccessManager> m_nam;
    std::unique_ptr<AuthorizationDiscovery> m_discovery;
    std::unique_ptr<FakeAuthServer> m_auth;

private Q_SLOTS:
    void init()
    {
        m_nam = std::make_unique<QNetworkAccessManager>();
        m_discovery = std::make_unique<AuthorizationDiscovery>(m_nam.get());
        m_auth = std::make_unique<FakeAuthServer>();
        QVERIFY(m_auth->listen());
    }

    void cleanup()
    {
        m_discovery.reset();
        m_auth.reset();
        m_nam.reset();
    }

    void issuersMatch_data()
    {
        QTest::addColumn<QString>("document");
        QTest::addColumn<QString>("expected");
        QTest::addColumn<bool>("match");
        QTest::addRow("equal") << u"https://as.example"_s << u"https://as.example"_s << true;
        // MCP 2026-07-28: identical strings, no trailing-slash tolerance (conformance
        // auth/metadata-issuer-mismatch, RFC 8414 section 3.3).
        QTest::addRow("trailing slash in document")
                << u"https://as.example/"_s << u"https://as.example"_s << false;
        QTest::addRow("trailing slash expected")
                << u"https://as.example/t"_s << u"https://as.example/t/"_s << false;
        QTest::addRow("default port spelled out")
                << u"https://as.example:443"_s << u"https://as.example"_s << false;
        QTest::addRow("percent-encoding differs")
                << u"https://as.example/%7Et"_s << u"https://as.example/~t"_s << false;
        QTest::addRow("both empty") << QString() << QString() << false;
        QTest::addRow("two slashes")
                << u"https://as.example//"_s << u"https://as.example"_s << false;
        QTest::addRow("case differs")
                << u"https://AS.example"_s << u"https://as.example"_s << false;
        QTest::addRow("other path")
                << u"https://as.example/a"_s << u"https://as.example/b"_s << false;
        QTest::addRow("empty") << QString() << u"https://as.example"_s << false;
    }
    void issuersMatch()
    {
        QFETCH(QString, document);
        QFETCH(QString, expected);
        QFETCH(bool, match);
        QCOMPARE(AuthorizationDiscovery::issuersMatch(document, expected), match);
    }

    // RFC 9728 section 3.1 / MCP 2025-11-25 "Protected Resource Metadata Discovery Requirements".
    void protectedResourceOrder_data()
    {
        QTest::addColumn<QString>("challengePath"); // empty: no challenge URL
        QTest::addColumn<QList<PrmLocation>>("locations");
        QTest::addColumn<QString>("customPath");
        QTest::addColumn<QString>("foundAt");
        QTest::addColumn<QStringList>("tried");

        const QString asDoc = OAuthRoot;
        QTest::addRow("challenge URL")
                << u"/custom/prm"_s << QList<PrmLocation>{} << u"/custom/prm"_s << u"/custom/prm"_s
                << QStringList{u"/custom/prm"_s, asDoc};
        QTest::addRow("path-inserted")
                << QString() << QList<PrmLocation>{PrmLocation::PathInserted} << QString()
                << PrmInserted << QStringList{PrmInserted, asDoc};
        QTest::addRow("root") << QString() << QList<PrmLocation>{PrmLocation::Root} << QString()
                              << PrmRoot << QStringList{PrmInserted, PrmRoot, asDoc};
        QTest::addRow("path-inserted before root")
                << QString() << QList<PrmLocation>{PrmLocation::Root, PrmLocation::PathInserted}
                << QString() << PrmInserted << QStringList{PrmInserted, asDoc};
        QTest::addRow("challenge URL 404, then path-inserted")
                << u"/missing"_s << QList<PrmLocation>{PrmLocation::PathInserted} << QString()
                << PrmInserted << QStringList{u"/missing"_s, PrmInserted, asDoc};
        QTest::addRow("challenge URL 404, then root")
                << u"/missing"_s << QList<PrmLocation>{PrmLocation::Root} << QString() << PrmRoot
                << QStringList{u"/missing"_s, PrmInserted, PrmRoot, asDoc};
    }
    void protectedResourceOrder()
    {
        QFETCH(QString, challengePath);
        QFETCH(QList<PrmLocation>, locations);
        QFETCH(QString, customPath);
        QFETCH(QString, foundAt);
        QFETCH(QStringList, tried);

        m_auth->setProtectedResource(resource(), locations, {u"mcp:tools"_s});
        if (!customPath.isEmpty())
            m_auth->addResourceMetadataPath(customPath);
        const std::optional<DiscoveryResult> result =
                run(request(challengePath.isEmpty() ? QUrl() : m_auth->url(challengePath)));
        QVERIFY(result);
        QVERIFY2(result->ok, qPrintable(result->error));
        QCOMPARE(result->resourceMetadataUrl.path(), foundAt);
        QVERIFY(result->resourceMetadata);
        QCOMPARE(result->resourceMetadata->scopesSupported, QStringList{u"mcp:tools"_s});
        QCOMPARE(result->resource, resource());
        QCOMPARE(pathsOf(result->tried), tried);
        QCOMPARE(requestedPaths(m_auth->http()), tried);
        QCOMPARE(result->server.issuer, m_auth->issuer());
        QCOMPARE(result->server.tokenEndpoint, m_auth->tokenEndpoint());
        QCOMPARE(result->server.authorizationEndpoint, m_auth->authorizationEndpoint());
        QCOMPARE(result->server.registrationEndpoint, m_auth->registrationEndpoint());
        QVERIFY(!result->server.fromFallback);
    }

    // MCP 2025-11-25 "Authorization Server Metadata Discovery".
    void serverMetadataOrder_data()
    {
        QTest::addColumn<QString>("issuerPath");
        QTest::addColumn<QList<AsLocation>>("locations");
        QTest::addColumn<QStringList>("tried"); // after the PRM

        QTest::addRow("no path, OAuth")
                << QString() << QList<AsLocation>{AsLocation::OAuthRoot} << QStringList{OAuthRoot};
        QTest::addRow("no path, OIDC") << QString() << QList<AsLocation>{AsLocation::OidcRoot}
                                       << QStringList{OAuthRoot, OidcRoot};
        QTest::addRow("no path, both: OAuth first")
                << QString() << QList<AsLocation>{AsLocation::OidcRoot, AsLocation::OAuthRoot}
                << QStringList{OAuthRoot};
        QTest::addRow("path, OAuth inserted")
                << u"/tenant1"_s << QList<AsLocation>{AsLocation::OAuthInserted}
                << QStringList{OAuthRoot + u"/tenant1"_s};
        QTest::addRow("path, OIDC inserted")
                << u"/tenant1"_s << QList<AsLocation>{AsLocation::OidcInserted}
                << QStringList{OAuthRoot + u"/tenant1"_s, OidcRoot + u"/tenant1"_s};
        QTest::addRow("path, OIDC appended")
                << u"/tenant1"_s << QList<AsLocation>{AsLocation::OidcAppended}
                << QStringList{OAuthRoot + u"/tenant1"_s, OidcRoot + u"/tenant1"_s,
                           u"/tenant1"_s + OidcRoot};
        QTest::addRow("path, OIDC inserted before appended")
                << u"/a/b"_s
                << QList<AsLocation>{AsLocation::OidcAppended, AsLocation::OidcInserted}
                << QStringList{OAuthRoot + u"/a/b"_s, OidcRoot + u"/a/b"_s};
    }
    void serverMetadataOrder()
    {
        QFETCH(QString, issuerPath);
        QFETCH(QList<AsLocation>, locations);
        QFETCH(QStringList, tried);

        m_auth->setIssuerPath(issuerPath);
        m_auth->setMetadataLocations(locations);
        m_auth->setProtectedResource(resource());
        const std::optional<DiscoveryResult> result = run(request());
        QVERIFY(result);
        QVERIFY2(result->ok, qPrintable(result->error));
        QCOMPARE(pathsOf(result->tried), QStringList{PrmInserted} + tried);
        QCOMPARE(result->server.issuer, m_auth->issuer());
        QCOMPARE(result->server.tokenEndpoint, m_auth->tokenEndpoint());
        QCOMPARE(result->server.tokenEndpoint.path(), issuerPath + u"/token"_s);
        QCOMPARE(result->server.codeChallengeMethodsSupported, QStringList{u"S256"_s});
        QCOMPARE(m_auth->metadataCount(), 1);
    }

    // MCP 2025-03-26 "Fallbacks for Servers without Metadata Discovery".
    void noMetadataAtAllFallsBack()
    {
        m_auth->setMetadataLocations({});
        const std::optional<DiscoveryResult> result = run(request());
        QVERIFY(result);
        QVERIFY2(result->ok, qPrintable(result->error));
        QVERIFY(result->server.fromFallback);
        QVERIFY(!result->resourceMetadata);
        QCOMPARE(result->server.authorizationEndpoint, m_auth->url(u"/authorize"_s));
        QCOMPARE(result->server.tokenEndpoint, m_auth->url(u"/token"_s));
        QCOMPARE(result->server.registrationEndpoint, m_auth->url(u"/register"_s));
        QCOMPARE(result->resource, resource());
        QCOMPARE(pathsOf(result->tried), (QStringList{PrmInserted, PrmRoot, OAuthRoot, OidcRoot}));
    }

    void noResourceMetadataUsesTheOriginAsIssuer()
    {
        m_auth->setMetadataLocations({AsLocation::OAuthRoot});
        const std::optional<DiscoveryResult> result = run(request());
        QVERIFY(result);
        QVERIFY2(result->ok, qPrintable(result->error));
        QVERIFY(!result->server.fromFallback);
        QVERIFY(!result->resourceMetadata);
        QCOMPARE(result->server.tokenEndpoint, m_auth->tokenEndpoint());
        QCOMPARE(result->resource, resource());
        QCOMPARE(pathsOf(result->tried), (QStringList{PrmInserted, PrmRoot, OAuthRoot}));
    }

    void resourceWithoutAuthorizationServersUsesTheOrigin()
    {
        m_auth->setProtectedResource(resource());
        m_auth->setResourceMetadataValue(u"authorization_servers"_s, QJsonValue::Undefined);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"lists no authorization_servers"_s));
        const std::optional<DiscoveryResult> result = run(request());
        QVERIFY(result);
        QVERIFY2(result->ok, qPrintable(result->error));
        QCOMPARE(result->server.tokenEndpoint, m_auth->tokenEndpoint());
    }

    // RFC 9728 section 3.3; conformance scenario auth/resource-mismatch: no further request at all.
    void resourceMismatchStopsEverything_data()
    {
        QTest::addColumn<QString>("resource");
        QTest::addRow("other host") << u"https://other.example.com/mcp"_s;
        QTest::addRow("other path") << u"%1/other"_s;
        QTest::addRow("sibling prefix") << u"%1/mcpx"_s;
    }
    void resourceMismatchStopsEverything()
    {
        QFETCH(QString, resource);
        if (resource.contains(u"%1"_s))
            resource = resource.arg(m_auth->url().toString());
        m_auth->setProtectedResource(resource, {PrmLocation::Root});
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"authorization discovery failed"_s));
        const std::optional<DiscoveryResult> result = run(request());
        QVERIFY(result);
        QVERIFY(!result->ok);
        QVERIFY2(result->error.startsWith(
                         u"protected resource metadata at %1 names resource %2, not %3"_s.arg(
                                 m_auth->url(PrmRoot).toString(), resource,
                                 m_auth->url(u"/mcp"_s).toString())),
                qPrintable(result->error));
        QCOMPARE(m_auth->metadataCount(), 0);
        QCOMPARE(requestedPaths(m_auth->http()), (QStringList{PrmInserted, PrmRoot}));
        QCOMPARE(result->tried.size(), 2);
    }

    // RFC 8414 section 3.3.
    void issuerValidation_data()
    {
        QTest::addColumn<QString>("advertised"); // %1: the real issuer
        QTest::addColumn<bool>("ok");
        QTest::addRow("exact") << u"%1"_s << true;
        QTest::addRow("trailing slash") << u"%1/"_s << false;
        QTest::addRow("upper-case") << u"upper-case"_s << false;
        QTest::addRow("other issuer") << u"https://evil.example.com"_s << false;
        QTest::addRow("path added") << u"%1/other"_s << false;
    }
    void issuerValidation()
    {
        QFETCH(QString, advertised);
        QFETCH(bool, ok);
        m_auth->setIssuerPath(u"/t"_s);
        if (advertised.contains(u"%1"_s))
            advertised = advertised.arg(m_auth->issuer());
        else if (advertised == u"upper-case")
            advertised = m_auth->issuer().toUpper();
        m_auth->setMetadataLocations(
                {AsLocation::OAuthInserted, AsLocation::OidcInserted, AsLocation::OidcAppended});
        m_auth->setAdvertisedIssuer(advertised);
        m_auth->setProtectedResource(resource());
        if (!ok)
            QTest::ignoreMessage(
                    QtWarningMsg, QRegularExpression(u"authorization discovery failed"_s));
        const std::optional<DiscoveryResult> result = run(request());
        QVERIFY(result);
        QCOMPARE(result->ok, ok);
        if (ok) {
            QCOMPARE(m_auth->metadataCount(), 1);
            return;
        }
        QCOMPARE(m_auth->metadataCount(), 3); // each mismatching document is skipped
        QVERIFY2(result->error.contains(u"no usable authorization server metadata for the issuer "_s
                         + m_auth->issuer()),
                qPrintable(result->error));
        QVERIFY2(
                result->error.contains(u"names issuer "_s + advertised), qPrintable(result->error));
    }

    // The issuer the metadata URL is built from is the PRM's authorization_servers entry as
    // written, not QUrl's normalisation of it: a document naming the normalised form is not used.
    void issuerComparedAsThePrmNamesIt_data()
    {
        QTest::addColumn<QString>("named"); // in the PRM; %1: the real issuer
        QTest::addColumn<QString>("advertised"); // in the AS metadata
        QTest::addColumn<bool>("ok");
        QTest::addRow("identical") << u"http%1"_s << u"http%1"_s << true;
        QTest::addRow("identical, upper-case scheme") << u"HTTP%1"_s << u"HTTP%1"_s << true;
        QTest::addRow("PRM upper-case scheme, document normalised")
                << u"HTTP%1"_s << u"http%1"_s << false;
        QTest::addRow("PRM with trailing slash, document without")
                << u"http%1/"_s << u"http%1"_s << false;
    }
    void issuerComparedAsThePrmNamesIt()
    {
        QFETCH(QString, named);
        QFETCH(QString, advertised);
        QFETCH(bool, ok);
        m_auth->setIssuerPath(u"/t"_s);
        // The issuer without its scheme ("://127.0.0.1:<port>/t").
        const QString rest = m_auth->issuer().mid(m_auth->issuer().indexOf(u':'));
        named = named.arg(rest);
        advertised = advertised.arg(rest);
        m_auth->setAdvertisedIssuer(advertised);
        m_auth->setProtectedResource(resource());
        m_auth->setResourceMetadataValue(u"authorization_servers"_s, QJsonArray{named});
        if (!ok)
            QTest::ignoreMessage(
                    QtWarningMsg, QRegularExpression(u"authorization discovery failed"_s));
        const std::optional<DiscoveryResult> result = run(request());
        QVERIFY(result);
        QVERIFY2(result->ok == ok, qPrintable(result->error));
        if (ok)
            QCOMPARE(result->server.issuer, named); // the recorded issuer, as named
        else
            QVERIFY2(result->error.contains(
                             u"names issuer "_s + advertised + u", expected "_s + named),
                    qPrintable(result->error));
    }

    void mismatchingFirstDocumentThenGoodOne()
    {
        m_auth->setIssuerPath(u"/t"_s);
        m_auth->setMetadataLocations({AsLocation::OidcInserted});
        m_auth->setProtectedResource(resource());
        QJsonObject wrong = m_auth->authorizationServerMetadata();
        wrong.insert(u"issuer"_s, u"https://evil.example.com/t"_s);
        wrong.insert(u"token_endpoint"_s, u"https://evil.example.com/token"_s);
        m_auth->setResponse(OAuthRoot + u"/t"_s, 200, QJsonDocument(wrong).toJson());
        const std::optional<DiscoveryResult> result = run(request());
        QVERIFY(result);
        QVERIFY2(result->ok, qPrintable(result->error));
        QCOMPARE(result->server.tokenEndpoint, m_auth->tokenEndpoint());
    }

    void mismatchingIssuerWithoutResourceMetadataIsNoFallback()
    {
        m_auth->setMetadataLocations({AsLocation::OAuthRoot});
        m_auth->setAdvertisedIssuer(u"https://evil.example.com"_s);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"authorization discovery failed"_s));
        const std::optional<DiscoveryResult> result = run(request());
        QVERIFY(result);
        QVERIFY(!result->ok);
        QVERIFY2(result->error.contains(u"names issuer https://evil.example.com"_s),
                qPrintable(result->error));
    }

    // MCP "Communication Security"; OAuth 2.1 section 1.5.
    void insecureEndpoints_data()
    {
        QTest::addColumn<QString>("member");
        QTest::addColumn<bool>("allowInsecure");
        QTest::addColumn<bool>("ok");
        for (const QString &member :
                {u"authorization_endpoint"_s, u"token_endpoint"_s, u"registration_endpoint"_s}) {
            QTest::addRow("%s", qPrintable(member)) << member << false << false;
            QTest::addRow("%s, allowed", qPrintable(member)) << member << true << true;
        }
        QTest::addRow("revocation_endpoint is dropped")
                << u"revocation_endpoint"_s << false << true;
        QTest::addRow("device_authorization_endpoint is dropped")
                << u"device_authorization_endpoint"_s << false << true;
    }
    void insecureEndpoints()
    {
        QFETCH(QString, member);
        QFETCH(bool, allowInsecure);
        QFETCH(bool, ok);
        m_auth->setProtectedResource(resource());
        m_auth->setMetadataLocations({AsLocation::OAuthRoot});
        const QString insecure = u"http://as.example.com/endpoint"_s;
        m_auth->setMetadataValue(member, insecure);
        DiscoveryRequest r = request();
        r.allowInsecureHttp = allowInsecure;
        if (!ok)
            QTest::ignoreMessage(
                    QtWarningMsg, QRegularExpression(u"authorization discovery failed"_s));
        else if (!allowInsecure)
            QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"ignoring the insecure"_s));
        const std::optional<DiscoveryResult> result = run(r);
        QVERIFY(result);
        QCOMPARE(result->ok, ok);
        if (!ok) {
            QVERIFY2(result->error.contains(member) && result->error.contains(insecure),
                    qPrintable(result->error));
        } else if (member == u"revocation_endpoint"_s) {
            QVERIFY(result->server.revocationEndpoint.isEmpty());
        } else if (member == u"device_authorization_endpoint"_s) {
            QVERIFY(result->server.deviceAuthorizationEndpoint.isEmpty());
        }
    }

    void insecureIssuerIsRefusedWithoutRequest()
    {
        m_auth->setProtectedResource(resource());
        m_auth->setResourceMetadataValue(
                u"authorization_servers"_s, QJsonArray{u"http://as.example.com"_s});
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"authorization discovery failed"_s));
        const std::optional<DiscoveryResult> result = run(request());
        QVERIFY(result);
        QVERIFY(!result->ok);
        QVERIFY2(result->error.contains(u"http://as.example.com"_s), qPrintable(result->error));
        QCOMPARE(result->tried.size(), 1);
    }

    void insecureServerUrlIsRefusedWithoutRequest()
    {
        DiscoveryRequest r = request();
        r.serverUrl = QUrl(u"http://mcp.example.com/mcp"_s);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"authorization discovery failed"_s));
        const std::optional<DiscoveryResult> result = run(r);
        QVERIFY(result);
        QVERIFY(!result->ok);
        QVERIFY(result->tried.isEmpty());
    }

    // MCP 2025-03-26 "Server Metadata Discovery Headers"; and no credentials on discovery.
    void protocolVersionOnEveryRequest_data()
    {
        QTest::addColumn<QString>("version");
        QTest::addRow("2025-11-25") << u"2025-11-25"_s;
        QTest::addRow("none") << QString();
    }
    void protocolVersionOnEveryRequest()
    {
        QFETCH(QString, version);
        m_auth->setMetadataLocations({AsLocation::OidcRoot});
        DiscoveryRequest r = request();
        r.protocolVersion = version;
        const std::optional<DiscoveryResult> result = run(r);
        QVERIFY(result && result->ok);
        QCOMPARE(m_auth->http().requests().size(), 4);
        for (const FakeHttpRequest &sent : m_auth->http().requests()) {
            QCOMPARE(sent.method, "GET"_ba);
            QCOMPARE(sent.hasHeader("MCP-Protocol-Version"), !version.isEmpty());
            QCOMPARE(sent.header("MCP-Protocol-Version"), version.toUtf8());
            QCOMPARE(sent.header("Accept"), "application/json"_ba);
            QVERIFY(!sent.hasHeader("Authorization"));
            QVERIFY(!sent.hasHeader("Cookie"));
        }
    }

    void serverErrorsAreTriedPastAndReported()
    {
        // 5xx on the path-inserted PRM: the root one is still tried and wins.
        m_auth->setProtectedResource(resource(), {PrmLocation::Root});
        m_auth->setResponse(PrmInserted, 503, "busy");
        m_auth->setMetadataLocations({AsLocation::OAuthRoot});
        std::optional<DiscoveryResult> result = run(request());
        QVERIFY(result);
        QVERIFY2(result->ok, qPrintable(result->error));
        QCOMPARE(result->resourceMetadataUrl.path(), PrmRoot);
    }

    void serverErrorsPreventTheFallback()
    {
        m_auth->setMetadataLocations({});
        m_auth->setResponse(OAuthRoot, 500, "oops");
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"authorization discovery failed"_s));
        const std::optional<DiscoveryResult> result = run(request());
        QVERIFY(result);
        QVERIFY(!result->ok);
        QVERIFY2(result->error.contains(m_auth->url(OAuthRoot).toString() + u": HTTP 500"_s),
                qPrintable(result->error));
        QVERIFY(result->error.contains(PrmInserted + u": HTTP 404"_s));
    }

    void invalidDocumentsAreSkipped()
    {
        m_auth->setProtectedResource(resource(), {PrmLocation::Root});
        m_auth->setResponse(PrmInserted, 200, "<html>SPA</html>", "text/html");
        m_auth->setMetadataLocations({AsLocation::OidcRoot});
        m_auth->setResponse(OAuthRoot, 200, R"({"issuer": 42})");
        const std::optional<DiscoveryResult> result = run(request());
        QVERIFY(result);
        QVERIFY2(result->ok, qPrintable(result->error));
        QCOMPARE(pathsOf(result->tried), (QStringList{PrmInserted, PrmRoot, OAuthRoot, OidcRoot}));
    }

    void redirectsAreNotFollowed()
    {
        m_auth->setProtectedResource(resource(), {PrmLocation::Root});
        m_auth->http().setHandler([this](const FakeHttpRequest &req, FakeHttpResponder *responder) {
            if (req.path() == PrmInserted.toUtf8()) {
                responder->reply(302, {{"Location", m_auth->url(PrmRoot).toEncoded()}});
                return;
            }
            if (!m_auth->handle(req, responder))
                responder->reply(404);
        });
        m_auth->setMetadataLocations({AsLocation::OAuthRoot});
        const std::optional<DiscoveryResult> result = run(request());
        QVERIFY(result && result->ok);
        // The root was requested once, as the next candidate, not as the redirect target.
        QCOMPARE(requestedPaths(m_auth->http()), (QStringList{PrmInserted, PrmRoot, OAuthRoot}));
    }

    void timeoutPerRequest()
    {
        FakeHttpServer silent;
        QVERIFY(silent.listen());
        silent.setHandler([](const FakeHttpRequest &, FakeHttpResponder *) { /* never */ });
        DiscoveryRequest r;
        r.serverUrl = silent.url(u"/mcp"_s);
        r.timeoutMs = 200;
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"authorization discovery failed"_s));
        QElapsedTimer clock;
        clock.start();
        const std::optional<DiscoveryResult> result = run(r);
        QVERIFY(result);
        QVERIFY(!result->ok);
        QVERIFY2(result->error.contains(u"no answer within 200 ms"_s), qPrintable(result->error));
        QCOMPARE(result->tried.size(), 4); // PRM ×2, then the origin's OAuth and OIDC metadata
        QVERIFY(clock.elapsed() < 4 * 200 + 2000);
    }

    void noCallbackWhenContextDies()
    {
        m_auth->setProtectedResource(resource());
        auto context = std::make_unique<QObject>();
        int calls = 0;
        m_discovery->discover(request(), context.get(), [&](const DiscoveryResult &) { ++calls; });
        context.reset();
        QTest::qWait(300);
        QCOMPARE(calls, 0);
    }

    void noCallbackWhenDiscoveryDies()
    {
        FakeHttpServer silent;
        QVERIFY(silent.listen());
        silent.setHandler([](const FakeHttpRequest &, FakeHttpResponder *) { /* never */ });
        DiscoveryRequest r;
        r.serverUrl = silent.url(u"/mcp"_s);
        int calls = 0;
        m_discovery->discover(r, this, [&](const DiscoveryResult &) { ++calls; });
        QTRY_COMPARE(silent.requests().size(), 1);
        m_discovery.reset();
        QTest::qWait(100);
        QCOMPARE(calls, 0);
    }
};

QTEST_GUILESS_MAIN(tst_AuthorizationDiscovery)
#include "tst_authorizationdiscovery.moc"
