#pragma once

#include <QtCore/QObject>

namespace McpProxy {

// Turns SIGINT/SIGTERM (Unix: a self-pipe watched by a QSocketNotifier; Windows: the console
// control handler) into a signal on the main thread, where it is safe to act on.
class SignalWatcher : public QObject
{
    Q_OBJECT
public:
    static SignalWatcher *create(QObject *parent);

Q_SIGNALS:
    void terminationRequested(const QString &signalName);

protected:
    explicit SignalWatcher(QObject *parent)
        : QObject(parent)
    { }
};

// Process set-up that must happen before QCoreApplication exists (docs/qt-notes.md):
// re-open closed standard fds on the null device, ignore SIGPIPE; on Windows, keep the standard
// handles from being inherited by programs we start. Returns false when fd 0 was closed (stdin is
// then at EOF).
bool prepareStandardStreams();
bool standardInputIsTerminal();

} // namespace McpProxy
