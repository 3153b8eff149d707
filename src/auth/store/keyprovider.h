#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QPointer>
#include <QtCore/QString>

#include <functional>

namespace QKeychain {
class Job;
}

namespace McpProxy {

class LockFileQueue;

// Where the data key lives (docs/qt-notes.md, "AES-GCM and the OS keychain").
enum class KeyStorage {
    Automatic, // the OS keychain; the key file when the keychain fails or does not answer
    KeychainOnly, // the OS keychain or nothing (tests of the keychain path)
    FileOnly, // the key file, the keychain is never asked (MCP_PROXY_KEYCHAIN=off, tests)
};

struct KeyProviderOptions
{
    KeyStorage storage = KeyStorage::Automatic;
    QString keyFileDirectory; // holds key.v1 and key.v1.lock (the token store directory)
    QString keychainService = QStringLiteral("mcp-oauth2-proxy");
    QString keychainKey = QStringLiteral("data-key-v1");
    int keychainTimeoutMs = 5000; // every keychain job (some never finish)
    int lockTimeoutMs = 10000; // waiting for another process creating the key
    int staleLockTimeMs = 60000;
};

struct DataKeyResult
{
    enum class Source { None, Keychain, KeyFile };

    bool ok = false;
    QByteArray key; // TokenCipher::KeySize bytes when ok; a secret, never log it
    Source source = Source::None;
    bool created = false; // a new key: whatever was sealed before cannot be opened with it
    QString error; // when !ok: English, no secrets
};

// Obtains the 32-byte data key that seals the token store (job style). Keychain (qtkeychain,
// service "mcp-oauth2-proxy", key "data-key-v1"): every job is bounded by keychainTimeoutMs and
// abandoned safely on timeout (qtkeychain 0.13 headless fails with OtherError, and hangs forever
// under QT_NO_GLIB); the key is created and stored when absent. When the keychain fails in
// Automatic mode, the key lives in <keyFileDirectory>/key.v1 (0600, directory 0700, written
// atomically) and one warning line says what that protects against. A key of the wrong size (in
// the keychain or the file) is a warning and a new key: entries sealed before need a fresh login.
// Creating a key is serialised across processes with the lock file key.v1.lock, so instances
// starting together agree on one key. A key file present when the keychain entry is absent is
// adopted into the keychain (the entries it sealed stay readable); the file is left in place.
// The key is obtained once per object and then served from memory.
// Why a keychain job failed, for the log: the qtkeychain error named and explained, with the
// job's own text when it says more than "Unknown error" (qtkeychain's text when, for example,
// libsecret is not installed). `error` is a QKeychain::Error.
QString describeKeychainError(int error, const QString &errorString);

class KeyProvider : public QObject
{
    Q_OBJECT
public:
    using Callback = std::function<void(const DataKeyResult &)>;

    static QString keyFileName() { return QStringLiteral("key.v1"); }

    explicit KeyProvider(const KeyProviderOptions &options, QObject *parent = nullptr);
    ~KeyProvider() override;

    // `callback` runs exactly once, later, on `context`'s thread (this object's thread); not
    // when `context` or this object was destroyed first. Concurrent calls share one lookup.
    void obtainKey(QObject *context, Callback callback);

    QString keyFilePath() const;
    // The outcome of the last lookup (Source::None before the first one finished).
    DataKeyResult::Source source() const { return m_result.source; }

private:
    struct Waiter
    {
        QPointer<QObject> context;
        Callback callback;
    };
    using JobDone = std::function<void(QKeychain::Job *job)>; // nullptr: timed out

    void start();
    void runKeychainJob(QKeychain::Job *job, const JobDone &done);
    void readKeychain(const JobDone &done);
    void onFirstRead(QKeychain::Job *job);
    void keychainUnavailable(const QString &problem);
    void createInKeychain();
    void writeKeychain(const QByteArray &key, bool created);
    void useKeyFile(const QString &keychainProblem);
    void createKeyFile();
    QByteArray readValidKeyFile(bool *wrongSize = nullptr) const;
    void warnFallback(const QString &keychainProblem);
    void finish(const DataKeyResult &result);
    void fail(const QString &error);
    QString lockPath() const;

    KeyProviderOptions m_options;
    LockFileQueue *m_locks;
    QList<Waiter> m_waiters;
    DataKeyResult m_result;
    QByteArray m_pendingKey; // a new key the keychain may still store after a timeout
    bool m_running = false;
    bool m_done = false;
    bool m_locked = false;
    bool m_keychainBroken = false; // a job timed out: qtkeychain runs jobs one by one, later ones
                                   // would wait behind it
    bool m_warned = false;
};

} // namespace McpProxy
