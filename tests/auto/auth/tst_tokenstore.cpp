#include "auth/protocol/tokenresponse.h"
#include "auth/store/keyprovider.h"
#include "auth/store/referencecache.h"
#include "auth/store/tokencipher.h"
#include "auth/store/tokenstore.h"
#include "referenceseal.h"
#include "support/wine.h"

#include <QtCore/QCryptographicHash>
#include <QtCore/QDir>
#include <QtCore/QDirIterator>
#include <QtCore/QFile>
#include <QtCore/QFileInfo>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QLockFile>
#include <QtCore/QMutex>
#include <QtCore/QProcess>
#include <QtCore/QSet>
#include <QtCore/QSysInfo>
#include <QtCore/QTemporaryDir>
#include <QtCore/QTimer>
#include <QtTest/QTest>

#include <qt6keychain/keychain.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <memory>

#ifdef Q_OS_UNIX
#include <sys/stat.h>
#endif
#ifdef Q_OS_WIN
#include <aclapi.h>
#include <sddl.h>
#include <windows.h>
#endif

using namespace McpProxy;
using namespace Qt::StringLiterals;
using McpProxy::Test::referenceSeal;
using McpProxy::Test::underWine;

namespace {

constexpr int WaitMs = 10000;

// Where the default store lives: $XDG_CONFIG_HOME/mcp-oauth2-proxy, or %APPDATA% on Windows;
// without it (or relative), ~/.config or the profile's AppData/Roaming.
#ifdef Q_OS_WIN
constexpr char ConfigVariable[] = "APPDATA";
const QString FallbackConfigHome = QStringLiteral("/AppData/Roaming");
#else
constexpr char ConfigVariable[] = "XDG_CONFIG_HOME";
const QString FallbackConfigHome = QStringLiteral("/.config");
#endif

// Collects the messages logged while it lives (and shows none), so a test can count warnings.
class MessageCapture
{
public:
    MessageCapture()
    {
        s_current = this;
        m_previous = qInstallMessageHandler(&MessageCapture::handler);
    }
    ~MessageCapture()
    {
        qInstallMessageHandler(m_previous);
        s_current = nullptr;
    }
    QStringList warnings() const
    {
        QMutexLocker locker(&m_mutex);
        return m_warnings;
    }
    qsizetype countWarnings(const QString &fragment) const
    {
        const QStringList all = warnings();
        return std::count_if(all.cbegin(), all.cend(),
                [&](const QString &line) { return line.contains(fragment); });
    }

private:
    static void handler(QtMsgType type, const QMessageLogContext &, const QString &message)
    {
        if (!s_current || type != QtWarningMsg)
            return;
        QMutexLocker locker(&s_current->m_mutex);
        s_current->m_warnings.append(message);
    }

    static inline MessageCapture *s_current = nullptr;
    QtMessageHandler m_previous = nullptr;
    mutable QMutex m_mutex;
    QStringList m_warnings;
};

[[maybe_unused]] int modeOf(const QString &path) // POSIX only
{
#ifdef Q_OS_UNIX
    struct stat st
    {
    };
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return -1;
    return int(st.st_mode & 07777);
#else
    Q_UNUSED(path);
    return -1;
#endif
}

#ifdef Q_OS_WIN
// The access list of `path` in SDDL ("D:P(A;;FA;;;S-1-5-21-…)"), and the current user's SID.
QString daclOf(const QString &path)
{
    PACL dacl = nullptr;
    PSECURITY_DESCRIPTOR descriptor = nullptr;
    if (GetNamedSecurityInfoW(QDir::toNativeSeparators(path).toStdWString().c_str(), SE_FILE_OBJECT,
                DACL_SECURITY_INFORMATION, nullptr, nullptr, &dacl, nullptr, &descriptor)
            != ERROR_SUCCESS) {
        return {};
    }
    LPWSTR text = nullptr;
    QString result;
    if (ConvertSecurityDescriptorToStringSecurityDescriptorW(
                descriptor, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &text, nullptr)) {
        result = QString::fromWCharArray(text);
        LocalFree(text);
    }
    LocalFree(descriptor);
    return result;
}

QString currentUserSid()
{
    HANDLE token = nullptr;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
        return {};
    char buffer[256];
    DWORD size = sizeof buffer;
    QString result;
    LPWSTR text = nullptr;
    if (GetTokenInformation(token, TokenUser, buffer, size, &size)
            && ConvertSidToStringSidW(reinterpret_cast<TOKEN_USER *>(buffer)->User.Sid, &text)) {
        result = QString::fromWCharArray(text);
        LocalFree(text);
    }
    CloseHandle(token);
    return result;
}

// Owner-only on Windows: a protected list ("D:P") whose entries all allow the current user.
bool ownerOnlyAcl(const QString &path)
{
    const QString dacl = daclOf(path);
    const QString sid = currentUserSid();
    const qsizetype open = dacl.indexOf(u'(');
    // "D:" then the flags (P protected, AI/AR auto-inherit), then the entries.
    if (!dacl.startsWith(u"D:"_s) || open < 0 || !dacl.mid(2, open - 2).contains(u'P')
            || sid.isEmpty()) {
        return false;
    }
    const QStringList entries = dacl.mid(open + 1).chopped(1).split(u")("_s);
    return std::all_of(entries.cbegin(), entries.cend(), [&sid](const QString &entry) {
        return entry.startsWith(u"A;"_s) && entry.endsWith(u';' + sid);
    });
}

// Everyone may read: what a file restored from a backup or copied in may look like.
bool loosenAcl(const QString &path)
{
    PSECURITY_DESCRIPTOR descriptor = nullptr;
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(
                L"D:(A;;FA;;;WD)", SDDL_REVISION_1, &descriptor, nullptr))
        return false;
    BOOL present = FALSE;
    BOOL defaulted = FALSE;
    PACL dacl = nullptr;
    GetSecurityDescriptorDacl(descriptor, &present, &dacl, &defaulted);
    std::wstring native = QDir::toNativeSeparators(path).toStdWString();
    const DWORD code = SetNamedSecurityInfoW(native.data(), SE_FILE_OBJECT,
            DACL_SECURITY_INFORMATION | UNPROTECTED_DACL_SECURITY_INFORMATION, nullptr, nullptr,
            dacl, nullptr);
    LocalFree(descriptor);
    return code == ERROR_SUCCESS && !ownerOnlyAcl(path);
}
#endif

// Private in the platform's meaning: mode `mode` (0600 files, 0700 directories) on POSIX, an
// owner-only access list on Windows. Wine accepts access lists but does not keep them (it reports
// a list derived from the POSIX mode): only real Windows can show them.
bool isPrivate(const QString &path, int mode)
{
#ifdef Q_OS_WIN
    Q_UNUSED(mode);
    return ownerOnlyAcl(path);
#else
    return modeOf(path) == mode;
#endif
}

// Opens `path` to others: group and other may read (and enter), or everyone on Windows.
bool loosen(const QString &path)
{
#ifdef Q_OS_WIN
    return loosenAcl(path);
#else
    auto permissions = QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadGroup
            | QFileDevice::ReadOther;
    if (QFileInfo(path).isDir())
        permissions |= QFileDevice::ExeOwner | QFileDevice::ExeGroup | QFileDevice::ExeOther;
    return QFile::setPermissions(path, permissions) && modeOf(path) != 0600 && modeOf(path) != 0700;
#endif
}

