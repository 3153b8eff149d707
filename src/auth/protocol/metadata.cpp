#include "auth/protocol/metadata.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QJsonParseError>

using namespace Qt::StringLiterals;

namespace McpProxy {

namespace {

constexpr auto ProtectedResourceWellKnown = "/.well-known/oauth-protected-resource"_L1;
constexpr auto AuthorizationServerWellKnown = "/.well-known/oauth-authorization-server"_L1;
constexpr auto OpenIdConfigurationWellKnown = "/.well-known/openid-configuration"_L1;

void setError(QString *error, const QString &text)
{
    if (error)
        *error = text;
}

std::optional<QJsonObject> parseObject(const QByteArray &json, QString *error)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        setError(error, u"not valid JSON: "_s + parseError.errorString());
        return std::nullopt;
    }
    if (!document.isObject()) {
        setError(error, u"not a JSON object"_s);
        return std::nullopt;
    }
    return document.object();
}

// Typed readers: an absent or null member leaves the output untouched and succeeds; a member of
// the wrong type fails with *error naming it. Unknown members are never looked at.
bool readString(const QJsonObject &object, QLatin1String key, QString *out, QString *error)
{
    const QJsonValue value = object.value(key);
    if (value.isUndefined() || value.isNull())
        return true;
    if (!value.isString()) {
        setError(error, u"\""_s + key + u"\" is not a string"_s);
        return false;
    }
    *out = value.toString();
    return true;
}

bool readStringList(const QJsonObject &object, QLatin1String key, QStringList *out, bool *present,
        QString *error)
{
    const QJsonValue value = object.value(key);
    if (value.isUndefined() || value.isNull())
        return true;
    if (!value.isArray()) {
        setError(error, u"\""_s + key + u"\" is not an array"_s);
        return false;
    }
    QStringList list;
    const QJsonArray array = value.toArray();
    for (const auto &element : array) {
        if (!element.isString()) {
            setError(error, u"\""_s + key + u"\" holds a value that is not a string"_s);
            return false;
        }
        list.append(element.toString());
    }
    *out = list;
    if (present)
        *present = true;
    return true;
}

bool isAbsoluteHttpUrl(const QUrl &url)
{
    return url.isValid() && !url.isRelative() && !url.host().isEmpty()
            && (url.scheme() == "https"_L1 || url.scheme() == "http"_L1);
}

bool readUrl(const QJsonObject &object, QLatin1String key, QUrl *out, QString *error)
{
    QString text;
    if (!readString(object, key, &text, error))
        return false;
    if (text.isNull())
        return true;
    const QUrl url(text, QUrl::StrictMode);
    if (!isAbsoluteHttpUrl(url)) {
        setError(error, u"\""_s + key + u"\" is not an absolute http(s) URL"_s);
        return false;
    }
    *out = url;
    return true;
}

bool readBool(const QJsonObject &object, QLatin1String key, bool *out, QString *error)
{
    const QJsonValue value = object.value(key);
    if (value.isUndefined() || value.isNull())
        return true;
    if (!value.isBool()) {
        setError(error, u"\""_s + key + u"\" is not a boolean"_s);
        return false;
    }
    *out = value.toBool();
    return true;
}

int defaultPort(const QString &scheme)
{
    if (scheme == "https"_L1)
        return 443;
    if (scheme == "http"_L1)
        return 80;
    return -1;
}

bool isUsableUrl(const QUrl &url)
{
    return url.isValid() && !url.isRelative() && !url.host().isEmpty();
}

// scheme://host[:port] with lower-case scheme and host and no default port (RFC 3986
// section 6.2.2.1, section 6.2.3).
QUrl originOf(const QUrl &url)
{
    QUrl origin;
    const QString scheme = url.scheme().toLower();
    origin.setScheme(scheme);
    origin.setHost(url.host(QUrl::FullyEncoded).toLower());
    const int port = url.port();
    if (port != -1 && port != defaultPort(scheme))
        origin.setPort(port);
    return origin;
}

// The percent-encoded path without one terminating "/" (so "/" becomes empty).
QString pathWithoutTrailingSlash(const QUrl &url)
{
    QString path = url.path(QUrl::FullyEncoded);
    if (path.endsWith(u'/'))
        path.chop(1);
    return path;
}

