#include "stdio/lineframer.h"

#include <algorithm>
#include <cstring>

namespace McpProxy {

namespace {

// MCP 2025-11-25 transports, stdio: messages are delimited by newlines. Lines made only of
// JSON insignificant whitespace carry no message and are skipped.
bool isBlank(QByteArrayView line)
{
    return std::all_of(
            line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

// Length of a line once a trailing CR (CRLF ending) is stripped; `last` is its last byte.
qsizetype contentLength(qsizetype length, char last)
{
    return length > 0 && last == '\r' ? length - 1 : length;
}

// The first bytes of a line that is buffered + piece, for an overlong frame.
QByteArray lineStart(const QByteArray &buffered, QByteArrayView piece, qsizetype limit)
{
    QByteArray start = buffered.left(limit);
    start.append(piece.first(std::min(piece.size(), limit - start.size())));
    return start;
}

} // namespace

LineFramer::LineFramer(qsizetype maxLineLength)
    : m_maxLineLength(std::max<qsizetype>(maxLineLength, 0))
{ }

void LineFramer::feed(QByteArrayView chunk, QList<Frame> &frames)
{
    const char *const begin = chunk.data();
    const qsizetype size = chunk.size();
    qsizetype pos = 0;
    while (pos < size) {
        // Only the new bytes are scanned; the buffered part of the line never is again.
        const void *found = std::memchr(begin + pos, '\n', size_t(size - pos));
        const qsizetype end = found ? static_cast<const char *>(found) - begin : size;
        const QByteArrayView piece = chunk.sliced(pos, end - pos);
        pos = found ? end + 1 : size;

        if (m_discarding) {
            // The rest of an overlong line: drop it, resume after its newline.
            if (found)
                m_discarding = false;
            continue;
        }

        const qsizetype total = m_buffer.size() + piece.size();
        const char last = !piece.isEmpty() ? piece.back()
                : !m_buffer.isEmpty()      ? m_buffer.back()
                                           : '\0';
        if (!found) {
            // A trailing CR may still turn out to be half of a CRLF, so it does not count yet.
            if (contentLength(total, last) > m_maxLineLength) {
                frames.append(Frame{lineStart(m_buffer, piece, startLength()), true});
                m_buffer = QByteArray();
                m_discarding = true;
            } else {
                m_buffer.append(piece);
            }
            continue;
        }

        if (contentLength(total, last) > m_maxLineLength) {
            frames.append(Frame{lineStart(m_buffer, piece, startLength()), true});
            m_buffer = QByteArray();
            continue;
        }

        QByteArray line;
        if (m_buffer.isEmpty()) {
            line = piece.toByteArray();
        } else {
            m_buffer.append(piece);
            line = std::move(m_buffer);
            m_buffer = QByteArray();
        }
        if (line.endsWith('\r'))
            line.chop(1);
        if (!isBlank(line))
            frames.append(Frame{std::move(line), false});
    }
}

void LineFramer::finish(QList<Frame> &frames)
{
    // End of input: an unterminated last line still counts (its overlong report, if any, has
    // already been made while it was being read).
    if (!m_discarding && !m_buffer.isEmpty()) {
        QByteArray line = std::move(m_buffer);
        if (line.endsWith('\r'))
            line.chop(1);
        if (!isBlank(line))
            frames.append(Frame{std::move(line), false});
    }
    m_buffer = QByteArray();
    m_discarding = false;
}

} // namespace McpProxy
