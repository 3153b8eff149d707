#include "mcp/inputrequiredbridge.h"

#include "jsonrpc/jsonrpcmessage.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtTest/QTest>

using namespace McpProxy;
using namespace Qt::StringLiterals;

using Kind = InputRequiredBridge::Step::Kind;

namespace McpProxy {

char *toString(InputRequiredBridge::Step::Kind kind)
{
    switch (kind) {
    case Kind::Ignored:
        return qstrdup("Ignored");
    case Kind::AwaitHost:
        return qstrdup("AwaitHost");
    case Kind::Continue:
        return qstrdup("Continue");
    case Kind::Fail:
        return qstrdup("Fail");
    case Kind::Cancelled:
        return qstrdup("Cancelled");
    case Kind::Complete:
        return qstrdup("Complete");
    }
    return qstrdup("?");
}

} // namespace McpProxy

namespace {

QJsonObject object(const QByteArray &json)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError)
        qFatal("bad JSON: %s in %s", qPrintable(error.errorString()), json.constData());
    return document.object();
}

const QJsonObject AllCapabilities = QJsonObject{{u"elicitation"_s, QJsonObject{}},
        {u"sampling"_s, QJsonObject{}}, {u"roots"_s, QJsonObject{{u"listChanged"_s, true}}}};

const QByteArray ConfirmRequest = R"({"resultType":"input_required","inputRequests":{
    "confirm":{"method":"elicitation/create","params":{"message":"Please confirm to continue",
    "requestedSchema":{"type":"object","properties":{"confirmed":{"type":"boolean"}}}}}},
    "requestState":"eyJub25jZSI6ImFiYyJ9.c2lnbmF0dXJl"})";

const QString HostKey = JsonRpcMessage::idKey(QJsonValue(1));
const QJsonObject CallParams = QJsonObject{{u"name"_s, u"test_mrtr_echo_state"_s},
        {u"arguments"_s, QJsonObject{{u"x"_s, 1}}},
        {u"_meta"_s, QJsonObject{{u"progressToken"_s, 5}}}};

QJsonObject answer(const QJsonValue &id, const QJsonObject &result)
{
    return QJsonObject{{u"jsonrpc"_s, u"2.0"_s}, {u"id"_s, id}, {u"result"_s, result}};
}

QJsonObject errorAnswer(const QJsonValue &id, int code, const QString &message)
{
    return QJsonObject{{u"jsonrpc"_s, u"2.0"_s}, {u"id"_s, id},
            {u"error"_s, QJsonObject{{u"code"_s, code}, {u"message"_s, message}}}};
}

} // namespace

class tst_InputRequiredBridge : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void isInputRequired_data();
    void isInputRequired();
    void methodSupportsInputRequired();
    void basicElicitation();
    void noRequestStateNoneSent();
    void multipleInputRequests();
    void eachInputMethod_data();
    void eachInputMethod();
    void stateOnlyLeg();
    void multiRoundAndBound();
    void invalidResults_data();
    void invalidResults();
    void missingCapability_data();
    void missingCapability();
    void hostError();
    void unknownAndDuplicateIds();
    void hostCancels();
    void abandonOnDeadline();
    void completeUnderHostId_data();
    void completeUnderHostId();
    void parallelFlowsAreIsolated();
    void hugeStateAndManyInputs();
};

void tst_InputRequiredBridge::isInputRequired_data()
{
    QTest::addColumn<QByteArray>("result");
    QTest::addColumn<bool>("inputRequired");
    QTest::newRow("input_required") << R"({"resultType":"input_required"})"_ba << true;
    QTest::newRow("complete") << R"({"resultType":"complete","content":[]})"_ba << false;
    QTest::newRow("missing means complete") << R"({"content":[]})"_ba << false;
    QTest::newRow("other case") << R"({"resultType":"INPUT_REQUIRED"})"_ba << false;
    QTest::newRow("not a string") << R"({"resultType":1})"_ba << false;
    QTest::newRow("unknown type") << R"({"resultType":"task"})"_ba << false;
}

void tst_InputRequiredBridge::isInputRequired()
{
    QFETCH(QByteArray, result);
    QFETCH(bool, inputRequired);
    QCOMPARE(InputRequiredBridge::isInputRequired(object(result)), inputRequired);
}

void tst_InputRequiredBridge::methodSupportsInputRequired()
{
    for (const QString &method : {u"tools/call"_s, u"prompts/get"_s, u"resources/read"_s})
        QVERIFY(InputRequiredBridge::methodSupportsInputRequired(method));
    for (const QString &method : {u"tools/list"_s, u"initialize"_s, u"ping"_s, u"Tools/Call"_s})
        QVERIFY(!InputRequiredBridge::methodSupportsInputRequired(method));
}

