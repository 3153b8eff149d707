#pragma once

#include <QtCore/QDateTime>
#include <QtCore/QObject>

#include <memory>

namespace McpProxy {

// A single-shot timer that measures the time of the Clock that made it (Clock::createTimer()).
class ClockTimer : public QObject
{
    Q_OBJECT
public:
    // Restarts the timer: timeout() once, `ms` from now (at least 0).
    virtual void start(qint64 ms) = 0;
    virtual void stop() = 0;
    virtual bool isActive() const = 0;
    // The delay of the last start().
    virtual qint64 intervalMs() const = 0;

Q_SIGNALS:
    void timeout();
};

// The time the token lifecycle reasons about (expiry, renewal, cool-downs) and the timers it
// waits with. Tests substitute a clock they advance themselves, which also fires the timers, so
// that nothing waits for real time to pass.
class Clock
{
public:
    virtual ~Clock() = default;
    virtual QDateTime nowUtc() const = 0;
    virtual std::unique_ptr<ClockTimer> createTimer() const = 0;
};

class SystemClock final : public Clock
{
public:
    QDateTime nowUtc() const override { return QDateTime::currentDateTimeUtc(); }
    // Backed by a QTimer.
    std::unique_ptr<ClockTimer> createTimer() const override;
};

} // namespace McpProxy
