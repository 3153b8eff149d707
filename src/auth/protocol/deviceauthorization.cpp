#include "auth/protocol/deviceauthorization.h"

#include "auth/protocol/authhttp.h"

#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QJsonParseError>

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace McpProxy {

namespace {

constexpr qsizetype MaxUserCodeLength = 64;
constexpr qsizetype MaxDeviceCodeLength = 4096;
constexpr double MaxExpiresInSeconds = 24 * 3600.0;
constexpr double MaxIntervalSeconds = 24 * 3600.0;

OAuthError invalidResponse(int httpStatus, const QString &description)
{
    OAuthError error;
    error.error = u"invalid_response"_s;
    error.description = description;
    error.httpStatus = httpStatus;
    return error;
}

// A positive number of seconds (a number, or a numeric string as some servers send), or nullopt.
std::optional<double> seconds(const QJsonValue &value)
{
    double number = std::nan("");
    if (value.isDouble()) {
        number = value.toDouble();
    } else if (value.isString()) {
        bool ok = false;
        number = value.toString().trimmed().toDouble(&ok);
        if (!ok)
            return std::nullopt;
    }
    if (!std::isfinite(number) || number <= 0)
        return std::nullopt;
    return number;
}

// verification_uri(_complete): shown to the user for a browser; an absolute http(s) URL without
// user info. QUrl's strict mode refuses control characters, so nothing reaches the terminal
// that could act on it.
std::optional<QUrl> verificationUrl(const QJsonValue &value)
{
    if (!value.isString())
        return std::nullopt;
    const QUrl url(value.toString(), QUrl::StrictMode);
    const QString scheme = url.scheme();
    if (!url.isValid() || url.host().isEmpty() || (scheme != "https"_L1 && scheme != "http"_L1)
            || !url.userInfo().isEmpty())
        return std::nullopt;
    return url;
}

bool isPrintableCode(const QString &code, qsizetype maxLength)
{
    if (code.trimmed().isEmpty() || code.size() > maxLength)
        return false;
    return std::all_of(code.cbegin(), code.cend(), [](QChar c) { return c.isPrint(); });
}

} // namespace

DeviceAuthorizationResponse parseDeviceAuthorizationResponse(int httpStatus, const QByteArray &body)
{
    DeviceAuthorizationResponse response;
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(body, &parseError);
    const bool success = httpStatus >= 200 && httpStatus < 300;
    if (parseError.error != QJsonParseError::NoError || !document.isObject()) {
        response.error = invalidResponse(httpStatus,
                success ? u"the device authorization endpoint did not answer with a JSON object"_s
                        : u"the device authorization endpoint answered HTTP %1 without a JSON "
                          "error object"_s.arg(httpStatus));
        return response;
    }
    const QJsonObject object = document.object();
    const QString error = AuthHttp::excerpt(object.value("error"_L1).toString());
    if (!success || !error.isEmpty()) {
        if (error.isEmpty()) {
            response.error =
                    invalidResponse(httpStatus, u"the error response has no \"error\" member"_s);
            return response;
        }
        // RFC 8628 section 3.2 / RFC 6749 section 5.2.
        response.error.error = error;
        response.error.description =
                AuthHttp::excerpt(object.value("error_description"_L1).toString());
        response.error.uri = AuthHttp::excerpt(object.value("error_uri"_L1).toString());
        response.error.httpStatus = httpStatus;
        return response;
    }

    DeviceAuthorization authorization;
    const QJsonValue deviceCode = object.value("device_code"_L1);
    if (!deviceCode.isString() || deviceCode.toString().isEmpty()
            || deviceCode.toString().size() > MaxDeviceCodeLength) {
        response.error = invalidResponse(httpStatus, u"\"device_code\" is missing or unusable"_s);
        return response;
    }
    authorization.deviceCode = deviceCode.toString();
    const QJsonValue userCode = object.value("user_code"_L1);
    if (!userCode.isString() || !isPrintableCode(userCode.toString(), MaxUserCodeLength)) {
        response.error = invalidResponse(httpStatus,
                u"\"user_code\" is missing, too long or holds characters that cannot be shown"_s);
        return response;
    }
    authorization.userCode = userCode.toString();
    const std::optional<QUrl> uri = verificationUrl(object.value("verification_uri"_L1));
    if (!uri) {
        response.error = invalidResponse(
                httpStatus, u"\"verification_uri\" is missing or not an absolute http(s) URL"_s);
        return response;
    }
    authorization.verificationUri = *uri;
    if (const std::optional<QUrl> complete =
                    verificationUrl(object.value("verification_uri_complete"_L1))) {
        authorization.verificationUriComplete = *complete;
    }
    const std::optional<double> expiresIn = seconds(object.value("expires_in"_L1));
    if (!expiresIn || *expiresIn > MaxExpiresInSeconds) {
        response.error = invalidResponse(httpStatus,
                u"\"expires_in\" is missing or not a positive number of seconds (at most a day)"_s);
        return response;
    }
    authorization.expiresInSeconds = qint64(*expiresIn);
    if (authorization.expiresInSeconds < 1)
        authorization.expiresInSeconds = 1;
    const std::optional<double> interval = seconds(object.value("interval"_L1));
    if (interval && *interval <= MaxIntervalSeconds && *interval == std::floor(*interval))
        authorization.intervalSeconds = int(*interval);
    response.authorization = authorization;
    return response;
}

} // namespace McpProxy
