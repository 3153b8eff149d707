#include "transport/sseparser.h"

#include <QtCore/QElapsedTimer>
#include <QtTest/QTest>

#include <limits>

using namespace McpProxy;

namespace {

struct Outcome
{
    QByteArrayList events;
    QByteArray lastEventId;
    int reconnectionTime = -1;
    int droppedEvents = 0;
};

// One entry per event: "<type>|<id>|<data>" (the data may contain anything, it comes last).
QByteArray render(const SseEvent &event)
{
    return event.type + '|' + event.lastEventId + '|' + event.data;
}

// Feeds the chunks in order (empty chunks included), then finishes the stream.
Outcome parse(const QList<QByteArrayView> &chunks, qsizetype maxEventSize)
{
    SseParser parser(maxEventSize);
    QList<SseEvent> events;
    for (const QByteArrayView chunk : chunks)
        parser.feed(chunk, events);
    parser.finish(events);

    Outcome outcome;
    for (const SseEvent &event : events)
        outcome.events.append(render(event));
    outcome.lastEventId = parser.lastEventId();
    outcome.reconnectionTime = parser.reconnectionTime().value_or(-1);
    outcome.droppedEvents = parser.droppedEvents();
    return outcome;
}

QByteArray describe(const Outcome &outcome)
{
    QByteArray text = "events=[" + outcome.events.join("][") + "] lastEventId="
            + outcome.lastEventId + " retry=" + QByteArray::number(outcome.reconnectionTime)
            + " dropped=" + QByteArray::number(outcome.droppedEvents);
    return text.toPercentEncoding(" =[]|");
}

bool operator==(const Outcome &left, const Outcome &right)
{
    return left.events == right.events && left.lastEventId == right.lastEventId
            && left.reconnectionTime == right.reconnectionTime
            && left.droppedEvents == right.droppedEvents;
}

} // namespace

class tst_SseParser : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parsing_data();
    void parsing();
    void eventsAreDispatchedAtTheBlankLine();
    void nextStreamAfterFinish();
    void memoryStaysBounded();
    void defaults();
    void largeEvent_data();
    void largeEvent();
};

