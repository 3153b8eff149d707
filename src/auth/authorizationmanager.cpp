#include "auth/authorizationmanager.h"

#include "auth/protocol/metadata.h"
#include "auth/protocol/scopeselection.h"
#include "auth/store/referencecache.h"
#include "logging/logcategories.h"
#include "logging/messagehandler.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QDateTime>
#include <QtCore/QFile>
#include <QtNetwork/QHostAddress>
#include <QtNetwork/QTcpServer>

#include <algorithm>
#include <utility>

namespace McpProxy {

using namespace Qt::StringLiterals;

namespace {

constexpr int MaxRenewFailures = 3;
// After a failed round, authorize() answers with the same failure for this long (doubling with
// every further failure, up to MaxCoolDownMs); then one new attempt is allowed.
constexpr qint64 CoolDownMs = 30000;
constexpr qint64 MaxCoolDownMs = 300000;

// A scope set as a key: the same scopes in any order are the same set.
QString scopeSetKey(const QString &scope)
{
    QStringList scopes = scope.split(u' ', Qt::SkipEmptyParts);
    scopes.sort();
    scopes.removeDuplicates();
    return scopes.join(u' ');
}

QString hostForUri(const QString &host)
{
    return host.contains(u':') && !host.startsWith(u'[') ? u'[' + host + u']' : host;
}

} // namespace

AuthorizationManager::AuthorizationManager(
        const ProxyConfig &config, std::optional<TokenStoreOptions> store, QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_tokenClient(&m_nam)
    , m_discovery(&m_nam)
    , m_registration(&m_nam)
{
    m_nam.setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
    m_nam.setTlsConfiguration(tlsConfiguration(m_config.upstream.caBundle));
    if (store)
        m_store = std::make_unique<TokenStore>(*store);
    m_renewTimer.setSingleShot(true);
    connect(&m_renewTimer, &QTimer::timeout, this, [this] { renew(); });
    connect(&m_login, &AuthorizationCodeLogin::authorizationCodeReceived, this,
            &AuthorizationManager::exchangeCode);
    connect(&m_login, &AuthorizationCodeLogin::failed, this,
            [this](const QString &error, const QString &description) {
                qCWarning(lcAuth).noquote() << "login failed:" << error << description;
                // The description is already translated: the log gets the error code.
                Failure failure;
                failure.english = u"login failed: "_s + error;
                failure.translated = description.isEmpty()
                        ? error
                        : QStringLiteral("%1 (%2)").arg(description, error);
                finishRound(false, failure);
            });
    if (!m_config.oauth2.privateKeyFile.isEmpty()) {
        QFile key(m_config.oauth2.privateKeyFile);
        if (key.open(QIODevice::ReadOnly))
            m_privateKey = key.readAll();
        else
            qCWarning(lcAuth).noquote()
                    << u"cannot read oauth2.privateKeyFile %1: %2; private_key_jwt is not "
                       "available"_s.arg(m_config.oauth2.privateKeyFile, key.errorString());
    }
    if (!m_config.oauth2.refreshToken.isEmpty())
        addLogSecret(m_config.oauth2.refreshToken);
}

AuthorizationManager::~AuthorizationManager() = default;

bool AuthorizationManager::prefetches() const
{
    return m_config.oauth2.grant != ProxyConfig::Grant::None;
}

bool AuthorizationManager::isAuthorizationCodeGrant() const
{
    // Auth on demand without configuration means the interactive grant (the usual MCP case).
    return m_config.oauth2.grant != ProxyConfig::Grant::ClientCredentials;
}

void AuthorizationManager::start()
{
    const auto afterLoad = [this] {
        const bool fresh =
                m_tokens.isValid() && !needsRenewal(m_tokens.expiresAt, m_tokensIssuedAt);
        if (fresh || (!prefetches() && m_tokens.refreshToken.isEmpty())) {
            // A stored token still valid (or nothing to do yet): no network at all before the
            // first request.
            Q_EMIT authorizationFinished(true, QString());
            return;
        }
        if (hasOnlyBrowserLoginLeft()) {
            // The browser login waits for the server's 401: its challenge names the scope and
            // the resource metadata to use (MCP 2025-11-25 "Scope Selection Strategy",
            // "Protected Resource Metadata Discovery Requirements"), which no start-up guess can.
            qCInfo(lcAuth) << "the browser login starts when the server first asks for "
                              "authorization (HTTP 401)";
            Q_EMIT authorizationFinished(true, QString());
            return;
        }
        // A grant is configured, or a stored refresh token can renew a token that is (about to
        // be) expired: do it now rather than after a 401.
        qCInfo(lcAuth) << "obtaining an access token at start-up";
        beginRound(Round::Prefetch);
    };
    if (m_store)
        loadStoredTokens(afterLoad);
    else if (prefetches())
        afterLoad();
}

bool AuthorizationManager::hasOnlyBrowserLoginLeft() const
{
    const ProxyConfig::OAuth2 &o = m_config.oauth2;
    return isAuthorizationCodeGrant() && m_tokens.refreshToken.isEmpty()
            && (o.refreshToken.isEmpty() || m_configuredRefreshTokenUsed)
            && (o.authorizationCode.isEmpty() || m_configuredCodeUsed);
}

bool AuthorizationManager::hasUsableToken() const
{
    return m_tokens.isValid() && (!m_tokens.expiresAt.isValid() || m_tokens.expiresAt > now());
}

TokenStoreKey AuthorizationManager::storeKey() const
{
    // The server we talk to (canonical), the AS and the client: two servers, two IdPs or two
    // clients never share an entry.
    return TokenStoreKey{canonicalResourceUri(m_config.upstream.url),
            m_metadata ? m_metadata->server.issuer : m_storedIssuer,
            m_client ? m_client->auth.clientId : m_storedClientId};
}

void AuthorizationManager::loadStoredTokens(std::function<void()> next)
{
    const QString resource = canonicalResourceUri(m_config.upstream.url);
    m_store->listEntries(this, [this, resource, next](const QList<TokenStoreEntryInfo> &entries) {
        const TokenStoreEntryInfo *best = nullptr;
        for (const TokenStoreEntryInfo &entry : entries) {
            if (entry.kind != TokenStoreEntryInfo::Kind::Tokens || entry.resource != resource)
                continue;
            if (!m_config.oauth2.clientId.isEmpty() && entry.clientId != m_config.oauth2.clientId)
                continue;
            if (!best || entry.savedAt > best->savedAt)
                best = &entry;
        }
        if (!best) {
            adoptReferenceCache();
            next();
            return;
        }
        const TokenStoreKey key{best->resource, best->issuer, best->clientId};
        m_store->load(key, this, [this, key, next](std::optional<StoredTokens> stored) {
            if (stored) {
                m_storedIssuer = key.issuer;
                m_storedClientId = key.clientId;
                m_tokens = stored->toTokenSet();
                m_tokensIssuedAt = stored->savedAt;
                addLogSecret(m_tokens.accessToken);
                addLogSecret(m_tokens.refreshToken);
                qCInfo(lcAuth).noquote()
                        << u"using the stored tokens for %1 (%2, client %3)"_s.arg(key.resource,
                                   key.issuer.isEmpty() ? u"no authorization server metadata: "
                                                          "discovery is off"_s
                                                        : u"authorization server "_s + key.issuer,
                                   key.clientId.isEmpty() ? u"unknown"_s : key.clientId);
                if (m_tokens.isValid() && !needsRenewal(m_tokens.expiresAt, m_tokensIssuedAt)) {
                    // Renewal is scheduled once a round knows the AS and the client; until then
                    // an expiry shows up as a 401, answered by the refresh token.
                    Q_EMIT authorizationHeaderChanged(m_tokens.authorizationHeader());
                } else {
                    m_tokens.accessToken.clear();
                }
            }
            next();
        });
    });
}

void AuthorizationManager::adoptReferenceCache()
{
    // Users of the npm reference keep their login: its cache holds a refresh token
    // per (client id, token endpoint); it is tried once, then stored in our format.
    if (m_config.oauth2.clientId.isEmpty() || !m_tokens.refreshToken.isEmpty())
        return;
    const QList<ReferenceCacheEntry> entries = migrateReferenceCache(m_store->directory());
    for (const ReferenceCacheEntry &entry : entries) {
        if (entry.clientId != m_config.oauth2.clientId)
            continue;
        if (!m_config.oauth2.tokenUrl.isEmpty() && QUrl(entry.tokenUrl) != m_config.oauth2.tokenUrl)
            continue;
        m_tokens.refreshToken = entry.refreshToken;
        addLogSecret(entry.refreshToken);
        qCInfo(lcAuth) << "using the refresh token of the npm mcp-oauth2-proxy cache";
        return;
    }
}

void AuthorizationManager::withEntryLock(std::function<void(bool locked)> next)
{
    m_adoptedInLock = false;
    if (!m_store || m_entryLocked || !m_client || !m_metadata) {
        next(m_entryLocked);
        return;
    }
    const TokenStoreKey key = storeKey();
    m_store->withLock(key, this, [this, key, next](bool locked) {
        m_entryLocked = locked;
        m_lockedKey = key;
        if (!locked)
            qCWarning(lcAuth) << "token store: could not lock the entry; going on without it";
        // Another process may have logged in or refreshed while we waited: look first.
        m_store->load(key, this, [this, next, locked](std::optional<StoredTokens> stored) {
            m_adoptedInLock = adoptStoredIfNewer(stored);
            next(locked);
        });
    });
}

void AuthorizationManager::releaseEntryLock()
{
    if (m_store && m_entryLocked)
        m_store->unlock(m_lockedKey);
    m_entryLocked = false;
}

bool AuthorizationManager::adoptStoredIfNewer(const std::optional<StoredTokens> &stored)
{
    if (!stored)
        return false;
    // A sibling rotated the refresh token: never use the old one again.
    if (!stored->refreshToken.isEmpty() && stored->refreshToken != m_tokens.refreshToken) {
        m_tokens.refreshToken = stored->refreshToken;
        addLogSecret(m_tokens.refreshToken);
    }
    const bool fresh = !stored->accessToken.isEmpty() && stored->accessToken != m_tokens.accessToken
            && stored->accessToken != m_rejectedAccessToken
            && !needsRenewal(stored->expiresAt, stored->savedAt);
    if (!fresh)
        return false;
    m_tokens = stored->toTokenSet();
    m_tokensIssuedAt = stored->savedAt;
    addLogSecret(m_tokens.accessToken);
    qCInfo(lcAuth) << "using tokens another instance stored meanwhile";
    Q_EMIT authorizationHeaderChanged(m_tokens.authorizationHeader());
    scheduleRenewal();
    return true;
}

void AuthorizationManager::saveTokens()
{
    if (!m_store || !m_client || !m_metadata)
        return;
    ++m_pendingStoreWrites;
    m_store->save(StoredTokens::fromTokenSet(storeKey(), m_tokens), this, [this](bool ok) {
        if (!ok)
            qCWarning(lcAuth) << "token store: could not save the tokens (they stay in memory)";
        if (--m_pendingStoreWrites == 0) {
            if (m_releaseAfterWrites) {
                m_releaseAfterWrites = false;
                releaseEntryLock();
            }
            Q_EMIT storeWritesDone();
        }
    });
}

void AuthorizationManager::authorize(const QByteArray &wwwAuthenticate, int httpStatus)
{
    // Whether a round somebody waits for is running (its end answers this call too).
    const bool answeredByRunningRound =
            m_round != Round::None && m_round != Round::ProactiveRefresh;
    if (httpStatus == 0) {
        // The token reached its renewal point and a request is about to use it.
        if (m_round == Round::ProactiveRefresh)
            m_round = Round::BeforeUse; // the running renewal's end answers (see renew())
        else if (m_round == Round::None)
            renew(Round::BeforeUse);
        return;
    }
    if (!answeredByRunningRound && m_coolDownUntil.isValid() && now() < m_coolDownUntil) {
        // A round failed moments ago: the same answer at once, no new browser tab or round.
        qCInfo(lcAuth).noquote() << "authorization failed recently; trying again after"
                                 << m_coolDownUntil.toString(Qt::ISODate);
        failFast(m_lastFailure);
        return;
    }
    m_challenge = BearerChallenge::fromHeader(wwwAuthenticate);
    if (httpStatus == 403) {
        // MCP 2025-11-25 "Scope Challenge Handling": re-authorize with the union of the scopes
        // held and the ones challenged; clients SHOULD limit the retries, and they are counted
        // per scope set for the session (every request asking for it shares them).
        const QString held = m_tokens.scope.isEmpty() ? m_requestedScope : m_tokens.scope;
        const QString wanted = unionOfScopes(held, m_challenge ? m_challenge->scope : QString());
        if (!answeredByRunningRound) {
            // The scope the round will request (a configured one comes first, scopeForRequest()).
            const QString requested =
                    m_config.oauth2.scope.isEmpty() ? wanted : m_config.oauth2.scope;
            int &count = m_authorizationsPerScope[scopeSetKey(requested)];
            if (count >= MaxAuthorizationsPerScope && m_coolDownUntil.isValid()) {
                count = MaxAuthorizationsPerScope - 1; // the cool-down is over: one new attempt
            } else if (count >= MaxAuthorizationsPerScope) {
                const Failure exhausted =
                        failure(QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager",
                                        "the server still requires more scope (%1) after %2 "
                                        "authorizations; check the scopes your account may be "
                                        "granted"),
                                {wanted, QString::number(count)});
                qCWarning(lcAuth).noquote() << "authorization failed:" << exhausted.english;
                rememberFailure(exhausted);
                failFast(exhausted.translated);
                return;
            }
        }
        m_stepUpScope = wanted;
        qCInfo(lcAuth).noquote() << "step-up authorization for scope" << m_stepUpScope;
        beginRound(Round::StepUp);
        return;
    }
    beginRound(Round::Unauthorized);
}

void AuthorizationManager::failFast(const QString &message)
{
    // Queued: the caller (the transport) is still inside the signal that asked.
    QMetaObject::invokeMethod(
            this, [this, message] { Q_EMIT authorizationFinished(false, message); },
            Qt::QueuedConnection);
}

void AuthorizationManager::countAuthorization(const QString &scope)
{
    ++m_authorizationsPerScope[scopeSetKey(scope)];
}

void AuthorizationManager::beginRound(Round round)
{
    if (m_round == Round::ProactiveRefresh) {
        m_round = round; // the running renewal's end answers this round (see renew())
        return;
    }
    if (m_round != Round::None)
        return; // a round is running; its end answers everyone (the transport waits for it)
    m_round = round;
    m_renewTimer.stop();
    if (round == Round::Unauthorized || round == Round::Prefetch) {
        // RFC 6750 section 3.1 invalid_token: forget the rejected token; a refresh token may still
        // work.
        if (round == Round::Unauthorized) {
            m_rejectedAccessToken = m_tokens.accessToken; // never adopted back from the store
            m_tokens.accessToken.clear();
            Q_EMIT authorizationHeaderChanged(QByteArray());
            Q_EMIT renewalPointChanged(QDateTime());
            // The token is gone (expired or revoked): a new start for the step-up counting.
            m_authorizationsPerScope.clear();
        }
        if (!m_tokens.refreshToken.isEmpty()) {
            refresh([this](bool ok, const OAuthError &error) {
                if (ok) {
                    finishRound(true);
                    return;
                }
                qCInfo(lcAuth).noquote()
                        << "refresh failed (" << error.toString() << "); authorizing again";
                runFullAuthorization();
            });
            return;
        }
    }
    runFullAuthorization();
}

void AuthorizationManager::runFullAuthorization()
{
    withMetadata([this] { withClient([this] { runGrant(); }); });
}

void AuthorizationManager::withMetadata(std::function<void()> next)
{
    const QUrl fromChallenge = m_challenge ? m_challenge->resourceMetadata : QUrl();
    if (m_metadata && (fromChallenge.isEmpty() || fromChallenge == m_metadataFromChallenge)) {
        next();
        return;
    }
    const ProxyConfig::OAuth2 &o = m_config.oauth2;
    if (!m_config.discoveryEnabled) {
        const DiscoveryResult result = configuredMetadata();
        if (o.tokenUrl.isEmpty()) {
            finishRound(false,
                    failure(QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager",
                            "discovery is disabled (DISCOVERY_ENABLED=false) and no token "
                            "endpoint is configured: set OAUTH2_TOKEN_URL (oauth2.tokenUrl)")));
            return;
        }
        m_metadata = result;
        next();
        return;
    }
    DiscoveryRequest request;
    request.serverUrl = m_config.upstream.url;
    request.resourceMetadataUrl = fromChallenge;
    request.protocolVersion = m_protocolVersion;
    request.allowInsecureHttp = m_config.allowInsecureHttp;
    m_discovery.discover(request, this, [this, fromChallenge, next](const DiscoveryResult &result) {
        if (!result.ok && configurationSuffices()) {
            // Explicit configuration wins: what discovery found (or what failed validation,
            // e.g. RFC 9728 section 3.3) is not used at all.
            qCWarning(lcAuth).noquote()
                    << "authorization discovery failed (" << result.error
                    << "); going on with the configured token endpoint and client (oauth2.*)";
            m_metadata = configuredMetadata();
            m_metadataFromChallenge = fromChallenge;
            next();
            return;
        }
        if (!result.ok) {
            finishRound(false,
                    failure(QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager",
                                    "authorization discovery failed: %1"),
                            {result.error}));
            return;
        }
        if (m_client && m_client->issuer != result.server.issuer) {
            // 2026-07-28 "Authorization Server Binding": never reuse credentials with another AS.
            if (m_client->dynamic)
                m_client.reset();
        }
        m_metadata = result;
        m_metadataFromChallenge = fromChallenge;
        next();
    });
}