void tst_InputRequiredBridge::basicElicitation()
{
    InputRequiredBridge bridge;
    bridge.setHostCapabilities(AllCapabilities);
    const QJsonObject result = object(ConfirmRequest);
    const auto ask = bridge.handleInputRequired(HostKey, "1", u"tools/call"_s, CallParams, result);
    QCOMPARE(ask.kind, Kind::AwaitHost);
    QCOMPARE(ask.hostMessages.size(), 1);
    QVERIFY(bridge.hasFlow(HostKey));
    QVERIFY(bridge.isAwaitingHost(HostKey));
    QCOMPARE(bridge.roundsOf(HostKey), 1);

    // The host gets a 2025-era server→client request, one JSON line, with a string id of ours.
    QVERIFY(!ask.hostMessages.first().contains('\n'));
    const JsonRpcMessage message = JsonRpcMessage::classify(ask.hostMessages.first());
    QVERIFY(message.isRequest());
    QCOMPARE(message.method(), u"elicitation/create"_s);
    QVERIFY(message.id().isString());
    QVERIFY(message.id().toString().startsWith(InputRequiredBridge::defaultIdPrefix()));
    QVERIFY(bridge.ownsResponseId(message.id()));
    const QJsonObject sent = object(ask.hostMessages.first());
    QCOMPARE(sent.value(u"params"_s),
            result.value(u"inputRequests"_s)[u"confirm"_s].toObject().value(u"params"_s));

    const QJsonObject accept = object(R"({"action":"accept","content":{"confirmed":true}})");
    const auto next = bridge.handleHostResponse(answer(message.id(), accept));
    QCOMPARE(next.kind, Kind::Continue);
    QVERIFY(next.hostMessages.isEmpty());
    QVERIFY(!next.stateOnly);
    QVERIFY(!bridge.isAwaitingHost(HostKey));
    QVERIFY(bridge.hasFlow(HostKey));

    const QJsonObject retry = next.continuation;
    QCOMPARE(retry.value(u"jsonrpc"_s).toString(), u"2.0"_s);
    QCOMPARE(retry.value(u"method"_s).toString(), u"tools/call"_s);
    QVERIFY(retry.value(u"id"_s).isString());
    QVERIFY(retry.value(u"id"_s) != QJsonValue(1));
    QVERIFY(retry.value(u"id"_s) != message.id());
    QJsonObject expectedParams = CallParams;
    expectedParams.insert(u"inputResponses"_s, QJsonObject{{u"confirm"_s, accept}});
    expectedParams.insert(u"requestState"_s, result.value(u"requestState"_s));
    QCOMPARE(retry.value(u"params"_s).toObject(), expectedParams);

    // The second answer to the same id changes nothing.
    QCOMPARE(bridge.handleHostResponse(answer(message.id(), accept)).kind, Kind::Ignored);
}

void tst_InputRequiredBridge::noRequestStateNoneSent()
{
    InputRequiredBridge bridge;
    bridge.setHostCapabilities(AllCapabilities);
    QJsonObject result = object(ConfirmRequest);
    result.remove(u"requestState"_s);
    // The host's own params never smuggle state into a retry.
    QJsonObject params = CallParams;
    params.insert(u"requestState"_s, u"from the host"_s);
    params.insert(u"inputResponses"_s, QJsonObject{{u"x"_s, 1}});
    const auto ask = bridge.handleInputRequired(HostKey, "1", u"tools/call"_s, params, result);
    QCOMPARE(ask.kind, Kind::AwaitHost);
    const QJsonValue id = object(ask.hostMessages.first()).value(u"id"_s);
    const auto next = bridge.handleHostResponse(answer(id, object(R"({"action":"decline"})")));
    QCOMPARE(next.kind, Kind::Continue);
    const QJsonObject retryParams = next.continuation.value(u"params"_s).toObject();
    QVERIFY(!retryParams.contains(u"requestState"_s));
    QCOMPARE(retryParams.value(u"inputResponses"_s).toObject(),
            object(R"({"confirm":{"action":"decline"}})"));
}

void tst_InputRequiredBridge::multipleInputRequests()
{
    InputRequiredBridge bridge;
    bridge.setHostCapabilities(AllCapabilities);
    const QJsonObject result = object(R"({"resultType":"input_required","inputRequests":{
        "github_login":{"method":"elicitation/create","params":{"mode":"form","message":"Name?",
            "requestedSchema":{"type":"object","properties":{"name":{"type":"string"}}}}},
        "capital_of_france":{"method":"sampling/createMessage","params":{"messages":[{"role":"user",
            "content":{"type":"text","text":"Capital of France?"}}],"maxTokens":100}},
        "where":{"method":"roots/list"}},"requestState":"s1"})");
    const auto ask = bridge.handleInputRequired(
            u"s:abc"_s, R"("abc")", u"prompts/get"_s, QJsonObject{{u"name"_s, u"p"_s}}, result);
    QCOMPARE(ask.kind, Kind::AwaitHost);
    QCOMPARE(ask.hostMessages.size(), 3);

    QHash<QString, QJsonValue> idByMethod;
    QSet<QString> ids;
    for (const QByteArray &line : ask.hostMessages) {
        const QJsonObject request = object(line);
        idByMethod.insert(request.value(u"method"_s).toString(), request.value(u"id"_s));
        ids.insert(request.value(u"id"_s).toString());
        if (request.value(u"method"_s).toString() == u"roots/list"_s)
            QVERIFY(!request.contains(u"params"_s));
    }
    QCOMPARE(ids.size(), 3);

    // Answers in any order; the round completes with the last one.
    const QJsonObject roots = object(R"({"roots":[{"uri":"file:///tmp"}]})");
    const QJsonObject sample = object(
            R"({"role":"assistant","content":{"type":"text","text":"Paris"},"model":"m","stopReason":"endTurn"})");
    const QJsonObject login = object(R"({"action":"accept","content":{"name":"octocat"}})");
    auto step = bridge.handleHostResponse(answer(idByMethod.value(u"roots/list"_s), roots));
    QCOMPARE(step.kind, Kind::AwaitHost);
    QVERIFY(step.hostMessages.isEmpty());
    step = bridge.handleHostResponse(answer(idByMethod.value(u"sampling/createMessage"_s), sample));
    QCOMPARE(step.kind, Kind::AwaitHost);
    QVERIFY(bridge.isAwaitingHost(u"s:abc"_s));
    step = bridge.handleHostResponse(answer(idByMethod.value(u"elicitation/create"_s), login));
    QCOMPARE(step.kind, Kind::Continue);
    QCOMPARE(step.continuation.value(u"method"_s).toString(), u"prompts/get"_s);
    const QJsonObject params = step.continuation.value(u"params"_s).toObject();
    QCOMPARE(params.value(u"name"_s).toString(), u"p"_s);
    QCOMPARE(params.value(u"requestState"_s).toString(), u"s1"_s);
    QCOMPARE(params.value(u"inputResponses"_s).toObject(),
            (QJsonObject{{u"github_login"_s, login}, {u"capital_of_france"_s, sample},
                    {u"where"_s, roots}}));
}

