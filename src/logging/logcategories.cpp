#include "logging/logcategories.h"

Q_LOGGING_CATEGORY(lcApp, "mcpproxy.app")
Q_LOGGING_CATEGORY(lcConfig, "mcpproxy.config")
Q_LOGGING_CATEGORY(lcStdio, "mcpproxy.stdio")
Q_LOGGING_CATEGORY(lcTransport, "mcpproxy.transport")
Q_LOGGING_CATEGORY(lcNetwork, "mcpproxy.network")
Q_LOGGING_CATEGORY(lcBridge, "mcpproxy.bridge")
Q_LOGGING_CATEGORY(lcAuth, "mcpproxy.auth")
