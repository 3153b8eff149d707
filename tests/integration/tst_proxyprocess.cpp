// The real binary against the in-process fake MCP server: the bridge end to end.
#include "support/fakemcpserver.h"
#include "support/proxyprocess.h"
#include "support/startedproxy.h"

#include <QtCore/QJsonArray>
#include <QtCore/QTemporaryDir>
#include <QtNetwork/QTcpServer>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

using namespace McpProxy::Test;
using namespace Qt::StringLiterals;

namespace {

QByteArray toolCall(const QByteArray &id, const QByteArray &tool, const QByteArray &arguments,
        const QByteArray &meta = {})
{
    const QByteArray params = R"({"name":")" + tool + R"(","arguments":)" + arguments
            + (meta.isEmpty() ? QByteArray() : R"(,"_meta":)" + meta) + '}';
    return R"({"jsonrpc":"2.0","id":)" + id + R"(,"method":"tools/call","params":)" + params + '}';
}

QString resultText(const QJsonObject &response)
{
    return response.value(u"result")[u"content"][0][u"text"].toString();
}

} // namespace

class tst_ProxyProcess : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sessionRoundTrip_data();
    void sessionRoundTrip();
    void headersOnTheWire();
    void malformedInputGetsErrorsAndProxyGoesOn();
    void overlongLineIsRejectedAndFramingResumes();
    void finalLineWithoutNewlineIsProcessed();
    void slowRequestDoesNotBlockOthers();
    void progressNotificationsPrecedeResult();
    void serverToClientRequestRoundTrip();
    void standaloneStreamDeliversNotifications();
    void getStream405MeansNoStream();
    void httpErrorBecomesJsonRpcError();
    void inactivityTimeoutBecomesJsonRpcError();
    void connectionRefusedBecomesJsonRpcError();
    void sessionExpiryIsRecoveredTransparently();
    void droppedStreamIsResumedWithLastEventId_data();
    void droppedStreamIsResumedWithLastEventId();
    void streamEndedWithoutIdFailsTheRequest();
    void cancellationAbortsUpstreamRequest();
    void endOfInputFinishesInFlightRequestsAndDeletesSession();
    void sigtermAnswersPendingRequestsAndExits();
    void staticHeadersAreSentAndNeverLogged();
    void largeMessagesRoundTrip();
};

void tst_ProxyProcess::sessionRoundTrip_data()
{
    QTest::addColumn<bool>("sse");
    QTest::newRow("json responses") << false;
    QTest::newRow("sse responses") << true;
}

void tst_ProxyProcess::sessionRoundTrip()
{
    QFETCH(bool, sse);
    StartedProxy started;
    auto &[server, proxy] = started;
    server.setUseSse(sse);
    QVERIFY(started.start());
    proxy.send(R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})");
    const QJsonObject list = proxy.takeResponse(2);
    QCOMPARE(list.value(u"result")[u"tools"].toArray().size(), 7);
    proxy.send(toolCall("3", "echo", R"({"text":"héllo ✓"})"));
    QCOMPARE(resultText(proxy.takeResponse(3)), u"héllo ✓"_s);
    proxy.closeStdin();
    QVERIFY(proxy.waitForExit());
    QCOMPARE(proxy.process().exitStatus(), QProcess::NormalExit);
    QCOMPARE(proxy.process().exitCode(), 0);
    QVERIFY2(proxy.stdoutViolations().isEmpty(), proxy.stdoutViolations().value(0).constData());
    QCOMPARE(proxy.messages().size(), 0); // nothing unexpected left over
    QCOMPARE(server.deleteCount(), 1);
}

