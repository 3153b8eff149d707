#pragma once

#include "auth/protocol/tokenendpointclient.h"

#include <QtCore/QObject>
#include <QtCore/QString>
#include <QtCore/QUrl>

#include <functional>

class QNetworkAccessManager;

namespace McpProxy {

// One token revocation request (RFC 7009 section 2.1).
struct RevocationRequest
{
    QUrl revocationEndpoint;
    QString token;
    QString tokenTypeHint; // "refresh_token" or "access_token" (RFC 7009 section 2.1)
    // RFC 7009 section 2.1: the client authenticates as it does at the token endpoint.
    ClientAuthentication client;
    int timeoutMs = 10000;
};

struct RevocationResult
{
    enum class Outcome {
        Revoked, // HTTP 200 (RFC 7009 section 2.2: also for a token the server did not know)
        Failed, // another status, or no HTTP response (httpStatus 0)
        NotSent, // the request could not be built (the private key could not sign)
    };
    Outcome outcome = Outcome::NotSent;
    int httpStatus = 0;
};

// POSTs RFC 7009 revocation requests; the body and client authentication are built as
// TokenEndpointClient::prepare() builds them for a token request. Nothing secret is logged.
class TokenRevocation : public QObject
{
    Q_OBJECT
public:
    using Callback = std::function<void(const RevocationResult &)>;

    // `nam` is not owned and must live on this object's thread and outlive it.
    explicit TokenRevocation(QNetworkAccessManager *nam, QObject *parent = nullptr);
    ~TokenRevocation() override;

    // `callback` runs exactly once, later (never inside revoke()), on `context`'s thread; not at
    // all when `context` or this object has been destroyed first.
    void revoke(const RevocationRequest &request, QObject *context, const Callback &callback);

private:
    QNetworkAccessManager *m_nam;
};

} // namespace McpProxy
