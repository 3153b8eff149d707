#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QProcess>
#include <QtCore/QProcessEnvironment>
#include <QtCore/QStringList>
#include <QtCore/QTemporaryDir>
#include <QtTest/QTest>

#include <functional>
#include <memory>
#include <utility>

#ifdef Q_OS_WIN
#include <QtCore/QMutex>

#include <thread>

#include <qt_windows.h>
#else
#include <csignal>
#include <sys/types.h>
#endif

namespace McpProxy::Test {

#ifdef Q_OS_WIN
// One output pipe of the child, read by a thread of its own with blocking ReadFile until end of
// file. QProcess's own reader (QWindowsPipeReader) re-issues its overlapped ReadFile from a
// thread-pool callback (qwindowspipereader.cpp, waitCallback); Windows cancels the I/O a thread
// issued when that thread exits, and Wine's thread pool retires idle worker threads, so under
// Wine a read issued by a retired worker ends with ERROR_OPERATION_ABORTED, which Qt 6.4 takes for
// a broken pipe: after a quiet spell (a login the user takes a while to complete) nothing more the
// proxy writes is read, although it goes on working.
class PipeDrain
{
public:
    // An inheritable write end for the child; the read end stays here.
    PipeDrain()
    {
        SECURITY_ATTRIBUTES inherit = {sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
        HANDLE read = nullptr;
        if (!CreatePipe(&read, &m_write, &inherit, 1 << 20))
            return;
        SetHandleInformation(read, HANDLE_FLAG_INHERIT, 0);
        // Detached: it ends at end of file, when the child and every copy of the write end
        // are gone; the shared state outlives this object.
        std::thread([state = m_state, read] {
            QByteArray buffer(64 * 1024, Qt::Uninitialized);
            DWORD n = 0;
            // The end is ERROR_BROKEN_PIPE; a read of 0 bytes (a 0-byte write) is not.
            while (ReadFile(read, buffer.data(), DWORD(buffer.size()), &n, nullptr)) {
                QMutexLocker locker(&state->mutex);
                state->data.append(buffer.constData(), qsizetype(n));
            }
            CloseHandle(read);
            QMutexLocker locker(&state->mutex);
            state->ended = true;
        }).detach();
    }
    ~PipeDrain() { closeWriteEnd(); }
    PipeDrain(const PipeDrain &) = delete;
    PipeDrain &operator=(const PipeDrain &) = delete;

    HANDLE writeEnd() const { return m_write; }
    // Once the child has it: then end of file comes when the child (and what it started) ends.
    void closeWriteEnd()
    {
        if (m_write)
            CloseHandle(m_write);
        m_write = nullptr;
    }
    QByteArray take()
    {
        QMutexLocker locker(&m_state->mutex);
        return std::exchange(m_state->data, QByteArray());
    }
    bool ended() const
    {
        QMutexLocker locker(&m_state->mutex);
        return m_state->ended;
    }

private:
    struct State
    {
        QMutex mutex;
        QByteArray data;
        bool ended = false;
    };
    std::shared_ptr<State> m_state = std::make_shared<State>();
    HANDLE m_write = nullptr;
};
#endif

// The real mcp-oauth2-proxy binary under QProcess, driven as an MCP host drives it: lines on
// stdin, lines from stdout. Every stdout line must be one JSON object (stdout carries JSON-RPC
// only); violations are recorded in stdoutViolations(). On Windows the child's stdout and stderr
// are pipes of PipeDrain, not QProcess's (see there); what arrived is taken in on every look.
class ProxyProcess : public QObject
{
    Q_OBJECT
public:
    explicit ProxyProcess(QObject *parent = nullptr)
        : QObject(parent)
    {
#ifndef Q_OS_WIN
        connect(&m_process, &QProcess::readyReadStandardOutput, this,
                [this] { takeStdout(m_process.readAllStandardOutput()); });
        connect(&m_process, &QProcess::readyReadStandardError, this,
                [this] { m_stderr += m_process.readAllStandardError(); });
#endif
    }
    ~ProxyProcess() override
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }

