#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QByteArrayView>
#include <QtCore/QList>

#include <algorithm>

namespace McpProxy {

// Incremental newline framing for the stdio side (MCP stdio transport: one message per line).
// Pure value type: feed() bytes as they come, get complete lines out. LF and CRLF end a line, a
// trailing CR is stripped, whitespace-only lines are skipped, an unterminated last line is
// flushed by finish(). Only new bytes are scanned, so an 8 MB line costs O(n).
// A line longer than maxLineLength is reported once as an overlong frame as soon as the limit is
// crossed, with at most OverlongStartLength bytes of its start (enough to read a request's id);
// the rest of it is discarded up to the next newline, and framing goes on after it.
class LineFramer
{
public:
    static constexpr qsizetype DefaultMaxLineLength = 64 * 1024 * 1024;
    static constexpr qsizetype OverlongStartLength = 64 * 1024;

    struct Frame
    {
        // The line without its terminator; for an overlong frame the first bytes of the line
        // (at most OverlongStartLength, and never more than the maximum line length).
        QByteArray line;
        bool overlong = false; // the line exceeded the maximum and was dropped
    };

    explicit LineFramer(qsizetype maxLineLength = DefaultMaxLineLength);

    void feed(QByteArrayView chunk, QList<Frame> &frames);
    void finish(QList<Frame> &frames);

    qsizetype maxLineLength() const { return m_maxLineLength; }
    qsizetype bufferedBytes() const { return m_buffer.size(); }

private:
    qsizetype startLength() const { return std::min(m_maxLineLength, OverlongStartLength); }

    qsizetype m_maxLineLength;
    QByteArray m_buffer;
    bool m_discarding = false;
};

} // namespace McpProxy
