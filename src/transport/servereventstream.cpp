#include "transport/servereventstream.h"

#include "logging/logcategories.h"
#include "transport/httpexchange.h"

#include <QtCore/QRandomGenerator>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkRequest>

#include <algorithm>

namespace McpProxy {

namespace {

// An SSE event id is sent back as Last-Event-ID: only one that is a valid field value (RFC 9110
// section 5.5: no control characters but HTAB; SSE lines already end at CR and LF) is kept.
bool isFieldValue(const QByteArray &value)
{
    return std::none_of(value.cbegin(), value.cend(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return (byte < 0x20 && byte != '\t') || byte == 0x7f;
    });
}

} // namespace

ServerEventStream::ServerEventStream(QNetworkAccessManager &nam, RequestFactory requestFactory,
        const Options &options, QObject *parent)
    : QObject(parent)
    , m_nam(nam)
    , m_requestFactory(std::move(requestFactory))
    , m_options(options)
{
    m_reconnectTimer.setSingleShot(true);
    connect(&m_reconnectTimer, &QTimer::timeout, this, &ServerEventStream::open);
}

ServerEventStream::~ServerEventStream()
{
    if (m_exchange)
        m_exchange->discard();
}

void ServerEventStream::open()
{
    if (m_disabled || m_exchange)
        return;
    m_reconnectTimer.stop();
    QNetworkRequest request = m_requestFactory();
    if (!m_lastEventId.isEmpty())
        request.setRawHeader("Last-Event-ID", m_lastEventId);
    // No idle timeout on an open stream: servers may stay silent for hours.
    request.setTransferTimeout(0);
    m_receivedEvent = false;
    ++m_generation;
    auto *exchange = new HttpExchange(m_nam.get(request), HttpExchange::Body::Discard, this);
    m_exchange = exchange;
    connect(exchange, &HttpExchange::eventsReceived, this, &ServerEventStream::handleEvents);
    connect(exchange, &HttpExchange::finished, this, &ServerEventStream::handleFinished);
}

void ServerEventStream::close()
{
    ++m_generation;
    m_reconnectTimer.stop();
    if (HttpExchange *exchange = m_exchange.data()) {
        m_exchange = nullptr;
        exchange->discard();
    }
    m_lastEventId.clear();
    m_failures = 0;
}

void ServerEventStream::refuse(int status)
{
    qCWarning(lcTransport) << "upstream refused the standalone GET stream with HTTP" << status
                           << "; not retrying";
    m_disabled = true;
}

void ServerEventStream::handleEvents(const QList<SseEvent> &events)
{
    HttpExchange *exchange = m_exchange.data();
    if (!exchange)
        return;
    const SseParser &sse = exchange->sse();
    if (!sse.lastEventId().isEmpty() && isFieldValue(sse.lastEventId()))
        m_lastEventId = sse.lastEventId();
    if (const auto retry = sse.reconnectionTime())
        m_retryMs = *retry;
    const quint64 generation = m_generation;
    for (const SseEvent &event : events) {
        m_receivedEvent = true;
        // MCP only defines "message" events; a priming event (id + empty data) carries none.
        if ((!event.type.isEmpty() && event.type != "message") || event.data.trimmed().isEmpty())
            continue;
        m_failures = 0;
        Q_EMIT messageReceived(event.data);
        if (m_generation != generation)
            return; // closed while delivering
    }
}

void ServerEventStream::handleFinished()
{
    HttpExchange *exchange = m_exchange.data();
    if (!exchange)
        return;
    const quint64 generation = m_generation;
    int status = exchange->headersSeen() ? exchange->status() : 0;
    if (status >= 200 && status < 300 && !exchange->isEventStream())
        status = -1; // not a stream: its body was ignored
    const QList<SseEvent> lastEvents =
            status >= 200 && status < 300 ? exchange->finishEvents() : QList<SseEvent>();
    const QByteArray challenge = exchange->rawHeader("WWW-Authenticate");
    const QString errorString = exchange->errorString();
    m_exchange = nullptr;
    exchange->discard();

    if (status >= 200 && status < 300) {
        for (const SseEvent &event : lastEvents) {
            if (!event.data.trimmed().isEmpty()) {
                Q_EMIT messageReceived(event.data);
                if (m_generation != generation)
                    return;
            }
        }
        // A clean end: reconnect after the server's retry delay (servers may close to force
        // polling, SEP-1699); back off when streams keep ending without any event.
        if (m_receivedEvent)
            m_failures = 0;
        else
            ++m_failures;
        const int base = m_retryMs >= 0 ? m_retryMs : m_options.defaultRetryMs;
        reconnectIn(m_failures > 1 ? qMax(base, 0) * m_failures : base);
        return;
    }
    if (status == 401) {
        Q_EMIT unauthorized(challenge);
        return;
    }
    if (status == 405) {
        qCInfo(lcTransport) << "upstream offers no standalone GET stream (405)";
        m_disabled = true;
        return;
    }
    if (status == 404) {
        Q_EMIT notFound();
        return;
    }
    if (status == -1 || (status >= 400 && status < 500 && status != 408 && status != 429)) {
        refuse(status);
        return;
    }
    ++m_failures;
    // Exponential backoff with full jitter in the upper half: 1 s, 2 s, 4 s … capped.
    const int exponent = qMin(m_failures - 1, 15);
    const int cap = qMin(m_options.maxBackoffMs, m_options.defaultRetryMs << exponent);
    const int delay = cap / 2 + int(QRandomGenerator::global()->bounded(cap / 2 + 1));
    qCWarning(lcTransport).noquote()
            << "standalone GET stream failed ("
            << (status ? QStringLiteral("HTTP %1").arg(status) : errorString)
            << "); reconnecting in" << delay << "ms";
    reconnectIn(delay);
}

void ServerEventStream::reconnectIn(int delayMs)
{
    m_reconnectTimer.start(qMax(0, delayMs));
}

} // namespace McpProxy
