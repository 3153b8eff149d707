#include "network/lowdelaysockets.h"

#include <QtNetwork/QNetworkReply>

#ifdef Q_OS_UNIX
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#endif

namespace McpProxy::LowDelaySockets {

namespace {

// Response headers that still scan per announcement: the announcement is queued from QNAM's
// thread and may arrive before the socket exists (host name lookup); the announced connection's
// own first response comes after it does, and other responses may come first.
constexpr int ScansPerAnnouncement = 2;

#ifdef Q_OS_UNIX
// An IPv4/IPv6 stream socket (TCP); false for files, pipes, Unix sockets and UDP.
bool isTcpSocket(int fd)
{
    int type = 0;
    socklen_t typeLength = sizeof(type);
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &typeLength) != 0 || type != SOCK_STREAM)
        return false;
    sockaddr_storage address = {};
    socklen_t addressLength = sizeof(address);
    if (::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &addressLength) != 0)
        return false;
    return address.ss_family == AF_INET || address.ss_family == AF_INET6;
}
#endif

} // namespace

bool hasNoDelay(long long descriptor)
{
#ifdef Q_OS_UNIX
    int value = 0;
    socklen_t length = sizeof(value);
    return ::getsockopt(int(descriptor), IPPROTO_TCP, TCP_NODELAY, &value, &length) == 0
            && value != 0;
#else
    Q_UNUSED(descriptor);
    return false;
#endif
}

int applyToProcess()
{
    int changed = 0;
#ifdef Q_OS_UNIX
    DIR *directory = ::opendir("/proc/self/fd");
    if (!directory)
        directory = ::opendir("/dev/fd");
    if (!directory)
        return 0;
    const int own = ::dirfd(directory);
    while (const dirent *entry = ::readdir(directory)) {
        char *end = nullptr;
        const long fd = std::strtol(entry->d_name, &end, 10);
        if (end == entry->d_name || *end != '\0' || fd == own)
            continue;
        if (!isTcpSocket(int(fd)) || hasNoDelay(fd))
            continue;
        const int on = 1;
        if (::setsockopt(int(fd), IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == 0)
            ++changed;
    }
    ::closedir(directory);
#endif
    return changed;
}

void Watcher::watch(QNetworkReply *reply)
{
    QObject::connect(reply, &QNetworkReply::socketStartedConnecting, reply, [owed = m_scansOwed] {
        *owed += ScansPerAnnouncement;
        applyToProcess();
    });
    QObject::connect(reply, &QNetworkReply::encrypted, reply, [] { applyToProcess(); });
    QObject::connect(reply, &QNetworkReply::metaDataChanged, reply, [owed = m_scansOwed] {
        if (*owed == 0)
            return;
        --*owed;
        applyToProcess();
    });
}

} // namespace McpProxy::LowDelaySockets
