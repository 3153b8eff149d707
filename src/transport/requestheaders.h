#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QJsonObject>
#include <QtCore/QJsonValue>
#include <QtCore/QList>
#include <QtCore/QString>
#include <QtCore/QStringList>

#include <functional>
#include <optional>
#include <utility>

// The request metadata headers of MCP 2026-07-28 (basic/transports/streamable-http, "Request
// Metadata"): MCP-Protocol-Version, Mcp-Method, Mcp-Name, and Mcp-Param-{Name} for tool
// parameters a tool declares with x-mcp-header. Pure functions.
namespace McpProxy::RequestHeaders {

// One x-mcp-header declaration: the header it fills and the property path (a chain of
// `properties` keys) its value is read from.
struct ToolParameter
{
    QByteArray header; // "Mcp-Param-Region"
    QStringList path; // {"region"}
    bool operator==(const ToolParameter &other) const
    {
        return header == other.header && path == other.path;
    }
};
using ToolParameters = QList<ToolParameter>;

// The declarations of a tool's inputSchema ("Schema Extension" constraints). On a violation
// `invalidReason` says why (the tool MUST then be excluded from tools/list) and the list is empty.
ToolParameters toolParameters(const QJsonValue &inputSchema, QString *invalidReason);

// "Value Encoding": plain when the value is visible ASCII and spaces without leading or trailing
// whitespace and does not look like the sentinel; else =?base64?{UTF-8 in Base64}?=.
QByteArray encodeValue(const QString &value);
// A tool argument as a header value: string, integer (decimal), boolean (true/false); nothing
// for null, absent or any other type.
std::optional<QByteArray> encodeArgument(const QJsonValue &value);

using Headers = QList<std::pair<QByteArray, QByteArray>>;
// Every metadata header of one JSON-RPC request: MCP-Protocol-Version (`version`), Mcp-Method,
// Mcp-Name for tools/call, resources/read and prompts/get, and for tools/call the Mcp-Param
// headers the tool's declarations (`toolParameters(name)`) and the call's arguments give.
Headers forRequest(const QJsonObject &request, const QString &version,
        const std::function<ToolParameters(const QString &tool)> &toolParameters);

} // namespace McpProxy::RequestHeaders
