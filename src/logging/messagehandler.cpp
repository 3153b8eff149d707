#include "logging/messagehandler.h"

#include "logging/redactor.h"
#include "logging/standardstreams.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QDateTime>
#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QFileInfo>
#include <QtCore/QLoggingCategory>
#include <QtCore/QMutex>

#include <cerrno>
#include <cstring>
#include <memory>

#ifdef Q_OS_WIN
#include <io.h>
#else
#include <sys/stat.h>
#include <unistd.h>
#endif

using namespace Qt::StringLiterals;

namespace McpProxy {

namespace {

// The one deliberate global of the program (see messagehandler.h).
struct HandlerState
{
    QMutex mutex;
    Redactor redactor;
    LogLevel level = LogLevel::Info;
    std::unique_ptr<QFile> file; // null: stderr
    QtMessageHandler previous = nullptr;
    bool installed = false;
};

HandlerState &handlerState()
{
    static HandlerState state;
    return state;
}

// QtMsgType is not ordered by severity (QtInfoMsg came last).
int severity(QtMsgType type)
{
    switch (type) {
    case QtDebugMsg:
        return 0;
    case QtInfoMsg:
        return 1;
    case QtWarningMsg:
        return 2;
    case QtCriticalMsg:
        return 3;
    case QtFatalMsg:
        return 4;
    }
    return 4;
}

int minimumSeverity(LogLevel level)
{
    switch (level) {
    case LogLevel::Trace:
    case LogLevel::Debug:
        return 0;
    case LogLevel::Info:
        return 1;
    case LogLevel::Warn:
        return 2;
    case LogLevel::Error:
        return 3;
    case LogLevel::Fatal:
        return 4;
    }
    return 1;
}

QLatin1String levelWord(QtMsgType type, const char *category)
{
    switch (type) {
    case QtDebugMsg:
        return qstrcmp(category, "mcpproxy.wire") == 0 ? "TRACE"_L1 : "DEBUG"_L1;
    case QtInfoMsg:
        return "INFO "_L1;
    case QtWarningMsg:
        return "WARN "_L1;
    case QtCriticalMsg:
        return "ERROR"_L1;
    case QtFatalMsg:
        return "FATAL"_L1;
    }
    return "INFO "_L1;
}

// One write() per line so lines of concurrent writers (and processes) never interleave; the
// loop only continues after a partial write or EINTR.
void writeAll(int handle, const QByteArray &bytes)
{
    const char *data = bytes.constData();
    qsizetype remaining = bytes.size();
    while (remaining > 0) {
#ifdef Q_OS_WIN
        const int written = ::_write(handle, data, static_cast<unsigned int>(remaining));
#else
        const ssize_t written = ::write(handle, data, static_cast<size_t>(remaining));
#endif
        if (written < 0) {
            if (errno == EINTR)
                continue;
            return; // nowhere left to report it
        }
        data += written;
        remaining -= written;
    }
}

void handleMessage(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    // A message raised while writing one (by Qt itself) would deadlock on the mutex: drop it.
    thread_local bool busy = false;
    if (busy)
        return;
    busy = true;
    HandlerState &state = handlerState();
    {
        QMutexLocker locker(&state.mutex);
        if (severity(type) >= minimumSeverity(state.level)) {
            const QString line =
                    formatLogLine(type, context.category, state.redactor.redact(message)) + u'\n';
            if (state.file)
                writeAll(state.file->handle(), line.toUtf8());
            // The reason for an abort must be visible even when logging to a file.
            if (!state.file || type == QtFatalMsg)
                writeText(StandardStream::Error, line);
        }
    }
    busy = false;
    // Qt itself aborts after the handler returns for QtFatalMsg (qt_message_fatal).
}

// A log file that already existed keeps its mode when opened, so one left readable by others
// (or restored from a backup) would expose the log. Checked on the open descriptor (no race with
// a rename): a regular file owned by another user is refused, a looser mode becomes 0600. Other
// kinds of files (/dev/stderr, a FIFO, a terminal) are left as they are. Returns the problem, or
// an empty string. On Windows the file inherits the ACL of its directory.
QString makeOwnerOnly(const QFile &file)
{
#ifdef Q_OS_UNIX
    struct stat status = {};
    if (::fstat(file.handle(), &status) != 0 || !S_ISREG(status.st_mode))
        return QString();
    if (status.st_uid != ::geteuid()) {
        return QCoreApplication::translate("McpProxy::Logging",
                "the file belongs to another user (uid %1); use a file of your own")
                .arg(status.st_uid);
    }
    if ((status.st_mode & (S_IRWXG | S_IRWXO | S_IXUSR)) != 0
            && ::fchmod(file.handle(), S_IRUSR | S_IWUSR) != 0) {
        return QCoreApplication::translate(
                "McpProxy::Logging", "cannot make it readable by its owner only: %1")
                .arg(QString::fromLocal8Bit(std::strerror(errno)));
    }
#else
    Q_UNUSED(file);
#endif
    return QString();
}

} // namespace

QString logFilterRules(LogLevel level)
{
    // Later rules win (QLoggingCategory::setFilterRules). mcpproxy.wire carries message bodies
    // and is on at trace only.
    QStringList rules = {u"*.debug=false"_s};
    if (level == LogLevel::Trace || level == LogLevel::Debug)
        rules << u"mcpproxy.*.debug=true"_s;
    if (level == LogLevel::Debug)
        rules << u"mcpproxy.wire.debug=false"_s;
    // Qt's own categories from warnings up only.
    rules << u"qt.*.debug=false"_s << u"qt.*.info=false"_s;
    if (minimumSeverity(level) >= 2)
        rules << u"*.info=false"_s;
    if (minimumSeverity(level) >= 3)
        rules << u"*.warning=false"_s;
    if (minimumSeverity(level) >= 4)
        rules << u"*.critical=false"_s;
    // Qt 6.4 logs the generated authorization URL here, state and code challenge included: always
    // off.
    rules << u"qt.networkauth.debug=false"_s << u"qt.networkauth.*.debug=false"_s;
    return rules.join(u'\n');
}

QString formatLogLine(QtMsgType type, const char *category, const QString &message)
{
    const char *categoryName = (category && *category) ? category : "default";
    QString text = message;
    while (text.endsWith(u'\n') || text.endsWith(u'\r'))
        text.chop(1);
    if (text.contains(u'\n') || text.contains(u'\r'))
        text.replace(u"\r"_s, u"\\r"_s).replace(u"\n"_s, u"\\n"_s);
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs) + u' '
            + levelWord(type, categoryName) + u" ["_s + QLatin1String(categoryName) + u"] "_s
            + text;
}

