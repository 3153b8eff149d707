// The real binary under a Russian and an English locale: the user-facing text (command-line help
// and errors, config errors, the login instructions and the browser page) follows the locale,
// log lines stay English. Also checks that the .qm reached the executable's resources through
// the static mcpproxy_core.
#include "support/fakeauthserver.h"
#include "support/fakemcpserver.h"
#include "support/freeport.h"
#include "support/guardedserver.h"
#include "support/proxyprocess.h"
#include "support/testbrowser.h"

#include <QtCore/QFile>
#include <QtCore/QLibraryInfo>
#include <QtCore/QRegularExpression>
#include <QtCore/QTemporaryDir>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>
#include <QtTest/QTest>

using namespace McpProxy::Test;
using namespace Qt::StringLiterals;

namespace {

const QStringList Russian = {u"LANG=ru_RU.UTF-8"_s};
const QStringList English = {u"LANG=C"_s, u"LC_ALL=C"_s};

QProcessEnvironment envFrom(const QStringList &assignments)
{
    QProcessEnvironment env;
    for (const QString &assignment : assignments)
        env.insert(assignment.section(u'=', 0, 0), assignment.section(u'=', 1));
    return env;
}

bool hasCyrillic(const QString &text)
{
    static const QRegularExpression cyrillic(u"[\u0400-\u04FF]"_s);
    return text.contains(cyrillic);
}

// "2026-01-01T00:00:00.000Z INFO  [mcpproxy.app] ..." (logging/messagehandler.cpp).
QStringList logLines(const QByteArray &stderrText)
{
    static const QRegularExpression logLine(
            u"^\\d{4}-\\d\\d-\\d\\dT\\S+Z (TRACE|DEBUG|INFO |WARN |ERROR|FATAL) \\["_s);
    QStringList lines;
    for (const QString &line : QString::fromUtf8(stderrText).split(u'\n')) {
        if (logLine.match(line).hasMatch())
            lines << line;
    }
    return lines;
}

} // namespace

class tst_Translations : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void translationIsEmbedded();
    void helpFollowsTheLocale_data();
    void helpFollowsTheLocale();
    void errorsFollowTheLocale_data();
    void errorsFollowTheLocale();
    void logLinesStayEnglish();
    void browserLoginFollowsTheLocale_data();
    void browserLoginFollowsTheLocale();
};

void tst_Translations::translationIsEmbedded()
{
    // rcc stores resource names as UTF-16BE: the .qm must be inside the executable itself (it
    // comes from a static library), not next to it.
    QFile binary(ProxyProcess::binary());
    QVERIFY(binary.open(QIODevice::ReadOnly));
    const QString name = u"mcp-oauth2-proxy_ru.qm"_s;
    QByteArray utf16be;
    for (QChar c : name)
        utf16be.append(char(c.unicode() >> 8)).append(char(c.unicode() & 0xff));
    QVERIFY2(binary.readAll().contains(utf16be), "no :/i18n/mcp-oauth2-proxy_ru.qm resource");
}

void tst_Translations::helpFollowsTheLocale_data()
{
    QTest::addColumn<QStringList>("environment");
    QTest::addColumn<QStringList>("expected");
    const QStringList russian = {
            u"Использование: mcp-oauth2-proxy [login|logout|status] [параметры] [URL]"_s,
            u"Показать эту справку и выйти"_s, u"Параметры:"_s, u"--log-level <level>"_s};
    const QStringList english = {u"Usage: mcp-oauth2-proxy [login|logout|status] [options] [URL]"_s,
            u"Show this help and exit"_s, u"Options:"_s};
    // On Windows the language is the user's display language, not an environment variable; Wine
    // sets a program's Windows user locale from LANG, so these rows hold there with LANG alone.
    QTest::newRow("LANG=ru_RU.UTF-8") << Russian << russian;
#ifndef Q_OS_WIN
    // POSIX (XBD 8.2): LC_ALL overrides LANG. Windows has no such pair.
    QTest::newRow("LC_ALL=ru_RU.UTF-8 over LANG=C")
            << QStringList{u"LANG=C"_s, u"LC_ALL=ru_RU.UTF-8"_s} << russian;
#endif
    QTest::newRow("LANG=ru_RU (no charset)") << QStringList{u"LANG=ru_RU"_s} << russian;
    QTest::newRow("C") << English << english;
    QTest::newRow("en_US.UTF-8") << QStringList{u"LANG=en_US.UTF-8"_s} << english;
    QTest::newRow("de_DE.UTF-8 (no translation)") << QStringList{u"LANG=de_DE.UTF-8"_s} << english;
}