// Ages (or renews) a file's modification time. On Windows by its attributes alone: a lock file
// held by QLockFile cannot be opened for writing there.
bool setModificationTime(const QString &path, const QDateTime &time)
{
#ifdef Q_OS_WIN
    const HANDLE handle = CreateFileW(QDir::toNativeSeparators(path).toStdWString().c_str(),
            FILE_WRITE_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
            OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (handle == INVALID_HANDLE_VALUE)
        return false;
    // FILETIME: 100 ns units since 1601-01-01 UTC.
    const qint64 ticks = (time.toMSecsSinceEpoch() + 11644473600000LL) * 10000;
    FILETIME filetime{DWORD(ticks & 0xffffffff), DWORD(quint64(ticks) >> 32)};
    const bool ok = SetFileTime(handle, nullptr, nullptr, &filetime);
    CloseHandle(handle);
    return ok;
#else
    QFile file(path);
    return file.open(QIODevice::ReadWrite)
            && file.setFileTime(time, QFileDevice::FileModificationTime);
#endif
}

QByteArray readAll(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

bool writeAll(const QString &path, const QByteArray &data)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(data) == data.size();
}

QStringList filesUnder(const QString &directory)
{
    QStringList files;
    QDirIterator it(directory, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext())
        files.append(it.next());
    files.sort();
    return files;
}

TokenStoreKey keyA()
{
    return TokenStoreKey{
            u"https://mcp.example.com/mcp"_s, u"https://idp.example.com"_s, u"client-a"_s};
}

StoredTokens tokensFor(const TokenStoreKey &key, const QString &tag)
{
    StoredTokens tokens;
    tokens.resource = key.resource;
    tokens.issuer = key.issuer;
    tokens.clientId = key.clientId;
    tokens.accessToken = u"access-token-"_s + tag + u"-Zq81xVt"_s;
    tokens.refreshToken = u"refresh-token-"_s + tag + u"-Pw93kLm"_s;
    tokens.expiresAt = QDateTime::fromMSecsSinceEpoch(1893456000123, Qt::UTC);
    tokens.scope = u"mcp:read mcp:write"_s;
    tokens.tokenType = u"Bearer"_s;
    return tokens;
}

StoredRegistration registrationFor(const QString &issuer, const QString &redirectUri)
{
    StoredRegistration registration;
    registration.issuer = issuer;
    registration.redirectUri = redirectUri;
    registration.clientId = u"dyn-client-4711"_s;
    registration.clientSecret = u"client-secret-Hh27sQpa"_s;
    registration.tokenEndpointAuthMethod = u"client_secret_basic"_s;
    registration.secretExpiresAt = QDateTime::fromSecsSinceEpoch(1900000000, Qt::UTC);
    return registration;
}

// Synchronous wrappers for the tests (the store itself never blocks).
std::optional<StoredTokens> loadNow(
        TokenStore &store, const TokenStoreKey &key, bool *done = nullptr)
{
    QObject context;
    bool finished = false;
    std::optional<StoredTokens> result;
    store.load(key, &context, [&](std::optional<StoredTokens> tokens) {
        result = std::move(tokens);
        finished = true;
    });
    const bool synchronous = finished;
    (void)QTest::qWaitFor([&] { return finished; }, WaitMs);
    if (done)
        *done = finished && !synchronous;
    return result;
}

bool saveNow(TokenStore &store, const StoredTokens &tokens)
{
    QObject context;
    std::optional<bool> result;
    store.save(tokens, &context, [&](bool ok) { result = ok; });
    const bool synchronous = result.has_value();
    (void)QTest::qWaitFor([&] { return result.has_value(); }, WaitMs);
    return !synchronous && result.value_or(false);
}

std::optional<StoredRegistration> loadRegistrationNow(TokenStore &store, const RegistrationKey &key)
{
    QObject context;
    bool finished = false;
    std::optional<StoredRegistration> result;
    store.loadRegistration(key, &context, [&](std::optional<StoredRegistration> registration) {
        result = std::move(registration);
        finished = true;
    });
    (void)QTest::qWaitFor([&] { return finished; }, WaitMs);
    return result;
}

bool saveRegistrationNow(TokenStore &store, const StoredRegistration &registration)
{
    QObject context;
    std::optional<bool> result;
    store.saveRegistration(registration, &context, [&](bool ok) { result = ok; });
    (void)QTest::qWaitFor([&] { return result.has_value(); }, WaitMs);
    return result.value_or(false);
}

QList<TokenStoreEntryInfo> listNow(TokenStore &store)
{
    QObject context;
    bool finished = false;
    QList<TokenStoreEntryInfo> result;
    store.listEntries(&context, [&](const QList<TokenStoreEntryInfo> &entries) {
        result = entries;
        finished = true;
    });
    (void)QTest::qWaitFor([&] { return finished; }, WaitMs);
    return result;
}

DataKeyResult obtainNow(KeyProvider &provider)
{
    QObject context;
    std::optional<DataKeyResult> result;
    provider.obtainKey(&context, [&](const DataKeyResult &key) { result = key; });
    (void)QTest::qWaitFor([&] { return result.has_value(); }, WaitMs);
    return result.value_or(DataKeyResult{});
}

// Keychain helpers for the MCPPROXY_TEST_KEYCHAIN=1 runs (test service names only).
QKeychain::Error keychainWrite(const QString &service, const QString &key, const QByteArray &data)
{
    auto *job = new QKeychain::WritePasswordJob(service);
    job->setKey(key);
    job->setBinaryData(data);
    std::optional<QKeychain::Error> error;
    QObject context;
    QObject::connect(job, &QKeychain::Job::finished, &context,
            [&](QKeychain::Job *finished) { error = finished->error(); });
    job->start();
    (void)QTest::qWaitFor([&] { return error.has_value(); }, WaitMs);
    return error.value_or(QKeychain::OtherError);
}

QKeychain::Error keychainDelete(const QString &service, const QString &key)
{
    auto *job = new QKeychain::DeletePasswordJob(service);
    job->setKey(key);
    std::optional<QKeychain::Error> error;
    QObject context;
    QObject::connect(job, &QKeychain::Job::finished, &context,
            [&](QKeychain::Job *finished) { error = finished->error(); });
    job->start();
    (void)QTest::qWaitFor([&] { return error.has_value(); }, WaitMs);
    return error.value_or(QKeychain::OtherError);
}

QString uniqueKeychainKey(const char *name)
{
    return u"%1-%2-%3"_s.arg(QLatin1StringView(name))
            .arg(QCoreApplication::applicationPid())
            .arg(QDateTime::currentMSecsSinceEpoch());
}

} // namespace

class tst_TokenStore : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void defaultDirectory_data();
    void defaultDirectory();
    void defaultDirectoryUsedWhenEmpty();
    void tokensRoundTrip();
    void pathWithSpacesAndNonAsciiUserName();
    void tokenSetConversion();
    void registrationRoundTrip();
    void callbacksAreLater();
    void keysNeverShareAnEntry();
    void entryLayout();
    void permissions();
    void existingDirectoryTightened();
    void noPlaintextInFiles();
    void corruptedEntry_data();
    void corruptedEntry();
    void entryCopiedOverAnotherDoesNotOpen();
    void keyFilePersistsAcrossInstances();
    void keyFileWrongSize();
    void concurrentKeyCreationAgrees();
    void atomicWrite();
    void removeEntries();
    void listEntries();
    void lockWaitsForAnotherHolder();
    void lockQueuesWithinProcess();
    void lockTimesOut();
    void staleLockOfDeadProcessTakenOver();
    void oldLockOfAnotherHostTakenOver();
    void heldLockIsRenewed();
    void lockCallbackSkippedWhenContextGone();
    void lockReloadSaveAcrossInstances();
    void migrateReferenceCache();
    void migrateReferenceCacheWithoutKey();
    void keychainUnavailableFallsBackToKeyFile_data();
    void keychainUnavailableFallsBackToKeyFile();
    void keychainRoundTrip();
    void keychainAdoptsKeyFile();
    void keychainEntryWrongSize();
    void keychainHangFallsBack();
    void keychainHangFallsBackChild();

private:
    TokenStoreOptions options() const;

    QTemporaryDir m_config; // XDG_CONFIG_HOME: the real user config is never touched
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_storeDir;
};

void tst_TokenStore::initTestCase()
{
    QVERIFY(m_config.isValid());
    qputenv(ConfigVariable, QFile::encodeName(m_config.path()));
}

void tst_TokenStore::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_storeDir = m_dir->filePath(u"store"_s);
}

void tst_TokenStore::cleanup()
{
    m_dir.reset();
}

TokenStoreOptions tst_TokenStore::options() const
{
    TokenStoreOptions options;
    options.directory = m_storeDir;
    options.keyStorage = KeyStorage::FileOnly;
    return options;
}

void tst_TokenStore::defaultDirectory_data()
{
    QTest::addColumn<QByteArray>("xdg");
    QTest::addColumn<bool>("underXdg");
    QTest::newRow("set") << QByteArray("SET") << true;
    QTest::newRow("empty") << QByteArray() << false;
    QTest::newRow("relative") << QByteArray("relative/config") << false;
}

