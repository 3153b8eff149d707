#include "app/signalwatcher.h"

#include <QtCore/QPointer>

#include <io.h>
#include <windows.h>

namespace McpProxy {

namespace {

QPointer<SignalWatcher> s_watcher; // the console control handler runs on its own thread
HANDLE s_finished = nullptr; // manual-reset event, set when the watcher (the proxy) is gone

// After a window close, log-off or shutdown event Windows ends the process as soon as the handler
// returns, and at the latest after 5 seconds (HandlerRoutine, "Timeouts"): the handler holds the
// process while the proxy answers what is pending and says goodbye to the server.
constexpr DWORD CloseGraceMs = 4500;

BOOL WINAPI onConsoleControl(DWORD type)
{
    QString name;
    switch (type) {
    case CTRL_C_EVENT:
        name = QStringLiteral("CTRL_C");
        break;
    case CTRL_BREAK_EVENT:
        name = QStringLiteral("CTRL_BREAK");
        break;
    case CTRL_CLOSE_EVENT:
        name = QStringLiteral("CTRL_CLOSE");
        break;
    case CTRL_LOGOFF_EVENT:
        name = QStringLiteral("CTRL_LOGOFF");
        break;
    case CTRL_SHUTDOWN_EVENT:
        name = QStringLiteral("CTRL_SHUTDOWN");
        break;
    default:
        return FALSE;
    }
    if (SignalWatcher *watcher = s_watcher.data()) {
        QMetaObject::invokeMethod(
                watcher, [watcher, name] { Q_EMIT watcher->terminationRequested(name); },
                Qt::QueuedConnection);
    }
    if (type != CTRL_C_EVENT && type != CTRL_BREAK_EVENT && s_finished)
        WaitForSingleObject(s_finished, CloseGraceMs);
    return TRUE;
}

class WinSignalWatcher final : public SignalWatcher
{
public:
    explicit WinSignalWatcher(QObject *parent)
        : SignalWatcher(parent)
    {
        s_watcher = this;
        if (!s_finished)
            s_finished = CreateEventW(nullptr, TRUE, FALSE, nullptr);
        // A parent that started the proxy in a new process group (CREATE_NEW_PROCESS_GROUP, the
        // way to send it Ctrl+Break alone) also made it ignore Ctrl+C (CreateProcess, "Process
        // Creation Flags"): Ctrl+C is handled however the proxy was started, as SIGINT is on Unix.
        SetConsoleCtrlHandler(nullptr, FALSE);
        SetConsoleCtrlHandler(onConsoleControl, TRUE);
    }
    ~WinSignalWatcher() override
    {
        if (s_finished)
            SetEvent(s_finished); // a waiting close handler lets Windows end the process now
    }
};

} // namespace

SignalWatcher *SignalWatcher::create(QObject *parent)
{
    return new WinSignalWatcher(parent);
}

bool prepareStandardStreams()
{
    // The host made our standard handles inheritable to hand them to us. A program we start with
    // inheritance on (QProcess passes its null-device handles that way: the browser) would get
    // copies of all three and keep the host's pipes open after we exit, so a host waiting for the
    // end of our stdout would wait for the browser (CreateProcess, bInheritHandles).
    for (const DWORD which : {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE}) {
        const HANDLE handle = GetStdHandle(which);
        if (handle != nullptr && handle != INVALID_HANDLE_VALUE)
            SetHandleInformation(handle, HANDLE_FLAG_INHERIT, 0);
    }
    return GetStdHandle(STD_INPUT_HANDLE) != nullptr;
}

bool standardInputIsTerminal()
{
    return _isatty(_fileno(stdin)) != 0;
}

} // namespace McpProxy
