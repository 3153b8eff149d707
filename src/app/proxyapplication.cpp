#include "app/proxyapplication.h"

#include "app/signalwatcher.h"
#include "logging/logcategories.h"
#include "network/tlsconfiguration.h"
#include "stdio/stdinreader.h"
#include "transport/detectingera.h"
#include "transport/statelesshttpera.h"

#include <QtCore/QFile>

#include <memory>
#include <utility>

namespace McpProxy {

namespace {
// How long in-flight requests may still finish after stdin closed / after SIGINT or SIGTERM.
constexpr int EndOfInputGraceCapMs = 30000;
constexpr int SignalGraceMs = 2000;
} // namespace

ProxyApplication::ProxyApplication(const ProxyConfig &config, QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_tls(tlsSettingsOf(config))
    , m_stdio(StdoutWriter::standardOutput(), config.maxLineBytes)
    , m_session(ToolFilter(config.tools.allow, config.tools.deny))
    , m_connections(std::make_shared<UpstreamConnections>(m_tls, connectionOptions(config)))
    , m_http(createEra(config, m_tls, m_connections, &m_detecting), sessionOptions(config))
    , m_auth(config, tokenStoreOptions(config), m_tls)
    , m_initializeCache(config.oauth2.tokenCacheDir.isEmpty() ? TokenStore::defaultDirectory()
                                                              : config.oauth2.tokenCacheDir,
              config.upstream.url.toString())
{
    m_graceTimer.setSingleShot(true);
    m_stdin = StdinReader::create(this);
    m_signals = SignalWatcher::create(this);

    connect(m_stdin, &StdinReader::chunkReceived, &m_stdio, &StdioChannel::feed);
    connect(m_stdin, &StdinReader::endOfInput, &m_stdio, &StdioChannel::finishInput);
    connect(&m_stdio, &StdioChannel::lineReceived, &m_session, &ProxySession::routeClientLine);
    connect(&m_stdio, &StdioChannel::lineTooLong, &m_session, &ProxySession::rejectOverlongLine);
    connect(&m_session, &ProxySession::serverBoundMessage, &m_http, &UpstreamSession::send);
    connect(&m_session, &ProxySession::cancelRequested, &m_http, &UpstreamSession::cancel);
    connect(&m_http, &UpstreamSession::messageReceived, &m_session, &ProxySession::routeServerLine);
    connect(&m_http, &UpstreamSession::requestFailed, &m_session,
            [this](const QString &, const QByteArray &errorResponse) {
                m_session.routeServerLine(errorResponse);
            });
    connect(&m_session, &ProxySession::clientBoundMessage, &m_stdio, &StdioChannel::send);
    connect(&m_http, &UpstreamSession::authorizationRequired, &m_auth,
            [this](const QByteArray &wwwAuthenticate, int httpStatus) {
                m_session.authorizationStarted();
                m_auth.setProtocolVersion(m_http.protocolVersion());
                m_auth.authorize(wwwAuthenticate, httpStatus);
            });
    connect(&m_auth, &AuthorizationManager::authorizationHeaderChanged, &m_http,
            &UpstreamSession::setAuthorizationHeader);
    connect(&m_auth, &AuthorizationManager::authorizationFinished, &m_http,
            &UpstreamSession::finishAuthorization);
    // A host that gave up on a list while it waited is told to list again (ProxySession).
    connect(&m_auth, &AuthorizationManager::authorizationFinished, &m_session,
            &ProxySession::authorizationFinished);
    connect(&m_auth, &AuthorizationManager::renewalPointChanged, &m_http,
            &UpstreamSession::setRenewalPoint);
    connect(&m_auth, &AuthorizationManager::interactiveLoginStarted, &m_http,
            &UpstreamSession::extendAuthorizationDeadline);
    connect(&m_http, &UpstreamSession::initializeResultReceived, this,
            [this](const QString &requestedVersion, const QJsonObject &result) {
                if (m_remembered && m_remembered->requestedVersion == requestedVersion
                        && m_remembered->result == result && m_remembered->era == m_era
                        && m_remembered->eraDetectedAt == m_eraDetectedAt)
                    return;
                m_remembered = RememberedInitialize{requestedVersion, result};
                m_remembered->era = m_era;
                m_remembered->eraDetectedAt = m_eraDetectedAt;
                m_initializeCache.save(*m_remembered);
            });
    if (m_detecting) {
        // Kept with the initialize result (written when that comes), for the next start.
        connect(m_detecting, &DetectingEra::eraDetected, this, [this](bool legacy) {
            m_era = legacy ? RememberedInitialize::Era::Legacy : RememberedInitialize::Era::Modern;
            m_eraDetectedAt = QDateTime::currentDateTimeUtc();
        });
    }

    connect(&m_stdio, &StdioChannel::inputClosed, this, [this] {
        beginShutdown(qMin(m_config.upstream.timeoutMs, EndOfInputGraceCapMs), "stdin closed");
    });
    connect(&m_stdio, &StdioChannel::outputClosed, this,
            [this] { beginShutdown(0, "stdout closed"); });
    connect(m_signals, &SignalWatcher::terminationRequested, this, [this](const QString &name) {
        qCInfo(lcApp).noquote() << "received" << name;
        if (m_shuttingDown)
            shutDownTransport(); // a second signal: stop waiting
        else
            beginShutdown(SignalGraceMs, "signal");
    });
    connect(&m_http, &UpstreamSession::idle, this, [this] {
        if (m_shuttingDown)
            shutDownTransport();
    });
    connect(&m_graceTimer, &QTimer::timeout, this, &ProxyApplication::shutDownTransport);
    connect(&m_http, &UpstreamSession::shutdownFinished, this, [this] {
        const auto exit = [this, done = std::make_shared<bool>(false)] {
            if (std::exchange(*done, true))
                return;
            qCInfo(lcApp) << "exiting";
            Q_EMIT finished(0);
        };
        if (m_auth.pendingStoreWrites() == 0) {
            exit();
            return;
        }
        // Tokens obtained just before the end must reach the store (bounded wait).
        connect(&m_auth, &AuthorizationManager::storeWritesDone, this, exit);
        QTimer::singleShot(5000, this, exit);
    });
}

UpstreamSession::Options ProxyApplication::sessionOptions(const ProxyConfig &config)
{
    UpstreamSession::Options options;
    options.protocolVersion = config.upstream.protocolVersion;
    options.authorizationAvailable = true; // AuthorizationManager answers every round
    options.pingIntervalMs = config.upstream.pingIntervalMs;
    return options;
}

TlsSettings ProxyApplication::tlsSettingsOf(const ProxyConfig &config)
{
    QString warning;
    TlsSettings tls = tlsSettings(config.upstream.caBundle, &warning);
    if (!warning.isEmpty())
        qCWarning(lcApp).noquote() << warning;
    return tls;
}

StreamableHttpEra::Options ProxyApplication::transportOptions(
        const ProxyConfig &config, const TlsSettings &tls)
{
    StreamableHttpEra::Options options;
    options.url = config.upstream.url;
    options.timeoutMs = config.upstream.timeoutMs;
    options.openServerStream = config.upstream.openServerStream;
    options.headers = config.upstream.headers;
    options.tls = tls;
    return options;
}

UpstreamConnections::Options ProxyApplication::connectionOptions(const ProxyConfig &config)
{
    UpstreamConnections::Options options;
    options.cookies = config.upstream.cookies;
    options.connectTimeoutMs = config.upstream.connectTimeoutMs;
    options.headersTimeoutMs = config.upstream.headersTimeoutMs;
    return options;
}

std::unique_ptr<UpstreamEra> ProxyApplication::createEra(const ProxyConfig &config,
        const TlsSettings &tls, const std::shared_ptr<UpstreamConnections> &connections,
        DetectingEra **detecting)
{
    // The earlier eras, by upstream.transport: Streamable HTTP (MCP 2025-03-26 … 2025-11-25),
    // HTTP with SSE (MCP 2024-11-05), or one with the other as its fallback (FallbackEra).
    StreamableHttpEra::Options http = transportOptions(config, tls);
    // The server/discover probe, initialize and what follows ride the same connections
    // (docs/performance.md, "Connections").
    http.connections = connections;
    LegacySseEra::Options sse;
    sse.url = http.url;
    sse.timeoutMs = http.timeoutMs;
    sse.headers = http.headers;
    sse.tls = http.tls;
    sse.cookieJar = connections->cookieJar();
    sse.connectTimeoutMs = config.upstream.connectTimeoutMs;
    sse.headersTimeoutMs = config.upstream.headersTimeoutMs;
    UpstreamTransport transport = UpstreamTransport::HttpFirst;
    switch (config.upstream.transport) {
    case ProxyConfig::Transport::HttpFirst:
        break;
    case ProxyConfig::Transport::SseFirst:
        transport = UpstreamTransport::SseFirst;
        break;
    case ProxyConfig::Transport::HttpOnly:
        transport = UpstreamTransport::HttpOnly;
        break;
    case ProxyConfig::Transport::SseOnly:
        transport = UpstreamTransport::SseOnly;
        break;
    }
    if (config.upstream.protocol == ProxyConfig::Protocol::Legacy)
        return createUpstreamEra(transport, http, sse);

    StatelessHttpEra::Options modern;
    modern.url = http.url;
    modern.timeoutMs = http.timeoutMs;
    modern.openServerStream = http.openServerStream;
    modern.headers = http.headers;
    modern.tls = http.tls;
    modern.connections = connections;
    if (config.upstream.protocol == ProxyConfig::Protocol::Stateless)
        return std::make_unique<StatelessHttpEra>(modern);
    // auto: the server/discover probe is a Streamable HTTP POST; a transport that starts with
    // (or is only) HTTP with SSE has no MCP 2026-07-28 server to find.
    if (transport == UpstreamTransport::SseFirst || transport == UpstreamTransport::SseOnly)
        return createUpstreamEra(transport, http, sse);
    modern.detection = StatelessHttpEra::Detection::FallBack;
    auto era = std::make_unique<DetectingEra>(
            std::make_unique<StatelessHttpEra>(modern), createUpstreamEra(transport, http, sse));
    *detecting = era.get();
    return era;
}

bool ProxyApplication::startsWithStreamableHttp(const ProxyConfig &config)
{
    return config.upstream.protocol == ProxyConfig::Protocol::Stateless
            || (config.upstream.transport != ProxyConfig::Transport::SseFirst
                    && config.upstream.transport != ProxyConfig::Transport::SseOnly);
}

TokenStoreOptions ProxyApplication::tokenStoreOptions(const ProxyConfig &config)
{
    TokenStoreOptions options;
    options.directory = config.oauth2.tokenCacheDir;
    if (!config.oauth2.useKeychain)
        options.keyStorage = KeyStorage::FileOnly;
    // Siblings wait for a login in progress at least as long as the login itself may take.
    options.lockTimeoutMs = (config.oauth2.callbackTimeoutSeconds + 30) * 1000;
    return options;
}

void ProxyApplication::start()
{
    qCInfo(lcApp).noquote() << "mcp-oauth2-proxy" << MCPPROXY_VERSION << "started; upstream"
                            << m_config.upstream.url.toDisplayString(
                                       QUrl::RemoveUserInfo | QUrl::RemoveQuery);
    if (standardInputIsTerminal()) {
        qCWarning(lcApp) << "stdin is a terminal: paste one JSON-RPC message per line "
                            "(an MCP host normally starts this program)";
    }
    // A first start whose browser login outlasts the host's patience gets its initialize
    // answered from what this server said last time (UpstreamSession).
    m_remembered = m_initializeCache.load();
    if (m_remembered) {
        m_http.setRememberedInitialize(m_remembered->requestedVersion, m_remembered->result);
        m_era = m_remembered->era;
        m_eraDetectedAt = m_remembered->eraDetectedAt;
        // upstream.protocol auto against a server found legacy within the last day: initialize
        // goes out without the server/discover probe (one round trip less to "ready").
        if (m_detecting && m_remembered->skipsProbeAt(QDateTime::currentDateTimeUtc()))
            m_detecting->setSkipProbe(true);
    }
    // TCP and TLS to the upstream while the host is still writing initialize (and while a stored
    // token is loaded): the first message then finds a warm connection.
    if (startsWithStreamableHttp(m_config))
        m_connections->warm(m_config.upstream.url, m_config.upstream.openServerStream);
    if (m_auth.holdsMessagesAtStart()) {
        // Stored tokens are loaded, and with a grant configured a token is obtained, while stdin
        // is already being read; messages wait for it in order (never blocking the reader).
        m_http.holdForAuthorization();
        m_session.authorizationStarted();
        m_auth.start();
    }
    m_stdin->start();
}

void ProxyApplication::beginShutdown(int graceMs, const char *why)
{
    if (m_shuttingDown)
        return;
    m_shuttingDown = true;
    qCInfo(lcApp).noquote() << "shutting down:" << why << "with" << m_http.pendingRequestCount()
                            << "request(s) in flight";
    if (m_http.pendingRequestCount() == 0 || graceMs <= 0) {
        shutDownTransport();
        return;
    }
    m_graceTimer.start(graceMs);
}

void ProxyApplication::shutDownTransport()
{
    if (m_transportShutDown)
        return;
    m_transportShutDown = true;
    m_graceTimer.stop();
    m_http.shutdown();
}

} // namespace McpProxy
