#pragma once

#include <QtCore/QDeadlineTimer>
#include <QtCore/QHash>
#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QPointer>
#include <QtCore/QString>

#include <functional>
#include <memory>

class QLockFile;
class QTimer;

namespace McpProxy {

// Cross-process locks on files (TokenStore, KeyProvider), acquired without blocking the event loop:
// each lock path is a QLockFile polled with tryLock(0) from a timer. Waiters of this process queue
// in order and never poll against each other. A crashed holder on this host is taken over at once
// (QLockFile sees its PID gone; flock(2) keeps a live holder's file from being removed); a holder
// elsewhere (network home) when the file is older than `staleLockTimeMs`. While a lock is held
// its file's modification time is renewed every staleLockTimeMs / 3, so a long hold (a browser
// login) is never mistaken for a stale one.
class LockFileQueue : public QObject
{
    Q_OBJECT
public:
    using Callback = std::function<void(bool locked)>;

    // staleLockTimeMs 0: only a dead holder on this host is stale.
    explicit LockFileQueue(int staleLockTimeMs, QObject *parent = nullptr);
    ~LockFileQueue() override; // releases every lock still held

    // `callback` runs exactly once, later, on `context`'s thread: true once this process holds
    // the lock (the caller must release() it), false after `timeoutMs` (< 0: no limit) or when
    // the lock file cannot be created (the directory must exist). Not called when `context` was
    // destroyed first. The lock directory must exist.
    void acquire(const QString &lockPath, int timeoutMs, QObject *context, Callback callback);
    // Releases a lock acquire() gave; the next waiter of this process (if any) gets it.
    void release(const QString &lockPath);
    bool isHeld(const QString &lockPath) const;

private:
    struct Waiter
    {
        QPointer<QObject> context;
        Callback callback;
        QDeadlineTimer deadline;
    };
    struct Lock
    {
        std::unique_ptr<QLockFile> file;
        QTimer *poll = nullptr;
        QTimer *heartbeat = nullptr;
        QList<Waiter> waiters;
        bool held = false;
    };

    std::shared_ptr<Lock> lockFor(const QString &lockPath);
    void schedulePump(const QString &lockPath);
    void pump(const QString &lockPath);

    int m_staleLockTimeMs;
    QHash<QString, std::shared_ptr<Lock>> m_locks;
};

} // namespace McpProxy
