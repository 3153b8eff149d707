#pragma once

#include "auth/clock.h"
#include "auth/login/authorizationcodelogin.h"
#include "auth/protocol/authorizationdiscovery.h"
#include "auth/protocol/bearerchallenge.h"
#include "auth/protocol/clientregistration.h"
#include "auth/protocol/tokenendpointclient.h"
#include "auth/protocol/tokenresponse.h"
#include "auth/store/tokenstore.h"
#include "config/proxyconfig.h"
#include "network/tlsconfiguration.h"

#include <QtCore/QHash>
#include <QtCore/QObject>
#include <QtCore/QTimer>
#include <QtNetwork/QNetworkAccessManager>

#include <functional>
#include <memory>
#include <optional>

namespace McpProxy {

// The only door into auth: the token lifecycle state machine (MCP 2025-11-25 basic/authorization).
// The transport reports a 401 or a 403 insufficient_scope through authorize(); the manager then
// refreshes, or discovers (RFC 9728 → RFC 8414/OIDC), picks a client (pre-registered → CIMD →
// DCR), runs the grant (client_credentials, or authorization_code + PKCE in the browser) and
// answers with authorizationHeaderChanged() + authorizationFinished(). With a grant configured it
// starts at once (prefetch), in parallel with stdin, with everything that needs no browser; a
// browser login always waits for the server's challenge (its scope and resource_metadata come
// first, MCP 2025-11-25 "Scope Selection Strategy"). Tokens are renewed before they expire: while
// idle at most once per lifetime and never more often than every 30 s, otherwise just before a
// request (renewalPointChanged()). Full authorizations are counted per scope set for the whole
// session (3 at most, the start-up round included), and a failed round is remembered: during a
// cool-down (30 s, doubling up to 5 min) authorize() fails at once with the same message, then
// one new attempt is allowed.
// One authorization round at a time; every round ends in exactly one authorizationFinished().
class AuthorizationManager : public QObject
{
    Q_OBJECT
public:
    // Without store options the tokens live in memory only (tests); with them, tokens and client
    // registrations persist across restarts and processes (TokenStore).
    explicit AuthorizationManager(const ProxyConfig &config,
            std::optional<TokenStoreOptions> store = std::nullopt, QObject *parent = nullptr);
    ~AuthorizationManager() override;

    // True when a grant is configured: start() obtains a token right away, and the transport
    // should hold messages until authorizationFinished().
    bool prefetches() const;
    // Loads what the token store holds for this server (when there is a store), then starts the
    // prefetch when a grant is configured. The transport should hold messages until
    // authorizationFinished() when holdsMessagesAtStart() is true.
    bool holdsMessagesAtStart() const { return prefetches() || m_store != nullptr; }
    void start();
    // An access token that is not known to be expired.
    bool hasUsableToken() const;
    // Token store writes still running (a short-lived `login` waits for storeWritesDone()).
    int pendingStoreWrites() const { return m_pendingStoreWrites; }

    // When to renew a token that lives `lifetimeMs` more: `skew` before expiry, but never sooner
    // than half the remaining lifetime (so a token shorter-lived than the skew is not renewed in
    // a loop, as the npm package does on every call), and not sooner than 1 s. Pure.
    static qint64 renewalDelayMs(qint64 lifetimeMs, int refreshSkewSeconds);
    // Whether the renewal policy says a token issued at `issuedAt` should be renewed by now.
    bool needsRenewal(const QDateTime &expiresAt, const QDateTime &issuedAt) const;

    // The protocol version to send on discovery requests (MCP 2025-03-26: SHOULD).
    void setProtocolVersion(const QString &version) { m_protocolVersion = version; }
    // The clock of expiry, renewal and cool-down decisions (tests); not owned, outlives this.
    void setClock(const Clock *clock) { m_clock = clock ? clock : &m_systemClock; }
    // Tokens received from the authorization server by this process (not loaded from the store).
    int tokensReceived() const { return m_tokensReceived; }
    // When the idle renewal timer fires, in ms from now; -1 when none is scheduled.
    int idleRenewalInMs() const { return m_renewTimer.isActive() ? m_renewTimer.interval() : -1; }
    // The shortest time between two idle renewals.
    static constexpr qint64 MinIdleRenewalIntervalMs = 30000;
    // Full authorizations (browser logins, client_credentials grants) per scope set and session.
    static constexpr int MaxAuthorizationsPerScope = 3;

public Q_SLOTS:
    // httpStatus 401 or 403 (insufficient_scope): the server refused the request. 0: the token
    // reached its renewal point (renewalPointChanged()) and should be renewed before it is used.
    void authorize(const QByteArray &wwwAuthenticate, int httpStatus);

Q_SIGNALS:
    void authorizationHeaderChanged(const QByteArray &value);
    // ok: retry with the new header. Otherwise `message` says what failed and what to do.
    void authorizationFinished(bool ok, const QString &message);
    void storeWritesDone();
    // When the current token should be renewed before it is used again (an invalid QDateTime:
    // never, e.g. no expiry known or nothing to renew it with).
    void renewalPointChanged(const QDateTime &renewAt);
    // A browser login started: the round may take up to timeoutSeconds of user interaction.
    void interactiveLoginStarted(int timeoutSeconds);

private:
    struct Client
    {
        ClientAuthentication auth;
        QString issuer; // the AS it belongs to (2026-07-28: credentials bound to issuer)
        QString redirectUri;
        bool dynamic = false; // obtained by DCR (re-registered on invalid_client)
    };
    enum class Round { None, Prefetch, Unauthorized, StepUp, ProactiveRefresh, BeforeUse };

