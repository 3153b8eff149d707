// The real binary against a server of the HTTP with SSE transport (MCP 2024-11-05,
// FakeLegacyServer): the http-first fallback (the default), sse-only, and OAuth on both
// transports in both configuration styles ("configured": OAUTH2_GRANT set at start-up;
// "on-demand": nothing set, authorization on the first 401).
#include "support/fakeauthserver.h"
#include "support/fakelegacyserver.h"
#include "support/guardedserver.h"
#include "support/proxyprocess.h"
#include "support/testbrowser.h"

#include <QtCore/QTemporaryDir>
#include <QtTest/QTest>

using namespace McpProxy::Test;
using namespace Qt::StringLiterals;

namespace {

QString resultText(const QJsonObject &response)
{
    return response.value(u"result")[u"content"][0][u"text"].toString();
}

} // namespace

class tst_ProxyLegacy : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void toolsRequestsAndNotifications_data();
    void toolsRequestsAndNotifications();
    void oauth_data();
    void oauth();
    void secondStartSkipsTheProbe_data();
    void secondStartSkipsTheProbe();
};

void tst_ProxyLegacy::toolsRequestsAndNotifications_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<int>("postsToSse"); // Streamable HTTP attempts
    // http-first with upstream.protocol auto (the default): the server/discover probe of MCP
    // 2026-07-28, then the initialize POST, both refused, then HTTP+SSE.
    QTest::newRow("http-first (default)") << QStringList{} << 2;
    QTest::newRow("http-first, protocol legacy") << QStringList{u"--protocol"_s, u"legacy"_s} << 1;
    QTest::newRow("sse-only") << QStringList{u"--transport"_s, u"sse-only"_s} << 0;
    QTest::newRow("sse-first") << QStringList{u"--transport"_s, u"sse-first"_s} << 0;
}

void tst_ProxyLegacy::toolsRequestsAndNotifications()
{
    QFETCH(QStringList, arguments);
    QFETCH(int, postsToSse);
    FakeLegacyServer server;
    QVERIFY(server.listen());
    ProxyProcess proxy;
    QVERIFY(proxy.start(arguments + QStringList{server.url().toString()}));
    proxy.initialize(u"2024-11-05"_s);
    proxy.send(
            R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"legacy"}}})");
    QCOMPARE(resultText(proxy.takeResponse(1)), u"legacy"_s);

    // A server→client request on the stream, answered by the host through the proxy.
    proxy.send(
            R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"ask","arguments":{"question":"name?"}}})");
    const QJsonObject elicitation = proxy.takeMethod(u"elicitation/create"_s);
    QCOMPARE(elicitation.value(u"params")[u"message"].toString(), u"name?"_s);
    proxy.send(R"({"jsonrpc":"2.0","id":")" + elicitation.value(u"id").toString().toUtf8()
            + R"(","result":{"action":"accept","content":{"name":"Ada"}}})");
    QVERIFY(resultText(proxy.takeResponse(2)).contains(u"Ada"));

    proxy.send(
            R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"notify","arguments":{"text":"hi"}}})");
    QCOMPARE(proxy.takeMethod(u"notifications/message"_s).value(u"params")[u"data"].toString(),
            u"hi"_s);
    QCOMPARE(resultText(proxy.takeResponse(3)), u"ok"_s);

    QCOMPARE(server.initializeCount(), 1);
    QCOMPARE(server.getCount(), 1);
    int posts = 0;
    for (const FakeHttpRequest &request : server.http().requests())
        posts += request.method == "POST" && request.path() == "/sse" ? 1 : 0;
    QCOMPARE(posts, postsToSse);
    if (postsToSse > 0)
        QVERIFY(proxy.stderrText().contains("switching from Streamable HTTP to HTTP+SSE"));
    QVERIFY(proxy.stdoutViolations().isEmpty());
    proxy.closeStdin();
    QVERIFY(proxy.waitForExit());
    QTRY_COMPARE(server.openStreamCount(), 0);
}

