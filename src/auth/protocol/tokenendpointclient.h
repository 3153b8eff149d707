#pragma once

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
    void request(const TokenRequest &request, QObject *context, Callback callback);

    // The exact body and Authorization header request() sends. Only a client assertion (random
    // jti, current time) makes it vary. nullopt and *error (English) when the key cannot sign.
    static std::optional<PreparedTokenRequest> prepare(const TokenRequest &request, QString *error);
    // grant_type, code, redirect_uri, code_verifier, refresh_token, client_id, client_secret,
    // client_assertion, client_assertion_type, scope, resource (case-insensitive).
    static bool isProtocolParameter(const QString &name);

private:
    QNetworkAccessManager *m_nam;
};

// The HTTP exchange shared by the token, discovery and registration clients: no cookies, no
// stored credentials, redirects not followed (docs/qt-notes.md), a bounded body, and a deadline
// for the whole exchange.
namespace AuthHttp {

struct Reply
{
    int status = 0; // 0: no HTTP response (network error or timeout)
    QByteArray body; // at most the size limit
    QByteArray contentType;
    QUrl redirectTarget; // the Location of a 3xx, resolved; never followed
    bool timedOut = false;
    bool bodyTooLarge = false;
    QString networkError; // Qt's description when there was no HTTP response

    bool isSuccess() const { return status >= 200 && status < 300; }
    bool isRedirect() const { return status >= 300 && status < 400; }
};

// "mcp-oauth2-proxy/<version> (Qt <version>)".
QByteArray userAgent();
// A request with the User-Agent, Accept, manual redirects, and no cookies or cached credentials.
QNetworkRequest makeRequest(const QUrl &url, const QByteArray &accept);
// GET when `verb` is "GET" (body ignored), else that verb with the body. `done` runs exactly once
// on `context`'s thread (later, never inside send()), unless `context` or `owner` was destroyed
// first: destroying `owner` aborts the exchange silently.
void send(QNetworkAccessManager *nam, const QNetworkRequest &request, const QByteArray &verb,
        const QByteArray &body, int timeoutMs, QObject *owner, QObject *context,
        std::function<void(const Reply &)> done, qint64 maxBodyBytes = 1024 * 1024);
// Runs `function` later on `context`'s thread unless `context` is destroyed before.
void post(QObject *context, std::function<void()> function);
// A URL for logs and error messages: without user info, query and fragment.
QString displayUrl(const QUrl &url);
// A bounded, single-line excerpt of a server-provided text (control characters replaced).
QString excerpt(const QString &text, qsizetype maxChars = 200);

} // namespace AuthHttp

} // namespace McpProxy