void tst_SseParser::parsing_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<int>("maxEventSize");
    QTest::addColumn<QByteArrayList>("events");
    QTest::addColumn<QByteArray>("lastEventId");
    QTest::addColumn<int>("reconnectionTime");
    QTest::addColumn<int>("droppedEvents");

    const int noLimit = int(SseParser::DefaultMaxEventSize);
    const QByteArray utf8 = QByteArrayLiteral("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
    const QByteArray bom = QByteArrayLiteral("\xEF\xBB\xBF");
    const QByteArray maxRetry = QByteArray::number(std::numeric_limits<int>::max());

    // Basics (WHATWG HTML section 9.2.6).
    QTest::newRow("empty input") << QByteArray() << noLimit << QByteArrayList() << QByteArray()
                                 << -1 << 0;
    QTest::newRow("only newlines") << QByteArrayLiteral("\n\n\r\n\r\r") << noLimit
                                   << QByteArrayList() << QByteArray() << -1 << 0;
    QTest::newRow("one event") << QByteArrayLiteral("data: hello\n\n") << noLimit
                               << QByteArrayList{"||hello"} << QByteArray() << -1 << 0;
    QTest::newRow("no space after colon") << QByteArrayLiteral("data:hello\n\n") << noLimit
                                          << QByteArrayList{"||hello"} << QByteArray() << -1 << 0;
    QTest::newRow("only one leading space removed")
            << QByteArrayLiteral("data:  two \n\n") << noLimit << QByteArrayList{"|| two "}
            << QByteArray() << -1 << 0;
    QTest::newRow("colon in value")
            << QByteArrayLiteral("data: {\"a\":\"b:c\"}\n\n") << noLimit
            << QByteArrayList{"||{\"a\":\"b:c\"}"} << QByteArray() << -1 << 0;
    QTest::newRow("multi-line data")
            << QByteArrayLiteral("data: a\ndata:b\ndata\ndata: c\n\n") << noLimit
            << QByteArrayList{"||a\nb\n\nc"} << QByteArray() << -1 << 0;
    QTest::newRow("two events") << QByteArrayLiteral("data: 1\n\ndata: 2\n\n") << noLimit
                                << QByteArrayList{"||1", "||2"} << QByteArray() << -1 << 0;
    QTest::newRow("several blank lines between")
            << QByteArrayLiteral("\n\ndata: 1\n\n\n\n\ndata: 2\n\n\n") << noLimit
            << QByteArrayList{"||1", "||2"} << QByteArray() << -1 << 0;
    QTest::newRow("field without colon is data with empty value")
            << QByteArrayLiteral("data\n\n") << noLimit << QByteArrayList{"||"} << QByteArray()
            << -1 << 0;
    QTest::newRow("empty data line dispatches empty data")
            << QByteArrayLiteral("data:\n\n") << noLimit << QByteArrayList{"||"} << QByteArray()
            << -1 << 0;
    QTest::newRow("two empty data lines") << QByteArrayLiteral("data\ndata\n\n") << noLimit
                                          << QByteArrayList{"||\n"} << QByteArray() << -1 << 0;
    QTest::newRow("blank line without data dispatches nothing")
            << QByteArrayLiteral("event: x\n\n") << noLimit << QByteArrayList() << QByteArray()
            << -1 << 0;

    // Line endings (WHATWG HTML section 9.2.5).
    QTest::newRow("CRLF") << QByteArrayLiteral("data: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n")
                          << noLimit << QByteArrayList{"||a\nb", "||c"} << QByteArray() << -1 << 0;
    QTest::newRow("lone CR") << QByteArrayLiteral("data: a\rdata: b\r\rdata: c\r\r") << noLimit
                             << QByteArrayList{"||a\nb", "||c"} << QByteArray() << -1 << 0;
    QTest::newRow("mixed line endings")
            << QByteArrayLiteral("data: a\rdata: b\r\n\ndata: c\n\r") << noLimit
            << QByteArrayList{"||a\nb", "||c"} << QByteArray() << -1 << 0;
    QTest::newRow("CR CR LF is two line ends")
            << QByteArrayLiteral("data: a\r\r\ndata: b\n\n") << noLimit
            << QByteArrayList{"||a", "||b"} << QByteArray() << -1 << 0;
    QTest::newRow("LF CR is two line ends")
            << QByteArrayLiteral("data: a\n\rdata: b\n\n") << noLimit
            << QByteArrayList{"||a", "||b"} << QByteArray() << -1 << 0;
    QTest::newRow("CRLF right after the BOM") << QByteArray(bom + "\r\ndata: a\r\n\r\n") << noLimit
                                              << QByteArrayList{"||a"} << QByteArray() << -1 << 0;

    // End of stream (tolerant).
    QTest::newRow("final event without blank line")
            << QByteArrayLiteral("data: 1\n\ndata: 2\n") << noLimit << QByteArrayList{"||1", "||2"}
            << QByteArray() << -1 << 0;
    QTest::newRow("final line without newline")
            << QByteArrayLiteral("id: 3\ndata: x") << noLimit << QByteArrayList{"|3|x"}
            << QByteArrayLiteral("3") << -1 << 0;
    QTest::newRow("final line ends with CR") << QByteArrayLiteral("data: x\r") << noLimit
                                             << QByteArrayList{"||x"} << QByteArray() << -1 << 0;
    QTest::newRow("partial field name at end") << QByteArrayLiteral("data: x\n\ndat") << noLimit
                                               << QByteArrayList{"||x"} << QByteArray() << -1 << 0;

    // Comments and unknown fields.
    QTest::newRow("comments and heartbeats")
            << QByteArrayLiteral(": stream start\n\n:\n\n: keep-alive\r\ndata: x\n: inside\n\n")
            << noLimit << QByteArrayList{"||x"} << QByteArray() << -1 << 0;
    QTest::newRow("unknown field ignored")
            << QByteArrayLiteral("foo: bar\ndata: x\nbaz\n\n") << noLimit << QByteArrayList{"||x"}
            << QByteArray() << -1 << 0;
    QTest::newRow("field names are case-sensitive")
            << QByteArrayLiteral("Data: x\nDATA: y\n\n") << noLimit << QByteArrayList()
            << QByteArray() << -1 << 0;
    QTest::newRow("space before colon makes another field")
            << QByteArrayLiteral("data : x\n data: y\n\n") << noLimit << QByteArrayList()
            << QByteArray() << -1 << 0;
    QTest::newRow("garbage bytes")
            << QByteArrayLiteral("\0\xFF:\x01\n\xFE\n\ndata: \0\xFF\n\n") << noLimit
            << QByteArrayList{QByteArrayLiteral("||\0\xFF")} << QByteArray() << -1 << 0;

    // Event type.
    QTest::newRow("event type") << QByteArrayLiteral("event: ping\ndata: 1\n\n") << noLimit
                                << QByteArrayList{"ping||1"} << QByteArray() << -1 << 0;
    QTest::newRow("event type resets after dispatch")
            << QByteArrayLiteral("event: a\ndata: 1\n\ndata: 2\n\n") << noLimit
            << QByteArrayList{"a||1", "||2"} << QByteArray() << -1 << 0;
    QTest::newRow("event type resets without data")
            << QByteArrayLiteral("event: a\n\ndata: 2\n\n") << noLimit << QByteArrayList{"||2"}
            << QByteArray() << -1 << 0;
    QTest::newRow("last event type wins")
            << QByteArrayLiteral("event: a\nevent: b\ndata: 1\n\n") << noLimit
            << QByteArrayList{"b||1"} << QByteArray() << -1 << 0;

    // Last event ID.
    QTest::newRow("id") << QByteArrayLiteral("id: 7\ndata: x\n\n") << noLimit
                        << QByteArrayList{"|7|x"} << QByteArrayLiteral("7") << -1 << 0;
    QTest::newRow("id after data in the same event")
            << QByteArrayLiteral("data: x\nid: 9\n\n") << noLimit << QByteArrayList{"|9|x"}
            << QByteArrayLiteral("9") << -1 << 0;
    QTest::newRow("id persists across events")
            << QByteArrayLiteral("id: 7\ndata: x\n\ndata: y\n\n") << noLimit
            << QByteArrayList{"|7|x", "|7|y"} << QByteArrayLiteral("7") << -1 << 0;
    QTest::newRow("id without data (priming)")
            << QByteArrayLiteral("id: 42\n\n") << noLimit << QByteArrayList()
            << QByteArrayLiteral("42") << -1 << 0;
    QTest::newRow("priming with retry then an event")
            << QByteArrayLiteral("id: 0\nretry: 1000\n\nid: 1\ndata: {}\n\n") << noLimit
            << QByteArrayList{"|1|{}"} << QByteArrayLiteral("1") << 1000 << 0;
    QTest::newRow("priming with empty data is dispatched")
            << QByteArrayLiteral("id: 42\ndata:\n\n") << noLimit << QByteArrayList{"|42|"}
            << QByteArrayLiteral("42") << -1 << 0;
    QTest::newRow("empty id resets") << QByteArrayLiteral("id: 1\n\nid\ndata: x\n\n") << noLimit
                                     << QByteArrayList{"||x"} << QByteArray() << -1 << 0;
    QTest::newRow("id keeps spaces") << QByteArrayLiteral("id:  a b \n\n") << noLimit
                                     << QByteArrayList() << QByteArrayLiteral(" a b ") << -1 << 0;
    QTest::newRow("NUL in id ignored")
            << QByteArrayLiteral("id: 1\n\nid: a\0b\ndata: x\n\n") << noLimit
            << QByteArrayList{"|1|x"} << QByteArrayLiteral("1") << -1 << 0;
    QTest::newRow("id of an unterminated event counts at end")
            << QByteArrayLiteral("id: 1\n\nid: 2\n") << noLimit << QByteArrayList()
            << QByteArrayLiteral("2") << -1 << 0;

    // Reconnection time.
    QTest::newRow("retry valid") << QByteArrayLiteral("retry: 3000\n\n") << noLimit
                                 << QByteArrayList() << QByteArray() << 3000 << 0;
    QTest::newRow("retry zero and leading zeros")
            << QByteArrayLiteral("retry: 0\nretry:0010\n") << noLimit << QByteArrayList()
            << QByteArray() << 10 << 0;
    QTest::newRow("retry invalid keeps the previous value")
            << QByteArrayLiteral("retry: 5\nretry: 30a\nretry: -1\nretry: 1.5\nretry: +3\n"
                                 "retry:  10\nretry: 10 \nretry:\nretry\nretry: \xD9\xA3\n\n")
            << noLimit << QByteArrayList() << QByteArray() << 5 << 0;
    QTest::newRow("retry invalid alone") << QByteArrayLiteral("retry: x\n\n") << noLimit
                                         << QByteArrayList() << QByteArray() << -1 << 0;
    QTest::newRow("retry at INT_MAX")
            << QByteArray("retry: " + maxRetry + '\n') << noLimit << QByteArrayList()
            << QByteArray() << std::numeric_limits<int>::max() << 0;
    QTest::newRow("retry just past INT_MAX saturates")
            << QByteArrayLiteral("retry: 2147483648\n") << noLimit << QByteArrayList()
            << QByteArray() << std::numeric_limits<int>::max() << 0;
    QTest::newRow("retry huge saturates")
            << QByteArrayLiteral("retry: 99999999999999999999999999999999999999\n") << noLimit
            << QByteArrayList() << QByteArray() << std::numeric_limits<int>::max() << 0;
    QTest::newRow("retry without newline at end") << QByteArrayLiteral("retry: 250") << noLimit
                                                  << QByteArrayList() << QByteArray() << 250 << 0;

    // Byte order mark.
    QTest::newRow("BOM") << QByteArray(bom + "data: x\n\n") << noLimit << QByteArrayList{"||x"}
                         << QByteArray() << -1 << 0;
    QTest::newRow("BOM then comment") << QByteArray(bom + ":hi\n\ndata: x\n\n") << noLimit
                                      << QByteArrayList{"||x"} << QByteArray() << -1 << 0;
    QTest::newRow("only the first BOM is skipped")
            << QByteArray(bom + bom + "data: x\n\ndata: y\n\n") << noLimit << QByteArrayList{"||y"}
            << QByteArray() << -1 << 0;
    QTest::newRow("partial BOM is content") << QByteArrayLiteral("\xEF\xBB\ndata: x\n\n") << noLimit
                                            << QByteArrayList{"||x"} << QByteArray() << -1 << 0;
    QTest::newRow("partial BOM before a field name")
            << QByteArrayLiteral("\xEF\xBB"
                                 "data: x\n\ndata: y\n\n")
            << noLimit << QByteArrayList{"||y"} << QByteArray() << -1 << 0;
    QTest::newRow("stream is a partial BOM") << QByteArrayLiteral("\xEF\xBB") << noLimit
                                             << QByteArrayList() << QByteArray() << -1 << 0;
    QTest::newRow("stream is only a BOM")
            << bom << noLimit << QByteArrayList() << QByteArray() << -1 << 0;
    QTest::newRow("BOM bytes inside data are kept")
            << QByteArray("data: " + bom + "\n\n") << noLimit << QByteArrayList{"||" + bom}
            << QByteArray() << -1 << 0;

    // Bytes are never decoded.
    QTest::newRow("split UTF-8 multibyte sequences")
            << QByteArray("event: " + utf8 + "\nid: " + utf8 + "\ndata: " + utf8 + "\n\n")
            << noLimit << QByteArrayList{utf8 + '|' + utf8 + '|' + utf8} << utf8 << -1 << 0;

    // Size limit.
    QTest::newRow("exact-limit event") << QByteArrayLiteral("data: 12345678\n\n") << 8
                                       << QByteArrayList{"||12345678"} << QByteArray() << -1 << 0;
    QTest::newRow("exact-limit event over two lines")
            << QByteArrayLiteral("data: 1234\ndata: 567\n\n") << 8 << QByteArrayList{"||1234\n567"}
            << QByteArray() << -1 << 0;
    QTest::newRow("exact-limit event without the space")
            << QByteArrayLiteral("data:12345678\r\n\r\n") << 8 << QByteArrayList{"||12345678"}
            << QByteArray() << -1 << 0;
    QTest::newRow("oversized event dropped then next event fine")
            << QByteArrayLiteral("id: 1\nevent: big\ndata: 123456789\n\ndata: ok\n\n") << 8
            << QByteArrayList{"|1|ok"} << QByteArrayLiteral("1") << -1 << 1;
    QTest::newRow("oversized over two lines") << QByteArrayLiteral("data: 1234\ndata: 5678\n\n")
                                              << 8 << QByteArrayList() << QByteArray() << -1 << 1;
    QTest::newRow("oversized event keeps later lines out")
            << QByteArrayLiteral("data: 123456789\ndata: x\n\ndata: ok\n\n") << 8
            << QByteArrayList{"||ok"} << QByteArray() << -1 << 1;
    QTest::newRow("overlong line then normal lines")
            << QByteArrayLiteral("data: 123456789012345678901234567890\r\ndata: x\r\n\r\n"
                                 "data: ok\r\n\r\n")
            << 8 << QByteArrayList{"||ok"} << QByteArray() << -1 << 1;
    QTest::newRow("overlong comment drops its event")
            << QByteArrayLiteral("data: a\n: 123456789012345678901234567890\n\ndata: ok\n\n") << 8
            << QByteArrayList{"||ok"} << QByteArray() << -1 << 1;
    QTest::newRow("two oversized events") << QByteArrayLiteral("data: 123456789\n\n"
                                                               "data: 123456789\r\rdata: ok\r\r")
                                          << 8 << QByteArrayList{"||ok"} << QByteArray() << -1 << 2;
    QTest::newRow("oversized unterminated event at end")
            << QByteArrayLiteral("data: ok\n\ndata: 123456789") << 8 << QByteArrayList{"||ok"}
            << QByteArray() << -1 << 1;
    QTest::newRow("zero limit") << QByteArrayLiteral("data\n\ndata: x\n\n") << 0
                                << QByteArrayList{"||"} << QByteArray() << -1 << 1;
}

