#include "auth/protocol/metadata.h"

#include <QtTest/QTest>

using namespace McpProxy;
using namespace Qt::StringLiterals;

namespace {

QStringList toStrings(const QList<QUrl> &urls)
{
    QStringList strings;
    for (const QUrl &url : urls)
        strings.append(url.toString(QUrl::FullyEncoded));
    return strings;
}

} // namespace

class tst_Metadata : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void canonicalResourceUri_data();
    void canonicalResourceUri();
    void resourceMatchesServer_data();
    void resourceMatchesServer();
    void protectedResourceMetadataUrls_data();
    void protectedResourceMetadataUrls();
    void authorizationServerMetadataUrls_data();
    void authorizationServerMetadataUrls();
    void parseProtectedResourceMetadata_data();
    void parseProtectedResourceMetadata();
    void parseAuthorizationServerMetadataDocument();
    void parseAuthorizationServerMetadata_data();
    void parseAuthorizationServerMetadata();
    void fallbackFor_data();
    void fallbackFor();
};

void tst_Metadata::canonicalResourceUri_data()
{
    QTest::addColumn<QString>("serverUrl");
    QTest::addColumn<QString>("expected");

    QTest::newRow("already canonical")
            << u"https://mcp.example.com/mcp"_s << u"https://mcp.example.com/mcp"_s;
    QTest::newRow("upper-case scheme and host")
            << u"HTTPS://MCP.Example.COM/mcp"_s << u"https://mcp.example.com/mcp"_s;
    QTest::newRow("path case kept") << u"https://example.com/MCP"_s << u"https://example.com/MCP"_s;
    QTest::newRow("default https port dropped")
            << u"https://mcp.example.com:443/mcp"_s << u"https://mcp.example.com/mcp"_s;
    QTest::newRow("default http port dropped")
            << u"http://mcp.example.com:80/mcp"_s << u"http://mcp.example.com/mcp"_s;
    QTest::newRow("other port kept")
            << u"https://mcp.example.com:8443/mcp"_s << u"https://mcp.example.com:8443/mcp"_s;
    QTest::newRow("http on 443 keeps the port")
            << u"http://mcp.example.com:443/mcp"_s << u"http://mcp.example.com:443/mcp"_s;
    QTest::newRow("root slash dropped")
            << u"https://mcp.example.com/"_s << u"https://mcp.example.com"_s;
    QTest::newRow("no path") << u"https://mcp.example.com"_s << u"https://mcp.example.com"_s;
    QTest::newRow("trailing slash dropped")
            << u"https://mcp.example.com/mcp/"_s << u"https://mcp.example.com/mcp"_s;
    QTest::newRow("only one trailing slash dropped")
            << u"https://mcp.example.com/mcp//"_s << u"https://mcp.example.com/mcp/"_s;
    QTest::newRow("fragment dropped")
            << u"https://mcp.example.com/mcp#section"_s << u"https://mcp.example.com/mcp"_s;
    QTest::newRow("query kept") << u"https://mcp.example.com/server/mcp?tenant=a"_s
                                << u"https://mcp.example.com/server/mcp?tenant=a"_s;
    QTest::newRow("user info dropped")
            << u"https://user:secret@mcp.example.com/mcp"_s << u"https://mcp.example.com/mcp"_s;
    QTest::newRow("ipv4 loopback with port")
            << u"http://127.0.0.1:3000/mcp"_s << u"http://127.0.0.1:3000/mcp"_s;
    QTest::newRow("ipv6 loopback with port")
            << u"http://[::1]:3000/mcp"_s << u"http://[::1]:3000/mcp"_s;
    QTest::newRow("percent-encoding kept")
            << u"https://example.com/a%20b/mcp"_s << u"https://example.com/a%20b/mcp"_s;
    QTest::newRow("relative url") << u"/mcp"_s << QString();
    QTest::newRow("empty") << QString() << QString();
}

void tst_Metadata::canonicalResourceUri()
{
    QFETCH(QString, serverUrl);
    QFETCH(QString, expected);
    QCOMPARE(McpProxy::canonicalResourceUri(QUrl(serverUrl)), expected);
}

