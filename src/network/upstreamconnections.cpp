#include "network/upstreamconnections.h"

#include <QtNetwork/QNetworkCookieJar>
#include <QtNetwork/QNetworkReply>
#include <QtNetwork/QNetworkRequest>

namespace McpProxy {

using namespace Qt::StringLiterals;

namespace {

std::size_t index(UpstreamConnections::Pool pool)
{
    return std::size_t(pool);
}

} // namespace

UpstreamConnections::UpstreamConnections(
        const TlsSettings &tls, const Options &options, QObject *parent)
    : QObject(parent)
    , m_tls(tls)
    , m_options(options)
    , m_cookieJar(std::make_unique<QNetworkCookieJar>())
{
    m_clock.start();
    // Qt keeps a session (and a TLS 1.3 ticket) only with persistence on; it is off by default
    // (QSslConfiguration::defaultConfiguration(), SslOptionDisableSessionPersistence).
    m_tls.configuration.setSslOption(QSsl::SslOptionDisableSessionPersistence, false);
    // A warm-up connection (connectToHostEncrypted) may speak HTTP/2 only when the configuration
    // offers it by ALPN (qnetworkaccessmanager.cpp); otherwise it is not the connection that the
    // requests, which allow HTTP/2 by default in Qt 6, would use.
    m_tls.configuration.setAllowedNextProtocols(
            {QSslConfiguration::ALPNProtocolHTTP2, QSslConfiguration::NextProtocolHttp1_1});
    addManager(m_requestManagers);
    addManager(m_controlManagers);
    addManager(m_streamManagers);
}

UpstreamConnections::~UpstreamConnections()
{
    // The managers go first (they abort what is still running), then the jar they point to.
    m_requestManagers.clear();
    m_controlManagers.clear();
    m_streamManagers.clear();
}

UpstreamConnections::Slot &UpstreamConnections::addManager(std::vector<Slot> &slots)
{
    Slot slot;
    slot.manager = std::make_unique<TlsNetworkAccessManager>();
    slot.manager->setTlsSettings(m_tls);
    // Redirects never carry our headers to another origin; every request of the eras also sets
    // its own policy (docs/qt-notes.md).
    slot.manager->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
    // One jar for all (shareCookieJar() keeps it from being deleted by the manager).
    slot.manager->shareCookieJar(cookieJar());
    slot.manager->setPhaseTimeouts(m_options.connectTimeoutMs, m_options.headersTimeoutMs);
    // A manager added for the overflow of an HTTP/1.1 server (pick() adds none after an HTTP/2
    // answer) opens its connections at once, each resuming the shared session
    // (TlsNetworkAccessManager::setHttp2Allowed()).
    if (m_protocolKnown && !m_http2)
        slot.manager->setHttp2Allowed(false);
    slots.push_back(std::move(slot));
    return slots.back();
}

UpstreamConnections::Slot &UpstreamConnections::pick(Pool pool)
{
    if (pool == Pool::Control)
        return m_controlManagers.front();
    if (pool == Pool::Streams)
        return m_streamManagers.front();
    // HTTP/2 multiplexes every request on one connection: a second manager would only add a
    // connection. On HTTP/1.1, the first manager with a free connection.
    const bool near = m_quickestAnswerMs >= 0 && m_quickestAnswerMs < m_options.overflowRoundTripMs;
    if (m_http2 || near)
        return m_requestManagers.front();
    Slot *leastBusy = &m_requestManagers.front();
    for (Slot &slot : m_requestManagers) {
        if (slot.inFlight < ConnectionsPerManager)
            return slot;
        if (slot.inFlight < leastBusy->inFlight)
            leastBusy = &slot;
    }
    if (int(m_requestManagers.size()) < m_options.maxRequestManagers)
        return addManager(m_requestManagers);
    return *leastBusy;
}

QNetworkReply *UpstreamConnections::post(
        Pool pool, const QNetworkRequest &request, const QByteArray &body)
{
    Slot &slot = pick(pool);
    return track(slot, slot.manager->post(request, body), pool != Pool::Streams);
}

QNetworkReply *UpstreamConnections::get(Pool pool, const QNetworkRequest &request)
{
    Slot &slot = pick(pool);
    return track(slot, slot.manager->get(request), pool != Pool::Streams);
}

QNetworkReply *UpstreamConnections::deleteResource(Pool pool, const QNetworkRequest &request)
{
    Slot &slot = pick(pool);
    return track(slot, slot.manager->deleteResource(request), pool != Pool::Streams);
}

QNetworkAccessManager &UpstreamConnections::manager(Pool pool)
{
    switch (pool) {
    case Pool::Requests:
        return *m_requestManagers.front().manager;
    case Pool::Control:
        return *m_controlManagers.front().manager;
    case Pool::Streams:
        break;
    }
    return *m_streamManagers.front().manager;
}

int UpstreamConnections::inFlight(Pool pool) const
{
    const std::vector<Slot> &slots = pool == Pool::Requests
            ? m_requestManagers
            : (pool == Pool::Control ? m_controlManagers : m_streamManagers);
    int count = 0;
    for (const Slot &slot : slots)
        count += slot.inFlight;
    return count;
}

QNetworkReply *UpstreamConnections::track(Slot &slot, QNetworkReply *reply, bool timed)
{
    // Streams last as long as the server keeps them: not a round trip.
    const qint64 sentAt = timed ? m_clock.elapsed() : -1;
    ++slot.inFlight;
    // The slot's address may change as the vector grows; the manager's does not.
    TlsNetworkAccessManager *manager = slot.manager.get();
    const auto release = [this, manager] {
        for (std::vector<Slot> *slots :
                {&m_requestManagers, &m_controlManagers, &m_streamManagers}) {
            for (Slot &candidate : *slots) {
                if (candidate.manager.get() == manager) {
                    --candidate.inFlight;
                    return;
                }
            }
        }
    };
    // A reply counts until it finished, or until it is deleted without finishing.
    connect(reply, &QNetworkReply::finished, this, [this, reply, release, sentAt] {
        disconnect(reply, &QObject::destroyed, this, nullptr);
        release();
        if (sentAt >= 0 && reply->error() == QNetworkReply::NoError) {
            const qint64 took = m_clock.elapsed() - sentAt;
            if (m_quickestAnswerMs < 0 || took < m_quickestAnswerMs)
                m_quickestAnswerMs = took;
        }
        observe(reply);
    });
    connect(reply, &QObject::destroyed, this, release);
    return reply;
}

void UpstreamConnections::observe(QNetworkReply *reply)
{
    warmDeferred();
    if (!m_protocolKnown
            && reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() != 0) {
        m_protocolKnown = true;
        m_http2 = reply->attribute(QNetworkRequest::Http2WasUsedAttribute).toBool();
    }
    if (!m_ticketWanted)
        return;
    if (reply->url().scheme() != "https"_L1) {
        m_ticketWanted = false; // plain HTTP: no TLS session
        return;
    }
    const QByteArray ticket = reply->sslConfiguration().sessionTicket();
    if (ticket.isEmpty())
        return;
    // Later connections of every manager offer it (Qt resumes a session from the configuration's
    // ticket when persistence is on).
    m_ticketWanted = false;
    m_tls.configuration.setSessionTicket(ticket);
    for (std::vector<Slot> *slots : {&m_requestManagers, &m_controlManagers, &m_streamManagers}) {
        for (Slot &slot : *slots)
            slot.manager->setTlsSettings(m_tls);
    }
}

void UpstreamConnections::warmPool(Pool pool)
{
    if (std::exchange(m_warmed[index(pool)], true))
        return;
    QNetworkAccessManager &nam = manager(pool);
    if (m_warmUrl.scheme() == "https"_L1)
        nam.connectToHostEncrypted(
                m_warmUrl.host(), quint16(m_warmUrl.port(443)), m_tls.configuration);
    else
        nam.connectToHost(m_warmUrl.host(), quint16(m_warmUrl.port(80)));
}

void UpstreamConnections::warmDeferred()
{
    if (!std::exchange(m_deferredWarmPending, false))
        return;
    warmPool(Pool::Control);
    if (m_warmStreams)
        warmPool(Pool::Streams);
}

void UpstreamConnections::warm(const QUrl &url, bool streams)
{
    if (m_warmUrl.isEmpty()) {
        m_warmUrl = url;
        m_warmStreams = streams;
    }
    if (m_warmed[index(Pool::Requests)]) {
        // A later call (an era's, when initialize goes out) waits like the first one did.
        if (!m_deferredWarmPending) {
            warmPool(Pool::Control);
            if (streams)
                warmPool(Pool::Streams);
        }
        return;
    }
    warmPool(Pool::Requests);
    if (m_warmUrl.scheme() != "https"_L1) {
        m_deferredWarmPending = true;
        warmDeferred();
        return;
    }
    // QNetworkAccessManager::encrypted() comes for the warm-up connection's handshake too; an
    // answer on any pool (observe()) also releases the others.
    m_deferredWarmPending = true;
    connect(
            &manager(Pool::Requests), &QNetworkAccessManager::encrypted, this,
            [this] { warmDeferred(); }, Qt::SingleShotConnection);
}

} // namespace McpProxy
