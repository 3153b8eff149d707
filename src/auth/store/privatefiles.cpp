#include "auth/store/privatefiles.h"

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QFileInfo>
#include <QtCore/QSaveFile>

namespace McpProxy::PrivateFiles {

using namespace Qt::StringLiterals;

namespace {

void setError(QString *error, const QString &text)
{
    if (error)
        *error = text;
}

// Only the owner bits we manage; Qt reports ReadUser/WriteUser too, which mirror the owner bits.
constexpr QFileDevice::Permissions GroupOrOther = QFileDevice::ReadGroup | QFileDevice::WriteGroup
        | QFileDevice::ExeGroup | QFileDevice::ReadOther | QFileDevice::WriteOther
        | QFileDevice::ExeOther;

} // namespace

bool ensureDirectory(const QString &path, QString *error)
{
    const QFileInfo info(path);
    if (!info.exists()) {
        const QString parent = info.absolutePath();
        if (!QDir().mkpath(parent)) {
            setError(error,
                    u"cannot create the directory %1"_s.arg(QDir::toNativeSeparators(parent)));
            return false;
        }
        // Created 0700 from the start (QDir::mkdir with permissions, Qt 6.3), no window with the
        // umask's mode. Another process may have created it meanwhile: that is fine.
        if (!QDir().mkdir(info.absoluteFilePath(), DirectoryPermissions)
                && !QFileInfo(path).isDir()) {
            setError(
                    error, u"cannot create the directory %1"_s.arg(QDir::toNativeSeparators(path)));
            return false;
        }
    } else if (!info.isDir()) {
        setError(error, u"%1 exists and is not a directory"_s.arg(QDir::toNativeSeparators(path)));
        return false;
    }
#ifdef Q_OS_WIN
    // Mode bits mean nothing there (Qt maps them to the read-only attribute): the access list.
    return isOwnerOnlyNative(path) || restrictToOwnerNative(path, true, error);
#else
    // Tighten a directory that exists with a looser mode (the reference never did).
    const QFileInfo current(path);
    if ((current.permissions() & GroupOrOther) != 0
            || (current.permissions() & DirectoryPermissions) != DirectoryPermissions) {
        if (!QFile::setPermissions(path, DirectoryPermissions)) {
            setError(error,
                    u"cannot make the directory %1 private (0700)"_s.arg(
                            QDir::toNativeSeparators(path)));
            return false;
        }
    }
    return true;
#endif
}

bool writeFile(const QString &path, const QByteArray &data, QString *error,
        const std::function<bool()> &beforeCommit)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        setError(error,
                u"cannot write %1: %2"_s.arg(QDir::toNativeSeparators(path), file.errorString()));
        return false;
    }
    // setPermissions on a QSaveFile applies to the temporary file: 0600 before any rename.
    if (!file.setPermissions(FilePermissions)) {
        file.cancelWriting();
        setError(error, u"cannot make %1 private (0600)"_s.arg(QDir::toNativeSeparators(path)));
        return false;
    }
    if (file.write(data) != data.size()) {
        const QString reason = file.errorString();
        file.cancelWriting();
        setError(error, u"cannot write %1: %2"_s.arg(QDir::toNativeSeparators(path), reason));
        return false;
    }
    if (beforeCommit && !beforeCommit()) {
        file.cancelWriting();
        setError(error, u"the write of %1 was abandoned"_s.arg(QDir::toNativeSeparators(path)));
        return false;
    }
    if (!file.commit()) {
        setError(error,
                u"cannot write %1: %2"_s.arg(QDir::toNativeSeparators(path), file.errorString()));
        return false;
    }
#ifdef Q_OS_WIN
    // The temporary file inherited its directory's list; one outside a private directory did not.
    if (!isOwnerOnlyNative(path) && !restrictToOwnerNative(path, false, error)) {
        QFile::remove(path);
        return false;
    }
#endif
    return true;
}

std::optional<QByteArray> readFile(const QString &path, qint64 maxSize, QString *error)
{
    QFile file(path);
    if (!file.exists())
        return std::nullopt;
    if (!file.open(QIODevice::ReadOnly)) {
        setError(error,
                u"cannot read %1: %2"_s.arg(QDir::toNativeSeparators(path), file.errorString()));
        return QByteArray();
    }
    if (file.size() > maxSize) {
        setError(error,
                u"%1 is larger than %2 bytes"_s.arg(QDir::toNativeSeparators(path)).arg(maxSize));
        return QByteArray();
    }
    QByteArray data = file.read(maxSize + 1);
    if (data.size() > maxSize) {
        setError(error,
                u"%1 is larger than %2 bytes"_s.arg(QDir::toNativeSeparators(path)).arg(maxSize));
        return QByteArray();
    }
    return data;
}

void tightenFile(const QString &path)
{
    const QFileInfo info(path);
#ifdef Q_OS_WIN
    if (info.exists() && !isOwnerOnlyNative(path))
        restrictToOwnerNative(path, info.isDir(), nullptr);
#else
    if (info.exists() && (info.permissions() & GroupOrOther) != 0)
        QFile::setPermissions(path, FilePermissions);
#endif
}

bool isOwnerOnly(const QString &path)
{
#ifdef Q_OS_WIN
    return isOwnerOnlyNative(path);
#else
    const QFileInfo info(path);
    return info.exists() && (info.permissions() & GroupOrOther) == 0;
#endif
}

} // namespace McpProxy::PrivateFiles