void tst_SseParser::parsing()
{
    QFETCH(QByteArray, input);
    QFETCH(int, maxEventSize);
    Outcome expected;
    QFETCH(QByteArrayList, events);
    expected.events = events;
    QFETCH(QByteArray, lastEventId);
    expected.lastEventId = lastEventId;
    QFETCH(int, reconnectionTime);
    expected.reconnectionTime = reconnectionTime;
    QFETCH(int, droppedEvents);
    expected.droppedEvents = droppedEvents;
    const QByteArrayView view(input);

    const Outcome oneShot = parse({view}, maxEventSize);
    QCOMPARE(describe(oneShot), describe(expected));
    QVERIFY(oneShot == expected);

    // The property that matters: the outcome does not depend on how the input is fragmented.
    for (qsizetype split = 0; split <= view.size(); ++split) {
        const Outcome actual = parse({view.first(split), view.sliced(split)}, maxEventSize);
        if (!(actual == expected))
            QFAIL(qPrintable(QStringLiteral("split at byte %1: %2")
                                     .arg(split)
                                     .arg(QLatin1String(describe(actual)))));
    }
    for (qsizetype first = 0; first <= view.size() && view.size() <= 64; ++first) {
        for (qsizetype second = first; second <= view.size(); ++second) {
            const Outcome actual = parse(
                    {view.first(first), view.sliced(first, second - first), view.sliced(second)},
                    maxEventSize);
            if (!(actual == expected))
                QFAIL(qPrintable(QStringLiteral("split at bytes %1 and %2: %3")
                                         .arg(first)
                                         .arg(second)
                                         .arg(QLatin1String(describe(actual)))));
        }
    }
    QList<QByteArrayView> bytes;
    for (qsizetype i = 0; i < view.size(); ++i) {
        bytes.append(view.sliced(i, 1));
        bytes.append(QByteArrayView()); // an empty read must not lose a pending CR
    }
    QCOMPARE(describe(parse(bytes, maxEventSize)), describe(expected));
}