void tst_InputRequiredBridge::eachInputMethod_data()
{
    QTest::addColumn<QString>("originalMethod");
    QTest::addColumn<QByteArray>("inputRequest");
    QTest::newRow("elicitation on tools/call")
            << u"tools/call"_s << R"({"method":"elicitation/create","params":{"message":"m"}})"_ba;
    QTest::newRow("sampling on resources/read")
            << u"resources/read"_s
            << R"({"method":"sampling/createMessage","params":{"messages":[],"maxTokens":1}})"_ba;
    QTest::newRow("roots on prompts/get") << u"prompts/get"_s << R"({"method":"roots/list"})"_ba;
    QTest::newRow("url elicitation")
            << u"tools/call"_s
            << R"({"method":"elicitation/create","params":{"mode":"url","message":"m","url":"https://example.com/x"}})"_ba;
    QTest::newRow("url elicitation with its own elicitationId")
            << u"tools/call"_s
            << R"({"method":"elicitation/create","params":{"mode":"url","message":"m","url":"https://example.com/x","elicitationId":"e1"}})"_ba;
    QTest::newRow("roots with empty params")
            << u"tools/call"_s << R"({"method":"roots/list","params":{}})"_ba;
}

void tst_InputRequiredBridge::eachInputMethod()
{
    QFETCH(QString, originalMethod);
    QFETCH(QByteArray, inputRequest);
    InputRequiredBridge bridge;
    bridge.setHostCapabilities(QJsonObject{
            {u"elicitation"_s, QJsonObject{{u"form"_s, QJsonObject{}}, {u"url"_s, QJsonObject{}}}},
            {u"sampling"_s, QJsonObject{}}, {u"roots"_s, QJsonObject{}}});
    const QJsonObject result{{u"resultType"_s, u"input_required"_s},
            {u"inputRequests"_s, QJsonObject{{u"k"_s, object(inputRequest)}}}};
    const auto ask = bridge.handleInputRequired(HostKey, "1", originalMethod, {}, result);
    QCOMPARE(ask.kind, Kind::AwaitHost);
    const QJsonObject sent = object(ask.hostMessages.first());
    QCOMPARE(sent.value(u"method"_s), object(inputRequest).value(u"method"_s));
    QJsonObject expectedParams = object(inputRequest).value(u"params"_s).toObject();
    // A 2025-11-25 host needs an elicitationId on URL elicitation, which 2026-07-28 dropped.
    if (expectedParams.value(u"mode"_s) == u"url"_s && !expectedParams.contains(u"elicitationId"_s))
        expectedParams.insert(u"elicitationId"_s, sent.value(u"id"_s));
    QCOMPARE(sent.value(u"params"_s).toObject(), expectedParams);
    const auto next = bridge.handleHostResponse(
            answer(object(ask.hostMessages.first()).value(u"id"_s), QJsonObject{}));
    QCOMPARE(next.kind, Kind::Continue);
    QCOMPARE(next.continuation.value(u"method"_s).toString(), originalMethod);
    QCOMPARE(next.continuation.value(u"params"_s).toObject(),
            (QJsonObject{{u"inputResponses"_s, QJsonObject{{u"k"_s, QJsonObject{}}}}}));
}

void tst_InputRequiredBridge::stateOnlyLeg()
{
    InputRequiredBridge bridge;
    const auto step = bridge.handleInputRequired(HostKey, "1", u"tools/call"_s, CallParams,
            object(R"({"resultType":"input_required","requestState":"busy, retry"})"));
    QCOMPARE(step.kind, Kind::Continue);
    QVERIFY(step.stateOnly);
    QVERIFY(step.hostMessages.isEmpty());
    QJsonObject expected = CallParams;
    expected.insert(u"requestState"_s, u"busy, retry"_s);
    QCOMPARE(step.continuation.value(u"params"_s).toObject(), expected);

    // An empty inputRequests object is the same as none.
    const auto empty = bridge.handleInputRequired(HostKey, "1", u"tools/call"_s, CallParams,
            object(R"({"resultType":"input_required","inputRequests":{},"requestState":"x"})"));
    QCOMPARE(empty.kind, Kind::Continue);
    QCOMPARE(bridge.roundsOf(HostKey), 2);
}

