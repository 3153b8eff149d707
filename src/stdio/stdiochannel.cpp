#include "stdio/stdiochannel.h"

#include "logging/logcategories.h"

#include <cstring>

namespace McpProxy {

StdioChannel::StdioChannel(StdoutWriter writer, qsizetype maxLineLength, QObject *parent)
    : QObject(parent)
    , m_framer(maxLineLength)
    , m_writer(writer)
{ }

void StdioChannel::feed(const QByteArray &chunk)
{
    if (m_inputClosed)
        return;
    m_framer.feed(chunk, m_frames);
    deliver();
}

void StdioChannel::finishInput()
{
    if (m_inputClosed)
        return;
    m_framer.finish(m_frames);
    deliver();
    m_inputClosed = true;
    qCDebug(lcStdio) << "stdin: end of input";
    Q_EMIT inputClosed();
}

void StdioChannel::deliver()
{
    // Swap first: a slot connected to lineReceived may feed us again (re-entrancy safe).
    QList<LineFramer::Frame> frames;
    frames.swap(m_frames);
    for (const LineFramer::Frame &frame : frames) {
        if (frame.overlong) {
            qCWarning(lcStdio) << "stdin: line longer than" << m_framer.maxLineLength()
                               << "bytes dropped";
            Q_EMIT lineTooLong(frame.line, m_framer.maxLineLength());
        } else {
            Q_EMIT lineReceived(frame.line);
        }
    }
}

void StdioChannel::send(const QByteArray &line)
{
    if (m_writer.isClosed())
        return;
    if (!m_writer.writeLine(line)) {
        qCInfo(lcStdio) << "stdout: closed by the reader (" << std::strerror(m_writer.lastError())
                        << "); shutting down";
        Q_EMIT outputClosed();
    }
}

} // namespace McpProxy
