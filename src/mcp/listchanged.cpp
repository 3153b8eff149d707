#include "mcp/listchanged.h"

#include <QtCore/QJsonValue>

namespace McpProxy {

using namespace Qt::StringLiterals;

namespace {

const char *capabilityName(ListKind kind)
{
    switch (kind) {
    case ListKind::Tools:
        return "tools";
    case ListKind::Prompts:
        return "prompts";
    case ListKind::Resources:
        break;
    }
    return "resources";
}

} // namespace

std::optional<ListKind> listKindOfMethod(QStringView method)
{
    if (method == "tools/list"_L1)
        return ListKind::Tools;
    if (method == "prompts/list"_L1)
        return ListKind::Prompts;
    if (method == "resources/list"_L1 || method == "resources/templates/list"_L1)
        return ListKind::Resources;
    return std::nullopt;
}

bool declaresListChanged(const QJsonObject &capabilities, ListKind kind)
{
    return capabilities.value(QLatin1String(capabilityName(kind)))
            .toObject()
            .value("listChanged"_L1)
            .toBool();
}

QByteArray listChangedNotification(ListKind kind)
{
    return R"({"jsonrpc":"2.0","method":"notifications/)"_ba + QByteArray(capabilityName(kind))
            + R"(/list_changed"})"_ba;
}

} // namespace McpProxy
