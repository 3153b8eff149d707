// The session rules of UpstreamSession against a fake era (no HTTP): barriers, exactly one
// answer per request, cancellation, authorization parking and its deadline, re-initialization,
// the server stream, shutdown.
#include "transport/upstreamsession.h"

#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

using namespace McpProxy;
using namespace Qt::StringLiterals;

namespace {

using Handle = UpstreamEra::Handle;

const QByteArray Initialize =
        R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})";
const QByteArray InitializeResult =
        R"({"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-06-18","capabilities":{},"serverInfo":{"name":"s","version":"1"}}})";
const QByteArray Initialized = R"({"jsonrpc":"2.0","method":"notifications/initialized"})";

QByteArray call(const QByteArray &id)
{
    return R"({"jsonrpc":"2.0","id":)" + id + R"(,"method":"tools/call","params":{"name":"echo"}})";
}

QByteArray result(const QByteArray &id)
{
    return R"({"jsonrpc":"2.0","id":)" + id + R"(,"result":{}})";
}

QJsonObject object(const QByteArray &line)
{
    return QJsonDocument::fromJson(line).object();
}

// Records what the session asks and reports what a test tells it to.
class FakeEra : public UpstreamEra
{
public:
    struct Sent
    {
        Handle handle;
        QByteArray body;
        JsonRpcMessage message;
    };

    void send(Handle handle, const QByteArray &body, const JsonRpcMessage &message) override
    {
        sent.append({handle, body, message});
    }
    void resend(Handle handle) override { resent.append(handle); }
    void abort(Handle handle) override { aborted.append(handle); }
    void openServerStream() override { ++streamOpened; }
    void closeServerStream() override { ++streamClosed; }
    void setAuthorizationHeader(const QByteArray &value) override { authorization = value; }
    void setProtocolVersion(const QString &version) override { protocolVersion = version; }
    void forgetSession() override { session.clear(); }
    QByteArray sessionId() const override { return session; }
    void endSession() override { ended = true; }

    UpstreamEraListener &to() { return *listener(); }
    const Sent *lastSent(const QString &method) const
    {
        for (auto it = sent.crbegin(); it != sent.crend(); ++it) {
            if (it->message.method() == method)
                return &*it;
        }
        return nullptr;
    }
    Handle handleOf(const QByteArray &id) const
    {
        const QString key = JsonRpcMessage::classify(result(id)).idKey();
        for (const Sent &s : sent) {
            if (s.message.isRequest() && s.message.idKey() == key)
                return s.handle;
        }
        return 0;
    }
    void respond(const QByteArray &line)
    {
        to().serverMessageReceived(line, JsonRpcMessage::classify(line));
    }
    // The server answers request `handle` with `line` in a JSON body.
    void answer(Handle handle, const QByteArray &line)
    {
        respond(line);
        to().messageDelivered(handle, 200);
    }

    QList<Sent> sent;
    QList<Handle> resent;
    QList<Handle> aborted;
    int streamOpened = 0;
    int streamClosed = 0;
    QByteArray authorization;
    QString protocolVersion;
    QByteArray session;
    bool ended = false;
};

struct Harness
{
    explicit Harness(UpstreamSession::Options options = {})
        : era(new FakeEra)
        , session(std::unique_ptr<UpstreamEra>(era), options)
        , received(&session, &UpstreamSession::messageReceived)
        , failed(&session, &UpstreamSession::requestFailed)
        , idle(&session, &UpstreamSession::idle)
        , authorizations(&session, &UpstreamSession::authorizationRequired)
    { }
    static UpstreamSession::Options authorizing(int deadlineMs = 30000)
    {
        UpstreamSession::Options o;
        o.authorizationAvailable = true;
        o.authorizationDeadlineMs = deadlineMs;
        return o;
    }
    void send(const QByteArray &body) { session.send(body, JsonRpcMessage::classify(body)); }
    // initialize → its result → notifications/initialized accepted.
    void handshake()
    {
        send(Initialize);
        send(Initialized);
        era->session = "s-1";
        era->answer(era->handleOf("0"), InitializeResult);
        era->to().messageDelivered(era->lastSent(u"notifications/initialized"_s)->handle, 202);
    }
    QJsonObject lastError() const { return object(failed.last().at(1).toByteArray()); }

