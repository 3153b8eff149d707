#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QByteArrayView>
#include <QtCore/QList>

#include <optional>

namespace McpProxy {

// One dispatched server-sent event (WHATWG HTML "Server-sent events", section 9.2.6
// interpretation).
struct SseEvent
{
    QByteArray type; // "event:" field; empty means "message"
    QByteArray data; // "data:" lines joined with LF
    QByteArray lastEventId; // the last event ID at dispatch (may be empty)
};

// Incremental text/event-stream parser. Pure value type: bytes in any fragmentation (a field
// split mid-name, CR at the end of one chunk and LF at the start of the next, a UTF-8 sequence
// split in two: bytes are never decoded) come in, complete events go out.
// - a leading UTF-8 BOM is skipped; CR, LF and CRLF all end a line; ":" lines are comments;
// - "id:" (ignored when it contains NUL) becomes lastEventId() at the blank line that ends its
//   event, even for an event with no data, which is tracked without being dispatched. A priming
//   event (MCP 2025-11-25, SEP-1699) with an empty "data:" line is dispatched with empty data,
//   as WHATWG says: consumers skip events whose data is empty;
// - "retry:" with only ASCII digits sets reconnectionTime() (saturating at INT_MAX);
// - an event whose data would exceed maxEventSize is dropped and counted in droppedEvents(), as is
//   the event of a line longer than maxEventSize plus the "data: " prefix (memory stays bounded).
// finish() is the end of the stream: a pending event with data is dispatched (tolerant of servers
// that close without the final blank line); the parser is then ready for the next stream, keeping
// lastEventId(), reconnectionTime() and droppedEvents().
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
    void feedContent(QByteArrayView bytes, QList<SseEvent> &events);
    void appendToLine(QByteArrayView bytes);
    void processLine(QByteArrayView line, QList<SseEvent> &events);
    void dispatch(QList<SseEvent> &events);
    void dropEvent();

    qsizetype m_maxEventSize;
    qsizetype m_maxLineLength; // m_maxEventSize plus room for the "data: " prefix
    QByteArray m_lineBuffer; // the unterminated line so far
    QByteArray m_data; // data buffer
    QByteArray m_type; // event type buffer
    QByteArray m_lastEventIdBuffer;
    QByteArray m_lastEventId; // last event ID string, set at each dispatch
    std::optional<int> m_reconnectionTime;
    int m_droppedEvents = 0;
    int m_bomBytesMatched = 0; // bytes of a leading BOM seen so far
    bool m_bomChecked = false; // the stream start is past any BOM
    bool m_pendingCr = false; // the last line ended with CR: a following LF belongs to it
    bool m_discardingLine = false; // the current line exceeded m_maxLineLength
    bool m_eventTooLarge = false; // the current event is being dropped until the blank line
};

} // namespace McpProxy
