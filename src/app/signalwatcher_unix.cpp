#include "app/signalwatcher.h"

#include <QtCore/QSocketNotifier>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <unistd.h>

namespace McpProxy {

namespace {

int s_pipe[2] = {-1, -1}; // written only by the async-signal-safe handler below

void onSignal(int signum)
{
    const int savedErrno = errno;
    const char byte = char(signum);
    [[maybe_unused]] const ssize_t n = ::write(s_pipe[1], &byte, 1);
    errno = savedErrno;
}

class UnixSignalWatcher final : public SignalWatcher
{
public:
    explicit UnixSignalWatcher(QObject *parent)
        : SignalWatcher(parent)
    {
        if (::pipe(s_pipe) != 0)
            return;
        for (const int fd : s_pipe) {
            ::fcntl(fd, F_SETFD, FD_CLOEXEC);
            ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
        }
        m_notifier = new QSocketNotifier(s_pipe[0], QSocketNotifier::Read, this);
        connect(m_notifier, &QSocketNotifier::activated, this, [this] {
            char byte = 0;
            while (::read(s_pipe[0], &byte, 1) == 1) {
                Q_EMIT terminationRequested(
                        byte == SIGINT ? QStringLiteral("SIGINT") : QStringLiteral("SIGTERM"));
            }
        });
        struct sigaction action = {};
        action.sa_handler = onSignal;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESTART;
        ::sigaction(SIGINT, &action, nullptr);
        ::sigaction(SIGTERM, &action, nullptr);
    }

private:
    QSocketNotifier *m_notifier = nullptr;
};

} // namespace

SignalWatcher *SignalWatcher::create(QObject *parent)
{
    return new UnixSignalWatcher(parent);
}

bool prepareStandardStreams()
{
    // A closed fd 0 would be reused by Qt's own eventfd and the stdin reader would hang on it
    // (docs/qt-notes.md); a closed fd 1 or 2 would be reused by a log file or socket.
    bool stdinOpen = true;
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF)
            continue;
        if (fd == 0)
            stdinOpen = false;
        const int null = ::open("/dev/null", O_RDWR);
        if (null >= 0 && null != fd) {
            ::dup2(null, fd);
            ::close(null);
        }
    }
    // QtNetwork ignores SIGPIPE only after its first use (docs/qt-notes.md); EPIPE is handled
    // instead.
    ::signal(SIGPIPE, SIG_IGN);
    return stdinOpen;
}

bool standardInputIsTerminal()
{
    return ::isatty(STDIN_FILENO) == 1;
}

} // namespace McpProxy
