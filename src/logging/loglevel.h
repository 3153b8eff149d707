#pragma once

#include <QtCore/QLatin1String>
#include <QtCore/QStringView>

#include <optional>

namespace McpProxy {

// The reference's levels (pino): trace 10, debug 20, info 30, warn 40, error 50, fatal 60.
enum class LogLevel { Trace, Debug, Info, Warn, Error, Fatal };

// The config spelling (log.level, as in the npm package): lower case, no "silent".
inline QLatin1String logLevelName(LogLevel level)
{
    switch (level) {
    case LogLevel::Trace:
        return QLatin1String("trace");
    case LogLevel::Debug:
        return QLatin1String("debug");
    case LogLevel::Info:
        return QLatin1String("info");
    case LogLevel::Warn:
        return QLatin1String("warn");
    case LogLevel::Error:
        return QLatin1String("error");
    case LogLevel::Fatal:
        return QLatin1String("fatal");
    }
    return QLatin1String("info");
}

// Exact, case-sensitive match as the reference's zod enum; nullopt for anything else.
inline std::optional<LogLevel> logLevelFromName(QStringView name)
{
    for (LogLevel level : {LogLevel::Trace, LogLevel::Debug, LogLevel::Info, LogLevel::Warn,
                 LogLevel::Error, LogLevel::Fatal}) {
        if (name == logLevelName(level))
            return level;
    }
    return std::nullopt;
}

} // namespace McpProxy
