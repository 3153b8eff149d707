#include "auth/store/tokenstore.h"

#include "auth/protocol/tokenresponse.h"
#include "auth/store/lockfilequeue.h"
#include "auth/store/privatefiles.h"
#include "auth/store/tokencipher.h"
#include "logging/logcategories.h"

#include <QtCore/QCryptographicHash>
#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QFileInfo>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QPointer>
#include <QtCore/QTimer>

#include <utility>

namespace McpProxy {

using namespace Qt::StringLiterals;

namespace {

constexpr qint64 MaxEntrySize = 1024 * 1024;
constexpr QLatin1StringView KindTokens = "tokens"_L1;
constexpr QLatin1StringView KindRegistration = "registration"_L1;

QString entriesSubdirectory()
{
    return u"tokens/v%1"_s.arg(TokenStore::SchemaVersion);
}

// The AAD context of an entry: bound to its file name (and so to its key, whose hash it is).
QByteArray sealContext(const QString &path)
{
    return (entriesSubdirectory() + u'/' + QFileInfo(path).fileName()).toUtf8();
}

QString isoUtc(const QDateTime &time)
{
    return time.isValid() ? time.toUTC().toString(Qt::ISODateWithMs) : QString();
}

QDateTime fromIsoUtc(const QJsonValue &value)
{
    const QDateTime time = QDateTime::fromString(value.toString(), Qt::ISODateWithMs);
    return time.isValid() ? time.toUTC() : QDateTime();
}

QString nativePath(const QString &path)
{
    return QDir::toNativeSeparators(path);
}

enum class ReadStatus { Missing, Ok, Bad };

struct ReadResult
{
    ReadStatus status = ReadStatus::Missing;
    QJsonObject object;
    QString problem; // Bad: why (no secrets)
};

// Reads and opens one entry file; checks the schema.
ReadResult readSealed(const QString &path, const QByteArray &dataKey)
{
    ReadResult result;
    QString error;
    std::optional<QByteArray> blob = PrivateFiles::readFile(path, MaxEntrySize, &error);
    if (!blob)
        return result;
    result.status = ReadStatus::Bad;
    if (!error.isEmpty()) {
        result.problem = error;
        return result;
    }
    std::optional<QByteArray> plaintext = TokenCipher::open(dataKey, *blob, sealContext(path));
    if (!plaintext) {
        result.problem = u"it cannot be decrypted (damaged, or sealed with another key)"_s;
        return result;
    }
    QJsonParseError parseError{};
    const QJsonDocument document = QJsonDocument::fromJson(*plaintext, &parseError);
    TokenCipher::cleanse(*plaintext);
    const QJsonObject object = document.object();
    if (parseError.error != QJsonParseError::NoError || !document.isObject()
            || object.value(u"schema"_s).toInt(-1) != TokenStore::SchemaVersion) {
        result.problem = u"it is not a version %1 entry"_s.arg(TokenStore::SchemaVersion);
        return result;
    }
    result.status = ReadStatus::Ok;
    result.object = object;
    return result;
}

// The canonical key an entry's content names (empty for an unknown kind).
QByteArray canonicalOf(const QJsonObject &object)
{
    const QString kind = object.value(u"kind"_s).toString();
    if (kind == KindTokens) {
        return TokenStore::canonicalKey(TokenStoreKey{object.value(u"resource"_s).toString(),
                object.value(u"issuer"_s).toString(), object.value(u"clientId"_s).toString()});
    }
    if (kind == KindRegistration) {
        return TokenStore::canonicalKey(RegistrationKey{
                object.value(u"issuer"_s).toString(), object.value(u"redirectUri"_s).toString()});
    }
    return QByteArray();
}

// Keeps one generation of a bad file for inspection; the entry itself is then free.
void moveAside(const QString &path)
{
    const QString aside = path + u".bad"_s;
    QFile::remove(aside);
    if (!QFile::rename(path, aside))
        QFile::remove(path);
}

StoredTokens tokensFromObject(const QJsonObject &object)
{
    StoredTokens tokens;
    tokens.resource = object.value(u"resource"_s).toString();
    tokens.issuer = object.value(u"issuer"_s).toString();
    tokens.clientId = object.value(u"clientId"_s).toString();
    tokens.accessToken = object.value(u"accessToken"_s).toString();
    tokens.expiresAt = fromIsoUtc(object.value(u"expiresAt"_s));
    tokens.refreshToken = object.value(u"refreshToken"_s).toString();
    tokens.scope = object.value(u"scope"_s).toString();
    tokens.idToken = object.value(u"idToken"_s).toString();
    tokens.tokenType = object.value(u"tokenType"_s).toString();
    tokens.savedAt = fromIsoUtc(object.value(u"savedAt"_s));
    return tokens;
}

StoredRegistration registrationFromObject(const QJsonObject &object)
{
    StoredRegistration registration;
    registration.issuer = object.value(u"issuer"_s).toString();
    registration.redirectUri = object.value(u"redirectUri"_s).toString();
    registration.clientId = object.value(u"clientId"_s).toString();
    registration.clientSecret = object.value(u"clientSecret"_s).toString();
    registration.tokenEndpointAuthMethod = object.value(u"tokenEndpointAuthMethod"_s).toString();
    registration.secretExpiresAt = fromIsoUtc(object.value(u"secretExpiresAt"_s));
    registration.savedAt = fromIsoUtc(object.value(u"savedAt"_s));
    return registration;
}

// A loadObject() callback that hands `callback` the entry read by `fromObject`.
template <typename Stored>
std::function<void(std::optional<QJsonObject>)> opening(
        std::function<void(std::optional<Stored>)> callback,
        Stored (*fromObject)(const QJsonObject &))
{
    return [callback = std::move(callback), fromObject](const std::optional<QJsonObject> &object) {
        callback(object ? std::optional<Stored>(fromObject(*object)) : std::nullopt);
    };
}

template <typename Callback, typename... Args>
void callLater(QObject *context, Callback callback, Args... args)
{
    QTimer::singleShot(0, context,
            [callback = std::move(callback), args...]() mutable { callback(std::move(args)...); });
}

} // namespace

StoredTokens StoredTokens::fromTokenSet(const TokenStoreKey &key, const TokenSet &tokens)
{
    StoredTokens stored;
    stored.resource = key.resource;
    stored.issuer = key.issuer;
    stored.clientId = key.clientId;
    stored.accessToken = tokens.accessToken;
    stored.expiresAt = tokens.expiresAt;
    stored.refreshToken = tokens.refreshToken;
    stored.scope = tokens.scope;
    stored.idToken = tokens.idToken;
    stored.tokenType = tokens.tokenType;
    return stored;
}

TokenSet StoredTokens::toTokenSet() const
{
    TokenSet tokens;
    tokens.accessToken = accessToken;
    if (!tokenType.isEmpty())
        tokens.tokenType = tokenType;
    tokens.expiresAt = expiresAt;
    tokens.refreshToken = refreshToken;
    tokens.scope = scope;
    tokens.idToken = idToken;
    return tokens;
}

TokenStore::TokenStore(const TokenStoreOptions &options, QObject *parent)
    : QObject(parent)
    , m_options(options)
    , m_directory(QDir::cleanPath(
              QDir(options.directory.isEmpty() ? defaultDirectory() : options.directory)
                      .absolutePath()))
    , m_keyProvider(nullptr)
    , m_locks(new LockFileQueue(options.staleLockTimeMs, this))
{
    KeyProviderOptions keyOptions;
    keyOptions.storage = options.keyStorage;
    keyOptions.keyFileDirectory = m_directory;
    keyOptions.keychainTimeoutMs = options.keychainTimeoutMs;
    keyOptions.keychainService = options.keychainService;
    keyOptions.keychainKey = options.keychainKey;
    keyOptions.staleLockTimeMs = options.staleLockTimeMs;
    m_keyProvider = new KeyProvider(keyOptions, this);
}

TokenStore::~TokenStore() = default; // m_locks releases what is still held

QString TokenStore::defaultDirectory()
{
    QString base;
#if defined(Q_OS_WIN)
    base = qEnvironmentVariable("APPDATA");
    if (base.isEmpty() || QDir::isRelativePath(base))
        base = QDir::homePath() + u"/AppData/Roaming"_s;
#elif defined(Q_OS_MACOS)
    base = QDir::homePath() + u"/Library/Application Support"_s;
#else
    // XDG Base Directory: a relative (or empty) XDG_CONFIG_HOME is invalid and ignored (the
    // npm package used an empty one as-is, which gave a relative path).
    base = qEnvironmentVariable("XDG_CONFIG_HOME");
    if (base.isEmpty() || QDir::isRelativePath(base))
        base = QDir::homePath() + u"/.config"_s;
#endif
    return QDir::cleanPath(base + u"/mcp-oauth2-proxy"_s);
}

QString TokenStore::entriesDirectory() const
{
    return m_directory + u'/' + entriesSubdirectory();
}

QByteArray TokenStore::canonicalKey(const TokenStoreKey &key)
{
    return QJsonDocument(QJsonArray{KindTokens, key.resource, key.issuer, key.clientId})
            .toJson(QJsonDocument::Compact);
}

QByteArray TokenStore::canonicalKey(const RegistrationKey &key)
{
    return QJsonDocument(QJsonArray{KindRegistration, key.issuer, key.redirectUri})
            .toJson(QJsonDocument::Compact);
}

QString TokenStore::pathForCanonical(const QByteArray &canonical) const
{
    const QByteArray hash = QCryptographicHash::hash(canonical, QCryptographicHash::Sha256).toHex();
    return entriesDirectory() + u'/' + QString::fromLatin1(hash.left(32)) + u".bin"_s;
}

QString TokenStore::entryPath(const TokenStoreKey &key) const
{
    return pathForCanonical(canonicalKey(key));
}

QString TokenStore::entryPath(const RegistrationKey &key) const
{
    return pathForCanonical(canonicalKey(key));
}

bool TokenStore::ensureEntriesDirectory(QString *error) const
{
    // Each level 0700: <dir>, <dir>/tokens, <dir>/tokens/v1.
    return PrivateFiles::ensureDirectory(m_directory, error)
            && PrivateFiles::ensureDirectory(m_directory + u"/tokens"_s, error)
            && PrivateFiles::ensureDirectory(entriesDirectory(), error);
}

void TokenStore::withDataKey(std::function<void(const QByteArray &)> next)
{
    // `this` as the context: an operation finishes even when its caller went away meanwhile
    // (a save at shutdown); only the caller's callback is skipped then.
    m_keyProvider->obtainKey(this, [next = std::move(next)](const DataKeyResult &result) {
        next(result.ok ? result.key : QByteArray());
    });
}

std::optional<QJsonObject> TokenStore::loadEntry(
        const QString &path, const QByteArray &canonical, const QByteArray &dataKey)
{
    if (dataKey.isEmpty())
        return std::nullopt; // KeyProvider warned
    ReadResult read = readSealed(path, dataKey);
    if (read.status == ReadStatus::Ok && canonicalOf(read.object) != canonical) {
        read.status = ReadStatus::Bad;
        read.problem = u"it belongs to another entry"_s;
    }
    switch (read.status) {
    case ReadStatus::Missing:
        return std::nullopt;
    case ReadStatus::Bad:
        qCWarning(lcAuth, "token store: ignoring %ls: %ls; a fresh login will replace it",
                qUtf16Printable(nativePath(path)), qUtf16Printable(read.problem));
        moveAside(path);
        return std::nullopt;
    case ReadStatus::Ok:
        PrivateFiles::tightenFile(path);
        return read.object;
    }
    return std::nullopt;
}

bool TokenStore::writeEntry(
        const QString &path, const QJsonObject &object, const QByteArray &dataKey)
{
    if (dataKey.isEmpty()) {
        qCWarning(lcAuth, "token store: not saved (no encryption key): %ls",
                qUtf16Printable(nativePath(path)));
        return false;
    }
    QString error;
    if (!ensureEntriesDirectory(&error)) {
        qCWarning(lcAuth, "token store: not saved: %ls", qUtf16Printable(error));
        return false;
    }
    QByteArray plaintext = QJsonDocument(object).toJson(QJsonDocument::Compact);
    const std::optional<QByteArray> sealed =
            TokenCipher::seal(dataKey, plaintext, sealContext(path));
    TokenCipher::cleanse(plaintext);
    if (!sealed) {
        qCWarning(lcAuth, "token store: not saved (encryption failed): %ls",
                qUtf16Printable(nativePath(path)));
        return false;
    }
    std::function<bool()> beforeCommit;
    if (m_options.beforeCommitForTesting)
        beforeCommit = [this, path] {
            return m_options.beforeCommitForTesting(path);
        };
    if (!PrivateFiles::writeFile(path, *sealed, &error, beforeCommit)) {
        qCWarning(lcAuth, "token store: not saved: %ls", qUtf16Printable(error));
        return false;
    }
    return true;
}

void TokenStore::load(const TokenStoreKey &key, QObject *context,
        std::function<void(std::optional<StoredTokens>)> callback)
{
    loadObject(canonicalKey(key), context, opening(std::move(callback), tokensFromObject));
}

void TokenStore::loadObject(const QByteArray &canonical, QObject *context,
        std::function<void(std::optional<QJsonObject>)> callback)
{
    Q_ASSERT(context);
    const QString path = pathForCanonical(canonical);
    if (!QFileInfo::exists(path)) { // nothing stored: no need for the key (no keychain prompt)
        callLater(context, std::move(callback), std::optional<QJsonObject>());
        return;
    }
    withDataKey([this, guard = QPointer<QObject>(context), path, canonical,
                        callback = std::move(callback)](const QByteArray &dataKey) {
        std::optional<QJsonObject> object = loadEntry(path, canonical, dataKey);
        if (guard)
            callback(std::move(object));
    });
}

void TokenStore::save(
        const StoredTokens &tokens, QObject *context, std::function<void(bool ok)> callback)
{
    Q_ASSERT(context);
    const QString path = entryPath(tokens.key());
    QJsonObject object{
            {u"schema"_s, SchemaVersion},
            {u"kind"_s, KindTokens},
            {u"resource"_s, tokens.resource},
            {u"issuer"_s, tokens.issuer},
            {u"clientId"_s, tokens.clientId},
            {u"accessToken"_s, tokens.accessToken},
            {u"expiresAt"_s, isoUtc(tokens.expiresAt)},
            {u"refreshToken"_s, tokens.refreshToken},
            {u"scope"_s, tokens.scope},
            {u"tokenType"_s, tokens.tokenType},
            {u"idToken"_s, tokens.idToken},
            {u"savedAt"_s, isoUtc(QDateTime::currentDateTimeUtc())},
    };
    writeLater(path, std::move(object), context, std::move(callback));
}

void TokenStore::remove(
        const TokenStoreKey &key, QObject *context, std::function<void(bool ok)> callback)
{
    Q_ASSERT(context);
    removeFile(entryPath(key), context, std::move(callback));
}

void TokenStore::writeLater(const QString &path, QJsonObject object, QObject *context,
        std::function<void(bool ok)> callback)
{
    withDataKey([this, guard = QPointer<QObject>(context), path, object = std::move(object),
                        callback = std::move(callback)](const QByteArray &dataKey) {
        const bool ok = writeEntry(path, object, dataKey);
        if (guard)
            callback(ok);
    });
}

void TokenStore::removeFile(
        const QString &path, QObject *context, std::function<void(bool ok)> callback)
{
    QFile::remove(path + u".bad"_s);
    const bool ok = !QFileInfo::exists(path) || QFile::remove(path);
    if (!ok)
        qCWarning(lcAuth, "token store: cannot delete %ls", qUtf16Printable(nativePath(path)));
    callLater(context, std::move(callback), ok);
}

void TokenStore::loadRegistration(const RegistrationKey &key, QObject *context,
        std::function<void(std::optional<StoredRegistration>)> callback)
{
    loadObject(canonicalKey(key), context, opening(std::move(callback), registrationFromObject));
}

void TokenStore::saveRegistration(const StoredRegistration &registration, QObject *context,
        std::function<void(bool ok)> callback)
{
    Q_ASSERT(context);
    const QString path = entryPath(registration.key());
    QJsonObject object{
            {u"schema"_s, SchemaVersion},
            {u"kind"_s, KindRegistration},
            {u"issuer"_s, registration.issuer},
            {u"redirectUri"_s, registration.redirectUri},
            {u"clientId"_s, registration.clientId},
            {u"clientSecret"_s, registration.clientSecret},
            {u"tokenEndpointAuthMethod"_s, registration.tokenEndpointAuthMethod},
            {u"secretExpiresAt"_s, isoUtc(registration.secretExpiresAt)},
            {u"savedAt"_s, isoUtc(QDateTime::currentDateTimeUtc())},
    };
    writeLater(path, std::move(object), context, std::move(callback));
}

void TokenStore::removeRegistration(
        const RegistrationKey &key, QObject *context, std::function<void(bool ok)> callback)
{
    Q_ASSERT(context);
    removeFile(entryPath(key), context, std::move(callback));
}

void TokenStore::listEntries(
        QObject *context, std::function<void(const QList<TokenStoreEntryInfo> &)> callback)
{
    Q_ASSERT(context);
    const QStringList files =
            QDir(entriesDirectory()).entryList(QStringList{u"*.bin"_s}, QDir::Files, QDir::Name);
    if (files.isEmpty()) {
        callLater(context, std::move(callback), QList<TokenStoreEntryInfo>());
        return;
    }
    withDataKey([this, guard = QPointer<QObject>(context), files, callback = std::move(callback)](
                        const QByteArray &dataKey) {
        QList<TokenStoreEntryInfo> entries;
        for (const QString &name : files) {
            const QString path = entriesDirectory() + u'/' + name;
            TokenStoreEntryInfo info;
            info.fileName = path;
            const ReadResult read = dataKey.isEmpty() ? ReadResult{ReadStatus::Bad, {}, {}}
                                                      : readSealed(path, dataKey);
            if (read.status == ReadStatus::Missing)
                continue; // removed meanwhile
            const QJsonObject &object = read.object;
            const QString kind = object.value(u"kind"_s).toString();
            // The file must be the one its content's key names (same check as load()).
            const bool ok =
                    read.status == ReadStatus::Ok && pathForCanonical(canonicalOf(object)) == path;
            if (ok && kind == KindTokens) {
                const StoredTokens tokens = tokensFromObject(object);
                info.kind = TokenStoreEntryInfo::Kind::Tokens;
                info.resource = tokens.resource;
                info.issuer = tokens.issuer;
                info.clientId = tokens.clientId;
                info.scope = tokens.scope;
                info.expiresAt = tokens.expiresAt;
                info.hasAccessToken = !tokens.accessToken.isEmpty();
                info.hasRefreshToken = !tokens.refreshToken.isEmpty();
                info.savedAt = tokens.savedAt;
            } else if (ok && kind == KindRegistration) {
                const StoredRegistration registration = registrationFromObject(object);
                info.kind = TokenStoreEntryInfo::Kind::Registration;
                info.issuer = registration.issuer;
                info.clientId = registration.clientId;
                info.redirectUri = registration.redirectUri;
                info.expiresAt = registration.secretExpiresAt;
                info.savedAt = registration.savedAt;
            }
            entries.append(info);
        }
        if (guard)
            callback(entries);
    });
}

void TokenStore::acquire(
        const QString &entryPath, QObject *context, std::function<void(bool)> callback)
{
    Q_ASSERT(context);
    QString error;
    if (!ensureEntriesDirectory(&error)) {
        qCWarning(lcAuth, "token store: no lock: %ls", qUtf16Printable(error));
        callLater(context, std::move(callback), false);
        return;
    }
    m_locks->acquire(entryPath + u".lock"_s, m_options.lockTimeoutMs, context, std::move(callback));
}

void TokenStore::withLock(
        const TokenStoreKey &key, QObject *context, std::function<void(bool locked)> callback)
{
    acquire(entryPath(key), context, std::move(callback));
}

void TokenStore::withLock(
        const RegistrationKey &key, QObject *context, std::function<void(bool locked)> callback)
{
    acquire(entryPath(key), context, std::move(callback));
}

void TokenStore::unlock(const TokenStoreKey &key)
{
    m_locks->release(entryPath(key) + u".lock"_s);
}

void TokenStore::unlock(const RegistrationKey &key)
{
    m_locks->release(entryPath(key) + u".lock"_s);
}

} // namespace McpProxy