void tst_Metadata::resourceMatchesServer_data()
{
    QTest::addColumn<QString>("resource");
    QTest::addColumn<QString>("serverUrl");
    QTest::addColumn<bool>("matches");

    const QString server = u"https://mcp.example.com/public/mcp"_s;
    QTest::newRow("exact") << server << server << true;
    QTest::newRow("trailing slash on the resource") << server + u'/' << server << true;
    QTest::newRow("host case and default port")
            << u"https://MCP.example.com:443/public/mcp"_s << server << true;
    QTest::newRow("origin is a parent") << u"https://mcp.example.com"_s << server << true;
    QTest::newRow("origin with slash is a parent")
            << u"https://mcp.example.com/"_s << server << true;
    QTest::newRow("path parent") << u"https://mcp.example.com/public"_s << server << true;
    QTest::newRow("path parent with slash")
            << u"https://mcp.example.com/public/"_s << server << true;
    QTest::newRow("prefix that is not a segment")
            << u"https://mcp.example.com/pub"_s << server << false;
    QTest::newRow("child of the server")
            << u"https://mcp.example.com/public/mcp/more"_s << server << false;
    QTest::newRow("sibling path") << u"https://mcp.example.com/private/mcp"_s << server << false;
    QTest::newRow("other host") << u"https://evil.example.com/public/mcp"_s << server << false;
    QTest::newRow("host suffix") << u"https://example.com"_s << server << false;
    QTest::newRow("other scheme") << u"http://mcp.example.com/public/mcp"_s << server << false;
    QTest::newRow("other port") << u"https://mcp.example.com:8443/public/mcp"_s << server << false;
    QTest::newRow("resource with query is exact only")
            << u"https://mcp.example.com?x=1"_s << server << false;
    QTest::newRow("same query") << u"https://mcp.example.com/mcp?t=1"_s
                                << u"https://mcp.example.com/mcp?t=1"_s << true;
    QTest::newRow("path case differs")
            << u"https://mcp.example.com/Public/mcp"_s << server << false;
    QTest::newRow("empty resource") << QString() << server << false;
    QTest::newRow("garbage resource") << u"not a url"_s << server << false;
    QTest::newRow("relative resource") << u"/public/mcp"_s << server << false;
}

void tst_Metadata::resourceMatchesServer()
{
    QFETCH(QString, resource);
    QFETCH(QString, serverUrl);
    QFETCH(bool, matches);
    QCOMPARE(McpProxy::resourceMatchesServer(resource, QUrl(serverUrl)), matches);
}

void tst_Metadata::protectedResourceMetadataUrls_data()
{
    QTest::addColumn<QString>("serverUrl");
    QTest::addColumn<QString>("fromChallenge");
    QTest::addColumn<QStringList>("expected");

    QTest::newRow("mcp 2025-11-25 example")
            << u"https://example.com/public/mcp"_s << QString()
            << QStringList{u"https://example.com/.well-known/oauth-protected-resource/public/mcp"_s,
                       u"https://example.com/.well-known/oauth-protected-resource"_s};
    QTest::newRow("rfc 9728 §3.1 example")
            << u"https://resource.example.com/resource1"_s << QString()
            << QStringList{
                       u"https://resource.example.com/.well-known/oauth-protected-resource/resource1"_s,
                       u"https://resource.example.com/.well-known/oauth-protected-resource"_s};
    QTest::newRow("challenge url first")
            << u"https://example.com/public/mcp"_s << u"https://example.com/custom/prm"_s
            << QStringList{u"https://example.com/custom/prm"_s,
                       u"https://example.com/.well-known/oauth-protected-resource/public/mcp"_s,
                       u"https://example.com/.well-known/oauth-protected-resource"_s};
    QTest::newRow("challenge url is not repeated")
            << u"https://example.com/public/mcp"_s
            << u"https://example.com/.well-known/oauth-protected-resource/public/mcp"_s
            << QStringList{u"https://example.com/.well-known/oauth-protected-resource/public/mcp"_s,
                       u"https://example.com/.well-known/oauth-protected-resource"_s};
    QTest::newRow("origin only")
            << u"https://example.com"_s << QString()
            << QStringList{u"https://example.com/.well-known/oauth-protected-resource"_s};
    QTest::newRow("root path")
            << u"https://example.com/"_s << QString()
            << QStringList{u"https://example.com/.well-known/oauth-protected-resource"_s};
    QTest::newRow("trailing slash removed")
            << u"https://example.com/mcp/"_s << QString()
            << QStringList{u"https://example.com/.well-known/oauth-protected-resource/mcp"_s,
                       u"https://example.com/.well-known/oauth-protected-resource"_s};
    QTest::newRow("port and case")
            << u"http://LOCALHOST:3000/mcp"_s << QString()
            << QStringList{u"http://localhost:3000/.well-known/oauth-protected-resource/mcp"_s,
                       u"http://localhost:3000/.well-known/oauth-protected-resource"_s};
    QTest::newRow("query kept in the path-inserted url")
            << u"https://example.com/mcp?tenant=a"_s << QString()
            << QStringList{
                       u"https://example.com/.well-known/oauth-protected-resource/mcp?tenant=a"_s,
                       u"https://example.com/.well-known/oauth-protected-resource"_s};
    QTest::newRow("fragment and user info dropped")
            << u"https://user@example.com/mcp#x"_s << QString()
            << QStringList{u"https://example.com/.well-known/oauth-protected-resource/mcp"_s,
                       u"https://example.com/.well-known/oauth-protected-resource"_s};
    QTest::newRow("invalid server keeps the challenge")
            << QString() << u"https://example.com/prm"_s
            << QStringList{u"https://example.com/prm"_s};
    QTest::newRow("nothing at all") << QString() << QString() << QStringList();
}

