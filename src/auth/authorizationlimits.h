#pragma once

#include <QtCore/QDateTime>
#include <QtCore/QHash>
#include <QtCore/QString>

#include <utility>

namespace McpProxy {

// The limits on authorization attempts in one session (docs/architecture.md "Start-up and on
// demand follow the same rules", "Cool-down"): full authorizations per scope set, and the
// cool-down after a failed round. Pure: every time is an argument.
class AuthorizationLimits
{
public:
    // Full authorizations (browser logins, client_credentials grants) per scope set and session.
    static constexpr int MaxAuthorizationsPerScope = 3;
    // After a failed round, the same failure is the answer for this long (doubling with every
    // further failure, up to MaxCoolDownMs); then one new attempt is allowed.
    static constexpr qint64 CoolDownMs = 30000;
    static constexpr qint64 MaxCoolDownMs = 300000;

    enum class CoolDown {
        None, // no failure since the last success
        Active, // a round failed moments ago: answer with failureMessage() at once
        Over, // a round failed, and its cool-down has passed: one new attempt is allowed
    };
    CoolDown coolDown(const QDateTime &now) const;
    QDateTime coolDownUntil() const { return m_coolDownUntil; }
    // The translated message of the last failure.
    QString failureMessage() const { return m_lastFailure; }
    // Starts the cool-down after a failure; returns its length in ms.
    qint64 rememberFailure(const QString &message, const QDateTime &now);
    // A round succeeded. `confirmed`: false for a step-up that got a token, which has not shown
    // that the server accepts it (a further limit hit then waits longer).
    void succeeded(bool confirmed);
    // The failure of the running round leaves something new to try (e.g. a re-registration):
    // it starts no cool-down.
    void allowRetryAtOnce() { m_retryAtOnce = true; }
    bool takeRetryAtOnce() { return std::exchange(m_retryAtOnce, false); }

    // A scope set as a key: the same scopes in any order are the same set.
    static QString scopeSetKey(const QString &scope);
    void countAuthorization(const QString &scope);
    int authorizations(const QString &scope) const;
    // Whether one more authorization for `scope` is allowed: below the limit, or the limit was
    // hit and the cool-down that followed is over (then exactly one more).
    bool admitsAuthorization(const QString &scope);
    // The token is gone (a 401): the counting starts anew.
    void resetCounts() { m_authorizationsPerScope.clear(); }

private:
    QHash<QString, int> m_authorizationsPerScope;
    QString m_lastFailure;
    QDateTime m_coolDownUntil; // invalid: no failure since the last success
    int m_failureStreak = 0;
    bool m_retryAtOnce = false;
};

} // namespace McpProxy
