#include "stdio/stdoutwriter.h"

#include <fcntl.h>
#include <io.h>
#include <windows.h>

namespace McpProxy {

StdoutWriter StdoutWriter::standardOutput()
{
    // WriteFile bypasses the CRT, so no LF → CRLF translation; binary mode for any CRT user too.
    _setmode(_fileno(stdout), _O_BINARY);
    return StdoutWriter(qintptr(GetStdHandle(STD_OUTPUT_HANDLE)));
}

bool StdoutWriter::writeLine(QByteArrayView line)
{
    if (m_closed)
        return false;
    const auto writeAll = [this](const char *data, qsizetype size) {
        while (size > 0) {
            DWORD written = 0;
            const DWORD chunk = DWORD(qMin<qsizetype>(size, 1 << 30));
            if (!WriteFile(HANDLE(m_handle), data, chunk, &written, nullptr)) {
                m_lastError = int(GetLastError());
                m_closed = true;
                return false;
            }
            data += written;
            size -= written;
        }
        return true;
    };
    return writeAll(line.data(), line.size()) && writeAll("\n", 1);
}

} // namespace McpProxy
