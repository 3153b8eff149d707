#include "logging/messagehandler.h"
#include "logging/redactor.h"
#include "logging/standardstreams.h"

#include <QtCore/QFile>
#include <QtCore/QLoggingCategory>
#include <QtCore/QProcess>
#include <QtCore/QRegularExpression>
#include <QtCore/QTemporaryDir>
#include <QtCore/QThread>
#include <QtTest/QtTest>

#include <memory>

#ifdef Q_OS_UNIX
#include <sys/stat.h>
#include <unistd.h>
#endif

using namespace Qt::StringLiterals;
using McpProxy::LogLevel;

namespace {

Q_LOGGING_CATEGORY(lcTest, "mcpproxy.test")
Q_LOGGING_CATEGORY(lcWire, "mcpproxy.wire")
Q_LOGGING_CATEGORY(lcQtFake, "qt.fake")
Q_LOGGING_CATEGORY(lcNetworkAuth, "qt.networkauth.oauth2")

constexpr char ChildModeVariable[] = "MCPPROXY_TST_MESSAGEHANDLER_CHILD";

const QRegularExpression LinePattern(u"^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z "
                                     u"(TRACE|DEBUG|INFO |WARN |ERROR|FATAL) "
                                     "\\[[^\\]]+\\] .*$"_s);

// The child process: logs to stderr, then exits or aborts (qFatal).
int runChild(const QByteArray &mode)
{
    if (mode == "text") {
        // Text for a person, on both streams, then a log line: Cyrillic and a character outside
        // the Basic Multilingual Plane, which no single code page holds.
        using McpProxy::StandardStream;
        McpProxy::installMessageHandler({LogLevel::Info, QString()}, McpProxy::Redactor());
        McpProxy::writeText(StandardStream::Output, u"Вход выполнен \U0001F511\n"_s);
        McpProxy::writeText(StandardStream::Error, u"Откройте ссылку\n\n"_s);
        qCInfo(lcTest, "%s", qUtf8Printable(u"журнал"_s));
        return 0;
    }
    McpProxy::Redactor redactor;
    redactor.addSecret(u"child-secret-1"_s);
    McpProxy::installMessageHandler({LogLevel::Info, QString()}, redactor);
    qCDebug(lcTest) << "child debug";
    qCInfo(lcTest) << "child info child-secret-1";
    qCWarning(lcTest).noquote() << "child warning Authorization: Bearer child-token";
    if (mode == "fatal")
        qFatal("child fatal child-secret-1");
    return 0;
}

QStringList readLines(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    QStringList lines = QString::fromUtf8(file.readAll()).split(u'\n');
    if (!lines.isEmpty() && lines.constLast().isEmpty())
        lines.removeLast();
    return lines;
}

} // namespace

class tst_MessageHandler : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void formatLogLine_data();
    void formatLogLine();
    void filterRules();
    void writesToFile();
    void levels_data();
    void levels();
    void redacts();
    void appendsToExistingFile();
    void existingFileBecomesOwnerOnly();
    void refusesAnotherUsersFile();
    void missingDirectory();
    void reinstall();
    void threads();
    void stderrChild();
    void fatalChild();
    void textChild();

private:
    QString logPath() const { return m_tmp->filePath(u"proxy.log"_s); }

    std::unique_ptr<QTemporaryDir> m_tmp;
};

void tst_MessageHandler::init()
{
    m_tmp = std::make_unique<QTemporaryDir>();
    QVERIFY(m_tmp->isValid());
}

void tst_MessageHandler::cleanup()
{
    McpProxy::uninstallMessageHandler();
    m_tmp.reset();
}