void tst_TokenStore::defaultDirectory()
{
#if defined(Q_OS_MACOS)
    QSKIP("macOS has one fixed place, ~/Library/Application Support");
#else
    QFETCH(QByteArray, xdg);
    QFETCH(bool, underXdg);
    const QByteArray saved = qgetenv(ConfigVariable);
    qputenv(ConfigVariable, xdg == "SET" ? saved : xdg);
    const QString directory = TokenStore::defaultDirectory();
    qputenv(ConfigVariable, saved);

    QVERIFY2(QDir::isAbsolutePath(directory), qPrintable(directory));
    QVERIFY(directory.endsWith(u"/mcp-oauth2-proxy"_s));
    if (underXdg)
        QCOMPARE(directory, QDir::cleanPath(m_config.path() + u"/mcp-oauth2-proxy"_s));
    else
        QCOMPARE(directory, QDir::homePath() + FallbackConfigHome + u"/mcp-oauth2-proxy"_s);
#endif
}

void tst_TokenStore::defaultDirectoryUsedWhenEmpty()
{
    TokenStoreOptions opts = options();
    opts.directory.clear();
    TokenStore store(opts);
    QCOMPARE(store.directory(), TokenStore::defaultDirectory());
#if !defined(Q_OS_MACOS)
    QVERIFY(store.directory().startsWith(QDir::cleanPath(m_config.path())));
    // Stays inside the temporary XDG_CONFIG_HOME (%APPDATA% on Windows).
    QVERIFY(saveNow(store, tokensFor(keyA(), u"default"_s)));
    QVERIFY(QFileInfo::exists(store.entryPath(keyA())));
    QVERIFY(QDir(store.directory()).removeRecursively());
#endif
}

void tst_TokenStore::pathWithSpacesAndNonAsciiUserName()
{
    // A profile like C:\Users\Jürgen Ölmann (or /home/jürgen): the store, its key file, its
    // entries and its locks live under a name with spaces and non-ASCII letters.
    TokenStoreOptions opts = options();
    opts.directory = m_dir->filePath(u"Jürgen Ölmann Σ/AppData/Roaming/mcp-oauth2-proxy"_s);
    TokenStore store(opts);
    QVERIFY(saveNow(store, tokensFor(keyA(), u"a"_s)));
    QVERIFY(QFileInfo::exists(store.entryPath(keyA())));
    QVERIFY(underWine() || isPrivate(store.entryPath(keyA()), 0600));
    TokenStore other(opts);
    const std::optional<StoredTokens> loaded = loadNow(other, keyA());
    QVERIFY(loaded);
    QCOMPARE(loaded->accessToken, tokensFor(keyA(), u"a"_s).accessToken);
    QObject context;
    std::optional<bool> locked;
    other.withLock(keyA(), &context, [&](bool ok) { locked = ok; });
    QTRY_VERIFY_WITH_TIMEOUT(locked.has_value(), WaitMs);
    QVERIFY(*locked);
    other.unlock(keyA());
}

void tst_TokenStore::tokensRoundTrip()
{
    TokenStore store(options());
    const StoredTokens tokens = tokensFor(keyA(), u"a"_s);
    const QDateTime before = QDateTime::currentDateTimeUtc().addSecs(-1);
    QVERIFY(saveNow(store, tokens));

    TokenStore other(options()); // a new instance (another process) reads it back
    bool done = false;
    const std::optional<StoredTokens> loaded = loadNow(other, keyA(), &done);
    QVERIFY(done);
    QVERIFY(loaded);
    QCOMPARE(loaded->resource, tokens.resource);
    QCOMPARE(loaded->issuer, tokens.issuer);
    QCOMPARE(loaded->clientId, tokens.clientId);
    QCOMPARE(loaded->accessToken, tokens.accessToken);
    QCOMPARE(loaded->refreshToken, tokens.refreshToken);
    QCOMPARE(loaded->expiresAt, tokens.expiresAt);
    QCOMPARE(loaded->expiresAt.timeSpec(), Qt::UTC);
    QCOMPARE(loaded->scope, tokens.scope);
    QCOMPARE(loaded->tokenType, tokens.tokenType);
    QVERIFY(loaded->savedAt >= before);
    QVERIFY(loaded->savedAt <= QDateTime::currentDateTimeUtc().addSecs(1));

    // No expiry and no refresh token survive as such.
    StoredTokens bare = tokens;
    bare.expiresAt = QDateTime();
    bare.refreshToken.clear();
    QVERIFY(saveNow(store, bare));
    const std::optional<StoredTokens> reloaded = loadNow(store, keyA());
    QVERIFY(reloaded);
    QVERIFY(!reloaded->expiresAt.isValid());
    QVERIFY(reloaded->refreshToken.isEmpty());
    QCOMPARE(reloaded->accessToken, tokens.accessToken);
}

void tst_TokenStore::tokenSetConversion()
{
    TokenSet set;
    set.accessToken = u"at"_s;
    set.refreshToken = u"rt"_s;
    set.scope = u"a b"_s;
    set.expiresAt = QDateTime::fromSecsSinceEpoch(2000000000, Qt::UTC);
    const StoredTokens stored = StoredTokens::fromTokenSet(keyA(), set);
    QCOMPARE(stored.key().resource, keyA().resource);
    QCOMPARE(stored.key().issuer, keyA().issuer);
    QCOMPARE(stored.key().clientId, keyA().clientId);
    const TokenSet back = stored.toTokenSet();
    QCOMPARE(back.accessToken, set.accessToken);
    QCOMPARE(back.refreshToken, set.refreshToken);
    QCOMPARE(back.scope, set.scope);
    QCOMPARE(back.expiresAt, set.expiresAt);
    QCOMPARE(back.tokenType, u"Bearer"_s);
}

void tst_TokenStore::registrationRoundTrip()
{
    TokenStore store(options());
    const StoredRegistration registration =
            registrationFor(u"https://idp.example.com"_s, u"http://127.0.0.1:33418/callback"_s);
    QVERIFY(saveRegistrationNow(store, registration));
    TokenStore other(options());
    const std::optional<StoredRegistration> loaded = loadRegistrationNow(other, registration.key());
    QVERIFY(loaded);
    QCOMPARE(loaded->issuer, registration.issuer);
    QCOMPARE(loaded->redirectUri, registration.redirectUri);
    QCOMPARE(loaded->clientId, registration.clientId);
    QCOMPARE(loaded->clientSecret, registration.clientSecret);
    QCOMPARE(loaded->tokenEndpointAuthMethod, registration.tokenEndpointAuthMethod);
    QCOMPARE(loaded->secretExpiresAt, registration.secretExpiresAt);
    QVERIFY(loaded->savedAt.isValid());
    // Another redirect URI is another registration.
    QVERIFY(!loadRegistrationNow(
            other, RegistrationKey{registration.issuer, u"http://127.0.0.1:1/callback"_s}));
}

void tst_TokenStore::callbacksAreLater()
{
    TokenStore store(options());
    QObject context;
    int calls = 0;
    store.load(keyA(), &context, [&](std::optional<StoredTokens>) { ++calls; }); // absent
    store.save(tokensFor(keyA(), u"x"_s), &context, [&](bool) { ++calls; });
    store.remove(TokenStoreKey{u"r"_s, u"i"_s, u"c"_s}, &context, [&](bool) { ++calls; });
    store.listEntries(&context, [&](const QList<TokenStoreEntryInfo> &) { ++calls; });
    store.withLock(keyA(), &context, [&](bool locked) {
        ++calls;
        QVERIFY(locked);
    });
    QCOMPARE(calls, 0);
    QTRY_COMPARE(calls, 5);
    store.unlock(keyA());
    QTest::qWait(50);
    QCOMPARE(calls, 5); // exactly once each

    // A destroyed context: the callback is skipped, the save still happens.
    auto gone = std::make_unique<QObject>();
    bool called = false;
    StoredTokens changed = tokensFor(keyA(), u"after"_s);
    store.save(changed, gone.get(), [&](bool) { called = true; });
    gone.reset();
    QTRY_COMPARE(loadNow(store, keyA()).value_or(StoredTokens()).accessToken, changed.accessToken);
    QVERIFY(!called);
}

