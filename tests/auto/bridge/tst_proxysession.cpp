// ProxySession is driven through its slots alone and observed through its signals. Which request
// is still owed an answer (exactly one answer, duplicates, late responses, idle) is
// UpstreamSession's rule: tests/auto/transport/tst_upstreamsession.cpp.
#include "bridge/proxysession.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

using namespace McpProxy;
using namespace Qt::StringLiterals;

namespace {

QJsonObject object(const QVariant &line)
{
    return QJsonDocument::fromJson(line.toByteArray()).object();
}

} // namespace

class tst_ProxySession : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void clientLinesAreClassified_data();
    void clientLinesAreClassified();
    void cancellationForwardsAndAborts();
    void serverRequestsAndNotificationsPassThrough();
    void overlongLineGetsAnError_data();
    void overlongLineGetsAnError();
    void toolFilterApplies_data();
    void toolFilterApplies();
    void listChangedAfterLogin_data();
    void listChangedAfterLogin();
};

void tst_ProxySession::clientLinesAreClassified_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<bool>("forwarded");
    QTest::addColumn<int>("errorCode"); // 0: no error to the client
    QTest::addColumn<QByteArray>("errorId");

    QTest::newRow("request") << R"({"jsonrpc":"2.0","id":1,"method":"ping"})"_ba << true << 0
                             << ""_ba;
    QTest::newRow("notification") << R"({"jsonrpc":"2.0","method":"notifications/initialized"})"_ba
                                  << true << 0 << ""_ba;
    QTest::newRow("response to a server request")
            << R"({"jsonrpc":"2.0","id":"srv-1","result":{}})"_ba << true << 0 << ""_ba;
    QTest::newRow("garbage") << "}{"_ba << false << -32700 << "null"_ba;
    QTest::newRow("truncated") << R"({"jsonrpc":"2.0","id":1,"meth)"_ba << false << -32700
                               << "null"_ba;
    QTest::newRow("null") << "null"_ba << false << -32600 << "null"_ba;
    QTest::newRow("number") << "7"_ba << false << -32600 << "null"_ba;
    QTest::newRow("no jsonrpc member keeps the id")
            << R"({"id":"abc","method":"ping"})"_ba << false << -32600 << R"("abc")"_ba;
    QTest::newRow("batch") << R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])"_ba << false << -32600
                           << "null"_ba;
}

void tst_ProxySession::clientLinesAreClassified()
{
    QFETCH(QByteArray, line);
    QFETCH(bool, forwarded);
    QFETCH(int, errorCode);
    QFETCH(QByteArray, errorId);
    ProxySession session;
    QSignalSpy toServer(&session, &ProxySession::serverBoundMessage);
    QSignalSpy toClient(&session, &ProxySession::clientBoundMessage);
    session.routeClientLine(line);
    QCOMPARE(toServer.size(), forwarded ? 1 : 0);
    if (forwarded)
        QCOMPARE(toServer.first().first().toByteArray(), line); // raw bytes, unchanged
    QCOMPARE(toClient.size(), errorCode ? 1 : 0);
    if (errorCode) {
        const QByteArray reply = toClient.first().first().toByteArray();
        QVERIFY(!reply.contains('\n'));
        QCOMPARE(object(reply).value(u"error")[u"code"].toInt(), errorCode);
        QVERIFY(reply.contains(QByteArray(R"("id":)" + errorId)));
    }
}

void tst_ProxySession::cancellationForwardsAndAborts()
{
    ProxySession session;
    QSignalSpy toServer(&session, &ProxySession::serverBoundMessage);
    QSignalSpy cancels(&session, &ProxySession::cancelRequested);
    QSignalSpy toClient(&session, &ProxySession::clientBoundMessage);
    session.routeClientLine(R"({"jsonrpc":"2.0","id":"r-9","method":"tools/call"})");
    session.routeClientLine(
            R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"r-9"}})");
    QCOMPARE(toServer.size(), 2); // the cancellation itself goes upstream too
    QCOMPARE(cancels.size(), 1);
    QCOMPARE(cancels.first().first().toString(),
            JsonRpcMessage::classify(R"({"jsonrpc":"2.0","id":"r-9","result":1})").idKey());
    QCOMPARE(toClient.size(), 0);
    // A cancellation without a usable requestId forwards but aborts nothing.
    session.routeClientLine(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{}})");
    QCOMPARE(toServer.size(), 3);
    QCOMPARE(cancels.size(), 1);
}