void tst_ProxyProcess::headersOnTheWire()
{
    StartedProxy started;
    auto &[server, proxy] = started;
    QVERIFY(started.start({}, {}, u"2025-06-18"_s));
    proxy.send(R"({"jsonrpc":"2.0","id":2,"method":"ping"})");
    proxy.takeResponse(2);
    QList<FakeHttpRequest> requests = server.http().requests();
    // upstream.protocol auto: one server/discover probe first (MCP 2026-07-28 "Backward
    // Compatibility"), which a 2025 server does not answer as a modern one.
    QVERIFY(!requests.isEmpty());
    const FakeHttpRequest probe = requests.takeFirst();
    QCOMPARE(probe.method, "POST"_ba);
    QCOMPARE(probe.header("Mcp-Method"), "server/discover"_ba);
    QVERIFY(!probe.hasHeader("Mcp-Session-Id"));
    QVERIFY(probe.body.contains(R"("method":"server/discover")"));
    QVERIFY(requests.size() >= 3);
    const FakeHttpRequest &initialize = requests.first();
    QCOMPARE(initialize.method, "POST"_ba);
    QCOMPARE(initialize.header("Accept"), "application/json, text/event-stream"_ba);
    QVERIFY(initialize.header("Content-Type").startsWith("application/json"));
    QVERIFY(initialize.header("User-Agent").startsWith("mcp-oauth2-proxy/"));
    QVERIFY(!initialize.hasHeader("Mcp-Session-Id"));
    // Raw forwarding: the bytes the client wrote.
    QVERIFY(initialize.body.startsWith(R"({"jsonrpc":"2.0","id":"init","method":"initialize")"));
    bool sawPing = false;
    for (const FakeHttpRequest &request : requests.mid(1)) {
        QCOMPARE(request.header("Mcp-Session-Id"), server.sessionId());
        QCOMPARE(request.header("MCP-Protocol-Version"), "2025-06-18"_ba);
        sawPing |= request.body == R"({"jsonrpc":"2.0","id":2,"method":"ping"})";
    }
    QVERIFY(sawPing);
}

void tst_ProxyProcess::malformedInputGetsErrorsAndProxyGoesOn()
{
    StartedProxy started;
    auto &[server, proxy] = started;
    QVERIFY(started.start());
    const QList<std::pair<QByteArray, int>> rows = {
            {"not json at all", -32700},
            {R"({"jsonrpc":"2.0","id":5,"method":)", -32700},
            {"null", -32600},
            {"42", -32600},
            {R"("a string")", -32600},
            {R"({"jsonrpc":"1.0","id":6,"method":"ping"})", -32600},
            {R"({"jsonrpc":"2.0","id":{"x":1},"method":"ping"})", -32600},
            {R"([{"jsonrpc":"2.0","id":7,"method":"ping"}])", -32600},
            {QByteArray(600, '[') + QByteArray(600, ']'), -32700},
    };
    for (const auto &[line, code] : rows) {
        proxy.send(line);
        const QJsonObject error =
                proxy.take([](const QJsonObject &m) { return m.contains(u"error"); });
        QCOMPARE(error.value(u"error")[u"code"].toInt(), code);
        QVERIFY(error.contains(u"id"));
    }
    proxy.send(R"({"jsonrpc":"2.0","id":"ok","method":"ping"})");
    QVERIFY(proxy.takeResponse(u"ok"_s).contains(u"result"));
    QVERIFY(proxy.stdoutViolations().isEmpty());
}

void tst_ProxyProcess::overlongLineIsRejectedAndFramingResumes()
{
    StartedProxy started;
    auto &[server, proxy] = started;
    QProcessEnvironment env;
    env.insert(u"MCP_PROXY_MAX_LINE_BYTES"_s, u"4096"_s);
    QVERIFY(started.start(env));
    proxy.send(toolCall("9", "echo", R"({"text":")" + QByteArray(10000, 'x') + R"("})"));
    // The host's request is answered under its own id (read from the start of the line).
    const QJsonObject error = proxy.takeResponse(9);
    QCOMPARE(error.value(u"error")[u"code"].toInt(), -32600);
    QVERIFY(error.value(u"error")[u"data"][u"reason"].toString().contains(u"4096"));
    proxy.send(toolCall("10", "echo", R"({"text":"after"})"));
    QCOMPARE(resultText(proxy.takeResponse(10)), u"after"_s);
}

void tst_ProxyProcess::finalLineWithoutNewlineIsProcessed()
{
    StartedProxy started;
    auto &[server, proxy] = started;
    QVERIFY(started.start());
    proxy.sendRaw(toolCall("11", "echo", R"({"text":"last"})") + "\r");
    proxy.closeStdin();
    QCOMPARE(resultText(proxy.takeResponse(11)), u"last"_s);
    QVERIFY(proxy.waitForExit());
    QCOMPARE(proxy.process().exitCode(), 0);
}

void tst_ProxyProcess::slowRequestDoesNotBlockOthers()
{
    StartedProxy started;
    auto &[server, proxy] = started;
    QVERIFY(started.start());
    proxy.send(toolCall("20", "slow", R"({"ms":1500})"));
    proxy.send(toolCall("21", "echo", R"({"text":"fast"})"));
    QCOMPARE(resultText(proxy.takeResponse(21, 1000)), u"fast"_s);
    QVERIFY(!proxy.messages().contains(QJsonObject()));
    QCOMPARE(resultText(proxy.takeResponse(20, 5000)), u"slept 1500 ms"_s);
}

