// BrowserLauncher with a fake browser (a shell script; on Windows mcp-test-browser.exe, which
// writes the same noise and record): $BROWSER lists and %s, the display rule, WSL, xdg-open from
// PATH, only http(s), and above all: the browser never reaches our stdio.
#include "auth/login/browserlauncher.h"

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QProcess>
#include <QtCore/QTemporaryDir>
#include <QtTest/QTest>

using namespace McpProxy;
using namespace Qt::StringLiterals;

namespace {

const QByteArray StdoutNoise = "FAKE-BROWSER-STDOUT-NOISE";
const QByteArray StderrNoise = "FAKE-BROWSER-STDERR-NOISE";

// Writes the noise first, then records its environment, where its std channels point and its
// arguments (one per line, after its own name), renaming the record into place so a reader never
// sees half of it.
const char FakeBrowserScript[] = R"(#!/bin/sh
echo "FAKE-BROWSER-STDOUT-NOISE"
echo "FAKE-BROWSER-STDERR-NOISE" >&2
record="$FAKE_BROWSER_RECORD"
env > "$record.env.tmp"
mv "$record.env.tmp" "$record.env"
fd0=$(readlink "/proc/$$/fd/0" 2>/dev/null || echo unknown)
fd1=$(readlink "/proc/$$/fd/1" 2>/dev/null || echo unknown)
fd2=$(readlink "/proc/$$/fd/2" 2>/dev/null || echo unknown)
printf '%s\n%s\n%s\n' "$fd0" "$fd1" "$fd2" > "$record.fds.tmp"
mv "$record.fds.tmp" "$record.fds"
{ basename "$0"; for a in "$@"; do printf '%s\n' "$a"; done; } > "$record.tmp"
mv "$record.tmp" "$record"
)";

#ifdef Q_OS_WIN
const QString FakeBrowserFile = QStringLiteral("fake-browser.exe");
#else
const QString FakeBrowserFile = QStringLiteral("fake-browser");
#endif

} // namespace

class tst_BrowserLauncher : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_record;
    const QUrl m_url = QUrl(u"https://as.example/authorize?client_id=c&state=a%2Bb&x=1;y=$(id)"_s);

    QString installScript(const QString &name)
    {
#ifdef Q_OS_WIN
        const QString path = m_dir.filePath(name + u".exe"_s);
        return QFile::copy(QStringLiteral(MCPPROXY_TEST_BROWSER), path) ? path : QString();
#else
        const QString path = m_dir.filePath(name);
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly))
            return {};
        file.write(FakeBrowserScript);
        file.close();
        file.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        return path;
