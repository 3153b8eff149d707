#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QObject>

namespace McpProxy {

// Raw bytes from the process's standard input, delivered on the thread that created the reader.
// Unix: a QSocketNotifier on fd 0 and one read() per activation (docs/qt-notes.md). Windows: a
// thread doing blocking ReadFile, since the Windows event dispatcher cannot watch pipes.
// The implementation is picked by CMake (stdinreader_unix.cpp / stdinreader_win.cpp).
class StdinReader : public QObject
{
    Q_OBJECT
public:
    static StdinReader *create(QObject *parent);

    // Starts delivering; endOfInput() follows the last chunk exactly once.
    virtual void start() = 0;

Q_SIGNALS:
    void chunkReceived(const QByteArray &chunk);
    void endOfInput();

protected:
    explicit StdinReader(QObject *parent)
        : QObject(parent)
    { }
};

} // namespace McpProxy
