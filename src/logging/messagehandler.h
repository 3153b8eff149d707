#pragma once

#include "logging/loglevel.h"

#include <QtCore/QString>

namespace McpProxy {

class Redactor;

// Installs the process-wide Qt message handler (qInstallMessageHandler is global by Qt's design:
// the one deliberate global of the program). Every message is filtered by level, passed through
// the redactor and written to stderr, or appended to logFile when set (created 0600).
// stdout is never touched. Trace enables the mcpproxy.wire category (message bodies, redacted).
struct LogOptions
{
    LogLevel level = LogLevel::Info;
    QString logFile;
};

// Returns false (and keeps logging to stderr) when the log file cannot be opened; errorString
// then says why.
bool installMessageHandler(const LogOptions &options, const Redactor &redactor,
                           QString *errorString = nullptr);
// Adds a secret to the installed handler's redactor (e.g. a token obtained at run time).
void addLogSecret(const QString &value);
// Formats one line the way the handler writes it (exposed for tests).
QString formatLogLine(QtMsgType type, const char *category, const QString &message);

} // namespace McpProxy
