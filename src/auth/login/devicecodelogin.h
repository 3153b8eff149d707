#pragma once

#include "auth/authorizationfailure.h"
#include "auth/clock.h"
#include "auth/login/devicecodegrant.h"
#include "auth/protocol/tokenendpointclient.h"

#include <QtCore/QObject>
#include <QtCore/QUrl>

#include <memory>

class QNetworkAccessManager;

namespace McpProxy {

// The thin QObject shell of DeviceCodeGrant (RFC 8628): POSTs the device authorization request,
// prints the verification URI and user code on stderr (translated; stdout carries JSON-RPC),
// polls the token endpoint on the grant's schedule with a Clock timer, and ends in exactly one
// tokensReceived() or failed(), never emitted from inside start(). One login at a time.
class DeviceCodeLogin : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        QUrl deviceAuthorizationEndpoint;
        // The token endpoint, client authentication, resource, audience and extra parameters of
        // every token request; grant and scope are set here.
        TokenRequest tokenRequest;
        QString scope; // sent in the device authorization request when not empty
        QString serverName; // named in the instructions
        bool printInstructions = true; // on stderr
    };

    // `nam` is not owned and must outlive this object.
    explicit DeviceCodeLogin(QNetworkAccessManager *nam, QObject *parent = nullptr);
    ~DeviceCodeLogin() override;

    // The clock of the expiry and the polling timer (tests); not owned, outlives this.
    void setClock(const Clock *clock);
    // Returns false, emitting nothing, while a login runs.
    bool start(const Options &options);
    void cancel();
    bool isActive() const { return m_active; }

    // The text printed for the user (translated), exposed for tests.
    static QString instructions(const QString &serverName, const DeviceAuthorization &code);

Q_SIGNALS:
    // The code is shown; the login may take up to expiresInSeconds.
    void codeReady(const QUrl &verificationUri, const QUrl &verificationUriComplete,
            const QString &userCode, int expiresInSeconds);
    void tokensReceived(const McpProxy::TokenSet &tokens);
    // codeShown: whether the user was already given a code (else the server refused or could not
    // be used for the device grant at all). clientRefused: the device authorization endpoint
    // refused this client (unauthorized_client, invalid_client), e.g. one registered without the
    // device grant.
    void failed(const McpProxy::AuthorizationFailure &failure, bool codeShown, bool clientRefused);

private:
    void perform(const DeviceCodeGrant::Action &action);
    void requestAuthorization();
    void poll();

    QNetworkAccessManager *m_nam;
    TokenEndpointClient m_tokenClient;
    SystemClock m_systemClock;
    const Clock *m_clock = &m_systemClock;
    std::unique_ptr<ClockTimer> m_timer;
    DeviceCodeGrant m_grant;
    Options m_options;
    quint64 m_attempt = 0;
    bool m_active = false;
    bool m_codeShown = false;
};

} // namespace McpProxy