    FakeEra *era;
    UpstreamSession session;
    QSignalSpy received;
    QSignalSpy failed;
    QSignalSpy idle;
    QSignalSpy authorizations;
};

} // namespace

class tst_UpstreamSession : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initializeAndInitializedAreBarriers();
    void requestIsAnsweredExactlyOnce_data();
    void requestIsAnsweredExactlyOnce();
    void duplicateIdInFlightIsRejected();
    void cancelledRequestGetsNothingMore();
    void idleFollowsTheLastAnswer();
    void exchangeEndingWithoutTheResponseFailsTheRequest();
    void resumedRequestStaysOwedUntilItsResponse();
    void challengeParksUntilTheRound_data();
    void challengeParksUntilTheRound();
    void roundsPerRequestAreLimited();
    void withoutAuthorizationAChallengeFails();
    void deadlineBoundsTheWait();
    void browserLoginExtendsTheDeadline();
    void initializeIsAnsweredFromMemoryDuringABrowserLogin_data();
    void initializeIsAnsweredFromMemoryDuringABrowserLogin();
    void renewalPointAsksBeforeSending();
    void expiredSessionIsReinitializedTransparently();
    void failedReinitializationIsRetriedBeforeTheNextMessage();
    void serverStreamChallengeAndExpiry();
    void shutdownFailsWhatIsOwed();
    void keepAlivePingsAreNeverShown();
};

void tst_UpstreamSession::initializeAndInitializedAreBarriers()
{
    Harness h;
    h.send(Initialize);
    h.send(Initialized);
    h.send(call("1"));
    QCOMPARE(h.era->sent.size(), 1); // only initialize
    QCOMPARE(h.era->streamClosed, 1); // a new session starts without the old stream
    h.era->answer(h.era->handleOf("0"), InitializeResult);
    QCOMPARE(h.session.protocolVersion(), u"2025-06-18"_s); // captured from the response
    QCOMPARE(h.era->protocolVersion, u"2025-06-18"_s);
    QCOMPARE(h.received.size(), 1);
    QCOMPARE(h.era->sent.size(), 2);
    QCOMPARE(h.era->sent.last().message.method(), u"notifications/initialized"_s);
    QCOMPARE(h.era->streamOpened, 0);
    h.era->to().messageDelivered(h.era->sent.last().handle, 202);
    QCOMPARE(h.era->streamOpened, 1); // after notifications/initialized was accepted
    QCOMPARE(h.era->sent.size(), 3);
    QCOMPARE(h.era->sent.last().message.method(), u"tools/call"_s);
}

void tst_UpstreamSession::requestIsAnsweredExactlyOnce_data()
{
    QTest::addColumn<bool>("failFirst");
    QTest::newRow("response first, then a late error") << false;
    QTest::newRow("error first, then a late response") << true;
}

void tst_UpstreamSession::requestIsAnsweredExactlyOnce()
{
    QFETCH(bool, failFirst);
    Harness h;
    h.send(call("42"));
    QCOMPARE(h.session.pendingRequestCount(), 1);
    const Handle handle = h.era->handleOf("42");
    if (failFirst) {
        h.era->to().messageFailed(handle, TransportError::network(u"reset"_s, {}));
        h.era->respond(result("42"));
        h.era->to().messageDelivered(handle, 200);
    } else {
        h.era->respond(result("42"));
        h.era->to().messageFailed(handle, TransportError::network(u"reset"_s, {}));
    }
    QCOMPARE(h.received.size() + h.failed.size(), 1);
    QCOMPARE(failFirst ? h.failed.size() : h.received.size(), 1);
    if (!failFirst)
        QCOMPARE(h.received.first().first().toByteArray(), result("42"));
    else
        QCOMPARE(h.lastError().value(u"id").toInt(), 42);
    QCOMPARE(h.session.pendingRequestCount(), 0);
    QCOMPARE(h.idle.size(), 1);
}