void tst_SseParser::eventsAreDispatchedAtTheBlankLine()
{
    SseParser parser;
    QList<SseEvent> events;
    parser.feed("id: 1\ndata: x\n", events);
    QVERIFY(events.isEmpty());
    // The last event ID string changes when the event is dispatched, not before.
    QCOMPARE(parser.lastEventId(), QByteArray());
    parser.feed("\r", events);
    QCOMPARE(events.size(), 1);
    QCOMPARE(events.at(0).data, QByteArrayLiteral("x"));
    QCOMPARE(events.at(0).lastEventId, QByteArrayLiteral("1"));
    QCOMPARE(parser.lastEventId(), QByteArrayLiteral("1"));
    // The LF of that CRLF arrives in the next chunk and is not a second blank line.
    parser.feed("\ndata: y\n", events);
    QCOMPARE(events.size(), 1);
    parser.feed("\n", events);
    QCOMPARE(events.size(), 2);
}

void tst_SseParser::nextStreamAfterFinish()
{
    SseParser parser;
    QList<SseEvent> events;
    parser.feed("\xEF\xBB\xBFretry: 500\nid: 5\ndata: a\n\ndata: unterminated\r", events);
    parser.finish(events);
    QCOMPARE(events.size(), 2);
    QCOMPARE(events.at(1).data, QByteArrayLiteral("unterminated"));

    // A reconnection: a new stream, which may start with its own BOM; a leading LF is not the
    // second half of the previous stream's CR.
    parser.feed("\xEF\xBB\xBF", events);
    parser.feed("\ndata: b\n\n", events);
    parser.finish(events);
    QCOMPARE(events.size(), 3);
    QCOMPARE(events.at(2).data, QByteArrayLiteral("b"));
    QCOMPARE(events.at(2).lastEventId, QByteArrayLiteral("5"));
    QCOMPARE(parser.lastEventId(), QByteArrayLiteral("5"));
    QCOMPARE(parser.reconnectionTime(), std::optional<int>(500));
}