void tst_TokenStore::keysNeverShareAnEntry()
{
    TokenStore store(options());
    const QList<TokenStoreKey> keys{
            keyA(),
            TokenStoreKey{u"https://other.example.com/mcp"_s, keyA().issuer, keyA().clientId},
            TokenStoreKey{keyA().resource, u"https://idp2.example.com"_s, keyA().clientId},
            TokenStoreKey{keyA().resource, keyA().issuer, u"client-b"_s},
            // Field boundaries are part of the key: no ambiguity by concatenation.
            TokenStoreKey{u"https://mcp.example.com/mcp|x"_s, u"y"_s, u"z"_s},
            TokenStoreKey{u"https://mcp.example.com/mcp"_s, u"x|y"_s, u"z"_s},
    };
    QSet<QString> paths;
    for (qsizetype i = 0; i < keys.size(); ++i) {
        paths.insert(store.entryPath(keys.at(i)));
        QVERIFY(saveNow(store, tokensFor(keys.at(i), QString::number(i))));
    }
    const RegistrationKey registration{keyA().issuer, keyA().resource};
    paths.insert(store.entryPath(registration));
    QCOMPARE(paths.size(), keys.size() + 1);

    for (qsizetype i = 0; i < keys.size(); ++i) {
        const std::optional<StoredTokens> loaded = loadNow(store, keys.at(i));
        QVERIFY(loaded);
        QCOMPARE(loaded->accessToken, tokensFor(keys.at(i), QString::number(i)).accessToken);
    }
    QVERIFY(!loadNow(store, TokenStoreKey{keyA().resource, keyA().issuer, u"client-c"_s}));
}

void tst_TokenStore::entryLayout()
{
    TokenStore store(options());
    QCOMPARE(store.directory(), m_storeDir);
    QCOMPARE(store.entriesDirectory(), m_storeDir + u"/tokens/v1"_s);
    // <dir>/tokens/v1/<first 32 hex of sha256(canonical key)>.bin
    const QByteArray canonical = TokenStore::canonicalKey(keyA());
    QCOMPARE(canonical,
            QByteArray("[\"tokens\",\"https://mcp.example.com/mcp\",\"https://"
                       "idp.example.com\",\"client-a\"]"));
    const QString hash = QString::fromLatin1(
            QCryptographicHash::hash(canonical, QCryptographicHash::Sha256).toHex().left(32));
    QCOMPARE(store.entryPath(keyA()), m_storeDir + u"/tokens/v1/"_s + hash + u".bin"_s);
    QCOMPARE(TokenStore::canonicalKey(RegistrationKey{u"https://i"_s, u"http://127.0.0.1:1/cb"_s}),
            QByteArray("[\"registration\",\"https://i\",\"http://127.0.0.1:1/cb\"]"));

    QVERIFY(saveNow(store, tokensFor(keyA(), u"a"_s)));
    const QByteArray blob = readAll(store.entryPath(keyA()));
    QVERIFY(blob.startsWith("MCPT\x01"));
    QCOMPARE(filesUnder(m_storeDir),
            (QStringList{m_storeDir + u"/key.v1"_s, store.entryPath(keyA())}));
}

void tst_TokenStore::permissions()
{
    if (underWine())
        QSKIP("Wine does not keep access lists: real Windows only");
    TokenStore store(options());
    QVERIFY(saveNow(store, tokensFor(keyA(), u"a"_s)));
    QVERIFY(saveRegistrationNow(
            store, registrationFor(u"https://i"_s, u"http://127.0.0.1:5/cb"_s)));
    QVERIFY(isPrivate(m_storeDir, 0700));
    QVERIFY(isPrivate(m_storeDir + u"/tokens"_s, 0700));
    QVERIFY(isPrivate(store.entriesDirectory(), 0700));
    QVERIFY(isPrivate(m_storeDir + u"/key.v1"_s, 0600));
    QVERIFY(isPrivate(store.entryPath(keyA()), 0600));
    QVERIFY(isPrivate(
            store.entryPath(RegistrationKey{u"https://i"_s, u"http://127.0.0.1:5/cb"_s}), 0600));
    // A rewrite keeps it private; a file loosened meanwhile (restored from a backup) is tightened
    // on load and on the next write.
    QVERIFY(loosen(store.entryPath(keyA())));
    QVERIFY(loadNow(store, keyA()));
    QVERIFY(isPrivate(store.entryPath(keyA()), 0600));
    QVERIFY(loosen(store.entryPath(keyA())));
    QVERIFY(saveNow(store, tokensFor(keyA(), u"b"_s)));
    QVERIFY(isPrivate(store.entryPath(keyA()), 0600));
}

void tst_TokenStore::existingDirectoryTightened()
{
    if (underWine())
        QSKIP("Wine does not keep access lists: real Windows only");
    // The reference created its directory 0700 only when missing; a 0755 one is tightened.
    QVERIFY(QDir().mkpath(m_storeDir + u"/tokens/v1"_s));
    for (const QString &dir :
            QStringList{m_storeDir, m_storeDir + u"/tokens"_s, m_storeDir + u"/tokens/v1"_s})
        QVERIFY(loosen(dir));
    QVERIFY(!isPrivate(m_storeDir, 0700));
    TokenStore store(options());
    QVERIFY(saveNow(store, tokensFor(keyA(), u"a"_s)));
    QVERIFY(isPrivate(m_storeDir, 0700));
    QVERIFY(isPrivate(m_storeDir + u"/tokens"_s, 0700));
    QVERIFY(isPrivate(m_storeDir + u"/tokens/v1"_s, 0700));
}

void tst_TokenStore::noPlaintextInFiles()
{
    TokenStore store(options());
    const StoredTokens tokens = tokensFor(keyA(), u"grep"_s);
    const StoredRegistration registration =
            registrationFor(u"https://idp.example.com"_s, u"http://127.0.0.1:9/cb"_s);
    QVERIFY(saveNow(store, tokens));
    QVERIFY(saveRegistrationNow(store, registration));
    const QList<QByteArray> secrets{tokens.accessToken.toUtf8(), tokens.refreshToken.toUtf8(),
            registration.clientSecret.toUtf8()};
    const QList<QByteArray> alsoHidden{tokens.resource.toUtf8(), tokens.issuer.toUtf8(),
            tokens.clientId.toUtf8(), QByteArray("accessToken"), QByteArray("refreshToken")};
    const QStringList files = filesUnder(m_storeDir);
    QCOMPARE(files.size(), 3); // key.v1 and two entries
    for (const QString &path : files) {
        const QByteArray bytes = readAll(path);
        for (const QByteArray &secret : secrets + alsoHidden) {
            QVERIFY2(!bytes.contains(secret), qPrintable(path));
            QVERIFY2(!bytes.contains(secret.toBase64()), qPrintable(path));
            QVERIFY2(!bytes.contains(QString::fromUtf8(secret).toUtf8().toHex()), qPrintable(path));
        }
    }
}

void tst_TokenStore::corruptedEntry_data()
{
    QTest::addColumn<int>("damage");
    QTest::newRow("flipped byte") << 0;
    QTest::newRow("truncated") << 1;
    QTest::newRow("garbage") << 2;
    QTest::newRow("empty file") << 3;
    QTest::newRow("valid blob, not json") << 4;
}

void tst_TokenStore::corruptedEntry()
{
    QFETCH(int, damage);
    TokenStore store(options());
    QVERIFY(saveNow(store, tokensFor(keyA(), u"a"_s)));
    const QString path = store.entryPath(keyA());
    QByteArray bytes = readAll(path);
    switch (damage) {
    case 0:
        bytes[bytes.size() / 2] = char(bytes.at(bytes.size() / 2) ^ 0x40);
        break;
    case 1:
        bytes.chop(7);
        break;
    case 2:
        bytes = QByteArray(200, 'g');
        break;
    case 3:
        bytes.clear();
        break;
    case 4: {
        const QByteArray key = readAll(m_storeDir + u"/key.v1"_s);
        const QByteArray context = "tokens/v1/" + QFileInfo(path).fileName().toUtf8();
        bytes = TokenCipher::seal(key, "not json {", context).value_or(QByteArray());
        QVERIFY(!bytes.isEmpty());
        break;
    }
    }
    QVERIFY(writeAll(path, bytes));

    {
        MessageCapture capture;
        bool done = false;
        QVERIFY(!loadNow(store, keyA(), &done)); // "no entry", never a crash
        QVERIFY(done);
        QCOMPARE(capture.countWarnings(u"token store: ignoring"_s), 1);
        QVERIFY(capture.warnings().constFirst().contains(QDir::toNativeSeparators(path)));
    }
    // Moved aside, so the entry is free; the next load is silent.
    QVERIFY(!QFileInfo::exists(path));
    QCOMPARE(readAll(path + u".bad"_s), bytes);
    {
        MessageCapture capture;
        QVERIFY(!loadNow(store, keyA()));
        QVERIFY(capture.warnings().isEmpty());
    }
    // Recovers on the next save.
    QVERIFY(saveNow(store, tokensFor(keyA(), u"fresh"_s)));
    const std::optional<StoredTokens> loaded = loadNow(store, keyA());
    QVERIFY(loaded);
    QCOMPARE(loaded->accessToken, tokensFor(keyA(), u"fresh"_s).accessToken);
}