void tst_ProxyProcess::progressNotificationsPrecedeResult()
{
    StartedProxy started;
    auto &[server, proxy] = started;
    QVERIFY(started.start());
    proxy.send(toolCall(
            "30", "progress", R"({"steps":4,"intervalMs":5})", R"({"progressToken":"p1"})"));
    QCOMPARE(resultText(proxy.takeResponse(30)), u"done 4 steps"_s);
    int progress = 0;
    for (const QJsonObject &m : proxy.messages())
        progress += m.value(u"method").toString() == u"notifications/progress";
    QCOMPARE(progress, 4);
    // Order: every progress line came before the result line.
    const QList<QByteArray> &lines = proxy.stdoutLines();
    qsizetype resultLine = -1;
    qsizetype lastProgress = -1;
    for (qsizetype i = 0; i < lines.size(); ++i) {
        if (lines[i].contains("notifications/progress"))
            lastProgress = i;
        if (lines[i].contains("done 4 steps"))
            resultLine = i;
    }
    QVERIFY(lastProgress >= 0 && lastProgress < resultLine);
}

void tst_ProxyProcess::serverToClientRequestRoundTrip()
{
    StartedProxy started;
    auto &[server, proxy] = started;
    QVERIFY(started.start());
    proxy.send(toolCall("40", "sample", R"({"prompt":"hi"})"));
    const QJsonObject request = proxy.takeMethod(u"sampling/createMessage"_s);
    QVERIFY(request.contains(u"id"));
    const QByteArray id =
            QJsonDocument(QJsonArray{request.value(u"id")}).toJson(QJsonDocument::Compact);
    proxy.send(R"({"jsonrpc":"2.0","id":)" + id.mid(1, id.size() - 2)
            + R"(,"result":{"role":"assistant","content":{"type":"text","text":"sampled text"},"model":"m"}})");
    QCOMPARE(resultText(proxy.takeResponse(40)), u"sampled: sampled text"_s);
}

void tst_ProxyProcess::standaloneStreamDeliversNotifications()
{
    StartedProxy started;
    auto &[server, proxy] = started;
    QVERIFY(started.start());
    QTRY_COMPARE(server.openGetStreamCount(), 1);
    proxy.send(toolCall("50", "notify", R"({"text":"pushed"})"));
    proxy.takeResponse(50);
    const QJsonObject note = proxy.takeMethod(u"notifications/message"_s);
    QCOMPARE(note.value(u"params")[u"data"].toString(), u"pushed"_s);
    server.sendStandaloneMessage(
            {{u"jsonrpc"_s, u"2.0"_s}, {u"method"_s, u"notifications/tools/list_changed"_s}});
    QVERIFY(!proxy.takeMethod(u"notifications/tools/list_changed"_s).isEmpty());
}

void tst_ProxyProcess::getStream405MeansNoStream()
{
    StartedProxy started;
    auto &[server, proxy] = started;
    server.setGetStreamMode(FakeMcpServer::GetStreamMode::MethodNotAllowed405);
    QVERIFY(started.start());
    proxy.send(R"({"jsonrpc":"2.0","id":2,"method":"ping"})");
    proxy.takeResponse(2);
    QTest::qWait(1500);
    QCOMPARE(server.getCount(), 1);
}

void tst_ProxyProcess::httpErrorBecomesJsonRpcError()
{
    StartedProxy started;
    auto &[server, proxy] = started;
    QVERIFY(started.start());
    server.failStatus(u"tools/call"_s, 503, "maintenance window", 1);
    proxy.send(toolCall("\"e1\"", "echo", R"({"text":"x"})"));
    const QJsonObject error = proxy.takeResponse(u"e1"_s).value(u"error").toObject();
    QCOMPARE(error.value(u"code").toInt(), -32001);
    QCOMPARE(error.value(u"message").toString(), u"mcp-oauth2-proxy: upstream returned 503"_s);
    QCOMPARE(error.value(u"data")[u"status"].toInt(), 503);
    QCOMPARE(error.value(u"data")[u"body"].toString(), u"maintenance window"_s);
}

