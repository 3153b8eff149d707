#pragma once

#include <QtCore/QStringView>
#include <QtCore/QUrl>

namespace McpProxy {

// The one rule for where the proxy may send credentials and where it receives a login: every
// URL the configuration, discovery and the login accept goes through these functions.
// MCP 2025-11-25 authorization "Communication Security" and OAuth 2.1 section 1.5: endpoints are
// https; plain http is allowed only to a loopback host (RFC 8252 sections 7.3 and 8.3), or to any
// host when the user opted in (allowInsecureHttp / ALLOW_INSECURE_HTTP / --allow-http).
namespace UrlPolicy {

enum class Verdict {
    Allowed, // https, http to a loopback host, or any http when insecure http is allowed
    Invalid, // not a valid absolute URL, or http(s) without a host
    UnsupportedScheme, // neither http nor https
    CleartextToRemoteHost, // http to a host that is not loopback
};

// A loopback host: "localhost" (any case), an IPv4 address in 127.0.0.0/8 written as four
// decimal octets (0-255, no leading zeros), or the IPv6 address ::1 (with or without brackets;
// not the IPv4-mapped form ::ffff:127.0.0.1). Nothing is trimmed. QUrl::host() already gives the
// canonical form (127.1 becomes 127.0.0.1, [0::1] becomes ::1).
bool isLoopbackHost(QStringView host);

// The verdict for url (parse it with QUrl::StrictMode).
Verdict check(const QUrl &url, bool allowInsecureHttp);

inline bool isAllowed(const QUrl &url, bool allowInsecureHttp)
{
    return check(url, allowInsecureHttp) == Verdict::Allowed;
}

// Where the proxy itself receives the authorization response (RFC 8252 section 7.3): http to a
// loopback host with an explicit port (1-65535) and no fragment (RFC 6749 section 3.1.2).
bool isLoopbackRedirectUri(const QUrl &url);

} // namespace UrlPolicy

} // namespace McpProxy
