#include "auth/protocol/tokenendpointclient.h"

#include "auth/protocol/authhttp.h"
#include "auth/protocol/clientassertion.h"
#include "logging/logcategories.h"

#include <QtNetwork/QNetworkAccessManager>

namespace McpProxy {

using namespace Qt::StringLiterals;

namespace {

// RFC 7523 section 2.2.
const QString AssertionTypeJwtBearer = u"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"_s;

bool containsKey(const FormFields &fields, const QString &key)
{
    for (const auto &field : fields) {
        if (field.first.compare(key, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

} // namespace

QString ClientAuthentication::methodName(Method method)
{
    switch (method) {
    case Method::None:
        return u"none"_s;
    case Method::ClientSecretBasic:
        return u"client_secret_basic"_s;
    case Method::ClientSecretPost:
        return u"client_secret_post"_s;
    case Method::PrivateKeyJwt:
        return u"private_key_jwt"_s;
    }
    return {};
}

std::optional<ClientAuthentication::Method> ClientAuthentication::methodFromName(
        const QString &name)
{
    for (Method method : {Method::None, Method::ClientSecretBasic, Method::ClientSecretPost,
                 Method::PrivateKeyJwt}) {
        if (name == methodName(method))
            return method;
    }
    return std::nullopt;
}

TokenEndpointClient::TokenEndpointClient(QNetworkAccessManager *nam, QObject *parent)
    : QObject(parent)
    , m_nam(nam)
{ }

// Pending exchanges are aborted by AuthHttp::send() when `this` (their owner) is destroyed.
TokenEndpointClient::~TokenEndpointClient() = default;

bool TokenEndpointClient::isProtocolParameter(const QString &name)
{
    static const QStringList names = {u"grant_type"_s, u"code"_s, u"redirect_uri"_s,
            u"code_verifier"_s, u"refresh_token"_s, u"client_id"_s, u"client_secret"_s,
            u"client_assertion"_s, u"client_assertion_type"_s, u"scope"_s, u"resource"_s,
            u"device_code"_s};
    return names.contains(name, Qt::CaseInsensitive);
}

std::optional<PreparedTokenRequest> TokenEndpointClient::prepare(
        const TokenRequest &request, QString *error)
{
    PreparedTokenRequest prepared;
    FormFields fields = request.grant;

    // Configured extra parameters never override what the protocol sends (RFC 6749 section 3.2:
    // "Request and response parameters MUST NOT be included more than once").
    for (const auto &extra : request.extraParams) {
        const bool collides = isProtocolParameter(extra.first) || containsKey(fields, extra.first)
                || (!request.audience.isEmpty()
                        && extra.first.compare(u"audience"_s, Qt::CaseInsensitive) == 0);
        if (collides) {
            prepared.droppedExtraParams.append(extra.first);
            continue;
        }
        fields.append(extra);
    }

    if (!request.scope.isEmpty())
        fields.append({u"scope"_s, request.scope});
    // RFC 8707 section 2 / MCP 2025-06-18 "Resource Parameter Implementation": in every token
    // request.
    if (!request.resource.isEmpty())
        fields.append({u"resource"_s, request.resource});
    if (!request.audience.isEmpty())
        fields.append({u"audience"_s, request.audience});

    const ClientAuthentication &client = request.client;
    switch (client.method) {
    case ClientAuthentication::Method::None:
        // RFC 6749 section 3.2.1: a public client identifies itself with client_id.
        if (!client.clientId.isEmpty())
            fields.append({u"client_id"_s, client.clientId});
        break;
    case ClientAuthentication::Method::ClientSecretBasic:
        // RFC 6749 section 2.3.1: the credentials go in the header only.
        prepared.authorization = basicAuthorization(client.clientId, client.clientSecret);
        break;
    case ClientAuthentication::Method::ClientSecretPost:
        fields.append({u"client_id"_s, client.clientId});
        fields.append({u"client_secret"_s, client.clientSecret});
        break;
    case ClientAuthentication::Method::PrivateKeyJwt: {
        // RFC 7523 sections 2.2 and 3: aud identifies the AS; the token endpoint URL is accepted by
        // every AS we know of (OpenID Connect Core section 9).
        ClientAssertionInput input;
        input.privateKeyPem = client.privateKeyPem;
        input.algorithm = client.signingAlgorithm;
        input.clientId = client.clientId;
        input.audience = client.assertionAudience.isEmpty()
                ? request.tokenEndpoint.toString(QUrl::FullyEncoded)
                : client.assertionAudience;
        QString assertionError;
        const std::optional<QByteArray> assertion = createClientAssertion(input, &assertionError);
        if (!assertion) {
            if (error)
                *error = assertionError;
            return std::nullopt;
        }
        fields.append({u"client_id"_s, client.clientId});
        fields.append({u"client_assertion_type"_s, AssertionTypeJwtBearer});
        fields.append({u"client_assertion"_s, QString::fromLatin1(*assertion)});
        break;
    }
    }

    prepared.body = formEncode(fields);
    return prepared;
}

void TokenEndpointClient::request(
        const TokenRequest &request, QObject *context, const Callback &callback)
{
    if (!context)
        context = this;
    const QString endpoint = AuthHttp::displayUrl(request.tokenEndpoint);
    const auto failLater = [context, &callback](const QString &code, const QString &description) {
        TokenResponse response;
        response.error.error = code;
        response.error.description = description;
        AuthHttp::post(context, [callback, response] { callback(response); });
    };

    const QString scheme = request.tokenEndpoint.scheme();
    if (!request.tokenEndpoint.isValid() || request.tokenEndpoint.host().isEmpty()
            || (scheme != u"https"_s && scheme != u"http"_s)) {
        failLater(u"invalid_request"_s, u"no usable token endpoint: \"%1\""_s.arg(endpoint));
        return;
    }

    QString error;
    const std::optional<PreparedTokenRequest> prepared = prepare(request, &error);
    if (!prepared) {
        qCWarning(lcAuth).noquote() << "cannot create the client assertion:" << error;
        failLater(u"client_assertion_error"_s, u"cannot create the client assertion: "_s + error);
        return;
    }
    for (const QString &key : prepared->droppedExtraParams) {
        qCWarning(lcAuth).noquote()
                << "ignoring the extra token parameter" << key << "because the protocol sets it";
    }

    QNetworkRequest httpRequest =
            AuthHttp::makeRequest(request.tokenEndpoint, "application/json"_ba);
    httpRequest.setHeader(
            QNetworkRequest::ContentTypeHeader, "application/x-www-form-urlencoded"_ba);
    if (!prepared->authorization.isEmpty())
        httpRequest.setRawHeader("Authorization"_ba, prepared->authorization);

    QString grantType;
    if (!request.grant.isEmpty() && request.grant.first().first == u"grant_type"_s)
        grantType = request.grant.first().second;
    qCDebug(lcAuth).noquote() << "token request" << grantType << "to" << endpoint << "with"
                              << ClientAuthentication::methodName(request.client.method);

    const int timeoutMs = request.timeoutMs;
    AuthHttp::send(m_nam, httpRequest, "POST"_ba, prepared->body, timeoutMs, this, context,
            [callback, endpoint, timeoutMs, clock = m_clock](const AuthHttp::Reply &reply) {
                TokenResponse response;
                if (reply.timedOut) {
                    response.error.error = u"timeout"_s;
                    response.error.description =
                            u"the token endpoint %1 did not answer within %2 ms"_s.arg(endpoint)
                                    .arg(timeoutMs);
                    response.error.httpStatus = reply.status;
                } else if (reply.bodyTooLarge) {
                    response.error.error = u"invalid_response"_s;
                    response.error.description =
                            u"the token endpoint %1 sent an oversized response"_s.arg(endpoint);
                    response.error.httpStatus = reply.status;
                } else if (reply.status == 0) {
                    response.error.error = u"network_error"_s;
                    response.error.description =
                            u"the token endpoint %1 could not be reached: %2"_s.arg(
                                    endpoint, reply.networkError);
                } else if (reply.isRedirect()) {
                    // RFC 6749 section 3.2 defines no redirects; following one would re-send
                    // credentials.
                    response.error.error = u"invalid_response"_s;
                    response.error.description =
                            u"the token endpoint %1 redirected (HTTP %2) to %3; redirects are not followed"_s
                                    .arg(endpoint)
                                    .arg(reply.status)
                                    .arg(AuthHttp::displayUrl(reply.redirectTarget));
                    response.error.httpStatus = reply.status;
                } else {
                    response = parseTokenResponse(reply.status, reply.body, clock->nowUtc());
                }
                if (response.tokens) {
                    qCDebug(lcAuth).noquote() << "token endpoint" << endpoint << "issued tokens";
                } else {
                    qCInfo(lcAuth).noquote() << "token request to" << endpoint
                                             << "failed:" << response.error.toString();
                }
                callback(response);
            });
}

} // namespace McpProxy
