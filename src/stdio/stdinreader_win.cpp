#include "stdio/stdinreader.h"

#include "logging/logcategories.h"

#include <QtCore/QThread>

#include <windows.h>

namespace McpProxy {

namespace {

// The Windows event dispatcher only watches sockets, and anonymous pipe handles are not waitable,
// so a thread does blocking ReadFile calls and hands chunks to the owner's thread through queued
// signals (docs/qt-notes.md). The thread is never joined while it may be blocked in ReadFile: at
// shutdown the process simply exits (a blocked read cannot be interrupted portably).
class WinStdinReader final : public StdinReader
{
public:
    explicit WinStdinReader(QObject *parent)
        : StdinReader(parent)
    { }

    ~WinStdinReader() override
    {
        // A thread blocked in ReadFile cannot be joined (deleting it hangs until the read
        // returns): leave it to the process exit.
        if (m_thread && m_thread->isRunning())
            m_thread->setParent(nullptr);
    }

    void start() override
    {
        m_thread = QThread::create([this] {
            HANDLE input = GetStdHandle(STD_INPUT_HANDLE);
            if (input == nullptr || input == INVALID_HANDLE_VALUE) {
                QMetaObject::invokeMethod(
                        this, [this] { Q_EMIT endOfInput(); }, Qt::QueuedConnection);
                return;
            }
            // On a pipe, a successful read of no bytes is a zero-length write of the other end
            // (WriteFile with nothing to write completes a pending ReadFile with 0 bytes), not
            // the end: the end is ERROR_BROKEN_PIPE once every write handle is closed. On a file
            // or the console, a successful read of no bytes is the end of the input.
            const bool pipe = GetFileType(input) == FILE_TYPE_PIPE;
            QByteArray buffer(256 * 1024, Qt::Uninitialized);
            for (;;) {
                DWORD n = 0;
                if (!ReadFile(input, buffer.data(), DWORD(buffer.size()), &n, nullptr))
                    break; // ERROR_BROKEN_PIPE (writer closed), ERROR_OPERATION_ABORTED
                // A pipe whose writer is gone fails PeekNamedPipe (ERROR_BROKEN_PIPE): the end,
                // and never a loop of empty reads.
                if (n == 0) {
                    if (pipe && PeekNamedPipe(input, nullptr, 0, nullptr, nullptr, nullptr))
                        continue;
                    break; // the end of a file, or of the console's input
                }
                QByteArray chunk(buffer.constData(), qsizetype(n));
                QMetaObject::invokeMethod(
                        this, [this, chunk] { Q_EMIT chunkReceived(chunk); }, Qt::QueuedConnection);
            }
            QMetaObject::invokeMethod(
                    this, [this] { Q_EMIT endOfInput(); }, Qt::QueuedConnection);
        });
        m_thread->setParent(this);
        m_thread->start();
    }

private:
    QThread *m_thread = nullptr;
};

} // namespace

StdinReader *StdinReader::create(QObject *parent)
{
    return new WinStdinReader(parent);
}

} // namespace McpProxy
