#include "auth/store/referencecache.h"

#include "auth/store/privatefiles.h"
#include "auth/store/tokencipher.h"
#include "logging/logcategories.h"

#include <QtCore/QDir>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>

namespace McpProxy {

using namespace Qt::StringLiterals;

namespace {

constexpr qint64 MaxCacheFileSize = 1024 * 1024;
constexpr int IvSize = 12;
constexpr int TagSize = 16;

bool isCacheFileName(const QString &name)
{
    // sha256("<clientId>|<tokenUrl>") as lower-case hex, first 16 characters, + ".json.enc".
    const QString suffix = u".json.enc"_s;
    if (!name.endsWith(suffix) || name.size() != 16 + suffix.size())
        return false;
    for (qsizetype i = 0; i < 16; ++i) {
        const QChar c = name.at(i);
        if (!((c >= u'0' && c <= u'9') || (c >= u'a' && c <= u'f')))
            return false;
    }
    return true;
}

} // namespace

QList<ReferenceCacheEntry> migrateReferenceCache(const QString &directory)
{
    QList<ReferenceCacheEntry> entries;
    const QDir dir(directory);
    std::optional<QByteArray> key =
            PrivateFiles::readFile(dir.filePath(u"key.bin"_s), MaxCacheFileSize);
    if (!key || key->size() != TokenCipher::KeySize) {
        if (key)
            TokenCipher::cleanse(*key);
        return entries;
    }
    const QStringList names = dir.entryList(QStringList{u"*.json.enc"_s}, QDir::Files, QDir::Name);
    for (const QString &name : names) {
        if (!isCacheFileName(name))
            continue;
        const QString path = dir.filePath(name);
        QString error;
        const std::optional<QByteArray> blob =
                PrivateFiles::readFile(path, MaxCacheFileSize, &error);
        // The reference ignores files shorter than 29 bytes.
        if (!blob || !error.isEmpty() || blob->size() < IvSize + TagSize + 1) {
            qCDebug(lcAuth, "reference cache: skipping %ls (unreadable or too short)",
                    qUtf16Printable(QDir::toNativeSeparators(path)));
            continue;
        }
        const QByteArrayView view(*blob);
        std::optional<QByteArray> plaintext = TokenCipher::openGcm(*key, view.first(IvSize),
                QByteArrayView(), view.sliced(IvSize + TagSize), view.sliced(IvSize, TagSize));
        if (!plaintext) {
            qCDebug(lcAuth, "reference cache: skipping %ls (cannot be decrypted)",
                    qUtf16Printable(QDir::toNativeSeparators(path)));
            continue;
        }
        QJsonParseError parseError{};
        const QJsonDocument document = QJsonDocument::fromJson(*plaintext, &parseError);
        TokenCipher::cleanse(*plaintext);
        const QJsonObject object = document.object();
        const QJsonValue refreshToken = object.value(u"refreshToken"_s);
        const QJsonValue clientId = object.value(u"clientId"_s);
        const QJsonValue tokenUrl = object.value(u"tokenUrl"_s);
        // The reference's own check: the three must be strings.
        if (parseError.error != QJsonParseError::NoError || !refreshToken.isString()
                || !clientId.isString() || !tokenUrl.isString()
                || refreshToken.toString().isEmpty()) {
            qCDebug(lcAuth, "reference cache: skipping %ls (not a cache entry)",
                    qUtf16Printable(QDir::toNativeSeparators(path)));
            continue;
        }
        ReferenceCacheEntry entry;
        entry.filePath = path;
        entry.refreshToken = refreshToken.toString();
        entry.clientId = clientId.toString();
        entry.tokenUrl = tokenUrl.toString();
        const QJsonValue savedAt = object.value(u"savedAt"_s);
        if (savedAt.isDouble())
            entry.savedAt = QDateTime::fromMSecsSinceEpoch(qint64(savedAt.toDouble()), Qt::UTC);
        entries.append(entry);
    }
    TokenCipher::cleanse(*key);
    return entries;
}

} // namespace McpProxy
