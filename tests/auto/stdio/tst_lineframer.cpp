#include "stdio/lineframer.h"

#include <QtCore/QElapsedTimer>
#include <QtTest/QTest>

using namespace McpProxy;

namespace {

// An overlong frame carries the start of its line; blank lines are never reported, so this
// rendering is unambiguous.
QByteArray overlong(const QByteArray &start)
{
    return "<overlong " + start + '>';
}

QByteArrayList render(const QList<LineFramer::Frame> &frames)
{
    QByteArrayList result;
    for (const LineFramer::Frame &frame : frames)
        result.append(frame.overlong ? overlong(frame.line) : frame.line);
    return result;
}

// Feeds the chunks in order (empty chunks included), then finishes.
QByteArrayList frame(const QList<QByteArrayView> &chunks, qsizetype maxLineLength)
{
    LineFramer framer(maxLineLength);
    QList<LineFramer::Frame> frames;
    for (const QByteArrayView chunk : chunks)
        framer.feed(chunk, frames);
    framer.finish(frames);
    if (framer.bufferedBytes() != 0)
        return {QByteArrayLiteral("<bytes left buffered after finish>")};
    return render(frames);
}

QByteArray repeated(char c, qsizetype count)
{
    return QByteArray(count, c);
}

} // namespace

class tst_LineFramer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void framing_data();
    void framing();
    void overlongReportedWhenLimitIsCrossed();
    void finishResets();
    void defaults();
    void largeLine_data();
    void largeLine();
};

