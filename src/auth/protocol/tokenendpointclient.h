#pragma once

#include "auth/clock.h"
#include "auth/protocol/formencoding.h"
#include "auth/protocol/tokenresponse.h"

#include <QtCore/QByteArray>
#include <QtCore/QObject>
#include <QtCore/QString>
#include <QtCore/QStringList>
#include <QtCore/QUrl>
#include <QtNetwork/QNetworkRequest>

#include <functional>
#include <optional>

class QNetworkAccessManager;

namespace McpProxy {

// How the client authenticates at the token endpoint (RFC 6749 section 2.3, RFC 7591 section 2
// token_endpoint_auth_method, RFC 7523 section 2.2 / OpenID Connect Core section 9
// private_key_jwt).
struct ClientAuthentication
{
    enum class Method { None, ClientSecretBasic, ClientSecretPost, PrivateKeyJwt };

    Method method = Method::None;
    QString clientId;
    QString clientSecret; // ClientSecretBasic / ClientSecretPost
    QByteArray privateKeyPem; // PrivateKeyJwt
    QString signingAlgorithm; // PrivateKeyJwt: "ES256", "RS256" or empty (from the key)
    QString assertionAudience; // PrivateKeyJwt: empty means the token endpoint URL

    // The RFC 7591 section 2 names: none, client_secret_basic, client_secret_post, private_key_jwt.
    static QString methodName(Method method);
    static std::optional<Method> methodFromName(const QString &name);
};

// One token request (RFC 6749 section 3.2): any grant, with the RFC 8707 resource parameter.
struct TokenRequest
{
    QUrl tokenEndpoint;
    // grant_type first, then its protocol parameters (code, redirect_uri, code_verifier;
    // refresh_token; …), sent in this order.
    FormFields grant;
    QString scope; // sent when not empty
    QString resource; // RFC 8707 section 2, sent when not empty
    QString audience; // sent when not empty (RFC 8693 style, for ASs that ask for it)
    // Configured additions. A key that names a protocol parameter (isProtocolParameter(), or one
    // already in `grant`, or "audience" when `audience` is set) is dropped with a warning.
    FormFields extraParams;
    ClientAuthentication client;
    int timeoutMs = 30000; // the whole exchange
};

// The body and Authorization header of a token request, as TokenEndpointClient sends them.
struct PreparedTokenRequest
{
    QByteArray body; // application/x-www-form-urlencoded, exactly (formEncode())
    QByteArray authorization; // "Basic …" for ClientSecretBasic, else empty
    QStringList droppedExtraParams; // keys only
};

// POSTs token requests (authorization_code, refresh_token, client_credentials, …) and parses the
// reply with parseTokenResponse(). QtNetworkAuth 6.4 cannot do this correctly (silent errors,
// corrupted '+', no client_secret_basic: docs/qt-notes.md, "Token requests"), so every grant goes
// through here. Redirects are not followed: a 3xx is an error (RFC 6749 section 3.2 does not allow
// redirects, and QNAM would forward our credentials to another origin). Errors are OAuthErrors: the
// server's (RFC 6749 section 5.2) or our own network_error, timeout, invalid_response,
// invalid_request (no usable token endpoint) and client_assertion_error (the private key could not
// sign). Nothing secret is logged.
class TokenEndpointClient : public QObject
{
    Q_OBJECT
public:
    using Callback = std::function<void(const TokenResponse &)>;

    // `nam` is not owned and must live on this object's thread and outlive it.
    explicit TokenEndpointClient(QNetworkAccessManager *nam, QObject *parent = nullptr);
    ~TokenEndpointClient() override;

    // `callback` runs exactly once, later (never inside request()), on `context`'s thread; not at
    // all when `context` has been destroyed, or when this client is destroyed first (pending
    // requests are then aborted).
    void request(const TokenRequest &request, QObject *context, const Callback &callback);

    // The exact body and Authorization header request() sends. Only a client assertion (random
    // jti, current time) makes it vary. nullopt and *error (English) when the key cannot sign.
    static std::optional<PreparedTokenRequest> prepare(const TokenRequest &request, QString *error);
    // grant_type, code, redirect_uri, code_verifier, refresh_token, client_id, client_secret,
    // client_assertion, client_assertion_type, scope, resource, device_code (case-insensitive).
    static bool isProtocolParameter(const QString &name);

    // The clock a token's expires_in is counted from (tests); not owned, outlives this.
    void setClock(const Clock *clock) { m_clock = clock ? clock : &m_systemClock; }

private:
    QNetworkAccessManager *m_nam;
    SystemClock m_systemClock;
    const Clock *m_clock = &m_systemClock;
};

} // namespace McpProxy
