#include "auth/authorizationlimits.h"

#include <QtCore/QStringList>

namespace McpProxy {

AuthorizationLimits::CoolDown AuthorizationLimits::coolDown(const QDateTime &now) const
{
    if (!m_coolDownUntil.isValid())
        return CoolDown::None;
    return now < m_coolDownUntil ? CoolDown::Active : CoolDown::Over;
}

qint64 AuthorizationLimits::rememberFailure(const QString &message, const QDateTime &now)
{
    ++m_failureStreak;
    const qint64 coolDownMs = qMin(CoolDownMs << qMin(m_failureStreak - 1, 8), MaxCoolDownMs);
    m_coolDownUntil = now.addMSecs(coolDownMs);
    m_lastFailure = message;
    return coolDownMs;
}

void AuthorizationLimits::succeeded(bool confirmed)
{
    if (confirmed)
        m_failureStreak = 0;
    m_coolDownUntil = QDateTime();
}

QString AuthorizationLimits::scopeSetKey(const QString &scope)
{
    QStringList scopes = scope.split(u' ', Qt::SkipEmptyParts);
    scopes.sort();
    scopes.removeDuplicates();
    return scopes.join(u' ');
}

void AuthorizationLimits::countAuthorization(const QString &scope)
{
    ++m_authorizationsPerScope[scopeSetKey(scope)];
}

int AuthorizationLimits::authorizations(const QString &scope) const
{
    return m_authorizationsPerScope.value(scopeSetKey(scope));
}

bool AuthorizationLimits::admitsAuthorization(const QString &scope)
{
    int &count = m_authorizationsPerScope[scopeSetKey(scope)];
    if (count < MaxAuthorizationsPerScope)
        return true;
    if (m_coolDownUntil.isValid()) {
        count = MaxAuthorizationsPerScope - 1; // the cool-down is over: one new attempt
        return true;
    }
    return false;
}

} // namespace McpProxy
