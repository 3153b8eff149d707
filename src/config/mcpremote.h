#pragma once

#include <QtCore/QList>
#include <QtCore/QString>

#include <optional>
#include <utility>

// What mcp-remote (npm, 0.15.1) derives from its command line, computed the way it does, so that
// a client registered for mcp-remote and the login mcp-remote stored keep working here
// (README.md, "Switching from mcp-remote"). Pure functions.
namespace McpProxy::McpRemote {

using StringPairs = QList<std::pair<QString, QString>>;

// The inputs of mcp-remote's getServerUrlHash(): the server URL exactly as given, the --resource
// value, the --authorize-param pairs, the --header/--header-file headers before ${VAR} expansion
// (name as written → value), --client-metadata-url and --token-endpoint. Later pairs with the
// same name replace earlier ones, as in a JavaScript object.
struct HashInput
{
    QString serverUrl;
    QString resource;
    StringPairs authorizeParams;
    StringPairs headers;
    QString clientMetadataUrl;
    QString tokenEndpoint;
};

// md5 (hex) of the parts joined by "|": the key of mcp-remote's files in its config directory
// (<dir>/mcp-remote-v1/<hash>_client_info.json, <hash>_tokens.json).
QString serverUrlHash(const HashInput &input);

// mcp-remote's calculateDefaultPort(): 3335 + (first 4 hex digits of the hash) mod 45816.
int defaultCallbackPort(const QString &serverUrlHash);

// JSON.stringify(object, Object.keys(object).sort()) for an object of strings: members sorted by
// UTF-16 code units, later duplicates replacing earlier ones, ECMAScript string escaping.
QString stringifySorted(const StringPairs &members);

// mcp-remote's parseHeaderLine(): /^([A-Za-z0-9_-]+):\s*(.*)$/ (JavaScript \s and `.`); nullopt
// when the line does not match.
std::optional<std::pair<QString, QString>> parseHeaderLine(const QString &line);

// The lines of a --header-file: trimmed; empty lines and lines starting with '#' skipped. Each
// element is (1-based line number, header) or (line number, nullopt) for a line that is not
// "Name: value".
QList<std::pair<int, std::optional<std::pair<QString, QString>>>> parseHeaderFile(
        const QString &text);

// http://<host>:<port><path>, as mcp-remote's buildRedirectUrl() (an IPv6 host in brackets).
QString redirectUri(const QString &host, int port, const QString &callbackPath);

// The callback host mcp-remote registers by default: localhost (127.0.0.1 on Windows).
QString defaultCallbackHost();

inline constexpr QLatin1StringView DefaultCallbackPath{"/oauth/callback"};
// How many ports mcp-remote tries for a callback port it derived (the derived one and the next
// ones, PORT_CANDIDATES), when the first is taken.
inline constexpr int CallbackPortCandidates = 8;
// Paths mcp-remote reserves for coordinating its instances (never a callback path).
inline constexpr QLatin1StringView ReservedCallbackPaths[] = {
        QLatin1StringView("/wait-for-auth"), QLatin1StringView("/.mcp-remote/id")};
// The layout directory under MCP_REMOTE_CONFIG_DIR (default ~/.mcp-auth).
inline constexpr QLatin1StringView StoreLayoutDirectory{"mcp-remote-v1"};

} // namespace McpProxy::McpRemote
