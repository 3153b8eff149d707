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

#ifdef Q_OS_WIN
#include <qt_windows.h>
#else
#include <csignal>
#include <sys/types.h>
#endif

namespace McpProxy::Test {

// The real mcp-oauth2-proxy binary under QProcess, driven as an MCP host drives it: lines on
// stdin, lines from stdout. Every stdout line must be one JSON object (stdout carries JSON-RPC
// only); violations are recorded in stdoutViolations().
class ProxyProcess : public QObject
{
    Q_OBJECT
public:
    explicit ProxyProcess(QObject *parent = nullptr)
        : QObject(parent)
    {
        connect(&m_process, &QProcess::readyReadStandardOutput, this, [this] { readStdout(); });
        connect(&m_process, &QProcess::readyReadStandardError, this,
                [this] { m_stderr += m_process.readAllStandardError(); });
    }
    ~ProxyProcess() override
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }

    static QString binary() { return QStringLiteral(MCPPROXY_BINARY); }

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
        m_process.setCreateProcessArgumentsModifier([](QProcess::CreateProcessArguments *create) {
            create->flags |= CREATE_NEW_PROCESS_GROUP;
            create->flags &= ~DWORD(CREATE_NO_WINDOW);
        });
#endif
        m_process.start(binary(), arguments);
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
        if (m_process.state() == QProcess::NotRunning)
            return true;
        return QTest::qWaitFor(
                [this] { return m_process.state() == QProcess::NotRunning; }, timeoutMs);
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
        return m_messages;
    }
    const QList<QByteArray> &stdoutLines() const
    {
        return m_lines;
    }
    const QList<QByteArray> &stdoutViolations() const
    {
        return m_violations;
    }
    QByteArray stderrText() const
    {
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
    void readStdout()
    {
        m_buffer += m_process.readAllStandardOutput();
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
    QByteArray m_buffer;
    QByteArray m_stderr;
    QList<QByteArray> m_lines;
    QList<QByteArray> m_violations;
    QList<QJsonObject> m_messages;
};

} // namespace McpProxy::Test