void tst_LineFramer::framing_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<int>("maxLineLength");
    QTest::addColumn<QByteArrayList>("expected");

    const int noLimit = int(LineFramer::DefaultMaxLineLength);
    const QByteArray utf8 =
            QByteArrayLiteral("{\"text\":\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"}");

    QTest::newRow("empty input") << QByteArray() << noLimit << QByteArrayList();
    QTest::newRow("only newlines") << QByteArrayLiteral("\n\n\n") << noLimit << QByteArrayList();
    QTest::newRow("only CRLFs") << QByteArrayLiteral("\r\n\r\n") << noLimit << QByteArrayList();
    QTest::newRow("whitespace-only lines")
            << QByteArrayLiteral(" \n\t\n \t \r\n\r\r\n  ") << noLimit << QByteArrayList();
    QTest::newRow("one line") << QByteArrayLiteral("{\"id\":1}\n") << noLimit
                              << QByteArrayList{"{\"id\":1}"};
    QTest::newRow("several lines")
            << QByteArrayLiteral("a\nb\nc\n") << noLimit << QByteArrayList{"a", "b", "c"};
    QTest::newRow("CRLF") << QByteArrayLiteral("a\r\nb\r\n") << noLimit << QByteArrayList{"a", "b"};
    QTest::newRow("mixed LF and CRLF")
            << QByteArrayLiteral("a\nb\r\nc\n") << noLimit << QByteArrayList{"a", "b", "c"};
    QTest::newRow("blank lines between")
            << QByteArrayLiteral("a\n\n \r\n\t\nb\n") << noLimit << QByteArrayList{"a", "b"};
    QTest::newRow("final line without newline")
            << QByteArrayLiteral("a\nlast") << noLimit << QByteArrayList{"a", "last"};
    QTest::newRow("final line with lone CR")
            << QByteArrayLiteral("a\nlast\r") << noLimit << QByteArrayList{"a", "last"};
    QTest::newRow("final whitespace-only line")
            << QByteArrayLiteral("a\n \t\r") << noLimit << QByteArrayList{"a"};
    QTest::newRow("surrounding spaces kept")
            << QByteArrayLiteral("  {} \t\n") << noLimit << QByteArrayList{"  {} \t"};
    QTest::newRow("spaces before CRLF kept")
            << QByteArrayLiteral(" {} \r\n") << noLimit << QByteArrayList{" {} "};
    QTest::newRow("inner CR kept")
            << QByteArrayLiteral("a\rb\n") << noLimit << QByteArrayList{"a\rb"};
    QTest::newRow("only one trailing CR stripped")
            << QByteArrayLiteral("a\r\r\n") << noLimit << QByteArrayList{"a\r"};
    QTest::newRow("split UTF-8 multibyte sequences")
            << QByteArray(utf8 + '\n' + utf8) << noLimit << QByteArrayList{utf8, utf8};
    QTest::newRow("garbage bytes and NUL")
            << QByteArrayLiteral("\0\xFF\x01\x7F\n\xC3(\n") << noLimit
            << QByteArrayList{QByteArrayLiteral("\0\xFF\x01\x7F"), QByteArrayLiteral("\xC3(")};

    QTest::newRow("exact-limit line")
            << QByteArrayLiteral("12345678\nok\n") << 8 << QByteArrayList{"12345678", "ok"};
    QTest::newRow("exact-limit line with CRLF")
            << QByteArrayLiteral("12345678\r\nok\n") << 8 << QByteArrayList{"12345678", "ok"};
    QTest::newRow("exact-limit final line with CR")
            << QByteArrayLiteral("12345678\r") << 8 << QByteArrayList{"12345678"};
    QTest::newRow("exact-limit final line")
            << QByteArrayLiteral("12345678") << 8 << QByteArrayList{"12345678"};
    QTest::newRow("limit plus one") << QByteArrayLiteral("123456789\nok\n") << 8
                                    << QByteArrayList{overlong("12345678"), "ok"};
    QTest::newRow("limit plus one with CRLF") << QByteArrayLiteral("123456789\r\nok\r\n") << 8
                                              << QByteArrayList{overlong("12345678"), "ok"};
    QTest::newRow("limit plus stray CR") << QByteArrayLiteral("12345678\r\r\nok\n") << 8
                                         << QByteArrayList{overlong("12345678"), "ok"};
    QTest::newRow("overlong line then normal lines")
            << QByteArray("a\n" + repeated('x', 100) + "\nb\nc\n") << 8
            << QByteArrayList{"a", overlong("xxxxxxxx"), "b", "c"};
    QTest::newRow("overlong lines back to back")
            << QByteArray(repeated('x', 20) + '\n' + repeated('y', 9) + "\nz\n") << 8
            << QByteArrayList{overlong("xxxxxxxx"), overlong("yyyyyyyy"), "z"};
    QTest::newRow("overlong whitespace-only line") << QByteArray(repeated(' ', 20) + "\nz\n") << 8
                                                   << QByteArrayList{overlong("        "), "z"};
    QTest::newRow("overlong final line without newline") << QByteArray(
            "a\n" + repeated('x', 9)) << 8 << QByteArrayList{"a", overlong("xxxxxxxx")};
    QTest::newRow("overlong garbage then JSON")
            << QByteArray(QByteArrayLiteral("\0\xFF") + repeated('\xFE', 30) + "\r\n{}\n") << 8
            << QByteArrayList{overlong(QByteArrayLiteral("\0\xFF") + repeated('\xFE', 6)), "{}"};
    QTest::newRow("zero limit") << QByteArrayLiteral("a\n\n \nb") << 0
                                << QByteArrayList{overlong(""), overlong(""), overlong("")};
}

void tst_LineFramer::framing()
{
    QFETCH(QByteArray, input);
    QFETCH(int, maxLineLength);
    QFETCH(QByteArrayList, expected);
    const QByteArrayView view(input);

    QCOMPARE(frame({view}, maxLineLength), expected);

    // The property that matters: the output does not depend on how the input is fragmented.
    for (qsizetype split = 0; split <= view.size(); ++split) {
        const QByteArrayList actual = frame({view.first(split), view.sliced(split)}, maxLineLength);
        if (actual != expected)
            QFAIL(qPrintable(QStringLiteral("differs when split at byte %1").arg(split)));
    }
    for (qsizetype first = 0; first <= view.size() && view.size() <= 64; ++first) {
        for (qsizetype second = first; second <= view.size(); ++second) {
            const QByteArrayList actual = frame(
                    {view.first(first), view.sliced(first, second - first), view.sliced(second)},
                    maxLineLength);
            if (actual != expected)
                QFAIL(qPrintable(QStringLiteral("differs when split at bytes %1 and %2")
                                         .arg(first)
                                         .arg(second)));
        }
    }
    QList<QByteArrayView> bytes;
    for (qsizetype i = 0; i < view.size(); ++i) {
        bytes.append(view.sliced(i, 1));
        bytes.append(QByteArrayView()); // empty reads must not disturb the state
    }
    QCOMPARE(frame(bytes, maxLineLength), expected);
}

