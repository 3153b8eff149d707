#include "auth/authorizationmanager.h"

#include "auth/login/browserlauncher.h"
#include "auth/protocol/metadata.h"
#include "auth/protocol/scopeselection.h"
#include "auth/store/mcpremotestore.h"
#include "logging/logcategories.h"
#include "logging/messagehandler.h"

#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QTimer>

#include <algorithm>
#include <utility>

namespace McpProxy {

using namespace Qt::StringLiterals;

namespace {

// The exp claim (RFC 7519 section 4.1.4) of a JWT, read without verifying it: only to know when
// the server will stop accepting it. Invalid when absent or unreadable.
QDateTime idTokenExpiry(const QString &jwt)
{
    const QStringList parts = jwt.split(u'.');
    if (parts.size() != 3)
        return {};
    const QByteArray payload = QByteArray::fromBase64(
            parts.at(1).toLatin1(), QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
    const QJsonValue exp = QJsonDocument::fromJson(payload).object().value(u"exp"_s);
    if (!exp.isDouble() || exp.toDouble() <= 0)
        return {};
    return QDateTime::fromSecsSinceEpoch(qint64(exp.toDouble()), Qt::UTC);
}

} // namespace

AuthorizationManager::AuthorizationManager(const ProxyConfig &config,
        const std::optional<TokenStoreOptions> &store, const std::optional<TlsSettings> &tls,
        QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_tokenClient(&m_nam)
    , m_discovery(&m_nam)
    , m_deviceLogin(&m_nam)
    , m_persistence(store)
    , m_provisioning(m_config, &m_nam, m_persistence.store())
    , m_renewal(m_config.oauth2.refreshSkewSeconds)
{
    m_nam.setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
    m_nam.setTlsSettings(tls ? *tls : tlsSettings(m_config.upstream.caBundle));
    // mcp-remote's --connect-timeout and --headers-timeout bound every request it makes (they
    // configure its one global undici dispatcher), the OAuth ones included; each OAuth request
    // keeps its own bound for the whole exchange as well.
    m_nam.setPhaseTimeouts(m_config.upstream.connectTimeoutMs, m_config.upstream.headersTimeoutMs);
    setClock(nullptr);
    connect(&m_persistence, &TokenPersistence::writesDone, this,
            &AuthorizationManager::storeWritesDone);
    connect(&m_login, &AuthorizationCodeLogin::authorizationCodeReceived, this,
            &AuthorizationManager::exchangeCode);
    connect(&m_deviceLogin, &DeviceCodeLogin::codeReady, this,
            [this](const QUrl &, const QUrl &, const QString &, int expiresInSeconds) {
                Q_EMIT interactiveLoginStarted(expiresInSeconds);
            });
    connect(&m_deviceLogin, &DeviceCodeLogin::tokensReceived, this, [this](const TokenSet &tokens) {
        accept(tokens);
        finishRound(true);
    });
    connect(&m_deviceLogin, &DeviceCodeLogin::failed, this,
            [this](const AuthorizationFailure &failure, bool codeShown, bool clientRefused) {
                // A registration of ours made before the server offered the device grant lacks
                // it (RFC 7591 grant_types): register anew, once, and start the device login
                // again with the new client.
                if (clientRefused && m_provisioning.forgetRegistrationOnce()) {
                    qCWarning(lcAuth).noquote()
                            << failure.english
                            << "; the client registration does not include the device grant: "
                               "registering anew";
                    const bool fallback = m_deviceLoginIsFallback;
                    withClient([this, fallback] { runDeviceCode(fallback); });
                    return;
                }
                if (m_deviceLoginIsFallback && !codeShown) {
                    // The server would not start a device login for us (e.g. a client registered
                    // without that grant): the browser login with the printed URL still works.
                    qCWarning(lcAuth).noquote()
                            << failure.english << "; logging in through a browser instead";
                    runBrowserLogin();
                    return;
                }
                finishRound(false, failure);
            });
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
    if (!m_config.oauth2.refreshToken.isEmpty())
        addLogSecret(m_config.oauth2.refreshToken);
}

AuthorizationManager::~AuthorizationManager() = default;

void AuthorizationManager::setClock(const Clock *clock)
{
    m_clock = clock ? clock : &m_systemClock;
    m_tokenClient.setClock(m_clock);
    m_provisioning.setClock(m_clock);
    m_deviceLogin.setClock(m_clock);
    m_renewTimer = m_clock->createTimer();
    connect(m_renewTimer.get(), &ClockTimer::timeout, this, [this] { renew(); });
}

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
            qCInfo(lcAuth) << "the interactive login starts when the server first asks for "
                              "authorization (HTTP 401)";
            Q_EMIT authorizationFinished(true, QString());
            return;
        }
        // A grant is configured, or a stored refresh token can renew a token that is (about to
        // be) expired: do it now rather than after a 401.
        qCInfo(lcAuth) << "obtaining an access token at start-up";
        beginRound(Round::Prefetch);
    };
    if (m_persistence.isEnabled())
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
            m_provisioning.client() ? m_provisioning.clientId() : m_storedClientId};
}

