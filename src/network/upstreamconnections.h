#pragma once

#include "network/tlsconfiguration.h"

#include <QtCore/QByteArray>
#include <QtCore/QElapsedTimer>
#include <QtCore/QObject>
#include <QtCore/QUrl>

#include <array>
#include <memory>
#include <vector>

class QNetworkCookieJar;
class QNetworkReply;
class QNetworkRequest;

namespace McpProxy {

// The connections to the upstream MCP server, shared by every era that talks to it (the stateless
// era's probe and requests, the Streamable HTTP era's POSTs and GET streams), so that a message
// rides whatever connection an earlier one opened:
// - three pools, so that neither can starve the message that would unblock the other: Requests
//   (JSON-RPC requests), Control (notifications, responses, DELETE), Streams (long-lived GETs);
// - warm(): TCP and TLS to the upstream before the host's first message (connectToHost*);
// - Requests grows past Qt's six connections per host and manager (defaultHttpChannelCount in
//   qhttpnetworkconnection.cpp) on HTTP/1.1: a request goes to the first manager of the pool with
//   fewer than six in flight, a new one when all are busy (at most maxRequestManagers), which asks
//   for HTTP/1.1 only so that Qt opens its six connections at once (not one, then five after its
//   ALPN answer), each resuming the shared TLS session. Only for
//   an upstream whose quickest answer so far took at least overflowRoundTripMs: a new connection
//   costs two round trips and a TLS handshake's CPU, which a near upstream never wins back over
//   waiting for one of six busy connections. Once the server has answered over HTTP/2 (ALPN)
//   everything stays on the first manager: one connection multiplexes all requests;
// - one cookie jar for all managers (a load balancer's affinity cookie reaches every connection);
// - one TLS configuration with session persistence on: the channels of one manager share Qt's SSL
//   context and resume its session, and the first session ticket the server sends is handed to
//   every manager's later connections (RFC 8446 section 2.2: resumption skips the certificate
//   exchange; it still takes one round trip). Tickets stay in memory, never on disk.
class UpstreamConnections : public QObject
{
    Q_OBJECT
public:
    enum class Pool { Requests, Control, Streams };
    static constexpr int ConnectionsPerManager = 6; // Qt 6.4, HTTP/1.1, per host and manager

    struct Options
    {
        int maxRequestManagers = 8; // 48 HTTP/1.1 connections for requests
        int overflowRoundTripMs = 5; // see above; 0: always
        bool cookies = true; // upstream.cookies: false, no cookie is stored or sent
        // upstream.connectTimeoutMs / upstream.headersTimeoutMs (PhaseTimeouts); 0: unbounded.
        int connectTimeoutMs = 0;
        int headersTimeoutMs = 0;
    };

    explicit UpstreamConnections(
            const TlsSettings &tls, const Options &options, QObject *parent = nullptr);
    explicit UpstreamConnections(const TlsSettings &tls)
        : UpstreamConnections(tls, Options{})
    { }
    ~UpstreamConnections() override;

    QNetworkReply *post(Pool pool, const QNetworkRequest &request, const QByteArray &body);
    QNetworkReply *get(Pool pool, const QNetworkRequest &request);
    QNetworkReply *deleteResource(Pool pool, const QNetworkRequest &request);

    // The first manager of a pool (ServerEventStream takes a manager).
    QNetworkAccessManager &manager(Pool pool);

    // Opens a connection of each pool to `url`'s origin (Streams only when `streams`): TCP, and
    // TLS for https. Each pool is warmed once; later calls do nothing for it. Over https the
    // Requests pool goes first and the others once its TLS session is up (or an answer came):
    // QNAM does every handshake on its one thread, so three at once would delay the one that
    // carries the first request; the later ones can resume its session.
    void warm(const QUrl &url, bool streams);

    // Diagnostics and tests.
    int requestManagerCount() const { return int(m_requestManagers.size()); }
    bool http2Seen() const { return m_http2; }
    // The jar every manager shares (for the HTTP+SSE era's managers too); null without cookies.
    QNetworkCookieJar *cookieJar() const { return m_options.cookies ? m_cookieJar.get() : nullptr; }
    QByteArray sessionTicket() const { return m_tls.configuration.sessionTicket(); }
    int inFlight(Pool pool) const;
    qint64 quickestAnswerMs() const { return m_quickestAnswerMs; } // -1: none yet

private:
    struct Slot
    {
        std::unique_ptr<TlsNetworkAccessManager> manager;
        int inFlight = 0;
    };

    Slot &pick(Pool pool);
    Slot &addManager(std::vector<Slot> &slots);
    QNetworkReply *track(Slot &slot, QNetworkReply *reply, bool timed);
    void observe(QNetworkReply *reply);

    TlsSettings m_tls;
    const Options m_options;
    QElapsedTimer m_clock;
    qint64 m_quickestAnswerMs = -1; // post/get/delete to finished, any pool but Streams
    // Declared before the managers: they are destroyed first (QNetworkAccessManager keeps a raw
    // pointer to its jar).
    std::unique_ptr<QNetworkCookieJar> m_cookieJar;
    std::vector<Slot> m_requestManagers;
    std::vector<Slot> m_controlManagers; // one
    std::vector<Slot> m_streamManagers; // one
    void warmPool(Pool pool);
    void warmDeferred();

    std::array<bool, 3> m_warmed = {false, false, false};
    QUrl m_warmUrl; // set by warm()
    bool m_warmStreams = false;
    bool m_deferredWarmPending = false; // Control (and Streams) wait for the first session
    bool m_http2 = false;
    bool m_protocolKnown = false;
    bool m_ticketWanted = true; // until a ticket is shared, or the upstream is plain HTTP
};

} // namespace McpProxy
