#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QFileDevice>
#include <QtCore/QString>

#include <functional>
#include <optional>

namespace McpProxy::PrivateFiles {

// Owner-only modes (issue 4 §1: directories 0700, files 0600). On Windows these map to the
// owner's read/write flags only; ACLs are inherited from the profile directory.
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

} // namespace McpProxy::PrivateFiles
