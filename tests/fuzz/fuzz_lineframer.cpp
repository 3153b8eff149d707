// libFuzzer target: LineFramer output must not depend on how the input is fragmented
// (MCP 2025-11-25 transports, stdio: one message per line), and its frames must be well-formed.
#include "fuzzchunks.h"
#include "stdio/lineframer.h"

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace McpProxy;

namespace {

struct Run
{
    QList<LineFramer::Frame> frames;
    qsizetype bufferedAfterFinish = 0;
};

Run frame(const QList<QByteArrayView> &chunks, qsizetype maxLineLength)
{
    LineFramer framer(maxLineLength);
    Run run;
    for (const QByteArrayView chunk : chunks)
        framer.feed(chunk, run.frames);
    framer.finish(run.frames);
    run.bufferedAfterFinish = framer.bufferedBytes();
    return run;
}

bool sameFrames(const Run &left, const Run &right)
{
    if (left.frames.size() != right.frames.size())
        return false;
    for (qsizetype i = 0; i < left.frames.size(); ++i) {
        if (left.frames.at(i).overlong != right.frames.at(i).overlong
                || left.frames.at(i).line != right.frames.at(i).line)
            return false;
    }
    return true;
}

[[noreturn]] void fail(const char *what)
{
    std::fprintf(stderr, "fuzz_lineframer: %s\n", what);
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzedDataProvider provider(data, size);
    // Mostly small limits, so that overlong lines and the exact limit are reached.
    const uint8_t limitChoice = provider.ConsumeIntegral<uint8_t>();
    const qsizetype maxLineLength =
            limitChoice < 192 ? qsizetype(limitChoice % 48) : LineFramer::DefaultMaxLineLength;

    const Fuzz::Chunks input = Fuzz::takeChunks(provider);
    const QByteArray &whole = input.whole;
    const QList<QByteArrayView> &chunks = input.chunks;
    const QList<QByteArrayView> &singleBytes = input.singleBytes;

    const Run oneShot = frame({whole}, maxLineLength);
    if (!sameFrames(oneShot, frame(chunks, maxLineLength)))
        fail("chunked feed differs from the one-shot feed");
    if (!sameFrames(oneShot, frame(singleBytes, maxLineLength)))
        fail("byte-by-byte feed differs from the one-shot feed");
    if (oneShot.bufferedAfterFinish != 0)
        fail("bytes left buffered after finish()");

    for (const LineFramer::Frame &frame : oneShot.frames) {
        if (frame.overlong) {
            if (!whole.contains(frame.line))
                fail("overlong frame carries bytes that are not in the input");
            if (frame.line.size() != std::min(maxLineLength, LineFramer::OverlongStartLength))
                fail("overlong frame does not carry the start of its line");
            if (frame.line.contains('\n'))
                fail("overlong frame's start contains LF");
            continue;
        }
        if (frame.line.size() > maxLineLength)
            fail("line longer than the limit");
        if (frame.line.contains('\n'))
            fail("line contains LF");
        bool blank = true;
        for (const char c : frame.line)
            blank = blank && (c == ' ' || c == '\t' || c == '\r');
        if (blank)
            fail("blank line reported");
    }
    return 0;
}
