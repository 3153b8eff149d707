#pragma once

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

// Applies it when `reply` may have opened a connection: when its TLS handshake is done
// (QNetworkReply::encrypted) and when its response headers arrive. Both are queued from QNAM's
// thread, so the first request on a new connection may still be sent before; every later one on
// that connection is not held back. Call for every reply of the proxy's network managers.
void watch(QNetworkReply *reply);

// Whether the socket `descriptor` has TCP_NODELAY (tests and diagnostics).
bool hasNoDelay(long long descriptor);

} // namespace McpProxy::LowDelaySockets