void tst_ProxySession::serverRequestsAndNotificationsPassThrough()
{
    ProxySession session;
    QSignalSpy toClient(&session, &ProxySession::clientBoundMessage);
    const QByteArray request = R"({"jsonrpc":"2.0","id":"s1","method":"sampling/createMessage"})";
    const QByteArray note = R"({"jsonrpc":"2.0","method":"notifications/progress","params":{}})";
    const QByteArray error = JsonRpcMessage::errorResponse("42", -32000, u"failed"_s);
    session.routeServerLine(request);
    session.routeServerLine(note);
    session.routeServerLine(error);
    QCOMPARE(toClient.size(), 3);
    QCOMPARE(toClient.at(0).first().toByteArray(), request);
    QCOMPARE(toClient.at(1).first().toByteArray(), note);
    QCOMPARE(toClient.at(2).first().toByteArray(), error);
}

void tst_ProxySession::overlongLineGetsAnError_data()
{
    QTest::addColumn<QByteArray>("start");
    QTest::addColumn<QByteArray>("expectedId"); // the id's JSON text in the answer

    QTest::newRow("no start") << QByteArray() << "null"_ba;
    QTest::newRow("request with a number id")
            << R"({"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"arguments":{"x":"xx)"_ba
            << "42"_ba;
    QTest::newRow("request with a string id, spelled as sent")
            << R"({ "jsonrpc" : "2.0", "method" : "tools/call", "id" : "a\u0062c", "params": [1,2)"_ba
            << R"("a\u0062c")"_ba;
    QTest::newRow("id cut off") << R"({"jsonrpc":"2.0","method":"m","id":12)"_ba
                                << "null"_ba;
    QTest::newRow("method not yet read") << R"({"jsonrpc":"2.0","id":3,"params":{"big":"xx)"_ba
                                         << "null"_ba;
    QTest::newRow("a response from the client")
            << R"({"jsonrpc":"2.0","id":5,"method":"m","result":{"big":"xx)"_ba
            << "null"_ba;
    QTest::newRow("not JSON") << "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"_ba
                              << "null"_ba;
    QTest::newRow("an object id") << R"({"id":{"a":1},"method":"m","params":"xx)"_ba
                                  << "null"_ba;
}

void tst_ProxySession::overlongLineGetsAnError()
{
    QFETCH(QByteArray, start);
    QFETCH(QByteArray, expectedId);
    ProxySession session;
    QSignalSpy toClient(&session, &ProxySession::clientBoundMessage);
    session.rejectOverlongLine(start, 1024);
    QCOMPARE(toClient.size(), 1);
    const QByteArray line = toClient.first().first().toByteArray();
    QVERIFY2(line.startsWith(QByteArray(R"({"jsonrpc":"2.0","id":)" + expectedId + ",")),
            line.constData());
    const QJsonObject error = object(toClient.first().first());
    QCOMPARE(error.value(u"error")[u"code"].toInt(), -32600);
    QVERIFY(error.value(u"error")[u"data"][u"reason"].toString().contains(u"1024"));
}

void tst_ProxySession::toolFilterApplies_data()
{
    // The host's lines in order; the server lines answer them; what the host then sees.
    QTest::addColumn<QList<QByteArray>>("clientLines");
    QTest::addColumn<QList<QByteArray>>("serverLines");
    QTest::addColumn<int>("forwarded"); // client lines that went upstream
    QTest::addColumn<QStringList>("seen"); // per client-bound line: tool names, or the error code

    const QByteArray page1 =
            R"({"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"echo"},{"name":"delete_all"}],"nextCursor":"p2"}})";
    const QByteArray page2 =
            R"({"jsonrpc":"2.0","id":2,"result":{"tools":[{"name":"drop_db"},{"name":"add"}]}})";
    const QByteArray listChanged =
            R"({"jsonrpc":"2.0","method":"notifications/tools/list_changed"})";
    QTest::newRow("every page is filtered")
            << QList<QByteArray>{R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})",
                       R"({"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"cursor":"p2"}})"}
            << QList<QByteArray>{page1, page2} << 2 << QStringList{u"echo"_s, u"add"_s};
    QTest::newRow("list_changed still flows")
            << QList<QByteArray>{} << QList<QByteArray>{listChanged} << 0
            << QStringList{u"notification"_s};
    QTest::newRow("a response to another request is left alone")
            << QList<QByteArray>{R"({"jsonrpc":"2.0","id":1,"method":"prompts/list"})"}
            << QList<QByteArray>{page1} << 1 << QStringList{u"echo,delete_all"_s};
    QTest::newRow("a duplicate id's refusal leaves the real answer filtered")
            << QList<QByteArray>{R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})",
                       R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})"}
            << QList<QByteArray>{JsonRpcMessage::errorResponse("1", -32600, u"dup"_s), page1} << 2
            << QStringList{u"-32600"_s, u"echo"_s};
    QTest::newRow("a hidden tool's call never goes upstream") << QList<
            QByteArray>{R"({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"drop_db"}})"}
                                                              << QList<QByteArray>{} << 0
                                                              << QStringList{u"-32602"_s};
    QTest::newRow("a visible tool's call does") << QList<
            QByteArray>{R"({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"echo"}})"}
                                                << QList<QByteArray>{} << 1 << QStringList();
}

