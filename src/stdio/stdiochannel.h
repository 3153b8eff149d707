#pragma once

#include "stdio/lineframer.h"
#include "stdio/stdoutwriter.h"

#include <QtCore/QByteArray>
#include <QtCore/QObject>

namespace McpProxy {

// The stdio side of the proxy (MCP stdio transport): framed lines in, lines out. Fed by a
// StdinReader; the only object that writes standard output.
class StdioChannel : public QObject
{
    Q_OBJECT
public:
    StdioChannel(StdoutWriter writer, qsizetype maxLineLength, QObject *parent = nullptr);

    bool isOutputClosed() const { return m_writer.isClosed(); }

public Q_SLOTS:
    void feed(const QByteArray &chunk);
    void finishInput();
    // Writes one message; `line` must not contain a newline (callers pass single-line JSON).
    void send(const QByteArray &line);

Q_SIGNALS:
    void lineReceived(const QByteArray &line);
    // A line over maxLength bytes was dropped; `start` is its beginning (LineFramer::Frame).
    void lineTooLong(const QByteArray &start, qsizetype maxLength);
    void inputClosed();
    // The reader of our stdout went away (EPIPE) or writing failed: nothing more can be delivered.
    void outputClosed();

private:
    void deliver();

    LineFramer m_framer;
    StdoutWriter m_writer;
    QList<LineFramer::Frame> m_frames;
    bool m_inputClosed = false;
};

} // namespace McpProxy
