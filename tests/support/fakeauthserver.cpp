#include "support/fakeauthserver.h"

#include <QtCore/QUrlQuery>

#include <QtCore/QCryptographicHash>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QPointer>
#include <QtCore/QRandomGenerator>
#include <QtCore/QTimer>

namespace McpProxy::Test {

using namespace Qt::StringLiterals;

namespace {

const QString JwtBearerAssertionType = u"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"_s;

QString findParam(const FakeFormFields &params, const QString &name)
{
    for (const auto &param : params) {
        if (param.first == name)
            return param.second;
    }
    return {};
}

bool containsParam(const FakeFormFields &params, const QString &name)
{
    for (const auto &param : params) {
        if (param.first == name)
            return true;
    }
    return false;
}

// application/x-www-form-urlencoded (WHATWG URL section 5.2): unreserved kept, space as '+'.
QByteArray formEncode(const FakeFormFields &fields)
{
    QByteArray out;
    for (const auto &field : fields) {
        if (!out.isEmpty())
            out += '&';
        out += field.first.toUtf8().toPercentEncoding(" ").replace(' ', '+');
        out += '=';
        out += field.second.toUtf8().toPercentEncoding(" ").replace(' ', '+');
    }
    return out;
}

QString formDecode(QByteArray bytes)
{
    bytes.replace('+', ' ');
    return QString::fromUtf8(QByteArray::fromPercentEncoding(bytes));
}

std::optional<QJsonObject> decodeJwtPart(const QByteArray &part)
{
    const auto decoded = QByteArray::fromBase64Encoding(part,
            QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals
                    | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return std::nullopt;
    QJsonParseError error{};
    const QJsonDocument document = QJsonDocument::fromJson(*decoded, &error);
    if (error.error != QJsonParseError::NoError || !document.isObject())
        return std::nullopt;
    return document.object();
}

QString tokenFailureName(FakeAuthServer::TokenFailure failure)
{
    switch (failure) {
    case FakeAuthServer::TokenFailure::InvalidGrant:
        return u"invalid_grant"_s;
    case FakeAuthServer::TokenFailure::InvalidClient:
        return u"invalid_client"_s;
    case FakeAuthServer::TokenFailure::TemporarilyUnavailable:
        return u"temporarily_unavailable"_s;
    case FakeAuthServer::TokenFailure::ServerError500:
        return u"injected_500"_s;
    case FakeAuthServer::TokenFailure::NonJson:
        return u"injected_non_json"_s;
    case FakeAuthServer::TokenFailure::Redirect:
        return u"injected_redirect"_s;
    case FakeAuthServer::TokenFailure::Hang:
        return u"injected_hang"_s;
    }
    return {};
}

} // namespace

QString FakeAuthorizeRequest::param(const QString &name) const
{
    return findParam(params, name);
}

bool FakeAuthorizeRequest::hasParam(const QString &name) const
{
    return containsParam(params, name);
}

QString FakeTokenRequest::param(const QString &name) const
{
    return findParam(params, name);
}

bool FakeTokenRequest::hasParam(const QString &name) const
{
    return containsParam(params, name);
}

FakeAuthServer::FakeAuthServer(QObject *parent)
    : QObject(parent)
{
    m_http.setHandler([this](const FakeHttpRequest &request, FakeHttpResponder *responder) {
        if (!handle(request, responder))
            replyOAuthError(responder, 404, u"not_found"_s, u"no such endpoint"_s);
    });
}

FakeAuthServer::~FakeAuthServer() = default;

bool FakeAuthServer::listen(quint16 port, const QHostAddress &address)
{
    return m_http.listen(port, address);
}

QString FakeAuthServer::origin() const
{
    const QUrl base = m_publicOrigin.isValid() ? m_publicOrigin : m_http.url();
    return base.adjusted(QUrl::RemovePath | QUrl::RemoveQuery | QUrl::RemoveFragment)
            .toString(QUrl::FullyEncoded);
}

QUrl FakeAuthServer::url(const QString &path) const
{
    return QUrl(origin() + path);
}

void FakeAuthServer::setIssuerPath(const QString &path)
{
    m_issuerPath = path;
    while (m_issuerPath.endsWith(u'/'))
        m_issuerPath.chop(1);
    if (!m_issuerPath.isEmpty() && !m_issuerPath.startsWith(u'/'))
        m_issuerPath.prepend(u'/');
}

QString FakeAuthServer::issuer() const
{
    return origin() + m_issuerPath;
}

QString FakeAuthServer::endpointPath(const char *name) const
{
    return m_issuerPath + u'/' + QLatin1StringView(name);
}

QUrl FakeAuthServer::authorizationEndpoint() const
{
    return url(endpointPath("authorize"));
}

QUrl FakeAuthServer::deviceAuthorizationEndpoint() const
{
    return url(endpointPath("device"));
}

bool FakeAuthServer::approveDevice(const QString &userCode)
{
    for (DeviceGrant &grant : m_deviceGrants) {
        if (grant.userCode == userCode && grant.status == DeviceGrant::Status::Pending
                && QDateTime::currentDateTimeUtc() < grant.expiresAt) {
            grant.status = DeviceGrant::Status::Approved;
            return true;
        }
    }
    return false;
}

bool FakeAuthServer::denyDevice(const QString &userCode)
{
    for (DeviceGrant &grant : m_deviceGrants) {
        if (grant.userCode == userCode && grant.status == DeviceGrant::Status::Pending
                && QDateTime::currentDateTimeUtc() < grant.expiresAt) {
            grant.status = DeviceGrant::Status::Denied;
            return true;
        }
    }
    return false;
}

// RFC 8628 section 3.1/3.2.
void FakeAuthServer::handleDeviceAuthorization(
        const FakeHttpRequest &request, FakeHttpResponder *responder)
{
    ++m_deviceAuthorizationCount;
    if (request.method != "POST") {
        responder->reply(405, {{"Allow", "POST"}});
        return;
    }
    FakeTokenRequest record;
    record.params = parseForm(request.body);
    m_deviceRequests.append(record.params);
    const ClientCheck check = authenticateClient(request, &record);
    if (!check.error.isEmpty()) {
        replyOAuthError(responder, check.error == u"invalid_client"_s ? 401 : 400, check.error,
                check.description);
        return;
    }
    const std::optional<FakeOAuthClient> known = client(check.clientId);
    const QString grantType = u"urn:ietf:params:oauth:grant-type:device_code"_s;
    if (known && !known->grantTypes.isEmpty() && !known->grantTypes.contains(grantType)) {
        replyOAuthError(responder, 400, u"unauthorized_client"_s, u"grant type not registered"_s);
        return;
    }
    DeviceGrant grant;
    grant.clientId = check.clientId;
    grant.scope = record.param(u"scope"_s);
    grant.resource = record.param(u"resource"_s);
    grant.expiresAt = QDateTime::currentDateTimeUtc().addSecs(m_deviceExpiresIn);
    ++m_nextSerial;
    grant.userCode = u"USER-%1"_s.arg(m_nextSerial, 4, 10, QChar(u'0'));
    const QString deviceCode = newToken("dc");
    m_deviceGrants.insert(deviceCode, grant);
    const QUrl verification = url(endpointPath("activate"));
    QUrl complete = verification;
    complete.setQuery(u"user_code="_s + grant.userCode);
    replyJson(responder, 200,
            QJsonObject{{u"device_code"_s, deviceCode}, {u"user_code"_s, grant.userCode},
                    {u"verification_uri"_s, verification.toString()},
                    {u"verification_uri_complete"_s, complete.toString()},
                    {u"expires_in"_s, m_deviceExpiresIn}, {u"interval"_s, m_deviceInterval}});
}

// RFC 8628 section 3.4/3.5. False with *error set when no tokens are issued.
bool FakeAuthServer::answerDeviceCode(const FakeTokenRequest &record, const QString &clientId,
        QJsonObject *tokens, QString *error)
{
    DevicePoll poll{QDateTime::currentDateTimeUtc(), QString()};
    const auto refuse = [&](const QString &code) {
        poll.error = code;
        m_devicePolls.append(poll);
        *error = code;
        return false;
    };
    auto grant = m_deviceGrants.find(record.param(u"device_code"_s));
    if (grant == m_deviceGrants.end() || grant->clientId != clientId
            || grant->status == DeviceGrant::Status::Used)
        return refuse(u"invalid_grant"_s);
    if (QDateTime::currentDateTimeUtc() >= grant->expiresAt)
        return refuse(u"expired_token"_s);
    if (m_deviceSlowDowns > 0) {
        --m_deviceSlowDowns;
        return refuse(u"slow_down"_s);
    }
    if (grant->status == DeviceGrant::Status::Denied)
        return refuse(u"access_denied"_s);
    if (grant->status == DeviceGrant::Status::Pending)
        return refuse(u"authorization_pending"_s);
    grant->status = DeviceGrant::Status::Used;
    m_devicePolls.append(poll);
    *tokens = issueTokens(
            clientId, grant->scope, grant->resource, ++m_nextGrant, m_issueRefreshTokens);
    return true;
}

QUrl FakeAuthServer::tokenEndpoint() const
{
    return url(endpointPath("token"));
}

QUrl FakeAuthServer::registrationEndpoint() const
{
    return url(endpointPath("register"));
}

QUrl FakeAuthServer::revocationEndpoint() const
{
    return url(endpointPath("revoke"));
}

QString FakeAuthServer::metadataPath(MetadataLocation location) const
{
    switch (location) {
    case MetadataLocation::OAuthInserted:
        return u"/.well-known/oauth-authorization-server"_s + m_issuerPath;
    case MetadataLocation::OidcInserted:
        return u"/.well-known/openid-configuration"_s + m_issuerPath;
    case MetadataLocation::OidcAppended:
        return m_issuerPath + u"/.well-known/openid-configuration"_s;
    case MetadataLocation::OAuthRoot:
        return u"/.well-known/oauth-authorization-server"_s;
    case MetadataLocation::OidcRoot:
        return u"/.well-known/openid-configuration"_s;
    }
    return {};
}

void FakeAuthServer::setMetadataValue(const QString &key, const QJsonValue &value)
{
    if (value.isUndefined()) {
        m_metadataOverrides.remove(key);
        if (!m_removedMetadataKeys.contains(key))
            m_removedMetadataKeys.append(key);
    } else {
        m_removedMetadataKeys.removeAll(key);
        m_metadataOverrides.insert(key, value);
    }
}

QJsonObject FakeAuthServer::authorizationServerMetadata() const
{
    const QJsonArray authMethods{
            u"none"_s, u"client_secret_basic"_s, u"client_secret_post"_s, u"private_key_jwt"_s};
    QJsonObject document{
            {u"issuer"_s, m_advertisedIssuer.isEmpty() ? issuer() : m_advertisedIssuer},
            {u"authorization_endpoint"_s, authorizationEndpoint().toString()},
            {u"token_endpoint"_s, tokenEndpoint().toString()},
            {u"revocation_endpoint"_s, revocationEndpoint().toString()},
            {u"response_types_supported"_s, QJsonArray{u"code"_s}},
            {u"grant_types_supported"_s,
                    QJsonArray{
                            u"authorization_code"_s, u"refresh_token"_s, u"client_credentials"_s}},
            {u"code_challenge_methods_supported"_s, QJsonArray{u"S256"_s}},
            {u"token_endpoint_auth_methods_supported"_s, authMethods},
            {u"token_endpoint_auth_signing_alg_values_supported"_s,
                    QJsonArray{u"ES256"_s, u"RS256"_s}},
            {u"revocation_endpoint_auth_methods_supported"_s, authMethods},
    };
    if (m_registrationEnabled)
        document.insert(u"registration_endpoint"_s, registrationEndpoint().toString());
    if (!m_scopesSupported.isEmpty())
        document.insert(u"scopes_supported"_s, QJsonArray::fromStringList(m_scopesSupported));
    if (m_issParameter)
        document.insert(u"authorization_response_iss_parameter_supported"_s, true);
    if (m_deviceFlow) {
        document.insert(
                u"device_authorization_endpoint"_s, deviceAuthorizationEndpoint().toString());
        QJsonArray grants = document.value(u"grant_types_supported"_s).toArray();
        grants.append(u"urn:ietf:params:oauth:grant-type:device_code"_s);
        document.insert(u"grant_types_supported"_s, grants);
    }
    for (auto it = m_metadataOverrides.begin(); it != m_metadataOverrides.end(); ++it)
        document.insert(it.key(), it.value());
    for (const QString &key : m_removedMetadataKeys)
        document.remove(key);
    return document;
}

void FakeAuthServer::setProtectedResource(const QString &resource,
        const QList<ResourceMetadataLocation> &locations, const QStringList &scopesSupported)
{
    m_resource = resource;
    m_resourceScopes = scopesSupported;
    m_resourceMetadataPaths.clear();
    for (ResourceMetadataLocation location : locations) {
        const QString path = resourceMetadataPath(QUrl(resource), location);
        if (!m_resourceMetadataPaths.contains(path))
            m_resourceMetadataPaths.append(path);
    }
}

void FakeAuthServer::addResourceMetadataPath(const QString &path)
{
    if (!m_resourceMetadataPaths.contains(path))
        m_resourceMetadataPaths.append(path);
}

void FakeAuthServer::setResourceMetadataValue(const QString &key, const QJsonValue &value)
{
    if (value.isUndefined()) {
        m_resourceOverrides.remove(key);
        if (!m_removedResourceKeys.contains(key))
            m_removedResourceKeys.append(key);
    } else {
        m_removedResourceKeys.removeAll(key);
        m_resourceOverrides.insert(key, value);
    }
}

QJsonObject FakeAuthServer::protectedResourceMetadata() const
{
    QJsonObject document{
            {u"resource"_s, m_resource},
            {u"authorization_servers"_s, QJsonArray{issuer()}},
            {u"bearer_methods_supported"_s, QJsonArray{u"header"_s}},
    };
    if (!m_resourceScopes.isEmpty())
        document.insert(u"scopes_supported"_s, QJsonArray::fromStringList(m_resourceScopes));
    for (auto it = m_resourceOverrides.begin(); it != m_resourceOverrides.end(); ++it)
        document.insert(it.key(), it.value());
    for (const QString &key : m_removedResourceKeys)
        document.remove(key);
    return document;
}

QUrl FakeAuthServer::resourceMetadataUrl() const
{
    return m_resourceMetadataPaths.isEmpty() ? QUrl() : url(m_resourceMetadataPaths.first());
}

QString FakeAuthServer::resourceMetadataPath(
        const QUrl &resource, ResourceMetadataLocation location)
{
    QString path = resource.path(QUrl::FullyEncoded);
    while (path.endsWith(u'/'))
        path.chop(1);
    if (location == ResourceMetadataLocation::Root || path.isEmpty())
        return u"/.well-known/oauth-protected-resource"_s;
    return u"/.well-known/oauth-protected-resource"_s + path;
}

QByteArray FakeAuthServer::bearerChallenge(const QString &scope, const QString &error) const
{
    QByteArray challenge = "Bearer resource_metadata=\"" + resourceMetadataUrl().toEncoded() + '"';
    if (!scope.isEmpty())
        challenge += ", scope=\"" + scope.toUtf8() + '"';
    if (!error.isEmpty())
        challenge += ", error=\"" + error.toUtf8() + '"';
    return challenge;
}

void FakeAuthServer::setResponse(const QString &path, int status, const QByteArray &body,
        const QByteArray &contentType, int times)
{
    m_canned.insert(path, Canned{status, body, contentType, times});
}

void FakeAuthServer::addClient(const FakeOAuthClient &client)
{
    m_clients.insert(client.clientId, client);
}

std::optional<FakeOAuthClient> FakeAuthServer::client(const QString &clientId) const
{
    const auto it = m_clients.constFind(clientId);
    if (it == m_clients.cend())
        return std::nullopt;
    return *it;
}

void FakeAuthServer::failRegistration(
        const QString &error, const QString &description, int status, int times)
{
    m_registrationFailures.append(RegistrationFailure{error, description, status, times});
}

void FakeAuthServer::failAuthorization(const QString &error, int times)
{
    m_authorizationFailures.append({error, times});
}

void FakeAuthServer::failToken(TokenFailure failure, int times)
{
    m_tokenFailures.append({failure, times});
}

FakeFormFields FakeAuthServer::parseForm(const QByteArray &body)
{
    FakeFormFields fields;
    if (body.isEmpty())
        return fields;
    const QList<QByteArray> pairs = body.split('&');
    for (const QByteArray &pair : pairs) {
        if (pair.isEmpty())
            continue;
        const qsizetype equals = pair.indexOf('=');
        if (equals < 0)
            fields.append({formDecode(pair), QString()});
        else
            fields.append({formDecode(pair.left(equals)), formDecode(pair.mid(equals + 1))});
    }
    return fields;
}

QString FakeAuthServer::newToken(const char *prefix)
{
    QByteArray random(8, Qt::Uninitialized);
    QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(random.data()), 2);
    const QString serial = QString::number(++m_nextSerial);
    const QString hex = QString::fromLatin1(random.toHex());
    if (m_tokenSpecialCharacters) {
        // An access token stays an RFC 6750 section 2.1 b64token (it goes into a header); codes and
        // refresh tokens only travel form-encoded, so they get a '%' too.
        const bool access = qstrcmp(prefix, "at") == 0;
        return QLatin1StringView(prefix) + u'-' + serial + u'+' + hex
                + (access ? u"/=="_s : u"/%=="_s);
    }
    return QLatin1StringView(prefix) + u'-' + serial + u'-' + hex;
}

void FakeAuthServer::replyJson(FakeHttpResponder *responder, int status, const QJsonObject &body,
        const FakeHttpHeaders &extra)
{
    FakeHttpHeaders headers{{"Content-Type", "application/json"}, {"Cache-Control", "no-store"},
            {"Pragma", "no-cache"}};
    headers += extra;
    responder->reply(status, headers, QJsonDocument(body).toJson(QJsonDocument::Compact));
}

void FakeAuthServer::replyOAuthError(FakeHttpResponder *responder, int status, const QString &error,
        const QString &description, const FakeHttpHeaders &extra)
{
    QJsonObject body{{u"error"_s, error}};
    if (!description.isEmpty())
        body.insert(u"error_description"_s, description);
    replyJson(responder, status, body, extra);
}

bool FakeAuthServer::handle(const FakeHttpRequest &request, FakeHttpResponder *responder)
{
    const QString path = QString::fromUtf8(request.path());

    auto canned = m_canned.find(path);
    if (canned != m_canned.end() && canned->remaining != 0) {
        if (canned->remaining > 0)
            --canned->remaining;
        FakeHttpHeaders headers;
        if (!canned->contentType.isEmpty())
            headers.append({"Content-Type", canned->contentType});
        responder->reply(canned->status, headers, canned->body);
        return true;
    }

    for (MetadataLocation location : std::as_const(m_metadataLocations)) {
        if (metadataPath(location) == path) {
            handleMetadata(request, responder);
            return true;
        }
    }
    if (!m_resource.isEmpty() && m_resourceMetadataPaths.contains(path)) {
        handleResourceMetadata(request, responder);
        return true;
    }
    if (path == endpointPath("authorize")) {
        handleAuthorize(request, responder);
        return true;
    }
    if (path == endpointPath("token")) {
        handleToken(request, responder);
        return true;
    }
    if (m_deviceFlow && path == endpointPath("device")) {
        handleDeviceAuthorization(request, responder);
        return true;
    }
    if (m_registrationEnabled && path == endpointPath("register")) {
        handleRegister(request, responder);
        return true;
    }
    if (path == endpointPath("revoke")) {
        handleRevoke(request, responder);
        return true;
    }
    return false;
}

void FakeAuthServer::handleMetadata(const FakeHttpRequest &request, FakeHttpResponder *responder)
{
    ++m_metadataCount;
    if (request.method != "GET") {
        responder->reply(405, {{"Allow", "GET"}});
        return;
    }
    responder->reply(200, {{"Content-Type", "application/json"}},
            QJsonDocument(authorizationServerMetadata()).toJson(QJsonDocument::Compact));
}

void FakeAuthServer::handleResourceMetadata(
        const FakeHttpRequest &request, FakeHttpResponder *responder)
{
    ++m_resourceMetadataCount;
    if (request.method != "GET") {
        responder->reply(405, {{"Allow", "GET"}});
        return;
    }
    responder->reply(200, {{"Content-Type", "application/json"}},
            QJsonDocument(protectedResourceMetadata()).toJson(QJsonDocument::Compact));
}

// RFC 6749 sections 4.1.1/4.1.2, RFC 7636 section 4.3, RFC 8707 section 2, RFC 9207 section 2.
FakeAuthorizeRequest FakeAuthServer::authorize(const QUrl &url, int *status)
{
    ++m_authorizeCount;
    FakeAuthorizeRequest record;
    record.params = parseForm(url.query(QUrl::FullyEncoded).toUtf8());
    record.responseType = record.param(u"response_type"_s);
    record.clientId = record.param(u"client_id"_s);
    record.redirectUri = record.param(u"redirect_uri"_s);
    record.state = record.param(u"state"_s);
    record.codeChallenge = record.param(u"code_challenge"_s);
    record.codeChallengeMethod = record.param(u"code_challenge_method"_s);
    record.scope = record.param(u"scope"_s);
    record.resource = record.param(u"resource"_s);

    const auto finish = [&](int httpStatus) {
        *status = httpStatus;
        m_authorizeRequests.append(record);
        return record;
    };

    // Errors about the client or the redirect URI are not redirected (RFC 6749 section 4.1.2.1).
    const std::optional<FakeOAuthClient> known = client(record.clientId);
    if (record.clientId.isEmpty() || (m_requireKnownClients && !known)) {
        record.error = u"invalid_client"_s;
        return finish(400);
    }
    if (record.redirectUri.isEmpty()
            || (known && !known->redirectUris.isEmpty()
                    && !known->redirectUris.contains(record.redirectUri))) {
        record.error = u"invalid_redirect_uri"_s;
        return finish(400);
    }

    FakeFormFields response;
    QString error;
    if (record.responseType != u"code"_s) {
        error = u"unsupported_response_type"_s;
    } else if (!m_authorizationFailures.isEmpty()) {
        auto &failure = m_authorizationFailures.first();
        error = failure.first;
        if (--failure.second == 0)
            m_authorizationFailures.removeFirst();
    } else if (record.codeChallenge.isEmpty() || record.codeChallengeMethod != u"S256"_s) {
        error = u"invalid_request"_s; // OAuth 2.1 section 4.1.1: PKCE with S256
    } else if (m_requireResource && record.resource.isEmpty()) {
        error = u"invalid_target"_s;
    } else if (known && !known->grantTypes.isEmpty()
            && !known->grantTypes.contains(u"authorization_code"_s)) {
        error = u"unauthorized_client"_s;
    }

    if (error.isEmpty()) {
        const QString code = newToken("code");
        m_codes.insert(code,
                Code{record.clientId, record.redirectUri, record.codeChallenge,
                        record.codeChallengeMethod, record.scope, record.resource, ++m_nextGrant});
        response.append({u"code"_s, code});
    } else {
        record.error = error;
        response.append({u"error"_s, error});
    }
    if (record.hasParam(u"state"_s))
        response.append({u"state"_s, record.state});
    if (m_issParameter)
        response.append({u"iss"_s, m_issOverride.isEmpty() ? issuer() : m_issOverride});

    QByteArray location = record.redirectUri.toUtf8();
    location += location.contains('?') ? '&' : '?';
    location += formEncode(response);
    record.redirectedTo = QUrl::fromEncoded(location);
    return finish(302);
}

void FakeAuthServer::handleAuthorize(const FakeHttpRequest &request, FakeHttpResponder *responder)
{
    if (request.method != "GET") {
        ++m_authorizeCount;
        responder->reply(405, {{"Allow", "GET"}});
        return;
    }
    const QUrl url = QUrl::fromEncoded(origin().toUtf8() + request.target);
    const QUrlQuery query(url);
    if (m_consentPage && !query.hasQueryItem(u"consent"_s)) {
        // A consent page like a real AS shows after the login: the user approves or denies.
        const auto escaped = [](const QString &text) {
            return text.toHtmlEscaped().toUtf8();
        };
        const QByteArray approve =
                escaped(u"?"_s + url.query(QUrl::FullyEncoded) + u"&consent=approve"_s);
        const QByteArray deny =
                escaped(u"?"_s + url.query(QUrl::FullyEncoded) + u"&consent=deny"_s);
        const QByteArray page =
                "<!doctype html><html><head><meta charset=\"utf-8\">"
                "<title>Authorize access</title></head><body><h1>Authorize access</h1><p>"
                + escaped(query.queryItemValue(u"client_id"_s, QUrl::FullyDecoded))
                + " asks to use " + escaped(query.queryItemValue(u"resource"_s, QUrl::FullyDecoded))
                + " with the scope \""
                + escaped(query.queryItemValue(u"scope"_s, QUrl::FullyDecoded))
                + "\" as demo-user.</p><p><a id=\"approve\" href=\"" + approve
                + "\">Approve</a> <a id=\"deny\" href=\"" + deny + "\">Deny</a></p></body></html>";
        responder->reply(200,
                {{"Content-Type", "text/html; charset=utf-8"}, {"Cache-Control", "no-store"}},
                page);
        return;
    }
    if (m_consentPage && query.queryItemValue(u"consent"_s) == u"deny") {
        QUrl redirect(query.queryItemValue(u"redirect_uri"_s, QUrl::FullyDecoded));
        QUrlQuery answer;
        answer.addQueryItem(u"error"_s, u"access_denied"_s);
        answer.addQueryItem(u"state"_s, query.queryItemValue(u"state"_s, QUrl::FullyDecoded));
        redirect.setQuery(answer);
        responder->reply(302, {{"Location", redirect.toEncoded()}, {"Cache-Control", "no-store"}});
        return;
    }
    int status = 0;
    const FakeAuthorizeRequest record = authorize(url, &status);
    if (status == 302) {
        responder->reply(302,
                {{"Location", record.redirectedTo.toEncoded()}, {"Cache-Control", "no-store"}});
        return;
    }
    responder->reply(status, {{"Content-Type", "text/plain; charset=utf-8"}},
            "authorization refused: " + record.error.toUtf8() + '\n');
}

QUrl FakeAuthServer::approve(const QUrl &authorizationUrl)
{
    int status = 0;
    const FakeAuthorizeRequest record = authorize(authorizationUrl, &status);
    return status == 302 ? record.redirectedTo : QUrl();
}

void FakeAuthServer::handleToken(const FakeHttpRequest &request, FakeHttpResponder *responder)
{
    ++m_tokenCount;
    if (m_tokenDelayMs > 0) {
        QPointer<FakeHttpResponder> guard(responder);
        QTimer::singleShot(m_tokenDelayMs, this, [this, request, guard] {
            if (guard)
                answerToken(request, guard);
        });
        return;
    }
    answerToken(request, responder);
}

FakeAuthServer::ClientCheck FakeAuthServer::authenticateClient(
        const FakeHttpRequest &request, FakeTokenRequest *record)
{
    ClientCheck check;
    const FakeFormFields &params = record->params;
    QStringList methods;
    QString basicId;
    QString basicSecret;

    const QByteArray authorization = request.header("Authorization");
    if (authorization.left(6).toLower() == "basic ") {
        // RFC 6749 section 2.3.1: form-encoded id and secret, joined by ':', base64.
        const QByteArray decoded = QByteArray::fromBase64(authorization.mid(6).trimmed());
        const qsizetype colon = decoded.indexOf(':');
        if (colon < 0) {
            check.error = u"invalid_client"_s;
            check.description = u"malformed Basic credentials"_s;
            return check;
        }
        basicId = formDecode(decoded.left(colon));
        basicSecret = formDecode(decoded.mid(colon + 1));
        methods.append(u"client_secret_basic"_s);
    }
    if (containsParam(params, u"client_secret"_s))
        methods.append(u"client_secret_post"_s);
    if (containsParam(params, u"client_assertion"_s)
            || containsParam(params, u"client_assertion_type"_s))
        methods.append(u"private_key_jwt"_s);
    if (methods.size() > 1) {
        // RFC 6749 section 2.3: "MUST NOT use more than one authentication method in each request".
        check.error = u"invalid_request"_s;
        check.description = u"more than one client authentication method"_s;
        return check;
    }
    const QString method = methods.isEmpty() ? u"none"_s : methods.first();
    record->clientAuthMethod = method;
    const QString bodyClientId = findParam(params, u"client_id"_s);
    QString secret;

    if (method == u"client_secret_basic"_s) {
        if (!bodyClientId.isEmpty() && bodyClientId != basicId) {
            check.error = u"invalid_request"_s;
            check.description = u"client_id differs from the Basic credentials"_s;
            return check;
        }
        check.clientId = basicId;
        secret = basicSecret;
        record->basicClientSecret = basicSecret;
    } else if (method == u"client_secret_post"_s) {
        check.clientId = bodyClientId;
        secret = findParam(params, u"client_secret"_s);
    } else if (method == u"private_key_jwt"_s) {
        // RFC 7523 sections 2.2 and 3; OpenID Connect Core section 9. The signature is not
        // verified.
        if (findParam(params, u"client_assertion_type"_s) != JwtBearerAssertionType) {
            check.error = u"invalid_client"_s;
            check.description = u"unsupported client_assertion_type"_s;
            return check;
        }
        const QList<QByteArray> parts =
                findParam(params, u"client_assertion"_s).toLatin1().split('.');
        const auto header = parts.size() == 3 ? decodeJwtPart(parts.at(0)) : std::nullopt;
        const auto claims = parts.size() == 3 ? decodeJwtPart(parts.at(1)) : std::nullopt;
        if (!header || !claims || parts.at(2).isEmpty()) {
            check.error = u"invalid_client"_s;
            check.description = u"malformed client assertion"_s;
            return check;
        }
        record->assertionHeader = *header;
        record->assertionClaims = *claims;
        const QString alg = header->value(u"alg"_s).toString();
        const QString iss = claims->value(u"iss"_s).toString();
        const QJsonValue aud = claims->value(u"aud"_s);
        const QStringList audiences =
                aud.isArray() ? aud.toVariant().toStringList() : QStringList{aud.toString()};
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        const QString jti = claims->value(u"jti"_s).toString();
        QString problem;
        if (alg != u"ES256"_s && alg != u"RS256"_s)
            problem = u"unsupported alg"_s;
        else if (iss.isEmpty() || claims->value(u"sub"_s).toString() != iss)
            problem = u"iss and sub must both be the client_id"_s;
        else if (!bodyClientId.isEmpty() && bodyClientId != iss)
            problem = u"client_id differs from the assertion's iss"_s;
        else if (!audiences.contains(tokenEndpoint().toString()) && !audiences.contains(issuer()))
            problem = u"aud is neither the token endpoint nor the issuer"_s;
        else if (!claims->value(u"exp"_s).isDouble() || claims->value(u"exp"_s).toDouble() <= now)
            problem = u"missing or past exp"_s;
        else if (claims->contains(u"iat"_s) && claims->value(u"iat"_s).toDouble() > now + 60)
            problem = u"iat in the future"_s;
        else if (jti.isEmpty() || m_assertionIds.contains(jti))
            problem = u"missing or replayed jti"_s;
        if (!problem.isEmpty()) {
            check.error = u"invalid_client"_s;
            check.description = u"client assertion: "_s + problem;
            return check;
        }
        m_assertionIds.insert(jti);
        check.clientId = iss;
    } else {
        check.clientId = bodyClientId;
    }
    record->clientId = check.clientId;

    if (check.clientId.isEmpty()) {
        check.error = u"invalid_client"_s;
        check.description = u"no client identification"_s;
        return check;
    }
    const std::optional<FakeOAuthClient> known = client(check.clientId);
    if (!known) {
        if (m_requireKnownClients) {
            check.error = u"invalid_client"_s;
            check.description = u"unknown client"_s;
        }
        return check;
    }
    if (!known->tokenEndpointAuthMethod.isEmpty() && known->tokenEndpointAuthMethod != method) {
        check.error = u"invalid_client"_s;
        check.description = u"the client is registered for "_s + known->tokenEndpointAuthMethod;
        return check;
    }
    if ((method == u"client_secret_basic"_s || method == u"client_secret_post"_s)
            && secret != known->clientSecret) {
        check.error = u"invalid_client"_s;
        check.description = u"wrong client secret"_s;
    }
    return check;
}

QJsonObject FakeAuthServer::issueTokens(const QString &clientId, const QString &scope,
        const QString &resource, int grantId, bool withRefreshToken)
{
    const QString granted = m_grantedScope.isEmpty() ? scope : m_grantedScope;
    const QString access = newToken("at");
    AccessToken info{clientId, granted, resource, {}, grantId};
    if (m_accessTokenLifetime >= 0)
        info.expiresAt = QDateTime::currentDateTimeUtc().addSecs(m_accessTokenLifetime);
    m_accessTokens.insert(access, info);
    m_latestAccessToken = access;

    QJsonObject body{{u"access_token"_s, access}, {u"token_type"_s, u"Bearer"_s}};
    if (m_accessTokenLifetime >= 0)
        body.insert(u"expires_in"_s, m_accessTokenLifetime);
    if (!granted.isEmpty())
        body.insert(u"scope"_s, granted);
    if (m_issueIdTokens) {
        QJsonObject claims{{u"iss"_s, issuer()}, {u"sub"_s, QString(u"user-"_s + newToken("sub"))},
                {u"aud"_s, clientId}};
        if (m_idTokenLifetime >= 0) {
            claims.insert(u"exp"_s, double(QDateTime::currentSecsSinceEpoch() + m_idTokenLifetime));
        }
        const auto part = [](const QByteArray &json) {
            return json.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
        };
        m_latestIdToken = QString::fromLatin1(part(R"({"alg":"none"})")) + u'.'
                + QString::fromLatin1(part(QJsonDocument(claims).toJson(QJsonDocument::Compact)))
                + u".sig"_s;
        body.insert(u"id_token"_s, m_latestIdToken);
    }
    if (withRefreshToken) {
        const QString refresh = newToken("rt");
        m_refreshTokens.insert(refresh, RefreshToken{clientId, granted, resource, grantId});
        m_latestRefreshToken = refresh;
        body.insert(u"refresh_token"_s, refresh);
    }
    return body;
}

// RFC 6749 sections 3.2, 4.1.3, 4.4, 6; RFC 7636 section 4.6; RFC 8707 section 2.2.
void FakeAuthServer::answerToken(const FakeHttpRequest &request, FakeHttpResponder *responder)
{
    FakeTokenRequest record;
    record.params = parseForm(request.body);
    record.contentType = request.header("Content-Type");
    record.grantType = record.param(u"grant_type"_s);
    const auto fail = [&](int status, const QString &error, const QString &description,
                              const FakeHttpHeaders &extra = {}) {
        record.status = status;
        record.error = error;
        m_tokenRequests.append(record);
        replyOAuthError(responder, status, error, description, extra);
    };

    if (request.method != "POST") {
        record.status = 405;
        record.error = u"method_not_allowed"_s;
        m_tokenRequests.append(record);
        responder->reply(405, {{"Allow", "POST"}});
        return;
    }

    if (!m_tokenFailures.isEmpty()) {
        auto &front = m_tokenFailures.first();
        const TokenFailure failure = front.first;
        if (--front.second == 0)
            m_tokenFailures.removeFirst();
        record.error = tokenFailureName(failure);
        switch (failure) {
        case TokenFailure::InvalidGrant:
            fail(400, u"invalid_grant"_s, u"injected failure"_s);
            return;
        case TokenFailure::InvalidClient:
            fail(401, u"invalid_client"_s, u"injected failure"_s);
            return;
        case TokenFailure::TemporarilyUnavailable:
            fail(503, u"temporarily_unavailable"_s, u"injected failure"_s, {{"Retry-After", "1"}});
            return;
        case TokenFailure::ServerError500:
            record.status = 500;
            m_tokenRequests.append(record);
            responder->reply(500, {{"Content-Type", "text/plain"}}, "internal error\n");
            return;
        case TokenFailure::NonJson:
            record.status = 200;
            m_tokenRequests.append(record);
            responder->reply(
                    200, {{"Content-Type", "text/html"}}, "<html><body>Sign in</body></html>");
            return;
        case TokenFailure::Redirect:
            record.status = 307;
            m_tokenRequests.append(record);
            responder->reply(307, {{"Location", url(u"/elsewhere/token"_s).toEncoded()}});
            return;
        case TokenFailure::Hang:
            m_tokenRequests.append(record);
            return;
        }
    }

    if (!record.contentType.trimmed().toLower().startsWith("application/x-www-form-urlencoded")) {
        fail(400, u"invalid_request"_s, u"the body must be application/x-www-form-urlencoded"_s);
        return;
    }
    QStringList seen;
    for (const auto &param : std::as_const(record.params)) {
        if (seen.contains(param.first)) {
            // RFC 6749 section 3.2: parameters MUST NOT be included more than once.
            fail(400, u"invalid_request"_s, u"repeated parameter "_s + param.first);
            return;
        }
        seen.append(param.first);
    }

    const ClientCheck check = authenticateClient(request, &record);
    if (!check.error.isEmpty()) {
        FakeHttpHeaders extra;
        // RFC 6749 section 5.2: 401 with WWW-Authenticate when the client used the header.
        if (check.error == u"invalid_client"_s
                && record.clientAuthMethod == u"client_secret_basic"_s)
            extra.append(qMakePair("WWW-Authenticate"_ba, "Basic realm=\"token\""_ba));
        fail(check.error == u"invalid_client"_s ? 401 : 400, check.error, check.description, extra);
        return;
    }
    const std::optional<FakeOAuthClient> known = client(check.clientId);
    const auto grantAllowed = [&](const QString &grant) {
        return !known || known->grantTypes.isEmpty() || known->grantTypes.contains(grant);
    };
    if (!grantAllowed(record.grantType)) {
        fail(400, u"unauthorized_client"_s, u"grant type not registered"_s);
        return;
    }
    const QString resource = record.param(u"resource"_s);
    if (m_requireResource && resource.isEmpty()) {
        fail(400, u"invalid_target"_s, u"resource is required"_s);
        return;
    }

    QJsonObject tokens;
    if (record.grantType == u"authorization_code"_s) {
        auto code = m_codes.find(record.param(u"code"_s));
        if (code == m_codes.end()) {
            fail(400, u"invalid_grant"_s, u"unknown authorization code"_s);
            return;
        }
        if (code->used) {
            // RFC 6749 section 4.1.2: a reused code revokes what it produced.
            revokeGrant(code->grantId);
            fail(400, u"invalid_grant"_s, u"authorization code already used"_s);
            return;
        }
        code->used = true;
        if (code->clientId != check.clientId) {
            fail(400, u"invalid_grant"_s, u"the code was issued to another client"_s);
            return;
        }
        if (record.param(u"redirect_uri"_s) != code->redirectUri) {
            fail(400, u"invalid_grant"_s, u"redirect_uri mismatch"_s);
            return;
        }
        const QString verifier = record.param(u"code_verifier"_s);
        if (verifier.isEmpty()) {
            fail(400, u"invalid_request"_s, u"code_verifier is required"_s);
            return;
        }
        const QByteArray challenge =
                QCryptographicHash::hash(verifier.toUtf8(), QCryptographicHash::Sha256)
                        .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
        if (QString::fromLatin1(challenge) != code->codeChallenge) {
            fail(400, u"invalid_grant"_s, u"PKCE verification failed"_s);
            return;
        }
        if (!code->resource.isEmpty() && !resource.isEmpty() && resource != code->resource) {
            fail(400, u"invalid_target"_s, u"resource differs from the authorization request"_s);
            return;
        }
        tokens = issueTokens(check.clientId, code->scope,
                resource.isEmpty() ? code->resource : resource, code->grantId,
                m_issueRefreshTokens && grantAllowed(u"refresh_token"_s));
    } else if (record.grantType == u"refresh_token"_s) {
        auto refresh = m_refreshTokens.find(record.param(u"refresh_token"_s));
        if (refresh == m_refreshTokens.end() || refresh->revoked
                || refresh->clientId != check.clientId) {
            fail(400, u"invalid_grant"_s, u"unknown, revoked or foreign refresh token"_s);
            return;
        }
        QString scope = refresh->scope;
        const QString requested = record.param(u"scope"_s);
        if (!requested.isEmpty()) {
            const QStringList held = refresh->scope.split(u' ', Qt::SkipEmptyParts);
            for (const QString &item : requested.split(u' ', Qt::SkipEmptyParts)) {
                if (!held.contains(item)) {
                    // RFC 6749 section 6: no scope beyond the original grant.
                    fail(400, u"invalid_scope"_s, u"scope exceeds the original grant"_s);
                    return;
                }
            }
            scope = requested;
        }
        if (!refresh->resource.isEmpty() && !resource.isEmpty() && resource != refresh->resource) {
            fail(400, u"invalid_target"_s, u"resource differs from the original grant"_s);
            return;
        }
        const RefreshToken held = *refresh;
        // OAuth 2.1 section 4.3.1: public clients get rotated refresh tokens.
        if (m_rotateRefreshTokens)
            refresh->revoked = true;
        tokens = issueTokens(check.clientId, scope, resource.isEmpty() ? held.resource : resource,
                held.grantId, m_rotateRefreshTokens);
    } else if (record.grantType == u"client_credentials"_s) {
        if (record.clientAuthMethod == u"none"_s) {
            // RFC 6749 section 4.4: confidential clients only.
            fail(400, u"unauthorized_client"_s,
                    u"client_credentials needs client authentication"_s);
            return;
        }
        tokens = issueTokens(
                check.clientId, record.param(u"scope"_s), resource, ++m_nextGrant, false);
    } else if (m_deviceFlow
            && record.grantType == u"urn:ietf:params:oauth:grant-type:device_code"_s) {
        QString error;
        if (!answerDeviceCode(record, check.clientId, &tokens, &error)) {
            fail(400, error, QString());
            return;
        }
    } else {
        fail(400, u"unsupported_grant_type"_s, record.grantType);
        return;
    }
    record.status = 200;
    m_tokenRequests.append(record);
    replyJson(responder, 200, tokens);
}

// RFC 7591 section 3.
void FakeAuthServer::handleRegister(const FakeHttpRequest &request, FakeHttpResponder *responder)
{
    ++m_registerCount;
    if (request.method != "POST") {
        responder->reply(405, {{"Allow", "POST"}});
        return;
    }
    QJsonParseError parseError{};
    const QJsonDocument document = QJsonDocument::fromJson(request.body, &parseError);
    const QJsonObject metadata = document.object();
    m_registrations.append(metadata);

    if (!m_registrationFailures.isEmpty()) {
        RegistrationFailure &failure = m_registrationFailures.first();
        const RegistrationFailure copy = failure;
        if (--failure.remaining == 0)
            m_registrationFailures.removeFirst();
        replyOAuthError(responder, copy.status, copy.error, copy.description);
        return;
    }
    if (!request.header("Content-Type").toLower().startsWith("application/json")
            || parseError.error != QJsonParseError::NoError || !document.isObject()) {
        replyOAuthError(responder, 400, u"invalid_client_metadata"_s, u"expected a JSON object"_s);
        return;
    }

    QStringList grantTypes = metadata.value(u"grant_types"_s).toVariant().toStringList();
    if (grantTypes.isEmpty())
        grantTypes = QStringList{u"authorization_code"_s}; // RFC 7591 section 2 default
    QStringList redirectUris;
    for (const QJsonValue &value : metadata.value(u"redirect_uris"_s).toArray()) {
        const QUrl uri(value.toString(), QUrl::StrictMode);
        if (!value.isString() || !uri.isValid() || uri.isRelative() || uri.hasFragment()) {
            replyOAuthError(responder, 400, u"invalid_redirect_uri"_s,
                    u"redirect URIs must be absolute URIs without fragment"_s);
            return;
        }
        redirectUris.append(value.toString());
    }
    if (grantTypes.contains(u"authorization_code"_s) && redirectUris.isEmpty()) {
        replyOAuthError(responder, 400, u"invalid_redirect_uri"_s,
                u"redirect_uris is required for authorization_code"_s);
        return;
    }
    // RFC 7591 section 2: the default is client_secret_basic.
    const QString method =
            metadata.value(u"token_endpoint_auth_method"_s).toString(u"client_secret_basic"_s);
    static const QStringList methods{
            u"none"_s, u"client_secret_basic"_s, u"client_secret_post"_s, u"private_key_jwt"_s};
    if (!methods.contains(method)) {
        replyOAuthError(responder, 400, u"invalid_client_metadata"_s,
                u"unsupported token_endpoint_auth_method"_s);
        return;
    }

    FakeOAuthClient registered;
    // Unique across servers too: a client of one authorization server must be recognisable at
    // another (MCP 2026-07-28 "Authorization Server Binding" tests).
    registered.clientId =
            u"client-%1-%2"_s.arg(++m_nextSerial)
                    .arg(QRandomGenerator::global()->generate(), 8, 16, QLatin1Char('0'));
    registered.tokenEndpointAuthMethod = method;
    registered.redirectUris = redirectUris;
    registered.grantTypes = grantTypes;
    registered.registeredMetadata = metadata;
    if (m_issueClientSecrets
            && (method == u"client_secret_basic"_s || method == u"client_secret_post"_s))
        registered.clientSecret = newToken("secret");
    m_clients.insert(registered.clientId, registered);

    QJsonObject response = metadata;
    response.insert(u"client_id"_s, registered.clientId);
    response.insert(u"client_id_issued_at"_s, QDateTime::currentSecsSinceEpoch());
    response.insert(u"grant_types"_s, QJsonArray::fromStringList(grantTypes));
    response.insert(u"token_endpoint_auth_method"_s, method);
    if (!registered.clientSecret.isEmpty()) {
        response.insert(u"client_secret"_s, registered.clientSecret);
        response.insert(u"client_secret_expires_at"_s, 0);
    }
    replyJson(responder, 201, response);
}

// RFC 7009 section 2.
void FakeAuthServer::handleRevoke(const FakeHttpRequest &request, FakeHttpResponder *responder)
{
    ++m_revokeCount;
    if (request.method != "POST") {
        responder->reply(405, {{"Allow", "POST"}});
        return;
    }
    FakeTokenRequest auth;
    auth.params = parseForm(request.body);
    FakeRevocation revocation;
    revocation.token = auth.param(u"token"_s);
    revocation.tokenTypeHint = auth.param(u"token_type_hint"_s);
    const ClientCheck check = authenticateClient(request, &auth);
    revocation.clientId = check.clientId;
    if (!check.error.isEmpty()) {
        m_revocations.append(revocation);
        replyOAuthError(responder, check.error == u"invalid_client"_s ? 401 : 400, check.error,
                check.description);
        return;
    }
    if (revocation.token.isEmpty()) {
        m_revocations.append(revocation);
        replyOAuthError(responder, 400, u"invalid_request"_s, u"token is required"_s);
        return;
    }
    auto access = m_accessTokens.find(revocation.token);
    if (access != m_accessTokens.end()) {
        revocation.known = true;
        access->revoked = true;
    }
    auto refresh = m_refreshTokens.find(revocation.token);
    if (refresh != m_refreshTokens.end()) {
        revocation.known = true;
        // RFC 7009 section 2.1: revoking a refresh token also invalidates its access tokens.
        revokeGrant(refresh->grantId);
    }
    m_revocations.append(revocation);
    responder->reply(200, {{"Cache-Control", "no-store"}});
}

void FakeAuthServer::revokeGrant(int grantId)
{
    for (AccessToken &token : m_accessTokens) {
        if (token.grantId == grantId)
            token.revoked = true;
    }
    for (RefreshToken &token : m_refreshTokens) {
        if (token.grantId == grantId)
            token.revoked = true;
    }
}

bool FakeAuthServer::isAccessTokenValid(const QString &token) const
{
    const auto it = m_accessTokens.constFind(token);
    if (it == m_accessTokens.cend() || it->revoked)
        return false;
    return !it->expiresAt.isValid() || it->expiresAt > QDateTime::currentDateTimeUtc();
}

bool FakeAuthServer::acceptsAuthorization(
        const QByteArray &authorization, const QString &requiredScope) const
{
    if (authorization.left(7).toLower() != "bearer ")
        return false;
    const QString token = QString::fromUtf8(authorization.mid(7).trimmed());
    if (!isAccessTokenValid(token))
        return false;
    if (requiredScope.isEmpty())
        return true;
    const QStringList held = accessTokenScope(token).split(u' ', Qt::SkipEmptyParts);
    for (const QString &scope : requiredScope.split(u' ', Qt::SkipEmptyParts)) {
        if (!held.contains(scope))
            return false;
    }
    return true;
}

QString FakeAuthServer::accessTokenScope(const QString &token) const
{
    return m_accessTokens.value(token).scope;
}

QString FakeAuthServer::accessTokenResource(const QString &token) const
{
    return m_accessTokens.value(token).resource;
}

void FakeAuthServer::expireAccessTokens()
{
    const QDateTime past = QDateTime::currentDateTimeUtc().addSecs(-1);
    for (AccessToken &token : m_accessTokens)
        token.expiresAt = past;
}

void FakeAuthServer::revokeAllTokens()
{
    for (AccessToken &token : m_accessTokens)
        token.revoked = true;
    for (RefreshToken &token : m_refreshTokens)
        token.revoked = true;
}

} // namespace McpProxy::Test
