#pragma once

#include <QtCore/QByteArrayView>

namespace McpProxy {

// Writes whole lines to a file descriptor (Unix) or handle (Windows): the line and its LF in one
// blocking write loop (partial writes and EINTR handled), so lines never interleave. A broken pipe
// (EPIPE: the host went away) or any other write error makes writeLine() return false; the writer
// then stays closed. SIGPIPE must be ignored by main() (docs/qt-notes.md, "SIGPIPE").
class StdoutWriter
{
public:
    // The process's standard output: fd 1, or GetStdHandle(STD_OUTPUT_HANDLE) put in binary mode.
    static StdoutWriter standardOutput();
    explicit StdoutWriter(qintptr handle)
        : m_handle(handle)
    { }

    bool writeLine(QByteArrayView line);
    bool isClosed() const { return m_closed; }
    int lastError() const { return m_lastError; }

private:
    qintptr m_handle;
    bool m_closed = false;
    int m_lastError = 0;
};

} // namespace McpProxy
