// ProxySession is driven through its slots alone and observed through its signals.
#include "bridge/proxysession.h"

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
    void requestIsAnsweredExactlyOnce_data();
    void requestIsAnsweredExactlyOnce();
    void duplicateIdInFlightIsRejected();
    void cancellationForwardsAndAborts();
    void serverRequestsAndNotificationsPassThrough();
    void overlongLineGetsAnError_data();
    void overlongLineGetsAnError();
    void idleFollowsTheLastAnswer();
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

void tst_ProxySession::requestIsAnsweredExactlyOnce_data()
{
    QTest::addColumn<bool>("failFirst");
    QTest::newRow("response first, then a late error") << false;
    QTest::newRow("error first, then a late response") << true;
}

void tst_ProxySession::requestIsAnsweredExactlyOnce()
{
    QFETCH(bool, failFirst);
    ProxySession session;
    QSignalSpy toClient(&session, &ProxySession::clientBoundMessage);
    session.routeClientLine(R"({"jsonrpc":"2.0","id":42,"method":"tools/call"})");
    QCOMPARE(session.pendingRequestCount(), 1);
    const QByteArray response = R"({"jsonrpc":"2.0","id":42,"result":{}})";
    const QByteArray error = JsonRpcMessage::errorResponse("42", -32000, u"failed"_s);
    const QString key = JsonRpcMessage::classify(response).idKey();
    if (failFirst) {
        session.failRequest(key, error);
        session.routeServerMessage(response, JsonRpcMessage::classify(response));
    } else {
        session.routeServerMessage(response, JsonRpcMessage::classify(response));
        session.failRequest(key, error);
    }
    QCOMPARE(toClient.size(), 1);
    QCOMPARE(toClient.first().first().toByteArray(), failFirst ? error : response);
    QCOMPARE(session.pendingRequestCount(), 0);
}

void tst_ProxySession::duplicateIdInFlightIsRejected()
{
    ProxySession session;
    QSignalSpy toServer(&session, &ProxySession::serverBoundMessage);
    QSignalSpy toClient(&session, &ProxySession::clientBoundMessage);
    session.routeClientLine(R"({"jsonrpc":"2.0","id":1,"method":"a"})");
    session.routeClientLine(
            R"({"jsonrpc":"2.0","id":1.0,"method":"b"})"); // same id, other spelling
    QCOMPARE(toServer.size(), 1);
    QCOMPARE(toClient.size(), 1);
    QCOMPARE(object(toClient.first().first()).value(u"error")[u"code"].toInt(), -32600);
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
    QCOMPARE(session.pendingRequestCount(), 0);
    // A response that still arrives is dropped: the client was told nothing more is owed.
    const QByteArray late = R"({"jsonrpc":"2.0","id":"r-9","result":{}})";
    session.routeServerMessage(late, JsonRpcMessage::classify(late));
    QCOMPARE(toClient.size(), 0);
    // Cancelling an unknown id forwards but aborts nothing.
    session.routeClientLine(
            R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":5}})");
    QCOMPARE(cancels.size(), 1);
}

void tst_ProxySession::serverRequestsAndNotificationsPassThrough()
{
    ProxySession session;
    QSignalSpy toClient(&session, &ProxySession::clientBoundMessage);
    const QByteArray request = R"({"jsonrpc":"2.0","id":"s1","method":"sampling/createMessage"})";
    const QByteArray note = R"({"jsonrpc":"2.0","method":"notifications/progress","params":{}})";
    session.routeServerMessage(request, JsonRpcMessage::classify(request));
    session.routeServerMessage(note, JsonRpcMessage::classify(note));
    QCOMPARE(toClient.size(), 2);
    QCOMPARE(toClient.at(0).first().toByteArray(), request);
    QCOMPARE(toClient.at(1).first().toByteArray(), note);
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
    QCOMPARE(session.pendingRequestCount(), 0);
}

void tst_ProxySession::idleFollowsTheLastAnswer()
{
    ProxySession session;
    QSignalSpy idle(&session, &ProxySession::idle);
    session.routeClientLine(R"({"jsonrpc":"2.0","id":1,"method":"a"})");
    session.routeClientLine(R"({"jsonrpc":"2.0","id":2,"method":"b"})");
    const QByteArray one = R"({"jsonrpc":"2.0","id":1,"result":{}})";
    session.routeServerMessage(one, JsonRpcMessage::classify(one));
    QCOMPARE(idle.size(), 0);
    session.failRequest(JsonRpcMessage::classify(R"({"jsonrpc":"2.0","id":2,"result":{}})").idKey(),
            JsonRpcMessage::errorResponse("2", -32000, u"x"_s));
    QCOMPARE(idle.size(), 1);
}

QTEST_APPLESS_MAIN(tst_ProxySession)
#include "tst_proxysession.moc"
