#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QByteArrayView>
#include <QtCore/QList>

#include <optional>

namespace McpProxy {

// One dispatched server-sent event (WHATWG HTML "Server-sent events", §9.2.6 interpretation).
struct SseEvent
{
    QByteArray type;        // "event:" field; empty means "message"
    QByteArray data;        // "data:" lines joined with LF
    QByteArray lastEventId; // the last event ID buffer at dispatch (may be empty)
};

// Incremental text/event-stream parser. Pure value type: bytes in any fragmentation (a field
// split mid-name, CR at the end of one chunk and LF at the start of the next, a UTF-8 sequence
// split in two: bytes are never decoded) come in, complete events go out.
// - a leading UTF-8 BOM is skipped; CR, LF and CRLF all end a line; ":" lines are comments;
// - "id:" updates lastEventId() (ignored when it contains NUL) even for events with no data, so a
//   priming event (MCP 2025-11-25, SEP-1699) is tracked without being dispatched;
// - "retry:" with only ASCII digits sets reconnectionTime();
// - an event whose data would exceed maxEventSize is dropped and counted in droppedEvents().
// finish() is the end of the stream: a pending event with data is dispatched (tolerant of servers
// that close without the final blank line).
class SseParser
{
public:
    static constexpr qsizetype DefaultMaxEventSize = 64 * 1024 * 1024;

    explicit SseParser(qsizetype maxEventSize = DefaultMaxEventSize);

    void feed(QByteArrayView chunk, QList<SseEvent> &events);
    void finish(QList<SseEvent> &events);

    QByteArray lastEventId() const { return m_lastEventId; }
    std::optional<int> reconnectionTime() const { return m_reconnectionTime; }
    int droppedEvents() const { return m_droppedEvents; }

private:
    // implementation state (owned by the implementer of sseparser.cpp)
    qsizetype m_maxEventSize;
    QByteArray m_lineBuffer;
    QByteArray m_data;
    QByteArray m_type;
    QByteArray m_lastEventId;
    std::optional<int> m_reconnectionTime;
    int m_droppedEvents = 0;
    bool m_firstChunk = true;
    bool m_pendingCr = false;
    bool m_hasData = false;
    bool m_eventTooLarge = false;
};

} // namespace McpProxy