void tst_UpstreamSession::duplicateIdInFlightIsRejected()
{
    Harness h;
    h.send(R"({"jsonrpc":"2.0","id":1,"method":"a"})");
    h.send(R"({"jsonrpc":"2.0","id":1.0,"method":"b"})"); // same id, other spelling
    QCOMPARE(h.era->sent.size(), 1);
    QCOMPARE(h.failed.size(), 1);
    QCOMPARE(h.lastError().value(u"error")[u"code"].toInt(), -32600);
    QCOMPARE(h.session.pendingRequestCount(), 1); // the first one is still owed
    h.era->answer(h.era->sent.first().handle, result("1"));
    QCOMPARE(h.received.size(), 1);
}

void tst_UpstreamSession::cancelledRequestGetsNothingMore()
{
    Harness h;
    h.send(call(R"("r-9")"));
    const Handle handle = h.era->sent.first().handle;
    h.session.cancel(JsonRpcMessage::classify(result(R"("r-9")")).idKey());
    QCOMPARE(h.era->aborted, QList<Handle>{handle});
    QCOMPARE(h.session.pendingRequestCount(), 0);
    QCOMPARE(h.idle.size(), 1);
    // A response that still arrives is dropped: the client was told nothing more is owed.
    h.era->respond(result(R"("r-9")"));
    QCOMPARE(h.received.size(), 0);
    QCOMPARE(h.failed.size(), 0);
    // Cancelling an unknown id aborts nothing.
    h.session.cancel(JsonRpcMessage::classify(result("5")).idKey());
    QCOMPARE(h.era->aborted.size(), 1);
}

void tst_UpstreamSession::idleFollowsTheLastAnswer()
{
    Harness h;
    h.send(R"({"jsonrpc":"2.0","id":1,"method":"a"})");
    h.send(R"({"jsonrpc":"2.0","id":2,"method":"b"})");
    h.era->answer(h.era->handleOf("1"), result("1"));
    QCOMPARE(h.idle.size(), 0);
    h.era->to().messageFailed(h.era->handleOf("2"), TransportError::timeout(100));
    QCOMPARE(h.idle.size(), 1);
    QCOMPARE(h.lastError().value(u"error")[u"message"].toString(),
            u"mcp-oauth2-proxy: upstream timed out after 100 ms"_s);
    // Server requests and notifications pass through.
    const QByteArray request = R"({"jsonrpc":"2.0","id":"s1","method":"sampling/createMessage"})";
    h.era->respond(request);
    QCOMPARE(h.received.last().first().toByteArray(), request);
}

void tst_UpstreamSession::exchangeEndingWithoutTheResponseFailsTheRequest()
{
    Harness h;
    h.send(call("4"));
    h.era->to().messageDelivered(h.era->handleOf("4"), 202);
    QCOMPARE(h.failed.size(), 1);
    QVERIFY(h.lastError().value(u"error")[u"data"][u"reason"].toString().contains(
            u"without a JSON-RPC response"));
}

void tst_UpstreamSession::resumedRequestStaysOwedUntilItsResponse()
{
    // An era resumes a broken reply stream only while the session still waits for the response.
    Harness h;
    h.send(call("7"));
    h.send(Initialized);
    const Handle request = h.era->handleOf("7");
    const Handle notification = h.era->lastSent(u"notifications/initialized"_s)->handle;
    QVERIFY(h.era->to().awaitsResponse(request));
    QVERIFY(!h.era->to().awaitsResponse(notification));
    h.era->respond(result("7")); // on the resumed stream
    QVERIFY(!h.era->to().awaitsResponse(request));
    h.era->to().messageDelivered(request, 200);
    QCOMPARE(h.received.size(), 1);
    QCOMPARE(h.failed.size(), 0);
}

void tst_UpstreamSession::challengeParksUntilTheRound_data()
{
    QTest::addColumn<bool>("ok");
    QTest::newRow("round succeeds") << true;
    QTest::newRow("round fails") << false;
}

