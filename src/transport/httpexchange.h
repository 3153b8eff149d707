#pragma once

#include "transport/sseparser.h"

#include <QtCore/QByteArray>
#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QPointer>
#include <QtNetwork/QNetworkReply>

#include <utility>

namespace McpProxy {

// One HTTP request and its reply: reads the status line and headers, then the body, either as
// Server-Sent Events (its own SseParser) or as bytes (a JSON body in full, an error body as a
// bounded excerpt). It owns the QNetworkReply and is the one place that lets go of it.
//
// Its owner holds it through a QPointer and ends it with discard(): the exchange aborts its reply
// if it still runs and deletes itself later, so it is never destroyed inside its own signal.
class HttpExchange : public QObject
{
    Q_OBJECT
public:
    enum class State { AwaitingHeaders, Receiving, Finished, Discarded };
    enum class Body { Keep, Discard }; // Discard: only events count (a GET stream)

    HttpExchange(QNetworkReply *reply, Body body, QObject *parent);
    ~HttpExchange() override;

    // Stops the exchange (aborting a running reply without any further signal) and deletes it
    // later.
    void discard();

    State state() const { return m_state; }
    int status() const { return m_status; } // 0 until the headers arrived
    bool headersSeen() const { return m_headersSeen; }
    bool isEventStream() const { return m_eventStream; }
    // Valid until finished() returned.
    QByteArray rawHeader(const QByteArray &name) const;
    QUrl url() const { return m_url; }
    QNetworkReply::NetworkError error() const { return m_error; }
    QString errorString() const { return m_errorString; }
    const SseParser &sse() const { return m_sse; }
    const QByteArray &body() const { return m_body; }
    QByteArray takeBody() { return std::exchange(m_body, QByteArray()); }
    // After finished(): the events still held by the parser (a last event without its blank line).
    QList<SseEvent> finishEvents();

Q_SIGNALS:
    void headersReceived();
    void eventsReceived(const QList<McpProxy::SseEvent> &events);
    // The reply is complete (or broke off; see error()).
    void finished();

private:
    void readHeaders();
    void read();
    void complete();
    void release(bool abort);

    QPointer<QNetworkReply> m_reply;
    Body m_bodyPolicy;
    State m_state = State::AwaitingHeaders;
    int m_status = 0;
    bool m_headersSeen = false;
    bool m_eventStream = false;
    QUrl m_url;
    QNetworkReply::NetworkError m_error = QNetworkReply::NoError;
    QString m_errorString;
    QByteArray m_body;
    SseParser m_sse;
};

} // namespace McpProxy
