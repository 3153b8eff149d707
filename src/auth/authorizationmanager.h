#pragma once

#include "auth/authorizationfailure.h"
#include "auth/authorizationlimits.h"
#include "auth/clientprovisioning.h"
#include "auth/clock.h"
#include "auth/login/authorizationcodelogin.h"
#include "auth/login/devicecodelogin.h"
#include "auth/protocol/authorizationdiscovery.h"
#include "auth/protocol/bearerchallenge.h"
#include "auth/protocol/tokenendpointclient.h"
#include "auth/protocol/tokenresponse.h"
#include "auth/renewalpolicy.h"
#include "auth/store/tokenstore.h"
#include "auth/tokenpersistence.h"
#include "config/proxyconfig.h"
#include "network/tlsconfiguration.h"

#include <QtCore/QObject>

#include <functional>
#include <memory>
#include <optional>

namespace McpProxy {

// The only door into auth: the token lifecycle state machine (MCP 2025-11-25 basic/authorization)
// and the coordinator of its pieces: ClientProvisioning (which client), TokenPersistence (the
// store, its locks and siblings), RenewalPolicy (when to renew) and AuthorizationLimits (step-up
// counting, cool-down).
// The transport reports a 401 or a 403 insufficient_scope through authorize(); the manager then
// refreshes, or discovers (RFC 9728 → RFC 8414/OIDC), picks a client (pre-registered → CIMD →
// DCR), runs the grant (client_credentials, authorization_code + PKCE in the browser, or the RFC
// 8628 device grant when chosen or when no browser can be opened here) and
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
    // registrations persist across restarts and processes (TokenStore). `tls`: the TLS settings
    // of its connections when the caller has already built them (tlsSettings(), which reads the CA
    // bundle); otherwise built here from upstream.caBundle.
    explicit AuthorizationManager(const ProxyConfig &config,
            const std::optional<TokenStoreOptions> &store = std::nullopt,
            const std::optional<TlsSettings> &tls = std::nullopt, QObject *parent = nullptr);
    ~AuthorizationManager() override;

    // True when a grant is configured: start() obtains a token right away, and the transport
    // should hold messages until authorizationFinished().
    bool prefetches() const;
    // Loads what the token store holds for this server (when there is a store), then starts the
    // prefetch when a grant is configured. The transport should hold messages until
    // authorizationFinished() when holdsMessagesAtStart() is true.
    bool holdsMessagesAtStart() const { return prefetches() || m_persistence.isEnabled(); }
    void start();
    // An access token that is not known to be expired.
    bool hasUsableToken() const;
    // Token store writes still running (a short-lived `login` waits for storeWritesDone()).
    int pendingStoreWrites() const { return m_persistence.pendingWrites(); }

    // Whether the renewal policy says a token issued at `issuedAt` should be renewed by now.
    bool needsRenewal(const QDateTime &expiresAt, const QDateTime &issuedAt) const;

    // The protocol version to send on discovery requests (MCP 2025-03-26: SHOULD).
    void setProtocolVersion(const QString &version) { m_protocolVersion = version; }
    // The clock of expiry, renewal and cool-down decisions and of the renewal timer (tests): set
    // before start(); not owned, outlives this.
    void setClock(const Clock *clock);
    // Tokens received from the authorization server by this process (not loaded from the store).
    int tokensReceived() const { return m_tokensReceived; }
    // When the idle renewal timer fires, in ms from now; -1 when none is scheduled.
    int idleRenewalInMs() const
    {
        return m_renewTimer->isActive() ? int(m_renewTimer->intervalMs()) : -1;
    }

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
    // What the running round is for; every round but ProactiveRefresh ends in exactly one
    // authorizationFinished().
    enum class Round {
        None,
        Prefetch, // start(): what needs no browser
        Unauthorized, // a 401: refresh, else a full authorization
        StepUp, // a 403 insufficient_scope: a full authorization for more scope
        ProactiveRefresh, // the idle renewal timer; nobody waits
        BeforeUse, // a request found the token past its renewal point
    };
    using Failure = AuthorizationFailure;
    using RefreshCallback = std::function<void(bool ok, const OAuthError &error)>;