void tst_ProxyProcess::inactivityTimeoutBecomesJsonRpcError()
{
    StartedProxy started;
    auto &[server, proxy] = started;
    QProcessEnvironment env;
    env.insert(u"UPSTREAM_TIMEOUT_MS"_s, u"400"_s);
    QVERIFY(started.start(env));
    server.setStallAfterHeaders(true);
    proxy.send(toolCall("60", "echo", R"({"text":"x"})"));
    const QJsonObject error = proxy.takeResponse(60, 5000).value(u"error").toObject();
    QCOMPARE(error.value(u"code").toInt(), -32000);
    QCOMPARE(error.value(u"message").toString(),
            u"mcp-oauth2-proxy: upstream timed out after 400 ms"_s);
}

void tst_ProxyProcess::connectionRefusedBecomesJsonRpcError()
{
    QTcpServer placeholder; // take a free port, then free it: nothing listens there
    QVERIFY(placeholder.listen(QHostAddress::LocalHost));
    const quint16 port = placeholder.serverPort();
    placeholder.close();
    ProxyProcess proxy;
    QVERIFY(proxy.start({u"http://127.0.0.1:%1/mcp"_s.arg(port)}));
    proxy.send(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}})");
    const QJsonObject error = proxy.takeResponse(1).value(u"error").toObject();
    QCOMPARE(error.value(u"code").toInt(), -32000);
    QCOMPARE(error.value(u"message").toString(), u"mcp-oauth2-proxy: upstream request failed"_s);
    QCOMPARE(error.value(u"data")[u"code"].toString(), u"ConnectionRefusedError"_s);
    proxy.closeStdin();
    QVERIFY(proxy.waitForExit());
    QCOMPARE(proxy.process().exitCode(), 0);
}

void tst_ProxyProcess::sessionExpiryIsRecoveredTransparently()
{
    StartedProxy started;
    auto &[server, proxy] = started;
    QVERIFY(started.start());
    proxy.send(toolCall("70", "echo", R"({"text":"before"})"));
    QCOMPARE(resultText(proxy.takeResponse(70)), u"before"_s);
    const QByteArray oldSession = server.sessionId();
    server.expireSession();
    proxy.send(toolCall("71", "echo", R"({"text":"after"})"));
    QCOMPARE(resultText(proxy.takeResponse(71)), u"after"_s);
    QCOMPARE(server.initializeCount(), 2);
    QVERIFY(server.sessionId() != oldSession);
    // The client never sees the proxy's own initialize response.
    for (const QByteArray &line : proxy.stdoutLines())
        QVERIFY2(!line.contains("mcp-oauth2-proxy-reinit"), line.constData());
    QCOMPARE(proxy.messages().size(), 0);
}

void tst_ProxyProcess::droppedStreamIsResumedWithLastEventId_data()
{
    QTest::addColumn<bool>("abruptly");
    QTest::addColumn<int>("eventsBeforeDrop");
    QTest::newRow("clean close after priming") << false << 0;
    QTest::newRow("connection reset after priming") << true << 0;
    QTest::newRow("clean close after a progress event") << false << 1;
}

void tst_ProxyProcess::droppedStreamIsResumedWithLastEventId()
{
    QFETCH(bool, abruptly);
    QFETCH(int, eventsBeforeDrop);
    StartedProxy started;
    auto &[server, proxy] = started;
    server.setRetryMs(200);
    QVERIFY(started.start());
    server.setDropStreamAfterEvents(eventsBeforeDrop);
    server.setDropStreamAbruptly(abruptly);
    QElapsedTimer clock;
    clock.start();
    proxy.send(
            toolCall("80", "progress", R"({"steps":3,"intervalMs":50})", R"({"progressToken":7})"));
    QCOMPARE(resultText(proxy.takeResponse(80)), u"done 3 steps"_s);
    QVERIFY(!server.lastEventIdSeen().isEmpty());
    QVERIFY2(clock.elapsed() >= 200, "the server's retry delay must be respected");
    int progress = 0;
    for (const QJsonObject &m : proxy.messages())
        progress += m.value(u"method").toString() == u"notifications/progress";
    QCOMPARE(progress, 3); // nothing lost, nothing twice
}

void tst_ProxyProcess::streamEndedWithoutIdFailsTheRequest()
{
    StartedProxy started;
    auto &[server, proxy] = started;
    server.setPrimingEvents(false);
    QVERIFY(started.start());
    server.setDropStreamAfterEvents(0);
    proxy.send(
            toolCall("81", "progress", R"({"steps":2,"intervalMs":50})", R"({"progressToken":8})"));
    const QJsonObject error = proxy.takeResponse(81).value(u"error").toObject();
    QCOMPARE(error.value(u"code").toInt(), -32000);
    QVERIFY(error.value(u"data")[u"reason"].toString().contains(u"stream ended"));
}

