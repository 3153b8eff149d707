#include "auth/protocol/clientregistration.h"

#include "auth/protocol/authhttp.h"
#include "logging/logcategories.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtNetwork/QNetworkRequest>

namespace McpProxy {

using namespace Qt::StringLiterals;

ClientRegistration::ClientRegistration(QNetworkAccessManager *nam, QObject *parent)
    : QObject(parent)
    , m_nam(nam)
{ }

// A pending request is aborted by AuthHttp::send() when `this` (its owner) is destroyed.
ClientRegistration::~ClientRegistration() = default;

QByteArray ClientRegistration::requestBody(const RegistrationRequest &request)
{
    // RFC 7591 section 2 client metadata.
    QJsonObject body;
    body.insert(u"client_name"_s, request.clientName);
    if (!request.redirectUri.isEmpty())
        body.insert(u"redirect_uris"_s, QJsonArray{request.redirectUri});
    body.insert(u"grant_types"_s, QJsonArray::fromStringList(request.grantTypes));
    // RFC 7591 section 2.1: response_types consistent with grant_types ("code" for
    // authorization_code).
    QJsonArray responseTypes;
    if (request.grantTypes.contains(u"authorization_code"_s))
        responseTypes.append(u"code"_s);
    body.insert(u"response_types"_s, responseTypes);
    body.insert(u"token_endpoint_auth_method"_s,
            request.tokenEndpointAuthMethod.isEmpty() ? u"none"_s
                                                      : request.tokenEndpointAuthMethod);
    // OpenID Connect Dynamic Client Registration section 2 / MCP 2026-07-28: "native" for loopback
    // redirect URIs.
    body.insert(u"application_type"_s, u"native"_s);
    if (!request.scope.isEmpty())
        body.insert(u"scope"_s, request.scope);
    body.insert(u"software_id"_s, u"mcp-oauth2-proxy"_s);
    body.insert(u"software_version"_s, QStringLiteral(MCPPROXY_VERSION));
    return QJsonDocument(body).toJson(QJsonDocument::Compact);
}

RegistrationResult ClientRegistration::parseResponse(
        int httpStatus, const QByteArray &body, const RegistrationRequest &request)
{
    RegistrationResult result;
    result.httpStatus = httpStatus;
    QJsonParseError parseError{};
    const QJsonDocument document = QJsonDocument::fromJson(body, &parseError);
    const bool isObject = parseError.error == QJsonParseError::NoError && document.isObject();
    const QJsonObject object = document.object();

    if (httpStatus < 200 || httpStatus >= 300) {
        // RFC 7591 section 3.2.2: {"error": "invalid_redirect_uri", "error_description": "..."}.
        const QString code = object.value(u"error"_s).toString();
        if (isObject && !code.isEmpty()) {
            result.errorCode = AuthHttp::excerpt(code, 64);
            const QString description =
                    AuthHttp::excerpt(object.value(u"error_description"_s).toString());
            result.error =
                    u"the authorization server rejected the client registration (HTTP %1): %2"_s
                            .arg(httpStatus)
                            .arg(result.errorCode);
            if (!description.isEmpty())
                result.error += u": "_s + description;
        } else if (httpStatus >= 300 && httpStatus < 400) {
            result.error =
                    u"the registration endpoint redirected (HTTP %1); redirects are not followed"_s
                            .arg(httpStatus);
        } else {
            result.error = u"client registration failed with HTTP %1"_s.arg(httpStatus);
            const QString text = AuthHttp::excerpt(QString::fromUtf8(body));
            if (!text.isEmpty())
                result.error += u": "_s + text;
        }
        return result;
    }

    // RFC 7591 section 3.2.1: 201 with the registered metadata (200 accepted too).
    if (!isObject) {
        result.error = u"the registration endpoint answered HTTP %1 without a JSON object"_s.arg(
                httpStatus);
        return result;
    }
    const QJsonValue clientId = object.value(u"client_id"_s);
    if (!clientId.isString() || clientId.toString().isEmpty()) {
        result.error = u"the registration response has no client_id"_s;
        return result;
    }
    result.ok = true;
    result.clientId = clientId.toString();
    result.clientSecret = object.value(u"client_secret"_s).toString();
    result.tokenEndpointAuthMethod = object.value(u"token_endpoint_auth_method"_s).toString();
    if (result.tokenEndpointAuthMethod.isEmpty())
        result.tokenEndpointAuthMethod = request.tokenEndpointAuthMethod.isEmpty()
                ? u"none"_s
                : request.tokenEndpointAuthMethod;
    // 0 (or absent): the secret does not expire.
    const qint64 expiresAt = object.value(u"client_secret_expires_at"_s).toVariant().toLongLong();
    if (expiresAt > 0)
        result.clientSecretExpiresAt = QDateTime::fromSecsSinceEpoch(expiresAt, Qt::UTC);
    // RFC 6749 section 4.4: client_credentials is for confidential clients only.
    const bool confidential = request.grantTypes.contains(u"client_credentials"_s);
    const bool secretMethod = result.tokenEndpointAuthMethod.startsWith(u"client_secret_"_s);
    if (confidential
            && (result.tokenEndpointAuthMethod == u"none"_s
                    || (secretMethod && result.clientSecret.isEmpty()))) {
        result.ok = false;
        result.error = u"the authorization server registered a public client (%1), but the "
                       "client_credentials grant needs a confidential one (RFC 6749 §4.4)"_s.arg(
                               result.tokenEndpointAuthMethod == u"none"_s
                                       ? u"token_endpoint_auth_method \"none\""_s
                                       : u"no client_secret"_s);
        result.clientId.clear();
        result.clientSecret.clear();
        return result;
    }
    const QJsonValue redirectUris = object.value(u"redirect_uris"_s);
    if (redirectUris.isArray()) {
        const QJsonArray uris = redirectUris.toArray();
        for (const auto &uri : uris)
            result.redirectUris.append(uri.toString());
    } else if (!request.redirectUri.isEmpty()) {
        result.redirectUris = QStringList{request.redirectUri};
    }
    result.registrationAccessToken = object.value(u"registration_access_token"_s).toString();
    result.registrationClientUri =
            QUrl(object.value(u"registration_client_uri"_s).toString(), QUrl::StrictMode);
    result.rawResponse = body;
    return result;
}

void ClientRegistration::registerClient(
        const RegistrationRequest &request, QObject *context, const Callback &callback)
{
    if (!context)
        context = this;
    const QString endpoint = AuthHttp::displayUrl(request.registrationEndpoint);
    const QString scheme = request.registrationEndpoint.scheme();
    if (!request.registrationEndpoint.isValid() || request.registrationEndpoint.host().isEmpty()
            || (scheme != u"https"_s && scheme != u"http"_s)) {
        RegistrationResult result;
        result.error = u"no usable registration endpoint: \"%1\""_s.arg(endpoint);
        AuthHttp::post(context, [callback, result] { callback(result); });
        return;
    }

    QNetworkRequest httpRequest =
            AuthHttp::makeRequest(request.registrationEndpoint, "application/json"_ba);
    httpRequest.setHeader(QNetworkRequest::ContentTypeHeader, "application/json"_ba);
    if (!request.initialAccessToken.isEmpty())
        httpRequest.setRawHeader(
                "Authorization"_ba, "Bearer "_ba + request.initialAccessToken.toUtf8());
    qCDebug(lcAuth).noquote() << "registering a client at" << endpoint;

    const int timeoutMs = request.timeoutMs;
    AuthHttp::send(m_nam, httpRequest, "POST"_ba, requestBody(request), timeoutMs, this, context,
            [callback, request, endpoint, timeoutMs](const AuthHttp::Reply &reply) {
                RegistrationResult result;
                if (reply.timedOut) {
                    result.error = u"the registration endpoint %1 did not answer within %2 ms"_s
                                           .arg(endpoint)
                                           .arg(timeoutMs);
                } else if (reply.status == 0) {
                    result.error = u"the registration endpoint %1 could not be reached: %2"_s.arg(
                            endpoint, reply.networkError);
                } else if (reply.bodyTooLarge) {
                    result.error = u"the registration endpoint %1 sent an oversized response"_s.arg(
                            endpoint);
                    result.httpStatus = reply.status;
                } else {
                    result = parseResponse(reply.status, reply.body, request);
                }
                if (result.ok) {
                    qCInfo(lcAuth).noquote() << "registered a client at" << endpoint << "with"
                                             << result.tokenEndpointAuthMethod << "authentication";
                    if (!request.redirectUri.isEmpty()
                            && !result.redirectUris.contains(request.redirectUri)) {
                        qCWarning(lcAuth).noquote()
                                << "the registration did not keep our redirect URI; the "
                                   "authorization may fail";
                    }
                } else {
                    qCWarning(lcAuth).noquote() << "client registration failed:" << result.error;
                }
                callback(result);
            });
}

ClientAuthentication::Method chooseClientAuthMethod(const QString &configured,
        const QStringList &asSupported, const QString &registered, bool haveSecret, bool haveKey)
{
    using Method = ClientAuthentication::Method;
    if (const auto method = ClientAuthentication::methodFromName(configured.trimmed()))
        return *method;
    if (const auto method = ClientAuthentication::methodFromName(registered.trimmed()))
        return *method;

    if (!asSupported.isEmpty()) {
        if (haveKey && asSupported.contains(u"private_key_jwt"_s))
            return Method::PrivateKeyJwt;
        if (haveSecret && asSupported.contains(u"client_secret_post"_s))
            return Method::ClientSecretPost;
        if (haveSecret && asSupported.contains(u"client_secret_basic"_s))
            return Method::ClientSecretBasic;
        if (asSupported.contains(u"none"_s))
            return Method::None;
    }
    // Nothing (usable) listed: the npm mcp-oauth2-proxy's default authStyle "body".
    if (haveSecret)
        return Method::ClientSecretPost;
    if (haveKey)
        return Method::PrivateKeyJwt;
    return Method::None;
}

QString registrationAuthMethod(
        const QString &configured, const QStringList &asSupported, bool confidential)
{
    const QString none = u"none"_s;
    if (!confidential) {
        if (!configured.isEmpty())
            return configured;
        return asSupported.isEmpty() || asSupported.contains(none) ? none : asSupported.first();
    }
    if (!configured.isEmpty() && configured != none)
        return configured;
    for (const QString &method : {u"client_secret_post"_s, u"client_secret_basic"_s}) {
        if (asSupported.isEmpty() || asSupported.contains(method))
            return method;
    }
    return QString();
}

} // namespace McpProxy
