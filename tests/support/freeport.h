#pragma once

#include <QtNetwork/QHostAddress>
#include <QtNetwork/QTcpServer>

namespace McpProxy::Test {

// A loopback TCP port that was free a moment ago: the one the kernel picks for a listener that is
// closed again at once (0 when none could be had). Another process may take it meanwhile.
inline quint16 freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

} // namespace McpProxy::Test
