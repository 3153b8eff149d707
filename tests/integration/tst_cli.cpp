// The real binary's command line and start-up failures: exit codes, one-line errors, clean stdout.
#include "support/proxyprocess.h"

#include <QtCore/QTemporaryDir>
#include <QtTest/QTest>

using namespace McpProxy::Test;
using namespace Qt::StringLiterals;

class tst_Cli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void configErrorsExitWithCode2_data();
    void configErrorsExitWithCode2();
    void versionAndHelp();
    void unknownConfigKeyIsAWarning();
    void closedStdinExitsCleanly();
};

void tst_Cli::configErrorsExitWithCode2_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QStringList>("environment");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("no upstream url") << QStringList() << QStringList() << u"upstream.url"_s;
    QTest::newRow("cleartext http to a remote host")
            << QStringList{u"http://example.com/mcp"_s} << QStringList() << u"cleartext http"_s;
    QTest::newRow("bad timeout env")
            << QStringList{u"https://example.com/mcp"_s}
            << QStringList{u"UPSTREAM_TIMEOUT_MS=abc"_s} << u"UPSTREAM_TIMEOUT_MS"_s;
    QTest::newRow("unknown option")
            << QStringList{u"--frobnicate"_s} << QStringList() << u"frobnicate"_s;
    QTest::newRow("unset header variable") << QStringList{u"--header"_s,
            u"Authorization: Bearer ${NOT_SET_ANYWHERE}"_s, u"https://example.com/mcp"_s}
                                           << QStringList() << u"NOT_SET_ANYWHERE"_s;
    // Configurations that can never work (refused before anything starts).
    const QString url = u"https://example.com/mcp"_s;
    QTest::newRow("client_credentials without a client id, discovery off")
            << QStringList{url}
            << QStringList{u"OAUTH2_GRANT=client_credentials"_s, u"DISCOVERY_ENABLED=false"_s}
            << u"OAUTH2_GRANT is client_credentials, which needs a client"_s;
    QTest::newRow("redirect URI not loopback")
            << QStringList{url} << QStringList{u"OAUTH2_REDIRECT_URI=https://app.example/cb"_s}
            << u"OAUTH2_REDIRECT_URI must be an http URL on 127.0.0.1"_s;
    QTest::newRow("callback host not loopback")
            << QStringList{url} << QStringList{u"OAUTH2_CALLBACK_HOST=0.0.0.0"_s}
            << u"OAUTH2_CALLBACK_HOST must be a loopback address"_s;
    QTest::newRow("protocol version with CR LF")
            << QStringList{url}
            << QStringList{u"UPSTREAM_PROTOCOL_VERSION=2025-06-18\r\nX-Injected: 1"_s}
            << u"UPSTREAM_PROTOCOL_VERSION is sent as an HTTP header"_s;
    QTest::newRow("header value with a control character")
            << QStringList{u"--header"_s, u"X-Trace: a\u0001b"_s, url} << QStringList()
            << u"--header \"X-Trace\" must not contain CR, LF or other control characters"_s;
    QTest::newRow("static Mcp-Param header (2026-07-28 request metadata)")
            << QStringList{u"--header"_s, u"mcp-param-region: eu"_s, url} << QStringList()
            << u"--header: the header \"mcp-param-region\" cannot be set, the proxy manages it"_s;
    QTest::newRow("static Mcp-Method header")
            << QStringList{u"--header"_s, u"Mcp-Method: tools/call"_s, url} << QStringList()
            << u"--header: the header \"Mcp-Method\" cannot be set, the proxy manages it"_s;
    QTest::newRow("callback timeout that overflows the timer")
            << QStringList{url} << QStringList{u"OAUTH2_CALLBACK_TIMEOUT_SECONDS=2147483647"_s}
            << u"OAUTH2_CALLBACK_TIMEOUT_SECONDS must be an integer from 1 to 2147483"_s;
    QTest::newRow("missing config file")
            << QStringList{u"--config"_s, u"/nonexistent/mcp-proxy.json"_s} << QStringList()
            << u"/nonexistent/mcp-proxy.json"_s;
}

void tst_Cli::configErrorsExitWithCode2()
{
    QFETCH(QStringList, arguments);
    QFETCH(QStringList, environment);
    QFETCH(QString, mentions);
    ProxyProcess proxy;
    QProcessEnvironment env;
    for (const QString &assignment : environment)
        env.insert(assignment.section(u'=', 0, 0), assignment.section(u'=', 1));
    QVERIFY(proxy.start(arguments, env));
    QVERIFY(proxy.waitForExit());
    QCOMPARE(proxy.process().exitCode(), 2);
    QVERIFY(proxy.stdoutLines().isEmpty());
    const QByteArray err = proxy.stderrText().trimmed();
    QCOMPARE(err.count('\n'), 0); // exactly one line
    QVERIFY2(err.contains(mentions.toUtf8()), err.constData());
}

void tst_Cli::versionAndHelp()
{
    ProxyProcess version;
    QVERIFY(version.start({u"--version"_s}));
    QVERIFY(version.waitForExit());
    QCOMPARE(version.process().exitCode(), 0);
    QVERIFY(version.stdoutLines().value(0).startsWith("mcp-oauth2-proxy 0."));

    ProxyProcess help;
    QVERIFY(help.start({u"--help"_s}));
    QVERIFY(help.waitForExit());
    QCOMPARE(help.process().exitCode(), 0);
    QVERIFY(help.stdoutLines().join('\n').contains("--header"));
}

void tst_Cli::unknownConfigKeyIsAWarning()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"config.json"_s);
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(R"({"upstream":{"url":"http://127.0.0.1:9/mcp","timeout":5}})");
    file.close();
    ProxyProcess proxy;
    QVERIFY(proxy.start({u"--config"_s, path}));
    proxy.closeStdin();
    QVERIFY(proxy.waitForExit());
    QCOMPARE(proxy.process().exitCode(), 0);
    QVERIFY2(proxy.stderrText().contains("timeoutMs"), proxy.stderrText().constData());
}

void tst_Cli::closedStdinExitsCleanly()
{
    // Started with stdin at EOF from the first read: nothing to do, exit 0 at once.
    ProxyProcess proxy;
    proxy.process().setStandardInputFile(QProcess::nullDevice());
    QVERIFY(proxy.start({u"http://127.0.0.1:9/mcp"_s}));
    QVERIFY(proxy.waitForExit(5000));
    QCOMPARE(proxy.process().exitCode(), 0);
    QVERIFY(proxy.stdoutLines().isEmpty());
}

QTEST_GUILESS_MAIN(tst_Cli)
#include "tst_cli.moc"
