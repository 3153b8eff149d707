#include "auth/protocol/scopeselection.h"

using namespace Qt::StringLiterals;

namespace McpProxy {

namespace {

constexpr auto OfflineAccess = "offline_access"_L1;

// RFC 6749 section 3.3: scope = scope-token *( SP scope-token ); tolerant of any whitespace.
// Duplicates are dropped, the first occurrence keeps its place.
QStringList scopeTokens(const QString &scope)
{
    QStringList tokens;
    qsizetype start = -1;
    for (qsizetype i = 0; i <= scope.size(); ++i) {
        const bool boundary = i == scope.size() || scope.at(i).isSpace();
        if (!boundary && start < 0)
            start = i;
        if (boundary && start >= 0) {
            const QString token = scope.sliced(start, i - start);
            if (!tokens.contains(token))
                tokens.append(token);
            start = -1;
        }
    }
    return tokens;
}

void appendUnique(QStringList &tokens, const QStringList &more)
{
    for (const QString &token : more) {
        if (!token.isEmpty() && !tokens.contains(token))
            tokens.append(token);
    }
}

} // namespace

QString selectScope(const ScopeInputs &inputs)
{
    QStringList tokens = scopeTokens(inputs.configured);
    if (tokens.isEmpty())
        tokens = scopeTokens(inputs.challenge);
    if (tokens.isEmpty() && inputs.protectedResourceListsScopes)
        tokens = scopeTokens(inputs.protectedResourceScopes.join(u' '));
    // An omitted scope lets the AS apply its default; "offline_access" alone would narrow it,
    // so it is only ever added to a non-empty request.
    if (!tokens.isEmpty() && inputs.requestOfflineAccess
            && inputs.authorizationServerScopes.contains(OfflineAccess)
            && !tokens.contains(OfflineAccess))
        tokens.append(OfflineAccess);
    return tokens.join(u' ');
}

QString unionOfScopes(const QString &held, const QString &challenged)
{
    QStringList tokens = scopeTokens(held);
    appendUnique(tokens, scopeTokens(challenged));
    return tokens.join(u' ');
}

} // namespace McpProxy