void tst_TokenStore::entryCopiedOverAnotherDoesNotOpen()
{
    TokenStore store(options());
    const TokenStoreKey keyB{u"https://b.example.com/mcp"_s, keyA().issuer, keyA().clientId};
    QVERIFY(saveNow(store, tokensFor(keyA(), u"a"_s)));
    QVERIFY(saveNow(store, tokensFor(keyB, u"b"_s)));
    QVERIFY(QFile::remove(store.entryPath(keyB)));
    QVERIFY(QFile::copy(store.entryPath(keyA()), store.entryPath(keyB)));
    MessageCapture capture;
    QVERIFY(!loadNow(store, keyB)); // the AAD binds the blob to its file name
    QCOMPARE(capture.countWarnings(u"cannot be decrypted"_s), 1);
    QVERIFY(loadNow(store, keyA()));
}

void tst_TokenStore::keyFilePersistsAcrossInstances()
{
    QByteArray key;
    {
        KeyProviderOptions opts;
        opts.storage = KeyStorage::FileOnly;
        opts.keyFileDirectory = m_storeDir;
        KeyProvider provider(opts);
        const DataKeyResult result = obtainNow(provider);
        QVERIFY(result.ok);
        QCOMPARE(result.source, DataKeyResult::Source::KeyFile);
        QVERIFY(result.created);
        QCOMPARE(result.key.size(), 32);
        QCOMPARE(provider.source(), DataKeyResult::Source::KeyFile);
        QCOMPARE(provider.keyFilePath(), m_storeDir + u"/key.v1"_s);
        key = result.key;
        // Served from memory afterwards.
        QVERIFY(QFile::remove(provider.keyFilePath()));
        QCOMPARE(obtainNow(provider).key, key);
        QVERIFY(writeAll(provider.keyFilePath(), key));
    }
    KeyProviderOptions opts;
    opts.storage = KeyStorage::FileOnly;
    opts.keyFileDirectory = m_storeDir;
    KeyProvider provider(opts);
    const DataKeyResult again = obtainNow(provider);
    QVERIFY(again.ok);
    QVERIFY(!again.created);
    QCOMPARE(again.key, key);
}

void tst_TokenStore::keyFileWrongSize()
{
    {
        TokenStore store(options());
        QVERIFY(saveNow(store, tokensFor(keyA(), u"a"_s)));
    }
    const QString keyFile = m_storeDir + u"/key.v1"_s;
    const QByteArray oldKey = readAll(keyFile);
    QCOMPARE(oldKey.size(), 32);
    QVERIFY(writeAll(keyFile, oldKey.left(10)));

    TokenStore store(options());
    {
        MessageCapture capture;
        // A new key: the old entry cannot be opened any more (a fresh login), no crash.
        QVERIFY(!loadNow(store, keyA()));
        QCOMPARE(capture.countWarnings(u"wrong size"_s), 1);
        QCOMPARE(capture.countWarnings(u"cannot be decrypted"_s), 1);
    }
    const QByteArray newKey = readAll(keyFile);
    QCOMPARE(newKey.size(), 32);
    QVERIFY(newKey != oldKey);
    QVERIFY(underWine() || isPrivate(keyFile, 0600));
    QVERIFY(saveNow(store, tokensFor(keyA(), u"b"_s)));
    QVERIFY(loadNow(store, keyA()));
}

void tst_TokenStore::atomicWrite()
{
    TokenStoreOptions opts = options();
    int commits = 0;
    bool abandon = false;
    QByteArray seenBeforeCommit;
    opts.beforeCommitForTesting = [&](const QString &path) {
        ++commits;
        // The new content is complete in a temporary file; the entry still has the old bytes.
        seenBeforeCommit = readAll(path);
        return !abandon;
    };
    TokenStore store(opts);
    QVERIFY(saveNow(store, tokensFor(keyA(), u"one"_s)));
    QCOMPARE(commits, 1);
    QVERIFY(seenBeforeCommit.isEmpty()); // no file before the first commit
    const QByteArray first = readAll(store.entryPath(keyA()));

    QVERIFY(saveNow(store, tokensFor(keyA(), u"two"_s)));
    QCOMPARE(commits, 2);
    QCOMPARE(seenBeforeCommit, first);
    const QByteArray second = readAll(store.entryPath(keyA()));
    QVERIFY(second != first);

    // A write that never reaches its rename (a crash) leaves the previous entry intact and no
    // temporary file behind.
    abandon = true;
    {
        MessageCapture capture;
        QVERIFY(!saveNow(store, tokensFor(keyA(), u"three"_s)));
        QCOMPARE(capture.countWarnings(u"not saved"_s), 1);
    }
    QCOMPARE(readAll(store.entryPath(keyA())), second);
    QCOMPARE(loadNow(store, keyA()).value_or(StoredTokens()).accessToken,
            tokensFor(keyA(), u"two"_s).accessToken);
    QCOMPARE(QDir(store.entriesDirectory()).entryList(QDir::Files | QDir::Hidden),
            QStringList{QFileInfo(store.entryPath(keyA())).fileName()});
}

void tst_TokenStore::removeEntries()
{
    TokenStore store(options());
    const RegistrationKey registration{u"https://i"_s, u"http://127.0.0.1:7/cb"_s};
    QVERIFY(saveNow(store, tokensFor(keyA(), u"a"_s)));
    QVERIFY(saveRegistrationNow(
            store, registrationFor(registration.issuer, registration.redirectUri)));
    QObject context;
    std::optional<bool> removed;
    store.remove(keyA(), &context, [&](bool ok) { removed = ok; });
    QVERIFY(!removed);
    QTRY_VERIFY(removed.has_value());
    QVERIFY(*removed);
    QVERIFY(!QFileInfo::exists(store.entryPath(keyA())));
    QVERIFY(!loadNow(store, keyA()));
    QVERIFY(loadRegistrationNow(store, registration));

    removed.reset();
    store.removeRegistration(registration, &context, [&](bool ok) { removed = ok; });
    QTRY_VERIFY(removed.has_value());
    QVERIFY(*removed);
    QVERIFY(!loadRegistrationNow(store, registration));
    // Removing what is not there succeeds.
    removed.reset();
    store.remove(keyA(), &context, [&](bool ok) { removed = ok; });
    QTRY_VERIFY(removed.has_value());
    QVERIFY(*removed);
}

void tst_TokenStore::listEntries()
{
    TokenStore store(options());
    QVERIFY(listNow(store).isEmpty());
    const TokenStoreKey keyB{u"https://b.example.com/mcp"_s, u"https://idp2"_s, u"client-b"_s};
    StoredTokens b = tokensFor(keyB, u"b"_s);
    b.accessToken.clear();
    QVERIFY(saveNow(store, tokensFor(keyA(), u"a"_s)));
    QVERIFY(saveNow(store, b));
    QVERIFY(saveRegistrationNow(
            store, registrationFor(u"https://idp2"_s, u"http://127.0.0.1:8/cb"_s)));
    QVERIFY(writeAll(store.entriesDirectory() + u"/00000000000000000000000000000000.bin"_s,
            QByteArray("junk")));

    const QList<TokenStoreEntryInfo> entries = listNow(store);
    QCOMPARE(entries.size(), 4);
    int tokens = 0, registrations = 0, unreadable = 0;
    for (const TokenStoreEntryInfo &info : entries) {
        switch (info.kind) {
        case TokenStoreEntryInfo::Kind::Tokens:
            ++tokens;
            if (info.resource == keyA().resource) {
                QCOMPARE(info.issuer, keyA().issuer);
                QCOMPARE(info.clientId, keyA().clientId);
                QCOMPARE(info.scope, u"mcp:read mcp:write"_s);
                QCOMPARE(info.expiresAt, tokensFor(keyA(), u"a"_s).expiresAt);
                QVERIFY(info.hasAccessToken);
                QVERIFY(info.hasRefreshToken);
            } else {
                QCOMPARE(info.resource, keyB.resource);
                QVERIFY(!info.hasAccessToken);
                QVERIFY(info.hasRefreshToken);
            }
            QVERIFY(info.savedAt.isValid());
            break;
        case TokenStoreEntryInfo::Kind::Registration:
            ++registrations;
            QCOMPARE(info.issuer, u"https://idp2"_s);
            QCOMPARE(info.clientId, u"dyn-client-4711"_s);
            QCOMPARE(info.redirectUri, u"http://127.0.0.1:8/cb"_s);
            break;
        case TokenStoreEntryInfo::Kind::Unreadable:
            ++unreadable;
            QVERIFY(info.fileName.endsWith(u"00000000000000000000000000000000.bin"_s));
            break;
        }
    }
    QCOMPARE(tokens, 2);
    QCOMPARE(registrations, 1);
    QCOMPARE(unreadable, 1);
    // Listing is read only: the junk file stays where it is.
    QVERIFY(QFileInfo::exists(
            store.entriesDirectory() + u"/00000000000000000000000000000000.bin"_s));
}