void tst_Metadata::protectedResourceMetadataUrls()
{
    QFETCH(QString, serverUrl);
    QFETCH(QString, fromChallenge);
    QFETCH(QStringList, expected);
    QCOMPARE(toStrings(
                     McpProxy::protectedResourceMetadataUrls(QUrl(serverUrl), QUrl(fromChallenge))),
            expected);
}

void tst_Metadata::authorizationServerMetadataUrls_data()
{
    QTest::addColumn<QString>("issuer");
    QTest::addColumn<QStringList>("expected");

    QTest::newRow("mcp 2025-11-25 issuer with path")
            << u"https://auth.example.com/tenant1"_s
            << QStringList{
                       u"https://auth.example.com/.well-known/oauth-authorization-server/tenant1"_s,
                       u"https://auth.example.com/.well-known/openid-configuration/tenant1"_s,
                       u"https://auth.example.com/tenant1/.well-known/openid-configuration"_s};
    QTest::newRow("mcp 2025-11-25 issuer without path")
            << u"https://auth.example.com"_s
            << QStringList{u"https://auth.example.com/.well-known/oauth-authorization-server"_s,
                       u"https://auth.example.com/.well-known/openid-configuration"_s};
    QTest::newRow("issuer with root slash")
            << u"https://auth.example.com/"_s
            << QStringList{u"https://auth.example.com/.well-known/oauth-authorization-server"_s,
                       u"https://auth.example.com/.well-known/openid-configuration"_s};
    QTest::newRow("rfc 8414 §3.1 example")
            << u"https://example.com/issuer1"_s
            << QStringList{u"https://example.com/.well-known/oauth-authorization-server/issuer1"_s,
                       u"https://example.com/.well-known/openid-configuration/issuer1"_s,
                       u"https://example.com/issuer1/.well-known/openid-configuration"_s};
    QTest::newRow("keycloak realm")
            << u"https://login.example.com/realms/mcp"_s
            << QStringList{
                       u"https://login.example.com/.well-known/oauth-authorization-server/realms/mcp"_s,
                       u"https://login.example.com/.well-known/openid-configuration/realms/mcp"_s,
                       u"https://login.example.com/realms/mcp/.well-known/openid-configuration"_s};
    QTest::newRow("port kept and trailing slash removed")
            << u"https://auth.example.com:8443/t/"_s
            << QStringList{
                       u"https://auth.example.com:8443/.well-known/oauth-authorization-server/t"_s,
                       u"https://auth.example.com:8443/.well-known/openid-configuration/t"_s,
                       u"https://auth.example.com:8443/t/.well-known/openid-configuration"_s};
    QTest::newRow("relative issuer") << u"tenant1"_s << QStringList();
    QTest::newRow("empty issuer") << QString() << QStringList();
}

void tst_Metadata::authorizationServerMetadataUrls()
{
    QFETCH(QString, issuer);
    QFETCH(QStringList, expected);
    QCOMPARE(toStrings(McpProxy::authorizationServerMetadataUrls(QUrl(issuer))), expected);
}

