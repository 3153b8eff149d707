#pragma once

#include "support/fakehttpserver.h"

#include <QtCore/QDateTime>
#include <QtCore/QHash>
#include <QtCore/QJsonObject>
#include <QtCore/QJsonValue>
#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QSet>
#include <QtCore/QString>
#include <QtCore/QStringList>
#include <QtCore/QUrl>

#include <optional>
#include <utility>

namespace McpProxy::Test {

using FakeFormFields = QList<std::pair<QString, QString>>;

// A client the fake authorization server knows (pre-registered or registered through /register).
struct FakeOAuthClient
{
    QString clientId;
    QString clientSecret; // empty for a public client
    // none, client_secret_basic, client_secret_post or private_key_jwt; empty: any method.
    QString tokenEndpointAuthMethod = QStringLiteral("none");
    QStringList redirectUris; // empty: any redirect URI
    QStringList grantTypes; // empty: any grant
    QJsonObject registeredMetadata; // the /register request, for DCR clients
};

// One /authorize request as the server saw it (query values decoded).
struct FakeAuthorizeRequest
{
    FakeFormFields params;
    QString responseType;
    QString clientId;
    QString redirectUri;
    QString state;
    QString codeChallenge;
    QString codeChallengeMethod;
    QString scope;
    QString resource;
    QUrl redirectedTo; // the Location sent (empty when the request was refused with 400)
    QString error; // empty when a code was issued

    QString param(const QString &name) const;
    bool hasParam(const QString &name) const;
};

// One /token (or /revoke) request: decoded form, how the client authenticated, the outcome.
struct FakeTokenRequest
{
    FakeFormFields params;
    QByteArray contentType;
    QString grantType;
    QString clientAuthMethod; // none, client_secret_basic, client_secret_post, private_key_jwt
    QString clientId;
    QString basicClientSecret; // from the Authorization header (test-only visibility)
    QJsonObject assertionHeader; // private_key_jwt: decoded JOSE header and claims
    QJsonObject assertionClaims;
    int status = 0;
    QString error; // empty when tokens were issued

    QString param(const QString &name) const;
    bool hasParam(const QString &name) const;
};

struct FakeRevocation
{
    QString token; // test-only visibility
    QString tokenTypeHint;
    QString clientId;
    bool known = false;
};

// An OAuth 2.1 authorization server and the RFC 9728 metadata of a protected resource, on top of
// FakeHttpServer (MCP 2025-11-25 authorization, for the tests and the demo server):
// - RFC 8414 / OpenID Connect Discovery metadata at configurable well-known forms, with a
//   configurable (possibly wrong) issuer and any member overridden;
// - RFC 9728 protected resource metadata at the path-inserted, root or custom paths;
// - GET /authorize: validates client, redirect URI and PKCE (S256), then 302 to the redirect URI
//   with code, state and (setIssParameter) iss (RFC 9207); errors as redirects;
// - POST /token: authorization_code (PKCE verified, code single use, redirect_uri and RFC 8707
//   resource checked), refresh_token (rotation), client_credentials; client authentication
//   none / client_secret_basic / client_secret_post / private_key_jwt (JWT structure and claims
//   are checked, the signature is not);
// - POST /register: RFC 7591 DCR; POST /revoke: RFC 7009.
// Endpoints live under the issuer's path. Failures on demand, counters and records for every
// endpoint, and a resource-server helper (acceptsAuthorization(), bearerChallenge()).
class FakeAuthServer : public QObject
{
    Q_OBJECT
public:
    enum class MetadataLocation {
        OAuthInserted, // /.well-known/oauth-authorization-server<issuer path> (RFC 8414
                       // section 3.1)
        OidcInserted, // /.well-known/openid-configuration<issuer path>
        OidcAppended, // <issuer path>/.well-known/openid-configuration (OIDC Discovery section 4)
        OAuthRoot, // /.well-known/oauth-authorization-server, whatever the issuer path
        OidcRoot, // /.well-known/openid-configuration, whatever the issuer path
    };
    Q_ENUM(MetadataLocation)
    enum class ResourceMetadataLocation {
        PathInserted, // /.well-known/oauth-protected-resource<resource path> (RFC 9728 section 3.1)
        Root, // /.well-known/oauth-protected-resource
    };
    Q_ENUM(ResourceMetadataLocation)
    enum class TokenFailure {
        InvalidGrant, // 400 {"error":"invalid_grant"}
        InvalidClient, // 401 {"error":"invalid_client"}
        TemporarilyUnavailable, // 503 {"error":"temporarily_unavailable"}
        ServerError500, // 500 with a text body
        NonJson, // 200 with an HTML body
        Redirect, // 307 to another path
        Hang, // no response at all
    };
    Q_ENUM(TokenFailure)