void AuthorizationManager::loadStoredTokens(const std::function<void()> &next)
{
    const QString resource = canonicalResourceUri(m_config.upstream.url);
    m_persistence.loadNewest(resource, m_config.oauth2.clientId,
            [this, next](const std::optional<TokenStoreKey> &found,
                    const std::optional<StoredTokens> &stored) {
                if (!found) {
                    adoptReferenceCache();
                    adoptMcpRemoteTokens();
                    next();
                    return;
                }
                if (stored) {
                    const TokenStoreKey &key = *found;
                    m_storedIssuer = key.issuer;
                    m_storedClientId = key.clientId;
                    m_tokens = stored->toTokenSet();
                    m_tokensIssuedAt = stored->savedAt;
                    addLogSecret(m_tokens.accessToken);
                    addLogSecret(m_tokens.refreshToken);
                    qCInfo(lcAuth).noquote()
                            << u"using the stored tokens for %1 (%2, client %3)"_s.arg(key.resource,
                                       key.issuer.isEmpty()
                                               ? u"no authorization server metadata: "
                                                 "discovery is off"_s
                                               : u"authorization server "_s + key.issuer,
                                       key.clientId.isEmpty() ? u"unknown"_s : key.clientId);
                    if (m_tokens.isValid() && !needsRenewal(m_tokens.expiresAt, m_tokensIssuedAt)) {
                        // Renewal is scheduled once a round knows the AS and the client; until
                        // then an expiry shows up as a 401, answered by the refresh token.
                        Q_EMIT authorizationHeaderChanged(bearerHeader());
                    } else {
                        m_tokens.accessToken.clear();
                    }
                }
                next();
            });
}

void AuthorizationManager::adoptReferenceCache()
{
    // Users of the npm reference keep their login: its refresh token is tried once, then stored
    // in our format.
    if (m_config.oauth2.clientId.isEmpty() || !m_tokens.refreshToken.isEmpty())
        return;
    const std::optional<ReferenceCacheEntry> entry =
            m_persistence.referenceCacheEntry(m_config.oauth2.clientId, m_config.oauth2.tokenUrl);
    if (!entry)
        return;
    m_tokens.refreshToken = entry->refreshToken;
    addLogSecret(entry->refreshToken);
    qCInfo(lcAuth) << "using the refresh token of the npm mcp-oauth2-proxy cache";
}

