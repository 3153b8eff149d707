#pragma once

// A Clock the test advances itself: advance() moves the time and fires the timers that fall due
// on the way, in order, each at its due time. Nothing waits for real time to pass.
#include "auth/clock.h"

#include <QtCore/QList>

#include <algorithm>

namespace McpProxy::Test {

class ManualClock final : public Clock
{
public:
    ManualClock()
        : m_now(QDateTime::currentDateTimeUtc())
    { }
    ~ManualClock() override
    {
        for (Timer *timer : std::as_const(m_timers))
            timer->m_clock = nullptr;
    }

    QDateTime nowUtc() const override { return m_now; }
    std::unique_ptr<ClockTimer> createTimer() const override
    {
        auto timer = std::make_unique<Timer>(this);
        m_timers.append(timer.get());
        return timer;
    }

    void advance(qint64 ms)
    {
        const QDateTime end = m_now.addMSecs(ms);
        for (;;) {
            Timer *next = nullptr;
            for (Timer *timer : std::as_const(m_timers)) {
                if (timer->m_active && timer->m_due <= end && (!next || timer->m_due < next->m_due))
                    next = timer;
            }
            if (!next)
                break;
            m_now = std::max(m_now, next->m_due);
            next->m_active = false;
            ++m_fired;
            Q_EMIT next->timeout();
        }
        m_now = end;
    }
    // Timers started and not yet fired or stopped.
    int activeTimers() const
    {
        return int(std::count_if(m_timers.cbegin(), m_timers.cend(),
                [](const Timer *timer) { return timer->m_active; }));
    }
    // Timeouts delivered by advance().
    int firedTimers() const { return m_fired; }

private:
    class Timer final : public ClockTimer
    {
    public:
        explicit Timer(const ManualClock *clock)
            : m_clock(clock)
        { }
        ~Timer() override
        {
            if (m_clock)
                m_clock->m_timers.removeOne(this);
        }
        void start(qint64 ms) override
        {
            m_interval = std::max<qint64>(0, ms);
            m_due = m_clock->m_now.addMSecs(m_interval);
            m_active = true;
        }
        void stop() override { m_active = false; }
        bool isActive() const override { return m_active; }
        qint64 intervalMs() const override { return m_interval; }

        const ManualClock *m_clock;
        QDateTime m_due;
        qint64 m_interval = 0;
        bool m_active = false;
    };

    QDateTime m_now;
    mutable QList<Timer *> m_timers;
    int m_fired = 0;
};

} // namespace McpProxy::Test
