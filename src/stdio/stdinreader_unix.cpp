#include "stdio/stdinreader.h"

#include "logging/logcategories.h"

#include <QtCore/QSocketNotifier>

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace McpProxy {

namespace {

// One read() per activation on a blocking fd 0: readiness guarantees it does not block, and fd 0
// keeps its flags (O_NONBLOCK would leak to the parent sharing the open file description,
// docs/qt-notes.md).
class UnixStdinReader final : public StdinReader
{
public:
    explicit UnixStdinReader(QObject *parent)
        : StdinReader(parent)
        , m_notifier(STDIN_FILENO, QSocketNotifier::Read)
    {
        m_notifier.setEnabled(false);
        connect(&m_notifier, &QSocketNotifier::activated, this, [this] { readAvailable(); });
    }

    void start() override { m_notifier.setEnabled(true); }

private:
    void readAvailable()
    {
        ssize_t n = 0;
        do {
            n = ::read(STDIN_FILENO, m_buffer.data(), size_t(m_buffer.size()));
        } while (n < 0 && errno == EINTR);
        if (n > 0) {
            Q_EMIT chunkReceived(QByteArray(m_buffer.constData(), qsizetype(n)));
            return;
        }
        if (n < 0 && errno == EAGAIN) // EWOULDBLOCK == EAGAIN on every Unix we build for
            return;
        if (n < 0)
            qCWarning(lcStdio) << "stdin: read failed:" << std::strerror(errno);
        // EOF (or a hard error): a notifier left enabled at EOF fires forever.
        m_notifier.setEnabled(false);
        Q_EMIT endOfInput();
    }

    QSocketNotifier m_notifier;
    QByteArray m_buffer = QByteArray(256 * 1024, Qt::Uninitialized);
};

} // namespace

StdinReader *StdinReader::create(QObject *parent)
{
    return new UnixStdinReader(parent);
}

} // namespace McpProxy
