#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QByteArrayView>
#include <QtCore/QString>

namespace McpProxy {

// Why an upstream exchange could not produce the response a client request is owed. Turned into
// the JSON-RPC error the client receives, in the npm package's codes and shapes
// (-32001 for an upstream HTTP error, -32000 for a timeout or failure).
struct TransportError
{
    enum class Kind {
        HttpStatus, // non-2xx after retries: -32001 "upstream returned <status>"
        Timeout, // no byte for upstream.timeoutMs: -32000 "upstream timed out after <ms> ms"
        Network, // connection refused, DNS, TLS, reset: -32000 "upstream request failed"
        StreamEnded, // the SSE stream ended before the response and resumption gave up
        InvalidResponse, // 2xx without a usable JSON-RPC response
        Shutdown, // the proxy is shutting down
        Authorization // no usable token: -32001 "authorization failed: <what to do>"
    };

    Kind kind = Kind::Network;
    int httpStatus = 0;
    QByteArray body; // bounded excerpt of an error body
    QString reason; // English, for data.reason and the log
    QString code; // e.g. "ConnectionRefusedError"; omitted from data when empty

    // {"jsonrpc":"2.0","id":<rawId>,"error":{"code":…,"message":"mcp-oauth2-proxy: …","data":{…}}}
    QByteArray toErrorResponse(QByteArrayView rawId, int timeoutMs) const;
    QString describe() const; // one line for the log
};

} // namespace McpProxy