bool AuthorizationManager::configurationSuffices() const
{
    // Enough to get a token without any metadata: a token endpoint and a client, plus the
    // authorization endpoint for the browser login.
    const ProxyConfig::OAuth2 &o = m_config.oauth2;
    return !o.tokenUrl.isEmpty() && !o.clientId.isEmpty()
            && (!isAuthorizationCodeGrant() || !o.authorizationUrl.isEmpty());
}

DiscoveryResult AuthorizationManager::configuredMetadata() const
{
    const ProxyConfig::OAuth2 &o = m_config.oauth2;
    DiscoveryResult result;
    result.ok = true;
    result.server.tokenEndpoint = o.tokenUrl;
    result.server.authorizationEndpoint = o.authorizationUrl;
    result.server.fromFallback = true;
    result.resource = canonicalResourceUri(m_config.upstream.url);
    return result;
}

QString AuthorizationManager::redirectUriForLogin()
{
    if (!m_config.oauth2.redirectUri.isEmpty())
        return m_config.oauth2.redirectUri.toString();
    if (!m_redirectUri.isEmpty())
        return m_redirectUri;
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

void AuthorizationManager::withClient(std::function<void()> next)
{
    const ProxyConfig::OAuth2 &o = m_config.oauth2;
    const AuthorizationServerMetadata &server = m_metadata->server;
    const bool codeGrant = isAuthorizationCodeGrant();
    QString configuredMethod = o.tokenEndpointAuthMethod;
    if (configuredMethod.isEmpty() && o.authStyleSet && !o.clientSecret.isEmpty()) {
        // The reference's authStyle: header = client_secret_basic, body = client_secret_post.
        configuredMethod = o.authStyle == ProxyConfig::AuthStyle::Header ? u"client_secret_basic"_s
                                                                         : u"client_secret_post"_s;
    }
    // Captures by value: it also runs later, from the registration callback.
    const auto makeClient = [this, configuredMethod](const QString &clientId, const QString &secret,
                                    const QString &registeredMethod) {
        const AuthorizationServerMetadata &as = m_metadata->server;
        Client client;
        client.auth.clientId = clientId;
        client.auth.clientSecret = secret;
        client.auth.privateKeyPem = m_privateKey;
        client.auth.signingAlgorithm = m_config.oauth2.signingAlgorithm;
        client.auth.assertionAudience = as.issuer;
        client.auth.method =
                chooseClientAuthMethod(configuredMethod, as.tokenEndpointAuthMethodsSupported,
                        registeredMethod, !secret.isEmpty(), !m_privateKey.isEmpty());
        client.issuer = as.issuer;
        return client;
    };

    // MCP 2025-11-25 "Client Registration Approaches", in priority order.
    if (!o.clientId.isEmpty()) {
        m_client = makeClient(o.clientId, o.clientSecret, QString());
        next();
        return;
    }
    if (m_client) {
        next();
        return;
    }
    if (server.clientIdMetadataDocumentSupported && !o.clientMetadataUrl.isEmpty()) {
        m_client = makeClient(o.clientMetadataUrl.toString(), QString(), u"none"_s);
        next();
        return;
    }
    QUrl registrationEndpoint = server.registrationEndpoint;
    if (registrationEndpoint.isEmpty() && server.fromFallback && m_config.discoveryEnabled) {
        registrationEndpoint = m_config.upstream.url.resolved(QUrl(u"/register"_s));
    }
    if (registrationEndpoint.isEmpty()) {
        finishRound(false,
                failure(QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager",
                                "the authorization server %1 offers neither dynamic client "
                                "registration nor client ID metadata documents: register a "
                                "client there and set OAUTH2_CLIENT_ID (oauth2.clientId), and "
                                "OAUTH2_CLIENT_SECRET if it is confidential"),
                        {server.issuer.isEmpty() ? m_config.upstream.url.host() : server.issuer}));
        return;
    }
    RegistrationRequest request;
    request.registrationEndpoint = registrationEndpoint;
    if (codeGrant) {
        request.redirectUri = redirectUriForLogin();
        request.grantTypes = {u"authorization_code"_s, u"refresh_token"_s};
    } else {
        request.grantTypes = {u"client_credentials"_s};
    }
    request.scope = scopeForRequest();
    request.tokenEndpointAuthMethod = registrationAuthMethod(
            configuredMethod, server.tokenEndpointAuthMethodsSupported, !codeGrant);
    if (request.tokenEndpointAuthMethod.isEmpty()) {
        finishRound(false,
                failure(QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager",
                                "the client_credentials grant needs a confidential client, but "
                                "the authorization server %1 offers no client secret "
                                "authentication for registration: register a client there and "
                                "set OAUTH2_CLIENT_ID and OAUTH2_CLIENT_SECRET"),
                        {server.issuer.isEmpty() ? m_config.upstream.url.host() : server.issuer}));
        return;
    }
    // One registration per (issuer, redirect URI), shared by every instance and kept across
    // restarts (under the entry lock); redone when the issuer or the redirect URI changes.
    const RegistrationKey registrationKey{server.issuer, request.redirectUri};
    const auto registerNow = [this, next, makeClient, request, registrationKey](bool locked) {
        m_registration.registerClient(request, this,
                [this, next, makeClient, request, registrationKey, locked](
                        const RegistrationResult &result) {
                    if (!result.ok) {
                        if (locked)
                            m_store->unlock(registrationKey);
                        finishRound(false,
                                failure(QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager",
                                                "client registration failed: %1; set "
                                                "OAUTH2_CLIENT_ID "
                                                "(oauth2.clientId) to a pre-registered client "
                                                "instead"),
                                        {result.error}));
                        return;
                    }
                    addLogSecret(result.clientSecret);
                    Client client = makeClient(
                            result.clientId, result.clientSecret, result.tokenEndpointAuthMethod);
                    client.dynamic = true;
                    client.redirectUri = request.redirectUri;
                    m_client = client;
                    if (m_store) {
                        StoredRegistration stored;
                        stored.issuer = registrationKey.issuer;
                        stored.redirectUri = registrationKey.redirectUri;
                        stored.clientId = result.clientId;
                        stored.clientSecret = result.clientSecret;
                        stored.tokenEndpointAuthMethod = result.tokenEndpointAuthMethod;
                        stored.secretExpiresAt = result.clientSecretExpiresAt;
                        // Unlock after the write: siblings waiting on the lock must find it.
                        m_store->saveRegistration(
                                stored, this, [this, registrationKey, locked, next](bool) {
                                    if (locked)
                                        m_store->unlock(registrationKey);
                                    next();
                                });
                        return;
                    }
                    next();
                });
    };
    if (!m_store) {
        registerNow(false);
        return;
    }
    m_store->withLock(registrationKey, this,
            [this, registrationKey, registerNow, makeClient, next](bool locked) {
                m_store->loadRegistration(registrationKey, this,
                        [this, registrationKey, registerNow, makeClient, next, locked](
                                std::optional<StoredRegistration> stored) {
                            const bool usable = stored
                                    && (!stored->secretExpiresAt.isValid()
                                            || stored->secretExpiresAt > now());
                            if (!usable) {
                                registerNow(locked);
                                return;
                            }
                            if (locked)
                                m_store->unlock(registrationKey);
                            addLogSecret(stored->clientSecret);
                            Client client = makeClient(stored->clientId, stored->clientSecret,
                                    stored->tokenEndpointAuthMethod);
                            client.dynamic = true;
                            client.redirectUri = stored->redirectUri;
                            m_client = client;
                            qCInfo(lcAuth).noquote()
                                    << "using the stored client registration" << stored->clientId
                                    << "at" << registrationKey.issuer;
                            next();
                        });
            });
}

