#include "stdio/stdoutwriter.h"

#include <sys/uio.h>

#include <cerrno>
#include <unistd.h>

namespace McpProxy {

StdoutWriter StdoutWriter::standardOutput()
{
    return StdoutWriter(STDOUT_FILENO);
}

bool StdoutWriter::writeLine(QByteArrayView line)
{
    if (m_closed)
        return false;
    static const char newline = '\n';
    iovec parts[2] = {{const_cast<char *>(line.data()), size_t(line.size())},
            {const_cast<char *>(&newline), 1}};
    iovec *next = parts;
    int count = 2;
    while (count > 0) {
        const ssize_t written = ::writev(int(m_handle), next, count);
        if (written < 0) {
            if (errno == EINTR)
                continue;
            m_lastError = errno;
            m_closed = true;
            return false;
        }
        size_t left = size_t(written);
        while (count > 0 && left >= next->iov_len) {
            left -= next->iov_len;
            ++next;
            --count;
        }
        if (count > 0) {
            next->iov_base = static_cast<char *>(next->iov_base) + left;
            next->iov_len -= left;
        }
    }
    return true;
}

} // namespace McpProxy
