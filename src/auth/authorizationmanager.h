#pragma once

#include "auth/login/authorizationcodelogin.h"
#include "auth/protocol/authorizationdiscovery.h"
#include "auth/protocol/bearerchallenge.h"
#include "auth/protocol/clientregistration.h"
#include "auth/protocol/tokenendpointclient.h"
#include "auth/protocol/tokenresponse.h"
#include "auth/store/tokenstore.h"
#include "config/proxyconfig.h"
#include "transport/tlsconfiguration.h"

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
// starts at once (prefetch), in parallel with stdin. Tokens are renewed before they expire.
// One authorization round at a time; every round ends in exactly one authorizationFinished().
class AuthorizationManager : public QObject
{
    Q_OBJECT
public:
    // Without store options the tokens live in memory only (tests); with them, tokens and client
    // registrations persist across restarts and processes (issue 4).
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
    // a loop, reference §10 item 23), and not sooner than 1 s. Pure.
    static qint64 renewalDelayMs(qint64 lifetimeMs, int refreshSkewSeconds);
    // Whether the renewal policy says a token issued at `issuedAt` should be renewed by now.
    bool needsRenewal(const QDateTime &expiresAt, const QDateTime &issuedAt) const;

    // The protocol version to send on discovery requests (MCP 2025-03-26: SHOULD).
    void setProtocolVersion(const QString &version) { m_protocolVersion = version; }

public Q_SLOTS:
    void authorize(const QByteArray &wwwAuthenticate, int httpStatus);

Q_SIGNALS:
    void authorizationHeaderChanged(const QByteArray &value);
    // ok: retry with the new header. Otherwise `message` says what failed and what to do.
    void authorizationFinished(bool ok, const QString &message);
    void storeWritesDone();

private:
    struct Client
    {
        ClientAuthentication auth;
        QString issuer; // the AS it belongs to (2026-07-28: credentials bound to issuer)
        QString redirectUri;
        bool dynamic = false; // obtained by DCR (re-registered on invalid_client)
    };
    enum class Round { None, Prefetch, Unauthorized, StepUp, ProactiveRefresh };

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
    void renew();
    struct Failure
    {
        QString english; // for the log
        QString translated; // for the user (the JSON-RPC error)
    };
    static Failure failure(const char *text, const QStringList &arguments = {});
    void finishRound(bool ok, const Failure &failure = {});
    QString scopeForRequest() const;
    QString resourceParameter() const;
    QString redirectUriForLogin();
    Failure describe(const char *text, const OAuthError &error) const;
    bool isAuthorizationCodeGrant() const;

    ProxyConfig m_config;
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
};

} // namespace McpProxy