void tst_InputRequiredBridge::multiRoundAndBound()
{
    InputRequiredBridge bridge;
    bridge.setHostCapabilities(AllCapabilities);
    QSet<QString> continuationIds;
    for (int round = 1; round <= InputRequiredBridge::MaxRounds; ++round) {
        const QJsonObject result{{u"resultType"_s, u"input_required"_s},
                {u"inputRequests"_s,
                        QJsonObject{{u"q%1"_s.arg(round),
                                QJsonObject{{u"method"_s, u"elicitation/create"_s},
                                        {u"params"_s, QJsonObject{{u"message"_s, u"again"_s}}}}}}},
                {u"requestState"_s, u"state-%1"_s.arg(round)}};
        // The owner passes the host's original method and params every time; only the first
        // call's are kept.
        const auto ask = bridge.handleInputRequired(HostKey, "1", u"tools/call"_s,
                round == 1 ? CallParams : QJsonObject{{u"changed"_s, true}}, result);
        QCOMPARE(ask.kind, Kind::AwaitHost);
        QCOMPARE(bridge.roundsOf(HostKey), round);
        const auto next =
                bridge.handleHostResponse(answer(object(ask.hostMessages.first()).value(u"id"_s),
                        QJsonObject{{u"action"_s, u"cancel"_s}}));
        QCOMPARE(next.kind, Kind::Continue);
        const QJsonObject params = next.continuation.value(u"params"_s).toObject();
        // Each retry carries only this round's responses and this round's state.
        QCOMPARE(params.value(u"inputResponses"_s).toObject().keys(),
                QStringList{u"q%1"_s.arg(round)});
        QCOMPARE(params.value(u"requestState"_s).toString(), u"state-%1"_s.arg(round));
        QCOMPARE(params.value(u"name"_s), CallParams.value(u"name"_s));
        QVERIFY(!params.contains(u"changed"_s));
        continuationIds.insert(next.continuation.value(u"id"_s).toString());
    }
    QCOMPARE(continuationIds.size(), InputRequiredBridge::MaxRounds);

    const auto tooMany = bridge.handleInputRequired(
            HostKey, "1", u"tools/call"_s, CallParams, object(ConfirmRequest));
    QCOMPARE(tooMany.kind, Kind::Fail);
    QCOMPARE(tooMany.hostMessages.size(), 1);
    const JsonRpcMessage error = JsonRpcMessage::classify(tooMany.hostMessages.first());
    QVERIFY(error.isErrorResponse());
    QCOMPARE(error.rawId(), "1"_ba);
    QCOMPARE(tooMany.errorCode, int(JsonRpcErrorCode::InternalError));
    QVERIFY(tooMany.errorMessage.contains(u"10 rounds"_s));
    QVERIFY(!bridge.hasFlow(HostKey));
}

void tst_InputRequiredBridge::invalidResults_data()
{
    QTest::addColumn<QString>("method");
    QTest::addColumn<QByteArray>("result");
    QTest::addColumn<QString>("messagePart");

    QTest::newRow("neither") << u"tools/call"_s << R"({"resultType":"input_required"})"_ba
                             << u"neither"_s;
    QTest::newRow("empty requests, no state")
            << u"tools/call"_s << R"({"resultType":"input_required","inputRequests":{}})"_ba
            << u"neither"_s;
    QTest::newRow("inputRequests array")
            << u"tools/call"_s << R"({"resultType":"input_required","inputRequests":[]})"_ba
            << u"not an object"_s;
    QTest::newRow("requestState number")
            << u"tools/call"_s << R"({"resultType":"input_required","requestState":5})"_ba
            << u"not a string"_s;
    QTest::newRow("entry not an object")
            << u"tools/call"_s << R"({"resultType":"input_required","inputRequests":{"a":"x"}})"_ba
            << u"not a request object"_s;
    QTest::newRow("entry without method")
            << u"tools/call"_s
            << R"({"resultType":"input_required","inputRequests":{"a":{"params":{}}}})"_ba
            << u"not a request object"_s;
    QTest::newRow("params not an object")
            << u"tools/call"_s
            << R"({"resultType":"input_required","inputRequests":{"a":{"method":"roots/list","params":[]}}})"_ba
            << u"not a request object"_s;
    QTest::newRow("unsupported input method")
            << u"tools/call"_s
            << R"({"resultType":"input_required","inputRequests":{"a":{"method":"tools/call","params":{}}}})"_ba
            << u"not an input request method"_s;
    QTest::newRow("ping as input")
            << u"tools/call"_s
            << R"({"resultType":"input_required","inputRequests":{"a":{"method":"ping"}}})"_ba
            << u"not an input request method"_s;
    QTest::newRow("one bad among good ones")
            << u"tools/call"_s
            << R"({"resultType":"input_required","inputRequests":{"a":{"method":"roots/list"},"b":{"method":"x\r\ny"}}})"_ba
            << u"not an input request method"_s;
    QTest::newRow("non-MRTR method")
            << u"tools/list"_s << R"({"resultType":"input_required","requestState":"s"})"_ba
            << u"tools/list"_s;
    QTest::newRow("initialize") << u"initialize"_s
                                << R"({"resultType":"input_required","requestState":"s"})"_ba
                                << u"initialize"_s;
}

