#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QDateTime>
#include <QtCore/QString>

#include <optional>

namespace McpProxy {

// What a token endpoint returned (RFC 6749 section 5.1), with an absolute expiry.
struct TokenSet
{
    QString accessToken;
    QString tokenType = QStringLiteral("Bearer"); // normalised: "bearer" → "Bearer"
    QDateTime expiresAt; // UTC; invalid when the server gave no expires_in
    QString refreshToken; // empty when none was issued
    QString scope; // granted scope when the server said so, else empty
    QString idToken;

    bool isValid() const { return !accessToken.isEmpty(); }
    // "Bearer <token>" (RFC 6750 section 2.1); empty when the token is not a b64token or the type
    // is not Bearer (an empty type counts as Bearer), so that nothing RFC 9110 forbids in a field
    // value, nor a scheme we do not implement, ever reaches a request.
    QByteArray authorizationHeader() const;
};

// RFC 6750 section 2.1 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
bool isBearerToken(QStringView token);

// RFC 6749 section 5.2 error response, or a transport/parse failure described the same way.
struct OAuthError
{
    QString error; // e.g. invalid_grant, invalid_client, temporarily_unavailable,
                   // or our own: network_error, invalid_response, timeout
    QString description;
    QString uri;
    int httpStatus = 0;

    // 5xx, 429, temporarily_unavailable, network_error, timeout: worth retrying with backoff.
    bool isTransient() const;
    QString toString() const; // one line for logs and user-facing errors (no secrets)
};

// Parses a token endpoint reply (status + body) at time `now`. A 2xx with a JSON object holding a
// non-empty string access_token is a TokenSet; anything else an OAuthError: the body's "error"
// members when it has a non-empty string "error" (also on a 2xx), else "invalid_response" with a
// one-line summary of the body bounded to 200 characters (withheld when it looks like it holds
// tokens, e.g. a form-encoded reply). A 2xx whose access_token is not an RFC 6750 b64token, or
// whose token_type is present and not Bearer (case-insensitive; e.g. mac, DPoP), is an
// "invalid_response" too: such a token cannot be sent as "Authorization: Bearer". expires_in may
// be a number or a numeric string; negative, non-numeric or beyond 2^31-1 leaves expiresAt
// invalid. Wrongly typed optional members are ignored.
struct TokenResponse
{
    std::optional<TokenSet> tokens;
    OAuthError error;
};
TokenResponse parseTokenResponse(int httpStatus, const QByteArray &body, const QDateTime &now);

} // namespace McpProxy
