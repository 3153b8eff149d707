#include "app/signalwatcher.h"

#include <QtCore/QPointer>

#include <io.h>
#include <windows.h>

namespace McpProxy {

namespace {

QPointer<SignalWatcher> s_watcher; // the console control handler runs on its own thread

BOOL WINAPI onConsoleControl(DWORD type)
{
    if (type != CTRL_C_EVENT && type != CTRL_BREAK_EVENT && type != CTRL_CLOSE_EVENT)
        return FALSE;
    if (SignalWatcher *watcher = s_watcher.data()) {
        const QString name =
                type == CTRL_CLOSE_EVENT ? QStringLiteral("CTRL_CLOSE") : QStringLiteral("CTRL_C");
        QMetaObject::invokeMethod(
                watcher, [watcher, name] { Q_EMIT watcher->terminationRequested(name); },
                Qt::QueuedConnection);
    }
    return TRUE;
}

class WinSignalWatcher final : public SignalWatcher
{
public:
    explicit WinSignalWatcher(QObject *parent)
        : SignalWatcher(parent)
    {
        s_watcher = this;
        SetConsoleCtrlHandler(onConsoleControl, TRUE);
    }
};

} // namespace

SignalWatcher *SignalWatcher::create(QObject *parent)
{
    return new WinSignalWatcher(parent);
}

bool prepareStandardStreams()
{
    return GetStdHandle(STD_INPUT_HANDLE) != nullptr;
}

bool standardInputIsTerminal()
{
    return _isatty(_fileno(stdin)) != 0;
}

} // namespace McpProxy