void tst_UpstreamSession::challengeParksUntilTheRound()
{
    QFETCH(bool, ok);
    Harness h(Harness::authorizing());
    h.send(call("1"));
    const Handle first = h.era->handleOf("1");
    h.era->to().authorizationChallenged(first, "Bearer scope=\"a\"", 401);
    QCOMPARE(h.authorizations.size(), 1);
    QCOMPARE(h.authorizations.first().at(0).toByteArray(), "Bearer scope=\"a\""_ba);
    QCOMPARE(h.authorizations.first().at(1).toInt(), 401);
    h.send(call("2")); // queued behind the round
    QCOMPARE(h.era->sent.size(), 1);
    h.session.setAuthorizationHeader("Bearer new");
    QCOMPARE(h.era->authorization, "Bearer new"_ba);
    h.session.finishAuthorization(ok, u"log in again"_s);
    if (ok) {
        QCOMPARE(h.era->resent, QList<Handle>{first});
        QCOMPARE(h.era->sent.size(), 2);
        QCOMPARE(h.failed.size(), 0);
    } else {
        QCOMPARE(h.failed.size(), 1);
        const QJsonObject error = h.lastError().value(u"error").toObject();
        QCOMPARE(error.value(u"code").toInt(), -32001);
        QCOMPARE(error.value(u"message").toString(),
                u"mcp-oauth2-proxy: authorization failed: log in again"_s);
        QCOMPARE(error.value(u"data")[u"status"].toInt(), 401);
        QCOMPARE(h.era->aborted, QList<Handle>{first});
        QCOMPARE(h.era->sent.size(), 2); // the queued one goes out after the round
    }
    QCOMPARE(h.authorizations.size(), 1);
}

void tst_UpstreamSession::roundsPerRequestAreLimited()
{
    Harness h(Harness::authorizing());
    h.send(call("1"));
    const Handle handle = h.era->handleOf("1");
    for (int round = 0; round < 2; ++round) {
        h.era->to().authorizationChallenged(handle, "Bearer", 401);
        h.session.finishAuthorization(true, {});
    }
    h.era->to().authorizationChallenged(handle, "Bearer", 401);
    QCOMPARE(h.authorizations.size(), 2);
    QVERIFY(h.lastError().value(u"error")[u"message"].toString().contains(
            u"rejected the new access token"));
    // A step-up counts with the 401 rounds: three in all.
    h.send(call("2"));
    const Handle second = h.era->handleOf("2");
    h.era->to().authorizationChallenged(second, "Bearer", 401);
    h.session.finishAuthorization(true, {});
    for (int round = 0; round < 2; ++round) {
        h.era->to().authorizationChallenged(second, "Bearer error=\"insufficient_scope\"", 403);
        h.session.finishAuthorization(true, {});
    }
    h.era->to().authorizationChallenged(second, "Bearer error=\"insufficient_scope\"", 403);
    QCOMPARE(h.authorizations.size(), 5);
    QVERIFY(h.lastError().value(u"error")[u"message"].toString().contains(u"after 3"));
}

void tst_UpstreamSession::withoutAuthorizationAChallengeFails()
{
    Harness h;
    h.send(call("1"));
    h.era->to().authorizationChallenged(h.era->handleOf("1"), "Bearer", 401);
    QCOMPARE(h.authorizations.size(), 0);
    QVERIFY(h.lastError().value(u"error")[u"message"].toString().contains(
            u"the server requires authorization"));
}

void tst_UpstreamSession::deadlineBoundsTheWait()
{
    Harness h(Harness::authorizing(400));
    h.session.holdForAuthorization(); // a start-up round that never ends
    h.send(call("1"));
    QVERIFY(h.failed.wait(3000));
    QCOMPARE(h.failed.size(), 1);
    QVERIFY(h.lastError().value(u"error")[u"message"].toString().contains(u"did not finish"));
    QVERIFY(h.era->sent.isEmpty()); // never sent
    h.session.finishAuthorization(false, u"late"_s); // the late end answers nobody twice
    QCOMPARE(h.failed.size(), 1);
    // One deadline across rounds: a request keeps the deadline it got when it first waited.
    h.send(call("2"));
    QCOMPARE(h.era->sent.size(), 1);
    h.era->to().authorizationChallenged(h.era->handleOf("2"), "Bearer", 401);
    QTest::qWait(300);
    h.session.finishAuthorization(true, {});
    h.era->to().authorizationChallenged(h.era->handleOf("2"), "Bearer", 401);
    QElapsedTimer second;
    second.start();
    QVERIFY(h.failed.wait(3000));
    QVERIFY2(second.elapsed() < 350, // not a fresh 400 ms
            qPrintable(QString::number(second.elapsed())));
}

