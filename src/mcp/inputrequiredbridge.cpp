#include "mcp/inputrequiredbridge.h"

#include "jsonrpc/jsonrpcmessage.h"

#include <QtCore/QJsonDocument>

#include <utility>

namespace McpProxy {

namespace {

constexpr QLatin1StringView ElicitationCreate("elicitation/create");
constexpr QLatin1StringView SamplingCreateMessage("sampling/createMessage");
constexpr QLatin1StringView RootsList("roots/list");

QByteArray compact(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QJsonObject capability(const QJsonObject &capabilities, QLatin1StringView name, bool *present)
{
    const QJsonValue value = capabilities.value(name);
    *present = value.isObject();
    return value.toObject();
}

// Keeps a server-chosen string readable and short in an error message.
QString shown(const QString &text)
{
    constexpr int maxShown = 60;
    QString out;
    for (const QChar c : text) {
        if (out.size() >= maxShown) {
            out += QStringLiteral("…");
            break;
        }
        out += (c.unicode() < 0x20 || c.unicode() == 0x7F) ? QChar(u'?') : c;
    }
    return out;
}

} // namespace

InputRequiredBridge::InputRequiredBridge(const QString &idPrefix)
    : m_idPrefix(idPrefix)
{ }

void InputRequiredBridge::setHostCapabilities(const QJsonObject &capabilities)
{
    m_hostCapabilities = capabilities;
}

bool InputRequiredBridge::isInputRequired(const QJsonObject &result)
{
    return result.value(QLatin1StringView("resultType")) == QLatin1StringView("input_required");
}

bool InputRequiredBridge::methodSupportsInputRequired(const QString &method)
{
    return method == QLatin1StringView("tools/call") || method == QLatin1StringView("prompts/get")
            || method == QLatin1StringView("resources/read");
}

QString InputRequiredBridge::missingCapability(
        const QString &method, const QJsonObject &params) const
{
    bool present = false;
    if (method == ElicitationCreate) {
        const QJsonObject elicitation =
                capability(m_hostCapabilities, QLatin1StringView("elicitation"), &present);
        if (!present)
            return QStringLiteral("elicitation");
        // MCP 2025-11-25 client/elicitation: an empty elicitation capability means form mode only;
        // a request without mode is a form request.
        const QJsonValue mode = params.value(QLatin1StringView("mode"));
        const QString modeName = mode.isString() ? mode.toString() : QStringLiteral("form");
        if (modeName == QLatin1StringView("form")) {
            if (elicitation.isEmpty() || elicitation.value(QLatin1StringView("form")).isObject())
                return {};
            return QStringLiteral("elicitation.form");
        }
        if (modeName == QLatin1StringView("url")) {
            if (elicitation.value(QLatin1StringView("url")).isObject())
                return {};
            return QStringLiteral("elicitation.url");
        }
        return QStringLiteral("elicitation.%1").arg(shown(modeName)); // a mode no host declares
    }
    if (method == SamplingCreateMessage) {
        const QJsonObject sampling =
                capability(m_hostCapabilities, QLatin1StringView("sampling"), &present);
        if (!present)
            return QStringLiteral("sampling");
        // MCP 2025-11-25 client/sampling: tool use in sampling needs sampling.tools.
        if ((params.contains(QLatin1StringView("tools"))
                    || params.contains(QLatin1StringView("toolChoice")))
                && !sampling.value(QLatin1StringView("tools")).isObject())
            return QStringLiteral("sampling.tools");
        return {};
    }
    if (method == RootsList) {
        capability(m_hostCapabilities, QLatin1StringView("roots"), &present);
        return present ? QString() : QStringLiteral("roots");
    }
    return {};
}

InputRequiredBridge::Step InputRequiredBridge::handleInputRequired(const QString &hostIdKey,
        const QByteArray &hostRawId, const QString &method, const QJsonObject &params,
        const QJsonObject &result)
{
    auto flowIt = m_flows.find(hostIdKey);
    if (flowIt == m_flows.end()) {
        Flow flow;
        flow.hostRawId = hostRawId.isEmpty() ? QByteArrayLiteral("null") : hostRawId;
        flow.method = method;
        flow.params = params;
        flowIt = m_flows.insert(hostIdKey, flow);
    }
    Flow &flow = *flowIt;
    const int internalError = int(JsonRpcErrorCode::InternalError);

    if (!flow.pendingIds.isEmpty()) {
        return fail(hostIdKey, internalError,
                QStringLiteral("mcp-oauth2-proxy: the server asked for input again before the "
                               "previous input was complete"));
    }
    if (!methodSupportsInputRequired(flow.method)) {
        return fail(hostIdKey, internalError,
                QStringLiteral("mcp-oauth2-proxy: the server answered %1 with input_required, "
                               "which MCP 2026-07-28 allows only for tools/call, prompts/get and "
                               "resources/read")
                        .arg(shown(flow.method)));
    }
    ++flow.rounds;
    if (flow.rounds > MaxRounds) {
        return fail(hostIdKey, internalError,
                QStringLiteral("mcp-oauth2-proxy: the server still required input after %1 rounds")
                        .arg(MaxRounds));
    }

    const QJsonValue requestsValue = result.value(QLatin1StringView("inputRequests"));
    const QJsonValue stateValue = result.value(QLatin1StringView("requestState"));
    if (!requestsValue.isUndefined() && !requestsValue.isObject()) {
        return fail(hostIdKey, internalError,
                QStringLiteral("mcp-oauth2-proxy: the server's inputRequests is not an object"));
    }
    if (!stateValue.isUndefined() && !stateValue.isString()) {
        return fail(hostIdKey, internalError,
                QStringLiteral("mcp-oauth2-proxy: the server's requestState is not a string"));
    }
    const QJsonObject requests = requestsValue.toObject();
    if (requests.isEmpty() && !stateValue.isString()) {
        return fail(hostIdKey, internalError,
                QStringLiteral("mcp-oauth2-proxy: the server's input_required result has neither "
                               "inputRequests nor requestState"));
    }
    if (requests.size() > MaxInputRequestsPerRound) {
        return fail(hostIdKey, internalError,
                QStringLiteral("mcp-oauth2-proxy: the server asked for %1 inputs at once (at most "
                               "%2 are accepted)")
                        .arg(requests.size())
                        .arg(MaxInputRequestsPerRound));
    }
    // Every entry is checked before anything goes to the host, so a round is sent whole or not
    // at all.
    for (auto it = requests.constBegin(); it != requests.constEnd(); ++it) {
        const QJsonObject request = it.value().toObject();
        const QJsonValue requestMethod = request.value(QLatin1StringView("method"));
        const QJsonValue requestParams = request.value(QLatin1StringView("params"));
        if (!it.value().isObject() || !requestMethod.isString()
                || (!requestParams.isUndefined() && !requestParams.isObject())) {
            return fail(hostIdKey, internalError,
                    QStringLiteral("mcp-oauth2-proxy: the server's input request '%1' is not a "
                                   "request object")
                            .arg(shown(it.key())));
        }
        const QString name = requestMethod.toString();
        if (name != ElicitationCreate && name != SamplingCreateMessage && name != RootsList) {
            return fail(hostIdKey, internalError,
                    QStringLiteral("mcp-oauth2-proxy: the server's input request '%1' uses %2, "
                                   "which is not an input request method")
                            .arg(shown(it.key()), shown(name)));
        }
        const QString missing = missingCapability(name, requestParams.toObject());
        if (!missing.isEmpty()) {
            return fail(hostIdKey, internalError,
                    QStringLiteral("mcp-oauth2-proxy: the server asked for %1, but the client did "
                                   "not declare the %2 capability")
                            .arg(name, missing));
        }
    }

    flow.requestState = stateValue;
    flow.responses = QJsonObject();
    if (requests.isEmpty()) {
        Step step = continuation(flow);
        step.stateOnly = true;
        return step;
    }

    Step step;
    step.kind = Step::Kind::AwaitHost;
    for (auto it = requests.constBegin(); it != requests.constEnd(); ++it) {
        const QJsonObject request = it.value().toObject();
        const QJsonValue id(QString(m_idPrefix + QString::number(m_nextId++)));
        QJsonObject message{{QStringLiteral("jsonrpc"), QStringLiteral("2.0")},
                {QStringLiteral("id"), id},
                {QStringLiteral("method"), request.value(QLatin1StringView("method"))}};
        QJsonValue requestParams = request.value(QLatin1StringView("params"));
        if (requestParams.isObject()) {
            // MCP 2026-07-28 dropped elicitationId from URL-mode elicitation; a 2025-11-25 host
            // requires one (client/elicitation "URL Mode"), so the request's own id serves.
            QJsonObject paramsObject = requestParams.toObject();
            if (paramsObject.value(QLatin1StringView("mode")) == QLatin1StringView("url")
                    && !paramsObject.value(QLatin1StringView("elicitationId")).isString()) {
                paramsObject.insert(QLatin1StringView("elicitationId"), id);
                requestParams = paramsObject;
            }
            message.insert(QLatin1StringView("params"), requestParams);
        }
        const QString key = JsonRpcMessage::idKey(id);
        m_pending.insert(key, PendingInput{hostIdKey, it.key(), id});
        flow.pendingIds.append(key);
        step.hostMessages.append(compact(message));
    }
    return step;
}

InputRequiredBridge::Step InputRequiredBridge::handleComplete(
        const QString &hostIdKey, const QByteArray &resultJson)
{
    const auto it = m_flows.constFind(hostIdKey);
    if (it == m_flows.constEnd())
        return {};
    Step step;
    step.kind = Step::Kind::Complete;
    step.hostMessages.append(R"({"jsonrpc":"2.0","id":)" + it->hostRawId + R"(,"result":)"
            + JsonRpcMessage::toSingleLine(resultJson) + "}");
    finish(hostIdKey);
    return step;
}

bool InputRequiredBridge::ownsResponseId(const QJsonValue &id) const
{
    return id.isString() && id.toString().startsWith(m_idPrefix);
}

InputRequiredBridge::Step InputRequiredBridge::handleHostResponse(const QJsonObject &response)
{
    const QString key = JsonRpcMessage::idKey(response.value(QLatin1StringView("id")));
    const auto pendingIt = m_pending.constFind(key);
    if (key.isEmpty() || pendingIt == m_pending.constEnd())
        return {};
    const QJsonValue error = response.value(QLatin1StringView("error"));
    const QJsonValue result = response.value(QLatin1StringView("result"));
    if (!error.isObject() && !result.isObject())
        return {}; // not a response (or a malformed one): the request stays pending
    const PendingInput pending = m_pending.take(key);
    Flow &flow = m_flows[pending.flowKey];
    flow.pendingIds.removeAll(key);

    if (error.isObject()) {
        const QJsonObject errorObject = error.toObject();
        const QJsonValue code = errorObject.value(QLatin1StringView("code"));
        const double codeNumber = code.toDouble();
        const bool integralCode = code.isDouble() && codeNumber == double(int(codeNumber));
        QString message = errorObject.value(QLatin1StringView("message")).toString();
        if (message.isEmpty())
            message = QStringLiteral("the client answered an input request with an error");
        return fail(pending.flowKey,
                integralCode ? int(codeNumber) : int(JsonRpcErrorCode::InternalError), message);
    }
    flow.responses.insert(pending.inputKey, result);
    if (!flow.pendingIds.isEmpty()) {
        Step step;
        step.kind = Step::Kind::AwaitHost;
        return step;
    }
    return continuation(flow);
}

InputRequiredBridge::Step InputRequiredBridge::continuation(Flow &flow)
{
    // mrtr "Client Requirements": the original params, the responses of this round and the exact
    // requestState when the result carried one (and none otherwise), under a new id.
    QJsonObject params = flow.params;
    params.remove(QLatin1StringView("inputResponses"));
    params.remove(QLatin1StringView("requestState"));
    if (!flow.responses.isEmpty())
        params.insert(QLatin1StringView("inputResponses"), flow.responses);
    if (flow.requestState.isString())
        params.insert(QLatin1StringView("requestState"), flow.requestState);
    flow.responses = QJsonObject();

    Step step;
    step.kind = Step::Kind::Continue;
    step.continuation = QJsonObject{{QStringLiteral("jsonrpc"), QStringLiteral("2.0")},
            {QStringLiteral("id"), QString(m_idPrefix + QString::number(m_nextId++))},
            {QStringLiteral("method"), flow.method}, {QStringLiteral("params"), params}};
    return step;
}

QList<QByteArray> InputRequiredBridge::cancellations(const Flow &flow, const QString &reason)
{
    QList<QByteArray> messages;
    for (const QString &key : flow.pendingIds) {
        const PendingInput pending = m_pending.take(key);
        QJsonObject cancelParams{{QStringLiteral("requestId"), pending.id}};
        if (!reason.isEmpty())
            cancelParams.insert(QLatin1StringView("reason"), reason);
        messages.append(compact(QJsonObject{{QStringLiteral("jsonrpc"), QStringLiteral("2.0")},
                {QStringLiteral("method"), QStringLiteral("notifications/cancelled")},
                {QStringLiteral("params"), cancelParams}}));
    }
    return messages;
}

InputRequiredBridge::Step InputRequiredBridge::fail(
        const QString &flowKey, int code, const QString &message)
{
    const auto it = m_flows.constFind(flowKey);
    if (it == m_flows.constEnd())
        return {};
    Step step;
    step.kind = Step::Kind::Fail;
    step.errorCode = code;
    step.errorMessage = message;
    step.hostMessages = cancellations(*it, message);
    step.hostMessages.append(JsonRpcMessage::errorResponse(it->hostRawId, code, message));
    m_flows.remove(flowKey);
    return step;
}

InputRequiredBridge::Step InputRequiredBridge::cancel(const QString &hostIdKey)
{
    const auto it = m_flows.constFind(hostIdKey);
    if (it == m_flows.constEnd())
        return {};
    Step step;
    step.kind = Step::Kind::Cancelled;
    step.hostMessages = cancellations(*it, QStringLiteral("the request was cancelled"));
    m_flows.remove(hostIdKey);
    return step;
}

InputRequiredBridge::Step InputRequiredBridge::abandon(
        const QString &hostIdKey, const QString &reason)
{
    return fail(hostIdKey, int(JsonRpcErrorCode::ProxyError), reason);
}

void InputRequiredBridge::finish(const QString &hostIdKey)
{
    const auto it = m_flows.constFind(hostIdKey);
    if (it == m_flows.constEnd())
        return;
    for (const QString &key : it->pendingIds)
        m_pending.remove(key);
    m_flows.remove(hostIdKey);
}

bool InputRequiredBridge::isAwaitingHost(const QString &hostIdKey) const
{
    const auto it = m_flows.constFind(hostIdKey);
    return it != m_flows.constEnd() && !it->pendingIds.isEmpty();
}

int InputRequiredBridge::roundsOf(const QString &hostIdKey) const
{
    const auto it = m_flows.constFind(hostIdKey);
    return it == m_flows.constEnd() ? 0 : it->rounds;
}

} // namespace McpProxy