void tst_Translations::helpFollowsTheLocale()
{
    QFETCH(QStringList, environment);
    QFETCH(QStringList, expected);
    ProxyProcess proxy;
    QVERIFY(proxy.start({u"--help"_s}, envFrom(environment)));
    QVERIFY(proxy.waitForExit());
    QCOMPARE(proxy.process().exitCode(), 0);
    const QString help = QString::fromUtf8(proxy.stdoutLines().join('\n'));
    for (const QString &text : expected)
        QVERIFY2(help.contains(text), qPrintable(help));
    QVERIFY(proxy.stderrText().isEmpty());
}

void tst_Translations::errorsFollowTheLocale_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QStringList>("environment");
    QTest::addColumn<QString>("expected");
    QTest::newRow("no upstream url, ru")
            << QStringList() << Russian
            << u"не удалось загрузить конфигурацию: не задан upstream.url: укажите его в файле "
               "конфигурации, в UPSTREAM_URL или аргументом URL"_s;
    QTest::newRow("no upstream url, C")
            << QStringList() << English
            << u"failed to load config: upstream.url is required: set it in the config file, in "
               "UPSTREAM_URL or as the URL argument"_s;
    QTest::newRow("cleartext http, ru")
            << QStringList{u"http://example.com/mcp"_s} << Russian
            << u"upstream.url использует незашифрованный http к хосту вне loopback (example.com)"_s;
    QTest::newRow("cleartext http, C")
            << QStringList{u"http://example.com/mcp"_s} << English
            << u"upstream.url uses cleartext http to a non-loopback host (example.com)"_s;
    QTest::newRow("bad integer, ru")
            << QStringList{u"https://example.com/mcp"_s}
            << (Russian + QStringList{u"UPSTREAM_TIMEOUT_MS=abc"_s})
            << u"UPSTREAM_TIMEOUT_MS: значение должно быть целым числом, получено \"abc\""_s;
    QTest::newRow("too many arguments, ru")
            << QStringList{u"https://a.example/mcp"_s, u"https://b.example/mcp"_s} << Russian
            << u"слишком много аргументов: ожидается не более одного URL, получено 2 (см. "
               "mcp-oauth2-proxy --help)"_s;
    QTest::newRow("too many arguments, C")
            << QStringList{u"https://a.example/mcp"_s, u"https://b.example/mcp"_s} << English
            << u"too many arguments: expected at most one URL, got 2 (see mcp-oauth2-proxy --help)"_s;
    // QCommandLineParser's own text comes from Qt's translations, when they are installed.
    const bool qtTranslations =
            QFile::exists(QLibraryInfo::path(QLibraryInfo::TranslationsPath) + u"/qtbase_ru.qm"_s);
    QTest::newRow("unknown option, ru")
            << QStringList{u"--frobnicate"_s} << Russian
            << (qtTranslations ? u"«frobnicate». (см. mcp-oauth2-proxy --help)"_s
                               : u"'frobnicate'. (см. mcp-oauth2-proxy --help)"_s);
}

void tst_Translations::errorsFollowTheLocale()
{
    QFETCH(QStringList, arguments);
    QFETCH(QStringList, environment);
    QFETCH(QString, expected);
    ProxyProcess proxy;
    QVERIFY(proxy.start(arguments, envFrom(environment)));
    QVERIFY(proxy.waitForExit());
    QCOMPARE(proxy.process().exitCode(), 2);
    QVERIFY(proxy.stdoutLines().isEmpty());
    const QString err = QString::fromUtf8(proxy.stderrText().trimmed());
    QCOMPARE(err.count(u'\n'), 0); // one line
    QVERIFY2(err.contains(expected), qPrintable(err));
}