void tst_TokenStore::lockWaitsForAnotherHolder()
{
    TokenStore store(options());
    QVERIFY(saveNow(store, tokensFor(keyA(), u"a"_s))); // creates the directories
    // Another process's holder (a QLockFile has its own flock even in this process).
    QLockFile other(store.entryPath(keyA()) + u".lock"_s);
    QVERIFY(other.tryLock(0));

    QObject context;
    std::optional<bool> locked;
    store.withLock(keyA(), &context, [&](bool ok) { locked = ok; });
    QTest::qWait(400);
    QVERIFY(!locked.has_value()); // waits, without blocking the event loop
    other.unlock();
    QTRY_VERIFY_WITH_TIMEOUT(locked.has_value(), 3000);
    QVERIFY(*locked);
    // Now we hold it: another holder cannot take it.
    QLockFile third(store.entryPath(keyA()) + u".lock"_s);
    QVERIFY(!third.tryLock(0));
    store.unlock(keyA());
    QVERIFY(third.tryLock(0));
    third.unlock();
}

void tst_TokenStore::lockQueuesWithinProcess()
{
    TokenStore store(options());
    QObject context;
    QStringList order;
    store.withLock(
            keyA(), &context, [&](bool ok) { order.append(ok ? u"first"_s : u"first failed"_s); });
    store.withLock(keyA(), &context,
            [&](bool ok) { order.append(ok ? u"second"_s : u"second failed"_s); });
    // A different entry is independent.
    const RegistrationKey registration{u"https://i"_s, u"http://127.0.0.1:7/cb"_s};
    store.withLock(registration, &context,
            [&](bool ok) { order.append(ok ? u"reg"_s : u"reg failed"_s); });
    QTRY_COMPARE(order.size(), 2);
    QTest::qWait(300);
    QCOMPARE(order, (QStringList{u"first"_s, u"reg"_s}));
    store.unlock(keyA());
    QTRY_COMPARE(order.size(), 3);
    QCOMPARE(order.last(), u"second"_s);
    store.unlock(keyA());
    store.unlock(registration);
    QVERIFY(!QFileInfo::exists(store.entryPath(keyA()) + u".lock"_s));
}

void tst_TokenStore::lockTimesOut()
{
    TokenStoreOptions opts = options();
    opts.lockTimeoutMs = 300;
    TokenStore store(opts);
    QVERIFY(saveNow(store, tokensFor(keyA(), u"a"_s)));
    QLockFile other(store.entryPath(keyA()) + u".lock"_s);
    QVERIFY(other.tryLock(0));
    QObject context;
    std::optional<bool> locked;
    MessageCapture capture;
    store.withLock(keyA(), &context, [&](bool ok) { locked = ok; });
    QTRY_VERIFY_WITH_TIMEOUT(locked.has_value(), 3000);
    QVERIFY(!*locked);
    QCOMPARE(capture.countWarnings(u"gave up waiting for the lock"_s), 1);
    other.unlock();
}

void tst_TokenStore::staleLockOfDeadProcessTakenOver()
{
    TokenStore store(options());
    QVERIFY(saveNow(store, tokensFor(keyA(), u"a"_s)));
    // A holder that crashed: its PID is gone (a process that already exited), its file stays.
    qint64 deadPid = 0;
    QProcess process;
    connect(&process, &QProcess::started, &process, [&] { deadPid = process.processId(); });
    process.start(QCoreApplication::applicationFilePath(), QStringList{u"-functions"_s});
    QVERIFY(process.waitForFinished(WaitMs));
    QVERIFY(deadPid > 0);
    const QString lockPath = store.entryPath(keyA()) + u".lock"_s;
#ifdef Q_OS_WIN
    // QLockFile names this host by %COMPUTERNAME% on Windows (qlockfile.cpp, machineName()).
    const QByteArray host = qgetenv("COMPUTERNAME");
#else
    const QByteArray host = QSysInfo::machineHostName().toUtf8();
#endif
    QVERIFY(writeAll(lockPath, QByteArray::number(deadPid) + "\ntst_tokenstore\n" + host + '\n'));
    QObject context;
    std::optional<bool> locked;
    store.withLock(keyA(), &context, [&](bool ok) { locked = ok; });
    QTRY_VERIFY_WITH_TIMEOUT(locked.has_value(), 3000);
    QVERIFY(*locked);
    store.unlock(keyA());
}

void tst_TokenStore::oldLockOfAnotherHostTakenOver()
{
    TokenStoreOptions opts = options();
    opts.staleLockTimeMs = 2000;
    TokenStore store(opts);
    QVERIFY(saveNow(store, tokensFor(keyA(), u"a"_s)));
    // Another host's holder (its PID cannot be checked), not renewed for an hour.
    const QString lockPath = store.entryPath(keyA()) + u".lock"_s;
    QVERIFY(writeAll(lockPath, "12345\nmcp-oauth2-proxy\nsome-other-host.example\n"));
    QVERIFY(setModificationTime(lockPath, QDateTime::currentDateTimeUtc().addSecs(-3600)));
    QObject context;
    std::optional<bool> locked;
    store.withLock(keyA(), &context, [&](bool ok) { locked = ok; });
    QTRY_VERIFY_WITH_TIMEOUT(locked.has_value(), 3000);
    QVERIFY(*locked);
    store.unlock(keyA());

    // A recent lock of another host is respected.
    QVERIFY(writeAll(lockPath, "12345\nmcp-oauth2-proxy\nsome-other-host.example\n"));
    locked.reset();
    opts.lockTimeoutMs = 500;
    TokenStore patient(opts);
    MessageCapture capture;
    patient.withLock(keyA(), &context, [&](bool ok) { locked = ok; });
    QTRY_VERIFY_WITH_TIMEOUT(locked.has_value(), 3000);
    QVERIFY(!*locked);
    QVERIFY(QFile::remove(lockPath));
}

void tst_TokenStore::heldLockIsRenewed()
{
    TokenStoreOptions opts = options();
    opts.staleLockTimeMs = 3000; // renewed every second
    TokenStore store(opts);
    QObject context;
    std::optional<bool> locked;
    store.withLock(keyA(), &context, [&](bool ok) { locked = ok; });
    QTRY_VERIFY(locked.has_value());
    QVERIFY(*locked);
    const QString lockPath = store.entryPath(keyA()) + u".lock"_s;
    QVERIFY(setModificationTime(lockPath, QDateTime::currentDateTimeUtc().addSecs(-3600)));
    QTRY_VERIFY_WITH_TIMEOUT(
            QFileInfo(lockPath).lastModified().secsTo(QDateTime::currentDateTime()) < 60, 4000);
    // Still ours: another store (process) cannot take it although staleLockTime is short.
    opts.lockTimeoutMs = 500;
    TokenStore other(opts);
    std::optional<bool> otherLocked;
    MessageCapture capture;
    other.withLock(keyA(), &context, [&](bool ok) { otherLocked = ok; });
    QTRY_VERIFY_WITH_TIMEOUT(otherLocked.has_value(), 3000);
    QVERIFY(!*otherLocked);
    store.unlock(keyA());
}

void tst_TokenStore::lockCallbackSkippedWhenContextGone()
{
    TokenStore store(options());
    QObject holder;
    std::optional<bool> first;
    store.withLock(keyA(), &holder, [&](bool ok) { first = ok; });
    QTRY_VERIFY(first.has_value());
    auto gone = std::make_unique<QObject>();
    bool called = false;
    store.withLock(keyA(), gone.get(), [&](bool) { called = true; });
    std::optional<bool> third;
    store.withLock(keyA(), &holder, [&](bool ok) { third = ok; });
    gone.reset();
    store.unlock(keyA());
    // The waiter whose context died is skipped; the next one gets the lock.
    QTRY_VERIFY(third.has_value());
    QVERIFY(*third);
    QVERIFY(!called);
    store.unlock(keyA());
}

