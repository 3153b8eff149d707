#include "auth/clientprovisioning.h"

#include "auth/store/mcpremotestore.h"

#include "auth/store/tokenstore.h"
#include "logging/logcategories.h"
#include "logging/messagehandler.h"

#include <QtCore/QFile>
#include <QtNetwork/QHostAddress>
#include <QtNetwork/QTcpServer>

namespace McpProxy {

using namespace Qt::StringLiterals;

namespace {

QString hostForUri(const QString &host)
{
    return host.contains(u':') && !host.startsWith(u'[') ? u'[' + host + u']' : host;
}

} // namespace

ClientProvisioning::ClientProvisioning(
        const ProxyConfig &config, QNetworkAccessManager *nam, TokenStore *store, QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_registration(nam)
    , m_store(store)
{
    const ProxyConfig::OAuth2 &o = m_config.oauth2;
    if (!o.privateKeyFile.isEmpty()) {
        QFile key(o.privateKeyFile);
        if (key.open(QIODevice::ReadOnly))
            m_privateKey = key.readAll();
        else
            qCWarning(lcAuth).noquote()
                    << u"cannot read oauth2.privateKeyFile %1: %2; private_key_jwt is not "
                       "available"_s.arg(o.privateKeyFile, key.errorString());
    }
    m_configuredMethod = o.tokenEndpointAuthMethod;
    if (m_configuredMethod.isEmpty() && o.authStyleSet && !o.clientSecret.isEmpty()) {
        // The reference's authStyle: header = client_secret_basic, body = client_secret_post.
        m_configuredMethod = o.authStyle == ProxyConfig::AuthStyle::Header
                ? u"client_secret_basic"_s
                : u"client_secret_post"_s;
    }
}

ClientProvisioning::~ClientProvisioning() = default;

ProvisionedClient ClientProvisioning::makeClient(const AuthorizationServerMetadata &server,
        const QString &clientId, const QString &secret, const QString &registeredMethod) const
{
    ProvisionedClient client;
    client.auth.clientId = clientId;
    client.auth.clientSecret = secret;
    client.auth.privateKeyPem = m_privateKey;
    client.auth.signingAlgorithm = m_config.oauth2.signingAlgorithm;
    client.auth.assertionAudience = server.issuer;
    client.auth.method =
            chooseClientAuthMethod(m_configuredMethod, server.tokenEndpointAuthMethodsSupported,
                    registeredMethod, !secret.isEmpty(), !m_privateKey.isEmpty());
    client.issuer = server.issuer;
    return client;
}

void ClientProvisioning::finish(const ProvisionedClient &client, const Callback &done)
{
    m_client = client;
    m_state = State::Ready;
    done(std::nullopt);
}

void ClientProvisioning::fail(const AuthorizationFailure &failure, const Callback &done)
{
    m_state = m_client ? State::Ready : State::None;
    done(failure);
}

void ClientProvisioning::provision(
        const AuthorizationServerMetadata &server, const QString &scope, const Callback &done)
{
    const ProxyConfig::OAuth2 &o = m_config.oauth2;
    // MCP 2025-11-25 "Client Registration Approaches", in priority order.
    if (!o.clientId.isEmpty()) {
        finish(makeClient(server, o.clientId, o.clientSecret, QString()), done);
        return;
    }
    if (m_client) {
        done(std::nullopt);
        return;
    }
    if (server.clientIdMetadataDocumentSupported && !o.clientMetadataUrl.isEmpty()) {
        finish(makeClient(server, o.clientMetadataUrl.toString(), QString(), u"none"_s), done);
        return;
    }
    const QString shownServer =
            server.issuer.isEmpty() ? m_config.upstream.url.host() : server.issuer;
    QUrl registrationEndpoint = server.registrationEndpoint;
    if (registrationEndpoint.isEmpty() && server.fromFallback && m_config.discoveryEnabled) {
        registrationEndpoint = m_config.upstream.url.resolved(QUrl(u"/register"_s));
    }
    if (registrationEndpoint.isEmpty()) {
        fail(AuthorizationFailure::fromText(
                     QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager",
                             "the authorization server %1 offers neither dynamic client "
                             "registration nor client ID metadata documents: register a "
                             "client there and set OAUTH2_CLIENT_ID (oauth2.clientId), and "
                             "OAUTH2_CLIENT_SECRET if it is confidential"),
                     {shownServer}),
                done);
        return;
    }
    // Auth on demand without configuration means the interactive grant (the usual MCP case).
    const bool codeGrant = o.grant != ProxyConfig::Grant::ClientCredentials;
    RegistrationRequest request;
    request.registrationEndpoint = registrationEndpoint;
    if (codeGrant) {
        request.redirectUri = redirectUri();
        request.grantTypes = {u"authorization_code"_s, u"refresh_token"_s};
        // RFC 8628 section 3.4: one registration serves the browser and the device login.
        if (!server.deviceAuthorizationEndpoint.isEmpty())
            request.grantTypes.append(u"urn:ietf:params:oauth:grant-type:device_code"_s);
    } else {
        request.grantTypes = {u"client_credentials"_s};
    }
    request.scope = scope;
    request.tokenEndpointAuthMethod = registrationAuthMethod(
            m_configuredMethod, server.tokenEndpointAuthMethodsSupported, !codeGrant);
    if (request.tokenEndpointAuthMethod.isEmpty()) {
        fail(AuthorizationFailure::fromText(
                     QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager",
                             "the client_credentials grant needs a confidential client, but "
                             "the authorization server %1 offers no client secret "
                             "authentication for registration: register a client there and "
                             "set OAUTH2_CLIENT_ID and OAUTH2_CLIENT_SECRET"),
                     {shownServer}),
                done);
        return;
    }
    m_state = State::Provisioning;
    if (!m_store) {
        registerClient(server, request, false, done);
        return;
    }
    // One registration per (issuer, redirect URI), shared by every instance and kept across
    // restarts (under the entry lock); redone when the issuer or the redirect URI changes.
    const RegistrationKey key{server.issuer, request.redirectUri};
    m_store->withLock(key, this, [this, key, server, request, done](bool locked) {
        m_store->loadRegistration(key, this,
                [this, key, server, request, done, locked](
                        const std::optional<StoredRegistration> &stored) {
                    const bool usable = stored
                            && (!stored->secretExpiresAt.isValid()
                                    || stored->secretExpiresAt > m_clock->nowUtc());
                    if (!usable && adoptMcpRemoteClient(server, key, locked, done))
                        return;
                    if (!usable) {
                        registerClient(server, request, locked, done);
                        return;
                    }
                    if (locked)
                        m_store->unlock(key);
                    addLogSecret(stored->clientSecret);
                    ProvisionedClient client = makeClient(server, stored->clientId,
                            stored->clientSecret, stored->tokenEndpointAuthMethod);
                    client.dynamic = true;
                    client.redirectUri = stored->redirectUri;
                    qCInfo(lcAuth).noquote() << "using the stored client registration"
                                             << stored->clientId << "at" << key.issuer;
                    finish(client, done);
                });
    });
}

