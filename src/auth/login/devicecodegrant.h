#pragma once

#include "auth/protocol/deviceauthorization.h"
#include "auth/protocol/tokenresponse.h"

#include <QtCore/QByteArray>
#include <QtCore/QDateTime>
#include <QtCore/QString>

#include <optional>

namespace McpProxy {

// The RFC 8628 device authorization grant as a pure state machine: it is fed the HTTP answers
// and the time, and answers with the next thing to do. DeviceCodeLogin is its QObject shell (the
// requests, the timer, the text for the user).
//
//   start() ─► RequestAuthorization ─authorizationAnswered()─► CodeReady(wait interval)
//   pollDue() ─► Poll (or Failed Expired past expires_in) ─tokenAnswered()─►
//       Succeeded(tokens) | Wait(interval) on authorization_pending, slow_down (+5 s, section
//       3.5), a transient failure (interval doubled, at most 60 s, section 3.5) | Failed
//
// Failure details never hold the device code, and the server's error code only when it is an
// RFC 6749 error code (section 5.2: printable ASCII without '"' or '\').
class DeviceCodeGrant
{
public:
    enum class State { Idle, Authorizing, Waiting, Polling, Succeeded, Failed };
    enum class FailureReason {
        None,
        Unreachable, // no HTTP answer from the device authorization endpoint
        Refused, // the device authorization endpoint answered with an error
        // It answered unauthorized_client or invalid_client (RFC 8628 section 3.2, RFC 6749
        // section 5.2): this client may not use the grant, e.g. registered without it.
        ClientRefused,
        Malformed, // its 2xx answer is not a usable RFC 8628 section 3.2 response
        Denied, // access_denied (section 3.5)
        Expired, // expired_token, or expires_in passed while polling
        TokenError, // any other token endpoint error
    };
    struct Action
    {
        enum class Kind {
            None, // nothing to do (an answer out of turn)
            RequestAuthorization, // POST the device authorization request
            CodeReady, // show the code (authorization()), then wait delayMs and call pollDue()
            Wait, // wait delayMs, then call pollDue()
            Poll, // POST the token request with deviceCode()
            Succeeded, // tokens
            Failed, // reason + detail
        };
        Kind kind = Kind::None;
        qint64 delayMs = 0;
        std::optional<TokenSet> tokens;
        FailureReason reason = FailureReason::None;
        QString detail; // English, for logs and messages; no secret
    };

    static constexpr int DefaultIntervalSeconds = 5; // RFC 8628 section 3.2
    static constexpr int SlowDownSeconds = 5; // RFC 8628 section 3.5
    static constexpr int MaxBackoffSeconds = 60;

    Action start();
    Action authorizationAnswered(int httpStatus, const QByteArray &body, const QDateTime &now);
    Action pollDue(const QDateTime &now);
    Action tokenAnswered(const TokenResponse &response, const QDateTime &now);
    Action tokenAnswered(int httpStatus, const QByteArray &body, const QDateTime &now);

    State state() const { return m_state; }
    const DeviceAuthorization &authorization() const { return m_authorization; }
    QString deviceCode() const { return m_authorization.deviceCode; }
    int intervalSeconds() const { return m_intervalSeconds; }
    QDateTime expiresAt() const { return m_expiresAt; }

    // An OAuthError as one English line without secrets: the error code when it is a valid RFC
    // 6749 section 5.2 code (else "invalid_error_code"), the description bounded, with every
    // occurrence of `secret` (the device code) removed.
    static QString safeErrorText(const OAuthError &error, const QString &secret);

private:
    Action fail(FailureReason reason, const QString &detail);
    Action waitOrExpire(const QDateTime &now);

    State m_state = State::Idle;
    DeviceAuthorization m_authorization;
    int m_intervalSeconds = DefaultIntervalSeconds;
    QDateTime m_expiresAt;
    bool m_finalWait = false; // the current wait ends at the expiry
};

} // namespace McpProxy
