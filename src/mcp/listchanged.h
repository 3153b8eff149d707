#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QJsonObject>
#include <QtCore/QStringView>

#include <optional>

namespace McpProxy {

// The three lists an MCP server may announce changes of (MCP 2025-11-25 server/tools,
// server/prompts, server/resources, "List Changed Notification"; MCP 2026-07-28 the same through
// subscriptions/listen): which request reads each, whether a server's capabilities declare
// `listChanged` for it, and its notification. Pure, no I/O.
enum class ListKind { Tools, Prompts, Resources };

inline constexpr ListKind AllListKinds[] = {
        ListKind::Tools, ListKind::Prompts, ListKind::Resources};

// The list a request method reads: tools/list, prompts/list, and resources/list and
// resources/templates/list (both announced by notifications/resources/list_changed); none for
// any other method.
std::optional<ListKind> listKindOfMethod(QStringView method);

// Whether `capabilities` (of an InitializeResult or a DiscoverResult) declare
// `<kind>.listChanged: true`; anything else (absent, false, not a boolean) is no.
bool declaresListChanged(const QJsonObject &capabilities, ListKind kind);

// The notification that says the list changed, as one JSON-RPC line without a line end.
QByteArray listChangedNotification(ListKind kind);

} // namespace McpProxy