void tst_SseParser::memoryStaysBounded()
{
    SseParser parser(16);
    QList<SseEvent> events;
    parser.feed("data: ", events);
    for (int i = 0; i < 10000; ++i)
        parser.feed("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", events);
    parser.feed("\ndata: ", events);
    for (int i = 0; i < 10000; ++i)
        parser.feed("xxxxxxx\ndata: ", events);
    parser.feed("\n\ndata: ok\n\n", events);
    QCOMPARE(events.size(), 1);
    QCOMPARE(events.at(0).data, QByteArrayLiteral("ok"));
    QCOMPARE(parser.droppedEvents(), 1);
}

void tst_SseParser::defaults()
{
    const SseParser parser;
    QCOMPARE(parser.lastEventId(), QByteArray());
    QCOMPARE(parser.reconnectionTime(), std::nullopt);
    QCOMPARE(parser.droppedEvents(), 0);
}

void tst_SseParser::largeEvent_data()
{
    QTest::addColumn<int>("chunkSize");
    QTest::addColumn<int>("maxEventSize");
    QTest::addColumn<bool>("dropped");

    constexpr int size = 8 * 1024 * 1024;
    QTest::newRow("8 MB in 64 KiB chunks")
            << 64 * 1024 << int(SseParser::DefaultMaxEventSize) << false;
    // Rescanning the buffered bytes on every read would make this one take minutes.
    QTest::newRow("8 MB in 256-byte chunks") << 256 << int(SseParser::DefaultMaxEventSize) << false;
    QTest::newRow("8 MB at exactly the limit") << 64 * 1024 << size << false;
    QTest::newRow("8 MB one byte over the limit") << 64 * 1024 << size - 1 << true;
}

