#pragma once

#include <QtCore/QString>

namespace McpProxy::Test {

// A $BROWSER value that starts mcp-test-browser (testbrowser/main.cpp), which appends each URL it
// is given as one line to `log`. A program, not a script, so that a Windows build runs it too.
inline QString testBrowserCommand(const QString &log)
{
    return u'"' + QStringLiteral(MCPPROXY_TEST_BROWSER) + QStringLiteral("\" --append \"") + log
            + u'"';
}

} // namespace McpProxy::Test
