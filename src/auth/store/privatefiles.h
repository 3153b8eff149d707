#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QFileDevice>
#include <QtCore/QString>

#include <functional>
#include <optional>

namespace McpProxy::PrivateFiles {

// Owner-only modes: directories 0700, files 0600. On Windows the same meaning is an owner-only
// access list (privatefiles_win.cpp): a protected DACL granting only the current user, which a
// directory passes on to every file created inside it.
constexpr QFileDevice::Permissions DirectoryPermissions =
        QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner;
constexpr QFileDevice::Permissions FilePermissions =
        QFileDevice::ReadOwner | QFileDevice::WriteOwner;

// Creates `path` (and missing parents with the default mode) and makes `path` itself 0700, also
// when it already existed with a looser mode. False with `error` set when that fails.
bool ensureDirectory(const QString &path, QString *error = nullptr);

// Writes `data` atomically: QSaveFile into a temporary file beside `path`, 0600 before the
// rename, so a reader sees the old file or the new one, never a partial one. `beforeCommit`
// (tests) runs just before the rename; returning false abandons the write like a crash would.
bool writeFile(const QString &path, const QByteArray &data, QString *error = nullptr,
        const std::function<bool()> &beforeCommit = {});

// The file's bytes; nullopt when it does not exist. A file that cannot be read or is larger than
// `maxSize` gives an empty array and sets `error`.
std::optional<QByteArray> readFile(const QString &path, qint64 maxSize, QString *error = nullptr);

// Makes an existing file 0600 when its mode is looser (a copy restored from a backup).
void tightenFile(const QString &path);

// Whether only the current user can access `path`: no group or other mode bits; on Windows a
// protected access list whose only allowing entries are for the current user.
bool isOwnerOnly(const QString &path);

#ifdef Q_OS_WIN
// privatefiles_win.cpp
bool isOwnerOnlyNative(const QString &path);
bool restrictToOwnerNative(const QString &path, bool directory, QString *error);
#endif

} // namespace McpProxy::PrivateFiles
