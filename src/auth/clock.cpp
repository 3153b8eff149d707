#include "auth/clock.h"

#include <QtCore/QTimer>

#include <limits>

namespace McpProxy {

namespace {

class SystemTimer final : public ClockTimer
{
public:
    SystemTimer()
    {
        m_timer.setSingleShot(true);
        connect(&m_timer, &QTimer::timeout, this, &ClockTimer::timeout);
    }
    void start(qint64 ms) override
    {
        m_intervalMs = qBound(qint64(0), ms, qint64(std::numeric_limits<int>::max()));
        m_timer.start(int(m_intervalMs));
    }
    void stop() override { m_timer.stop(); }
    bool isActive() const override { return m_timer.isActive(); }
    qint64 intervalMs() const override { return m_intervalMs; }

private:
    QTimer m_timer;
    qint64 m_intervalMs = 0;
};

} // namespace

std::unique_ptr<ClockTimer> SystemClock::createTimer() const
{
    return std::make_unique<SystemTimer>();
}

} // namespace McpProxy