QString AuthorizationManager::scopeForRequest() const
{
    if (!m_config.oauth2.scope.isEmpty())
        return m_config.oauth2.scope;
    if (!m_stepUpScope.isEmpty())
        return m_stepUpScope;
    ScopeInputs inputs;
    inputs.challenge = m_challenge ? m_challenge->scope : QString();
    if (m_metadata && m_metadata->resourceMetadata) {
        inputs.protectedResourceScopes = m_metadata->resourceMetadata->scopesSupported;
        inputs.protectedResourceListsScopes = m_metadata->resourceMetadata->hasScopesSupported;
    }
    if (m_metadata)
        inputs.authorizationServerScopes = m_metadata->server.scopesSupported;
    inputs.requestOfflineAccess = isAuthorizationCodeGrant();
    return selectScope(inputs);
}

QString AuthorizationManager::resourceParameter() const
{
    if (!m_config.oauth2.sendResource)
        return QString();
    if (!m_config.oauth2.resource.isEmpty())
        return m_config.oauth2.resource;
    // RFC 8707 / MCP 2025-06-18: the canonical URI of the MCP server, or the PRM's resource.
    return m_metadata ? m_metadata->resource : canonicalResourceUri(m_config.upstream.url);
}

void AuthorizationManager::runGrant()
{
    if (isAuthorizationCodeGrant())
        runAuthorizationCode();
    else
        runClientCredentials();
}

