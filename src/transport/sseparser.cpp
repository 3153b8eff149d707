#include "transport/sseparser.h"

#include <algorithm>
#include <limits>

namespace McpProxy {

namespace {

// WHATWG HTML section 9.2.6: one leading U+FEFF BYTE ORDER MARK is ignored.
constexpr char Bom[] = {'\xEF', '\xBB', '\xBF'};
constexpr int BomSize = int(sizeof(Bom));

// The longest field prefix a data line carries ("data: "), so that an event of exactly
// maxEventSize bytes still fits on one line.
constexpr qsizetype DataLinePrefixLength = 6;

bool isLineEnd(char c)
{
    return c == '\r' || c == '\n';
}

// WHATWG HTML section 9.2.6 "retry": only ASCII digits, base ten. Values past int saturate.
std::optional<int> parseRetry(QByteArrayView value)
{
    if (value.isEmpty())
        return std::nullopt;
    int result = 0;
    for (const char c : value) {
        if (c < '0' || c > '9')
            return std::nullopt;
        const int digit = c - '0';
        if (result > (std::numeric_limits<int>::max() - digit) / 10)
            result = std::numeric_limits<int>::max();
        else
            result = result * 10 + digit;
    }
    return result;
}

} // namespace

SseParser::SseParser(qsizetype maxEventSize)
    : m_maxEventSize(std::max<qsizetype>(maxEventSize, 0))
    , m_maxLineLength(m_maxEventSize > std::numeric_limits<qsizetype>::max() - DataLinePrefixLength
                      ? std::numeric_limits<qsizetype>::max()
                      : m_maxEventSize + DataLinePrefixLength)
{ }

void SseParser::feed(QByteArrayView chunk, QList<SseEvent> &events)
{
    // Match a leading BOM byte by byte, as it may arrive split across chunks.
    while (!m_bomChecked && !chunk.isEmpty()) {
        if (chunk.front() != Bom[m_bomBytesMatched]) {
            m_bomChecked = true;
            feedContent(QByteArrayView(Bom, m_bomBytesMatched), events);
            break;
        }
        chunk = chunk.sliced(1);
        if (++m_bomBytesMatched == BomSize)
            m_bomChecked = true;
    }
    if (m_bomChecked)
        feedContent(chunk, events);
}

void SseParser::finish(QList<SseEvent> &events)
{
    // A stream shorter than the BOM: what was held back is content.
    if (!m_bomChecked)
        feedContent(QByteArrayView(Bom, m_bomBytesMatched), events);

    // End of stream. WHATWG HTML section 9.2.6 discards an incomplete event; we are tolerant and
    // treat the end as the end of the last line and of the event.
    if (!m_discardingLine && !m_lineBuffer.isEmpty())
        processLine(m_lineBuffer, events);
    dispatch(events);

    // Ready for the next stream (a reconnection). lastEventId(), reconnectionTime() and
    // droppedEvents() belong to the event source and persist.
    m_lineBuffer = QByteArray();
    m_data = QByteArray();
    m_type = QByteArray();
    m_bomBytesMatched = 0;
    m_bomChecked = false;
    m_pendingCr = false;
    m_discardingLine = false;
    m_eventTooLarge = false;
}

void SseParser::feedContent(QByteArrayView bytes, QList<SseEvent> &events)
{
    const char *position = bytes.begin();
    const char *const end = bytes.end();

    // WHATWG HTML section 9.2.5: CRLF is one line ending, even with the CR and LF in different
    // chunks.
    if (m_pendingCr && position != end) {
        m_pendingCr = false;
        if (*position == '\n')
            ++position;
    }

    while (position != end) {
        const char *const lineEnd = std::find_if(position, end, isLineEnd);
        const QByteArrayView piece(position, lineEnd - position);
        if (lineEnd == end) {
            appendToLine(piece);
            return;
        }

        if (m_lineBuffer.isEmpty() && !m_discardingLine) {
            if (piece.size() > m_maxLineLength)
                dropEvent();
            else
                processLine(piece, events);
        } else {
            appendToLine(piece);
            if (!m_discardingLine)
                processLine(m_lineBuffer, events);
            m_lineBuffer = QByteArray();
            m_discardingLine = false;
        }

        position = lineEnd + 1;
        if (*lineEnd == '\r') {
            if (position == end)
                m_pendingCr = true;
            else if (*position == '\n')
                ++position;
        }
    }
}

void SseParser::appendToLine(QByteArrayView bytes)
{
    if (m_discardingLine || bytes.isEmpty())
        return;
    if (bytes.size() > m_maxLineLength - m_lineBuffer.size()) {
        // Keep memory bounded: the line is dropped, and with it the event it belongs to.
        m_lineBuffer = QByteArray();
        m_discardingLine = true;
        dropEvent();
        return;
    }
    m_lineBuffer.append(bytes);
}

void SseParser::processLine(QByteArrayView line, QList<SseEvent> &events)
{
    // WHATWG HTML section 9.2.6 "Interpreting an event stream".
    if (line.isEmpty()) {
        dispatch(events);
        return;
    }
    if (line.front() == ':')
        return;

    QByteArrayView field = line;
    QByteArrayView value;
    const qsizetype colon = line.indexOf(':');
    if (colon >= 0) {
        field = line.first(colon);
        value = line.sliced(colon + 1);
        if (value.startsWith(' '))
            value = value.sliced(1);
    }

    if (field == "data") {
        if (m_eventTooLarge)
            return;
        // The LF appended below is removed again at dispatch, so it does not count.
        if (value.size() > m_maxEventSize - m_data.size()) {
            dropEvent();
            return;
        }
        m_data.append(value);
        m_data.append('\n');
    } else if (field == "event") {
        m_type = value.toByteArray();
    } else if (field == "id") {
        if (!value.contains('\0'))
            m_lastEventIdBuffer = value.toByteArray();
    } else if (field == "retry") {
        if (const std::optional<int> retry = parseRetry(value))
            m_reconnectionTime = retry;
    }
}

void SseParser::dispatch(QList<SseEvent> &events)
{
    // WHATWG HTML section 9.2.6 "dispatch the event".
    m_lastEventId = m_lastEventIdBuffer;
    if (m_eventTooLarge || m_data.isEmpty()) {
        m_eventTooLarge = false;
        m_data = QByteArray();
        m_type = QByteArray();
        return;
    }
    m_data.chop(1);
    events.append(SseEvent{std::move(m_type), std::move(m_data), m_lastEventId});
    m_data = QByteArray();
    m_type = QByteArray();
}

void SseParser::dropEvent()
{
    if (m_eventTooLarge)
        return;
    m_eventTooLarge = true;
    ++m_droppedEvents;
    m_data = QByteArray();
}

} // namespace McpProxy