QUrl withPath(const QUrl &origin, const QString &encodedPath)
{
    QUrl url = origin;
    url.setPath(encodedPath, QUrl::TolerantMode);
    return url;
}

void appendUnique(QList<QUrl> &urls, const QUrl &url)
{
    if (url.isValid() && !url.isEmpty() && !urls.contains(url))
        urls.append(url);
}

} // namespace

std::optional<ProtectedResourceMetadata> ProtectedResourceMetadata::parse(
        const QByteArray &json, QString *error)
{
    const std::optional<QJsonObject> object = parseObject(json, error);
    if (!object)
        return std::nullopt;

    // RFC 9728 section 2
    ProtectedResourceMetadata metadata;
    if (!readString(*object, "resource"_L1, &metadata.resource, error))
        return std::nullopt;
    if (metadata.resource.isEmpty()) {
        setError(error, u"\"resource\" is missing or empty"_s);
        return std::nullopt;
    }
    QStringList servers;
    if (!readStringList(*object, "authorization_servers"_L1, &servers, nullptr, error))
        return std::nullopt;
    for (const QString &server : std::as_const(servers)) {
        const QUrl url(server, QUrl::StrictMode);
        if (!isAbsoluteHttpUrl(url)) {
            setError(error,
                    u"\"authorization_servers\" holds a value that is not an absolute http(s) URL"_s);
            return std::nullopt;
        }
        metadata.authorizationServers.append(url);
        metadata.authorizationServerIssuers.append(server);
    }
    if (!readStringList(*object, "scopes_supported"_L1, &metadata.scopesSupported,
                &metadata.hasScopesSupported, error))
        return std::nullopt;
    return metadata;
}

std::optional<AuthorizationServerMetadata> AuthorizationServerMetadata::parse(
        const QByteArray &json, QString *error)
{
    const std::optional<QJsonObject> object = parseObject(json, error);
    if (!object)
        return std::nullopt;

    // RFC 8414 section 2, OpenID Connect Discovery 1.0 section 3, CIMD draft section 5
    // (client_id_metadata_document_supported), RFC 9207 section 3
    // (authorization_response_iss_parameter_supported).
    AuthorizationServerMetadata metadata;
    if (!readString(*object, "issuer"_L1, &metadata.issuer, error))
        return std::nullopt;
    if (metadata.issuer.isEmpty()) {
        setError(error, u"\"issuer\" is missing or empty"_s);
        return std::nullopt;
    }
    const bool ok =
            readUrl(*object, "authorization_endpoint"_L1, &metadata.authorizationEndpoint, error)
            && readUrl(*object, "token_endpoint"_L1, &metadata.tokenEndpoint, error)
            && readUrl(*object, "registration_endpoint"_L1, &metadata.registrationEndpoint, error)
            && readUrl(*object, "revocation_endpoint"_L1, &metadata.revocationEndpoint, error)
            && readUrl(*object, "device_authorization_endpoint"_L1,
                    &metadata.deviceAuthorizationEndpoint, error)
            && readStringList(
                    *object, "scopes_supported"_L1, &metadata.scopesSupported, nullptr, error)
            && readStringList(*object, "response_types_supported"_L1,
                    &metadata.responseTypesSupported, nullptr, error)
            && readStringList(*object, "grant_types_supported"_L1, &metadata.grantTypesSupported,
                    nullptr, error)
            && readStringList(*object, "code_challenge_methods_supported"_L1,
                    &metadata.codeChallengeMethodsSupported, nullptr, error)
            && readStringList(*object, "token_endpoint_auth_methods_supported"_L1,
                    &metadata.tokenEndpointAuthMethodsSupported, nullptr, error)
            && readStringList(*object, "token_endpoint_auth_signing_alg_values_supported"_L1,
                    &metadata.tokenEndpointAuthSigningAlgValuesSupported, nullptr, error)
            && readBool(*object, "client_id_metadata_document_supported"_L1,
                    &metadata.clientIdMetadataDocumentSupported, error)
            && readBool(*object, "authorization_response_iss_parameter_supported"_L1,
                    &metadata.authorizationResponseIssParameterSupported, error);
    if (!ok)
        return std::nullopt;
    return metadata;
}