    explicit FakeAuthServer(QObject *parent = nullptr);
    ~FakeAuthServer() override;

    bool listen(quint16 port = 0, const QHostAddress &address = QHostAddress::LocalHost);
    FakeHttpServer &http() { return m_http; }
    QUrl url(const QString &path = {}) const; // on the public origin
    // For serving from another FakeHttpServer's handler: answers the request and returns true
    // when the path is one of ours. Set the public origin to that server's origin then.
    bool handle(const FakeHttpRequest &request, FakeHttpResponder *responder);
    void setPublicOrigin(const QUrl &origin) { m_publicOrigin = origin; }

    // --- Authorization server metadata ---
    void setIssuerPath(const QString &path); // "" (default) or e.g. "/tenant1"
    QString issuer() const; // origin + issuer path, no trailing slash
    void setAdvertisedIssuer(const QString &issuer) { m_advertisedIssuer = issuer; } // "": issuer()
    void setMetadataLocations(const QList<MetadataLocation> &locations)
    {
        m_metadataLocations = locations;
    }
    QString metadataPath(MetadataLocation location) const;
    // Overrides one member of the AS metadata; an undefined value removes it.
    void setMetadataValue(const QString &key, const QJsonValue &value);
    QJsonObject authorizationServerMetadata() const;
    QUrl authorizationEndpoint() const;
    QUrl tokenEndpoint() const;
    QUrl registrationEndpoint() const;
    QUrl revocationEndpoint() const;
    void setRegistrationEnabled(bool enabled) { m_registrationEnabled = enabled; }
    void setScopesSupported(const QStringList &scopes) { m_scopesSupported = scopes; }

    // --- Protected resource metadata (RFC 9728) ---
    // Serves the metadata of `resource` (authorization_servers: [issuer()]) at `locations` on
    // this server's origin, plus every addResourceMetadataPath().
    void setProtectedResource(const QString &resource,
            const QList<ResourceMetadataLocation> &locations =
                    {ResourceMetadataLocation::PathInserted},
            const QStringList &scopesSupported = {});
    void addResourceMetadataPath(const QString &path); // e.g. "/prm" for a challenge-only URL
    void setResourceMetadataValue(const QString &key, const QJsonValue &value); // undefined: remove
    QJsonObject protectedResourceMetadata() const;
    QUrl resourceMetadataUrl() const; // the first path it is served at
    static QString resourceMetadataPath(const QUrl &resource, ResourceMetadataLocation location);
    // WWW-Authenticate value for a 401/403 of the resource (RFC 6750 section 3, RFC 9728
    // section 5.1).
    QByteArray bearerChallenge(const QString &scope = {}, const QString &error = {}) const;

    // --- Canned answers: `path` gets this response (times: how often; -1: until cleared) ---
    void setResponse(const QString &path, int status, const QByteArray &body = {},
            const QByteArray &contentType = "application/json", int times = -1);
    void clearResponses() { m_canned.clear(); }

    // --- Clients ---
    void addClient(const FakeOAuthClient &client);
    std::optional<FakeOAuthClient> client(const QString &clientId) const;
    // false (default): unknown client_ids are accepted as public clients (any redirect URI).
    void setRequireKnownClients(bool require) { m_requireKnownClients = require; }
    // /register issues a secret for methods other than none (default true).
    void setIssueClientSecrets(bool issue) { m_issueClientSecrets = issue; }
    void failRegistration(
            const QString &error, const QString &description = {}, int status = 400, int times = 1);

    // --- Authorization endpoint ---
    // RFC 9207: iss in the redirect and authorization_response_iss_parameter_supported.
    // GET /authorize answers with a consent page (links "approve" and "deny", the demo's
    // browser stand-in clicks approve) instead of redirecting at once.
    void setConsentPage(bool enabled) { m_consentPage = enabled; }
    void setIssParameter(bool enabled) { m_issParameter = enabled; }
    void setIssParameterValue(const QString &iss) { m_issOverride = iss; } // a wrong one
    void failAuthorization(const QString &error, int times = 1); // redirect with ?error=
    void setRequireResource(bool require) { m_requireResource = require; } // invalid_target
    // The redirect the browser would get for this authorization URL (also recorded and counted
    // like a GET /authorize); empty when the request is refused without a redirect.
    QUrl approve(const QUrl &authorizationUrl);

