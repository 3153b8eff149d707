#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QJsonObject>
#include <QtCore/QString>
#include <QtCore/QStringList>

namespace McpProxy::EraDetection {

// The stateless revision the proxy speaks upstream (MCP 2026-07-28).
inline constexpr char ModernVersion[] = "2026-07-28";
// Revisions with initialize and sessions that a host may negotiate with the proxy, newest first.
QStringList legacyVersions();

// MCP 2026-07-28 error codes (basic/index, "Error Codes").
enum ModernErrorCode : int {
    HeaderMismatch = -32020,
    MissingRequiredClientCapability = -32021,
    UnsupportedProtocolVersion = -32022,
};

// What one answer to the server/discover probe says about the server (MCP 2026-07-28
// basic/transports/streamable-http, "Backward Compatibility"; basic/versioning).
struct Verdict
{
    enum class Kind {
        Modern, // the server speaks `version`; `discover` is its DiscoverResult
        Retry, // a modern server asks for another version (or a corrected request): `version`
        Legacy, // not a recognised modern answer: fall back to initialize
    };
    Kind kind = Kind::Legacy;
    QString version;
    QJsonObject discover;
    QString reason; // for the log: why Legacy
};

// `body` is the JSON-RPC message that answered the probe (already taken out of an SSE stream),
// or empty; `httpStatus` the HTTP status. `sentVersion` the version the probe carried.
Verdict classifyDiscoverAnswer(int httpStatus, const QByteArray &body, const QString &sentVersion);

// The newest version of `offered` the proxy speaks upstream; empty when none.
QString chooseModernVersion(const QStringList &offered);

// The host's initialize result built from a DiscoverResult: the host's own protocol version when
// the proxy bridges it (else the newest legacy one), the server's capabilities, serverInfo (from
// the result or its _meta "io.modelcontextprotocol/serverInfo") and instructions.
QJsonObject initializeResultFor(const QJsonObject &discover, const QString &hostVersion);

} // namespace McpProxy::EraDetection