    void loadStoredTokens(std::function<void()> next);
    void adoptReferenceCache();
    void withEntryLock(std::function<void(bool locked)> next);
    void releaseEntryLock();
    bool adoptStoredIfNewer(const std::optional<StoredTokens> &stored);
    void saveTokens();
    TokenStoreKey storeKey() const;
    void beginRound(Round round);
    void runFullAuthorization();
    void withMetadata(std::function<void()> next);
    void withClient(std::function<void()> next);
    void runGrant();
    void runClientCredentials();
    void runAuthorizationCode();
    void exchangeCode(const QString &code, const QByteArray &verifier, const QUrl &redirectUri);
    void refresh(std::function<void(bool ok, const OAuthError &error)> done);
    void refreshNow(std::function<void(bool ok, const OAuthError &error)> done);
    void requestToken(TokenRequest request, std::function<void(const TokenResponse &)> done);
    TokenRequest baseTokenRequest() const;
    void accept(const TokenSet &tokens);
    void scheduleRenewal();
    void renew(Round round = Round::ProactiveRefresh);
    QDateTime now() const { return m_clock->nowUtc(); }
    bool hasOnlyBrowserLoginLeft() const;
    bool configurationSuffices() const;
    DiscoveryResult configuredMetadata() const;
    void countAuthorization(const QString &scope);
    void failFast(const QString &message);
    struct Failure
    {
        QString english; // for the log
        QString translated; // for the user (the JSON-RPC error)
    };
    static Failure failure(const char *text, const QStringList &arguments = {});
    void finishRound(bool ok, const Failure &failure = {});
    void rememberFailure(const Failure &failure);
    QString scopeForRequest() const;
    QString resourceParameter() const;
    QString redirectUriForLogin();
    Failure describe(const char *text, const OAuthError &error) const;
    bool isAuthorizationCodeGrant() const;

    ProxyConfig m_config;
    SystemClock m_systemClock;
    const Clock *m_clock = &m_systemClock;
    // Auth and metadata traffic: its own connection pool, with the proxy's TLS configuration.
    TlsNetworkAccessManager m_nam;
    TokenEndpointClient m_tokenClient;
    AuthorizationDiscovery m_discovery;
    ClientRegistration m_registration;
    AuthorizationCodeLogin m_login;
    QTimer m_renewTimer;
    std::unique_ptr<TokenStore> m_store;
    bool m_entryLocked = false;
    int m_pendingStoreWrites = 0;
    bool m_releaseAfterWrites = false;
    bool m_adoptedInLock = false; // the last withEntryLock() found newer stored tokens
    TokenStoreKey m_lockedKey;

    Round m_round = Round::None;
    std::optional<BearerChallenge> m_challenge;
    std::optional<DiscoveryResult> m_metadata;
    QUrl m_metadataFromChallenge; // the resource_metadata URL m_metadata was found with
    std::optional<Client> m_client;
    TokenSet m_tokens;
    QDateTime m_tokensIssuedAt; // when we received (or a sibling stored) m_tokens
    QString m_requestedScope;
    QString m_stepUpScope;
    QString m_protocolVersion;
    QByteArray m_privateKey;
    QString m_redirectUri;
    QString m_rejectedAccessToken; // the token the server answered 401 to
    QString m_storedIssuer; // of the entry loaded at start-up, until discovery runs
    QString m_storedClientId;
    bool m_configuredCodeUsed = false;
    bool m_configuredRefreshTokenUsed = false;
    bool m_reregistered = false;
    int m_renewFailures = 0;
    int m_tokensReceived = 0;
    // Full authorizations per scope set (sorted, space-separated) in this session.
    QHash<QString, int> m_authorizationsPerScope;
    // The last failed round: repeated at once until m_coolDownUntil, then one new attempt.
    QString m_lastFailure;
    QDateTime m_coolDownUntil;
    int m_failureStreak = 0;
    bool m_retryAtOnce = false; // the failure left something new to try (re-registration)
};

} // namespace McpProxy
