#include "auth/authorizationfailure.h"

#include "auth/protocol/tokenresponse.h"

#include <QtCore/QCoreApplication>

namespace McpProxy {

AuthorizationFailure AuthorizationFailure::fromText(const char *text, const QStringList &arguments)
{
    // User-facing (it becomes the JSON-RPC error the host shows): translated; the log keeps the
    // English text.
    AuthorizationFailure result;
    result.english = QString::fromUtf8(text);
    result.translated = QCoreApplication::translate("McpProxy::AuthorizationManager", text);
    for (const QString &argument : arguments) {
        result.english = result.english.arg(argument);
        result.translated = result.translated.arg(argument);
    }
    return result;
}

AuthorizationFailure AuthorizationFailure::fromOAuthError(const char *text, const OAuthError &error)
{
    AuthorizationFailure result = fromText(text, {error.toString()});
    const char *hint = nullptr;
    if (error.error == u"invalid_client")
        hint = QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager",
                "; check OAUTH2_CLIENT_ID / OAUTH2_CLIENT_SECRET and the client "
                "authentication method (OAUTH2_TOKEN_ENDPOINT_AUTH_METHOD)");
    else if (error.error == u"invalid_grant")
        hint = QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager", "; log in again");
    else if (error.error == u"invalid_scope")
        hint = QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager", "; check OAUTH2_SCOPE");
    if (hint) {
        const AuthorizationFailure more = fromText(hint);
        result.english += more.english;
        result.translated += more.translated;
    }
    return result;
}

} // namespace McpProxy