    // The store (TokenPersistence).
    void loadStoredTokens(const std::function<void()> &next);
    void adoptReferenceCache();
    void adoptMcpRemoteTokens();
    // What goes in the Authorization header: the access token, or the ID token
    // (oauth2.useIdToken).
    QByteArray bearerHeader() const;
    void withEntryLock(const std::function<void(bool locked)> &next);
    bool adoptStoredIfNewer(const std::optional<StoredTokens> &stored);
    void saveTokens();
    TokenStoreKey storeKey() const;
    // Rounds.
    void beginRound(Round round);
    // Counts the running round's authorization (AuthorizationLimits) once, whatever it tries.
    void countAuthorizationOnce(const QString &scope);
    void finishRound(bool ok, const Failure &failure = {});
    void failFast(const QString &message);
    void rememberFailure(const Failure &failure);
    void runFullAuthorization();
    void withMetadata(const std::function<void()> &next);
    void forgetTokensOf(const QString &previousIssuer, const QString &issuer);
    void withClient(const std::function<void()> &next);
    // Grants.
    void runGrant();
    void runClientCredentials();
    void runAuthorizationCode();
    void runBrowserLogin();
    void runDeviceCode(bool fallback);
    void exchangeCode(const QString &code, const QByteArray &verifier, const QUrl &redirectUri);
    void refresh(const RefreshCallback &done);
    void refreshNow(const RefreshCallback &done);
    void requestToken(
            const TokenRequest &request, const std::function<void(const TokenResponse &)> &done);
    TokenRequest baseTokenRequest() const;
    // Tokens and their renewal.
    void accept(const TokenSet &tokens);
    void scheduleRenewal();
    void renew(Round kind = Round::ProactiveRefresh);
    void renewalDone(bool ok, const OAuthError &error);
    QDateTime now() const { return m_clock->nowUtc(); }
    bool hasOnlyBrowserLoginLeft() const;
    bool configurationSuffices() const;
    DiscoveryResult configuredMetadata() const;
    QString scopeForRequest() const;
    QString resourceParameter() const;
    bool isAuthorizationCodeGrant() const;

    ProxyConfig m_config;
    SystemClock m_systemClock;
    const Clock *m_clock = &m_systemClock;
    std::unique_ptr<ClockTimer> m_renewTimer;
    // Auth and metadata traffic: its own connection pool, with the proxy's TLS configuration.
    TlsNetworkAccessManager m_nam;
    TokenEndpointClient m_tokenClient;
    AuthorizationDiscovery m_discovery;
    AuthorizationCodeLogin m_login;
    DeviceCodeLogin m_deviceLogin;
    TokenPersistence m_persistence;
    ClientProvisioning m_provisioning;
    RenewalPolicy m_renewal;
    AuthorizationLimits m_limits;

    Round m_round = Round::None;
    bool m_adoptedInLock = false; // the last withEntryLock() found newer stored tokens
    std::optional<BearerChallenge> m_challenge;
    std::optional<DiscoveryResult> m_metadata;
    QUrl m_metadataFromChallenge; // the resource_metadata URL m_metadata was found with
    bool m_metadataStale = false; // a 401: discover again before the next use
    TokenSet m_tokens;
    QDateTime m_tokensIssuedAt; // when we received (or a sibling stored) m_tokens
    QString m_requestedScope;
    QString m_stepUpScope;
    QString m_protocolVersion;
    QString m_rejectedAccessToken; // the token the server answered 401 to
    QString m_storedIssuer; // of the entry loaded at start-up, until discovery runs
    QString m_storedClientId;
    bool m_configuredCodeUsed = false;
    bool m_deviceLoginIsFallback = false; // the running device login replaces a browser login
    bool m_roundCounted = false; // the running round counted its authorization (m_limits)
    bool m_configuredRefreshTokenUsed = false;
    int m_renewFailures = 0;
    int m_tokensReceived = 0;
};

} // namespace McpProxy