void tst_MessageHandler::formatLogLine_data()
{
    QTest::addColumn<int>("type");
    QTest::addColumn<QByteArray>("category");
    QTest::addColumn<QString>("message");
    QTest::addColumn<QString>("tail"); // the line after the time stamp

    QTest::addRow("info") << int(QtInfoMsg) << QByteArray("mcpproxy.transport") << u"text"_s
                          << u" INFO  [mcpproxy.transport] text"_s;
    QTest::addRow("debug") << int(QtDebugMsg) << QByteArray("mcpproxy.bridge") << u"d"_s
                           << u" DEBUG [mcpproxy.bridge] d"_s;
    QTest::addRow("wire debug is trace") << int(QtDebugMsg) << QByteArray("mcpproxy.wire")
                                         << u"{}"_s << u" TRACE [mcpproxy.wire] {}"_s;
    QTest::addRow("warning") << int(QtWarningMsg) << QByteArray("qt.network.ssl") << u"w"_s
                             << u" WARN  [qt.network.ssl] w"_s;
    QTest::addRow("critical") << int(QtCriticalMsg) << QByteArray("mcpproxy.auth") << u"c"_s
                              << u" ERROR [mcpproxy.auth] c"_s;
    QTest::addRow("fatal") << int(QtFatalMsg) << QByteArray("mcpproxy.app") << u"f"_s
                           << u" FATAL [mcpproxy.app] f"_s;
    QTest::addRow("no category") << int(QtInfoMsg) << QByteArray() << u"x"_s
                                 << u" INFO  [default] x"_s;
    QTest::addRow("line breaks escaped")
            << int(QtInfoMsg) << QByteArray("mcpproxy.app") << u"a\nb\r\nc\n"_s
            << u" INFO  [mcpproxy.app] a\\nb\\r\\nc"_s;
    QTest::addRow("empty message") << int(QtInfoMsg) << QByteArray("mcpproxy.app") << QString()
                                   << u" INFO  [mcpproxy.app] "_s;
}

void tst_MessageHandler::formatLogLine()
{
    QFETCH(int, type);
    QFETCH(QByteArray, category);
    QFETCH(QString, message);
    QFETCH(QString, tail);

    const QString line = McpProxy::formatLogLine(
            QtMsgType(type), category.isNull() ? nullptr : category.constData(), message);
    QVERIFY2(LinePattern.match(line).hasMatch(), qPrintable(line));
    QCOMPARE(line.mid(24), tail);
    const QDateTime time = QDateTime::fromString(line.left(24), Qt::ISODateWithMs);
    QVERIFY(time.isValid());
    QCOMPARE(time.timeSpec(), Qt::UTC);
    QVERIFY(qAbs(time.msecsTo(QDateTime::currentDateTimeUtc())) < 60000);
}

void tst_MessageHandler::filterRules()
{
    const QString trace = McpProxy::logFilterRules(LogLevel::Trace);
    QVERIFY(trace.startsWith(u"*.debug=false\n"_s));
    QVERIFY(trace.contains(u"mcpproxy.*.debug=true"_s));
    QVERIFY(!trace.contains(u"mcpproxy.wire.debug=false"_s));
    const QString debug = McpProxy::logFilterRules(LogLevel::Debug);
    QVERIFY(debug.contains(u"mcpproxy.*.debug=true"_s));
    QVERIFY(debug.contains(u"mcpproxy.wire.debug=false"_s));
    const QString info = McpProxy::logFilterRules(LogLevel::Info);
    QVERIFY(!info.contains(u"mcpproxy.*.debug=true"_s));
    for (LogLevel level : {LogLevel::Trace, LogLevel::Debug, LogLevel::Info, LogLevel::Warn,
                 LogLevel::Error, LogLevel::Fatal}) {
        const QString rules = McpProxy::logFilterRules(level);
        QVERIFY(rules.endsWith(u"qt.networkauth.*.debug=false"_s));
        QVERIFY(rules.contains(u"qt.*.info=false"_s));
    }
}

void tst_MessageHandler::writesToFile()
{
    QString error;
    QVERIFY(McpProxy::installMessageHandler(
            {LogLevel::Info, logPath()}, McpProxy::Redactor(), &error));
    QVERIFY(error.isEmpty());
    qCInfo(lcTest) << "first line";
    qCWarning(lcTest).noquote() << "second line";
    McpProxy::uninstallMessageHandler();

    const QStringList lines = readLines(logPath());
    QCOMPARE(lines.size(), 2);
    for (const QString &line : lines)
        QVERIFY2(LinePattern.match(line).hasMatch(), qPrintable(line));
    QVERIFY(lines.at(0).endsWith(u" INFO  [mcpproxy.test] first line"_s));
    QVERIFY(lines.at(1).endsWith(u" WARN  [mcpproxy.test] second line"_s));

#ifdef Q_OS_UNIX
    const QFileDevice::Permissions permissions = QFile::permissions(logPath());
    QVERIFY(permissions.testFlag(QFileDevice::ReadOwner));
    QVERIFY(permissions.testFlag(QFileDevice::WriteOwner));
    const QFileDevice::Permissions others = QFileDevice::ReadGroup | QFileDevice::WriteGroup
            | QFileDevice::ExeGroup | QFileDevice::ReadOther | QFileDevice::WriteOther
            | QFileDevice::ExeOther | QFileDevice::ExeOwner;
    QCOMPARE(permissions & others, QFileDevice::Permissions());
#endif
}