void tst_ProxySession::toolFilterApplies()
{
    QFETCH(QList<QByteArray>, clientLines);
    QFETCH(QList<QByteArray>, serverLines);
    QFETCH(int, forwarded);
    QFETCH(QStringList, seen);
    ProxySession session(ToolFilter({}, {u"delete_*"_s, u"drop_*"_s}));
    QSignalSpy toServer(&session, &ProxySession::serverBoundMessage);
    QSignalSpy toClient(&session, &ProxySession::clientBoundMessage);
    for (const QByteArray &line : std::as_const(clientLines))
        session.routeClientLine(line);
    for (const QByteArray &line : std::as_const(serverLines))
        session.routeServerLine(line);
    QCOMPARE(toServer.size(), forwarded);
    QStringList got;
    for (const QList<QVariant> &signal : std::as_const(toClient)) {
        const QJsonObject line = object(signal.first());
        if (line.contains(u"error"))
            got.append(QString::number(line.value(u"error")[u"code"].toInt()));
        else if (line.contains(u"method"))
            got.append(u"notification"_s);
        else {
            QStringList names;
            for (const QJsonValue &tool : line.value(u"result")[u"tools"].toArray())
                names.append(tool[u"name"].toString());
            got.append(names.join(u','));
        }
    }
    QCOMPARE(got, seen);
}

// The shell of ListChangedAfterLogin (tst_listchangedafterlogin has the rule's rows): the same
// id key for the request, its answer and its cancellation, the InitializeResult read from the
// line the host received, and the notification sent to the host alone.
void tst_ProxySession::listChangedAfterLogin_data()
{
    QTest::addColumn<bool>("filtered"); // a tool filter is active
    QTest::addColumn<QByteArray>("id"); // of the host's tools/list, as JSON
    QTest::addColumn<bool>("answeredFirst");
    QTest::addColumn<bool>("loginOk");
    QTest::addColumn<bool>("notified");

    QTest::newRow("cancelled, the login succeeds") << false << "7"_ba << false << true << true;
    QTest::newRow("a string id") << false << R"("t-7")"_ba << false << true << true;
    QTest::newRow("with a tool filter") << true << "7"_ba << false << true << true;
    QTest::newRow("the login fails") << false << "7"_ba << false << false << false;
    QTest::newRow("answered before the cancellation") << false << "7"_ba << true << true << false;
    QTest::newRow("answered, with a tool filter") << true << "7"_ba << true << true << false;
}

void tst_ProxySession::listChangedAfterLogin()
{
    QFETCH(bool, filtered);
    QFETCH(QByteArray, id);
    QFETCH(bool, answeredFirst);
    QFETCH(bool, loginOk);
    QFETCH(bool, notified);
    ProxySession session(filtered ? ToolFilter({}, {u"delete_*"_s}) : ToolFilter());
    QSignalSpy toServer(&session, &ProxySession::serverBoundMessage);
    QSignalSpy toClient(&session, &ProxySession::clientBoundMessage);
    session.routeClientLine(
            R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"h","version":"1"}}})");
    session.authorizationStarted();
    session.routeServerLine(
            R"({"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-11-25","capabilities":{"tools":{"listChanged":true}},"serverInfo":{"name":"s","version":"1"}}})");
    session.routeClientLine(R"({"jsonrpc":"2.0","id":)" + id + R"(,"method":"tools/list"})");
    if (answeredFirst) {
        session.routeServerLine(R"({"jsonrpc":"2.0","id":)" + id
                + R"(,"result":{"tools":[{"name":"echo","inputSchema":{"type":"object"}}]}})");
    }
    session.routeClientLine(
            R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":)" + id
            + R"(,"reason":"timed out"}})");
    const qsizetype before = toClient.size();
    session.authorizationFinished(loginOk);
    QCOMPARE(toServer.size(), 3); // initialize, tools/list, the cancellation: nothing added
    QCOMPARE(toClient.size() - before, notified ? 1 : 0);
    if (notified) {
        QCOMPARE(toClient.last().first().toByteArray(),
                R"({"jsonrpc":"2.0","method":"notifications/tools/list_changed"})"_ba);
    }
    session.authorizationStarted();
    session.authorizationFinished(true);
    QCOMPARE(toClient.size() - before, notified ? 1 : 0); // said once
}

QTEST_APPLESS_MAIN(tst_ProxySession)
#include "tst_proxysession.moc"