void tst_Metadata::parseProtectedResourceMetadata_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QString>("resource");
    QTest::addColumn<QStringList>("authorizationServers");
    QTest::addColumn<QStringList>("scopes");
    QTest::addColumn<bool>("hasScopes");
    QTest::addColumn<QString>("errorPart");

    QTest::newRow("rfc 9728 §3.2 example, unknown members ignored")
            << R"({"resource":"https://resource.example.com",
                  "authorization_servers":["https://as1.example.com","https://as2.example.net"],
                  "bearer_methods_supported":["header","body"],
                  "scopes_supported":["profile","email","phone"],
                  "resource_documentation":"https://resource.example.com/resource_documentation.html"})"_ba
            << true << u"https://resource.example.com"_s
            << QStringList{u"https://as1.example.com"_s, u"https://as2.example.net"_s}
            << QStringList{u"profile"_s, u"email"_s, u"phone"_s} << true << QString();
    QTest::newRow("empty scopes_supported")
            << R"({"resource":"https://r.example","scopes_supported":[]})"_ba << true
            << u"https://r.example"_s << QStringList() << QStringList() << true << QString();
    QTest::newRow("no scopes_supported")
            << R"({"resource":"https://r.example"})"_ba << true << u"https://r.example"_s
            << QStringList() << QStringList() << false << QString();
    QTest::newRow("null members are absent")
            << R"({"resource":"https://r.example","scopes_supported":null,"authorization_servers":null})"_ba
            << true << u"https://r.example"_s << QStringList() << QStringList() << false
            << QString();
    QTest::newRow("missing resource")
            << R"({"authorization_servers":["https://as.example"]})"_ba << false << QString()
            << QStringList() << QStringList() << false << u"\"resource\""_s;
    QTest::newRow("empty resource") << R"({"resource":""})"_ba << false << QString()
                                    << QStringList() << QStringList() << false << u"\"resource\""_s;
    QTest::newRow("resource is not a string")
            << R"({"resource":42})"_ba << false << QString() << QStringList() << QStringList()
            << false << u"\"resource\""_s;
    QTest::newRow("authorization_servers is a string")
            << R"({"resource":"https://r.example","authorization_servers":"https://as.example"})"_ba
            << false << QString() << QStringList() << QStringList() << false
            << u"\"authorization_servers\""_s;
    QTest::newRow("authorization_servers holds a number")
            << R"({"resource":"https://r.example","authorization_servers":[1]})"_ba << false
            << QString() << QStringList() << QStringList() << false
            << u"\"authorization_servers\""_s;
    QTest::newRow("authorization_servers holds a relative url")
            << R"({"resource":"https://r.example","authorization_servers":["/as"]})"_ba << false
            << QString() << QStringList() << QStringList() << false
            << u"\"authorization_servers\""_s;
    QTest::newRow("scopes_supported holds an object")
            << R"({"resource":"https://r.example","scopes_supported":["a",{}]})"_ba << false
            << QString() << QStringList() << QStringList() << false << u"\"scopes_supported\""_s;
    QTest::newRow("not json") << "<html>404</html>"_ba << false << QString() << QStringList()
                              << QStringList() << false << u"JSON"_s;
    QTest::newRow("json array") << R"([{"resource":"https://r.example"}])"_ba << false << QString()
                                << QStringList() << QStringList() << false << u"object"_s;
    QTest::newRow("empty body") << QByteArray() << false << QString() << QStringList()
                                << QStringList() << false << u"JSON"_s;
}

void tst_Metadata::parseProtectedResourceMetadata()
{
    QFETCH(QByteArray, json);
    QFETCH(bool, valid);
    QFETCH(QString, resource);
    QFETCH(QStringList, authorizationServers);
    QFETCH(QStringList, scopes);
    QFETCH(bool, hasScopes);
    QFETCH(QString, errorPart);

    QString error;
    const std::optional<ProtectedResourceMetadata> metadata =
            ProtectedResourceMetadata::parse(json, &error);
    QCOMPARE(metadata.has_value(), valid);
    if (!metadata) {
        QVERIFY2(error.contains(errorPart), qPrintable(error));
        return;
    }
    QVERIFY(error.isEmpty());
    QCOMPARE(metadata->resource, resource);
    QCOMPARE(toStrings(metadata->authorizationServers), authorizationServers);
    QCOMPARE(metadata->scopesSupported, scopes);
    QCOMPARE(metadata->hasScopesSupported, hasScopes);
}

