// A host that gave up on its tools/list while the user logged in is told to list again. The MCP
// TypeScript SDK cancels a request after 60 s (notifications/cancelled) and then shows no tools
// until it lists again; once the login succeeds, the proxy sends it
// notifications/tools/list_changed, exactly once, when the InitializeResult the host received
// declared tools.listChanged, and nothing otherwise. The host's initialize is answered from the
// result the server gave in an earlier run (a browser login follows a revoked refresh token), as
// in tst_proxyfirstlogin but without the user's delay. Both configuration styles (OAUTH2_GRANT
// set: authorization at start-up; nothing set: authorization on the first 401).
#include "support/guardedserver.h"
#include "support/proxyprocess.h"
#include "support/testbrowser.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QTemporaryDir>
#include <QtTest/QTest>

using namespace McpProxy::Test;
using namespace Qt::StringLiterals;

namespace {

const QByteArray Initialize =
        R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"host","version":"1"}}})";
const QString ToolsListChanged = u"notifications/tools/list_changed"_s;

int countMethod(const QList<QJsonObject> &messages, const QString &method)
{
    int count = 0;
    for (const QJsonObject &message : messages)
        count += message.value(u"method").toString() == method ? 1 : 0;
    return count;
}

} // namespace

class tst_ProxyListChanged : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void cancelledListDuringLogin_data();
    void cancelledListDuringLogin();
};

void tst_ProxyListChanged::cancelledListDuringLogin_data()
{
    QTest::addColumn<bool>("configured"); // OAUTH2_GRANT set, else authorization on the first 401
    QTest::addColumn<bool>("declared"); // the InitializeResult declares tools.listChanged

    QTest::newRow("configured, listChanged declared") << true << true;
    QTest::newRow("on demand, listChanged declared") << false << true;
    QTest::newRow("configured, listChanged not declared") << true << false;
    QTest::newRow("on demand, listChanged not declared") << false << false;
}

void tst_ProxyListChanged::cancelledListDuringLogin()
{
    QFETCH(bool, configured);
    QFETCH(bool, declared);

    GuardedServer server;
    server.mcp.setToolsListChanged(declared);
    TestBrowser browser;
    QTemporaryDir store;
    QProcessEnvironment env = browser.environment(store.path());
    if (configured)
        env.insert(u"OAUTH2_GRANT"_s, u"authorization_code"_s);
    const QStringList arguments{server.mcp.url().toString()};

    // The earlier run: a login, and the InitializeResult the proxy keeps for the next start.
    {
        ProxyProcess first;
        QVERIFY(first.start(arguments, env));
        first.send(Initialize);
        QCOMPARE(browser.completeLogin(server.auth), 200);
        QVERIFY2(first.takeResponse(1).contains(u"result"), first.stderrText().constData());
        first.closeStdin();
        QVERIFY(first.waitForExit());
    }

    // Every token revoked: the refresh fails and a browser login runs while the host works.
    server.auth.revokeAllTokens();
    ProxyProcess proxy;
    QVERIFY(proxy.start(arguments, env));
    proxy.send(Initialize);
    const QJsonObject initialized = proxy.takeResponse(1);
    QVERIFY2(initialized.contains(u"result"), proxy.stderrText().constData());
    QCOMPARE(initialized.value(u"result")[u"capabilities"][u"tools"][u"listChanged"].toBool(),
            declared);
    QTRY_COMPARE_WITH_TIMEOUT(browser.urls().size(), 2, 10000); // the login is running
    proxy.send(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
    proxy.send(R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})");
    // The host gives up on it (the SDK's own timeout, here at once).
    proxy.send(
            R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":2,"reason":"Request timed out"}})");
    QTRY_VERIFY_WITH_TIMEOUT(proxy.stderrText().contains("aborting cancelled request"), 10000);

    QCOMPARE(browser.completeLogin(server.auth, 1), 200);
    if (declared) {
        const QJsonObject notification = proxy.takeMethod(ToolsListChanged);
        QVERIFY2(!notification.isEmpty(), proxy.stderrText().constData());
        QVERIFY(!notification.contains(u"id"));
    }
    // The host lists again; any notification the login brings comes before this answer.
    proxy.send(R"({"jsonrpc":"2.0","id":3,"method":"tools/list"})");
    const QJsonObject tools = proxy.takeResponse(3);
    QVERIFY2(!tools.value(u"result")[u"tools"].toArray().isEmpty(), proxy.stderrText().constData());
    QCOMPARE(countMethod(proxy.messages(), ToolsListChanged), 0); // once, or never
    for (const QJsonObject &message : proxy.messages()) // no answer for the cancelled request
        QVERIFY2(
                message.value(u"id") != QJsonValue(2), QJsonDocument(message).toJson().constData());
    QCOMPARE(server.auth.authorizeCount(), 2);
    QVERIFY(proxy.stdoutViolations().isEmpty());
}

QTEST_MAIN(tst_ProxyListChanged)
#include "tst_proxylistchanged.moc"