bool installMessageHandler(
        const LogOptions &options, const Redactor &redactor, QString *errorString)
{
    bool ok = true;
    std::unique_ptr<QFile> file;
    if (!options.logFile.isEmpty()) {
        const QFileInfo info(options.logFile);
        file = std::make_unique<QFile>(options.logFile);
        if (!info.absoluteDir().exists()) {
            if (errorString) {
                *errorString = QCoreApplication::translate("McpProxy::Logging",
                        "cannot open log file \"%1\": directory \"%2\" does not exist")
                                       .arg(options.logFile,
                                               QDir::toNativeSeparators(info.absolutePath()));
            }
            file.reset();
            ok = false;
        } else if (!file->open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Unbuffered,
                           QFileDevice::ReadOwner | QFileDevice::WriteOwner)) {
            if (errorString) {
                *errorString = QCoreApplication::translate(
                        "McpProxy::Logging", "cannot open log file \"%1\": %2")
                                       .arg(options.logFile, file->errorString());
            }
            file.reset();
            ok = false;
        } else if (const QString problem = makeOwnerOnly(*file); !problem.isEmpty()) {
            if (errorString) {
                *errorString = QCoreApplication::translate(
                        "McpProxy::Logging", "cannot use log file \"%1\": %2")
                                       .arg(options.logFile, problem);
            }
            file.reset();
            ok = false;
        }
    }

    HandlerState &state = handlerState();
    {
        QMutexLocker locker(&state.mutex);
        state.level = options.level;
        state.redactor = redactor;
        state.file = std::move(file);
    }
    QLoggingCategory::setFilterRules(logFilterRules(options.level));
    if (!state.installed) {
        state.previous = qInstallMessageHandler(handleMessage);
        state.installed = true;
    }
    return ok;
}

void uninstallMessageHandler()
{
    HandlerState &state = handlerState();
    if (!state.installed)
        return;
    qInstallMessageHandler(state.previous);
    QLoggingCategory::setFilterRules(QString());
    QMutexLocker locker(&state.mutex);
    state.installed = false;
    state.previous = nullptr;
    state.file.reset();
    state.redactor = Redactor();
    state.level = LogLevel::Info;
}

void addLogSecret(const QString &value)
{
    HandlerState &state = handlerState();
    QMutexLocker locker(&state.mutex);
    state.redactor.addSecret(value);
}

} // namespace McpProxy