void tst_Metadata::parseAuthorizationServerMetadataDocument()
{
    // RFC 8414 section 3.2 example plus the members MCP 2025-11-25 and RFC 9207 add.
    const QByteArray json = R"({
        "issuer": "https://server.example.com",
        "authorization_endpoint": "https://server.example.com/authorize",
        "token_endpoint": "https://server.example.com/token",
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "ES256"],
        "userinfo_endpoint": "https://server.example.com/userinfo",
        "jwks_uri": "https://server.example.com/jwks.json",
        "registration_endpoint": "https://server.example.com/register",
        "revocation_endpoint": "https://server.example.com/revoke",
        "device_authorization_endpoint": "https://server.example.com/device_authorization",
        "scopes_supported": ["openid", "profile", "email", "address", "phone", "offline_access"],
        "response_types_supported": ["code", "code token"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "client_id_metadata_document_supported": true,
        "authorization_response_iss_parameter_supported": true,
        "service_documentation": "http://server.example.com/service_documentation.html",
        "ui_locales_supported": ["en-US", "en-GB", "en-CA", "fr-FR", "fr-CA"]
    })"_ba;
    QString error;
    const std::optional<AuthorizationServerMetadata> metadata =
            AuthorizationServerMetadata::parse(json, &error);
    QVERIFY2(metadata, qPrintable(error));
    QCOMPARE(metadata->issuer, u"https://server.example.com"_s);
    QCOMPARE(metadata->authorizationEndpoint, QUrl(u"https://server.example.com/authorize"_s));
    QCOMPARE(metadata->tokenEndpoint, QUrl(u"https://server.example.com/token"_s));
    QCOMPARE(metadata->registrationEndpoint, QUrl(u"https://server.example.com/register"_s));
    QCOMPARE(metadata->revocationEndpoint, QUrl(u"https://server.example.com/revoke"_s));
    QCOMPARE(metadata->deviceAuthorizationEndpoint,
            QUrl(u"https://server.example.com/device_authorization"_s)); // RFC 8628 section 4
    QCOMPARE(metadata->scopesSupported.size(), 6);
    QCOMPARE(metadata->scopesSupported.last(), u"offline_access"_s);
    QCOMPARE(metadata->responseTypesSupported, (QStringList{u"code"_s, u"code token"_s}));
    QCOMPARE(metadata->grantTypesSupported,
            (QStringList{u"authorization_code"_s, u"refresh_token"_s}));
    QCOMPARE(metadata->codeChallengeMethodsSupported, QStringList{u"S256"_s});
    QCOMPARE(metadata->tokenEndpointAuthMethodsSupported,
            (QStringList{u"client_secret_basic"_s, u"private_key_jwt"_s}));
    QCOMPARE(metadata->tokenEndpointAuthSigningAlgValuesSupported,
            (QStringList{u"RS256"_s, u"ES256"_s}));
    QVERIFY(metadata->clientIdMetadataDocumentSupported);
    QVERIFY(metadata->authorizationResponseIssParameterSupported);
    QVERIFY(!metadata->fromFallback);
}

