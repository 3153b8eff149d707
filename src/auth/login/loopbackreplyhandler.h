#pragma once

#include "auth/protocol/tokenresponse.h"

#include <QtCore/QByteArray>
#include <QtCore/QHash>
#include <QtCore/QString>
#include <QtCore/QUrl>
#include <QtCore/QVariantMap>
#include <QtNetwork/QHostAddress>
#include <QtNetwork/QTcpServer>
#include <QtNetworkAuth/QOAuthOobReplyHandler>

class QNetworkReply;
class QTcpSocket;

namespace McpProxy {

// Receives the OAuth authorization response on a loopback redirect URI (RFC 8252 section 7.3), in
// place of QOAuthHttpServerReplyHandler, which 6.4 makes unfit (docs/qt-notes.md: it listens on
// Any, ignores Host, matches paths by prefix, accepts any method, always answers 200, hides a busy
// port, drops headers split across reads).
//
// One GET on the exact callback path, with the Host of the listener (DNS-rebinding defence), is
// an authorization response. The state is checked before anything else in it (constant time):
// a request without our state is answered 400 and ignored, so no other web page can end or
// steer the login (the npm package checks `error` before the state,
// so any page can abort its login). With our state: RFC 9207 issuer checks, then
// `error` → failure page and callbackFailed(), `code` → success page and callbackReceived()
// (inherited) with FULLY decoded values ('+' is a space, form encoding; no double encoding of
// the code, QTBUG-81624). The first such outcome consumes the state; later requests get 400.
//
// As the flow's reply handler it also fixes the 6.4 token-reply handling (docs/qt-notes.md):
// networkReplyFinished() reports every outcome through tokenResponseReceived() and frees the
// reply.
class LoopbackReplyHandler : public QOAuthOobReplyHandler
{
    Q_OBJECT
public:
    static constexpr int MaxHeaderBytes = 16 * 1024;
    static constexpr int MaxConnections = 32;

    explicit LoopbackReplyHandler(QObject *parent = nullptr);
    ~LoopbackReplyHandler() override;

    // "127.0.0.1" (default) and "localhost" bind 127.0.0.1; "::1" and "[::1]" bind ::1. Any other
    // host makes listen() fail: the callback must never be reachable from the network.
    void setCallbackHost(const QString &host);
    QString callbackHost() const { return m_host; }
    void setCallbackPath(const QString &path); // default "/callback"; matched exactly
    QString callbackPath() const { return m_path; }
    // Named in the busy-port message; default "OAUTH2_CALLBACK_PORT / oauth2.callbackPort".
    void setPortSettingName(const QString &name) { m_portSettingName = name; }

    // Binds the loopback address of callbackHost() on `port` (0: an ephemeral port). On failure
    // returns false and errorString() says why (translated, names the port and its setting).
    bool listen(quint16 port);
    void close(); // stops listening and drops open connections
    bool isListening() const { return m_server.isListening(); }
    quint16 port() const { return m_server.serverPort(); }
    QString errorString() const { return m_errorString; }

    // http://<host>:<bound port><path>, IPv6 in brackets (RFC 3986 section 3.2.2).
    QString callback() const override;
    QUrl callbackUrl() const;

    // The state of the current authorization request; empty rejects every response.
    void setExpectedState(const QByteArray &state);
    // RFC 9207 section 2.4: when set, a response carrying `iss` must carry exactly this issuer.
    void setExpectedIssuer(const QString &issuer) { m_expectedIssuer = issuer; }
    // RFC 9207 section 2.4: the AS metadata says authorization_response_iss_parameter_supported, so
    // a response without `iss` is rejected.
    void setIssuerParameterRequired(bool required) { m_issRequired = required; }
    // A connection that has not sent a complete request head within this time is dropped.
    void setRequestTimeout(int ms) { m_requestTimeoutMs = ms; }

    // Takes the token endpoint reply of the flow (code exchange or refresh): parses it with
    // parseTokenResponse(), emits tokenResponseReceived() always and, on success, the standard
    // replyDataReceived()/tokensReceived() so the flow's state follows; deletes the reply later.
    void networkReplyFinished(QNetworkReply *reply) override;

    // HTML-escapes & < > " ' (for the pages; exposed for tests).
    static QString htmlEscaped(const QString &text);

Q_SIGNALS:
    // An authorization response with our state that ends the login without a code: the
    // authorization server's `error` (RFC 6749 section 4.1.2.1) with its error_description, an
    // issuer mismatch or missing issuer (RFC 9207 section 2.4: "invalid_issuer"), or a malformed
    // response
    // ("invalid_response"); for our own errors the description is translated, for the user.
    void callbackFailed(const QString &error, const QString &description);
    // A request that was answered with an error page and otherwise ignored; the reason is English
    // log text without secrets.
    void callbackRejected(const QString &reason);
    void tokenResponseReceived(const McpProxy::TokenResponse &response);

private:
    struct Pending
    {
        QByteArray buffer;
        bool answered = false;
    };
    enum class Page { Success, LoginFailed, Rejected };

    void acceptConnections();
    void readRequest(QTcpSocket *socket);
    void handleRequest(QTcpSocket *socket, const QByteArray &head);
    void handleAuthorizationResponse(QTcpSocket *socket, const QByteArray &rawQuery);
    void reject(QTcpSocket *socket, int status, const QString &message, const QString &reason);
    void respond(QTcpSocket *socket, int status, Page page, const QString &message,
            const QByteArray &extraHeaders = {});
    bool hostAllowed(const QByteArray &host) const;
    QHostAddress bindAddress() const;
    QString urlHost() const; // host as written in the URL, without brackets

    QTcpServer m_server;
    QHash<QTcpSocket *, Pending> m_pending;
    QString m_host = QStringLiteral("127.0.0.1");
    QString m_path = QStringLiteral("/callback");
    QString m_portSettingName = QStringLiteral("OAUTH2_CALLBACK_PORT / oauth2.callbackPort");
    QString m_errorString;
    QByteArray m_expectedState;
    QString m_expectedIssuer;
    bool m_issRequired = false;
    int m_requestTimeoutMs = 10000;
};

} // namespace McpProxy