void tst_TokenStore::concurrentKeyCreationAgrees()
{
    // Two instances starting together without a key: the lock file makes them agree on one.
    KeyProviderOptions opts;
    opts.storage = KeyStorage::FileOnly;
    opts.keyFileDirectory = m_storeDir;
    KeyProvider first(opts);
    KeyProvider second(opts);
    QObject context;
    std::optional<DataKeyResult> a, b;
    first.obtainKey(&context, [&](const DataKeyResult &result) { a = result; });
    second.obtainKey(&context, [&](const DataKeyResult &result) { b = result; });
    QTRY_VERIFY(a.has_value() && b.has_value());
    QVERIFY(a->ok && b->ok);
    QCOMPARE(a->key, b->key);
    QCOMPARE(int(a->created) + int(b->created), 1);
    QCOMPARE(readAll(m_storeDir + u"/key.v1"_s), a->key);
}

void tst_TokenStore::lockReloadSaveAcrossInstances()
{
    // Two processes refreshing the same entry: lock → reload → refresh if needed → save →
    // unlock. The second sees the first's rotated refresh token and never reuses the old one.
    TokenStore one(options());
    TokenStore two(options());
    QVERIFY(saveNow(one, tokensFor(keyA(), u"old"_s)));
    QObject context;
    QStringList usedRefreshTokens;
    int finished = 0;
    auto refresher = [&](TokenStore &store, const QString &tag) {
        store.withLock(keyA(), &context, [&, tag](bool locked) {
            QVERIFY(locked);
            store.load(keyA(), &context, [&, tag](std::optional<StoredTokens> tokens) {
                QVERIFY(tokens);
                usedRefreshTokens.append(tokens->refreshToken);
                // "Refresh": rotate, after a while (a network round trip).
                QTimer::singleShot(150, &context, [&, tag] {
                    store.save(tokensFor(keyA(), tag), &context, [&](bool ok) {
                        QVERIFY(ok);
                        store.unlock(keyA());
                        ++finished;
                    });
                });
            });
        });
    };
    refresher(one, u"from-one"_s);
    refresher(two, u"from-two"_s);
    QTRY_COMPARE(finished, 2);
    QCOMPARE(usedRefreshTokens.size(), 2);
    QCOMPARE(usedRefreshTokens.removeDuplicates(), 0);
    QVERIFY(usedRefreshTokens.contains(tokensFor(keyA(), u"old"_s).refreshToken));
}

void tst_TokenStore::migrateReferenceCache()
{
    const QString dir = m_dir->filePath(u"reference"_s);
    QVERIFY(QDir().mkpath(dir));
    const QByteArray key = TokenCipher::generateKey();
    QVERIFY(writeAll(dir + u"/key.bin"_s, key));
    // The npm package's cache file name: sha256("<clientId>|<tokenUrl>")[:16]; clientId=cid and
    // tokenUrl=http://127.0.0.1:18082/token give e5f17125d1d4485c.json.enc.
    const QByteArray name =
            QCryptographicHash::hash("cid|http://127.0.0.1:18082/token", QCryptographicHash::Sha256)
                    .toHex()
                    .left(16);
    QCOMPARE(name, QByteArray("e5f17125d1d4485c"));
    const QByteArray json = "{\"refreshToken\":\"ref-rt-1\",\"clientId\":\"cid\",\"tokenUrl\":"
                            "\"http://127.0.0.1:18082/token\",\"savedAt\":1760000000123}";
    QVERIFY(writeAll(
            dir + u'/' + QString::fromLatin1(name) + u".json.enc"_s, referenceSeal(key, json)));
    // Not entries: wrong key, bad JSON, wrong types, short file, other names.
    QVERIFY(writeAll(dir + u"/0000000000000001.json.enc"_s,
            referenceSeal(TokenCipher::generateKey(), json)));
    QVERIFY(writeAll(dir + u"/0000000000000002.json.enc"_s, referenceSeal(key, "{not json")));
    QVERIFY(writeAll(dir + u"/0000000000000003.json.enc"_s,
            referenceSeal(key, "{\"refreshToken\":1,\"clientId\":\"c\",\"tokenUrl\":\"u\"}")));
    QVERIFY(writeAll(dir + u"/0000000000000004.json.enc"_s, QByteArray(20, 'x')));
    QVERIFY(writeAll(dir + u"/notacachefile.json.enc"_s, referenceSeal(key, json)));

    const QList<ReferenceCacheEntry> entries = McpProxy::migrateReferenceCache(dir);
    QCOMPARE(entries.size(), 1);
    QCOMPARE(entries.at(0).refreshToken, u"ref-rt-1"_s);
    QCOMPARE(entries.at(0).clientId, u"cid"_s);
    QCOMPARE(entries.at(0).tokenUrl, u"http://127.0.0.1:18082/token"_s);
    QCOMPARE(entries.at(0).savedAt, QDateTime::fromMSecsSinceEpoch(1760000000123, Qt::UTC));
    QCOMPARE(entries.at(0).filePath, dir + u"/e5f17125d1d4485c.json.enc"_s);
    // Read only.
    QVERIFY(QFileInfo::exists(entries.at(0).filePath));
}

void tst_TokenStore::migrateReferenceCacheWithoutKey()
{
    const QString dir = m_dir->filePath(u"reference"_s);
    QVERIFY(QDir().mkpath(dir));
    const QByteArray key = TokenCipher::generateKey();
    QVERIFY(writeAll(dir + u"/e5f17125d1d4485c.json.enc"_s,
            referenceSeal(key, "{\"refreshToken\":\"r\",\"clientId\":\"c\",\"tokenUrl\":\"u\"}")));
    QVERIFY(McpProxy::migrateReferenceCache(dir).isEmpty());
    QVERIFY(writeAll(dir + u"/key.bin"_s, key.left(31))); // the reference's wrong-length case
    QVERIFY(McpProxy::migrateReferenceCache(dir).isEmpty());
    QVERIFY(McpProxy::migrateReferenceCache(m_dir->filePath(u"missing"_s)).isEmpty());
}

void tst_TokenStore::keychainUnavailableFallsBackToKeyFile_data()
{
    QTest::addColumn<int>("timeoutMs");
    QTest::newRow("keychain error") << 5000;
    QTest::newRow("keychain timeout") << 0;
}

void tst_TokenStore::keychainUnavailableFallsBackToKeyFile()
{
#ifndef Q_OS_LINUX
    QSKIP("Needs a keychain that is certainly unavailable: Linux without a D-Bus session");
#else
    if (qgetenv("MCPPROXY_TEST_KEYCHAIN") == "1")
        QSKIP("A keychain is available in this run (MCPPROXY_TEST_KEYCHAIN=1)");
    QFETCH(int, timeoutMs);
    // No session bus and no display: qtkeychain fails (OtherError) without touching any
    // keychain (docs/qt-notes.md); a 0 ms timeout abandons the job before it finishes.
    const QByteArray savedBus = qgetenv("DBUS_SESSION_BUS_ADDRESS");
    const QByteArray savedDisplay = qgetenv("DISPLAY");
    qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/mcpproxy-test-bus");
    qunsetenv("DISPLAY");

    TokenStoreOptions opts = options();
    opts.keyStorage = KeyStorage::Automatic;
    opts.keychainTimeoutMs = timeoutMs;
    opts.keychainService = u"mcp-oauth2-proxy-test"_s;
    opts.keychainKey = u"data-key-test"_s;
    {
        MessageCapture capture;
        TokenStore store(opts);
        QVERIFY(saveNow(store, tokensFor(keyA(), u"a"_s)));
        QVERIFY(saveNow(store, tokensFor(keyA(), u"b"_s)));
        QVERIFY(loadNow(store, keyA()));
        QCOMPARE(store.keyProvider()->source(), DataKeyResult::Source::KeyFile);
        // One warning line that says what the key file protects against.
        QCOMPARE(capture.countWarnings(u"the OS keychain is not available"_s), 1);
        QCOMPARE(capture.countWarnings(u"protects tokens in backups or copies of the token files, "
                                       u"not against programs running as your user"_s),
                1);
        QVERIFY(QFileInfo::exists(m_storeDir + u"/key.v1"_s));
        QTest::qWait(100); // an abandoned job may finish now: nothing happens
    }
    if (savedBus.isNull())
        qunsetenv("DBUS_SESSION_BUS_ADDRESS");
    else
        qputenv("DBUS_SESSION_BUS_ADDRESS", savedBus);
    if (!savedDisplay.isNull())
        qputenv("DISPLAY", savedDisplay);

    // The forced key-file mode reads the same key.
    TokenStore fileOnly(options());
    QVERIFY(loadNow(fileOnly, keyA()));
#endif
}