void tst_MessageHandler::levels_data()
{
    QTest::addColumn<int>("level");
    QTest::addColumn<QStringList>("shown");

    // "<category> <type>" of the messages levels() logs that reach the file, in order.
    QTest::addRow("trace") << int(LogLevel::Trace)
                           << QStringList{u"mcpproxy.test debug"_s, u"mcpproxy.wire debug"_s,
                                      u"mcpproxy.test info"_s, u"mcpproxy.test warning"_s,
                                      u"mcpproxy.test critical"_s, u"qt.fake warning"_s,
                                      u"default info"_s};
    QTest::addRow("debug") << int(LogLevel::Debug)
                           << QStringList{u"mcpproxy.test debug"_s, u"mcpproxy.test info"_s,
                                      u"mcpproxy.test warning"_s, u"mcpproxy.test critical"_s,
                                      u"qt.fake warning"_s, u"default info"_s};
    QTest::addRow("info") << int(LogLevel::Info)
                          << QStringList{u"mcpproxy.test info"_s, u"mcpproxy.test warning"_s,
                                     u"mcpproxy.test critical"_s, u"qt.fake warning"_s,
                                     u"default info"_s};
    QTest::addRow("warn") << int(LogLevel::Warn)
                          << QStringList{u"mcpproxy.test warning"_s, u"mcpproxy.test critical"_s,
                                     u"qt.fake warning"_s};
    QTest::addRow("error") << int(LogLevel::Error) << QStringList{u"mcpproxy.test critical"_s};
    QTest::addRow("fatal") << int(LogLevel::Fatal) << QStringList{};
}

void tst_MessageHandler::levels()
{
    QFETCH(int, level);
    QFETCH(QStringList, shown);

    QVERIFY(McpProxy::installMessageHandler({LogLevel(level), logPath()}, McpProxy::Redactor()));
    qCDebug(lcTest) << "mcpproxy.test debug";
    qCDebug(lcWire) << "mcpproxy.wire debug";
    qCInfo(lcTest) << "mcpproxy.test info";
    qCWarning(lcTest) << "mcpproxy.test warning";
    qCCritical(lcTest) << "mcpproxy.test critical";
    qCDebug(lcQtFake) << "qt.fake debug";
    qCInfo(lcQtFake) << "qt.fake info";
    qCWarning(lcQtFake) << "qt.fake warning";
    qCDebug(lcNetworkAuth) << "qt.networkauth.oauth2 debug";
    qDebug() << "default debug";
    qInfo() << "default info";
    McpProxy::uninstallMessageHandler();

    QStringList logged;
    for (const QString &line : readLines(logPath())) {
        QVERIFY2(LinePattern.match(line).hasMatch(), qPrintable(line));
        logged << line.section(u"] "_s, 1).remove(u'"');
    }
    QCOMPARE(logged, shown);
}

void tst_MessageHandler::redacts()
{
    McpProxy::Redactor redactor;
    redactor.addSecret(u"static-header-value"_s);
    QVERIFY(McpProxy::installMessageHandler({LogLevel::Debug, logPath()}, redactor));
    qCInfo(lcTest).noquote() << "sending X-Api-Key static-header-value";
    qCDebug(lcTest).noquote() << "POST /token grant_type=refresh_token&refresh_token=rt-abc-123";
    qCWarning(lcTest).noquote()
            << "request headers:\nAuthorization: Bearer tok-xyz-789\nAccept: */*";
    McpProxy::addLogSecret(u"runtime-access-token"_s);
    qCInfo(lcTest).noquote() << "got runtime-access-token";
    McpProxy::uninstallMessageHandler();

    QFile file(logPath());
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(file.readAll());
    for (const QString &secret : {u"static-header-value"_s, u"rt-abc-123"_s, u"tok-xyz-789"_s,
                 u"runtime-access-token"_s})
        QVERIFY2(!text.contains(secret), "a secret reached the log file");
    QCOMPARE(text.count(McpProxy::Redactor::Mask), 4);
    QCOMPARE(readLines(logPath()).size(), 4); // the multi-line message stayed one line
    QVERIFY(text.contains(u"\\nAccept: */*"_s));
}