void tst_UpstreamSession::browserLoginExtendsTheDeadline()
{
    Harness h(Harness::authorizing(100));
    h.session.holdForAuthorization();
    h.send(call("1"));
    h.session.extendAuthorizationDeadline(1);
    QTest::qWait(400);
    QCOMPARE(h.failed.size(), 0);
    h.session.finishAuthorization(true, {});
    QCOMPARE(h.era->sent.size(), 1);
}

void tst_UpstreamSession::initializeIsAnsweredFromMemoryDuringABrowserLogin_data()
{
    QTest::addColumn<QString>("rememberedFor"); // requested version; empty: nothing remembered
    QTest::addColumn<QString>("when"); // held at start-up, challenged, or arriving mid-login
    QTest::addColumn<bool>("early");

    for (const QString &when : {u"held"_s, u"challenged"_s, u"mid-login"_s}) {
        QTest::addRow("%s, remembered", qPrintable(when)) << u"2025-11-25"_s << when << true;
        QTest::addRow("%s, remembered for another version", qPrintable(when))
                << u"2025-06-18"_s << when << false;
        QTest::addRow("%s, nothing remembered", qPrintable(when)) << QString() << when << false;
    }
}

void tst_UpstreamSession::initializeIsAnsweredFromMemoryDuringABrowserLogin()
{
    QFETCH(QString, rememberedFor);
    QFETCH(QString, when);
    QFETCH(bool, early);
    Harness h(Harness::authorizing(200));
    QSignalSpy remembered(&h.session, &UpstreamSession::initializeResultReceived);
    const QJsonObject memory{{u"protocolVersion"_s, u"2025-06-18"_s},
            {u"capabilities"_s, QJsonObject{{u"tools"_s, QJsonObject()}}},
            {u"serverInfo"_s, QJsonObject{{u"name"_s, u"remembered"_s}}}};
    if (!rememberedFor.isEmpty())
        h.session.setRememberedInitialize(rememberedFor, memory);
    if (when == u"held") {
        h.session.holdForAuthorization();
        h.send(Initialize);
        h.session.extendAuthorizationDeadline(60);
    } else if (when == u"challenged") {
        h.send(Initialize);
        h.era->to().authorizationChallenged(h.era->handleOf("0"), "Bearer", 401);
        h.session.extendAuthorizationDeadline(60);
    } else {
        h.session.holdForAuthorization();
        h.session.extendAuthorizationDeadline(60);
        h.send(Initialize);
    }
    QCOMPARE(h.received.size(), early ? 1 : 0);
    if (early) {
        const QJsonObject answer = object(h.received.first().first().toByteArray());
        QCOMPARE(answer.value(u"id"), QJsonValue(0));
        QCOMPARE(answer.value(u"result").toObject(), memory);
    }
    // The host's next messages wait for the login, longer than the 200 ms deadline.
    h.send(Initialized);
    h.send(call("1"));
    QTest::qWait(400);
    QCOMPARE(h.failed.size(), 0);
    // The login ends: the initialize goes upstream (again), then the rest in order.
    h.session.finishAuthorization(true, {});
    const Handle initialize = h.era->handleOf("0");
    QVERIFY(initialize != 0);
    QVERIFY(h.era->lastSent(u"tools/call"_s) == nullptr);
    h.era->answer(initialize, InitializeResult);
    QCOMPARE(h.received.size(), 1); // the server's answer reaches the host only when not early
    if (!early)
        QCOMPARE(object(h.received.first().first().toByteArray())
                         .value(u"result")[u"serverInfo"][u"name"],
                QJsonValue(u"s"_s));
    QCOMPARE(h.session.protocolVersion(), u"2025-06-18"_s);
    QCOMPARE(remembered.size(), 1); // the new result is offered for the next run
    QCOMPARE(remembered.first().at(0).toString(), u"2025-11-25"_s);
    h.era->to().messageDelivered(h.era->lastSent(u"notifications/initialized"_s)->handle, 202);
    QVERIFY(h.era->lastSent(u"tools/call"_s) != nullptr);
    h.era->answer(h.era->handleOf("1"), result("1"));
    QCOMPARE(h.received.size(), 2);
    QCOMPARE(h.failed.size(), 0);
}

