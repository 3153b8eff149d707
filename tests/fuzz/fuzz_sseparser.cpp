// libFuzzer target: SseParser output (WHATWG HTML section 9.2.6) must not depend on how the stream
// is fragmented, and no dispatched event may exceed the size limit.
#include "fuzzchunks.h"
#include "transport/sseparser.h"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace McpProxy;

namespace {

struct Run
{
    QList<SseEvent> events;
    QByteArray lastEventId;
    std::optional<int> reconnectionTime;
    int droppedEvents = 0;
};

Run parse(const QList<QByteArrayView> &chunks, qsizetype maxEventSize)
{
    SseParser parser(maxEventSize);
    Run run;
    for (const QByteArrayView chunk : chunks)
        parser.feed(chunk, run.events);
    parser.finish(run.events);
    run.lastEventId = parser.lastEventId();
    run.reconnectionTime = parser.reconnectionTime();
    run.droppedEvents = parser.droppedEvents();
    return run;
}

bool same(const Run &left, const Run &right)
{
    if (left.lastEventId != right.lastEventId || left.reconnectionTime != right.reconnectionTime
            || left.droppedEvents != right.droppedEvents
            || left.events.size() != right.events.size())
        return false;
    for (qsizetype i = 0; i < left.events.size(); ++i) {
        const SseEvent &a = left.events.at(i);
        const SseEvent &b = right.events.at(i);
        if (a.type != b.type || a.data != b.data || a.lastEventId != b.lastEventId)
            return false;
    }
    return true;
}

[[noreturn]] void fail(const char *what)
{
    std::fprintf(stderr, "fuzz_sseparser: %s\n", what);
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzedDataProvider provider(data, size);
    // Mostly small limits, so that dropped events and the exact limit are reached.
    const uint8_t limitChoice = provider.ConsumeIntegral<uint8_t>();
    const qsizetype maxEventSize =
            limitChoice < 192 ? qsizetype(limitChoice % 48) : SseParser::DefaultMaxEventSize;

    const Fuzz::Chunks input = Fuzz::takeChunks(provider);
    const QByteArray &whole = input.whole;
    const QList<QByteArrayView> &chunks = input.chunks;
    const QList<QByteArrayView> &singleBytes = input.singleBytes;

    const Run oneShot = parse({whole}, maxEventSize);
    if (!same(oneShot, parse(chunks, maxEventSize)))
        fail("chunked feed differs from the one-shot feed");
    if (!same(oneShot, parse(singleBytes, maxEventSize)))
        fail("byte-by-byte feed differs from the one-shot feed");

    for (const SseEvent &event : oneShot.events) {
        if (event.data.size() > maxEventSize)
            fail("event larger than the limit");
        if (event.type.contains('\n') || event.type.contains('\r')
                || event.lastEventId.contains('\n') || event.lastEventId.contains('\r')
                || event.data.contains('\r'))
            fail("line terminator inside a field");
        if (event.lastEventId.contains('\0'))
            fail("NUL in the last event ID");
    }
    if (oneShot.reconnectionTime && *oneShot.reconnectionTime < 0)
        fail("negative reconnection time");
    return 0;
}
