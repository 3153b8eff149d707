#pragma once

#include <QtCore/QDateTime>

namespace McpProxy {

// The time the token lifecycle reasons about (expiry, renewal, cool-downs). Tests substitute a
// clock they advance themselves, so that nothing waits for real time to pass.
class Clock
{
public:
    virtual ~Clock() = default;
    virtual QDateTime nowUtc() const = 0;
};

class SystemClock final : public Clock
{
public:
    QDateTime nowUtc() const override { return QDateTime::currentDateTimeUtc(); }
};

} // namespace McpProxy
