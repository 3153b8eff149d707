#pragma once

#include "mcp/inputrequiredbridge.h"
#include "mcp/toolheadercatalogue.h"
#include "network/upstreamconnections.h"
#include "transport/sseparser.h"
#include "transport/upstreamera.h"

#include <QtCore/QByteArray>
#include <QtCore/QHash>
#include <QtCore/QJsonObject>
#include <QtCore/QList>
#include <QtCore/QPointer>
#include <QtCore/QString>
#include <QtCore/QStringList>
#include <QtCore/QTimer>
#include <QtCore/QUrl>
#include <QtNetwork/QNetworkRequest>

#include <functional>
#include <map>
#include <memory>
#include <utility>

namespace McpProxy {

class HttpExchange;

// The client side of the stateless MCP 2026-07-28 Streamable HTTP transport
// (basic/transports/streamable-http): one POST per request, JSON or SSE replies, no session id,
// no GET stream, no DELETE, no JSON-RPC responses upstream. Every POST carries the request
// metadata headers (MCP-Protocol-Version equal to _meta io.modelcontextprotocol/protocolVersion,
// Mcp-Method, Mcp-Name).
//
// Two kinds of host:
// - A host of an earlier revision (it sends initialize): its initialize is answered from
//   server/discover, every request gets the _meta the revision requires (protocolVersion, the
//   host's clientCapabilities and clientInfo, the log level it set), and methods the revision
//   removed are answered or dropped here (basic/versioning, deprecated).
// - A host that speaks 2026-07-28 itself (server/discover, or _meta protocolVersion without
//   initialize): its requests pass as they are, with the headers added.
// subscriptions/listen (a POST stream) replaces the GET stream.
class StatelessHttpEra : public UpstreamEra
{
    Q_OBJECT
public:
    enum class Detection {
        Required, // a server that does not answer server/discover as a modern one is an error
        FallBack, // ... hands the host's initialize over (legacyServerDetected())
    };
    struct Options
    {
        QUrl url;
        int timeoutMs = 300000; // inactivity on a POST exchange (upstream.timeoutMs)
        bool openServerStream = true; // subscriptions/listen for list changes and updates
        QList<std::pair<QByteArray, QByteArray>> headers; // static headers, never logged
        TlsSettings tls; // the system CAs and the CA bundle (tlsSettings())
        // Shared with the other eras of the same upstream; empty: the era makes its own.
        std::shared_ptr<UpstreamConnections> connections;
        Detection detection = Detection::Required;
        int listenRetryMs = 1000; // subscriptions/listen reconnection: first delay
        int maxBackoffMs = 30000; // ... and its cap
        int reissueDelayMs = 250; // a request whose response stream broke: first re-issue delay
    };

    // Re-issues of one request after its response stream broke (doubling delays).
    static constexpr int MaxReissues = 2;
    // tools/list pages read for one re-listing after -32020 (a hostile cursor chain ends here).
    static constexpr int MaxRelistPages = 100;

    explicit StatelessHttpEra(const Options &options, QObject *parent = nullptr);
    ~StatelessHttpEra() override;

    void send(Handle handle, const QByteArray &body, const JsonRpcMessage &message) override;
    void resend(Handle handle) override;
    void abort(Handle handle) override;
    void openServerStream() override;
    void closeServerStream() override;
    void setAuthorizationHeader(const QByteArray &value) override { m_authorization = value; }
    // The version the host negotiated with us; the wire version is the era's own.
    void setProtocolVersion(const QString &) override { }
    void forgetSession() override { }
    QByteArray sessionId() const override { return QByteArray(); }
    void endSession() override;

    // The version on the wire (MCP-Protocol-Version and _meta); empty before server/discover.
    QString wireVersion() const { return m_wireVersion; }

Q_SIGNALS:
    // Detection::FallBack: server/discover was not answered as by a modern server. The era has
    // forgotten `handle` (the host's initialize); whoever listens sends it on another era.
    void legacyServerDetected(McpProxy::UpstreamEraListener::Handle handle, const QByteArray &body,
            const McpProxy::JsonRpcMessage &message);
    // server/discover was answered as by a modern server (before the host's initialize is).
    void modernServerDetected();

private:
    // One message on its way (or answered here).
    struct Pending
    {
        enum class Kind { Local, Probe, Request };
        enum class State {
            Posting, // its POST (or a continuation's) runs
            Waiting, // challenged: resend() or abort() follows
            AwaitingHost, // input_required: the host answers the bridge's requests
            Relisting, // -32020 on tools/call: waits for the re-listing, then its one retry
            Reissuing, // its response stream broke: re-issued under a new id after a delay
        };
        Kind kind = Kind::Request;
        State state = State::Posting;
        QByteArray hostBody; // as the host wrote it
        JsonRpcMessage message;
        QJsonObject request; // the JSON-RPC request as it goes upstream
        QString version; // MCP-Protocol-Version of the next POST
        QPointer<HttpExchange> exchange;
        int retries = 0; // corrected re-sends after -32022
        bool headerRetried = false; // the one corrected re-send after -32020
        QByteArray mismatchAnswer; // the server's -32020 for the host if the retry cannot happen
        int reissues = 0; // re-issues after a broken response stream
        bool asWritten = false; // the host's bytes go upstream unchanged (a 2026-07-28 host)
        int hostWaits = 0; // rounds that waited for the host (its deadline's generation)
        bool responded = false;
    };