void tst_SseParser::largeEvent()
{
    QFETCH(int, chunkSize);
    QFETCH(int, maxEventSize);
    QFETCH(bool, dropped);

    constexpr qsizetype size = 8 * 1024 * 1024;
    const QByteArray data(size, 'x');
    const QByteArray input = "id: big\r\ndata: " + data + "\r\n\r\ndata: {}\r\n\r\n";
    const QByteArrayView view(input);

    QElapsedTimer timer;
    timer.start();
    SseParser parser(maxEventSize);
    QList<SseEvent> events;
    for (qsizetype position = 0; position < view.size(); position += chunkSize)
        parser.feed(
                view.sliced(position, qMin<qsizetype>(chunkSize, view.size() - position)), events);
    parser.finish(events);
    QVERIFY2(timer.elapsed() < 10000, "parsing is not linear in the event size");

    QCOMPARE(parser.droppedEvents(), dropped ? 1 : 0);
    QCOMPARE(events.size(), dropped ? 1 : 2);
    if (!dropped)
        QVERIFY(events.at(0).data == data);
    QCOMPARE(events.last().data, QByteArrayLiteral("{}"));
    QCOMPARE(events.last().lastEventId, QByteArrayLiteral("big"));
}

QTEST_APPLESS_MAIN(tst_SseParser)

#include "tst_sseparser.moc"
