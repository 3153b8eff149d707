#pragma once

#include "auth/protocol/formencoding.h"

#include <QtCore/QByteArray>
#include <QtCore/QMultiMap>
#include <QtCore/QObject>
#include <QtCore/QProcessEnvironment>
#include <QtCore/QString>
#include <QtCore/QTimer>
#include <QtCore/QUrl>
#include <QtCore/QVariant>

namespace McpProxy {

class AuthorizationRequestFlow;
class LoopbackReplyHandler;

// The interactive part of the OAuth 2.1 authorization code grant (MCP 2025-11-25
// basic/authorization "Authorization Code Protection"; RFC 6749 section 4.1.1–4.1.2, RFC 7636, RFC
// 8252, RFC 8707, RFC 9207): listens on the loopback redirect URI, builds the authorization request
// with QOAuth2AuthorizationCodeFlow (PKCE S256 and resource added through the modify-parameters
// hook, 6.4 has no native PKCE, docs/qt-notes.md), prints the URL to stderr, opens the browser and
// waits for the redirect. It ends with the authorization code and the PKCE verifier; it does NOT
// exchange the code: the caller does, through TokenEndpointClient, so every client
// authentication method works the same way.
//
// Why the flow cannot exchange the code: the flow only reaches its internal callback handler
// (which calls requestAccessToken) through a connection that QOAuth2AuthorizationCodeFlow::
// resourceOwnerAuthorization() makes. Our flow subclass overrides that virtual to build the URL
// and emit authorizeWithBrowser() only, so nothing in the flow ever listens to a callback. The
// callback goes from LoopbackReplyHandler (which checks the state, in constant time, and the
// issuer) straight to this object.
//
// One login at a time; every outcome is a signal, never emitted from inside start().
class AuthorizationCodeLogin : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        QUrl authorizationEndpoint; // its own query is kept (RFC 6749 section 3.1)
        QUrl tokenEndpoint; // not contacted here; kept for the flow's bookkeeping
        QString clientId;
        QString scope; // space-separated; empty: no scope parameter
        QString resource; // RFC 8707; empty: no resource parameter
        // Added to the authorization request. They never replace a parameter the login sets:
        // response_type, client_id, redirect_uri, scope, state, code_challenge,
        // code_challenge_method, resource.
        FormFields extraParams;
        // Empty: http://<callbackHost>:<bound port>/callback. Otherwise sent verbatim; it must be
        // http on a loopback host with an explicit port, and the listener serves its host, port
        // and path (the npm package listens on callbackHost/callbackPort whatever the URI says).
        QUrl redirectUri;
        QString callbackHost = QStringLiteral("127.0.0.1"); // 127.0.0.1, localhost or ::1
        int callbackPort = 53682; // 0: an ephemeral port
        int timeoutSeconds = 300; // <= 0: no time limit
        QString expectedIssuer; // RFC 9207: the issuer the request goes to
        bool issParameterSupported =
                false; // AS metadata authorization_response_iss_parameter_supported
        bool openBrowser = true;
        QString serverName; // named in the instructions; empty: the endpoint's host
        // The browser's environment, and where BrowserLauncher looks for it
        // (ProxyConfig::childEnvironment).
        QProcessEnvironment environment;
    };

    explicit AuthorizationCodeLogin(QObject *parent = nullptr);
    ~AuthorizationCodeLogin() override;

    // Starts a login. Returns false, emitting nothing, while another login of this object runs.
    // A listen failure or invalid options end in failed(), emitted from the event loop.
    bool start(const Options &options);
    // Ends the running login without a signal; the listener closes.
    void cancel();
    bool isActive() const { return m_active; }
    // The redirect URI of the running login (the bound port), empty when there is none.
    QUrl redirectUri() const { return m_redirectUri; }

    // The instructions printed to stderr (translated), exposed for tests and for error texts.
    static QString instructions(const QString &serverName, const QUrl &authorizationUrl);
    // Printed after them when no browser was launched (no display, --no-browser): how to finish
    // the login from another machine's browser (SSH port forwarding).
    static QString headlessInstructions(const QUrl &redirectUri, int timeoutSeconds);

Q_SIGNALS:
    // The authorization request URL (it holds state and code_challenge, no secret of the client).
    void authorizationUrlReady(const QUrl &url);
    // The code, fully decoded, with the verifier of this attempt and the redirect URI to send in
    // the token request (RFC 6749 section 4.1.3, RFC 7636 section 4.5).
    void authorizationCodeReceived(
            const QString &code, const QByteArray &codeVerifier, const QUrl &redirectUri);
    // error: the authorization server's error code (e.g. access_denied), or ours: "timeout",
    // "listen_failed", "invalid_issuer", "invalid_response", "invalid_request".
    // description: translated or from the server, fit for the user.
    void failed(const QString &error, const QString &description);

private:
    void beginAuthorization(quint64 attempt);
    void buildAuthorizationParameters(QMultiMap<QString, QVariant> *parameters);
    void onAuthorizeWithBrowser(const QUrl &url);
    void onCallbackReceived(const QVariantMap &values);
    void onCallbackFailed(const QString &error, const QString &description);
    void onTimeout();
    void failLater(const QString &error, const QString &description);
    void finish();

    AuthorizationRequestFlow *m_flow = nullptr;
    LoopbackReplyHandler *m_handler = nullptr;
    QTimer m_timeout;
    Options m_options;
    QUrl m_redirectUri;
    QByteArray m_state;
    QByteArray m_verifier;
    quint64 m_attempt = 0;
    bool m_active = false;
    bool m_urlBuilt = false;
};

} // namespace McpProxy
