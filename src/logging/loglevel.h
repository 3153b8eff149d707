#pragma once

namespace McpProxy {

// The reference's levels (pino): trace 10, debug 20, info 30, warn 40, error 50, fatal 60.
enum class LogLevel { Trace, Debug, Info, Warn, Error, Fatal };

} // namespace McpProxy
