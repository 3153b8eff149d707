#pragma once

#include "jsonrpc/jsonrpcmessage.h"

#include <QtCore/QByteArray>
#include <QtCore/QString>
#include <QtCore/QStringList>

#include <optional>

namespace McpProxy {

// Which of the server's tools the host may see and call (tools.allow / --allow-tool,
// tools.deny / --ignore-tool). Pure: no I/O, no state beyond the patterns.
// A tool is visible when the allow list is empty or one of its patterns matches, and no deny
// pattern matches (deny wins). A pattern matches the whole name, ASCII case-insensitively, and
// '*' stands for any run of characters (also none); every other character stands for itself —
// mcp-remote's --ignore-tool patterns mean the same.
class ToolFilter
{
public:
    ToolFilter() = default; // every tool is visible
    ToolFilter(QStringList allow, QStringList deny);

    // Whether any pattern is configured (otherwise nothing is ever changed or refused).
    bool isActive() const { return !m_allow.isEmpty() || !m_deny.isEmpty(); }
    bool allows(QStringView toolName) const;
    static bool matches(QStringView pattern, QStringView name);

    // A response to a tools/list request (one page, MCP server/tools "Listing Tools"): the line
    // without the tools the filter hides, re-serialised; nullopt when nothing is hidden (the
    // line goes to the host as it came). `hidden` receives the names it removed.
    std::optional<QByteArray> filterListResponse(
            const QByteArray &line, QStringList *hidden = nullptr) const;

    // A tools/call request (MCP server/tools "Calling Tools"): the JSON-RPC error line to answer
    // it with when the tool is hidden ("Unknown tool", -32602, MCP server/tools "Error
    // Handling"); nullopt when the call may go to the server. Other requests are never refused.
    std::optional<QByteArray> refuseCall(
            const QByteArray &line, const JsonRpcMessage &message) const;

private:
    static bool anyMatches(const QStringList &patterns, QStringView name);

    QStringList m_allow;
    QStringList m_deny;
};

} // namespace McpProxy