TokenRequest AuthorizationManager::baseTokenRequest() const
{
    TokenRequest request;
    request.tokenEndpoint = m_config.oauth2.tokenUrl.isEmpty() ? m_metadata->server.tokenEndpoint
                                                               : m_config.oauth2.tokenUrl;
    request.resource = resourceParameter();
    request.audience = m_config.oauth2.audience;
    request.extraParams = m_config.oauth2.extraParams;
    request.client = m_client->auth;
    return request;
}

void AuthorizationManager::runClientCredentials()
{
    TokenRequest request = baseTokenRequest();
    request.grant = {{u"grant_type"_s, u"client_credentials"_s}};
    request.scope = scopeForRequest();
    m_requestedScope = request.scope;
    countAuthorization(request.scope);
    requestToken(request, [this](const TokenResponse &response) {
        if (response.tokens) {
            accept(*response.tokens);
            finishRound(true);
            return;
        }
        finishRound(false,
                describe(QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager",
                                 "the client_credentials grant failed: %1"),
                        response.error));
    });
}

void AuthorizationManager::runAuthorizationCode()
{
    const ProxyConfig::OAuth2 &o = m_config.oauth2;
    const AuthorizationServerMetadata &server = m_metadata->server;
    // A refresh token or code the user configured comes first, as in the npm package.
    if (!o.refreshToken.isEmpty() && !m_configuredRefreshTokenUsed
            && m_tokens.refreshToken.isEmpty()) {
        m_configuredRefreshTokenUsed = true;
        m_tokens.refreshToken = o.refreshToken;
        refresh([this](bool ok, const OAuthError &) {
            if (ok)
                finishRound(true);
            else
                runAuthorizationCode();
        });
        return;
    }
    if (!o.authorizationCode.isEmpty() && !m_configuredCodeUsed) {
        m_configuredCodeUsed = true; // a code is single-use (RFC 6749 section 4.1.2)
        exchangeCode(o.authorizationCode, o.codeVerifier.toUtf8(),
                o.redirectUri.isEmpty() ? QUrl(redirectUriForLogin()) : o.redirectUri);
        return;
    }
    if (m_round == Round::Prefetch) {
        // Only a browser login is left: it waits for the server's challenge (see start()).
        qCInfo(lcAuth) << "the browser login starts when the server first asks for "
                          "authorization (HTTP 401)";
        finishRound(true);
        return;
    }
    if (!o.interactive) {
        finishRound(false,
                failure(QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager",
                        "a browser login is needed but interactive login is disabled "
                        "(OAUTH2_INTERACTIVE=false): set OAUTH2_REFRESH_TOKEN or "
                        "OAUTH2_AUTHORIZATION_CODE, or enable interactive login")));
        return;
    }
    // MCP 2025-11-25 "Authorization Code Protection": PKCE support MUST be verified from the
    // metadata; without it the client MUST refuse (unless the user overrides it knowingly).
    if (!server.fromFallback && !server.codeChallengeMethodsSupported.contains(u"S256"_s)
            && o.requirePkceSupport) {
        finishRound(false,
                failure(QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager",
                                "the authorization server %1 does not advertise PKCE S256 "
                                "support (code_challenge_methods_supported), which MCP "
                                "requires; set OAUTH2_REQUIRE_PKCE_SUPPORT=false only if you "
                                "know it supports PKCE"),
                        {server.issuer}));
        return;
    }
    QUrl authorizationEndpoint =
            o.authorizationUrl.isEmpty() ? server.authorizationEndpoint : o.authorizationUrl;
    if (authorizationEndpoint.isEmpty()) {
        finishRound(false,
                failure(QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager",
                        "no authorization endpoint is known: set OAUTH2_AUTHORIZATION_URL "
                        "(oauth2.authorizationUrl) or enable discovery")));
        return;
    }
    AuthorizationCodeLogin::Options options;
    options.authorizationEndpoint = authorizationEndpoint;
    options.tokenEndpoint = baseTokenRequest().tokenEndpoint;
    options.clientId = m_client->auth.clientId;
    options.scope = scopeForRequest();
    m_requestedScope = options.scope;
    options.resource = resourceParameter();
    options.extraParams = o.extraParams;
    // OpenID Connect Core section 11: an OpenID provider issues a refresh token for offline_access
    // only with prompt=consent (oidc-provider drops the scope otherwise); the MCP SDK does the
    // same.
    const bool hasPrompt = std::any_of(options.extraParams.cbegin(), options.extraParams.cend(),
            [](const auto &field) { return field.first == u"prompt"; });
    if (!hasPrompt && options.scope.split(u' ').contains(u"offline_access"_s))
        options.extraParams.append({u"prompt"_s, u"consent"_s});
    // The login derives the same URI from callbackHost/callbackPort itself (and names those
    // settings in its errors); an explicit one only for a configured URI or a reserved port.
    if (!o.redirectUri.isEmpty() || o.callbackPort == 0)
        options.redirectUri = QUrl(redirectUriForLogin());
    options.callbackHost = o.callbackHost;
    options.callbackPort = o.callbackPort;
    options.timeoutSeconds = o.callbackTimeoutSeconds;
    options.expectedIssuer = server.issuer;
    options.issParameterSupported = server.authorizationResponseIssParameterSupported;
    options.serverName = m_config.upstream.url.host();
    options.openBrowser = o.openBrowser;
    // One browser login per entry across processes: whoever holds the lock logs
    // in; the others wait for it and find the stored tokens.
    withEntryLock([this, options](bool) {
        if (m_adoptedInLock && m_round != Round::StepUp) {
            finishRound(true); // another instance logged in meanwhile
            return;
        }
        countAuthorization(options.scope);
        if (!m_login.start(options)) {
            qCWarning(lcAuth) << "a login is already running";
            return;
        }
        Q_EMIT interactiveLoginStarted(options.timeoutSeconds);
    });
}

