#pragma once

#include "auth/authorizationmanager.h"
#include "auth/store/initializeresultcache.h"
#include "bridge/proxysession.h"
#include "config/proxyconfig.h"
#include "network/upstreamconnections.h"
#include "stdio/stdiochannel.h"
#include "transport/fallbackera.h"
#include "transport/streamablehttpera.h"
#include "transport/upstreamera.h"
#include "transport/upstreamsession.h"

#include <QtCore/QDateTime>
#include <QtCore/QObject>
#include <QtCore/QTimer>

#include <memory>
#include <optional>

namespace McpProxy {

class DetectingEra;
class SignalWatcher;
class StdinReader;

// The composition root: builds every component once, wires their signals, and turns the end of
// input, a termination signal or a vanished host into an orderly shutdown and an exit code.
class ProxyApplication : public QObject
{
    Q_OBJECT
public:
    explicit ProxyApplication(const ProxyConfig &config, QObject *parent = nullptr);

    void start();

    // Where and how tokens are stored (oauth2.tokenCacheDir, MCP_PROXY_KEYCHAIN), from the config.
    static TokenStoreOptions tokenStoreOptions(const ProxyConfig &config);

Q_SIGNALS:
    void finished(int exitCode);

private:
    // The system CAs and the CA bundle, read once (a bundle without a certificate is logged).
    static TlsSettings tlsSettingsOf(const ProxyConfig &config);
    static StreamableHttpEra::Options transportOptions(
            const ProxyConfig &config, const TlsSettings &tls);
    // The era strategy upstream.protocol and upstream.transport name (docs/architecture.md,
    // "Era strategies"); FallbackEra owns any switch between Streamable HTTP and HTTP+SSE,
    // DetectingEra the one between MCP 2026-07-28 and the earlier eras.
    // `detecting`: set to the DetectingEra of upstream.protocol auto, if there is one.
    static std::unique_ptr<UpstreamEra> createEra(const ProxyConfig &config, const TlsSettings &tls,
            const std::shared_ptr<UpstreamConnections> &connections, DetectingEra **detecting);
    // Whether the first message goes out as a Streamable HTTP POST (every upstream.protocol and
    // upstream.transport but an HTTP+SSE start), so start() warms the shared connections.
    static bool startsWithStreamableHttp(const ProxyConfig &config);
    static UpstreamSession::Options sessionOptions(const ProxyConfig &config);
    static UpstreamConnections::Options connectionOptions(const ProxyConfig &config);
    void beginShutdown(int graceMs, const char *why);
    void shutDownTransport();

    ProxyConfig m_config;
    TlsSettings m_tls; // of every connection, the MCP traffic's and AuthorizationManager's
    StdioChannel m_stdio;
    ProxySession m_session;
    // The connections to the upstream, shared by the eras of m_http.
    std::shared_ptr<UpstreamConnections> m_connections;
    DetectingEra *m_detecting = nullptr; // owned by m_http's era; set while m_http is built
    UpstreamSession m_http;
    AuthorizationManager m_auth;
    InitializeResultCache m_initializeCache;
    std::optional<RememberedInitialize> m_remembered;
    // What upstream.protocol auto found in this run (or the remembered era while no probe ran).
    RememberedInitialize::Era m_era = RememberedInitialize::Era::Unknown;
    QDateTime m_eraDetectedAt;
    QTimer m_graceTimer;
    StdinReader *m_stdin = nullptr;
    SignalWatcher *m_signals = nullptr;
    bool m_shuttingDown = false;
    bool m_transportShutDown = false;
};

} // namespace McpProxy