    // --- Token endpoint ---
    void setAccessTokenLifetime(int seconds)
    {
        m_accessTokenLifetime = seconds;
    } // -1: no expires_in
    void setIssueRefreshTokens(bool issue) { m_issueRefreshTokens = issue; }
    // OpenID Connect: every token response also carries an id_token (an unsigned JWT with
    // `sub` and, when lifetime >= 0, `exp` that many seconds ahead); the latest one is kept.
    void setIssueIdTokens(bool issue, int lifetimeSeconds = -1)
    {
        m_issueIdTokens = issue;
        m_idTokenLifetime = lifetimeSeconds;
    }
    QString latestIdToken() const { return m_latestIdToken; }
    void setRotateRefreshTokens(bool rotate) { m_rotateRefreshTokens = rotate; }
    void setGrantedScope(const QString &scope) { m_grantedScope = scope; } // "": as requested
    void setTokenDelayMs(int delayMs) { m_tokenDelayMs = delayMs; }
    // Tokens contain '+', '/' and '=' (form-encoding tests).
    void setTokenSpecialCharacters(bool enabled) { m_tokenSpecialCharacters = enabled; }
    void failToken(TokenFailure failure, int times = 1);
    void clearTokenFailures() { m_tokenFailures.clear(); }

    // --- Device authorization grant (RFC 8628) ---
    // POST /device: device_code, user_code, verification_uri (+ _complete), expires_in and
    // interval; the device_code grant at /token answers authorization_pending until the test
    // approves or denies the user code, slow_down for the next `slowDowns` polls, expired_token
    // after expires_in. Advertised (device_authorization_endpoint) only when enabled.
    void setDeviceFlow(bool enabled, int expiresInSeconds = 600, int intervalSeconds = 1)
    {
        m_deviceFlow = enabled;
        m_deviceExpiresIn = expiresInSeconds;
        m_deviceInterval = intervalSeconds;
    }
    void setDeviceSlowDowns(int slowDowns) { m_deviceSlowDowns = slowDowns; }
    QUrl deviceAuthorizationEndpoint() const;
    bool approveDevice(const QString &userCode); // false: unknown, expired or not pending
    bool denyDevice(const QString &userCode);
    // Every device_code poll: when it came (UTC) and the error answered (empty: tokens).
    struct DevicePoll
    {
        QDateTime at;
        QString error;
    };
    const QList<DevicePoll> &devicePolls() const { return m_devicePolls; }
    int deviceAuthorizationCount() const { return m_deviceAuthorizationCount; }
    const QList<FakeFormFields> &deviceAuthorizationRequests() const { return m_deviceRequests; }

    // --- Resource server side ---
    bool isAccessTokenValid(const QString &token) const; // issued, not expired, not revoked
    // "Bearer <valid token>" (and, when given, the token's scope holds `requiredScope`).
    bool acceptsAuthorization(
            const QByteArray &authorization, const QString &requiredScope = {}) const;
    QString accessTokenScope(const QString &token) const;
    QString accessTokenResource(const QString &token) const;
    QString latestAccessToken() const { return m_latestAccessToken; }
    QString latestRefreshToken() const { return m_latestRefreshToken; }
    void expireAccessTokens(); // every access token issued so far is now expired
    void revokeAllTokens();

    // --- Observations ---
    int metadataCount() const { return m_metadataCount; }
    int resourceMetadataCount() const { return m_resourceMetadataCount; }
    int authorizeCount() const { return m_authorizeCount; }
    int tokenCount() const { return m_tokenCount; }
    int registerCount() const { return m_registerCount; }
    int revokeCount() const { return m_revokeCount; }
    int issuedAccessTokenCount() const { return int(m_accessTokens.size()); }
    const QList<FakeAuthorizeRequest> &authorizeRequests() const { return m_authorizeRequests; }
    const QList<FakeTokenRequest> &tokenRequests() const { return m_tokenRequests; }
    const QList<QJsonObject> &registrations() const { return m_registrations; }
    const QList<FakeRevocation> &revocations() const { return m_revocations; }

    // application/x-www-form-urlencoded, decoded ('+' is a space).
    static FakeFormFields parseForm(const QByteArray &body);

private:
    struct Code
    {
        QString clientId;
        QString redirectUri;
        QString codeChallenge;
        QString codeChallengeMethod;
        QString scope;
        QString resource;
        int grantId = 0;
        bool used = false;
    };
    struct AccessToken
    {
        QString clientId;
        QString scope;
        QString resource;
        QDateTime expiresAt; // invalid: never
        int grantId = 0;
        bool revoked = false;
    };
    struct RefreshToken
    {
        QString clientId;
        QString scope;
        QString resource;
        int grantId = 0;
        bool revoked = false;
    };
    struct DeviceGrant
    {
        QString clientId;
        QString userCode;
        QString scope;
        QString resource;
        QDateTime expiresAt;
        enum class Status { Pending, Approved, Denied, Used } status = Status::Pending;
    };
    struct Canned
    {
        int status = 200;
        QByteArray body;
        QByteArray contentType;
        int remaining = -1;
    };
    struct RegistrationFailure
    {
        QString error;
        QString description;
        int status = 400;
        int remaining = 1;
    };
    struct ClientCheck
    {
        QString clientId;
        QString error; // invalid_client, invalid_request
        QString description;
    };

