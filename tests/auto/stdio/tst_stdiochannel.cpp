// StdioChannel over real pipes: framing into lineReceived, whole-line writes, EPIPE handling.
#include "stdio/stdiochannel.h"

#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include <csignal>
#include <fcntl.h>
#include <unistd.h>

using namespace McpProxy;
using namespace Qt::StringLiterals;

class tst_StdioChannel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { ::signal(SIGPIPE, SIG_IGN); }
    void framesChunksIntoLines();
    void overlongLineIsReportedOnce();
    void writesWholeLines();
    void brokenPipeClosesOutputOnce();
};

void tst_StdioChannel::framesChunksIntoLines()
{
    StdioChannel channel(StdoutWriter(-1), 1024);
    QSignalSpy lines(&channel, &StdioChannel::lineReceived);
    QSignalSpy closed(&channel, &StdioChannel::inputClosed);
    channel.feed("{\"a\":1}\r\n{\"b\"");
    channel.feed(":2}\n\n  \n{\"c\":3}");
    QCOMPARE(lines.size(), 2);
    channel.finishInput();
    QCOMPARE(lines.size(), 3);
    QCOMPARE(lines.at(0).first().toByteArray(), "{\"a\":1}"_ba);
    QCOMPARE(lines.at(1).first().toByteArray(), "{\"b\":2}"_ba);
    QCOMPARE(lines.at(2).first().toByteArray(), "{\"c\":3}"_ba);
    QCOMPARE(closed.size(), 1);
    channel.feed("{\"late\":1}\n"); // after EOF nothing more is delivered
    channel.finishInput();
    QCOMPARE(lines.size(), 3);
    QCOMPARE(closed.size(), 1);
}

void tst_StdioChannel::overlongLineIsReportedOnce()
{
    StdioChannel channel(StdoutWriter(-1), 1024);
    QSignalSpy lines(&channel, &StdioChannel::lineReceived);
    QSignalSpy tooLong(&channel, &StdioChannel::lineTooLong);
    channel.feed(R"({"jsonrpc":"2.0","id":7,"method":"m","params":")");
    for (int i = 0; i < 10; ++i)
        channel.feed(QByteArray(500, 'x'));
    channel.feed("\"}\n{\"ok\":true}\n");
    QCOMPARE(tooLong.size(), 1);
    const QByteArray start = tooLong.first().at(0).toByteArray();
    QCOMPARE(start.size(), 1024);
    QVERIFY(start.startsWith(R"({"jsonrpc":"2.0","id":7,"method":"m","params":"xxx)"));
    QCOMPARE(tooLong.first().at(1).value<qsizetype>(), qsizetype(1024));
    QCOMPARE(lines.size(), 1);
    QCOMPARE(lines.first().first().toByteArray(), "{\"ok\":true}"_ba);
}

void tst_StdioChannel::writesWholeLines()
{
    int fds[2];
    QCOMPARE(::pipe(fds), 0);
    StdioChannel channel(StdoutWriter(fds[1]), 1024);
    QSignalSpy outputClosed(&channel, &StdioChannel::outputClosed);
    channel.send("{\"x\":1}");
    channel.send("{\"y\":2}");
    ::close(fds[1]);
    QByteArray out;
    char buffer[256];
    ssize_t n;
    while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0)
        out.append(buffer, n);
    ::close(fds[0]);
    QCOMPARE(out, "{\"x\":1}\n{\"y\":2}\n"_ba);
    QCOMPARE(outputClosed.size(), 0);
}

void tst_StdioChannel::brokenPipeClosesOutputOnce()
{
    int fds[2];
    QCOMPARE(::pipe(fds), 0);
    ::close(fds[0]); // the host went away
    StdioChannel channel(StdoutWriter(fds[1]), 1024);
    QSignalSpy outputClosed(&channel, &StdioChannel::outputClosed);
    channel.send("{\"x\":1}");
    channel.send("{\"x\":2}");
    QCOMPARE(outputClosed.size(), 1);
    QVERIFY(channel.isOutputClosed());
    ::close(fds[1]);
}

QTEST_GUILESS_MAIN(tst_StdioChannel)
#include "tst_stdiochannel.moc"