void tst_ProxyProcess::cancellationAbortsUpstreamRequest()
{
    StartedProxy started;
    auto &[server, proxy] = started;
    QVERIFY(started.start());
    proxy.send(toolCall("90", "slow", R"({"ms":1000})"));
    QTRY_VERIFY(!server.receivedMessages().isEmpty()
            && server.receivedMessages().last().value(u"id").toInt() == 90);
    proxy.send(
            R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":90,"reason":"user"}})");
    QTRY_COMPARE(server.cancelledRequestIds().size(), 1);
    QCOMPARE(server.cancelledRequestIds().first().toInt(), 90);
    QTest::qWait(1500);
    for (const QJsonObject &m : proxy.messages())
        QVERIFY(m.value(u"id").toInt() != 90); // a cancelled request gets no response
}

void tst_ProxyProcess::endOfInputFinishesInFlightRequestsAndDeletesSession()
{
    StartedProxy started;
    auto &[server, proxy] = started;
    QVERIFY(started.start());
    proxy.send(toolCall("100", "slow", R"({"ms":500})"));
    proxy.closeStdin();
    QCOMPARE(resultText(proxy.takeResponse(100)), u"slept 500 ms"_s);
    QVERIFY(proxy.waitForExit());
    QCOMPARE(proxy.process().exitCode(), 0);
    QCOMPARE(server.deleteCount(), 1);
}

void tst_ProxyProcess::sigtermAnswersPendingRequestsAndExits()
{
    StartedProxy started;
    auto &[server, proxy] = started;
    QVERIFY(started.start());
    proxy.send(toolCall("110", "slow", R"({"ms":20000})"));
    QTRY_VERIFY(!server.receivedMessages().isEmpty()
            && server.receivedMessages().last().value(u"id").toInt() == 110);
    QElapsedTimer clock;
    clock.start();
    QVERIFY(proxy.terminate());
    const QJsonObject error = proxy.takeResponse(110, 5000).value(u"error").toObject();
    QCOMPARE(error.value(u"code").toInt(), -32000);
    QCOMPARE(error.value(u"data")[u"reason"].toString(), u"proxy is shutting down"_s);
    QVERIFY(proxy.waitForExit(5000));
    QVERIFY(clock.elapsed() < 5000);
    QCOMPARE(proxy.process().exitStatus(), QProcess::NormalExit);
    QCOMPARE(proxy.process().exitCode(), 0);
    QCOMPARE(server.deleteCount(), 1);
}

void tst_ProxyProcess::staticHeadersAreSentAndNeverLogged()
{
    StartedProxy started;
    auto &[server, proxy] = started;
    const QByteArray secret = "s3cr3t-api-key-value";
    server.requireHeader("X-Api-Key", secret);
    QProcessEnvironment env;
    env.insert(u"MY_KEY"_s, QString::fromLatin1(secret));
    env.insert(u"LOG_LEVEL"_s, u"trace"_s);
    QVERIFY(started.start(env, {u"--header"_s, u"X-Api-Key: ${MY_KEY}"_s}));
    proxy.send(toolCall("120", "echo", R"({"text":"authorized"})"));
    QCOMPARE(resultText(proxy.takeResponse(120)), u"authorized"_s);
    proxy.closeStdin();
    QVERIFY(proxy.waitForExit());
    QVERIFY(!proxy.stderrText().contains(secret));
    QVERIFY(!proxy.stdoutLines().join('\n').contains(secret));
}

void tst_ProxyProcess::largeMessagesRoundTrip()
{
    StartedProxy started;
    auto &[server, proxy] = started;
    QVERIFY(started.start());
    const QByteArray big(8 * 1024 * 1024, 'q');
    proxy.send(toolCall("130", "echo", R"({"text":")" + big + R"("})"));
    QCOMPARE(resultText(proxy.takeResponse(130, 30000)).size(), big.size());
    proxy.send(toolCall("131", "big", R"({"bytes":8388608})"));
    QCOMPARE(resultText(proxy.takeResponse(131, 30000)).size(), 8388608);
}

QTEST_GUILESS_MAIN(tst_ProxyProcess)
#include "tst_proxyprocess.moc"
