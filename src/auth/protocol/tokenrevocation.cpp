#include "auth/protocol/tokenrevocation.h"

#include "auth/protocol/authhttp.h"
#include "logging/logcategories.h"

#include <QtNetwork/QNetworkRequest>

namespace McpProxy {

using namespace Qt::StringLiterals;

TokenRevocation::TokenRevocation(QNetworkAccessManager *nam, QObject *parent)
    : QObject(parent)
    , m_nam(nam)
{ }

// A pending request is aborted by AuthHttp::send() when `this` (its owner) is destroyed.
TokenRevocation::~TokenRevocation() = default;

void TokenRevocation::revoke(
        const RevocationRequest &request, QObject *context, const Callback &callback)
{
    if (!context)
        context = this;
    // RFC 7009 section 2.1: token and token_type_hint, plus the client authentication.
    TokenRequest form;
    form.tokenEndpoint = request.revocationEndpoint;
    form.grant = {{u"token"_s, request.token}};
    if (!request.tokenTypeHint.isEmpty())
        form.grant.append({u"token_type_hint"_s, request.tokenTypeHint});
    form.client = request.client;
    QString error;
    const std::optional<PreparedTokenRequest> prepared = TokenEndpointClient::prepare(form, &error);
    if (!prepared) {
        AuthHttp::post(context, [callback] { callback(RevocationResult()); });
        return;
    }
    QNetworkRequest post = AuthHttp::makeRequest(request.revocationEndpoint, "application/json"_ba);
    post.setHeader(QNetworkRequest::ContentTypeHeader, "application/x-www-form-urlencoded"_ba);
    if (!prepared->authorization.isEmpty())
        post.setRawHeader("Authorization"_ba, prepared->authorization);
    qCDebug(lcAuth).noquote() << "revoking a token at"
                              << AuthHttp::displayUrl(request.revocationEndpoint);
    AuthHttp::send(m_nam, post, "POST"_ba, prepared->body, request.timeoutMs, this, context,
            [callback](const AuthHttp::Reply &reply) {
                RevocationResult result;
                result.httpStatus = reply.status;
                result.outcome = reply.isSuccess() ? RevocationResult::Outcome::Revoked
                                                   : RevocationResult::Outcome::Failed;
                callback(result);
            });
}

} // namespace McpProxy