void AuthorizationManager::adoptMcpRemoteTokens()
{
    // Users of mcp-remote keep their login: the tokens it stored for this server (its refresh
    // token; its access token while still fresh) are used once, then stored in our format. Its
    // client comes with them (ClientProvisioning imports the registration; a pre-registered
    // client is configured by --static-oauth-client-info).
    if (!m_tokens.refreshToken.isEmpty() || m_tokens.isValid())
        return;
    const ProxyConfig::OAuth2 &o = m_config.oauth2;
    const McpRemoteLogin login =
            readMcpRemoteLogin(o.mcpRemoteStoreDirectory, o.mcpRemoteServerHash);
    if (!login.tokens || (!login.client && o.clientId.isEmpty()))
        return; // tokens of a client we do not know are of no use
    const McpRemoteLogin::Tokens &imported = *login.tokens;
    m_tokens.refreshToken = imported.refreshToken;
    addLogSecret(imported.refreshToken);
    addLogSecret(imported.accessToken);
    addLogSecret(imported.idToken);
    TokenSet fresh;
    fresh.accessToken = imported.accessToken;
    if (!imported.tokenType.isEmpty())
        fresh.tokenType = imported.tokenType;
    fresh.expiresAt = imported.expiresAt;
    fresh.refreshToken = imported.refreshToken;
    fresh.scope = imported.scope;
    fresh.idToken = imported.idToken;
    if (fresh.isValid() && fresh.expiresAt.isValid()
            && !needsRenewal(fresh.expiresAt, QDateTime())) {
        m_tokens = fresh;
        Q_EMIT authorizationHeaderChanged(bearerHeader());
    }
    qCInfo(lcAuth) << "using the login mcp-remote stored for this server (imported into the "
                      "token store once renewed)";
}

void AuthorizationManager::withEntryLock(const std::function<void(bool locked)> &next)
{
    m_adoptedInLock = false;
    if (!m_persistence.isEnabled() || m_persistence.holdsLock() || !m_provisioning.client()
            || !m_metadata) {
        next(m_persistence.holdsLock());
        return;
    }
    m_persistence.lockAndReload(
            storeKey(), [this, next](bool locked, const std::optional<StoredTokens> &stored) {
                m_adoptedInLock = adoptStoredIfNewer(stored);
                next(locked);
            });
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
    Q_EMIT authorizationHeaderChanged(bearerHeader());
    scheduleRenewal();
    return true;
}