void tst_UpstreamSession::renewalPointAsksBeforeSending()
{
    Harness h(Harness::authorizing());
    h.session.setRenewalPoint(QDateTime::currentDateTimeUtc().addSecs(-1));
    h.send(call("1"));
    QCOMPARE(h.authorizations.size(), 1);
    QCOMPARE(h.authorizations.first().at(1).toInt(), 0);
    QVERIFY(h.era->sent.isEmpty());
    h.session.finishAuthorization(true, {});
    QCOMPARE(h.era->sent.size(), 1);
    h.send(call("2")); // the point was used up
    QCOMPARE(h.authorizations.size(), 1);
}

void tst_UpstreamSession::expiredSessionIsReinitializedTransparently()
{
    Harness h;
    h.handshake();
    h.send(call("1"));
    const Handle handle = h.era->handleOf("1");
    const qsizetype before = h.received.size();
    h.era->to().sessionExpired(handle, TransportError::upstreamStatus(404, "gone"));
    QVERIFY(h.era->session.isEmpty()); // forgotten
    const FakeEra::Sent *replay = h.era->lastSent(u"initialize"_s);
    QVERIFY(replay->handle != h.era->handleOf("0"));
    QCOMPARE(object(replay->body).value(u"id").toString(), u"mcp-oauth2-proxy-reinit-1"_s);
    QCOMPARE(object(replay->body).value(u"params"), object(Initialize).value(u"params"));
    h.send(call("2")); // waits for the new session
    QCOMPARE(h.era->handleOf("2"), Handle(0));
    h.era->answer(replay->handle,
            R"({"jsonrpc":"2.0","id":"mcp-oauth2-proxy-reinit-1","result":{"protocolVersion":"2025-06-18"}})");
    QCOMPARE(h.received.size(), before); // never shown to the client
    const FakeEra::Sent *initialized = h.era->lastSent(u"notifications/initialized"_s);
    QCOMPARE(initialized->body, Initialized); // the client's own
    QVERIFY(h.era->resent.isEmpty());
    h.era->to().messageDelivered(initialized->handle, 202);
    QCOMPARE(h.era->resent, QList<Handle>{handle}); // the failed message, once
    QVERIFY(h.era->handleOf("2") != 0);
    h.era->answer(handle, result("1"));
    QCOMPARE(h.received.last().first().toByteArray(), result("1"));
    // A second expiry of the same message is not retried again.
    h.send(call("3"));
    const Handle third = h.era->handleOf("3");
    h.era->to().sessionExpired(third, TransportError::upstreamStatus(404, "gone"));
    h.era->answer(h.era->lastSent(u"initialize"_s)->handle,
            R"({"jsonrpc":"2.0","id":"mcp-oauth2-proxy-reinit-2","result":{}})");
    h.era->to().messageDelivered(h.era->lastSent(u"notifications/initialized"_s)->handle, 202);
    h.era->to().sessionExpired(third, TransportError::upstreamStatus(404, "gone"));
    QCOMPARE(h.lastError().value(u"error")[u"data"][u"status"].toInt(), 404);
}

void tst_UpstreamSession::failedReinitializationIsRetriedBeforeTheNextMessage()
{
    Harness h;
    h.handshake();
    h.send(call("1"));
    h.era->to().sessionExpired(h.era->handleOf("1"), TransportError::upstreamStatus(404, "gone"));
    h.era->to().messageFailed(
            h.era->lastSent(u"initialize"_s)->handle, TransportError::upstreamStatus(500, "down"));
    const QJsonObject error = h.lastError().value(u"error").toObject();
    QCOMPARE(error.value(u"code").toInt(), -32001);
    QCOMPARE(error.value(u"data")[u"status"].toInt(), 404);
    // The next message re-initializes first instead of going out without a session.
    const qsizetype sent = h.era->sent.size();
    h.send(call("2"));
    QCOMPARE(h.era->sent.size(), sent + 1);
    QCOMPARE(h.era->sent.last().message.method(), u"initialize"_s);
    h.era->answer(h.era->sent.last().handle,
            R"({"jsonrpc":"2.0","id":"mcp-oauth2-proxy-reinit-2","result":{}})");
    h.era->to().messageDelivered(h.era->lastSent(u"notifications/initialized"_s)->handle, 202);
    QVERIFY(h.era->handleOf("2") != 0);
}

