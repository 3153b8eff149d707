#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QJsonObject>
#include <QtCore/QString>

#include <optional>

namespace McpProxy {

// The last InitializeResult (MCP basic/lifecycle "Initialization") a server gave, with the
// protocol version the host asked for, so that a later start can answer the host's initialize
// while a browser login runs.
struct RememberedInitialize
{
    QString requestedVersion; // params.protocolVersion of the host's initialize
    QJsonObject result; // the server's InitializeResult, as it came
};

// One file per server beside the token entries:
//   <directory>/initialize/v1/<first 32 hex of sha256(server URL)>.json
// {"schema":1,"server":"<sha256 of the URL>","requestedProtocolVersion":"…","result":{…}} (the URL
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