    static QString binary()
    {
        return QStringLiteral(MCPPROXY_BINARY);
    }

    // Starts the binary; the environment is a clean one (PATH, HOME, LANG) plus `env`.
    bool start(const QStringList &arguments, const QProcessEnvironment &extra = {})
    {
        QProcessEnvironment env;
        const QProcessEnvironment system = QProcessEnvironment::systemEnvironment();
        for (const char *name : {"PATH", "HOME", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"}) {
            const QString key = QString::fromLatin1(name);
            if (system.contains(key))
                env.insert(key, system.value(key));
        }
        env.insert(QStringLiteral("LANG"), QStringLiteral("C")); // English unless a test says so
        // Never the developer's own token store or keychain.
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_configHome.path());
        env.insert(QStringLiteral("APPDATA"), m_configHome.path()); // the same on Windows
        env.insert(QStringLiteral("MCP_PROXY_KEYCHAIN"), QStringLiteral("off"));
        env.insert(extra);
        if (!env.contains(QStringLiteral("LOG_LEVEL")))
            env.insert(QStringLiteral("LOG_LEVEL"), QStringLiteral("debug"));
        m_process.setProcessEnvironment(env);
#ifdef Q_OS_WIN
        // Its own console process group, so that terminate() reaches it and not this test. A
        // console to share, once per test: a test started with pipes only (ctest) has none, and
        // under Wine it has one without a window that delivers no control events, which
        // AllocConsole() does not replace while it is attached. QProcess starts a child without a
        // console (CREATE_NO_WINDOW) when this console has no window, which a new one under Wine
        // has not.
        static const bool hasConsole = [] {
            if (GetConsoleWindow())
                return true;
            FreeConsole();
            return AllocConsole() != FALSE;
        }();
        Q_UNUSED(hasConsole);
        m_stdoutPipe = std::make_unique<PipeDrain>();
        m_stderrPipe = std::make_unique<PipeDrain>();
        m_process.setStandardOutputFile(QProcess::nullDevice());
        m_process.setStandardErrorFile(QProcess::nullDevice());
        m_process.setCreateProcessArgumentsModifier(
                [this](QProcess::CreateProcessArguments *create) {
                    create->flags |= CREATE_NEW_PROCESS_GROUP;
                    create->flags &= ~DWORD(CREATE_NO_WINDOW);
                    create->startupInfo->hStdOutput = m_stdoutPipe->writeEnd();
                    create->startupInfo->hStdError = m_stderrPipe->writeEnd();
                });
        m_process.start(binary(), arguments);
        m_stdoutPipe->closeWriteEnd();
        m_stderrPipe->closeWriteEnd();
#else
        m_process.start(binary(), arguments);
#endif
        return m_process.waitForStarted(5000);
    }

    void send(const QByteArray &line)
    {
        m_process.write(line + '\n');
    }
    void sendRaw(const QByteArray &bytes)
    {
        m_process.write(bytes);
    }
    void closeStdin()
    {
        m_process.closeWriteChannel();
    }

    // Waits for the first not-yet-taken message for which `match` holds, and takes it.
    QJsonObject take(const std::function<bool(const QJsonObject &)> &match, int timeoutMs = 10000)
    {
        QJsonObject found;
        const bool ok = QTest::qWaitFor(
                [&] {
                    drain();
                    for (qsizetype i = 0; i < m_messages.size(); ++i) {
                        if (match(m_messages.at(i))) {
                            found = m_messages.takeAt(i);
                            return true;
                        }
                    }
                    return false;
                },
                timeoutMs);
        if (!ok)
            qWarning("no matching message; proxy stderr:\n%s", m_stderr.constData());
        return found;
    }
    QJsonObject takeResponse(const QJsonValue &id, int timeoutMs = 10000)
    {
        return take(
                [id](const QJsonObject &m) {
                    return m.value(u"id") == id && !m.contains(u"method");
                },
                timeoutMs);
    }
    QJsonObject takeMethod(const QString &method, int timeoutMs = 10000)
    {
        return take(
                [method](const QJsonObject &m) { return m.value(u"method").toString() == method; },
                timeoutMs);
    }

