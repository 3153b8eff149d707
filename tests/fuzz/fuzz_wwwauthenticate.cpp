// libFuzzer target: the WWW-Authenticate parser (RFC 9110 section 11.6.1) must accept any bytes,
// and what it returns must be well-formed: schemes are tokens, parameter names lower-case tokens,
// and a Bearer challenge's resource_metadata either empty or an absolute http(s) URL (RFC 9728
// section 5.1).
#include "auth/protocol/bearerchallenge.h"
#include "auth/protocol/metadata.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace McpProxy;
using namespace Qt::StringLiterals;

namespace {

[[noreturn]] void fail(const char *what)
{
    std::fprintf(stderr, "fuzz_wwwauthenticate: %s\n", what);
    std::abort();
}

bool isToken(const QString &text)
{
    if (text.isEmpty())
        return false;
    for (const QChar c : text) {
        const char16_t u = c.unicode();
        const bool ok = (u >= u'a' && u <= u'z') || (u >= u'A' && u <= u'Z')
                || (u >= u'0' && u <= u'9') || QStringView(u"!#$%&'*+-.^_`|~").contains(c);
        if (!ok)
            return false;
    }
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView header(reinterpret_cast<const char *>(data), qsizetype(size));
    const QList<AuthChallenge> challenges = parseWwwAuthenticate(header);
    if (challenges.size() > header.size())
        fail("more challenges than input bytes");
    for (const AuthChallenge &challenge : challenges) {
        if (!isToken(challenge.scheme))
            fail("scheme is not a token");
        if (!challenge.token68.isEmpty() && !challenge.params.isEmpty())
            fail("challenge has both a token68 and parameters");
        for (const auto &[name, value] : challenge.params) {
            if (!isToken(name) || name != name.toLower())
                fail("parameter name is not a lower-case token");
            const auto first = std::find_if(challenge.params.cbegin(), challenge.params.cend(),
                    [&name = name](const auto &param) { return param.first == name; });
            if (challenge.param(name.toUpper()) != first->second)
                fail("param() does not return the first parameter of that name");
        }
    }

    const std::optional<BearerChallenge> bearer = BearerChallenge::fromHeader(header);
    const bool hasBearer =
            std::any_of(challenges.cbegin(), challenges.cend(), [](const AuthChallenge &challenge) {
                return challenge.scheme.compare("Bearer"_L1, Qt::CaseInsensitive) == 0;
            });
    if (bearer.has_value() != hasBearer)
        fail("fromHeader() disagrees with parseWwwAuthenticate()");
    if (bearer && !bearer->resourceMetadata.isEmpty()) {
        const QUrl &url = bearer->resourceMetadata;
        if (!url.isValid() || url.isRelative() || url.host().isEmpty()
                || (url.scheme() != "https"_L1 && url.scheme() != "http"_L1))
            fail("resource_metadata is not an absolute http(s) URL");
        // The discovery list starts with the challenge's URL and never repeats one.
        const QList<QUrl> urls = protectedResourceMetadataUrls(url, url);
        if (urls.isEmpty() || urls.first() != url)
            fail("the challenge URL does not come first");
        for (qsizetype i = 0; i < urls.size(); ++i) {
            if (urls.indexOf(urls.at(i)) != i)
                fail("duplicate discovery URL");
        }
        (void)canonicalResourceUri(url);
        (void)resourceMatchesServer(url.toString(), url);
    }
    return 0;
}