void tst_MessageHandler::appendsToExistingFile()
{
    {
        QFile file(logPath());
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("earlier line\n");
    }
    QVERIFY(McpProxy::installMessageHandler({LogLevel::Info, logPath()}, McpProxy::Redactor()));
    qCInfo(lcTest) << "appended";
    McpProxy::uninstallMessageHandler();
    const QStringList lines = readLines(logPath());
    QCOMPARE(lines.size(), 2);
    QCOMPARE(lines.at(0), u"earlier line"_s);
    QVERIFY(lines.at(1).endsWith(u"appended"_s));
}

void tst_MessageHandler::existingFileBecomesOwnerOnly()
{
#ifdef Q_OS_UNIX
    {
        QFile file(logPath());
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("earlier line\n");
    }
    QVERIFY(::chmod(QFile::encodeName(logPath()).constData(), 0666) == 0);
    QString error;
    QVERIFY(McpProxy::installMessageHandler(
            {LogLevel::Info, logPath()}, McpProxy::Redactor(), &error));
    QVERIFY2(error.isEmpty(), qPrintable(error));
    struct stat status = {};
    QVERIFY(::stat(QFile::encodeName(logPath()).constData(), &status) == 0);
    QCOMPARE(status.st_mode & 0777, mode_t(0600));
    qCInfo(lcTest) << "appended";
    McpProxy::uninstallMessageHandler();
    QCOMPARE(readLines(logPath()).size(), 2);
#else
    QSKIP("POSIX modes only; on Windows the file inherits its directory's ACL");
#endif
}

void tst_MessageHandler::refusesAnotherUsersFile()
{
#ifdef Q_OS_UNIX
    if (::geteuid() != 0)
        QSKIP("only root can create a file that belongs to another user");
    {
        QFile file(logPath());
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("someone else's line\n");
    }
    const QByteArray path = QFile::encodeName(logPath());
    QVERIFY(::chmod(path.constData(), 0666) == 0);
    QVERIFY(::chown(path.constData(), 65534, 65534) == 0);
    QString error;
    QVERIFY(!McpProxy::installMessageHandler(
            {LogLevel::Info, logPath()}, McpProxy::Redactor(), &error));
    QVERIFY2(error.contains(u"belongs to another user"_s), qPrintable(error));
    qCInfo(lcTest) << "not in the foreign file";
    McpProxy::uninstallMessageHandler();
    QCOMPARE(readLines(logPath()), QStringList{u"someone else's line"_s});
    struct stat status = {};
    QVERIFY(::stat(path.constData(), &status) == 0);
    QCOMPARE(status.st_mode & 0777, mode_t(0666)); // untouched
#else
    QSKIP("POSIX owners only");
#endif
}

void tst_MessageHandler::missingDirectory()
{
    const QString path = m_tmp->filePath(u"no/such/dir/proxy.log"_s);
    QString error;
    QVERIFY(!McpProxy::installMessageHandler({LogLevel::Info, path}, McpProxy::Redactor(), &error));
    QVERIFY2(error.contains(path), qPrintable(error));
    QVERIFY2(error.contains(u"does not exist"_s), qPrintable(error));
    QVERIFY(!QFile::exists(path));

    QVERIFY(!McpProxy::installMessageHandler(
            {LogLevel::Info, m_tmp->path()}, McpProxy::Redactor(), &error));
    QVERIFY2(error.contains(u"cannot open log file"_s), qPrintable(error));
}

void tst_MessageHandler::reinstall()
{
    const QString second = m_tmp->filePath(u"second.log"_s);
    QVERIFY(McpProxy::installMessageHandler({LogLevel::Info, logPath()}, McpProxy::Redactor()));
    qCInfo(lcTest) << "one";
    QVERIFY(McpProxy::installMessageHandler({LogLevel::Warn, second}, McpProxy::Redactor()));
    qCInfo(lcTest) << "hidden";
    qCWarning(lcTest) << "two";
    McpProxy::uninstallMessageHandler();
    QCOMPARE(readLines(logPath()).size(), 1);
    const QStringList lines = readLines(second);
    QCOMPARE(lines.size(), 1);
    QVERIFY(lines.at(0).endsWith(u"two"_s));
}