    QString origin() const;
    QString endpointPath(const char *name) const;
    void handleMetadata(const FakeHttpRequest &request, FakeHttpResponder *responder);
    void handleResourceMetadata(const FakeHttpRequest &request, FakeHttpResponder *responder);
    FakeAuthorizeRequest authorize(const QUrl &url, int *status);
    void handleAuthorize(const FakeHttpRequest &request, FakeHttpResponder *responder);
    void handleToken(const FakeHttpRequest &request, FakeHttpResponder *responder);
    void answerToken(const FakeHttpRequest &request, FakeHttpResponder *responder);
    ClientCheck authenticateClient(const FakeHttpRequest &request, FakeTokenRequest *record);
    QJsonObject issueTokens(const QString &clientId, const QString &scope, const QString &resource,
            int grantId, bool withRefreshToken);
    void handleRegister(const FakeHttpRequest &request, FakeHttpResponder *responder);
    void handleDeviceAuthorization(const FakeHttpRequest &request, FakeHttpResponder *responder);
    bool answerDeviceCode(const FakeTokenRequest &record, const QString &clientId,
            QJsonObject *tokens, QString *error);
    void handleRevoke(const FakeHttpRequest &request, FakeHttpResponder *responder);
    void revokeGrant(int grantId);
    QString newToken(const char *prefix);

    static void replyJson(FakeHttpResponder *responder, int status, const QJsonObject &body,
            const FakeHttpHeaders &extra = {});
    static void replyOAuthError(FakeHttpResponder *responder, int status, const QString &error,
            const QString &description, const FakeHttpHeaders &extra = {});

    FakeHttpServer m_http;
    QUrl m_publicOrigin;
    QString m_issuerPath;
    QString m_advertisedIssuer;
    QList<MetadataLocation> m_metadataLocations = {MetadataLocation::OAuthInserted};
    QJsonObject m_metadataOverrides;
    QStringList m_removedMetadataKeys;
    QStringList m_scopesSupported;
    bool m_registrationEnabled = true;

    QString m_resource;
    QStringList m_resourceScopes;
    QStringList m_resourceMetadataPaths;
    QJsonObject m_resourceOverrides;
    QStringList m_removedResourceKeys;

    QHash<QString, Canned> m_canned;
    QHash<QString, FakeOAuthClient> m_clients;
    QList<RegistrationFailure> m_registrationFailures;
    QList<std::pair<QString, int>> m_authorizationFailures;
    QList<std::pair<TokenFailure, int>> m_tokenFailures;
    QHash<QString, Code> m_codes;
    QHash<QString, DeviceGrant> m_deviceGrants; // by device_code
    QList<DevicePoll> m_devicePolls;
    QList<FakeFormFields> m_deviceRequests;
    int m_deviceAuthorizationCount = 0;
    int m_deviceExpiresIn = 600;
    int m_deviceInterval = 1;
    int m_deviceSlowDowns = 0;
    bool m_deviceFlow = false;
    QHash<QString, AccessToken> m_accessTokens;
    QHash<QString, RefreshToken> m_refreshTokens;
    QSet<QString> m_assertionIds; // jti values seen (RFC 7523 section 3 replay)
    QString m_latestAccessToken;
    QString m_latestRefreshToken;
    QString m_issOverride;
    QString m_grantedScope;

    QList<FakeAuthorizeRequest> m_authorizeRequests;
    QList<FakeTokenRequest> m_tokenRequests;
    QList<QJsonObject> m_registrations;
    QList<FakeRevocation> m_revocations;

    int m_accessTokenLifetime = 3600;
    bool m_issueIdTokens = false;
    int m_idTokenLifetime = -1;
    QString m_latestIdToken;
    int m_tokenDelayMs = 0;
    int m_nextGrant = 0;
    int m_nextSerial = 0;
    int m_metadataCount = 0;
    int m_resourceMetadataCount = 0;
    int m_authorizeCount = 0;
    int m_tokenCount = 0;
    int m_registerCount = 0;
    int m_revokeCount = 0;
    bool m_requireKnownClients = false;
    bool m_issueClientSecrets = true;
    bool m_consentPage = false;
    bool m_issParameter = false;
    bool m_requireResource = false;
    bool m_issueRefreshTokens = true;
    bool m_rotateRefreshTokens = true;
    bool m_tokenSpecialCharacters = false;
};

} // namespace McpProxy::Test
