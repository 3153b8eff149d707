#pragma once

#include "auth/store/keyprovider.h"

#include <QtCore/QByteArray>
#include <QtCore/QDateTime>
#include <QtCore/QJsonObject>
#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QString>

#include <functional>
#include <optional>

namespace McpProxy {

class LockFileQueue;
struct TokenSet;

// Identifies a token entry: two servers, two issuers or two clients never share
// one. Compared exactly: pass the canonical resource URI and issuer identifier.
struct TokenStoreKey
{
    QString resource; // the MCP server's resource (RFC 9728 / RFC 8707)
    QString issuer; // the authorization server's issuer identifier
    QString clientId;
};

// Identifies a client registration (RFC 7591) at one authorization server for one redirect URI.
struct RegistrationKey
{
    QString issuer;
    QString redirectUri;
};

struct StoredTokens
{
    QString resource;
    QString issuer;
    QString clientId;
    QString accessToken;
    QDateTime expiresAt; // UTC; invalid when unknown
    QString refreshToken;
    QString scope; // granted scopes, space separated
    QString tokenType;
    QString idToken; // OpenID Connect; empty when none was issued (a later field of schema 1)
    QDateTime savedAt; // UTC; set by save()

    TokenStoreKey key() const { return TokenStoreKey{resource, issuer, clientId}; }
    static StoredTokens fromTokenSet(const TokenStoreKey &key, const TokenSet &tokens);
    TokenSet toTokenSet() const;
};

struct StoredRegistration
{
    QString issuer;
    QString redirectUri;
    QString clientId;
    QString clientSecret; // empty for a public client
    QString tokenEndpointAuthMethod;
    QDateTime secretExpiresAt; // UTC; invalid when the secret does not expire
    QDateTime savedAt; // UTC; set by saveRegistration()

    RegistrationKey key() const { return RegistrationKey{issuer, redirectUri}; }
};

// What `status` may show about one entry: never a token or a secret.
struct TokenStoreEntryInfo
{
    enum class Kind { Tokens, Registration, Unreadable };

    Kind kind = Kind::Unreadable;
    QString fileName; // the entry's file (Unreadable: corrupt, or sealed with another key)
    QString resource; // Tokens
    QString issuer;
    QString clientId;
    QString scope; // Tokens
    QDateTime expiresAt; // Tokens: the access token's expiry; Registration: the secret's
    bool hasAccessToken = false;
    bool hasRefreshToken = false;
    QString redirectUri; // Registration
    QDateTime savedAt;
};

struct TokenStoreOptions
{
    QString directory; // oauth2.tokenCacheDir; empty: defaultDirectory()
    KeyStorage keyStorage = KeyStorage::Automatic; // FileOnly for MCP_PROXY_KEYCHAIN=off
    int keychainTimeoutMs = 5000;
    QString keychainService = QStringLiteral("mcp-oauth2-proxy"); // tests use their own
    QString keychainKey = QStringLiteral("data-key-v1");
    // How long withLock() waits for another process (e.g. its browser login): at least the
    // login's callback timeout.
    int lockTimeoutMs = 300000;
    int staleLockTimeMs = 60000; // a lock file older than this (not renewed) is stale
    // Tests: runs before each entry file is renamed into place; false abandons the write.
    std::function<bool(const QString &path)> beforeCommitForTesting;
};

// The token store: one file per entry, sealed with TokenCipher (AES-256-GCM)
// under a data key from KeyProvider (OS keychain, or key.v1).
//   <directory>/tokens/v1/<first 32 hex of sha256(canonical key)>.bin
// "v1" is the entry schema, independent of the program's version: upgrades keep users signed in.
// The canonical key is the compact JSON array ["tokens", resource, issuer, clientId] or
// ["registration", issuer, redirectUri]. The AAD context is "tokens/v1/<file name>", so a file
// copied over another entry does not open (and `status` can open every file without knowing its
// key); the decrypted entry must also name the key it was loaded for. The JSON inside:
//   tokens: schema, kind "tokens", resource, issuer, clientId, accessToken, expiresAt (ISO 8601
//           UTC), refreshToken, scope, tokenType, idToken (absent in older entries), savedAt
//   registration: schema, kind "registration", issuer, redirectUri, clientId, clientSecret,
//           tokenEndpointAuthMethod, secretExpiresAt, savedAt
// Directories are 0700 (an existing one is tightened), files 0600, written atomically
// (QSaveFile). A corrupt or undecryptable entry is a warning and "no entry"; its file is renamed
// to <name>.bad (one generation; remove() deletes it too) so the next save starts clean.
//
// All operations are jobs: `callback` runs exactly once, later, on `context`'s thread (this
// object's thread); not when `context` or the store was destroyed first.
//
// Cross-process use — one refresh or login at a time per entry:
//   withLock(key) → load(key) → (still needed?) refresh → save(key) → unlock(key)
// withLock() gives true once this process holds <entry file>.lock (a QLockFile, polled without
// blocking the event loop; waiters of this process queue in order; a crashed holder is taken
// over), false after lockTimeoutMs or when the lock file cannot be created.
class TokenStore : public QObject
{
    Q_OBJECT
public:
    static constexpr int SchemaVersion = 1;

