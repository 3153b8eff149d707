// The Windows stdio over real anonymous pipes: StdinReader's ReadFile thread delivers lines as
// they are written and one endOfInput when the writer closes (a zero-length write is not the end;
// the end of a file is); StdoutWriter writes whole LF lines through WriteFile, and a pipe whose
// reader went away closes the output once.
#include "stdio/stdinreader.h"
#include "stdio/stdiochannel.h"
#include "stdio/stdoutwriter.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include <utility>

#include <windows.h>

using namespace McpProxy;
using namespace Qt::StringLiterals;

namespace {

struct Pipe
{
    Pipe() { ok = CreatePipe(&read, &write, nullptr, 0); }
    ~Pipe()
    {
        closeRead();
        closeWrite();
    }
    void closeRead()
    {
        if (read)
            CloseHandle(std::exchange(read, nullptr));
    }
    void closeWrite()
    {
        if (write)
            CloseHandle(std::exchange(write, nullptr));
    }
    bool writeAll(const QByteArray &bytes) const
    {
        DWORD written = 0;
        return WriteFile(write, bytes.constData(), DWORD(bytes.size()), &written, nullptr)
                && written == DWORD(bytes.size());
    }
    QByteArray readAll() const
    {
        QByteArray out;
        char buffer[4096];
        DWORD n = 0;
        while (ReadFile(read, buffer, sizeof buffer, &n, nullptr) && n > 0)
            out.append(buffer, qsizetype(n));
        return out;
    }
    HANDLE read = nullptr;
    HANDLE write = nullptr;
    bool ok = false;
};

// The process's standard input handle, replaced for one test and put back however the test ends
// (a failed check returns early). StdinReader's thread takes the handle when it starts.
struct StdinFrom
{
    explicit StdinFrom(HANDLE input)
        : saved(GetStdHandle(STD_INPUT_HANDLE))
        , ok(SetStdHandle(STD_INPUT_HANDLE, input))
    { }
    ~StdinFrom() { SetStdHandle(STD_INPUT_HANDLE, saved); }
    StdinFrom(const StdinFrom &) = delete;
    StdinFrom &operator=(const StdinFrom &) = delete;
    HANDLE saved;
    bool ok;
};

} // namespace

class tst_StdioPipesWin : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void readerDeliversLinesThenEndOfInput();
    void readerOnClosedStdinEndsAtOnce();
    void zeroLengthWriteIsNotEndOfInput();
    void readerOnFileEndsAtEndOfFile();
    void writerWritesWholeLfLines();
    void closedPipeClosesOutputOnce();
};

void tst_StdioPipesWin::readerDeliversLinesThenEndOfInput()
{
    Pipe pipe;
    QVERIFY(pipe.ok);
    const StdinFrom stdinFrom(pipe.read);
    QVERIFY(stdinFrom.ok);
    StdioChannel channel(StdoutWriter(-1), 1 << 20);
    StdinReader *reader = StdinReader::create(&channel);
    connect(reader, &StdinReader::chunkReceived, &channel, &StdioChannel::feed);
    connect(reader, &StdinReader::endOfInput, &channel, &StdioChannel::finishInput);
    QSignalSpy lines(&channel, &StdioChannel::lineReceived);
    QSignalSpy closed(&channel, &StdioChannel::inputClosed);
    reader->start(); // its thread takes the standard input handle when it starts

    // Lines arrive while the writer keeps the pipe open (a host waiting for answers), CRLF too.
    QVERIFY(pipe.writeAll("{\"a\":1}\r\n{\"b\":"));
    QTRY_COMPARE(lines.size(), 1);
    QVERIFY(pipe.writeAll("2}\n"));
    QTRY_COMPARE(lines.size(), 2);
    QCOMPARE(closed.size(), 0);
    const QByteArray big(200 * 1024, 'x'); // larger than one ReadFile buffer chunk
    QVERIFY(pipe.writeAll("{\"c\":\"" + big + "\"}\n{\"d\":4}"));
    pipe.closeWrite(); // the host closed stdin: the last line needs no newline
    QTRY_COMPARE(closed.size(), 1);
    QCOMPARE(lines.size(), 4);
    QCOMPARE(lines.at(0).first().toByteArray(), "{\"a\":1}"_ba);
    QCOMPARE(lines.at(1).first().toByteArray(), "{\"b\":2}"_ba);
    QCOMPARE(lines.at(2).first().toByteArray().size(), big.size() + 8);
    QCOMPARE(lines.at(3).first().toByteArray(), "{\"d\":4}"_ba);
    QTest::qWait(100);
    QCOMPARE(closed.size(), 1); // exactly once
}