void tst_ProxyLegacy::oauth_data()
{
    QTest::addColumn<QString>("style");
    QTest::addColumn<QString>("transport");
    for (const QString &style : {u"configured"_s, u"on-demand"_s}) {
        for (const QString &transport : {u"http-first"_s, u"sse-only"_s}) {
            QTest::addRow("%s, %s", qPrintable(style), qPrintable(transport)) << style << transport;
        }
    }
}

void tst_ProxyLegacy::oauth()
{
    QFETCH(QString, style);
    QFETCH(QString, transport);
    GuardedLegacyServer server;
    TestBrowser browser;
    QProcessEnvironment env = browser.environment();
    if (style == u"configured")
        env.insert(u"OAUTH2_GRANT"_s, u"authorization_code"_s);
    env.insert(u"UPSTREAM_TRANSPORT"_s, transport);
    ProxyProcess proxy;
    QVERIFY(proxy.start({server.mcp.url().toString()}, env));
    proxy.send(
            R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2024-11-05","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})");
    QCOMPARE(browser.completeLogin(server.auth), 200);
    QVERIFY2(proxy.takeResponse(1).contains(u"result"), proxy.stderrText().constData());
    proxy.send(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
    proxy.send(
            R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"authorized"}}})");
    QCOMPARE(resultText(proxy.takeResponse(2)), u"authorized"_s);

    QCOMPARE(server.auth.authorizeCount(), 1);
    QCOMPARE(server.auth.tokenCount(), 1);
    QCOMPARE(server.auth.authorizeRequests().first().resource, server.mcp.url().toString());
    QCOMPARE(server.mcp.initializeCount(), 1);
    for (const FakeHttpRequest &request : server.mcp.http().requests()) {
        if (request.path() == "/messages")
            QVERIFY(request.header("Authorization").startsWith("Bearer "));
    }
    QVERIFY(!proxy.stderrText().contains(server.auth.latestAccessToken().toUtf8()));
    QVERIFY(proxy.stdoutViolations().isEmpty());
}

void tst_ProxyLegacy::secondStartSkipsTheProbe_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QList<int>>("postsToSse"); // Streamable HTTP attempts of each start
    // upstream.protocol auto remembers that the server answered in the legacy era: the next
    // start sends initialize without the server/discover probe. Nothing is remembered when no
    // probe decided.
    QTest::newRow("auto (the default)") << QStringList{} << QList<int>{2, 1, 1};
    QTest::newRow("protocol legacy")
            << QStringList{u"--protocol"_s, u"legacy"_s} << QList<int>{1, 1, 1};
}

void tst_ProxyLegacy::secondStartSkipsTheProbe()
{
    QFETCH(QStringList, arguments);
    QFETCH(QList<int>, postsToSse);
    FakeLegacyServer server;
    QVERIFY(server.listen());
    QTemporaryDir store;
    QVERIFY(store.isValid());
    QProcessEnvironment env;
    env.insert(u"OAUTH2_TOKEN_CACHE_DIR"_s, store.path());
    const auto countPosts = [&server] {
        int posts = 0;
        for (const FakeHttpRequest &request : server.http().requests())
            posts += request.method == "POST" && request.path() == "/sse" ? 1 : 0;
        return posts;
    };
    for (int start = 0; start < postsToSse.size(); ++start) {
        const int before = countPosts();
        ProxyProcess proxy;
        QVERIFY(proxy.start(arguments + QStringList{server.url().toString()}, env));
        proxy.initialize(u"2024-11-05"_s);
        proxy.send(
                R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"again"}}})");
        QCOMPARE(resultText(proxy.takeResponse(1)), u"again"_s);
        QCOMPARE(countPosts() - before, postsToSse.at(start));
        QCOMPARE(proxy.stderrText().contains("without the server/discover probe"),
                arguments.isEmpty() && start > 0);
        proxy.closeStdin();
        QVERIFY(proxy.waitForExit());
    }
}

QTEST_MAIN(tst_ProxyLegacy)
#include "tst_proxylegacy.moc"
