// A first login never times out the host: with a stored client registration and a refresh token
// the authorization server revoked, the proxy must log in through the browser again. The host's
// initialize is answered at once from the InitializeResult the server gave in the previous run
// (kept beside the token store), its later requests wait for the login, and the first tool call
// succeeds once the user completes the login long after any host would have given up on an
// unanswered initialize. Both configuration styles (OAUTH2_GRANT set: authorization at start-up;
// nothing set: authorization on the first 401).
#include "support/guardedserver.h"
#include "support/proxyprocess.h"
#include "support/testbrowser.h"

#include <QtCore/QDir>
#include <QtCore/QElapsedTimer>
#include <QtCore/QFile>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QTemporaryDir>
#include <QtTest/QTest>

using namespace McpProxy::Test;
using namespace Qt::StringLiterals;

namespace {

// Longer than hosts give initialize (30-60 s) and than the proxy's own 30 s authorization
// deadline: requests held for the login must outlive both.
constexpr int UserLoginDelayMs = 65000;

const QByteArray Initialize =
        R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"host","version":"1"}}})";

QProcessEnvironment styled(QProcessEnvironment env)
{
    QFETCH_GLOBAL(QString, style);
    if (style == u"configured")
        env.insert(u"OAUTH2_GRANT"_s, u"authorization_code"_s);
    return env;
}

QString resultText(const QJsonObject &response)
{
    return response.value(u"result")[u"content"][0][u"text"].toString();
}

} // namespace

class tst_ProxyFirstLogin : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase_data();
    void initializeIsAnsweredWhileTheLoginRuns();
};

void tst_ProxyFirstLogin::initTestCase_data()
{
    QTest::addColumn<QString>("style");
    QTest::newRow("configured") << u"configured"_s;
    QTest::newRow("on-demand") << u"on-demand"_s;
}

void tst_ProxyFirstLogin::initializeIsAnsweredWhileTheLoginRuns()
{
    GuardedServer server;
    TestBrowser browser;
    QTemporaryDir store;
    const QProcessEnvironment env = styled(browser.environment(store.path()));
    QJsonObject firstResult;
    {
        // The earlier run: a login (DCR registration and tokens stored) and one initialize
        // whose result the proxy keeps. Without a kept result the initialize waits for the login.
        ProxyProcess first;
        QVERIFY(first.start({server.mcp.url().toString()}, env));
        first.send(Initialize);
        QCOMPARE(browser.completeLogin(server.auth), 200);
        const QJsonObject response = first.takeResponse(1);
        QVERIFY2(response.contains(u"result"), first.stderrText().constData());
        firstResult = response.value(u"result").toObject();
        first.closeStdin();
        QVERIFY(first.waitForExit());
    }
    const QString cacheDir = store.filePath(u"mcp-oauth2-proxy/initialize/v1"_s);
    const QStringList cached = QDir(cacheDir).entryList(QDir::Files);
    QCOMPARE(cached.size(), 1);
#ifndef Q_OS_WIN
    // On Windows the owner-only access list is the meaning of 0600 (tst_tokenstore checks it);
    // Qt's permission bits show only the read-only attribute there.
    QCOMPARE(QFile::permissions(QDir(cacheDir).filePath(cached.first()))
                    & (QFile::ReadGroup | QFile::ReadOther | QFile::WriteGroup | QFile::WriteOther),
            QFile::Permissions());
#endif
    QCOMPARE(server.auth.registerCount(), 1);

    // The authorization server revokes every token: the refresh fails, a browser login follows.
    server.auth.revokeAllTokens();
    ProxyProcess proxy;
    QVERIFY(proxy.start({server.mcp.url().toString()}, env));
    QTRY_VERIFY_WITH_TIMEOUT(proxy.stderrText().contains("started; upstream"), 10000);
    QElapsedTimer answered;
    answered.start();
    proxy.send(Initialize);
    const QJsonObject response = proxy.takeResponse(1, 5000);
    const qint64 elapsed = answered.elapsed();
    QVERIFY2(response.contains(u"result"), proxy.stderrText().constData());
    qInfo("initialize answered after %lld ms, the login running", elapsed);
    QVERIFY2(elapsed < 1000, qPrintable(u"initialize answered after %1 ms"_s.arg(elapsed)));
    QCOMPARE(response.value(u"result").toObject(), firstResult);
    QTRY_COMPARE_WITH_TIMEOUT(browser.urls().size(), 2, 10000); // the login is running

    proxy.send(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
    proxy.send(R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})");
    proxy.send(
            R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"text":"after the login"}}})");
    // The user takes their time; nothing is answered (and nothing fails) meanwhile.
    QTest::qWait(UserLoginDelayMs);
    for (const QJsonObject &message : proxy.messages())
        QVERIFY2(!message.contains(u"id"), QJsonDocument(message).toJson().constData());
    QCOMPARE(browser.completeLogin(server.auth, 1), 200);

    const QJsonObject tools = proxy.takeResponse(2, 20000);
    QVERIFY2(!tools.value(u"result")[u"tools"].toArray().isEmpty(), proxy.stderrText().constData());
    QCOMPARE(resultText(proxy.takeResponse(3)), u"after the login"_s);
    // The host saw exactly one answer to initialize (the server's own, after the login, was kept
    // from it), and the same registration served both logins.
    QTest::qWait(200);
    for (const QJsonObject &message : proxy.messages())
        QVERIFY(message.value(u"id") != QJsonValue(1));
    QCOMPARE(server.auth.registerCount(), 1);
    QCOMPARE(server.auth.authorizeCount(), 2);
    QVERIFY(proxy.stdoutViolations().isEmpty());
}

QTEST_MAIN(tst_ProxyFirstLogin)
#include "tst_proxyfirstlogin.moc"
