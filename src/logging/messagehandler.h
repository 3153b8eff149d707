#pragma once

#include "logging/loglevel.h"

#include <QtCore/QString>
#include <QtCore/QtGlobal>

namespace McpProxy {

class Redactor;

// Installs the process-wide Qt message handler (qInstallMessageHandler is global by Qt's design:
// the one deliberate global of the program). Every message is filtered by level, passed through
// the redactor and written as one line to stderr (writeText(), standardstreams.h), or appended
// to logFile (UTF-8, one write() per line) when set (created 0600, an existing file made 0600,
// one owned by another user refused; its directory must exist). stdout is never touched.
// Thread-safe.
// Level mapping (the npm package's pino levels): trace/debug show debug messages of mcpproxy.*
// (trace also mcpproxy.wire, the message bodies), info shows info and up, warn warnings, error
// criticals, fatal only fatals. Qt's own categories (qt.*) show from warnings up; qt.networkauth.*
// debug is always off (6.4 logs the authorization URL there). Fatal messages still abort, as Qt
// does.
struct LogOptions
{
    LogLevel level = LogLevel::Info;
    QString logFile;
};

// Returns false (and keeps logging to stderr) when the log file cannot be opened; errorString
// then says why. May be called again to change the options; the redactor is copied.
bool installMessageHandler(
        const LogOptions &options, const Redactor &redactor, QString *errorString = nullptr);
// Restores the handler that was active before the first installMessageHandler() and closes the
// log file (tests; the program keeps its handler until exit).
void uninstallMessageHandler();
// Adds a secret to the installed handler's redactor (e.g. a token obtained at run time).
void addLogSecret(const QString &value);
// Formats one line the way the handler writes it (exposed for tests), without the newline and
// without redaction: `2026-11-26T10:00:00.123Z INFO  [mcpproxy.transport] text`. Line breaks in
// the message are written as \n so one message stays one line.
QString formatLogLine(QtMsgType type, const char *category, const QString &message);
// The QLoggingCategory filter rules installMessageHandler() sets for a level.
QString logFilterRules(LogLevel level);

} // namespace McpProxy
