#pragma once

#include "auth/store/referencecache.h"
#include "auth/store/tokenstore.h"

#include <QtCore/QObject>
#include <QtCore/QUrl>

#include <functional>
#include <memory>
#include <optional>

namespace McpProxy {

// The tokens of a running proxy on disk (docs/architecture.md "Store and siblings"): finds the
// newest entry for the server, locks an entry across processes and reloads it under the lock (a
// sibling may have stored newer tokens meanwhile), saves, and unlocks only after its own writes,
// so that siblings waiting for the lock find the result. Without store options it does nothing
// (tokens live in memory only).
class TokenPersistence : public QObject
{
    Q_OBJECT
public:
    explicit TokenPersistence(
            std::optional<TokenStoreOptions> options = std::nullopt, QObject *parent = nullptr);
    ~TokenPersistence() override;

    bool isEnabled() const { return m_store != nullptr; }
    // The store, for the client registrations (ClientProvisioning); null when not enabled.
    TokenStore *store() const { return m_store.get(); }

    // The newest token entry for `resource` (of `clientId` when not empty): `found` is its key
    // (nullopt: there is none), `stored` what it holds (nullopt: unreadable).
    using LoadCallback = std::function<void(
            const std::optional<TokenStoreKey> &found, const std::optional<StoredTokens> &stored)>;
    void loadNewest(const QString &resource, const QString &clientId, const LoadCallback &done);
    // The npm reference's cached refresh token for `clientId` (and `tokenUrl` when not empty).
    std::optional<ReferenceCacheEntry> referenceCacheEntry(
            const QString &clientId, const QUrl &tokenUrl) const;

    enum class Lock {
        None,
        Held, // this process holds the entry's lock
        HeldUntilWritesDone, // released as soon as the pending writes are done
    };
    Lock lock() const { return m_lock; }
    bool holdsLock() const { return m_lock != Lock::None; }
    // Locks `key` (waiting for a sibling that holds it), then reloads it. `locked` is false when
    // the lock could not be taken (the caller goes on without it).
    void lockAndReload(const TokenStoreKey &key,
            const std::function<void(bool locked, const std::optional<StoredTokens> &stored)>
                    &done);
    // Unlocks after the pending writes (at once when there are none).
    void releaseAfterWrites();
    // Unlocks now.
    void release();

    void save(const StoredTokens &tokens);
    // Writes still running (a short-lived `login` waits for writesDone()).
    int pendingWrites() const { return m_pendingWrites; }

Q_SIGNALS:
    void writesDone();

private:
    std::unique_ptr<TokenStore> m_store;
    Lock m_lock = Lock::None;
    TokenStoreKey m_lockedKey;
    int m_pendingWrites = 0;
};

} // namespace McpProxy