void tst_TokenStore::keychainRoundTrip()
{
    // CI runs this under dbus-run-session with gnome-keyring-daemon --unlock.
    if (qgetenv("MCPPROXY_TEST_KEYCHAIN") != "1")
        QSKIP("Set MCPPROXY_TEST_KEYCHAIN=1 to use the OS keychain (e.g. dbus-run-session + "
              "gnome-keyring-daemon --unlock); skipped so the developer's keychain stays "
              "untouched");
    const QString service = u"mcp-oauth2-proxy-test"_s;
    const QString entry = u"data-key-test-"_s + QString::number(QCoreApplication::applicationPid());
    QByteArray key;
    {
        KeyProviderOptions opts;
        opts.storage = KeyStorage::KeychainOnly;
        opts.keyFileDirectory = m_storeDir;
        opts.keychainService = service;
        opts.keychainKey = entry;
        KeyProvider provider(opts);
        const DataKeyResult result = obtainNow(provider);
        QVERIFY2(result.ok, qPrintable(result.error));
        QCOMPARE(result.source, DataKeyResult::Source::Keychain);
        QVERIFY(result.created);
        QCOMPARE(result.key.size(), 32);
        key = result.key;
    }
    QVERIFY(!QFileInfo::exists(m_storeDir + u"/key.v1"_s)); // no key file with a keychain

    TokenStoreOptions opts = options();
    opts.keyStorage = KeyStorage::KeychainOnly;
    opts.keychainService = service;
    opts.keychainKey = entry;
    {
        TokenStore store(opts);
        QVERIFY(saveNow(store, tokensFor(keyA(), u"kc"_s)));
        QCOMPARE(store.keyProvider()->source(), DataKeyResult::Source::Keychain);
    }
    {
        TokenStore store(opts);
        const std::optional<StoredTokens> loaded = loadNow(store, keyA());
        QVERIFY(loaded);
        QCOMPARE(loaded->accessToken, tokensFor(keyA(), u"kc"_s).accessToken);
    }
    QVERIFY(!QFileInfo::exists(m_storeDir + u"/key.v1"_s));

    // Clean up the test entry.
    auto *job = new QKeychain::DeletePasswordJob(service);
    job->setKey(entry);
    bool deleted = false;
    QObject context;
    connect(job, &QKeychain::Job::finished, &context,
            [&](QKeychain::Job *finished) { deleted = finished->error() == QKeychain::NoError; });
    job->start();
    QTRY_VERIFY_WITH_TIMEOUT(deleted, WaitMs);
}

void tst_TokenStore::keychainAdoptsKeyFile()
{
    if (qgetenv("MCPPROXY_TEST_KEYCHAIN") != "1")
        QSKIP("Set MCPPROXY_TEST_KEYCHAIN=1 to use the OS keychain");
    // A key file from a time without keychain: adopted, so its entries stay readable.
    TokenStore fileStore(options());
    QVERIFY(saveNow(fileStore, tokensFor(keyA(), u"file"_s)));
    const QByteArray fileKey = readAll(m_storeDir + u"/key.v1"_s);
    QCOMPARE(fileKey.size(), 32);

    TokenStoreOptions opts = options();
    opts.keyStorage = KeyStorage::Automatic;
    opts.keychainService = u"mcp-oauth2-proxy-test"_s;
    opts.keychainKey = uniqueKeychainKey("adopt");
    {
        TokenStore store(opts);
        QVERIFY(loadNow(store, keyA()));
        QCOMPARE(store.keyProvider()->source(), DataKeyResult::Source::Keychain);
    }
    QVERIFY(QFile::remove(m_storeDir + u"/key.v1"_s));
    {
        KeyProviderOptions keyOptions;
        keyOptions.storage = KeyStorage::KeychainOnly;
        keyOptions.keyFileDirectory = m_storeDir;
        keyOptions.keychainService = opts.keychainService;
        keyOptions.keychainKey = opts.keychainKey;
        KeyProvider provider(keyOptions);
        const DataKeyResult result = obtainNow(provider);
        QVERIFY(result.ok);
        QCOMPARE(result.key, fileKey);
        QVERIFY(!result.created);
    }
    QCOMPARE(keychainDelete(opts.keychainService, opts.keychainKey), QKeychain::NoError);
}

void tst_TokenStore::keychainEntryWrongSize()
{
    if (qgetenv("MCPPROXY_TEST_KEYCHAIN") != "1")
        QSKIP("Set MCPPROXY_TEST_KEYCHAIN=1 to use the OS keychain");
    KeyProviderOptions opts;
    opts.storage = KeyStorage::KeychainOnly;
    opts.keyFileDirectory = m_storeDir;
    opts.keychainService = u"mcp-oauth2-proxy-test"_s;
    opts.keychainKey = uniqueKeychainKey("wrong-size");
    QCOMPARE(keychainWrite(opts.keychainService, opts.keychainKey, QByteArray("short")),
            QKeychain::NoError);
    MessageCapture capture;
    KeyProvider provider(opts);
    const DataKeyResult result = obtainNow(provider);
    QVERIFY(result.ok);
    QVERIFY(result.created);
    QCOMPARE(result.key.size(), 32);
    QCOMPARE(capture.countWarnings(u"wrong size"_s), 1);
    KeyProvider again(opts);
    QCOMPARE(obtainNow(again).key, result.key);
    QCOMPARE(keychainDelete(opts.keychainService, opts.keychainKey), QKeychain::NoError);
}

void tst_TokenStore::keychainHangFallsBack()
{
#ifndef Q_OS_LINUX
    QSKIP("libsecret without GLib's event dispatcher: Linux only");
#endif
    if (qgetenv("MCPPROXY_TEST_KEYCHAIN") != "1")
        QSKIP("Set MCPPROXY_TEST_KEYCHAIN=1 to use the OS keychain");
    // docs/qt-notes.md: with QT_NO_GLIB=1 libsecret's jobs never finish. The event dispatcher is
    // chosen at start-up, so the check runs in a child process of this test.
    QProcess child;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(u"QT_NO_GLIB"_s, u"1"_s);
    environment.insert(u"MCPPROXY_TEST_KEYCHAIN_CHILD"_s, u"1"_s);
    child.setProcessEnvironment(environment);
    child.setProcessChannelMode(QProcess::MergedChannels);
    child.start(
            QCoreApplication::applicationFilePath(), QStringList{u"keychainHangFallsBackChild"_s});
    QVERIFY(child.waitForFinished(60000));
    const QByteArray output = child.readAll();
    QVERIFY2(child.exitStatus() == QProcess::NormalExit && child.exitCode() == 0,
            output.constData());
    QVERIFY2(output.contains("PASS   : tst_TokenStore::keychainHangFallsBackChild()"),
            output.constData());
}

void tst_TokenStore::keychainHangFallsBackChild()
{
    if (qgetenv("MCPPROXY_TEST_KEYCHAIN_CHILD") != "1")
        QSKIP("Runs as the child process of keychainHangFallsBack");
    TokenStoreOptions opts = options();
    opts.keyStorage = KeyStorage::Automatic;
    opts.keychainTimeoutMs = 500;
    opts.keychainService = u"mcp-oauth2-proxy-test"_s;
    opts.keychainKey = uniqueKeychainKey("hang");
    MessageCapture capture;
    TokenStore store(opts);
    QVERIFY(saveNow(store, tokensFor(keyA(), u"hang"_s)));
    QVERIFY(loadNow(store, keyA()));
    QCOMPARE(store.keyProvider()->source(), DataKeyResult::Source::KeyFile);
    QCOMPARE(capture.countWarnings(u"did not answer within 500 ms"_s), 1);
}

QTEST_GUILESS_MAIN(tst_TokenStore)
#include "tst_tokenstore.moc"
