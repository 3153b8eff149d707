#pragma once

#include "mcp/requestheaders.h"

#include <QtCore/QHash>
#include <QtCore/QJsonObject>
#include <QtCore/QList>
#include <QtCore/QSet>
#include <QtCore/QString>
#include <QtCore/QStringList>

namespace McpProxy {

// One x-mcp-header declaration of a tool's inputSchema (MCP 2026-07-28
// basic/transports/streamable-http, "Schema Extension"; server/tools "x-mcp-header").
struct ToolHeaderDeclaration
{
    enum class Type { String, Integer, Boolean };

    QStringList path; // the chain of `properties` keys from the schema root to the property
    QString headerName; // the x-mcp-header value: the {Name} of Mcp-Param-{Name}
    Type type = Type::String;
};

// The validation of one tool's x-mcp-header declarations. A tool is invalid when any
// declaration is not a non-empty RFC 9110 token, sits on a property whose `type` is not
// string/integer/boolean (`number` included), repeats another name case-insensitively, or is not
// statically reachable (under items, additionalProperties, patternProperties, oneOf/anyOf/allOf/
// not, if/then/else, $defs/definitions, dependentSchemas, … or on the schema root itself).
class ToolHeaderSchema
{
public:
    // Schemas nested deeper than this are refused (invalid), so a hostile schema cannot make the
    // walk deep or slow.
    static constexpr int MaxDepth = 64;

    static ToolHeaderSchema scan(const QJsonObject &inputSchema);

    bool isValid() const { return m_reason.isEmpty(); }
    QString reason() const { return m_reason; } // English, for a log line; empty when valid
    const QList<ToolHeaderDeclaration> &declarations() const { return m_declarations; }

    // The Mcp-Param-{Name} fields for one call: for each declaration, the argument value at its
    // exact path, converted by McpHeaderEncoding::argumentText() and encoded by
    // McpHeaderEncoding::encodeValue(); absent, null and non-primitive values give no field.
    static HttpHeaderFields paramHeaders(
            const QList<ToolHeaderDeclaration> &declarations, const QJsonObject &arguments);

private:
    QString m_reason;
    QList<ToolHeaderDeclaration> m_declarations;
};

// What the proxy knows of the server's tools' header declarations: fed every tools/list result
// page, it drops the tools the spec says a client MUST exclude and remembers the declarations of
// the others by tool name, for the Mcp-Param headers of later tools/call requests. Pure: no I/O,
// no logging (the caller logs rejectedTools, spec: "SHOULD log a warning … tool name and reason").
class ToolHeaderCatalogue
{
public:
    struct RejectedTool
    {
        QString name;
        QString reason;
    };

    struct Page
    {
        QJsonObject result; // the tools/list result with the invalid tools removed
        QList<RejectedTool> rejectedTools;
        bool changed = false; // true when result differs from the input (a tool was removed)
    };

    enum class ToolState {
        Unknown, // never listed since the last reset(): the call goes without Mcp-Param headers
        Listed, // valid; paramHeaders() knows its declarations (maybe none)
        Rejected // excluded from tools/list for an invalid declaration
    };

    // Reads one tools/list result page. `firstPage` (the request had no params.cursor) starts a
    // new listing: what earlier listings said is forgotten. Entries that are not objects or have
    // no string `name` are left alone (not this class's concern); the same name twice: the later
    // entry wins.
    Page acceptToolsListPage(const QJsonObject &result, bool firstPage);

    // notifications/tools/list_changed: forget every tool until the next listing.
    void reset();

    ToolState toolState(const QString &toolName) const;
    QString rejectionReason(const QString &toolName) const;
    int listedToolCount() const { return int(m_declarations.size()); }

    // Mcp-Param-{Name} fields for tools/call of `toolName` with `arguments`; empty for a tool
    // that declares none or that is not Listed.
    HttpHeaderFields paramHeaders(const QString &toolName, const QJsonObject &arguments) const;

    // Convenience for the owner: the complete header set of one request to a 2026-07-28 server
    // (RequestHeaders::build with this catalogue's Mcp-Param fields when method is tools/call).
    RequestHeaders requestHeaders(const QString &method, const QJsonObject &params) const;

private:
    QHash<QString, QList<ToolHeaderDeclaration>> m_declarations;
    QHash<QString, QString> m_rejected; // tool name -> reason
};

} // namespace McpProxy