void tst_InputRequiredBridge::invalidResults()
{
    QFETCH(QString, method);
    QFETCH(QByteArray, result);
    QFETCH(QString, messagePart);
    InputRequiredBridge bridge;
    bridge.setHostCapabilities(AllCapabilities);
    const auto step = bridge.handleInputRequired(u"n:7"_s, "7", method, {}, object(result));
    QCOMPARE(step.kind, Kind::Fail);
    QVERIFY2(step.errorMessage.contains(messagePart), qPrintable(step.errorMessage));
    // Nothing was asked of the host: the only message is the error answer.
    QCOMPARE(step.hostMessages.size(), 1);
    const JsonRpcMessage error = JsonRpcMessage::classify(step.hostMessages.first());
    QVERIFY(error.isResponse());
    QVERIFY(error.isErrorResponse());
    QCOMPARE(error.rawId(), "7"_ba);
    QVERIFY(!step.hostMessages.first().contains('\n'));
    QVERIFY(!bridge.hasFlow(u"n:7"_s));
    QVERIFY(bridge.flows().isEmpty());
}

void tst_InputRequiredBridge::missingCapability_data()
{
    QTest::addColumn<QByteArray>("capabilities");
    QTest::addColumn<QByteArray>("inputRequest");
    QTest::addColumn<QString>("missing"); // empty: allowed

    const QByteArray form = R"({"method":"elicitation/create","params":{"message":"m"}})";
    const QByteArray formMode =
            R"({"method":"elicitation/create","params":{"mode":"form","message":"m"}})";
    const QByteArray urlMode =
            R"({"method":"elicitation/create","params":{"mode":"url","message":"m","url":"https://x"}})";
    const QByteArray sampling =
            R"({"method":"sampling/createMessage","params":{"messages":[],"maxTokens":1}})";
    const QByteArray samplingTools =
            R"({"method":"sampling/createMessage","params":{"messages":[],"maxTokens":1,"tools":[]}})";
    const QByteArray roots = R"({"method":"roots/list"})";

    QTest::newRow("no capabilities, elicitation") << "{}"_ba << form << u"elicitation"_s;
    QTest::newRow("empty elicitation means form")
            << R"({"elicitation":{}})"_ba << formMode << QString();
    QTest::newRow("form declared") << R"({"elicitation":{"form":{}}})"_ba << form << QString();
    QTest::newRow("url only, form asked")
            << R"({"elicitation":{"url":{}}})"_ba << form << u"elicitation.form"_s;
    QTest::newRow("form only, url asked")
            << R"({"elicitation":{"form":{}}})"_ba << urlMode << u"elicitation.url"_s;
    QTest::newRow("empty elicitation, url asked")
            << R"({"elicitation":{}})"_ba << urlMode << u"elicitation.url"_s;
    QTest::newRow("url declared") << R"({"elicitation":{"url":{}}})"_ba << urlMode << QString();
    QTest::newRow("unknown mode")
            << R"({"elicitation":{"form":{},"url":{}}})"_ba
            << R"({"method":"elicitation/create","params":{"mode":"telepathy"}})"_ba
            << u"elicitation.telepathy"_s;
    QTest::newRow("elicitation not an object")
            << R"({"elicitation":true})"_ba << form << u"elicitation"_s;
    QTest::newRow("no sampling") << R"({"elicitation":{}})"_ba << sampling << u"sampling"_s;
    QTest::newRow("sampling") << R"({"sampling":{}})"_ba << sampling << QString();
    QTest::newRow("sampling with tools, not declared")
            << R"({"sampling":{}})"_ba << samplingTools << u"sampling.tools"_s;
    QTest::newRow("sampling with tools")
            << R"({"sampling":{"tools":{}}})"_ba << samplingTools << QString();
    QTest::newRow("no roots") << R"({"sampling":{}})"_ba << roots << u"roots"_s;
    QTest::newRow("roots") << R"({"roots":{}})"_ba << roots << QString();
}

void tst_InputRequiredBridge::missingCapability()
{
    QFETCH(QByteArray, capabilities);
    QFETCH(QByteArray, inputRequest);
    QFETCH(QString, missing);
    InputRequiredBridge bridge;
    bridge.setHostCapabilities(object(capabilities));
    const QJsonObject result{{u"resultType"_s, u"input_required"_s},
            {u"inputRequests"_s, QJsonObject{{u"k"_s, object(inputRequest)}}}};
    const auto step = bridge.handleInputRequired(HostKey, "1", u"tools/call"_s, {}, result);
    if (missing.isEmpty()) {
        QCOMPARE(step.kind, Kind::AwaitHost);
        return;
    }
    QCOMPARE(step.kind, Kind::Fail);
    QVERIFY2(step.errorMessage.contains(u"the %1 capability"_s.arg(missing)),
            qPrintable(step.errorMessage));
    QCOMPARE(step.hostMessages.size(), 1);
}

