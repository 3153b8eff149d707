// libFuzzer target: the token response parser (RFC 6749 sections 5.1/5.2) must accept any status
// and body, and what it returns must be safe to use: a TokenSet only for a 2xx, with an access
// token that is an RFC 6750 section 2.1 b64token (so "Authorization: Bearer <token>" holds nothing
// RFC 9110 section 5.5 forbids) and the Bearer type; otherwise an error whose text is one bounded
// line.
#include "auth/protocol/tokenresponse.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace McpProxy;
using namespace Qt::StringLiterals;

namespace {

[[noreturn]] void fail(const char *what)
{
    std::fprintf(stderr, "fuzz_tokenresponse: %s\n", what);
    std::abort();
}

bool isFieldValue(const QByteArray &value)
{
    // RFC 9110 section 5.5: VCHAR, SP and HTAB only (obs-text is never produced by us).
    for (const char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if (u != '\t' && (u < 0x20 || u > 0x7e))
            return false;
    }
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    // The first byte picks the status (so 2xx, 4xx and 5xx are all reached), the rest is the body.
    static const int statuses[] = {200, 201, 204, 400, 401, 429, 500, 503};
    const int status = size > 0 ? statuses[data[0] % (sizeof statuses / sizeof *statuses)] : 200;
    const QByteArray body = size > 1
            ? QByteArray(reinterpret_cast<const char *>(data) + 1, qsizetype(size - 1))
            : QByteArray();
    const QDateTime now = QDateTime::fromSecsSinceEpoch(1764072000, Qt::UTC);

    const TokenResponse response = parseTokenResponse(status, body, now);
    if (response.tokens) {
        const TokenSet &tokens = *response.tokens;
        if (status < 200 || status >= 300)
            fail("tokens from a non-2xx response");
        if (!tokens.isValid() || !isBearerToken(tokens.accessToken))
            fail("the access token is not a b64token");
        if (tokens.tokenType != u"Bearer"_s)
            fail("the token type is not Bearer");
        const QByteArray header = tokens.authorizationHeader();
        if (!header.startsWith("Bearer ") || !isFieldValue(header)
                || header.size() != 7 + tokens.accessToken.size())
            fail("the Authorization header is not Bearer <token>");
        if (tokens.expiresAt.isValid() && tokens.expiresAt < now)
            fail("expiry before the response");
        if (!response.error.error.isEmpty())
            fail("both tokens and an error");
    } else {
        const QString text = response.error.toString();
        if (response.error.error.isEmpty())
            fail("neither tokens nor an error code");
        if (text.contains(u'\n') || text.contains(u'\r'))
            fail("the error is not one line");
        if (response.error.description.size() > 400 || response.error.error.size() > 400)
            fail("the error text is not bounded");
        if (response.error.httpStatus != status)
            fail("the error does not carry the status");
    }
    return 0;
}