void tst_UpstreamSession::serverStreamChallengeAndExpiry()
{
    Harness h(Harness::authorizing());
    h.handshake();
    QCOMPARE(h.era->streamOpened, 1);
    QVERIFY(h.era->to().serverStreamChallenged("Bearer"));
    QCOMPARE(h.authorizations.size(), 1);
    h.session.finishAuthorization(true, {});
    QCOMPARE(h.era->streamOpened, 2);
    QVERIFY(h.era->to().serverStreamSessionExpired());
    QCOMPARE(h.era->sent.last().message.method(), u"initialize"_s);
    Harness without;
    QVERIFY(!without.era->to().serverStreamChallenged("Bearer"));
    QVERIFY(!without.era->to().serverStreamSessionExpired()); // no initialize to replay
}

void tst_UpstreamSession::shutdownFailsWhatIsOwed()
{
    Harness h;
    h.handshake();
    h.send(call("8"));
    const Handle handle = h.era->handleOf("8");
    QSignalSpy finished(&h.session, &UpstreamSession::shutdownFinished);
    h.session.shutdown();
    QCOMPARE(h.lastError().value(u"error")[u"data"][u"reason"].toString(),
            u"proxy is shutting down"_s);
    QVERIFY(h.era->aborted.contains(handle));
    QVERIFY(h.era->ended);
    QCOMPARE(h.idle.size(), 2); // after the handshake's initialize, and now
    h.era->to().sessionEnded();
    QCOMPARE(finished.size(), 1);
    // After shutdown, new requests fail at once; a late response is dropped.
    h.send(call("9"));
    QCOMPARE(h.failed.size(), 2);
    h.era->respond(result("8"));
    QCOMPARE(h.received.size(), 1); // the initialize result only
}

void tst_UpstreamSession::keepAlivePingsAreNeverShown()
{
    // upstream.pingIntervalMs (mcp-remote's --keep-alive): pings into the live session, one at a
    // time, their answers (or failures) never reach the host, and they stop at shutdown.
    UpstreamSession::Options options;
    options.pingIntervalMs = 20;
    Harness h(options);
    QTest::qWait(60);
    QCOMPARE(h.era->sent.size(), 0); // no session yet: nothing to keep alive
    h.handshake();
    const int afterHandshake = int(h.received.size());
    const int idleAfterHandshake = int(h.idle.size());
    QTRY_VERIFY(h.era->lastSent(u"ping"_s) != nullptr);
    const FakeEra::Sent first = *h.era->lastSent(u"ping"_s);
    QVERIFY(first.message.rawId().startsWith("\"mcp-oauth2-proxy-ping-"));
    QTest::qWait(80);
    qsizetype pings = 0;
    for (const FakeEra::Sent &sent : std::as_const(h.era->sent))
        pings += sent.message.method() == u"ping"_s ? 1 : 0;
    QCOMPARE(pings, 1); // the first is still unanswered: no second one
    h.era->answer(first.handle,
            "{\"jsonrpc\":\"2.0\",\"id\":" + first.message.rawId() + ",\"result\":{}}");
    QTRY_VERIFY(h.era->lastSent(u"ping"_s)->handle != first.handle);
    const FakeEra::Sent second = *h.era->lastSent(u"ping"_s);
    h.era->to().messageFailed(second.handle, TransportError::timeout(1000));
    h.era->to().messageDelivered(second.handle, 0);
    QCOMPARE(h.received.size(), afterHandshake); // no ping answer reached the host
    QCOMPARE(h.failed.size(), 0);
    QCOMPARE(h.idle.size(), idleAfterHandshake); // a ping is never owed to the host
    h.session.shutdown();
    const qsizetype sent = h.era->sent.size();
    QTest::qWait(80);
    QCOMPARE(h.era->sent.size(), sent);
}

QTEST_GUILESS_MAIN(tst_UpstreamSession)
#include "tst_upstreamsession.moc"
