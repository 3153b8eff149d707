#include "transport/httpexchange.h"

#include <QtNetwork/QNetworkRequest>

namespace McpProxy {

namespace {
constexpr qsizetype ErrorBodyLimit = 4096;
constexpr qint64 MaxReservedBody = 256 * 1024 * 1024;
} // namespace

HttpExchange::HttpExchange(QNetworkReply *reply, Body body, QObject *parent)
    : QObject(parent)
    , m_reply(reply)
    , m_bodyPolicy(body)
{
    connect(reply, &QNetworkReply::readyRead, this, &HttpExchange::read);
    connect(reply, &QNetworkReply::finished, this, &HttpExchange::complete);
}

HttpExchange::~HttpExchange()
{
    release(true);
}

void HttpExchange::discard()
{
    if (m_state == State::Discarded)
        return;
    release(m_state != State::Finished);
    m_state = State::Discarded;
    deleteLater();
}

void HttpExchange::release(bool abort)
{
    QNetworkReply *reply = m_reply.data();
    if (!reply)
        return;
    m_reply = nullptr;
    reply->disconnect(this);
    if (abort)
        reply->abort();
    reply->deleteLater();
}

QByteArray HttpExchange::rawHeader(const QByteArray &name) const
{
    return m_reply ? m_reply->rawHeader(name) : QByteArray();
}

QList<SseEvent> HttpExchange::finishEvents()
{
    QList<SseEvent> events;
    m_sse.finish(events);
    return events;
}

void HttpExchange::readHeaders()
{
    const int status = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status == 101 || status == 0)
        return; // h2c upgrade sends a first 101 (docs/qt-notes.md)
    m_headersSeen = true;
    m_status = status;
    m_url = m_reply->url();
    const bool success = status >= 200 && status < 300;
    m_eventStream = success
            && m_reply->header(QNetworkRequest::ContentTypeHeader)
                       .toByteArray()
                       .trimmed()
                       .toLower()
                       .startsWith("text/event-stream");
    if (success && !m_eventStream && m_bodyPolicy == Body::Keep) {
        // One allocation for a large JSON reply instead of repeated doubling (peak memory while
        // moving multi-megabyte results).
        const qint64 length = m_reply->header(QNetworkRequest::ContentLengthHeader).toLongLong();
        if (length > 0 && length <= MaxReservedBody)
            m_body.reserve(qsizetype(length));
    }
    m_state = State::Receiving;
    Q_EMIT headersReceived();
}

void HttpExchange::read()
{
    if (!m_reply || m_state == State::Discarded)
        return;
    if (!m_headersSeen) {
        readHeaders();
        if (!m_headersSeen || !m_reply)
            return;
    }
    const QByteArray chunk = m_reply->readAll();
    if (m_eventStream) {
        QList<SseEvent> events;
        m_sse.feed(chunk, events);
        Q_EMIT eventsReceived(events); // also when only an id or retry: field arrived
    } else if (m_bodyPolicy == Body::Discard) {
        return;
    } else if (m_status >= 200 && m_status < 300) {
        m_body.append(chunk);
    } else if (m_body.size() < ErrorBodyLimit) {
        m_body.append(chunk.left(ErrorBodyLimit - m_body.size()));
    }
}

void HttpExchange::complete()
{
    if (!m_reply || m_state == State::Discarded)
        return;
    if (!m_headersSeen)
        readHeaders();
    // Drain what is left (readyRead and finished may arrive together).
    if (m_reply && m_reply->bytesAvailable() > 0)
        read();
    if (!m_reply || m_state == State::Discarded)
        return;
    m_error = m_reply->error();
    m_errorString = m_reply->errorString();
    m_state = State::Finished;
    Q_EMIT finished();
    release(false);
}

} // namespace McpProxy
