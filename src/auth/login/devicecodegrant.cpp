#include "auth/login/devicecodegrant.h"

#include <algorithm>

using namespace Qt::StringLiterals;

namespace McpProxy {

namespace {

// RFC 6749 section 5.2: error = 1*( %x20-21 / %x23-5B / %x5D-7E ).
bool isErrorCode(const QString &code)
{
    if (code.isEmpty() || code.size() > 64)
        return false;
    return std::all_of(code.cbegin(), code.cend(), [](QChar c) {
        const char16_t u = c.unicode();
        return u >= 0x20 && u <= 0x7e && u != u'"' && u != u'\\';
    });
}

} // namespace

QString DeviceCodeGrant::safeErrorText(const OAuthError &error, const QString &secret)
{
    OAuthError shown = error;
    if (!isErrorCode(shown.error))
        shown.error = u"invalid_error_code"_s;
    if (!secret.isEmpty())
        shown.description.replace(secret, u"[redacted]"_s);
    return shown.toString();
}

DeviceCodeGrant::Action DeviceCodeGrant::fail(FailureReason reason, const QString &detail)
{
    m_state = State::Failed;
    Action action;
    action.kind = Action::Kind::Failed;
    action.reason = reason;
    action.detail = detail;
    return action;
}

DeviceCodeGrant::Action DeviceCodeGrant::start()
{
    *this = DeviceCodeGrant();
    m_state = State::Authorizing;
    Action action;
    action.kind = Action::Kind::RequestAuthorization;
    return action;
}

DeviceCodeGrant::Action DeviceCodeGrant::authorizationAnswered(
        int httpStatus, const QByteArray &body, const QDateTime &now)
{
    if (m_state != State::Authorizing)
        return {};
    if (httpStatus == 0) {
        return fail(FailureReason::Unreachable,
                u"the device authorization endpoint could not be reached"_s);
    }
    const DeviceAuthorizationResponse response = parseDeviceAuthorizationResponse(httpStatus, body);
    if (!response.authorization) {
        const QString &error = response.error.error;
        FailureReason reason = FailureReason::Refused;
        if (error == u"invalid_response"_s)
            reason = FailureReason::Malformed;
        else if (error == u"unauthorized_client"_s || error == u"invalid_client"_s)
            reason = FailureReason::ClientRefused;
        return fail(reason, safeErrorText(response.error, QString()));
    }
    m_authorization = *response.authorization;
    m_intervalSeconds = m_authorization.intervalSeconds;
    m_expiresAt = now.addSecs(m_authorization.expiresInSeconds);
    m_state = State::Waiting;
    Action action = waitOrExpire(now);
    action.kind = Action::Kind::CodeReady;
    return action;
}

DeviceCodeGrant::Action DeviceCodeGrant::waitOrExpire(const QDateTime &now)
{
    // RFC 8628 section 3.5: at least `interval` between requests; none after the code expired
    // (the last wait ends at the expiry, where pollDue() fails).
    m_state = State::Waiting;
    const qint64 remainingMs = std::max<qint64>(now.msecsTo(m_expiresAt), 0);
    const qint64 intervalMs = qint64(m_intervalSeconds) * 1000;
    // The wait that reaches the expiry is the last: a timer that fires a little early (coarse
    // timers may) must not poll with a code the server already counts as expired.
    m_finalWait = remainingMs <= intervalMs;
    Action action;
    action.kind = Action::Kind::Wait;
    action.delayMs = std::min(remainingMs, intervalMs);
    return action;
}

DeviceCodeGrant::Action DeviceCodeGrant::pollDue(const QDateTime &now)
{
    if (m_state != State::Waiting)
        return {};
    if (m_finalWait || now >= m_expiresAt) {
        return fail(FailureReason::Expired,
                u"the code expired after %1 s before the login was confirmed"_s.arg(
                        m_authorization.expiresInSeconds));
    }
    m_state = State::Polling;
    Action action;
    action.kind = Action::Kind::Poll;
    return action;
}

DeviceCodeGrant::Action DeviceCodeGrant::tokenAnswered(
        int httpStatus, const QByteArray &body, const QDateTime &now)
{
    return tokenAnswered(parseTokenResponse(httpStatus, body, now), now);
}

DeviceCodeGrant::Action DeviceCodeGrant::tokenAnswered(
        const TokenResponse &response, const QDateTime &now)
{
    if (m_state != State::Polling)
        return {};
    if (response.tokens) {
        m_state = State::Succeeded;
        Action action;
        action.kind = Action::Kind::Succeeded;
        action.tokens = response.tokens;
        return action;
    }
    const QString &error = response.error.error;
    // RFC 8628 section 3.5.
    if (error == u"authorization_pending"_s)
        return waitOrExpire(now);
    if (error == u"slow_down"_s) {
        m_intervalSeconds += SlowDownSeconds;
        return waitOrExpire(now);
    }
    if (error == u"access_denied"_s)
        return fail(FailureReason::Denied, u"the login was denied"_s);
    if (error == u"expired_token"_s) {
        return fail(FailureReason::Expired,
                u"the code expired before the login was confirmed (expired_token)"_s);
    }
    if (response.error.isTransient()) {
        // Section 3.5: "exponential backoff" after a timeout; also for 5xx and 429.
        m_intervalSeconds =
                std::max(m_intervalSeconds, std::min(m_intervalSeconds * 2, MaxBackoffSeconds));
        return waitOrExpire(now);
    }
    return fail(
            FailureReason::TokenError, safeErrorText(response.error, m_authorization.deviceCode));
}

} // namespace McpProxy