    bool waitForExit(int timeoutMs = 10000)
    {
        if (m_process.state() != QProcess::NotRunning
                && !QTest::qWaitFor(
                        [this] { return m_process.state() == QProcess::NotRunning; }, timeoutMs))
            return false;
#ifdef Q_OS_WIN
        // The rest of its output, up to the end of both pipes.
        const bool ended = QTest::qWaitFor(
                [this] { return m_stdoutPipe->ended() && m_stderrPipe->ended(); }, 5000);
        drain();
        return ended;
#else
        return true;
#endif
    }

    // What a host does to stop it: SIGTERM, or on Windows the console's Ctrl+Break for its
    // process group (the way to signal a console program; a window close is CTRL_CLOSE_EVENT).
    // Wine's console sends only Ctrl+C to a process group (Ctrl+Break is "not implemented"
    // there): then Ctrl+C, which the proxy handles the same way.
    bool terminate()
    {
#ifdef Q_OS_WIN
        const auto group = DWORD(m_process.processId());
        return GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, group)
                || GenerateConsoleCtrlEvent(CTRL_C_EVENT, group);
#else
        return ::kill(pid_t(m_process.processId()), SIGTERM) == 0;
#endif
    }

    QProcess &process()
    {
        return m_process;
    }
    const QList<QJsonObject> &messages() const
    {
        drain();
        return m_messages;
    }
    const QList<QByteArray> &stdoutLines() const
    {
        drain();
        return m_lines;
    }
    const QList<QByteArray> &stdoutViolations() const
    {
        drain();
        return m_violations;
    }
    QByteArray stderrText() const
    {
        drain();
        return m_stderr;
    }

    void initialize(const QString &protocolVersion = QStringLiteral("2025-11-25"))
    {
        send(R"({"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":")"
                + protocolVersion.toLatin1()
                + R"(","capabilities":{"sampling":{}},"clientInfo":{"name":"tst","version":"1"}}})");
        const QJsonObject response = takeResponse(QStringLiteral("init"));
        QVERIFY2(response.contains(u"result"), m_stderr.constData());
        send(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
    }

private:
    // Takes in what the Windows pipes delivered (QProcess's signals do it elsewhere).
    void drain() const
    {
#ifdef Q_OS_WIN
        if (m_stdoutPipe)
            takeStdout(m_stdoutPipe->take());
        if (m_stderrPipe)
            m_stderr += m_stderrPipe->take();
#endif
    }
    void takeStdout(const QByteArray &bytes) const
    {
        m_buffer += bytes;
        qsizetype newline;
        while ((newline = m_buffer.indexOf('\n')) >= 0) {
            const QByteArray line = m_buffer.left(newline);
            m_buffer.remove(0, newline + 1);
            m_lines.append(line);
            QJsonParseError error;
            const QJsonDocument document = QJsonDocument::fromJson(line, &error);
            if (error.error != QJsonParseError::NoError || !document.isObject()
                    || line.contains('\r')) {
                m_violations.append(line);
                continue;
            }
            m_messages.append(document.object());
        }
    }

    QTemporaryDir m_configHome;
    QProcess m_process;
#ifdef Q_OS_WIN
    std::unique_ptr<PipeDrain> m_stdoutPipe;
    std::unique_ptr<PipeDrain> m_stderrPipe;
#endif
    // Filled from the const accessors too (drain()).
    mutable QByteArray m_buffer;
    mutable QByteArray m_stderr;
    mutable QList<QByteArray> m_lines;
    mutable QList<QByteArray> m_violations;
    mutable QList<QJsonObject> m_messages;
};

} // namespace McpProxy::Test
