#include "auth/tokenpersistence.h"

#include "logging/logcategories.h"

namespace McpProxy {

TokenPersistence::TokenPersistence(std::optional<TokenStoreOptions> options, QObject *parent)
    : QObject(parent)
{
    if (options)
        m_store = std::make_unique<TokenStore>(*options);
}

TokenPersistence::~TokenPersistence() = default;

void TokenPersistence::loadNewest(
        const QString &resource, const QString &clientId, const LoadCallback &done)
{
    m_store->listEntries(
            this, [this, resource, clientId, done](const QList<TokenStoreEntryInfo> &entries) {
                const TokenStoreEntryInfo *best = nullptr;
                for (const TokenStoreEntryInfo &entry : entries) {
                    if (entry.kind != TokenStoreEntryInfo::Kind::Tokens
                            || entry.resource != resource)
                        continue;
                    if (!clientId.isEmpty() && entry.clientId != clientId)
                        continue;
                    if (!best || entry.savedAt > best->savedAt)
                        best = &entry;
                }
                if (!best) {
                    done(std::nullopt, std::nullopt);
                    return;
                }
                const TokenStoreKey key{best->resource, best->issuer, best->clientId};
                m_store->load(key, this, [key, done](const std::optional<StoredTokens> &stored) {
                    done(key, stored);
                });
            });
}

std::optional<ReferenceCacheEntry> TokenPersistence::referenceCacheEntry(
        const QString &clientId, const QUrl &tokenUrl) const
{
    // Users of the npm reference keep their login: its cache holds a refresh token per (client
    // id, token endpoint).
    const QList<ReferenceCacheEntry> entries = migrateReferenceCache(m_store->directory());
    for (const ReferenceCacheEntry &entry : entries) {
        if (entry.clientId != clientId)
            continue;
        if (!tokenUrl.isEmpty() && QUrl(entry.tokenUrl) != tokenUrl)
            continue;
        return entry;
    }
    return std::nullopt;
}

void TokenPersistence::lockAndReload(const TokenStoreKey &key,
        const std::function<void(bool locked, const std::optional<StoredTokens> &stored)> &done)
{
    m_store->withLock(key, this, [this, key, done](bool locked) {
        m_lock = locked ? Lock::Held : Lock::None;
        m_lockedKey = key;
        if (!locked)
            qCWarning(lcAuth) << "token store: could not lock the entry; going on without it";
        // Another process may have logged in or refreshed while we waited: look first.
        m_store->load(key, this, [done, locked](const std::optional<StoredTokens> &stored) {
            done(locked, stored);
        });
    });
}

void TokenPersistence::releaseAfterWrites()
{
    // Siblings waiting for the lock must find the new tokens on disk: unlock after the write.
    if (m_pendingWrites == 0)
        release();
    else if (m_lock == Lock::Held)
        m_lock = Lock::HeldUntilWritesDone;
}

void TokenPersistence::release()
{
    if (m_store && m_lock != Lock::None)
        m_store->unlock(m_lockedKey);
    m_lock = Lock::None;
}

void TokenPersistence::save(const StoredTokens &tokens)
{
    if (!m_store)
        return;
    ++m_pendingWrites;
    m_store->save(tokens, this, [this](bool ok) {
        if (!ok)
            qCWarning(lcAuth) << "token store: could not save the tokens (they stay in memory)";
        if (--m_pendingWrites == 0) {
            if (m_lock == Lock::HeldUntilWritesDone)
                release();
            Q_EMIT writesDone();
        }
    });
}

} // namespace McpProxy