void tst_InputRequiredBridge::hostError()
{
    InputRequiredBridge bridge;
    bridge.setHostCapabilities(AllCapabilities);
    const QJsonObject result = object(R"({"resultType":"input_required","inputRequests":{
        "a":{"method":"elicitation/create","params":{"message":"m"}},
        "b":{"method":"roots/list"},"c":{"method":"roots/list"}}})");
    const auto ask = bridge.handleInputRequired(HostKey, "1", u"tools/call"_s, CallParams, result);
    QCOMPARE(ask.hostMessages.size(), 3);
    const QJsonValue first = object(ask.hostMessages.at(0)).value(u"id"_s);
    const QJsonValue second = object(ask.hostMessages.at(1)).value(u"id"_s);
    const QJsonValue third = object(ask.hostMessages.at(2)).value(u"id"_s);
    QCOMPARE(bridge.handleHostResponse(answer(first, QJsonObject{})).kind, Kind::AwaitHost);

    const auto failed =
            bridge.handleHostResponse(errorAnswer(second, -32601, u"Method not found"_s));
    QCOMPARE(failed.kind, Kind::Fail);
    QCOMPARE(failed.errorCode, -32601);
    QCOMPARE(failed.errorMessage, u"Method not found"_s);
    // The third request is withdrawn, then the original request fails under its id.
    QCOMPARE(failed.hostMessages.size(), 2);
    const QJsonObject cancelled = object(failed.hostMessages.at(0));
    QCOMPARE(cancelled.value(u"method"_s).toString(), u"notifications/cancelled"_s);
    QCOMPARE(cancelled.value(u"params"_s)[u"requestId"_s], third);
    QVERIFY(!cancelled.contains(u"id"_s));
    const QJsonObject error = object(failed.hostMessages.at(1));
    QCOMPARE(error.value(u"id"_s), QJsonValue(1));
    QCOMPARE(error.value(u"error"_s)[u"code"_s].toInt(), -32601);
    QVERIFY(!bridge.hasFlow(HostKey));

    // The late answer is still recognised as ours, and dropped.
    QVERIFY(bridge.ownsResponseId(third));
    QCOMPARE(bridge.handleHostResponse(answer(third, QJsonObject{})).kind, Kind::Ignored);

    // A host error without a usable code still fails the request, as an internal error.
    const auto again = bridge.handleInputRequired(
            HostKey, "1", u"tools/call"_s, CallParams, object(ConfirmRequest));
    const QJsonValue id = object(again.hostMessages.first()).value(u"id"_s);
    const auto odd = bridge.handleHostResponse(object(R"({"jsonrpc":"2.0","id":)"
            + QJsonDocument(QJsonArray{id}).toJson(QJsonDocument::Compact).mid(1).chopped(1)
            + R"(,"error":{"code":"bad","message":7}})"));
    QCOMPARE(odd.kind, Kind::Fail);
    QCOMPARE(odd.errorCode, int(JsonRpcErrorCode::InternalError));
    QVERIFY(!odd.errorMessage.isEmpty());
}

void tst_InputRequiredBridge::unknownAndDuplicateIds()
{
    InputRequiredBridge bridge;
    bridge.setHostCapabilities(AllCapabilities);
    const auto ask = bridge.handleInputRequired(
            HostKey, "1", u"tools/call"_s, CallParams, object(ConfirmRequest));
    const QJsonValue id = object(ask.hostMessages.first()).value(u"id"_s);

    QVERIFY(!bridge.ownsResponseId(QJsonValue(1)));
    QVERIFY(!bridge.ownsResponseId(QJsonValue(u"abc"_s)));
    QVERIFY(!bridge.ownsResponseId(QJsonValue(QJsonValue::Null)));
    QVERIFY(bridge.ownsResponseId(QJsonValue(InputRequiredBridge::defaultIdPrefix() + u"999"_s)));

    const QList<QJsonObject> strangers{answer(QJsonValue(1), {}),
            answer(QJsonValue(InputRequiredBridge::defaultIdPrefix() + u"999"_s), {}),
            answer(QJsonValue(QJsonValue::Null), {}), QJsonObject{},
            QJsonObject{{u"id"_s, id}}, // neither result nor error: not a response
            QJsonObject{{u"id"_s, id}, {u"result"_s, 5}}, // a result that is not an object
            QJsonObject{{u"id"_s, id}, {u"method"_s, u"ping"_s}}};
    for (const QJsonObject &stranger : strangers)
        QCOMPARE(bridge.handleHostResponse(stranger).kind, Kind::Ignored);
    QVERIFY(bridge.isAwaitingHost(HostKey));

    QCOMPARE(bridge.handleHostResponse(answer(id, {})).kind, Kind::Continue);
    QCOMPARE(bridge.handleHostResponse(answer(id, {})).kind, Kind::Ignored);
    QCOMPARE(bridge.handleHostResponse(errorAnswer(id, -1, u"late"_s)).kind, Kind::Ignored);
}