AuthorizationServerMetadata AuthorizationServerMetadata::fallbackFor(const QUrl &serverUrl)
{
    // MCP 2025-03-26 authorization "Fallbacks for Servers without Metadata Discovery". Whether
    // PKCE may be assumed is the caller's decision, so code_challenge_methods_supported stays
    // empty.
    AuthorizationServerMetadata metadata;
    metadata.fromFallback = true;
    if (!isUsableUrl(serverUrl))
        return metadata;
    const QUrl origin = originOf(serverUrl);
    metadata.issuer = origin.toString(QUrl::FullyEncoded);
    metadata.authorizationEndpoint = withPath(origin, u"/authorize"_s);
    metadata.tokenEndpoint = withPath(origin, u"/token"_s);
    metadata.registrationEndpoint = withPath(origin, u"/register"_s);
    return metadata;
}

QString canonicalResourceUri(const QUrl &serverUrl)
{
    if (!isUsableUrl(serverUrl))
        return QString();
    // RFC 8707 section 2, MCP 2025-06-18 "Canonical Server URI": no fragment, no user info.
    QUrl url = withPath(originOf(serverUrl), pathWithoutTrailingSlash(serverUrl));
    if (serverUrl.hasQuery())
        url.setQuery(serverUrl.query(QUrl::FullyEncoded), QUrl::TolerantMode);
    return url.toString(QUrl::FullyEncoded);
}

bool resourceMatchesServer(const QString &resource, const QUrl &serverUrl)
{
    const QUrl resourceUrl(resource, QUrl::StrictMode);
    const QString canonicalResource = canonicalResourceUri(resourceUrl);
    const QString canonicalServer = canonicalResourceUri(serverUrl);
    if (canonicalResource.isEmpty() || canonicalServer.isEmpty())
        return false;
    if (canonicalResource == canonicalServer)
        return true;
    // A parent resource on the same origin, compared segment by segment ("/api" covers
    // "/api/mcp", not "/apix/mcp"). A resource with a query only matches exactly.
    if (resourceUrl.hasQuery() || originOf(resourceUrl) != originOf(serverUrl))
        return false;
    const QString resourcePath = pathWithoutTrailingSlash(resourceUrl);
    const QString serverPath = pathWithoutTrailingSlash(serverUrl);
    return resourcePath.isEmpty() || serverPath == resourcePath
            || serverPath.startsWith(resourcePath + u'/');
}

QList<QUrl> protectedResourceMetadataUrls(const QUrl &serverUrl, const QUrl &fromChallenge)
{
    QList<QUrl> urls;
    appendUnique(urls, fromChallenge); // RFC 9728 section 5.1, MCP 2025-11-25 "Protected Resource
                                       // Metadata Discovery Requirements"
    if (!isUsableUrl(serverUrl))
        return urls;
    const QUrl origin = originOf(serverUrl);
    // RFC 9728 section 3.1: the well-known string goes between the host and the path and/or query,
    // after removing a terminating "/".
    const QString path = pathWithoutTrailingSlash(serverUrl);
    if (!path.isEmpty() || serverUrl.hasQuery()) {
        QUrl inserted = withPath(origin, ProtectedResourceWellKnown + path);
        if (serverUrl.hasQuery())
            inserted.setQuery(serverUrl.query(QUrl::FullyEncoded), QUrl::TolerantMode);
        appendUnique(urls, inserted);
    }
    appendUnique(urls, withPath(origin, ProtectedResourceWellKnown));
    return urls;
}

QList<QUrl> authorizationServerMetadataUrls(const QUrl &issuer)
{
    QList<QUrl> urls;
    if (!isUsableUrl(issuer))
        return urls;
    const QUrl origin = originOf(issuer);
    const QString path = pathWithoutTrailingSlash(issuer);
    // MCP 2025-11-25 "Authorization Server Metadata Discovery"; RFC 8414 section 3.1 path
    // insertion, then OpenID Connect Discovery 1.0 section 4.1 in both forms.
    appendUnique(urls, withPath(origin, AuthorizationServerWellKnown + path));
    appendUnique(urls, withPath(origin, OpenIdConfigurationWellKnown + path));
    if (!path.isEmpty())
        appendUnique(urls, withPath(origin, path + OpenIdConfigurationWellKnown));
    return urls;
}

} // namespace McpProxy
