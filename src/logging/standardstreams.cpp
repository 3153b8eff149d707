#include "logging/standardstreams.h"

#include <QtCore/QByteArray>

#include <cerrno>
#include <cstdio>

#ifdef Q_OS_WIN
#include <qt_windows.h>
#else
#include <unistd.h>
#endif

namespace McpProxy {

#ifdef Q_OS_WIN

namespace {

// WriteConsole: before Windows 8 the characters of one call share a 64 KiB heap, and a larger
// write fails (ERROR_NOT_ENOUGH_MEMORY).
constexpr qsizetype ConsoleChunk = 16384;

bool writeConsole(HANDLE console, QStringView text)
{
    const auto *data = reinterpret_cast<const wchar_t *>(text.utf16());
    qsizetype remaining = text.size();
    while (remaining > 0) {
        qsizetype chunk = qMin(remaining, ConsoleChunk);
        if (chunk < remaining && QChar::isHighSurrogate(data[chunk - 1]))
            --chunk; // a surrogate pair stays in one call
        DWORD written = 0;
        if (!WriteConsoleW(console, data, DWORD(chunk), &written, nullptr) || written == 0)
            return false;
        data += written;
        remaining -= qsizetype(written);
    }
    return true;
}

bool writeBytes(HANDLE handle, const QByteArray &bytes)
{
    const char *data = bytes.constData();
    qsizetype remaining = bytes.size();
    while (remaining > 0) {
        DWORD written = 0;
        if (!WriteFile(handle, data, DWORD(remaining), &written, nullptr))
            return false;
        data += written;
        remaining -= qsizetype(written);
    }
    return true;
}

} // namespace

bool writeText(StandardStream stream, const QString &text)
{
    const bool output = stream == StandardStream::Output;
    std::fflush(output ? stdout : stderr);
    const HANDLE handle = GetStdHandle(output ? STD_OUTPUT_HANDLE : STD_ERROR_HANDLE);
    if (handle == nullptr || handle == INVALID_HANDLE_VALUE)
        return false;
    DWORD mode = 0;
    if (GetConsoleMode(handle, &mode))
        return writeConsole(handle, text);
    return writeBytes(handle, text.toUtf8());
}

#else

bool writeText(StandardStream stream, const QString &text)
{
    const bool output = stream == StandardStream::Output;
    std::fflush(output ? stdout : stderr);
    const QByteArray bytes = text.toUtf8();
    const char *data = bytes.constData();
    qsizetype remaining = bytes.size();
    while (remaining > 0) {
        const ssize_t written =
                ::write(output ? STDOUT_FILENO : STDERR_FILENO, data, size_t(remaining));
        if (written < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        data += written;
        remaining -= written;
    }
    return true;
}

#endif

} // namespace McpProxy