void tst_MessageHandler::threads()
{
    constexpr int threadCount = 8;
    constexpr int linesPerThread = 200;
    QVERIFY(McpProxy::installMessageHandler({LogLevel::Info, logPath()}, McpProxy::Redactor()));
    std::vector<std::unique_ptr<QThread>> threads;
    for (int t = 0; t < threadCount; ++t) {
        threads.emplace_back(QThread::create([t] {
            for (int i = 0; i < linesPerThread; ++i)
                qCInfo(lcTest).noquote()
                        << u"thread %1 line %2 %3"_s.arg(t).arg(i).arg(QString(100, u'x'));
        }));
        threads.back()->start();
    }
    for (const auto &thread : threads)
        QVERIFY(thread->wait(60000));
    McpProxy::uninstallMessageHandler();

    const QStringList lines = readLines(logPath());
    QCOMPARE(lines.size(), threadCount * linesPerThread);
    for (const QString &line : lines) {
        if (!LinePattern.match(line).hasMatch() || !line.endsWith(QString(100, u'x')))
            QFAIL(qPrintable(u"interleaved line: "_s + line));
    }
}

void tst_MessageHandler::stderrChild()
{
    QProcess child;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QString::fromLatin1(ChildModeVariable), u"stderr"_s);
    child.setProcessEnvironment(env);
    child.setWorkingDirectory(m_tmp->path());
    child.start(QCoreApplication::applicationFilePath(), {});
    QVERIFY(child.waitForFinished(30000));
    QCOMPARE(child.exitStatus(), QProcess::NormalExit);
    QCOMPARE(child.exitCode(), 0);
    QCOMPARE(child.readAllStandardOutput(), QByteArray()); // stdout belongs to JSON-RPC
    const QString err = QString::fromUtf8(child.readAllStandardError());
    QVERIFY2(!err.contains(u"child-secret-1"_s), "a secret reached stderr");
    QVERIFY2(!err.contains(u"child-token"_s), "a secret reached stderr");
    QStringList lines = err.split(u'\n');
    QCOMPARE(lines.takeLast(), QString());
    QCOMPARE(lines.size(), 2);
    QVERIFY(lines.at(0).endsWith(
            u" INFO  [mcpproxy.test] child info "_s + McpProxy::Redactor::Mask));
    QVERIFY(lines.at(1).endsWith(
            u" WARN  [mcpproxy.test] child warning Authorization: "_s + McpProxy::Redactor::Mask));
}

void tst_MessageHandler::fatalChild()
{
    QProcess child;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QString::fromLatin1(ChildModeVariable), u"fatal"_s);
    child.setProcessEnvironment(env);
    child.setWorkingDirectory(m_tmp->path());
    child.start(QCoreApplication::applicationFilePath(), {});
    QVERIFY(child.waitForFinished(30000));
    QCOMPARE(child.exitStatus(), QProcess::CrashExit);
    QCOMPARE(child.readAllStandardOutput(), QByteArray());
    const QString err = QString::fromUtf8(child.readAllStandardError());
    QVERIFY2(!err.contains(u"child-secret-1"_s), "a secret reached stderr");
    QVERIFY2(err.contains(u" FATAL [default] child fatal "_s + McpProxy::Redactor::Mask),
            qPrintable(err));
}

// Through a pipe, as an MCP host reads the proxy: UTF-8 bytes with LF line ends whatever the
// locale's code page (on Windows a console would get UTF-16 instead; a pipe must not).
void tst_MessageHandler::textChild()
{
    QProcess child;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QString::fromLatin1(ChildModeVariable), u"text"_s);
    env.insert(u"LANG"_s, u"C"_s);
    env.insert(u"LC_ALL"_s, u"C"_s);
    child.setProcessEnvironment(env);
    child.start(QCoreApplication::applicationFilePath(), {});
    QVERIFY(child.waitForFinished(30000));
    QCOMPARE(child.exitCode(), 0);
    QCOMPARE(child.readAllStandardOutput(), u"Вход выполнен \U0001F511\n"_s.toUtf8());
    const QByteArray err = child.readAllStandardError();
    QVERIFY2(err.startsWith(u"Откройте ссылку\n\n"_s.toUtf8()), err.constData());
    QVERIFY2(err.endsWith(u" INFO  [mcpproxy.test] журнал\n"_s.toUtf8()), err.constData());
    QCOMPARE(err.count('\n'), 3);
}

int main(int argc, char **argv)
{
    const QByteArray childMode = qgetenv(ChildModeVariable);
    if (!childMode.isEmpty())
        return runChild(childMode);
    QCoreApplication app(argc, argv);
    tst_MessageHandler test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_messagehandler.moc"
