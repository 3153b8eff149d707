#pragma once

#include <QtCore/QDateTime>
#include <QtCore/QList>
#include <QtCore/QString>

namespace McpProxy {

// One refresh token found in the npm package's cache (<clientId|tokenUrl hash>.json.enc).
struct ReferenceCacheEntry
{
    QString filePath; // <dir>/<16 hex>.json.enc
    QString refreshToken; // a secret, never log it
    QString clientId;
    QString tokenUrl; // the token endpoint it was issued by (after discovery)
    QDateTime savedAt; // UTC; invalid when absent
};

// Best-effort reading of the reference's refresh-token cache in `directory` (the same default
// directory as ours): <16 hex>.json.enc files, each IV (12) | GCM tag (16) | ciphertext,
// AES-256-GCM without AAD under the 32-byte <directory>/key.bin, holding JSON
// {"refreshToken", "clientId", "tokenUrl", "savedAt" (epoch ms)}. Files that do not open or
// parse are skipped (debug log); no key.bin, nothing found. Reads only: the caller decides what
// to keep and may delete filePath once the token is stored (or rejected).
QList<ReferenceCacheEntry> migrateReferenceCache(const QString &directory);

} // namespace McpProxy
