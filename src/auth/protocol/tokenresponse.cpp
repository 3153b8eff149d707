#include "auth/protocol/tokenresponse.h"

#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QJsonParseError>

#include <algorithm>
#include <cmath>
#include <limits>

using namespace Qt::StringLiterals;

namespace McpProxy {

namespace {

constexpr qsizetype MaxSummaryLength = 200;
// expires_in beyond this (about 68 years) is treated as unusable rather than overflowing.
constexpr double MaxExpiresIn = std::numeric_limits<qint32>::max();

bool isSuccess(int httpStatus)
{
    return httpStatus >= 200 && httpStatus < 300;
}

// One line, printable, at most MaxSummaryLength characters.
QString bounded(const QString &text)
{
    QString line;
    for (const QChar c : text) {
        if (line.size() >= MaxSummaryLength) {
            line.append(u'…');
            break;
        }
        line.append(c.isPrint() ? c : u' ');
    }
    return line.simplified();
}

// A body that is not a JSON object. A form-encoded token response (some providers send one
// without "Accept: application/json") would carry the tokens, so such bodies are withheld.
QString summariseBody(const QByteArray &body)
{
    if (body.trimmed().isEmpty())
        return u"empty body"_s;
    const QByteArray lower = body.toLower();
    if (lower.contains("_token") || lower.contains("token="))
        return u"body withheld, it may hold credentials"_s;
    return u"body: "_s + bounded(QString::fromUtf8(body));
}

QString stringMember(const QJsonObject &object, QLatin1String key)
{
    const QJsonValue value = object.value(key);
    return value.isString() ? value.toString() : QString();
}

// RFC 6749 section 5.1 expires_in; a numeric string is accepted as well (seen in the wild).
std::optional<qint64> expiresIn(const QJsonValue &value)
{
    double seconds = std::numeric_limits<double>::quiet_NaN();
    if (value.isDouble()) {
        seconds = value.toDouble();
    } else if (value.isString()) {
        bool ok = false;
        seconds = value.toString().trimmed().toDouble(&ok);
        if (!ok)
            return std::nullopt;
    }
    if (!std::isfinite(seconds) || seconds < 0 || seconds > MaxExpiresIn)
        return std::nullopt;
    return qint64(seconds);
}

OAuthError errorFromObject(const QJsonObject &object, int httpStatus)
{
    // RFC 6749 section 5.2
    OAuthError error;
    error.error = bounded(stringMember(object, "error"_L1));
    error.description = bounded(stringMember(object, "error_description"_L1));
    error.uri = bounded(stringMember(object, "error_uri"_L1));
    error.httpStatus = httpStatus;
    return error;
}

OAuthError invalidResponse(int httpStatus, const QString &description)
{
    OAuthError error;
    error.error = u"invalid_response"_s;
    error.description = description;
    error.httpStatus = httpStatus;
    return error;
}

} // namespace

bool isBearerToken(QStringView token)
{
    qsizetype length = token.size();
    while (length > 0 && token.at(length - 1) == u'=')
        --length;
    if (length == 0)
        return false;
    for (const QChar c : token.first(length)) {
        const char16_t u = c.unicode();
        const bool allowed = (u >= u'a' && u <= u'z') || (u >= u'A' && u <= u'Z')
                || (u >= u'0' && u <= u'9') || u == u'-' || u == u'.' || u == u'_' || u == u'~'
                || u == u'+' || u == u'/';
        if (!allowed)
            return false;
    }
    return true;
}

QByteArray TokenSet::authorizationHeader() const
{
    // Checked here as well as in parseTokenResponse(): tokens also come from the token store,
    // which may hold what an older version accepted.
    if (!tokenType.isEmpty() && tokenType.compare("Bearer"_L1, Qt::CaseInsensitive) != 0)
        return {};
    if (!isBearerToken(accessToken))
        return {};
    return "Bearer "_ba + accessToken.toLatin1();
}

bool OAuthError::isTransient() const
{
    return httpStatus >= 500 || httpStatus == 429 || error == "temporarily_unavailable"_L1
            || error == "network_error"_L1 || error == "timeout"_L1;
}

QString OAuthError::toString() const
{
    QString text = error.isEmpty() ? u"unknown_error"_s : error;
    if (!description.isEmpty())
        text += u": "_s + description;
    if (httpStatus != 0)
        text += u" (HTTP %1)"_s.arg(httpStatus);
    return text;
}

TokenResponse parseTokenResponse(int httpStatus, const QByteArray &body, const QDateTime &now)
{
    TokenResponse response;
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(body, &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isObject()) {
        response.error = invalidResponse(httpStatus,
                u"the token endpoint did not answer with a JSON object (%1)"_s.arg(
                        summariseBody(body)));
        return response;
    }
    const QJsonObject object = document.object();
    const QString accessToken = stringMember(object, "access_token"_L1);
    if (!isSuccess(httpStatus) || accessToken.isEmpty()) {
        // Some servers answer 200 with an RFC 6749 section 5.2 error object. An "error" of only
        // blanks or control characters counts as none.
        if (!bounded(stringMember(object, "error"_L1)).isEmpty())
            response.error = errorFromObject(object, httpStatus);
        else if (isSuccess(httpStatus))
            response.error =
                    invalidResponse(httpStatus, u"the token response has no access_token"_s);
        else
            response.error =
                    invalidResponse(httpStatus, u"the error response has no \"error\" member"_s);
        return response;
    }

    // RFC 6749 section 5.1. The token goes into "Authorization: Bearer" (RFC 6750 section 2.1):
    // anything else would put characters RFC 9110 section 5.5 forbids into a header (CR LF: an
    // injected header) or a scheme we do not implement (mac, DPoP). Neither the token nor the type
    // is echoed.
    const QString tokenType = stringMember(object, "token_type"_L1);
    if (!tokenType.isEmpty() && tokenType.compare("Bearer"_L1, Qt::CaseInsensitive) != 0) {
        const bool printable = std::all_of(tokenType.cbegin(), tokenType.cend(),
                [](QChar c) { return c.unicode() > 0x20 && c.unicode() < 0x7f; });
        response.error = invalidResponse(httpStatus,
                u"the token endpoint issued a token of type \"%1\"; only Bearer tokens "
                "(RFC 6750) are supported"_s.arg(
                        printable && tokenType.size() <= 32 ? tokenType : u"(unprintable)"_s));
        return response;
    }
    if (!isBearerToken(accessToken)) {
        response.error = invalidResponse(httpStatus,
                u"the access_token is not an RFC 6750 bearer token: it holds characters that "
                "cannot be sent in an Authorization header"_s);
        return response;
    }
    TokenSet tokens;
    tokens.accessToken = accessToken;
    if (const std::optional<qint64> seconds = expiresIn(object.value("expires_in"_L1)))
        tokens.expiresAt = now.toUTC().addSecs(*seconds);
    tokens.refreshToken = stringMember(object, "refresh_token"_L1);
    tokens.scope = stringMember(object, "scope"_L1);
    tokens.idToken = stringMember(object, "id_token"_L1); // OpenID Connect Core section 3.1.3.3
    response.tokens = std::move(tokens);
    return response;
}

} // namespace McpProxy
