#include "auth/renewalpolicy.h"

namespace McpProxy {

qint64 RenewalPolicy::renewalDelayMs(qint64 lifetimeMs, int refreshSkewSeconds)
{
    const qint64 skewMs = qint64(refreshSkewSeconds) * 1000;
    return qMax(qMax(lifetimeMs - skewMs, lifetimeMs / 2), qint64(1000));
}

bool RenewalPolicy::needsRenewal(
        const QDateTime &expiresAt, const QDateTime &issuedAt, const QDateTime &now) const
{
    // The schedule of plan(), applied to a token we did not just receive.
    if (!expiresAt.isValid())
        return false;
    if (now.secsTo(expiresAt) <= 1)
        return true;
    if (!issuedAt.isValid())
        return now.secsTo(expiresAt) <= m_refreshSkewSeconds;
    const qint64 renewAfterMs = renewalDelayMs(issuedAt.msecsTo(expiresAt), m_refreshSkewSeconds);
    return issuedAt.msecsTo(now) >= renewAfterMs;
}

RenewalPolicy::Plan RenewalPolicy::plan(
        const QDateTime &expiresAt, bool renewable, const QDateTime &now) const
{
    Plan plan;
    if (!expiresAt.isValid() || !renewable)
        return plan;
    const qint64 lifetimeMs = now.msecsTo(expiresAt);
    const qint64 delay = renewalDelayMs(lifetimeMs, m_refreshSkewSeconds);
    plan.renewAt = now.addMSecs(delay);
    const qint64 idleDelay = qMax(delay, MinIdleRenewalIntervalMs);
    if (idleDelay + 1000 <= lifetimeMs)
        plan.idleDelayMs = idleDelay;
    return plan;
}

qint64 RenewalPolicy::retryDelayMs(int failures)
{
    if (failures < 1 || failures > MaxRenewFailures)
        return -1;
    return qint64(1000) << failures;
}

} // namespace McpProxy