    enum class HostMode {
        Unknown, // nothing seen yet
        Bridged, // sent initialize: the proxy speaks the modern revision on its behalf
        PassThrough, // speaks the modern revision itself
    };

    void startProbe(Handle handle);
    void post(Handle handle);
    QNetworkRequest buildRequest(const QJsonObject &request, const QString &version) const;
    void handleEvents(Handle handle, const QList<SseEvent> &events);
    void handleFinished(Handle handle);
    // A JSON-RPC message of `handle`'s exchange; true when it was the final response.
    bool handleServerMessage(Handle handle, const QByteArray &bytes);
    bool handleResponse(Handle handle, const QJsonObject &response, const QByteArray &bytes);
    void finishProbe(Handle handle, int httpStatus, const QByteArray &answer);
    void answerLocally(Handle handle, const QByteArray &line);
    // Applies one step of the multi round-trip bridge to the host request `handle`; true when
    // the request got its final answer (the caller reports it delivered).
    bool applyBridgeStep(Handle handle, const InputRequiredBridge::Step &step);
    void handleHostResponse(Handle handle, const QByteArray &body);
    Handle handleOf(const QString &hostIdKey) const;
    void deliverToHost(const QByteArray &line);
    void succeed(Handle handle, int httpStatus);
    void fail(Handle handle, const TransportError &error);
    // basic/transports/streamable-http "Client Behavior": after -32020 for tools/call, list the
    // tools again, then retry once with the headers the new declarations give.
    void relistTools(Handle handle, const QJsonObject &error);
    void postToolsListPage(const QString &cursor);
    void keepToolsListAnswer(const QByteArray &bytes);
    void handleToolsListPage();
    void finishRelisting(bool listed);
    // changelog (SEP-2575): a broken response stream loses the request; it is re-issued as a new
    // request with a new id (a JSON body that broke off likewise). False when the bound is reached.
    bool reissue(Handle handle);
    void forget(Handle handle);
    Pending *find(Handle handle);

    QJsonObject prepareRequest(const QJsonObject &hostRequest) const;
    QString requestVersion(const QJsonObject &request) const;
    QJsonObject requestMeta(const QString &version) const;
    QByteArray filterToolsList(
            const QJsonObject &response, const QByteArray &bytes, bool firstPage);

    void startListening();
    void scheduleListen();
    void handleListenEvents(const QList<SseEvent> &events);
    void restartListening();
    void handleListenFinished();

    Options m_options;
    QByteArray m_userAgent;
    std::shared_ptr<UpstreamConnections>
            m_connections; // requests on Requests, listening on Streams
    std::map<Handle, Pending> m_pending;
    QByteArray m_authorization;
    bool m_ended = false;

    HostMode m_hostMode = HostMode::Unknown;
    QString m_wireVersion;
    QJsonObject m_hostCapabilities;
    QJsonObject m_hostInfo;
    QString m_logLevel; // logging/setLevel of a bridged host, sent per request in _meta
    QJsonObject m_discover; // the server's DiscoverResult
    int m_probeCount = 0;
    // name → the x-mcp-header parameters of the tool: (header name, property path)
    ToolHeaderCatalogue m_tools; // x-mcp-header declarations from tools/list
    InputRequiredBridge m_bridge; // multi round-trip requests of a bridged host
    QHash<QString, QString> m_bridgeRequests; // id key of a request to the host → its flow
    QStringList m_resourceSubscriptions; // resources/subscribe of a bridged host
    int m_ownIdCount = 0; // ids of re-issued requests and of the proxy's own tools/list

    // The one re-listing of the tools at a time; every -32020 waits for it.
    struct ToolRelisting
    {
        QPointer<HttpExchange> exchange;
        QList<Handle> waiters;
        QString version; // MCP-Protocol-Version (and _meta) of its requests
        QString cursor; // of the page being read; empty: the first
        QString requestId;
        QJsonObject answer; // the page's response, once it arrived
        int pages = 0;
    };
    ToolRelisting m_relisting;

    // subscriptions/listen
    bool m_listenWanted = false;
    QPointer<HttpExchange> m_listen;
    QTimer m_listenTimer;
    int m_listenBackoffMs = 0;
    int m_listenCount = 0;
};

} // namespace McpProxy