bool ClientProvisioning::adoptMcpRemoteClient(const AuthorizationServerMetadata &server,
        const RegistrationKey &key, bool locked, const Callback &done)
{
    // Users of mcp-remote keep their registration: the client it registered for this server (at
    // this authorization server, for this redirect URI) is stored in our store once and used.
    const ProxyConfig::OAuth2 &o = m_config.oauth2;
    const McpRemoteLogin login =
            readMcpRemoteLogin(o.mcpRemoteStoreDirectory, o.mcpRemoteServerHash);
    if (!login.client || !login.client->redirectUris.contains(key.redirectUri)
            || (!login.client->issuer.isEmpty() && login.client->issuer != key.issuer)
            || (login.client->secretExpiresAt.isValid()
                    && login.client->secretExpiresAt <= m_clock->nowUtc())) {
        return false;
    }
    const McpRemoteLogin::Client &imported = *login.client;
    qCInfo(lcAuth).noquote() << "using mcp-remote's client registration" << imported.clientId
                             << "at" << key.issuer << "(imported into the token store)";
    StoredRegistration stored;
    stored.issuer = key.issuer;
    stored.redirectUri = key.redirectUri;
    stored.clientId = imported.clientId;
    stored.clientSecret = imported.clientSecret;
    stored.tokenEndpointAuthMethod = imported.tokenEndpointAuthMethod;
    stored.secretExpiresAt = imported.secretExpiresAt;
    keepDynamicClient(server, stored, locked, done);
    return true;
}

void ClientProvisioning::keepDynamicClient(const AuthorizationServerMetadata &server,
        const StoredRegistration &registration, bool locked, const Callback &done)
{
    addLogSecret(registration.clientSecret);
    ProvisionedClient client = makeClient(server, registration.clientId, registration.clientSecret,
            registration.tokenEndpointAuthMethod);
    client.dynamic = true;
    client.redirectUri = registration.redirectUri;
    if (!m_store) {
        finish(client, done);
        return;
    }
    m_client = client;
    const RegistrationKey key = registration.key();
    m_store->saveRegistration(registration, this, [this, key, locked, client, done](bool) {
        if (locked)
            m_store->unlock(key);
        finish(client, done);
    });
}

