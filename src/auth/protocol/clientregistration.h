#pragma once

#include "auth/protocol/tokenendpointclient.h"

#include <QtCore/QByteArray>
#include <QtCore/QDateTime>
#include <QtCore/QObject>
#include <QtCore/QString>
#include <QtCore/QStringList>
#include <QtCore/QUrl>

#include <functional>

class QNetworkAccessManager;

namespace McpProxy {

struct RegistrationRequest
{
    QUrl registrationEndpoint;
    QString redirectUri; // the loopback redirect URI; omitted when empty (client_credentials)
    // RFC 7591 section 2; MCP 2026-07-28 "Refresh Tokens": SHOULD list refresh_token.
    QStringList grantTypes = {
            QStringLiteral("authorization_code"), QStringLiteral("refresh_token")};
    QString scope; // sent when not empty
    QString clientName = QStringLiteral("mcp-oauth2-proxy");
    QString tokenEndpointAuthMethod = QStringLiteral("none"); // a public client by default
    QString initialAccessToken; // RFC 7591 section 3: sent as a Bearer token when not empty
    int timeoutMs = 30000;
};

struct RegistrationResult
{
    bool ok = false;
    QString error; // English, no secrets; for a rejection: "<error>: <error_description>"
    QString errorCode; // RFC 7591 section 3.2.2 error (invalid_redirect_uri, …) when the server
                       // sent one
    int httpStatus = 0;
    QString clientId;
    QString clientSecret; // empty for a public client
    QString tokenEndpointAuthMethod; // as registered; what we asked for when not echoed
    QDateTime clientSecretExpiresAt; // UTC; invalid when it does not expire (0) or is absent
    QStringList redirectUris; // as registered; ours when not echoed
    QString registrationAccessToken; // RFC 7592, when issued
    QUrl registrationClientUri; // RFC 7592, when issued
    QByteArray rawResponse; // the 2xx body; contains secrets, never log it
};

// RFC 7591 Dynamic Client Registration (MCP 2025-11-25 "Dynamic Client Registration"; 2026-07-28:
// application_type MUST be sent, rejections MUST be surfaced). POSTs
// {client_name, redirect_uris, grant_types, response_types, token_endpoint_auth_method,
// application_type "native", scope, software_id, software_version}. Redirects are not followed.
class ClientRegistration : public QObject
{
    Q_OBJECT
public:
    using Callback = std::function<void(const RegistrationResult &)>;

    // `nam` is not owned and must live on this object's thread and outlive it.
    explicit ClientRegistration(QNetworkAccessManager *nam, QObject *parent = nullptr);
    ~ClientRegistration() override;

    // `callback` runs exactly once, later, on `context`'s thread; not when `context` or this
    // object was destroyed first (the request is then aborted).
    void registerClient(
            const RegistrationRequest &request, QObject *context, const Callback &callback);

    // The JSON body registerClient() sends (compact).
    static QByteArray requestBody(const RegistrationRequest &request);
    // Interprets a registration endpoint reply (RFC 7591 sections 3.2.1 / 3.2.2).
    static RegistrationResult parseResponse(
            int httpStatus, const QByteArray &body, const RegistrationRequest &request);

private:
    QNetworkAccessManager *m_nam;
};

// Which token endpoint authentication to use. An explicit setting always wins: `configured`
// (OAUTH2_TOKEN_ENDPOINT_AUTH_METHOD, or oauth2.authStyle when it is set: header =
// client_secret_basic, body = client_secret_post); else the method the registration returned;
// else what the AS lists in token_endpoint_auth_methods_supported: private_key_jwt with a key;
// with a secret client_secret_post (the npm mcp-oauth2-proxy's default authStyle "body"), else
// client_secret_basic; none without either. When the AS lists nothing (no metadata, discovery
// off): client_secret_post with a secret, private_key_jwt with only a key, else none. Unknown
// names are ignored.
ClientAuthentication::Method chooseClientAuthMethod(const QString &configured,
        const QStringList &asSupported, const QString &registered, bool haveSecret, bool haveKey);

// The token_endpoint_auth_method to ask for in a registration (RFC 7591 section 2). A public client
// (authorization_code): the configured method, else none when the AS lists none or nothing,
// else the first it lists. A confidential client (client_credentials, RFC 6749 section 4.4) is
// never registered with none: the configured method unless it is none, else client_secret_post when
// the AS lists it or lists nothing, else client_secret_basic when listed; empty when there is
// no such method (the caller reports it).
QString registrationAuthMethod(
        const QString &configured, const QStringList &asSupported, bool confidential);

} // namespace McpProxy