#endif
    }
    // PATH: our directory first, then the system's for sh, readlink, mv, basename (Windows: the
    // system's PATH, which finds the Qt DLLs of the fake browser).
    QProcessEnvironment baseEnvironment() const
    {
        QProcessEnvironment env;
#ifdef Q_OS_WIN
        env.insert(u"PATH"_s, m_dir.path() + QDir::listSeparator() + qEnvironmentVariable("PATH"));
#else
        env.insert(u"PATH"_s, m_dir.path() + u":/usr/bin:/bin"_s);
#endif
        env.insert(u"FAKE_BROWSER_RECORD"_s, m_record);
        return env;
    }
    QStringList waitForRecord()
    {
        if (!QTest::qWaitFor([this] { return QFile::exists(m_record); }, 5000))
            return {};
        QFile file(m_record);
        if (!file.open(QIODevice::ReadOnly))
            return {};
        return QString::fromUtf8(file.readAll()).split(u'\n', Qt::SkipEmptyParts);
    }
    bool staysUnlaunched()
    {
        QTest::qWait(300);
        return !QFile::exists(m_record);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY(!installScript(u"fake-browser"_s).isEmpty());
        QVERIFY(!installScript(u"xdg-open"_s).isEmpty());
        QVERIFY(!installScript(u"wslview"_s).isEmpty());
    }
    void init()
    {
        m_record = m_dir.filePath(
                u"record-%1"_s.arg(QString::fromLatin1(QTest::currentTestFunction())));
        if (const char *tag = QTest::currentDataTag())
            m_record += u'-' + QString::fromLatin1(tag).replace(u' ', u'_');
        QFile::remove(m_record);
    }

    void browserVariable_data()
    {
        QTest::addColumn<QString>("browser");
        QTest::addColumn<QStringList>("arguments");
        const QString url = m_url.toString(QUrl::FullyEncoded);
        QTest::addRow("placeholder")
                << u"fake-browser --new-window %s"_s << QStringList{u"--new-window"_s, url};
        QTest::addRow("url appended") << u"fake-browser --flag"_s << QStringList{u"--flag"_s, url};
        QTest::addRow("placeholder inside a word")
                << u"fake-browser --url=%s"_s << QStringList{u"--url="_s + url};
        QTest::addRow("literal percent")
                << u"fake-browser 100%% %s"_s << QStringList{u"100%"_s, url};
        QTest::addRow("quoted word")
                << u"fake-browser \"two words\" %s"_s << QStringList{u"two words"_s, url};
        QTest::addRow("first entry missing")
                << u"no-such-browser-xyz %s"_s + QDir::listSeparator() + u"fake-browser %s"_s
                << QStringList{url};
        QTest::addRow("absolute path")
                << u'"' + m_dir.filePath(FakeBrowserFile) + u'"' << QStringList{url};
    }
    void browserVariable()
    {
        QFETCH(QString, browser);
        QFETCH(QStringList, arguments);
        QProcessEnvironment env = baseEnvironment();
        env.insert(u"BROWSER"_s, browser); // no display needed for $BROWSER
        QString how;
        QVERIFY(BrowserLauncher::open(m_url, env, &how));
        QVERIFY2(how.contains(u"from $BROWSER"_s), qPrintable(how));
        const QStringList record = waitForRecord();
        QCOMPARE(record.value(0), u"fake-browser"_s);
        QCOMPARE(record.mid(1), arguments); // the URL is one argument, never shell-parsed
    }

    // canOpen() decides the headless fallback (the device login): it must agree with open().
    void canOpen_data()
    {
        QTest::addColumn<QStringList>("variables"); // NAME=value
        QTest::addColumn<bool>("expected");
        QTest::addRow("nothing") << QStringList{} << false;
        QTest::addRow("usable $BROWSER")
                << QStringList{u"BROWSER=fake-browser --new-window"_s} << true;
        QTest::addRow("$BROWSER names a missing program")
                << QStringList{u"BROWSER=no-such-browser"_s} << false;
        QTest::addRow("x11 display") << QStringList{u"DISPLAY=:0"_s} << true;
        QTest::addRow("wayland display") << QStringList{u"WAYLAND_DISPLAY=wayland-0"_s} << true;
        QTest::addRow("display but no xdg-open")
                << QStringList{u"DISPLAY=:0"_s, u"PATH=/nonexistent"_s} << false;
        QTest::addRow("WSL with wslview") << QStringList{u"WSL_DISTRO_NAME=Debian"_s} << true;
    }
    void canOpen()
    {
#if defined(Q_OS_WIN) || defined(Q_OS_MACOS)
        QSKIP("Windows (ShellExecuteW) and macOS (open) can always open the default browser");
#endif
        QFETCH(QStringList, variables);
        QProcessEnvironment env = baseEnvironment();
        for (const QString &variable : std::as_const(variables))
            env.insert(variable.section(u'=', 0, 0), variable.section(u'=', 1));
        QTEST(BrowserLauncher::canOpen(env), "expected");
        QVERIFY(staysUnlaunched()); // nothing was started
    }

    void noDisplayLaunchesNothing()
    {
#if defined(Q_OS_WIN)
        QSKIP("Windows opens the default browser with ShellExecuteW: no display, no xdg-open");
#endif
        QString how;
        QVERIFY(!BrowserLauncher::open(m_url, baseEnvironment(), &how));
#if !defined(Q_OS_MACOS)
        QVERIFY2(how.contains(u"no display"_s), qPrintable(how));
#endif
        QVERIFY(staysUnlaunched());
    }

    void xdgOpenWithDisplay_data()
    {
        QTest::addColumn<QString>("variable");
        QTest::addRow("x11") << u"DISPLAY"_s;
        QTest::addRow("wayland") << u"WAYLAND_DISPLAY"_s;
    }
    void xdgOpenWithDisplay()
    {
#if defined(Q_OS_WIN)
        QSKIP("Windows opens the default browser with ShellExecuteW: no display, no xdg-open");
#endif
#if defined(Q_OS_MACOS)
        QSKIP("macOS uses /usr/bin/open");
#endif
        QFETCH(QString, variable);
        QProcessEnvironment env = baseEnvironment();
        env.insert(variable, u":0"_s);
        QString how;
        QVERIFY2(BrowserLauncher::open(m_url, env, &how), qPrintable(how));
        QCOMPARE(waitForRecord(), (QStringList{u"xdg-open"_s, m_url.toString(QUrl::FullyEncoded)}));
    }

    void missingXdgOpen()
    {
#if defined(Q_OS_WIN)
        QSKIP("Windows opens the default browser with ShellExecuteW: no display, no xdg-open");
#endif
#if defined(Q_OS_MACOS)
        QSKIP("macOS uses /usr/bin/open");
#endif
        QProcessEnvironment env = baseEnvironment();
        env.insert(u"PATH"_s, m_dir.filePath(u"empty-subdir"_s));
        env.insert(u"DISPLAY"_s, u":0"_s);
        QString how;
        QVERIFY(!BrowserLauncher::open(m_url, env, &how));
        QVERIFY2(how.contains(u"xdg-open not found"_s), qPrintable(how));
    }

    void wslUsesWslview()
    {
#if defined(Q_OS_WIN)
        QSKIP("Windows opens the default browser with ShellExecuteW: no display, no xdg-open");
#endif
#if defined(Q_OS_MACOS)
        QSKIP("not on macOS");
#endif
        QProcessEnvironment env = baseEnvironment();
        env.insert(u"WSL_DISTRO_NAME"_s, u"Ubuntu"_s); // no display: wslview does not need one
        QString how;
        QVERIFY2(BrowserLauncher::open(m_url, env, &how), qPrintable(how));
        QCOMPARE(waitForRecord(), (QStringList{u"wslview"_s, m_url.toString(QUrl::FullyEncoded)}));
    }

    void onlyHttpUrls_data()
    {
        QTest::addColumn<QUrl>("url");
        QTest::addRow("file") << QUrl(u"file:///etc/passwd"_s);
        QTest::addRow("javascript") << QUrl(u"javascript:alert(1)"_s);
        QTest::addRow("custom scheme") << QUrl(u"ms-settings:network"_s);
        QTest::addRow("invalid") << QUrl();
    }
    void onlyHttpUrls()
    {
        QFETCH(QUrl, url);
        QProcessEnvironment env = baseEnvironment();
        env.insert(u"BROWSER"_s, u"fake-browser"_s);
        QString how;
        QVERIFY(!BrowserLauncher::open(url, env, &how));
        QVERIFY(staysUnlaunched());
    }

    void stdChannelsAreTheNullDevice()
    {
        if (!QFileInfo::exists(u"/proc/self/fd/1"_s))
            QSKIP("needs /proc");
        QProcessEnvironment env = baseEnvironment();
        env.insert(u"BROWSER"_s, u"fake-browser"_s);
        QVERIFY(BrowserLauncher::open(m_url, env, nullptr));
        QVERIFY(!waitForRecord().isEmpty());
        QFile fds(m_record + u".fds"_s);
        QVERIFY(fds.open(QIODevice::ReadOnly));
        const QList<QByteArray> targets = fds.readAll().trimmed().split('\n');
        QCOMPARE(targets, (QList<QByteArray>{"/dev/null", "/dev/null", "/dev/null"}));
    }

    // The browser gets the environment it is given, nothing more, nothing less: the caller owns
    // it (main() hands over its snapshot from before it set QT_NO_GLIB for its own threads), so a
    // user's own QT_NO_GLIB=1 reaches the browser, and nothing of this process's environment does.
    void browserGetsExactlyTheEnvironmentGiven()
    {
#ifdef Q_OS_WIN
        QSKIP("the fake browser of Windows records no environment");
#endif
        QProcessEnvironment env = baseEnvironment();
        env.insert(u"BROWSER"_s, u"fake-browser"_s);
        env.insert(u"QT_NO_GLIB"_s, u"1"_s);
        env.insert(u"MCPPROXY_TST_GIVEN"_s, u"two words = one value"_s);
        qputenv("MCPPROXY_TST_NOT_GIVEN", "ours");
        const bool opened = BrowserLauncher::open(m_url, env, nullptr);
        qunsetenv("MCPPROXY_TST_NOT_GIVEN");
        QVERIFY(opened);
        QVERIFY(!waitForRecord().isEmpty());
        QFile recorded(m_record + u".env"_s);
        QVERIFY(recorded.open(QIODevice::ReadOnly));
        QStringList received;
        for (const QString &line : QString::fromUtf8(recorded.readAll()).split(u'\n')) {
            // What a POSIX shell sets itself (dash: PWD; bash: SHLVL, _ as well).
            const QString name = line.section(u'=', 0, 0);
            if (!line.isEmpty() && name != u"PWD"_s && name != u"OLDPWD"_s && name != u"SHLVL"_s
                    && name != u"_"_s)
                received << line;
        }
        QStringList given = env.toStringList();
        received.sort();
        given.sort();
        QCOMPARE(received, given);
    }

    // Run in a child process (by noiseNeverReachesOurStdout) with its stdout on a pipe.
    void childLaunch()
    {
        if (!qEnvironmentVariableIsSet("MCPPROXY_TST_BROWSER_CHILD"))
            QSKIP("helper of noiseNeverReachesOurStdout");
        m_record = qEnvironmentVariable("FAKE_BROWSER_RECORD");
        QProcessEnvironment env = baseEnvironment();
        env.insert(u"BROWSER"_s, u"fake-browser"_s);
        QVERIFY(BrowserLauncher::open(m_url, env, nullptr));
        // The script writes its noise before the record: once the record exists, any noise
        // that could reach our stdout is already in the pipe.
        QVERIFY(!waitForRecord().isEmpty());
    }

    void noiseNeverReachesOurStdout()
    {
        QProcess child;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(u"MCPPROXY_TST_BROWSER_CHILD"_s, u"1"_s);
        env.insert(u"FAKE_BROWSER_RECORD"_s, m_record);
        child.setProcessEnvironment(env);
        // Test output explicitly on stdout: on Windows Qt may log elsewhere when not a console.
        child.start(
                QCoreApplication::applicationFilePath(), {u"-o"_s, u"-,txt"_s, u"childLaunch"_s});
        QVERIFY(child.waitForStarted());
        QVERIFY(QTest::qWaitFor([&] { return child.state() == QProcess::NotRunning; }, 15000));
        const QByteArray out = child.readAllStandardOutput();
        const QByteArray err = child.readAllStandardError();
        QCOMPARE(child.exitCode(), 0);
        QVERIFY2(out.contains("PASS   : tst_BrowserLauncher::childLaunch()"), out.constData());
        QVERIFY(QFile::exists(m_record)); // the browser did run
        QVERIFY2(!out.contains(StdoutNoise), out.constData());
        QVERIFY2(!out.contains(StderrNoise), out.constData());
        QVERIFY2(!err.contains(StdoutNoise) && !err.contains(StderrNoise), err.constData());
    }
};

QTEST_GUILESS_MAIN(tst_BrowserLauncher)
#include "tst_browserlauncher.moc"
