#pragma once

#include "auth/authorizationfailure.h"
#include "auth/clock.h"
#include "auth/protocol/clientregistration.h"
#include "auth/protocol/metadata.h"
#include "auth/protocol/tokenendpointclient.h"
#include "config/proxyconfig.h"

#include <QtCore/QObject>

#include <functional>
#include <optional>

class QNetworkAccessManager;

namespace McpProxy {

class TokenStore;
struct RegistrationKey;
struct StoredRegistration;

// The OAuth client the proxy authenticates as at one authorization server.
struct ProvisionedClient
{
    ClientAuthentication auth;
    QString issuer; // the AS it belongs to (2026-07-28: credentials bound to issuer)
    QString redirectUri;
    bool dynamic = false; // obtained by DCR (re-registered on invalid_client)
};

// Picks the client (MCP 2025-11-25 "Client Registration Approaches", in priority order):
// pre-registered (oauth2.clientId), a client ID metadata document (oauth2.clientMetadataUrl, when
// the AS supports it), or RFC 7591 dynamic registration. A registration is kept in the token
// store per (issuer, redirect URI), shared by every instance under the store's lock, and reused
// across restarts until its secret expires.
class ClientProvisioning : public QObject
{
    Q_OBJECT
public:
    // `nam` and `store` (null: no store) are not owned and outlive this object.
    ClientProvisioning(const ProxyConfig &config, QNetworkAccessManager *nam, TokenStore *store,
            QObject *parent = nullptr);
    ~ClientProvisioning() override;

    // The clock of secret expiry (tests); not owned, outlives this.
    void setClock(const Clock *clock) { m_clock = clock; }

    enum class State {
        None, // no client yet (or it was dropped)
        Provisioning, // reading the registration store or registering
        Ready,
    };
    State state() const { return m_state; }
    const std::optional<ProvisionedClient> &client() const { return m_client; }
    QString clientId() const { return m_client ? m_client->auth.clientId : QString(); }

    // Makes client() the client to use at `server`; `scope` is what a registration asks for.
    // `done` runs once, with nullopt on success.
    using Callback = std::function<void(const std::optional<AuthorizationFailure> &failure)>;
    void provision(
            const AuthorizationServerMetadata &server, const QString &scope, const Callback &done);
    // Discovery found the authorization server `issuer`; `previousIssuer` is the one the
    // credentials in use belong to (found before in this session, or named by the stored token
    // entry), empty when none is known. MCP 2026-07-28 client-registration "Authorization Server
    // Binding": a client of another authorization server is dropped, so the next provision()
    // registers at the new one (a stored registration is keyed by issuer, so only one of that
    // server is ever found) or re-makes the CIMD client; a pre-registered client belongs to the
    // server it was used with: a change is the failure returned (SHOULD surface an error).
    std::optional<AuthorizationFailure> bindToIssuer(
            const QString &previousIssuer, const QString &issuer);
    // The token endpoint answered invalid_client: a dynamic client is forgotten (here and in
    // the store) and registered anew, once per session (SEP-2352). True when that happens.
    bool forgetRegistrationOnce();

    // The loopback redirect URI of the browser login: the configured one, or
    // http://<callbackHost>:<callbackPort>/callback, with a port reserved once for this process
    // when none is configured (RFC 7591 redirect_uris needs it before the login).
    QString redirectUri();

private:
    ProvisionedClient makeClient(const AuthorizationServerMetadata &server, const QString &clientId,
            const QString &secret, const QString &registeredMethod) const;
    // mcp-remote's registration for `key`, when it has one: stored in ours and used (true).
    bool adoptMcpRemoteClient(const AuthorizationServerMetadata &server, const RegistrationKey &key,
            bool locked, const Callback &done);
    void registerClient(const AuthorizationServerMetadata &server,
            const RegistrationRequest &request, bool locked, const Callback &done);
    // A dynamic client (registered now, or mcp-remote's): used, saved in the store, then the
    // registration lock released (siblings waiting on it must find the saved client).
    void keepDynamicClient(const AuthorizationServerMetadata &server,
            const StoredRegistration &registration, bool locked, const Callback &done);
    void finish(const ProvisionedClient &client, const Callback &done);
    void fail(const AuthorizationFailure &failure, const Callback &done);

    ProxyConfig m_config;
    SystemClock m_systemClock;
    const Clock *m_clock = &m_systemClock;
    ClientRegistration m_registration;
    TokenStore *m_store;
    QByteArray m_privateKey;
    QString m_configuredMethod;
    QString m_redirectUri;
    State m_state = State::None;
    std::optional<ProvisionedClient> m_client;
    bool m_reregistered = false;
};

} // namespace McpProxy
