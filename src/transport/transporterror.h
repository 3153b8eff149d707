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

    static TransportError upstreamStatus(int status, const QByteArray &bodyExcerpt);
    static TransportError timeout(int timeoutMs);
    static TransportError network(const QString &reason, const QString &code);
    static TransportError streamEnded(const QString &reason);
    static TransportError invalidResponse(const QString &reason, const QString &code = QString());
    static TransportError shutdown();
    static TransportError authorization(int status, const QString &whatToDo);

    Kind kind = Kind::Network;
    int httpStatus = 0;
    int timeoutMs = 0; // Timeout: the inactivity limit that passed
    QByteArray body; // bounded excerpt of an error body
    QString reason; // English, for data.reason and the log
    QString code; // e.g. "ConnectionRefusedError"; omitted from data when empty

    // {"jsonrpc":"2.0","id":<rawId>,"error":{"code":…,"message":"mcp-oauth2-proxy: …","data":{…}}}
    QByteArray toErrorResponse(QByteArrayView rawId) const;
    QString describe() const; // one line for the log
};

} // namespace McpProxy
