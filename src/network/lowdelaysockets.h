#pragma once

#include <memory>

class QNetworkReply;

namespace McpProxy::LowDelaySockets {

// TCP_NODELAY for the connections QNetworkAccessManager opens. QNAM exposes no socket options, and
// Qt 6.4 never sets QAbstractSocket::LowDelayOption on its HTTP channels (the call is commented out
// in qhttpnetworkconnectionchannel.cpp, _q_connected()), so over HTTP/2 Nagle's algorithm holds
// the second frame of each request until the peer's delayed ACK: about 40 ms per request. The
// sockets live in QNAM's HTTP thread, out of reach, so this works on the process's descriptors:
// every TCP socket without TCP_NODELAY gets it. One setsockopt() on a socket that another thread
// uses is safe, the option stays for the life of the connection, and sockets that already have
// it (a Qt that sets it, our own listeners) are left alone.

// Sets TCP_NODELAY on every IPv4/IPv6 TCP socket of this process that lacks it; returns how many
// were changed. Linux (/proc/self/fd) and other Unix systems with /dev/fd; 0 elsewhere.
int applyToProcess();

// Applies it when a reply of one network manager may have opened a connection, and only then
// (a scan costs a few system calls per descriptor; doing it for every reply showed in the CPU per
// call). Qt announces a new connection with QNetworkReply::socketStartedConnecting (Qt 6.3,
// queued from QNAM's thread, on the reply it expects to send first, not always the one that
// is: qhttpnetworkconnectionchannel.cpp, ensureConnection()). So: scan on that signal; the
// socket may not exist yet while a host name is resolved, so also at the next response headers
// of the manager's replies (QNetworkReply::metaDataChanged); and when a TLS handshake is done
// (QNetworkReply::encrypted). The first request on a new connection may still be sent before;
// every later one is not held back. One Watcher per manager; call watch() for each of its replies.
class Watcher
{
public:
    void watch(QNetworkReply *reply);

private:
    // Response headers that still scan after a connection was announced; shared with the
    // replies' handlers, which may outlive the watcher.
    std::shared_ptr<int> m_scansOwed = std::make_shared<int>(0);
};

// Whether the socket `descriptor` has TCP_NODELAY (tests and diagnostics).
bool hasNoDelay(long long descriptor);

} // namespace McpProxy::LowDelaySockets