void AuthorizationManager::exchangeCode(
        const QString &code, const QByteArray &verifier, const QUrl &redirectUri)
{
    TokenRequest request = baseTokenRequest();
    request.grant = {{u"grant_type"_s, u"authorization_code"_s}, {u"code"_s, code}};
    if (!redirectUri.isEmpty())
        request.grant.append({u"redirect_uri"_s, redirectUri.toString()});
    if (!verifier.isEmpty())
        request.grant.append({u"code_verifier"_s, QString::fromLatin1(verifier)});
    requestToken(request, [this](const TokenResponse &response) {
        if (response.tokens) {
            accept(*response.tokens);
            finishRound(true);
            return;
        }
        if (response.error.error == u"invalid_client" && m_client && m_client->dynamic
                && !m_reregistered) {
            m_reregistered = true; // SEP-2352: re-register once on invalid_client
            m_retryAtOnce = true;
            if (m_store)
                m_store->removeRegistration(
                        {m_client->issuer, m_client->redirectUri}, this, [](bool) {});
            m_client.reset();
        }
        finishRound(false,
                describe(QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager",
                                 "the authorization code exchange failed: %1"),
                        response.error));
    });
}

void AuthorizationManager::refresh(std::function<void(bool, const OAuthError &)> done)
{
    if (!m_metadata || !m_client) {
        // Metadata and client first (a configured refresh token at start-up).
        withMetadata([this, done] { withClient([this, done] { refresh(done); }); });
        return;
    }
    if (m_store && !m_entryLocked) {
        // One refresh at a time across processes: a rotating refresh token is never used twice.
        withEntryLock([this, done](bool) {
            if (m_adoptedInLock && m_round != Round::StepUp) {
                done(true, OAuthError()); // a sibling refreshed meanwhile
                return;
            }
            if (m_tokens.refreshToken.isEmpty()) {
                OAuthError gone;
                gone.error = u"invalid_grant"_s;
                gone.description = u"no refresh token"_s;
                done(false, gone);
                return;
            }
            refreshNow(done);
        });
        return;
    }
    refreshNow(done);
}

