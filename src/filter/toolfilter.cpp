#include "filter/toolfilter.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>

#include <utility>

namespace McpProxy {

using namespace Qt::StringLiterals;

namespace {

char16_t foldAscii(QChar c)
{
    const char16_t u = c.unicode();
    return u >= u'A' && u <= u'Z' ? char16_t(u - u'A' + u'a') : u;
}

} // namespace

ToolFilter::ToolFilter(QStringList allow, QStringList deny)
    : m_allow(std::move(allow))
    , m_deny(std::move(deny))
{ }

bool ToolFilter::matches(QStringView pattern, QStringView name)
{
    // Iterative wildcard matching with one backtrack point: linear in practice, never
    // exponential (no recursion per '*').
    qsizetype p = 0;
    qsizetype n = 0;
    qsizetype starAt = -1; // the position after the last '*' seen
    qsizetype starName = 0; // where the name stood when it was seen
    while (n < name.size()) {
        if (p < pattern.size() && pattern.at(p) == u'*') {
            starAt = ++p;
            starName = n;
        } else if (p < pattern.size() && foldAscii(pattern.at(p)) == foldAscii(name.at(n))) {
            ++p;
            ++n;
        } else if (starAt >= 0) {
            p = starAt;
            n = ++starName; // the '*' takes one more character
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern.at(p) == u'*')
        ++p;
    return p == pattern.size();
}

bool ToolFilter::anyMatches(const QStringList &patterns, QStringView name)
{
    for (const QString &pattern : patterns) {
        if (matches(pattern, name))
            return true;
    }
    return false;
}

bool ToolFilter::allows(QStringView toolName) const
{
    if (!m_allow.isEmpty() && !anyMatches(m_allow, toolName))
        return false;
    return !anyMatches(m_deny, toolName);
}

std::optional<QByteArray> ToolFilter::filterListResponse(
        const QByteArray &line, QStringList *hidden) const
{
    if (!isActive())
        return std::nullopt;
    QJsonObject response = QJsonDocument::fromJson(line).object();
    if (!response.value("result"_L1).isObject())
        return std::nullopt; // an error response: nothing to hide
    QJsonObject result = response.value("result"_L1).toObject();
    if (!result.value("tools"_L1).isArray())
        return std::nullopt;
    const QJsonArray tools = result.value("tools"_L1).toArray();
    QJsonArray visible;
    QStringList removed;
    for (const auto &tool : tools) {
        // A tool without a string name cannot be called by name: the filter leaves it alone
        // (the host judges it), as it leaves every other member of the result.
        const QJsonValue name = tool.toObject().value("name"_L1);
        if (name.isString() && !allows(name.toString()))
            removed.append(name.toString());
        else
            visible.append(tool);
    }
    if (removed.isEmpty())
        return std::nullopt;
    if (hidden)
        *hidden = removed;
    result.insert("tools"_L1, visible);
    response.insert("result"_L1, result);
    return QJsonDocument(response).toJson(QJsonDocument::Compact);
}

std::optional<QByteArray> ToolFilter::refuseCall(
        const QByteArray &line, const JsonRpcMessage &message) const
{
    if (!isActive() || !message.isRequest() || message.method() != "tools/call"_L1)
        return std::nullopt;
    const QJsonValue name =
            QJsonDocument::fromJson(line).object().value("params"_L1).toObject().value("name"_L1);
    if (!name.isString() || allows(name.toString()))
        return std::nullopt; // a call without a name is the server's to refuse
    return JsonRpcMessage::errorResponse(message.rawId(), int(JsonRpcErrorCode::InvalidParams),
            u"Unknown tool: %1"_s.arg(name.toString()),
            QJsonObject{{u"reason"_s, u"the proxy's tool filter hides this tool"_s}});
}

} // namespace McpProxy