void tst_InputRequiredBridge::hostCancels()
{
    InputRequiredBridge bridge;
    bridge.setHostCapabilities(AllCapabilities);
    const QJsonObject result = object(R"({"resultType":"input_required","inputRequests":{
        "a":{"method":"roots/list"},"b":{"method":"roots/list"}}})");
    const auto ask = bridge.handleInputRequired(HostKey, "1", u"tools/call"_s, CallParams, result);
    const QJsonValue first = object(ask.hostMessages.at(0)).value(u"id"_s);
    const QJsonValue second = object(ask.hostMessages.at(1)).value(u"id"_s);
    QCOMPARE(bridge.handleHostResponse(answer(first, {})).kind, Kind::AwaitHost);

    const auto cancelled = bridge.cancel(HostKey);
    QCOMPARE(cancelled.kind, Kind::Cancelled);
    // Only the still pending request is withdrawn, and no answer goes to the host.
    QCOMPARE(cancelled.hostMessages.size(), 1);
    const QJsonObject notification = object(cancelled.hostMessages.first());
    QCOMPARE(notification.value(u"method"_s).toString(), u"notifications/cancelled"_s);
    QCOMPARE(notification.value(u"params"_s)[u"requestId"_s], second);
    QVERIFY(!bridge.hasFlow(HostKey));
    QCOMPARE(bridge.handleHostResponse(answer(second, {})).kind, Kind::Ignored);
    QCOMPARE(bridge.cancel(HostKey).kind, Kind::Ignored);
    QCOMPARE(bridge.abandon(HostKey, u"x"_s).kind, Kind::Ignored);

    // Cancelled between rounds (the continuation is upstream): nothing to withdraw.
    const auto again = bridge.handleInputRequired(
            HostKey, "1", u"tools/call"_s, CallParams, object(ConfirmRequest));
    QCOMPARE(
            bridge.handleHostResponse(answer(object(again.hostMessages.first()).value(u"id"_s), {}))
                    .kind,
            Kind::Continue);
    const auto between = bridge.cancel(HostKey);
    QCOMPARE(between.kind, Kind::Cancelled);
    QVERIFY(between.hostMessages.isEmpty());
}

void tst_InputRequiredBridge::abandonOnDeadline()
{
    InputRequiredBridge bridge;
    bridge.setHostCapabilities(AllCapabilities);
    const auto ask = bridge.handleInputRequired(
            u"s:x"_s, R"("x")", u"tools/call"_s, CallParams, object(ConfirmRequest));
    QVERIFY(bridge.isAwaitingHost(u"s:x"_s));
    QCOMPARE(bridge.flows(), QStringList{u"s:x"_s});
    const auto failed = bridge.abandon(u"s:x"_s, u"the client did not answer in time"_s);
    QCOMPARE(failed.kind, Kind::Fail);
    QCOMPARE(failed.errorCode, int(JsonRpcErrorCode::ProxyError));
    QCOMPARE(failed.hostMessages.size(), 2);
    QCOMPARE(object(failed.hostMessages.at(0)).value(u"params"_s)[u"requestId"_s],
            object(ask.hostMessages.first()).value(u"id"_s));
    QCOMPARE(object(failed.hostMessages.at(0)).value(u"params"_s)[u"reason"_s].toString(),
            u"the client did not answer in time"_s);
    const JsonRpcMessage error = JsonRpcMessage::classify(failed.hostMessages.at(1));
    QCOMPARE(error.rawId(), R"("x")"_ba);
    QVERIFY(error.isErrorResponse());
    QVERIFY(!bridge.hasFlow(u"s:x"_s));
    QVERIFY(!bridge.isAwaitingHost(u"s:x"_s));
    QCOMPARE(bridge.roundsOf(u"s:x"_s), 0);
}

void tst_InputRequiredBridge::completeUnderHostId_data()
{
    QTest::addColumn<QByteArray>("rawId");
    QTest::addColumn<QByteArray>("resultJson");
    QTest::newRow("number id") << "7"_ba
                               << R"({"content":[{"type":"text","text":"ok"}]})"_ba;
    QTest::newRow("string id, escapes") << R"("a\u0041\"b")"_ba
                                        << R"({"resultType":"complete","content":[]})"_ba;
    QTest::newRow("big number kept as written") << "123456789012345678901234567890"_ba
                                                << R"({"v":1e400})"_ba;
    QTest::newRow("pretty result") << "1"_ba
                                   << "{\n  \"content\": []\r\n}"_ba;
}

void tst_InputRequiredBridge::completeUnderHostId()
{
    QFETCH(QByteArray, rawId);
    QFETCH(QByteArray, resultJson);
    InputRequiredBridge bridge;
    bridge.setHostCapabilities(AllCapabilities);
    const QString key = u"host"_s;
    QCOMPARE(bridge.handleComplete(key, resultJson).kind, Kind::Ignored);

    bridge.handleInputRequired(key, rawId, u"tools/call"_s, CallParams,
            object(R"({"resultType":"input_required","requestState":"s"})"));
    const auto done = bridge.handleComplete(key, resultJson);
    QCOMPARE(done.kind, Kind::Complete);
    QCOMPARE(done.hostMessages.size(), 1);
    const QByteArray line = done.hostMessages.first();
    QVERIFY(!line.contains('\n'));
    const JsonRpcMessage message = JsonRpcMessage::classify(line);
    QVERIFY(message.isResponse());
    QVERIFY(!message.isErrorResponse());
    QCOMPARE(message.rawId(), rawId);
    QVERIFY(line.contains(JsonRpcMessage::toSingleLine(resultJson)));
    QVERIFY(!bridge.hasFlow(key));
}

