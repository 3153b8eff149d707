#include "auth/store/lockfilequeue.h"

#include "logging/logcategories.h"

#include <QtCore/QDateTime>
#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QLockFile>
#include <QtCore/QTimer>

#include <algorithm>
#include <optional>
#include <utility>

#ifdef Q_OS_WIN
#include <qt_windows.h>
#endif

namespace McpProxy {

namespace {

constexpr int PollIntervalMs = 100;

// Sets the lock file's modification time to now. ExistingOnly: never re-creates a file someone
// removed. On Windows QLockFile keeps its file open sharing only reading (qlockfile_win.cpp), so
// it cannot be opened for writing; opening for its attributes alone is not a sharing conflict.
void renewModificationTime(const QString &lockPath)
{
#ifdef Q_OS_WIN
    const HANDLE handle =
            CreateFileW(reinterpret_cast<LPCWSTR>(QDir::toNativeSeparators(lockPath).utf16()),
                    FILE_WRITE_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                    nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (handle == INVALID_HANDLE_VALUE)
        return;
    FILETIME now;
    GetSystemTimeAsFileTime(&now);
    SetFileTime(handle, nullptr, nullptr, &now);
    CloseHandle(handle);
#else
    QFile file(lockPath);
    if (file.open(QIODevice::ReadWrite | QIODevice::ExistingOnly))
        file.setFileTime(QDateTime::currentDateTimeUtc(), QFileDevice::FileModificationTime);
#endif
}

} // namespace

LockFileQueue::LockFileQueue(int staleLockTimeMs, QObject *parent)
    : QObject(parent)
    , m_staleLockTimeMs(std::max(0, staleLockTimeMs))
{ }

LockFileQueue::~LockFileQueue()
{
    for (const std::shared_ptr<Lock> &lock : std::as_const(m_locks)) {
        if (lock->held)
            lock->file->unlock();
    }
}

std::shared_ptr<LockFileQueue::Lock> LockFileQueue::lockFor(const QString &lockPath)
{
    std::shared_ptr<Lock> &lock = m_locks[lockPath];
    if (!lock) {
        lock = std::make_shared<Lock>();
        lock->file = std::make_unique<QLockFile>(lockPath);
        lock->file->setStaleLockTime(m_staleLockTimeMs);
        lock->poll = new QTimer(this);
        lock->poll->setSingleShot(true);
        lock->poll->setInterval(PollIntervalMs);
        connect(lock->poll, &QTimer::timeout, this, [this, lockPath] { pump(lockPath); });
        lock->heartbeat = new QTimer(this);
        lock->heartbeat->setInterval(std::max(1000, m_staleLockTimeMs / 3));
        // Renew the modification time so other hosts do not see an old (stale) lock.
        connect(lock->heartbeat, &QTimer::timeout, this,
                [lockPath] { renewModificationTime(lockPath); });
    }
    return lock;
}

void LockFileQueue::acquire(
        const QString &lockPath, int timeoutMs, QObject *context, Callback callback)
{
    Q_ASSERT(context);
    const std::shared_ptr<Lock> lock = lockFor(lockPath);
    lock->waiters.append(Waiter{context, std::move(callback),
            timeoutMs < 0 ? QDeadlineTimer(QDeadlineTimer::Forever) : QDeadlineTimer(timeoutMs)});
    schedulePump(lockPath);
}

void LockFileQueue::release(const QString &lockPath)
{
    const auto it = m_locks.constFind(lockPath);
    if (it == m_locks.constEnd() || !(*it)->held) {
        qCWarning(lcAuth, "token store: release of a lock that is not held: %ls",
                qUtf16Printable(QDir::toNativeSeparators(lockPath)));
        return;
    }
    const std::shared_ptr<Lock> &lock = *it;
    lock->heartbeat->stop();
    lock->file->unlock();
    lock->held = false;
    if (!lock->waiters.isEmpty())
        schedulePump(lockPath);
}

bool LockFileQueue::isHeld(const QString &lockPath) const
{
    const auto it = m_locks.constFind(lockPath);
    return it != m_locks.constEnd() && (*it)->held;
}

void LockFileQueue::schedulePump(const QString &lockPath)
{
    // Callbacks always run later, never inside acquire()/release().
    QTimer::singleShot(0, this, [this, lockPath] { pump(lockPath); });
}

void LockFileQueue::pump(const QString &lockPath)
{
    const std::shared_ptr<Lock> lock = lockFor(lockPath);
    lock->waiters.removeIf([](const Waiter &waiter) { return waiter.context.isNull(); });

    std::optional<Waiter> granted;
    QList<Waiter> failed;
    if (!lock->held && !lock->waiters.isEmpty()) {
        if (lock->file->tryLock(0)) {
            lock->held = true;
            if (m_staleLockTimeMs > 0)
                lock->heartbeat->start();
            granted = lock->waiters.takeFirst();
        } else if (lock->file->error() != QLockFile::LockFailedError) {
            qCWarning(lcAuth, "token store: cannot create the lock file %ls (%s)",
                    qUtf16Printable(QDir::toNativeSeparators(lockPath)),
                    lock->file->error() == QLockFile::PermissionError
                            ? "permission denied: check the owner and permissions of the token "
                              "store directory"
                            : "the file system refused it, for example because it is read-only "
                              "or full");
            failed = std::exchange(lock->waiters, {});
        }
        // LockFailedError: held by another process (or a QLockFile outside this queue): wait.
    }
    // Waiters behind another process or behind our own holder give up at their deadline.
    qsizetype expired = 0;
    for (qsizetype i = 0; i < lock->waiters.size();) {
        if (lock->waiters.at(i).deadline.hasExpired()) {
            failed.append(lock->waiters.takeAt(i));
            ++expired;
        } else {
            ++i;
        }
    }
    if (expired > 0) {
        qCWarning(lcAuth, "token store: gave up waiting for the lock %ls",
                qUtf16Printable(QDir::toNativeSeparators(lockPath)));
    }
    if (lock->waiters.isEmpty())
        lock->poll->stop();
    else
        lock->poll->start();

    // Last: a callback may call acquire() or release() again.
    if (granted)
        granted->callback(true);
    for (const Waiter &waiter : std::as_const(failed)) {
        if (!waiter.context.isNull())
            waiter.callback(false);
    }
}

} // namespace McpProxy
