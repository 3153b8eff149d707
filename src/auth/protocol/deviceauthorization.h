#pragma once

#include "auth/protocol/tokenresponse.h"

#include <QtCore/QByteArray>
#include <QtCore/QString>
#include <QtCore/QUrl>

#include <optional>

namespace McpProxy {

// RFC 8628 section 3.2: what the device authorization endpoint issued.
struct DeviceAuthorization
{
    QString deviceCode; // a credential: never shown, never logged
    QString userCode; // shown to the user (printable, at most 64 characters)
    QUrl verificationUri; // absolute http(s)
    QUrl verificationUriComplete; // optional (section 3.3.1); empty when absent or unusable
    qint64 expiresInSeconds = 0; // > 0
    int intervalSeconds = 5; // section 3.2: 5 when absent
};

// Parses a device authorization response (RFC 8628 section 3.2). A 2xx JSON object with a
// device_code, a printable user_code, an absolute http(s) verification_uri and a positive
// expires_in (number or numeric string) is a DeviceAuthorization; an interval that is absent,
// not a positive integer or beyond a day becomes 5, an unusable verification_uri_complete is
// dropped. Anything else is an OAuthError: the body's RFC 6749 section 5.2 members (non-2xx
// with an "error"), else "invalid_response" naming what is wrong (never echoing a value).
struct DeviceAuthorizationResponse
{
    std::optional<DeviceAuthorization> authorization;
    OAuthError error;
};
DeviceAuthorizationResponse parseDeviceAuthorizationResponse(
        int httpStatus, const QByteArray &body);

} // namespace McpProxy
