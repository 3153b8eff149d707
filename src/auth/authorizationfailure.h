#pragma once

#include <QtCore/QString>
#include <QtCore/QStringList>

namespace McpProxy {

struct OAuthError;

// Why an authorization round failed: English for the log, translated for the user (it becomes
// the JSON-RPC error the host shows). Texts are marked with
// QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager", …), the one translation context of auth
// failures.
struct AuthorizationFailure
{
    QString english;
    QString translated;

    // `text` with %1, %2… replaced by `arguments` in both languages.
    static AuthorizationFailure fromText(const char *text, const QStringList &arguments = {});
    // `text` with %1 = the OAuth error, plus a hint naming the setting to check.
    static AuthorizationFailure fromOAuthError(const char *text, const OAuthError &error);
};

} // namespace McpProxy