void ClientProvisioning::registerClient(const AuthorizationServerMetadata &server,
        const RegistrationRequest &request, bool locked, const Callback &done)
{
    const RegistrationKey key{server.issuer, request.redirectUri};
    m_registration.registerClient(
            request, this, [this, key, server, locked, done](const RegistrationResult &result) {
                if (!result.ok) {
                    if (locked)
                        m_store->unlock(key);
                    fail(AuthorizationFailure::fromText(
                                 QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager",
                                         "client registration failed: %1; set "
                                         "OAUTH2_CLIENT_ID "
                                         "(oauth2.clientId) to a pre-registered client "
                                         "instead"),
                                 {result.error}),
                            done);
                    return;
                }
                StoredRegistration stored;
                stored.issuer = key.issuer;
                stored.redirectUri = key.redirectUri;
                stored.clientId = result.clientId;
                stored.clientSecret = result.clientSecret;
                stored.tokenEndpointAuthMethod = result.tokenEndpointAuthMethod;
                stored.secretExpiresAt = result.clientSecretExpiresAt;
                keepDynamicClient(server, stored, locked, done);
            });
}

std::optional<AuthorizationFailure> ClientProvisioning::bindToIssuer(
        const QString &previousIssuer, const QString &issuer)
{
    const ProxyConfig::OAuth2 &o = m_config.oauth2;
    const QString boundTo =
            m_client && !m_client->issuer.isEmpty() ? m_client->issuer : previousIssuer;
    if (!o.clientId.isEmpty() && !boundTo.isEmpty() && boundTo != issuer) {
        return AuthorizationFailure::fromText(
                QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager",
                        "the server now names the authorization server %1 instead of %2, and "
                        "the configured client %3 (OAUTH2_CLIENT_ID) belongs to %2: register a "
                        "client at %1 and configure it, or remove OAUTH2_CLIENT_ID to register "
                        "automatically; `mcp-oauth2-proxy logout` forgets the stored tokens of "
                        "%2"),
                {issuer, boundTo, o.clientId});
    }
    if (m_client && m_client->issuer != issuer) {
        m_client.reset();
        m_state = State::None;
    }
    return std::nullopt;
}

bool ClientProvisioning::forgetRegistrationOnce()
{
    if (!m_client || !m_client->dynamic || m_reregistered)
        return false;
    m_reregistered = true;
    if (m_store)
        m_store->removeRegistration({m_client->issuer, m_client->redirectUri}, this, [](bool) {});
    m_client.reset();
    m_state = State::None;
    return true;
}

QString ClientProvisioning::redirectUri()
{
    if (!m_redirectUri.isEmpty())
        return m_redirectUri;
    const QUrl &configured = m_config.oauth2.redirectUri;
    if (!configured.isEmpty() && m_config.oauth2.callbackPortAlternatives > 0) {
        // A preferred port (mcp-remote's, derived from the server URL): when it is taken, the
        // first free one after it, chosen once for this process before registration (RFC 7591
        // redirect_uris), as mcp-remote does.
        const QHostAddress address = configured.host() == u"::1"_s
                ? QHostAddress(QHostAddress::LocalHostIPv6)
                : QHostAddress(QHostAddress::LocalHost);
        const int preferred = configured.port();
        for (int port = preferred;
                port <= preferred + m_config.oauth2.callbackPortAlternatives && port <= 65535;
                ++port) {
            QTcpServer probe;
            if (!probe.listen(address, quint16(port)))
                continue;
            QUrl chosen = configured;
            chosen.setPort(port);
            if (port != preferred) {
                qCWarning(lcAuth).noquote()
                        << QStringLiteral("the callback port %1 (derived from the server URL, as "
                                          "mcp-remote does) is in use: using %2")
                                   .arg(preferred)
                                   .arg(port);
            }
            m_redirectUri = chosen.toString();
            return m_redirectUri;
        }
        qCWarning(lcAuth).noquote()
                << QStringLiteral("the callback ports %1-%2 are all in use; pass a free port as "
                                  "the second argument")
                           .arg(preferred)
                           .arg(preferred + m_config.oauth2.callbackPortAlternatives);
    }
    if (!configured.isEmpty())
        return configured.toString();
    int port = m_config.oauth2.callbackPort;
    if (port == 0) {
        // The redirect URI must be known before registration (RFC 7591 redirect_uris): reserve
        // an ephemeral port now and keep it for this process.
        QTcpServer probe;
        if (probe.listen(QHostAddress::LocalHost, 0))
            port = probe.serverPort();
    }
    m_redirectUri = QStringLiteral("http://%1:%2/callback")
                            .arg(hostForUri(m_config.oauth2.callbackHost))
                            .arg(port);
    return m_redirectUri;
}

} // namespace McpProxy