    explicit TokenStore(const TokenStoreOptions &options, QObject *parent = nullptr);
    ~TokenStore() override; // releases the locks still held

    // $XDG_CONFIG_HOME/mcp-oauth2-proxy (when set, non-empty and absolute), else
    // ~/.config/mcp-oauth2-proxy; Windows %APPDATA%\mcp-oauth2-proxy; macOS
    // ~/Library/Application Support/mcp-oauth2-proxy — the npm package's directories,
    // so its cache can be migrated. Never a relative path.
    static QString defaultDirectory();

    QString directory() const { return m_directory; }
    QString entriesDirectory() const; // <directory>/tokens/v1
    QString entryPath(const TokenStoreKey &key) const;
    QString entryPath(const RegistrationKey &key) const;
    KeyProvider *keyProvider() const { return m_keyProvider; }

    void load(const TokenStoreKey &key, QObject *context,
            std::function<void(std::optional<StoredTokens>)> callback);
    // Stores `tokens` under tokens.key(); savedAt is set to now. false (with a warning) when the
    // entry could not be written.
    void save(const StoredTokens &tokens, QObject *context, std::function<void(bool ok)> callback);
    // true when the entry is gone (also when there was none).
    void remove(const TokenStoreKey &key, QObject *context, std::function<void(bool ok)> callback);

    void loadRegistration(const RegistrationKey &key, QObject *context,
            std::function<void(std::optional<StoredRegistration>)> callback);
    void saveRegistration(const StoredRegistration &registration, QObject *context,
            std::function<void(bool ok)> callback);
    void removeRegistration(
            const RegistrationKey &key, QObject *context, std::function<void(bool ok)> callback);

    // Every entry, for `status`: no tokens or secrets in the result. Read only (bad files are
    // reported as Unreadable, not moved).
    void listEntries(
            QObject *context, std::function<void(const QList<TokenStoreEntryInfo> &)> callback);

    void withLock(
            const TokenStoreKey &key, QObject *context, std::function<void(bool locked)> callback);
    void withLock(const RegistrationKey &key, QObject *context,
            std::function<void(bool locked)> callback);
    void unlock(const TokenStoreKey &key);
    void unlock(const RegistrationKey &key);

    // The canonical key strings (exposed for tests).
    static QByteArray canonicalKey(const TokenStoreKey &key);
    static QByteArray canonicalKey(const RegistrationKey &key);

private:
    void withDataKey(std::function<void(const QByteArray &dataKey)> next);
    // Reads and opens the entry `canonical`; nullopt when there is none or it cannot be opened.
    void loadObject(const QByteArray &canonical, QObject *context,
            std::function<void(std::optional<QJsonObject>)> callback);
    std::optional<QJsonObject> loadEntry(
            const QString &path, const QByteArray &canonical, const QByteArray &dataKey);
    bool writeEntry(const QString &path, const QJsonObject &object, const QByteArray &dataKey);
    void writeLater(const QString &path, QJsonObject object, QObject *context,
            std::function<void(bool ok)> callback);
    void removeFile(const QString &path, QObject *context, std::function<void(bool ok)> callback);
    bool ensureEntriesDirectory(QString *error) const;
    void acquire(const QString &entryPath, QObject *context, std::function<void(bool)> callback);
    QString pathForCanonical(const QByteArray &canonical) const;

    TokenStoreOptions m_options;
    QString m_directory;
    KeyProvider *m_keyProvider;
    LockFileQueue *m_locks;
};

} // namespace McpProxy