void tst_LineFramer::overlongReportedWhenLimitIsCrossed()
{
    LineFramer framer(8);
    QList<LineFramer::Frame> frames;
    framer.feed("12345678", frames);
    QVERIFY(frames.isEmpty());
    QCOMPARE(framer.bufferedBytes(), 8);
    // A CR could still be the start of a CRLF.
    framer.feed("\r", frames);
    QVERIFY(frames.isEmpty());
    framer.feed("9", frames);
    QCOMPARE(render(frames), QByteArrayList{overlong("12345678")});
    QCOMPARE(framer.bufferedBytes(), 0);

    // The rest of the line is discarded without being buffered.
    for (int i = 0; i < 1000; ++i)
        framer.feed("xxxxxxxxxxxxxxxx", frames);
    QCOMPARE(framer.bufferedBytes(), 0);
    QCOMPARE(frames.size(), 1);

    framer.feed("x\nnext\n", frames);
    QCOMPARE(render(frames), (QByteArrayList{overlong("12345678"), "next"}));
}

void tst_LineFramer::finishResets()
{
    LineFramer framer(8);
    QList<LineFramer::Frame> frames;
    framer.feed("123456789", frames);
    framer.finish(frames);
    framer.feed("partial", frames);
    framer.finish(frames);
    framer.finish(frames);
    framer.feed("ok\n", frames);
    QCOMPARE(render(frames), (QByteArrayList{overlong("12345678"), "partial", "ok"}));
    QCOMPARE(framer.bufferedBytes(), 0);
}

void tst_LineFramer::defaults()
{
    QCOMPARE(LineFramer().maxLineLength(), LineFramer::DefaultMaxLineLength);
    QCOMPARE(LineFramer(-1).maxLineLength(), 0);
    QCOMPARE(LineFramer().bufferedBytes(), 0);
}

void tst_LineFramer::largeLine_data()
{
    QTest::addColumn<int>("chunkSize");
    QTest::addColumn<int>("maxLineLength");
    QTest::addColumn<bool>("overlong");

    constexpr int size = 8 * 1024 * 1024;
    QTest::newRow("8 MB in 64 KiB chunks")
            << 64 * 1024 << int(LineFramer::DefaultMaxLineLength) << false;
    // Rescanning the buffered bytes on every read would make this one take minutes.
    QTest::newRow("8 MB in 256-byte chunks")
            << 256 << int(LineFramer::DefaultMaxLineLength) << false;
    QTest::newRow("8 MB at exactly the limit") << 64 * 1024 << size << false;
    QTest::newRow("8 MB one byte over the limit") << 64 * 1024 << size - 1 << true;
}

void tst_LineFramer::largeLine()
{
    QFETCH(int, chunkSize);
    QFETCH(int, maxLineLength);
    QFETCH(bool, overlong);

    constexpr qsizetype size = 8 * 1024 * 1024;
    QByteArray input(size, 'x');
    input.front() = '{';
    input.back() = '}';
    input += "\r\n{}\n";
    const QByteArrayView view(input);

    QElapsedTimer timer;
    timer.start();
    LineFramer framer(maxLineLength);
    QList<LineFramer::Frame> frames;
    for (qsizetype position = 0; position < view.size(); position += chunkSize)
        framer.feed(
                view.sliced(position, qMin<qsizetype>(chunkSize, view.size() - position)), frames);
    framer.finish(frames);
    QVERIFY2(timer.elapsed() < 10000, "framing is not linear in the line length");

    QCOMPARE(frames.size(), 2);
    QCOMPARE(frames.at(0).overlong, overlong);
    if (overlong) // the start of the line only, enough to read an id from
        QVERIFY(frames.at(0).line == input.first(LineFramer::OverlongStartLength));
    else
        QVERIFY(frames.at(0).line == input.first(size));
    QCOMPARE(frames.at(1).line, QByteArrayLiteral("{}"));
}

QTEST_APPLESS_MAIN(tst_LineFramer)

#include "tst_lineframer.moc"
