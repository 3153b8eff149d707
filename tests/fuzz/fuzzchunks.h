#pragma once

// Shared by the incremental-parser fuzz targets: the fuzzer picks the chunk boundaries of a
// stream; targets compare the chunked feed, a 1-byte feed and the one-shot feed.
#include <QtCore/QByteArray>
#include <QtCore/QByteArrayView>
#include <QtCore/QList>

#include <fuzzer/FuzzedDataProvider.h>

#include <vector>

namespace McpProxy::Fuzz {

struct Chunks
{
    QList<QByteArray> storage; // owns the bytes the views point into
    QByteArray whole;
    QList<QByteArrayView> chunks;
    QList<QByteArrayView> singleBytes;
};

inline Chunks takeChunks(FuzzedDataProvider &provider)
{
    Chunks result;
    while (provider.remaining_bytes() > 0) {
        const size_t length = provider.ConsumeIntegralInRange<size_t>(0, 64);
        const std::vector<uint8_t> bytes = provider.ConsumeBytes<uint8_t>(length);
        result.storage.append(
                QByteArray(reinterpret_cast<const char *>(bytes.data()), qsizetype(bytes.size())));
        result.whole.append(result.storage.last());
    }
    for (const QByteArray &chunk : std::as_const(result.storage))
        result.chunks.append(chunk);
    for (qsizetype i = 0; i < result.whole.size(); ++i)
        result.singleBytes.append(QByteArrayView(result.whole).sliced(i, 1));
    return result;
}

} // namespace McpProxy::Fuzz