void tst_Translations::logLinesStayEnglish()
{
    ProxyProcess proxy;
    proxy.process().setStandardInputFile(QProcess::nullDevice());
    QVERIFY(proxy.start({u"--log-level"_s, u"info"_s, u"http://127.0.0.1:9/mcp"_s},
            envFrom(Russian + QStringList{u"LC_ALL=ru_RU.UTF-8"_s})));
    QVERIFY(proxy.waitForExit());
    QCOMPARE(proxy.process().exitCode(), 0);
    const QByteArray err = proxy.stderrText();
    const QStringList lines = logLines(err);
    QVERIFY2(!lines.isEmpty(), err.constData());
    QCOMPARE(lines.size(), err.trimmed().count('\n') + 1); // nothing but log lines
    QVERIFY2(lines.first().contains(u"started; upstream http://127.0.0.1:9/mcp"), err.constData());
    QVERIFY2(!hasCyrillic(QString::fromUtf8(err)), err.constData());
}

void tst_Translations::browserLoginFollowsTheLocale_data()
{
    QTest::addColumn<QStringList>("environment");
    QTest::addColumn<QString>("instructions");
    QTest::addColumn<QString>("page");
    QTest::newRow("ru") << Russian << u"Чтобы войти в "_s
                        << u"Вход выполнен. Эту вкладку можно закрыть и вернуться в MCP-клиент."_s;
    QTest::newRow("C")
            << English << u"Open this URL in your browser to log in to "_s
            << u"Login complete. You can close this tab and return to your MCP client."_s;
}

void tst_Translations::browserLoginFollowsTheLocale()
{
    QFETCH(QStringList, environment);
    QFETCH(QString, instructions);
    QFETCH(QString, page);
    GuardedServer server;
    QTemporaryDir dir;
    const QString log = dir.filePath(u"urls.txt"_s);

    QProcessEnvironment env = envFrom(environment);
    env.insert(u"BROWSER"_s, testBrowserCommand(log));
    env.insert(u"OAUTH2_CALLBACK_PORT"_s, QString::number(freePort()));
    ProxyProcess proxy;
    QVERIFY(proxy.start({u"--log-level"_s, u"info"_s, server.mcp.url().toString()}, env));
    proxy.send(
            R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})");
    QFile urls(log);
    QVERIFY2(QTest::qWaitFor([&] { return urls.exists() && urls.size() > 0; }, 10000),
            proxy.stderrText().constData());
    QVERIFY(urls.open(QIODevice::ReadOnly));
    const QUrl redirect = server.auth.approve(QUrl(QString::fromUtf8(urls.readLine().trimmed())));
    QVERIFY(!redirect.isEmpty());
    QNetworkAccessManager nam;
    QNetworkReply *reply = nam.get(QNetworkRequest(redirect));
    QVERIFY(QTest::qWaitFor([reply] { return reply->isFinished(); }, 10000));
    reply->deleteLater();
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    const QString body = QString::fromUtf8(reply->readAll());
    QVERIFY2(body.contains(page), qPrintable(body));
    QVERIFY2(proxy.takeResponse(1).contains(u"result"), proxy.stderrText().constData());

    const QString err = QString::fromUtf8(proxy.stderrText());
    QVERIFY2(err.contains(instructions), qPrintable(err));
    const QStringList lines = logLines(proxy.stderrText());
    QVERIFY(lines.size() > 2);
    for (const QString &line : lines)
        QVERIFY2(!hasCyrillic(line), qPrintable(line));
    QVERIFY(proxy.stdoutViolations().isEmpty());
}

QTEST_GUILESS_MAIN(tst_Translations)
#include "tst_translations.moc"
