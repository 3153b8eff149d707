#pragma once

#include <QtCore/QDateTime>

namespace McpProxy {

// When a token is renewed (docs/architecture.md "Renewal"). Pure: every time is an argument.
class RenewalPolicy
{
public:
    // The shortest time between two idle renewals.
    static constexpr qint64 MinIdleRenewalIntervalMs = 30000;
    // Transient failures of an idle renewal that are retried (after 2 s, 4 s, 8 s).
    static constexpr int MaxRenewFailures = 3;

    explicit RenewalPolicy(int refreshSkewSeconds = 0)
        : m_refreshSkewSeconds(refreshSkewSeconds)
    { }

    // When to renew a token that lives `lifetimeMs` more: `skew` before expiry, but never sooner
    // than half the remaining lifetime (so a token shorter-lived than the skew is not renewed in
    // a loop, as the npm package does on every call), and not sooner than 1 s.
    static qint64 renewalDelayMs(qint64 lifetimeMs, int refreshSkewSeconds);

    // Whether a token issued at `issuedAt` (invalid: unknown) should be renewed by `now`.
    bool needsRenewal(
            const QDateTime &expiresAt, const QDateTime &issuedAt, const QDateTime &now) const;

    // The schedule of a token received at `now`.
    struct Plan
    {
        // Before a request, the token is renewed once it is past this point. Invalid: never (no
        // expiry known, or nothing to renew it with: the next 401 asks again).
        QDateTime renewAt;
        // While idle, it is renewed after this many ms; -1: not while idle (at most once per
        // lifetime, never more often than every 30 s: a token too short-lived for that is
        // renewed only when it is used).
        qint64 idleDelayMs = -1;
    };
    Plan plan(const QDateTime &expiresAt, bool renewable, const QDateTime &now) const;

    // The delay before retrying a failed idle renewal for the `failures`-th time in a row (2 s,
    // 4 s, 8 s); -1 after MaxRenewFailures.
    static qint64 retryDelayMs(int failures);

private:
    int m_refreshSkewSeconds;
};

} // namespace McpProxy