void tst_StdioPipesWin::readerOnClosedStdinEndsAtOnce()
{
    Pipe pipe;
    QVERIFY(pipe.ok);
    pipe.closeWrite(); // like a host starting us with stdin on NUL or already closed
    const StdinFrom stdinFrom(pipe.read);
    QVERIFY(stdinFrom.ok);
    QObject owner;
    StdinReader *reader = StdinReader::create(&owner);
    QSignalSpy chunks(reader, &StdinReader::chunkReceived);
    QSignalSpy end(reader, &StdinReader::endOfInput);
    reader->start();
    QTRY_COMPARE(end.size(), 1);
    QCOMPARE(chunks.size(), 0);
}

void tst_StdioPipesWin::zeroLengthWriteIsNotEndOfInput()
{
    // A host may write nothing (an empty write on its end of the pipe): on Windows the reader's
    // ReadFile then succeeds with 0 bytes (ReadFile's documentation, "pipes"), which is not the
    // end of the input. Wine 8 completes no read for an empty write, so there this row passes
    // with or without the rule it checks.
    Pipe pipe;
    QVERIFY(pipe.ok);
    const StdinFrom stdinFrom(pipe.read);
    QVERIFY(stdinFrom.ok);
    QObject owner;
    StdinReader *reader = StdinReader::create(&owner);
    QSignalSpy chunks(reader, &StdinReader::chunkReceived);
    QSignalSpy end(reader, &StdinReader::endOfInput);
    reader->start();
    QVERIFY(pipe.writeAll("{\"a\":1}\n"));
    QTRY_COMPARE(chunks.size(), 1);
    DWORD written = 1;
    QVERIFY(WriteFile(pipe.write, "", 0, &written, nullptr));
    QCOMPARE(written, DWORD(0));
    QVERIFY(pipe.writeAll("{\"b\":2}\n"));
    QTRY_COMPARE(chunks.size(), 2);
    QCOMPARE(chunks.at(1).first().toByteArray(), "{\"b\":2}\n"_ba);
    QCOMPARE(end.size(), 0);
    pipe.closeWrite();
    QTRY_COMPARE(end.size(), 1);
}

void tst_StdioPipesWin::readerOnFileEndsAtEndOfFile()
{
    // stdin redirected from a file (mcp-oauth2-proxy < requests.jsonl): ReadFile succeeds with 0
    // bytes at its end.
    const QString path = QDir::temp().filePath(
            u"tst_stdiopipes_win-%1.jsonl"_s.arg(QCoreApplication::applicationPid()));
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        QCOMPARE(file.write("{\"a\":1}\n"), qint64(8));
    }
    const HANDLE input = CreateFileW(reinterpret_cast<LPCWSTR>(path.utf16()), GENERIC_READ,
            FILE_SHARE_READ, nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
    QVERIFY(input != INVALID_HANDLE_VALUE);
    const StdinFrom stdinFrom(input);
    QVERIFY(stdinFrom.ok);
    QObject owner;
    StdinReader *reader = StdinReader::create(&owner);
    QSignalSpy chunks(reader, &StdinReader::chunkReceived);
    QSignalSpy end(reader, &StdinReader::endOfInput);
    reader->start();
    QTRY_COMPARE(end.size(), 1);
    QCOMPARE(chunks.size(), 1);
    QCOMPARE(chunks.at(0).first().toByteArray(), "{\"a\":1}\n"_ba);
    CloseHandle(input);
    QFile::remove(path);
}

void tst_StdioPipesWin::writerWritesWholeLfLines()
{
    Pipe pipe;
    QVERIFY(pipe.ok);
    StdioChannel channel(StdoutWriter(qintptr(pipe.write)), 1024);
    QSignalSpy outputClosed(&channel, &StdioChannel::outputClosed);
    channel.send("{\"x\":1}");
    channel.send("{\"y\":2}");
    pipe.closeWrite();
    QCOMPARE(pipe.readAll(), "{\"x\":1}\n{\"y\":2}\n"_ba); // LF only: no text-mode CRLF
    QCOMPARE(outputClosed.size(), 0);
}

void tst_StdioPipesWin::closedPipeClosesOutputOnce()
{
    Pipe pipe;
    QVERIFY(pipe.ok);
    pipe.closeRead(); // the host went away
    StdioChannel channel(StdoutWriter(qintptr(pipe.write)), 1024);
    QSignalSpy outputClosed(&channel, &StdioChannel::outputClosed);
    channel.send("{\"x\":1}");
    channel.send("{\"x\":2}");
    QCOMPARE(outputClosed.size(), 1);
    QVERIFY(channel.isOutputClosed());
}

QTEST_GUILESS_MAIN(tst_StdioPipesWin)
#include "tst_stdiopipes_win.moc"
