#pragma once

#include <QtCore/QByteArrayView>
#include <QtCore/QList>
#include <QtCore/QString>
#include <QtCore/QUrl>

#include <optional>
#include <utility>

namespace McpProxy {

// One challenge of a WWW-Authenticate header (RFC 9110 section 11.6.1): an auth-scheme and either
// auth-params (name=token or name="quoted string", names lower-cased) or a token68.
struct AuthChallenge
{
    QString scheme; // as sent; compare case-insensitively
    QList<std::pair<QString, QString>> params;
    QString token68;

    QString param(const QString &name) const; // case-insensitive name; empty when absent
};

// Parses a WWW-Authenticate value that may hold several challenges (Qt joins repeated headers
// with ", ", docs/qt-notes.md). Quoted strings with backslash escapes, commas inside quotes,
// BWS around "=", empty list elements and garbage are handled; a garbage list element is skipped
// up to the next comma, an unterminated quoted string drops the rest. Lenient where servers are:
// unquoted values may hold any visible character but "," and DQUOTE (e.g. a bare URL).
// Parameters after a token68 are dropped. Linear time, never fails. Pure.
QList<AuthChallenge> parseWwwAuthenticate(QByteArrayView header);

// The Bearer challenge of a 401/403 (RFC 6750 section 3, RFC 9728 section 5.1, MCP 2025-11-25
// authorization).
struct BearerChallenge
{
    QUrl resourceMetadata; // resource_metadata (absolute URL, else empty)
    QString scope; // space-separated, as sent
    QString error; // invalid_token, insufficient_scope, …
    QString errorDescription;

    // The first Bearer challenge of the header, if any.
    static std::optional<BearerChallenge> fromHeader(QByteArrayView header);
};

} // namespace McpProxy