void AuthorizationManager::refreshNow(std::function<void(bool, const OAuthError &)> done)
{
    TokenRequest request = baseTokenRequest();
    request.grant = {
            {u"grant_type"_s, u"refresh_token"_s}, {u"refresh_token"_s, m_tokens.refreshToken}};
    if (!m_config.oauth2.scope.isEmpty())
        request.scope = m_config.oauth2.scope;
    qCDebug(lcAuth) << "refreshing the access token";
    requestToken(request, [this, done](const TokenResponse &response) {
        if (response.tokens) {
            accept(*response.tokens);
            done(true, OAuthError());
            return;
        }
        if (!response.error.isTransient()) {
            // invalid_grant & co.: the refresh token is dead; never a dead end (the npm package
            // keeps using a dead cached refresh token and fails every start; we log in again).
            m_tokens.refreshToken.clear();
            m_tokens.accessToken.clear();
            saveTokens(); // the store forgets it too
        }
        done(false, response.error);
    });
}

void AuthorizationManager::requestToken(
        TokenRequest request, std::function<void(const TokenResponse &)> done)
{
    if (request.tokenEndpoint.isEmpty()) {
        TokenResponse response;
        response.error.error = u"invalid_request"_s;
        response.error.description = u"no token endpoint is known: set OAUTH2_TOKEN_URL "
                                     "(oauth2.tokenUrl) or enable discovery"_s;
        QTimer::singleShot(0, this, [done, response] { done(response); });
        return;
    }
    m_tokenClient.request(request, this, std::move(done));
}

