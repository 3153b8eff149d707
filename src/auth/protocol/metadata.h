#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QList>
#include <QtCore/QString>
#include <QtCore/QStringList>
#include <QtCore/QUrl>

#include <optional>

namespace McpProxy {

// RFC 9728 section 2 protected resource metadata (the fields MCP uses).
struct ProtectedResourceMetadata
{
    QString resource; // as sent (compared with the server URL, RFC 9728 section 3.3)
    QList<QUrl> authorizationServers; // issuer identifiers
    // The same identifiers as sent: an issuer is compared as a string, never after QUrl's
    // normalisation (RFC 8414 section 3.3).
    QStringList authorizationServerIssuers;
    QStringList scopesSupported;
    bool hasScopesSupported = false; // present (possibly empty) vs absent

    // Parses a JSON document; nullopt and *error (English) when it is not an object, lacks
    // "resource", or has wrongly typed members (authorization_servers must be absolute http(s)
    // URLs). Unknown members are ignored, null members count as absent.
    static std::optional<ProtectedResourceMetadata> parse(const QByteArray &json, QString *error);
};

// RFC 8414 section 2 / OpenID Connect Discovery 1.0 section 3 authorization server metadata.
struct AuthorizationServerMetadata
{
    QString issuer;
    QUrl authorizationEndpoint;
    QUrl tokenEndpoint;
    QUrl registrationEndpoint;
    QUrl revocationEndpoint;
    QUrl deviceAuthorizationEndpoint; // RFC 8628 section 4
    QStringList scopesSupported;
    QStringList responseTypesSupported;
    QStringList grantTypesSupported;
    QStringList codeChallengeMethodsSupported;
    QStringList tokenEndpointAuthMethodsSupported;
    QStringList tokenEndpointAuthSigningAlgValuesSupported;
    bool clientIdMetadataDocumentSupported = false;
    bool authorizationResponseIssParameterSupported = false;
    bool fromFallback = false; // 2025-03-26 default endpoints, no document was found

    // Same rules; "issuer" must be a non-empty string, endpoints absolute http(s) URLs. Whether
    // the issuer equals the one discovery started from (RFC 8414 section 3.3) is the caller's
    // check.
    static std::optional<AuthorizationServerMetadata> parse(const QByteArray &json, QString *error);
    // MCP 2025-03-26 "Fallbacks for Servers without Metadata Discovery": /authorize, /token and
    // /register at the origin of the MCP server URL; issuer = that origin; fromFallback = true;
    // codeChallengeMethodsSupported left empty (whether to assume S256 is the caller's decision).
    static AuthorizationServerMetadata fallbackFor(const QUrl &serverUrl);
};

// RFC 8707 section 2 / MCP 2025-06-18: the canonical URI of the MCP server: lower-case scheme and
// host, no user info, no fragment, no default port, one terminating "/" removed (so
// "https://a.example/" → "https://a.example"); path case, percent-encoding and query kept.
// Empty for a relative or host-less URL.
QString canonicalResourceUri(const QUrl &serverUrl);

// RFC 9728 section 3.3: the metadata's resource must identify the server we talk to. Compared after
// canonicalisation; a resource that is a path-prefix "parent" of the server URL on the same
// origin is accepted too (the PRM of a root resource, as the MCP SDKs do).
bool resourceMatchesServer(const QString &resource, const QUrl &serverUrl);

// RFC 9728 section 3.1 and MCP 2025-11-25 order: the challenge's resource_metadata first (if any),
// then
// /.well-known/oauth-protected-resource/<path>[?query] (path-inserted, when the server URL has a
// path or query; a terminating "/" removed), then /.well-known/oauth-protected-resource at the
// origin. No duplicates.
QList<QUrl> protectedResourceMetadataUrls(const QUrl &serverUrl, const QUrl &fromChallenge);

// MCP 2025-11-25 "Authorization Server Metadata Discovery" order. Issuer with a path p:
// /.well-known/oauth-authorization-server/p, /.well-known/openid-configuration/p,
// /p/.well-known/openid-configuration. Issuer without a path:
// /.well-known/oauth-authorization-server,
// /.well-known/openid-configuration.
QList<QUrl> authorizationServerMetadataUrls(const QUrl &issuer);

} // namespace McpProxy