void AuthorizationManager::saveTokens()
{
    if (!m_persistence.isEnabled() || !m_provisioning.client() || !m_metadata)
        return;
    m_persistence.save(StoredTokens::fromTokenSet(storeKey(), m_tokens));
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
    if (!answeredByRunningRound
            && m_limits.coolDown(now()) == AuthorizationLimits::CoolDown::Active) {
        // A round failed moments ago: the same answer at once, no new browser tab or round.
        qCInfo(lcAuth).noquote() << "authorization failed recently; trying again after"
                                 << m_limits.coolDownUntil().toString(Qt::ISODate);
        failFast(m_limits.failureMessage());
        return;
    }
    m_challenge = BearerChallenge::fromHeader(wwwAuthenticate);
    if (httpStatus == 403) {
        // MCP 2026-07-28 "Step-Up Authorization Flow": re-authorize with the union of the scopes
        // requested before (and those granted) and the ones challenged; clients SHOULD limit the
        // retries, and they are counted per scope set for the session (every request asking for
        // it shares them).
        const QString held = unionOfScopes(m_requestedScope, m_tokens.scope);
        const QString wanted = unionOfScopes(held, m_challenge ? m_challenge->scope : QString());
        if (!answeredByRunningRound) {
            // The scope the round will request (a configured one comes first, scopeForRequest()).
            const QString requested =
                    m_config.oauth2.scope.isEmpty() ? wanted : m_config.oauth2.scope;
            if (!m_limits.admitsAuthorization(requested)) {
                const Failure exhausted = Failure::fromText(
                        QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager",
                                "the server still requires more scope (%1) after %2 "
                                "authorizations; check the scopes your account may be "
                                "granted"),
                        {wanted, QString::number(m_limits.authorizations(requested))});
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

void AuthorizationManager::beginRound(Round round)
{
    if (m_round == Round::ProactiveRefresh) {
        m_round = round; // the running renewal's end answers this round (see renew())
        return;
    }
    if (m_round != Round::None)
        return; // a round is running; its end answers everyone (the transport waits for it)
    m_round = round;
    m_renewTimer->stop();
    if (round == Round::Unauthorized || round == Round::Prefetch) {
        // RFC 6750 section 3.1 invalid_token: forget the rejected token; a refresh token may still
        // work.
        if (round == Round::Unauthorized) {
            m_rejectedAccessToken = m_tokens.accessToken; // never adopted back from the store
            m_tokens.accessToken.clear();
            // MCP 2026-07-28 client-registration "Authorization Server Binding": the server may
            // have moved to another authorization server (its protected resource metadata says
            // so), so discovery runs again before a refresh token or client is used.
            m_metadataStale = m_metadata.has_value() && m_config.discoveryEnabled;
            Q_EMIT authorizationHeaderChanged(QByteArray());
            Q_EMIT renewalPointChanged(QDateTime());
            // The token is gone (expired or revoked): a new start for the step-up counting.
            m_limits.resetCounts();
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

void AuthorizationManager::withMetadata(const std::function<void()> &next)
{
    const QUrl fromChallenge = m_challenge ? m_challenge->resourceMetadata : QUrl();
    if (m_metadata && !m_metadataStale
            && (fromChallenge.isEmpty() || fromChallenge == m_metadataFromChallenge)) {
        next();
        return;
    }
    const ProxyConfig::OAuth2 &o = m_config.oauth2;
    if (!m_config.discoveryEnabled) {
        const DiscoveryResult result = configuredMetadata();
        if (o.tokenUrl.isEmpty()) {
            finishRound(false,
                    Failure::fromText(QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager",
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
        if (!result.ok && m_metadataStale && m_metadata) {
            // Checking for a new authorization server failed: the one found before was
            // validated and stays in use.
            qCWarning(lcAuth).noquote()
                    << "checking the authorization server again failed (" << result.error
                    << "); going on with" << m_metadata->server.issuer;
            m_metadataStale = false;
            next();
            return;
        }
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
                    Failure::fromText(QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager",
                                              "authorization discovery failed: %1"),
                            {result.error}));
            return;
        }
        // MCP 2026-07-28 client-registration "Authorization Server Binding": credentials belong
        // to the authorization server that issued them and are never used with another.
        const QString previous = m_metadata ? m_metadata->server.issuer : m_storedIssuer;
        const QString &issuer = result.server.issuer;
        if (const std::optional<Failure> failure = m_provisioning.bindToIssuer(previous, issuer)) {
            finishRound(false, *failure);
            return;
        }
        if (!previous.isEmpty() && previous != issuer)
            forgetTokensOf(previous, issuer);
        m_metadata = result;
        m_metadataFromChallenge = fromChallenge;
        m_metadataStale = false;
        next();
    });
}

void AuthorizationManager::forgetTokensOf(const QString &previousIssuer, const QString &issuer)
{
    // The protected resource metadata names another authorization server: its tokens (the
    // refresh token above all) must never reach the new one. The new server's own entry in the
    // store (storeKey() now names it) is what a later lock reload may adopt.
    qCInfo(lcAuth).noquote() << "the authorization server changed from" << previousIssuer << "to"
                             << issuer << "; authorizing there";
    m_tokens = TokenSet();
    m_tokensIssuedAt = QDateTime();
    m_renewTimer->stop();
    Q_EMIT authorizationHeaderChanged(QByteArray());
    Q_EMIT renewalPointChanged(QDateTime());
}

bool AuthorizationManager::configurationSuffices() const
{
    // Enough to get a token without any metadata: a token endpoint and a client, plus the
    // authorization endpoint for the browser login.
    const ProxyConfig::OAuth2 &o = m_config.oauth2;
    // The device grant needs the metadata's device_authorization_endpoint: never enough.
    return !o.tokenUrl.isEmpty() && !o.clientId.isEmpty()
            && o.grant != ProxyConfig::Grant::DeviceCode
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

void AuthorizationManager::withClient(const std::function<void()> &next)
{
    m_provisioning.provision(m_metadata->server, scopeForRequest(),
            [this, next](const std::optional<AuthorizationFailure> &failure) {
                if (failure)
                    finishRound(false, *failure);
                else
                    next();
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
    request.client = m_provisioning.client()->auth;
    return request;
}

void AuthorizationManager::runClientCredentials()
{
    TokenRequest request = baseTokenRequest();
    request.grant = {{u"grant_type"_s, u"client_credentials"_s}};
    request.scope = scopeForRequest();
    m_requestedScope = request.scope;
    countAuthorizationOnce(request.scope);
    requestToken(request, [this](const TokenResponse &response) {
        if (response.tokens) {
            accept(*response.tokens);
            finishRound(true);
            return;
        }
        finishRound(false,
                Failure::fromOAuthError(QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager",
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
                o.redirectUri.isEmpty() ? QUrl(m_provisioning.redirectUri()) : o.redirectUri);
        return;
    }
    if (m_round == Round::Prefetch) {
        // Only a browser login is left: it waits for the server's challenge (see start()).
        qCInfo(lcAuth) << "the interactive login starts when the server first asks for "
                          "authorization (HTTP 401)";
        finishRound(true);
        return;
    }
    if (!o.interactive) {
        finishRound(false,
                Failure::fromText(QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager",
                        "a browser login is needed but interactive login is disabled "
                        "(OAUTH2_INTERACTIVE=false): set OAUTH2_REFRESH_TOKEN or "
                        "OAUTH2_AUTHORIZATION_CODE, or enable interactive login")));
        return;
    }
    // RFC 8628: chosen (oauth2.grant device_code, --device-code), or the headless fallback when
    // the authorization server offers it and no browser can be opened here.
    if (o.grant == ProxyConfig::Grant::DeviceCode) {
        runDeviceCode(false);
        return;
    }
    if (!server.deviceAuthorizationEndpoint.isEmpty()
            && (!o.openBrowser || !BrowserLauncher::canOpen(m_config.childEnvironment))) {
        qCInfo(lcAuth) << "no browser can be opened here and the authorization server offers the "
                          "device authorization grant: logging in with a code";
        runDeviceCode(true);
        return;
    }
    runBrowserLogin();
}

void AuthorizationManager::runDeviceCode(bool fallback)
{
    const AuthorizationServerMetadata &server = m_metadata->server;
    if (server.deviceAuthorizationEndpoint.isEmpty()) {
        finishRound(false,
                Failure::fromText(QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager",
                                          "the authorization server %1 does not offer the device "
                                          "authorization grant (no device_authorization_endpoint "
                                          "in its metadata): remove OAUTH2_GRANT=device_code or "
                                          "--device-code to log in through a browser"),
                        {server.issuer.isEmpty() ? m_config.upstream.url.host() : server.issuer}));
        return;
    }
    DeviceCodeLogin::Options options;
    options.deviceAuthorizationEndpoint = server.deviceAuthorizationEndpoint;
    options.tokenRequest = baseTokenRequest();
    options.scope = scopeForRequest();
    m_requestedScope = options.scope;
    options.serverName = m_config.upstream.url.host();
    // One login per entry across processes, as for the browser login.
    withEntryLock([this, options, fallback](bool) {
        if (m_adoptedInLock && m_round != Round::StepUp) {
            finishRound(true); // another instance logged in meanwhile
            return;
        }
        countAuthorizationOnce(options.scope);
        m_deviceLoginIsFallback = fallback;
        if (!m_deviceLogin.start(options))
            qCWarning(lcAuth) << "a device login is already running";
    });
}

void AuthorizationManager::runBrowserLogin()
{
    const ProxyConfig::OAuth2 &o = m_config.oauth2;
    const AuthorizationServerMetadata &server = m_metadata->server;
    // MCP 2025-11-25 "Authorization Code Protection": PKCE support MUST be verified from the
    // metadata; without it the client MUST refuse (unless the user overrides it knowingly).
    if (!server.fromFallback && !server.codeChallengeMethodsSupported.contains(u"S256"_s)
            && o.requirePkceSupport) {
        finishRound(false,
                Failure::fromText(
                        QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager",
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
                Failure::fromText(QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager",
                        "no authorization endpoint is known: set OAUTH2_AUTHORIZATION_URL "
                        "(oauth2.authorizationUrl) or enable discovery")));
        return;
    }
    AuthorizationCodeLogin::Options options;
    options.authorizationEndpoint = authorizationEndpoint;
    options.tokenEndpoint = baseTokenRequest().tokenEndpoint;
    options.clientId = m_provisioning.clientId();
    options.scope = scopeForRequest();
    m_requestedScope = options.scope;
    options.resource = resourceParameter();
    options.extraParams = o.extraParams;
    // mcp-remote's --authorize-param: the authorization request only (a later one of the same
    // name replaces an extra parameter).
    for (const auto &param : o.authorizeParams) {
        options.extraParams.removeIf([&param](const auto &p) { return p.first == param.first; });
        options.extraParams.append(param);
    }
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
        options.redirectUri = QUrl(m_provisioning.redirectUri());
    options.callbackHost = o.callbackHost;
    options.callbackPort = o.callbackPort;
    options.timeoutSeconds = o.callbackTimeoutSeconds;
    options.expectedIssuer = server.issuer;
    options.issParameterSupported = server.authorizationResponseIssParameterSupported;
    options.serverName = m_config.upstream.url.host();
    options.openBrowser = o.openBrowser;
    options.environment = m_config.childEnvironment;
    // One browser login per entry across processes: whoever holds the lock logs
    // in; the others wait for it and find the stored tokens.
    withEntryLock([this, options](bool) {
        if (m_adoptedInLock && m_round != Round::StepUp) {
            finishRound(true); // another instance logged in meanwhile
            return;
        }
        countAuthorizationOnce(options.scope);
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
        // SEP-2352: re-register once on invalid_client.
        if (response.error.error == u"invalid_client" && m_provisioning.forgetRegistrationOnce())
            m_limits.allowRetryAtOnce();
        finishRound(false,
                Failure::fromOAuthError(QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager",
                                                "the authorization code exchange failed: %1"),
                        response.error));
    });
}

void AuthorizationManager::refresh(const RefreshCallback &done)
{
    if (!m_metadata || m_metadataStale || !m_provisioning.client()) {
        // Metadata and client first (a configured refresh token at start-up; after a 401, whether
        // the protected resource metadata now names another authorization server).
        withMetadata([this, done] {
            withClient([this, done] {
                if (m_tokens.refreshToken.isEmpty()) {
                    // It belonged to the previous authorization server (forgetTokensOf()).
                    OAuthError gone;
                    gone.error = u"invalid_grant"_s;
                    gone.description = u"no refresh token for this authorization server"_s;
                    done(false, gone);
                    return;
                }
                refresh(done);
            });
        });
        return;
    }
    if (m_persistence.isEnabled() && !m_persistence.holdsLock()) {
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

void AuthorizationManager::refreshNow(const RefreshCallback &done)
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
        const TokenRequest &request, const std::function<void(const TokenResponse &)> &done)
{
    if (request.tokenEndpoint.isEmpty()) {
        TokenResponse response;
        response.error.error = u"invalid_request"_s;
        response.error.description = u"no token endpoint is known: set OAUTH2_TOKEN_URL "
                                     "(oauth2.tokenUrl) or enable discovery"_s;
        QTimer::singleShot(0, this, [done, response] { done(response); });
        return;
    }
    m_tokenClient.request(request, this, done);
}

void AuthorizationManager::accept(const TokenSet &tokens)
{
    const QString previousRefresh = m_tokens.refreshToken;
    m_tokens = tokens;
    m_tokensIssuedAt = now();
    if (m_tokens.refreshToken.isEmpty())
        m_tokens.refreshToken = previousRefresh; // no rotation: keep the one we have
    if (m_config.oauth2.useIdToken) {
        // The ID token goes on the wire, so its own exp decides renewal (OpenID Connect Core
        // section 2).
        if (m_tokens.idToken.isEmpty()) {
            qCWarning(lcAuth) << "the token response has no id_token, which the ID token setting "
                                 "(oauth2.useIdToken, --use-id-token) sends: ask for the openid "
                                 "scope";
        } else if (const QDateTime expiry = idTokenExpiry(m_tokens.idToken); expiry.isValid()) {
            m_tokens.expiresAt = expiry;
        }
    }
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
    Q_EMIT authorizationHeaderChanged(bearerHeader());
    saveTokens();
    scheduleRenewal();
}

QByteArray AuthorizationManager::bearerHeader() const
{
    if (!m_config.oauth2.useIdToken)
        return m_tokens.authorizationHeader();
    // For servers that verify who calls rather than what the caller may do (an OpenID Connect ID
    // token validated against the issuer's JWKS): the same RFC 6750 checks as an access token.
    TokenSet idToken;
    idToken.accessToken = m_tokens.idToken;
    return idToken.authorizationHeader();
}

void AuthorizationManager::scheduleRenewal()
{
    m_renewTimer->stop();
    // No expiry known: renewed on the next 401. Nothing to renew with: the next 401 asks again.
    const bool renewable = !m_tokens.refreshToken.isEmpty() || !isAuthorizationCodeGrant();
    const RenewalPolicy::Plan plan = m_renewal.plan(m_tokens.expiresAt, renewable, now());
    // Before a request, the token is renewed once it is past this point.
    Q_EMIT renewalPointChanged(plan.renewAt);
    if (!plan.renewAt.isValid())
        return;
    // While idle: at most once per lifetime, never more often than every 30 s. A token too
    // short-lived for that (expires_in of a few seconds) is renewed only when it is used.
    if (plan.idleDelayMs < 0) {
        qCDebug(lcAuth) << "short-lived token: renewed before the next request, not while idle";
        return;
    }
    m_renewTimer->start(plan.idleDelayMs);
}

bool AuthorizationManager::needsRenewal(const QDateTime &expiresAt, const QDateTime &issuedAt) const
{
    return m_renewal.needsRenewal(expiresAt, issuedAt, now());
}

void AuthorizationManager::renew(Round kind)
{
    if (m_round != Round::None)
        return;
    m_round = kind;
    const auto done = [this](bool ok, const OAuthError &error) {
        renewalDone(ok, error);
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

void AuthorizationManager::renewalDone(bool ok, const OAuthError &error)
{
    // The round may have changed while the renewal ran: a request or a 401/403 now waits for it.
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
    m_persistence.release();
    const qint64 backoffMs =
            error.isTransient() ? RenewalPolicy::retryDelayMs(++m_renewFailures) : -1;
    if (backoffMs > 0) {
        qCWarning(lcAuth).noquote() << "token renewal failed (" << error.toString()
                                    << "); retrying in" << backoffMs << "ms";
        m_renewTimer->start(backoffMs);
        return;
    }
    qCWarning(lcAuth).noquote() << "token renewal failed (" << error.toString()
                                << "); will authorize again when the server asks";
}

void AuthorizationManager::countAuthorizationOnce(const QString &scope)
{
    // One round is one authorization however many grants it tries: a device login that falls
    // back to the browser, or starts again after a re-registration, is still the one the user
    // completes.
    if (std::exchange(m_roundCounted, true))
        return;
    m_limits.countAuthorization(scope);
}

void AuthorizationManager::finishRound(bool ok, const Failure &failure)
{
    const Round round = m_round;
    m_round = Round::None;
    m_roundCounted = false;
    // Siblings waiting for the lock must find the new tokens on disk: unlock after the write.
    m_persistence.releaseAfterWrites();
    if (!ok)
        qCWarning(lcAuth).noquote() << "authorization failed:" << failure.english;
    if (round == Round::ProactiveRefresh)
        return; // nobody is waiting
    if (ok) {
        // A step-up that got a token has not shown that the server accepts it: a further limit
        // hit then waits longer.
        m_limits.succeeded(round != Round::StepUp);
    } else {
        if (!m_limits.takeRetryAtOnce() && round != Round::Prefetch)
            rememberFailure(failure);
    }
    Q_EMIT authorizationFinished(ok, failure.translated);
}

void AuthorizationManager::rememberFailure(const Failure &failure)
{
    // Until the cool-down ends, authorize() answers with this failure at once.
    const qint64 coolDownMs = m_limits.rememberFailure(failure.translated, now());
    qCInfo(lcAuth).noquote() << "no new authorization attempt for" << coolDownMs / 1000 << "s";
}

} // namespace McpProxy
