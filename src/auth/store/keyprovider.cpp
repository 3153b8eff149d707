#include "auth/store/keyprovider.h"

#include "auth/store/lockfilequeue.h"
#include "auth/store/privatefiles.h"
#include "auth/store/tokencipher.h"
#include "logging/logcategories.h"

#include <QtCore/QDir>
#include <QtCore/QTimer>

#include <qt6keychain/keychain.h>

#include <memory>
#include <utility>

namespace McpProxy {

using namespace Qt::StringLiterals;

namespace {

constexpr qint64 MaxKeyFileSize = 4096; // anything larger is not our key file

QString protectionNote()
{
    return u"this protects tokens in backups or copies of the token files, not against programs "
           u"running as your user"_s;
}

// What the user can do about a keychain that does not work, per platform.
QString keychainRemedy()
{
#if defined(Q_OS_MACOS)
    return u"unlock the login keychain, or set MCP_PROXY_KEYCHAIN=off to use the key file "
           u"without this warning"_s;
#elif defined(Q_OS_WIN)
    return u"check that the Credential Manager is available to this user, or set "
           u"MCP_PROXY_KEYCHAIN=off to use the key file without this warning"_s;
#else
    return u"to use the keychain, run a Secret Service (GNOME Keyring, KWallet) in a desktop "
           u"session with D-Bus and libsecret installed; or set MCP_PROXY_KEYCHAIN=off to use "
           u"the key file without this warning"_s;
#endif
}

} // namespace

QString describeKeychainError(int error, const QString &errorString)
{
    QString what;
    switch (static_cast<QKeychain::Error>(error)) {
    case QKeychain::NoBackendAvailable:
        what = u"no keychain backend is available"_s;
        break;
    case QKeychain::AccessDenied:
    case QKeychain::AccessDeniedByUser:
        what = u"access to the keychain was denied"_s;
        break;
    case QKeychain::NotImplemented:
        what = u"the keychain does not support this request"_s;
        break;
    case QKeychain::EntryNotFound:
        what = u"the keychain entry was not found"_s;
        break;
    case QKeychain::CouldNotDeleteEntry:
        what = u"the keychain entry could not be deleted"_s;
        break;
    case QKeychain::NoError:
    case QKeychain::OtherError:
        // qtkeychain without a Secret Service (no libsecret, no D-Bus session) ends up here.
        what = u"the keychain failed (no Secret Service, D-Bus session or keychain daemon "
               u"answered)"_s;
        break;
    }
    const QString text = errorString.trimmed();
    if (!text.isEmpty() && text.compare(u"Unknown error"_s, Qt::CaseInsensitive) != 0)
        what += u": "_s + text;
    return what;
}

KeyProvider::KeyProvider(const KeyProviderOptions &options, QObject *parent)
    : QObject(parent)
    , m_options(options)
    , m_locks(new LockFileQueue(options.staleLockTimeMs, this))
{ }

KeyProvider::~KeyProvider()
{
    TokenCipher::cleanse(m_result.key);
    TokenCipher::cleanse(m_pendingKey);
}

QString KeyProvider::keyFilePath() const
{
    return QDir(m_options.keyFileDirectory).filePath(keyFileName());
}

QString KeyProvider::lockPath() const
{
    return keyFilePath() + u".lock"_s;
}

void KeyProvider::obtainKey(QObject *context, Callback callback)
{
    Q_ASSERT(context);
    if (m_done) {
        const DataKeyResult result = m_result;
        QTimer::singleShot(
                0, context, [result, callback = std::move(callback)] { callback(result); });
        return;
    }
    m_waiters.append(Waiter{context, std::move(callback)});
    if (!m_running) {
        m_running = true;
        // Later, so that no callback runs inside obtainKey().
        QTimer::singleShot(0, this, &KeyProvider::start);
    }
}

void KeyProvider::start()
{
    if (m_options.storage == KeyStorage::FileOnly) {
        useKeyFile(QString());
        return;
    }
    if (m_keychainBroken) {
        keychainUnavailable(u"an earlier keychain request did not finish"_s);
        return;
    }
    readKeychain([this](QKeychain::Job *job) { onFirstRead(job); });
}

void KeyProvider::runKeychainJob(QKeychain::Job *job, const JobDone &done)
{
    // The job has no parent and deletes itself when it finishes (autoDelete). On timeout it is
    // abandoned, not deleted: it may still finish later (its signal is then disconnected), or
    // never (QT_NO_GLIB), which leaks one small object rather than risking a crash inside
    // qtkeychain's backend callbacks.
    job->setAutoDelete(true);
    auto *timer = new QTimer(this);
    timer->setSingleShot(true);
    auto settled = std::make_shared<bool>(false);
    auto connection = std::make_shared<QMetaObject::Connection>();
    *connection = connect(job, &QKeychain::Job::finished, this,
            [settled, timer, done](QKeychain::Job *finishedJob) {
                if (std::exchange(*settled, true))
                    return;
                timer->stop();
                timer->deleteLater();
                done(finishedJob);
            });
    connect(timer, &QTimer::timeout, this, [this, settled, connection, timer, done] {
        if (std::exchange(*settled, true))
            return;
        disconnect(*connection);
        timer->deleteLater();
        m_keychainBroken = true;
        done(nullptr);
    });
    timer->start(m_options.keychainTimeoutMs);
    job->start();
}

void KeyProvider::readKeychain(const JobDone &done)
{
    auto *job = new QKeychain::ReadPasswordJob(m_options.keychainService);
    job->setKey(m_options.keychainKey);
    runKeychainJob(job, done);
}

void KeyProvider::onFirstRead(QKeychain::Job *job)
{
    if (!job) {
        keychainUnavailable(
                u"the keychain did not answer within %1 ms"_s.arg(m_options.keychainTimeoutMs));
        return;
    }
    switch (job->error()) {
    case QKeychain::NoError: {
        QByteArray key = static_cast<QKeychain::ReadPasswordJob *>(job)->binaryData();
        if (key.size() == TokenCipher::KeySize) {
            finish(DataKeyResult{true, key, DataKeyResult::Source::Keychain, false, QString()});
        } else {
            qCWarning(lcAuth,
                    "token store: the keychain entry %ls/%ls has the wrong size (%lld bytes); "
                    "storing a new key (stored tokens then need a fresh login)",
                    qUtf16Printable(m_options.keychainService),
                    qUtf16Printable(m_options.keychainKey), static_cast<long long>(key.size()));
            createInKeychain();
        }
        TokenCipher::cleanse(key);
        return;
    }
    case QKeychain::EntryNotFound:
        createInKeychain();
        return;
    default:
        keychainUnavailable(describeKeychainError(job->error(), job->errorString()));
        return;
    }
}

void KeyProvider::keychainUnavailable(const QString &problem)
{
    if (m_options.storage == KeyStorage::KeychainOnly) {
        fail(u"the OS keychain is not available (%1)"_s.arg(problem));
        return;
    }
    useKeyFile(problem);
}

void KeyProvider::createInKeychain()
{
    auto create = [this] {
        // Under the lock: another instance may have stored a key meanwhile (read again).
        readKeychain([this](QKeychain::Job *job) {
            if (!job) {
                keychainUnavailable(u"the keychain did not answer within %1 ms"_s.arg(
                        m_options.keychainTimeoutMs));
                return;
            }
            if (job->error() == QKeychain::NoError) {
                QByteArray key = static_cast<QKeychain::ReadPasswordJob *>(job)->binaryData();
                if (key.size() == TokenCipher::KeySize) {
                    finish(DataKeyResult{
                            true, key, DataKeyResult::Source::Keychain, false, QString()});
                    TokenCipher::cleanse(key);
                    return;
                }
                TokenCipher::cleanse(key);
            } else if (job->error() != QKeychain::EntryNotFound) {
                keychainUnavailable(describeKeychainError(job->error(), job->errorString()));
                return;
            }
            // A key file from a time the keychain was unavailable: adopt it so the entries it
            // sealed stay readable.
            QByteArray key = readValidKeyFile();
            const bool created = key.isEmpty();
            if (created)
                key = TokenCipher::generateKey();
            if (key.isEmpty()) {
                fail(u"cannot generate a random key"_s);
                return;
            }
            if (!created) {
                qCInfo(lcAuth, "token store: storing the key of %ls in the OS keychain",
                        qUtf16Printable(QDir::toNativeSeparators(keyFilePath())));
            }
            writeKeychain(key, created);
            TokenCipher::cleanse(key);
        });
    };
    QString error;
    if (!PrivateFiles::ensureDirectory(m_options.keyFileDirectory, &error)) {
        // No lock without the directory; the keychain alone still works.
        qCWarning(lcAuth, "token store: %ls", qUtf16Printable(error));
        create();
        return;
    }
    m_locks->acquire(lockPath(), m_options.lockTimeoutMs, this, [this, create](bool locked) {
        m_locked = locked;
        create();
    });
}

void KeyProvider::writeKeychain(const QByteArray &key, bool created)
{
    m_pendingKey = key;
    auto *job = new QKeychain::WritePasswordJob(m_options.keychainService);
    job->setKey(m_options.keychainKey);
    job->setBinaryData(key);
    runKeychainJob(job, [this, created](QKeychain::Job *finishedJob) {
        if (!finishedJob) {
            keychainUnavailable(
                    u"the keychain did not answer within %1 ms"_s.arg(m_options.keychainTimeoutMs));
            return;
        }
        if (finishedJob->error() != QKeychain::NoError) {
            keychainUnavailable(
                    describeKeychainError(finishedJob->error(), finishedJob->errorString()));
            return;
        }
        finish(DataKeyResult{
                true, m_pendingKey, DataKeyResult::Source::Keychain, created, QString()});
    });
}

QByteArray KeyProvider::readValidKeyFile(bool *wrongSize) const
{
    if (wrongSize)
        *wrongSize = false;
    QString error;
    std::optional<QByteArray> data = PrivateFiles::readFile(keyFilePath(), MaxKeyFileSize, &error);
    if (!data)
        return QByteArray();
    if (data->size() != TokenCipher::KeySize || !error.isEmpty()) {
        if (wrongSize)
            *wrongSize = true;
        TokenCipher::cleanse(*data);
        return QByteArray();
    }
    return *data;
}

void KeyProvider::warnFallback(const QString &keychainProblem)
{
    if (std::exchange(m_warned, true))
        return;
    const QString path = QDir::toNativeSeparators(keyFilePath());
    if (keychainProblem.isEmpty()) {
        qCInfo(lcAuth,
                "token store: the OS keychain is disabled; the token encryption key is "
                "kept in %ls (0600): %ls",
                qUtf16Printable(path), qUtf16Printable(protectionNote()));
    } else {
        // One line: what failed and why, where the key is, what that protects against, and
        // what the user can do.
        qCWarning(lcAuth,
                "token store: the OS keychain is not available (%ls); the token encryption key "
                "is kept in %ls (0600): %ls; %ls",
                qUtf16Printable(keychainProblem), qUtf16Printable(path),
                qUtf16Printable(protectionNote()), qUtf16Printable(keychainRemedy()));
    }
}

void KeyProvider::useKeyFile(const QString &keychainProblem)
{
    warnFallback(keychainProblem);
    QString error;
    if (!PrivateFiles::ensureDirectory(m_options.keyFileDirectory, &error)) {
        fail(error);
        return;
    }
    QByteArray key = readValidKeyFile();
    if (!key.isEmpty()) {
        PrivateFiles::tightenFile(keyFilePath());
        finish(DataKeyResult{true, key, DataKeyResult::Source::KeyFile, false, QString()});
        TokenCipher::cleanse(key);
        return;
    }
    if (m_locked) {
        createKeyFile();
        return;
    }
    m_locks->acquire(lockPath(), m_options.lockTimeoutMs, this, [this](bool locked) {
        // Without the lock (timeout) still go on: a key is better than none.
        m_locked = locked;
        createKeyFile();
    });
}

void KeyProvider::createKeyFile()
{
    bool wrongSize = false;
    QByteArray key = readValidKeyFile(&wrongSize);
    if (!key.isEmpty()) { // another instance created it while we waited for the lock
        finish(DataKeyResult{true, key, DataKeyResult::Source::KeyFile, false, QString()});
        TokenCipher::cleanse(key);
        return;
    }
    if (wrongSize) {
        qCWarning(lcAuth,
                "token store: the key file %ls is damaged (wrong size); writing a new key "
                "(stored tokens then need a fresh login)",
                qUtf16Printable(QDir::toNativeSeparators(keyFilePath())));
    }
    // The key a timed-out keychain write may still store: the same key in both places.
    key = m_pendingKey.isEmpty() ? TokenCipher::generateKey() : m_pendingKey;
    if (key.isEmpty()) {
        fail(u"cannot generate a random key"_s);
        return;
    }
    QString error;
    if (!PrivateFiles::writeFile(keyFilePath(), key, &error)) {
        TokenCipher::cleanse(key);
        fail(error);
        return;
    }
    finish(DataKeyResult{true, key, DataKeyResult::Source::KeyFile, true, QString()});
    TokenCipher::cleanse(key);
}

void KeyProvider::fail(const QString &error)
{
    qCWarning(lcAuth, "token store: no encryption key: %ls", qUtf16Printable(error));
    finish(DataKeyResult{false, QByteArray(), DataKeyResult::Source::None, false, error});
}

void KeyProvider::finish(const DataKeyResult &result)
{
    if (std::exchange(m_locked, false))
        m_locks->release(lockPath());
    TokenCipher::cleanse(m_pendingKey);
    m_running = false;
    // A failure is not remembered: the next obtainKey() tries again.
    m_done = result.ok;
    m_result = result;
    const QList<Waiter> waiters = std::exchange(m_waiters, {});
    const QPointer<KeyProvider> self(this);
    for (const Waiter &waiter : waiters) {
        if (waiter.context.isNull())
            continue;
        waiter.callback(result);
        if (self.isNull()) // a callback destroyed us
            return;
    }
}

} // namespace McpProxy
