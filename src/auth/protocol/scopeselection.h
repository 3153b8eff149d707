#pragma once

#include <QtCore/QString>
#include <QtCore/QStringList>

namespace McpProxy {

// MCP 2025-11-25 "Scope Selection Strategy": the configured scope wins; else the challenge's
// scope; else all of the PRM's scopes_supported; else none (the parameter is omitted).
// offline_access is added only when the AS advertises it in scopes_supported and it is not
// already there (2026-07-28 "Refresh Tokens": MAY, only when advertised).
struct ScopeInputs
{
    QString configured;
    QString challenge;
    QStringList protectedResourceScopes;
    bool protectedResourceListsScopes = false;
    QStringList authorizationServerScopes;
    bool requestOfflineAccess = true;
};
QString selectScope(const ScopeInputs &inputs);

// Step-up (MCP 2025-11-25 "Scope Challenge Handling"): the union of the scopes held and the
// challenged ones, order kept, duplicates removed.
QString unionOfScopes(const QString &held, const QString &challenged);

} // namespace McpProxy