void AuthorizationManager::accept(const TokenSet &tokens)
{
    const QString previousRefresh = m_tokens.refreshToken;
    m_tokens = tokens;
    m_tokensIssuedAt = now();
    if (m_tokens.refreshToken.isEmpty())
        m_tokens.refreshToken = previousRefresh; // no rotation: keep the one we have
    addLogSecret(m_tokens.accessToken);
    addLogSecret(m_tokens.refreshToken);
    addLogSecret(m_tokens.idToken);
    m_renewFailures = 0;
    ++m_tokensReceived;
    m_stepUpScope.clear();
    qCInfo(lcAuth).noquote() << "access token obtained"
                             << (m_tokens.expiresAt.isValid()
                                                ? QStringLiteral("(expires in %1 s)")
                                                          .arg(now().secsTo(m_tokens.expiresAt))
                                                : QString());
    Q_EMIT authorizationHeaderChanged(m_tokens.authorizationHeader());
    saveTokens();
    scheduleRenewal();
}

void AuthorizationManager::scheduleRenewal()
{
    m_renewTimer.stop();
    // No expiry known: renewed on the next 401. Nothing to renew with: the next 401 asks again.
    const bool renewable = m_tokens.expiresAt.isValid()
            && (!m_tokens.refreshToken.isEmpty() || !isAuthorizationCodeGrant());
    if (!renewable) {
        Q_EMIT renewalPointChanged(QDateTime());
        return;
    }
    const qint64 lifetimeMs = now().msecsTo(m_tokens.expiresAt);
    const qint64 delay = renewalDelayMs(lifetimeMs, m_config.oauth2.refreshSkewSeconds);
    // Before a request, the token is renewed once it is past this point.
    Q_EMIT renewalPointChanged(now().addMSecs(delay));
    // While idle: at most once per lifetime, never more often than every 30 s. A token too
    // short-lived for that (expires_in of a few seconds) is renewed only when it is used.
    const qint64 idleDelay = qMax(delay, MinIdleRenewalIntervalMs);
    if (idleDelay + 1000 > lifetimeMs) {
        qCDebug(lcAuth) << "short-lived token: renewed before the next request, not while idle";
        return;
    }
    m_renewTimer.start(int(qMin<qint64>(idleDelay, std::numeric_limits<int>::max())));
}