void tst_InputRequiredBridge::parallelFlowsAreIsolated()
{
    InputRequiredBridge bridge;
    bridge.setHostCapabilities(AllCapabilities);
    const QJsonObject paramsA{{u"name"_s, u"a"_s}};
    const QJsonObject paramsB{{u"name"_s, u"b"_s}};
    const auto askA = bridge.handleInputRequired(u"n:1"_s, "1", u"tools/call"_s, paramsA,
            object(R"({"resultType":"input_required","inputRequests":{"k":{"method":"roots/list"}},"requestState":"A"})"));
    const auto askB = bridge.handleInputRequired(u"n:2"_s, "2", u"tools/call"_s, paramsB,
            object(R"({"resultType":"input_required","inputRequests":{"k":{"method":"roots/list"}},"requestState":"B"})"));
    const QJsonValue idA = object(askA.hostMessages.first()).value(u"id"_s);
    const QJsonValue idB = object(askB.hostMessages.first()).value(u"id"_s);
    QVERIFY(idA != idB);

    const auto nextB =
            bridge.handleHostResponse(answer(idB, QJsonObject{{u"roots"_s, QJsonArray{}}}));
    QCOMPARE(nextB.kind, Kind::Continue);
    QCOMPARE(nextB.continuation.value(u"params"_s)[u"name"_s].toString(), u"b"_s);
    QCOMPARE(nextB.continuation.value(u"params"_s)[u"requestState"_s].toString(), u"B"_s);
    QVERIFY(bridge.isAwaitingHost(u"n:1"_s));
    bridge.finish(u"n:2"_s);
    QVERIFY(!bridge.hasFlow(u"n:2"_s));

    const auto nextA = bridge.handleHostResponse(answer(idA, QJsonObject{{u"roots"_s, 1}}));
    QCOMPARE(nextA.kind, Kind::Continue);
    QCOMPARE(nextA.continuation.value(u"params"_s)[u"requestState"_s].toString(), u"A"_s);
    QCOMPARE(nextA.continuation.value(u"params"_s)[u"inputResponses"_s][u"k"_s][u"roots"_s].toInt(),
            1);
    QVERIFY(nextA.continuation.value(u"id"_s) != nextB.continuation.value(u"id"_s));

    // finish() during a round drops its pending requests too.
    const auto askC = bridge.handleInputRequired(u"n:3"_s, "3", u"tools/call"_s, paramsA,
            object(R"({"resultType":"input_required","inputRequests":{"k":{"method":"roots/list"}}})"));
    bridge.finish(u"n:3"_s);
    QCOMPARE(bridge.handleHostResponse(answer(object(askC.hostMessages.first()).value(u"id"_s), {}))
                     .kind,
            Kind::Ignored);

    // A custom prefix is honoured.
    InputRequiredBridge custom(u"my-prefix/"_s);
    custom.setHostCapabilities(AllCapabilities);
    const auto askD = custom.handleInputRequired(u"n:4"_s, "4", u"tools/call"_s, paramsA,
            object(R"({"resultType":"input_required","inputRequests":{"k":{"method":"roots/list"}}})"));
    QVERIFY(object(askD.hostMessages.first())
                    .value(u"id"_s)
                    .toString()
                    .startsWith(u"my-prefix/"_s));
    QVERIFY(!custom.ownsResponseId(idA));
}

void tst_InputRequiredBridge::hugeStateAndManyInputs()
{
    InputRequiredBridge bridge;
    bridge.setHostCapabilities(AllCapabilities);
    // The requestState is opaque: echoed byte for byte, whatever it holds.
    QString state;
    for (int i = 0; i < 50000; ++i)
        state += u"\r\n\"\\世界\u0000"_s;
    QJsonObject inputs;
    for (int i = 0; i < InputRequiredBridge::MaxInputRequestsPerRound; ++i)
        inputs.insert(u"key \r\n%1 世界"_s.arg(i), QJsonObject{{u"method"_s, u"roots/list"_s}});
    const auto ask = bridge.handleInputRequired(HostKey, "1", u"tools/call"_s, CallParams,
            QJsonObject{{u"resultType"_s, u"input_required"_s}, {u"inputRequests"_s, inputs},
                    {u"requestState"_s, state}});
    QCOMPARE(ask.kind, Kind::AwaitHost);
    QCOMPARE(ask.hostMessages.size(), InputRequiredBridge::MaxInputRequestsPerRound);
    InputRequiredBridge::Step step;
    for (const QByteArray &line : ask.hostMessages) {
        QVERIFY(!line.contains('\n'));
        step = bridge.handleHostResponse(
                answer(object(line).value(u"id"_s), QJsonObject{{u"roots"_s, QJsonArray{}}}));
    }
    QCOMPARE(step.kind, Kind::Continue);
    const QJsonObject params = step.continuation.value(u"params"_s).toObject();
    QCOMPARE(params.value(u"requestState"_s).toString(), state);
    QCOMPARE(params.value(u"inputResponses"_s).toObject().keys(), inputs.keys());

    inputs.insert(u"one too many"_s, QJsonObject{{u"method"_s, u"roots/list"_s}});
    const auto refused = bridge.handleInputRequired(u"n:9"_s, "9", u"tools/call"_s, CallParams,
            QJsonObject{{u"resultType"_s, u"input_required"_s}, {u"inputRequests"_s, inputs}});
    QCOMPARE(refused.kind, Kind::Fail);
    QCOMPARE(refused.hostMessages.size(), 1);
}

QTEST_GUILESS_MAIN(tst_InputRequiredBridge)
#include "tst_inputrequiredbridge.moc"
