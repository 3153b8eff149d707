#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QHash>
#include <QtCore/QJsonObject>
#include <QtCore/QJsonValue>
#include <QtCore/QList>
#include <QtCore/QString>
#include <QtCore/QStringList>

namespace McpProxy {

// Multi round-trip requests (MCP 2026-07-28 basic/patterns/mrtr) for a host that does not speak
// 2026-07-28: a result with `resultType: "input_required"` becomes server→client requests to the
// host (elicitation/create, sampling/createMessage, roots/list, as 2025-era servers sent them),
// and the host's answers become the continuation: the original method and params plus
// `inputResponses` and the byte-exact `requestState`, under a new JSON-RPC id (mrtr "Client
// Requirements": the id MUST differ from the original's).
//
// Pure state machine, one per host connection, keyed by the host's request id key
// (JsonRpcMessage::idKey). Every call returns a Step: what to write to the host and/or what to send
// upstream. The owner does the I/O, owns the upstream request (its POST, its cancellation) and the
// deadline of a flow that waits on the host.
//
// How the owner wires it:
//  - host `initialize`: setHostCapabilities(params.capabilities).
//  - an upstream result for host request H (first leg or continuation) whose
//    isInputRequired(result): step = handleInputRequired(H.idKey, H.rawId, H.method, H.params,
//    result); else, if H has a flow (hasFlow), step = handleComplete(H.idKey, resultJson): the
//    final answer under H's original id (a missing resultType means complete). Without a flow the
//    owner forwards the result as it does today.
//  - a host message that is a response: if ownsResponseId(id) → handleHostResponse(message);
//    such responses never go upstream.
//  - host notifications/cancelled for H: step = cancel(H.idKey) (the owner still aborts the
//    upstream leg and sends no answer).
//  - the owner's deadline for a flow awaiting the host (isAwaitingHost): step =
//    abandon(H.idKey, reason).
//  - an upstream error for a continuation: finish(H.idKey), then the usual error to the host.
// Step::hostMessages are complete JSON-RPC lines (no trailing newline) for the host, in order;
// Step::continuation is the continuation request (JSON object with id/method/params) to send
// upstream for H, as the next leg of the same host request.
class InputRequiredBridge
{
public:
    // mrtr leaves the bound to the client; the official SDK client stops after 10 rounds.
    static constexpr int MaxRounds = 10;
    // More input requests in one result than this is treated as a hostile server.
    static constexpr int MaxInputRequestsPerRound = 64;

    // The id prefix of every request the bridge sends to the host (a string id, so it cannot
    // collide with a number id, and cannot collide with a string id the host never sees).
    static QString defaultIdPrefix() { return QStringLiteral("mcp-oauth2-proxy:input:"); }

    explicit InputRequiredBridge(const QString &idPrefix = defaultIdPrefix());

    // The host's initialize params.capabilities: which input requests it can answer.
    void setHostCapabilities(const QJsonObject &capabilities);

    // `resultType` is "input_required" (a missing resultType means complete, mrtr §Core Types).
    static bool isInputRequired(const QJsonObject &result);
    // The client requests that may end in input_required (mrtr "Supported Requests").
    static bool methodSupportsInputRequired(const QString &method);

    struct Step
    {
        enum class Kind {
            Ignored, // nothing to do (unknown, stale or duplicate response id; unknown flow)
            AwaitHost, // requests were sent to the host (in hostMessages); wait for its answers
            Continue, // send `continuation` upstream now
            Fail, // the flow is over: hostMessages hold the error answer to the host's request
            Cancelled, // the flow is over; hostMessages hold cancellations of pending host requests
            Complete // the flow is over; hostMessages hold the final result under the host's id
        };
        Kind kind = Kind::Ignored;
        QList<QByteArray> hostMessages;
        QJsonObject continuation; // Kind::Continue: {"jsonrpc","id","method","params"}
        // Kind::Continue: the leg carries no input responses (only requestState). The official SDK
        // waits 250 ms before such a leg; the owner may pace it likewise.
        bool stateOnly = false;
        // Kind::Fail: the JSON-RPC error sent to the host (also in hostMessages).
        int errorCode = 0;
        QString errorMessage;
    };

    // An input_required result for the host request `hostIdKey` (whose id's JSON text is
    // `hostRawId`, and whose method and params are the host's original ones). Validates the
    // result (an object inputRequests of at most MaxInputRequestsPerRound entries, each with a
    // supported method the host declared a capability for, and/or a string requestState),
    // counts the round, and returns AwaitHost (with the host requests), Continue (no input
    // requests: the requestState-only leg) or Fail.
    Step handleInputRequired(const QString &hostIdKey, const QByteArray &hostRawId,
            const QString &method, const QJsonObject &params, const QJsonObject &result);

    // The complete result (the JSON text of the response's `result` member, written as is) of a
    // continuation: the answer to the host under its original id, and the flow is forgotten.
    // Ignored when `hostIdKey` has no flow.
    Step handleComplete(const QString &hostIdKey, const QByteArray &resultJson);

    // True for a response id the bridge issued (its prefix), answered or not.
    bool ownsResponseId(const QJsonValue &id) const;

    // A host response (result or error) to one of the bridge's requests. Returns AwaitHost
    // (more answers due: hostMessages empty), Continue (the round is complete), Fail (the host
    // answered with an error: the original request fails with the host's code and message;
    // the other pending requests of the round are cancelled) or Ignored (unknown or duplicate id,
    // or not a response).
    Step handleHostResponse(const QJsonObject &response);

    // The host cancelled its original request: notifications/cancelled for each pending host
    // request of the flow (Kind::Cancelled), and the flow is forgotten. Ignored when no flow.
    Step cancel(const QString &hostIdKey);

    // The owner gives up waiting (its deadline) or must fail the flow for another reason: the
    // error answer to the host's request, cancellations of the pending host requests, and the
    // flow is forgotten. Ignored when no flow.
    Step abandon(const QString &hostIdKey, const QString &reason);

    // Forget the flow (its final answer or an upstream error went to the host).
    void finish(const QString &hostIdKey);

    bool hasFlow(const QString &hostIdKey) const { return m_flows.contains(hostIdKey); }
    bool isAwaitingHost(const QString &hostIdKey) const;
    int roundsOf(const QString &hostIdKey) const;
    QStringList flows() const { return m_flows.keys(); }

private:
    struct PendingInput
    {
        QString flowKey;
        QString inputKey;
        QJsonValue id;
    };
    struct Flow
    {
        QByteArray hostRawId;
        QString method;
        QJsonObject params;
        int rounds = 0;
        QJsonValue requestState = QJsonValue(QJsonValue::Undefined);
        QJsonObject responses;
        QStringList pendingIds; // id keys of this round's unanswered host requests
    };

    Step fail(const QString &flowKey, int code, const QString &message);
    Step continuation(Flow &flow);
    QList<QByteArray> cancellations(const Flow &flow, const QString &reason);
    QString missingCapability(const QString &method, const QJsonObject &params) const;

    QString m_idPrefix;
    QJsonObject m_hostCapabilities;
    quint64 m_nextId = 1;
    QHash<QString, Flow> m_flows;
    QHash<QString, PendingInput> m_pending; // id key -> pending host request
};

} // namespace McpProxy
