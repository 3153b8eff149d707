#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QDateTime>
#include <QtCore/QJsonObject>
#include <QtCore/QString>

#include <optional>
#include <utility>

namespace McpProxy {

// The last InitializeResult (MCP basic/lifecycle "Initialization") a server gave, with the
// protocol version the host asked for, so that a later start can answer the host's initialize
// while a browser login runs.
struct RememberedInitialize
{
    // Which generation of MCP the server answered in, as upstream.protocol auto found it (MCP
    // 2026-07-28 basic/transports/streamable-http, "Backward Compatibility").
    enum class Era {
        Unknown, // not detected (upstream.protocol legacy or a forced version, or an older file)
        Legacy, // server/discover was not answered as by a modern server: initialize and sessions
        Modern, // server/discover answered (MCP 2026-07-28)
    };

    RememberedInitialize() = default;
    RememberedInitialize(QString requested, QJsonObject initializeResult)
        : requestedVersion(std::move(requested))
        , result(std::move(initializeResult))
    { }

    QString requestedVersion; // params.protocolVersion of the host's initialize
    QJsonObject result; // the server's InitializeResult, as it came
    Era era = Era::Unknown;
    QDateTime eraDetectedAt; // UTC; when the probe last decided `era`

    // How long a detected Legacy era stands in for the server/discover probe: a start within it
    // sends the host's initialize at once (one round trip less), and a server that has moved to
    // MCP 2026-07-28 since is found by the probe after it, or at once when it refuses initialize.
    static constexpr qint64 LegacyEraTrustSeconds = 24 * 3600;
    // Whether `now` may skip the probe on the strength of this record (pure).
    bool skipsProbeAt(const QDateTime &now) const;
};

// One file per server beside the token entries:
//   <directory>/initialize/v1/<first 32 hex of sha256(server URL)>.json
// {"schema":1,"server":"<sha256 of the URL>","requestedProtocolVersion":"…","result":{…},
//  "era":"legacy"|"modern","eraDetectedAt":"<ISO 8601 UTC>"} (the last two optional; the URL
// itself may carry a secret in its query, so only its hash is written). Not sealed like the
// token entries: it holds no credential, and it must be readable at once — an OS keychain may
// take seconds to hand out the data key, longer than a host waits. Like them it is written
// atomically and owner-only (PrivateFiles: 0700 folders, 0600 files), and `logout` deletes it.
// The file must name the server it was read for, else it is ignored; a result larger than
// MaxFileBytes is not kept.
class InitializeResultCache
{
public:
    static constexpr int SchemaVersion = 1;
    static constexpr qint64 MaxFileBytes = 1024 * 1024;

    // `directory`: the token store's directory (TokenStore::directory()).
    InitializeResultCache(const QString &directory, const QString &serverUrl);

    QString filePath() const { return m_path; }

    std::optional<RememberedInitialize> load() const;
    // false (with a warning in the log) when it could not be written.
    bool save(const RememberedInitialize &remembered) const;
    bool remove() const;

    // The pure halves, for tests.
    static QString fileName(const QString &serverUrl);
    static QByteArray encode(const QString &serverUrl, const RememberedInitialize &remembered);
    static std::optional<RememberedInitialize> decode(
            const QString &serverUrl, const QByteArray &bytes);

private:
    QString m_directory;
    QString m_serverUrl;
    QString m_path;
};

} // namespace McpProxy