void tst_Metadata::parseAuthorizationServerMetadata_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QString>("errorPart");

    QTest::newRow("issuer only") << R"({"issuer":"https://as.example"})"_ba << true << QString();
    QTest::newRow("null members are absent")
            << R"({"issuer":"https://as.example","token_endpoint":null,"code_challenge_methods_supported":null,"client_id_metadata_document_supported":null})"_ba
            << true << QString();
    QTest::newRow("missing issuer")
            << R"({"token_endpoint":"https://as.example/token"})"_ba << false << u"\"issuer\""_s;
    QTest::newRow("empty issuer") << R"({"issuer":""})"_ba << false << u"\"issuer\""_s;
    QTest::newRow("issuer is an array")
            << R"({"issuer":["https://as.example"]})"_ba << false << u"\"issuer\""_s;
    QTest::newRow("token_endpoint is a number")
            << R"({"issuer":"https://as.example","token_endpoint":1})"_ba << false
            << u"\"token_endpoint\""_s;
    QTest::newRow("token_endpoint is relative")
            << R"({"issuer":"https://as.example","token_endpoint":"/token"})"_ba << false
            << u"\"token_endpoint\""_s;
    QTest::newRow("authorization_endpoint is not http")
            << R"({"issuer":"https://as.example","authorization_endpoint":"javascript:x"})"_ba
            << false << u"\"authorization_endpoint\""_s;
    QTest::newRow("code_challenge_methods_supported is a string")
            << R"({"issuer":"https://as.example","code_challenge_methods_supported":"S256"})"_ba
            << false << u"\"code_challenge_methods_supported\""_s;
    QTest::newRow("cimd flag is a string")
            << R"({"issuer":"https://as.example","client_id_metadata_document_supported":"true"})"_ba
            << false << u"\"client_id_metadata_document_supported\""_s;
    QTest::newRow("not json") << "issuer=https://as.example"_ba << false << u"JSON"_s;
    QTest::newRow("json string") << R"("https://as.example")"_ba << false << u"JSON"_s;
}

void tst_Metadata::parseAuthorizationServerMetadata()
{
    QFETCH(QByteArray, json);
    QFETCH(bool, valid);
    QFETCH(QString, errorPart);

    QString error;
    const std::optional<AuthorizationServerMetadata> metadata =
            AuthorizationServerMetadata::parse(json, &error);
    QCOMPARE(metadata.has_value(), valid);
    if (metadata) {
        QCOMPARE(metadata->issuer, u"https://as.example"_s);
        QVERIFY(metadata->codeChallengeMethodsSupported.isEmpty());
        QVERIFY(!metadata->clientIdMetadataDocumentSupported);
    } else {
        QVERIFY2(error.contains(errorPart), qPrintable(error));
    }
}

void tst_Metadata::fallbackFor_data()
{
    QTest::addColumn<QString>("serverUrl");
    QTest::addColumn<QString>("issuer");
    QTest::addColumn<QString>("authorizationEndpoint");
    QTest::addColumn<QString>("tokenEndpoint");
    QTest::addColumn<QString>("registrationEndpoint");

    QTest::newRow("path is dropped")
            << u"https://mcp.example.com/some/path/mcp"_s << u"https://mcp.example.com"_s
            << u"https://mcp.example.com/authorize"_s << u"https://mcp.example.com/token"_s
            << u"https://mcp.example.com/register"_s;
    QTest::newRow("port kept") << u"http://127.0.0.1:3000/mcp"_s << u"http://127.0.0.1:3000"_s
                               << u"http://127.0.0.1:3000/authorize"_s
                               << u"http://127.0.0.1:3000/token"_s
                               << u"http://127.0.0.1:3000/register"_s;
    QTest::newRow("default port, query and fragment dropped")
            << u"https://MCP.example.com:443/mcp?x=1#f"_s << u"https://mcp.example.com"_s
            << u"https://mcp.example.com/authorize"_s << u"https://mcp.example.com/token"_s
            << u"https://mcp.example.com/register"_s;
    QTest::newRow("invalid server url")
            << QString() << QString() << QString() << QString() << QString();
}

void tst_Metadata::fallbackFor()
{
    QFETCH(QString, serverUrl);
    QFETCH(QString, issuer);
    QFETCH(QString, authorizationEndpoint);
    QFETCH(QString, tokenEndpoint);
    QFETCH(QString, registrationEndpoint);

    const AuthorizationServerMetadata metadata =
            AuthorizationServerMetadata::fallbackFor(QUrl(serverUrl));
    QVERIFY(metadata.fromFallback);
    QCOMPARE(metadata.issuer, issuer);
    QCOMPARE(metadata.authorizationEndpoint.toString(), authorizationEndpoint);
    QCOMPARE(metadata.tokenEndpoint.toString(), tokenEndpoint);
    QCOMPARE(metadata.registrationEndpoint.toString(), registrationEndpoint);
    // MCP 2025-11-25: PKCE support must come from metadata; the manager decides for fallbacks.
    QVERIFY(metadata.codeChallengeMethodsSupported.isEmpty());
    QVERIFY(metadata.revocationEndpoint.isEmpty());
}

QTEST_APPLESS_MAIN(tst_Metadata)
#include "tst_metadata.moc"