bool AuthorizationManager::needsRenewal(const QDateTime &expiresAt, const QDateTime &issuedAt) const
{
    // The renewal policy of scheduleRenewal(), applied to a token we did not just receive.
    if (!expiresAt.isValid())
        return false;
    const QDateTime current = now();
    if (current.secsTo(expiresAt) <= 1)
        return true;
    if (!issuedAt.isValid())
        return current.secsTo(expiresAt) <= m_config.oauth2.refreshSkewSeconds;
    const qint64 renewAfterMs =
            renewalDelayMs(issuedAt.msecsTo(expiresAt), m_config.oauth2.refreshSkewSeconds);
    return issuedAt.msecsTo(current) >= renewAfterMs;
}

qint64 AuthorizationManager::renewalDelayMs(qint64 lifetimeMs, int refreshSkewSeconds)
{
    const qint64 skewMs = qint64(refreshSkewSeconds) * 1000;
    return qMax(qMax(lifetimeMs - skewMs, lifetimeMs / 2), qint64(1000));
}

void AuthorizationManager::renew(Round kind)
{
    if (m_round != Round::None)
        return;
    m_round = kind;
    const auto done = [this](bool ok, const OAuthError &error) {
        const Round round = m_round;
        if (ok && round != Round::StepUp) {
            m_renewFailures = 0;
            finishRound(true);
            return;
        }
        if (round == Round::Unauthorized || round == Round::StepUp) {
            runFullAuthorization();
            return;
        }
        if (round == Round::BeforeUse) {
            // The request goes out with what we have; a 401 then starts a full round.
            qCWarning(lcAuth).noquote() << "token renewal failed (" << error.toString()
                                        << "); sending with the current token";
            finishRound(true);
            return;
        }
        m_round = Round::None;
        releaseEntryLock();
        if (error.isTransient() && ++m_renewFailures <= MaxRenewFailures) {
            const int backoffMs = 1000 << m_renewFailures; // 2 s, 4 s, 8 s
            qCWarning(lcAuth).noquote() << "token renewal failed (" << error.toString()
                                        << "); retrying in" << backoffMs << "ms";
            m_renewTimer.start(backoffMs);
            return;
        }
        qCWarning(lcAuth).noquote() << "token renewal failed (" << error.toString()
                                    << "); will authorize again when the server asks";
    };
    if (isAuthorizationCodeGrant()) {
        if (m_tokens.refreshToken.isEmpty()) {
            if (m_round == Round::BeforeUse)
                finishRound(true);
            m_round = Round::None;
            return;
        }
        refresh(done);
        return;
    }
    // client_credentials has no refresh token: the grant is simply run again (RFC 6749
    // section 4.4.3).
    TokenRequest request = baseTokenRequest();
    request.grant = {{u"grant_type"_s, u"client_credentials"_s}};
    request.scope = m_requestedScope;
    requestToken(request, [this, done](const TokenResponse &response) {
        if (response.tokens) {
            accept(*response.tokens);
            done(true, OAuthError());
        } else {
            done(false, response.error);
        }
    });
}

AuthorizationManager::Failure AuthorizationManager::failure(
        const char *text, const QStringList &arguments)
{
    // User-facing (it becomes the JSON-RPC error the host shows): translated; the log keeps the
    // English text.
    Failure result;
    result.english = QString::fromUtf8(text);
    result.translated = QCoreApplication::translate("McpProxy::AuthorizationManager", text);
    for (const QString &argument : arguments) {
        result.english = result.english.arg(argument);
        result.translated = result.translated.arg(argument);
    }
    return result;
}

void AuthorizationManager::finishRound(bool ok, const Failure &failure)
{
    const Round round = m_round;
    m_round = Round::None;
    // Siblings waiting for the lock must find the new tokens on disk: unlock after the write.
    if (m_pendingStoreWrites > 0)
        m_releaseAfterWrites = true;
    else
        releaseEntryLock();
    if (!ok)
        qCWarning(lcAuth).noquote() << "authorization failed:" << failure.english;
    if (round == Round::ProactiveRefresh)
        return; // nobody is waiting
    if (ok) {
        // A step-up that got a token has not shown that the server accepts it: a further limit
        // hit then waits longer.
        if (round != Round::StepUp)
            m_failureStreak = 0;
        m_coolDownUntil = QDateTime();
    } else if (!std::exchange(m_retryAtOnce, false) && round != Round::Prefetch) {
        rememberFailure(failure);
    }
    Q_EMIT authorizationFinished(ok, failure.translated);
}

void AuthorizationManager::rememberFailure(const Failure &failure)
{
    // Until the cool-down ends, authorize() answers with this failure at once.
    ++m_failureStreak;
    const qint64 coolDownMs = qMin(CoolDownMs << qMin(m_failureStreak - 1, 8), MaxCoolDownMs);
    m_coolDownUntil = now().addMSecs(coolDownMs);
    m_lastFailure = failure.translated;
    qCInfo(lcAuth).noquote() << "no new authorization attempt for" << coolDownMs / 1000 << "s";
}

AuthorizationManager::Failure AuthorizationManager::describe(
        const char *text, const OAuthError &error) const
{
    Failure result = failure(text, {error.toString()});
    const char *hint = nullptr;
    if (error.error == u"invalid_client")
        hint = QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager",
                "; check OAUTH2_CLIENT_ID / OAUTH2_CLIENT_SECRET and the client "
                "authentication method (OAUTH2_TOKEN_ENDPOINT_AUTH_METHOD)");
    else if (error.error == u"invalid_grant")
        hint = QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager", "; log in again");
    else if (error.error == u"invalid_scope")
        hint = QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager", "; check OAUTH2_SCOPE");
    if (hint) {
        const Failure more = failure(hint);
        result.english += more.english;
        result.translated += more.translated;
    }
    return result;
}

} // namespace McpProxy
