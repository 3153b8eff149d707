// libFuzzer target: the RFC 9728 protected resource metadata and RFC 8414 / OpenID Connect
// Discovery authorization server metadata parsers must accept any bytes, and what they return
// must hold the documented guarantees: a non-empty resource and issuer, endpoints and
// authorization servers that are absolute http(s) URLs, an error text whenever parsing fails.
// The derived discovery URL lists never repeat a URL.
#include "auth/protocol/metadata.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace McpProxy;
using namespace Qt::StringLiterals;

namespace {

[[noreturn]] void fail(const char *what)
{
    std::fprintf(stderr, "fuzz_metadata: %s\n", what);
    std::abort();
}

bool isAbsoluteHttpUrl(const QUrl &url)
{
    return url.isValid() && !url.isRelative() && !url.host().isEmpty()
            && (url.scheme() == "https"_L1 || url.scheme() == "http"_L1);
}

void checkNoDuplicates(const QList<QUrl> &urls)
{
    for (qsizetype i = 0; i < urls.size(); ++i) {
        if (urls.indexOf(urls.at(i)) != i)
            fail("duplicate discovery URL");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray json(reinterpret_cast<const char *>(data), qsizetype(size));

    QString error;
    const std::optional<ProtectedResourceMetadata> resource =
            ProtectedResourceMetadata::parse(json, &error);
    if (!resource && error.isEmpty())
        fail("protected resource metadata rejected without an error");
    if (resource) {
        if (resource->resource.isEmpty())
            fail("protected resource metadata without a resource");
        for (const QUrl &server : resource->authorizationServers) {
            if (!isAbsoluteHttpUrl(server))
                fail("an authorization server is not an absolute http(s) URL");
            checkNoDuplicates(authorizationServerMetadataUrls(server));
        }
        if (!resource->hasScopesSupported && !resource->scopesSupported.isEmpty())
            fail("scopes without scopes_supported");
        const QUrl url(resource->resource);
        (void)resourceMatchesServer(resource->resource, url);
        if (isAbsoluteHttpUrl(url)) {
            const QList<QUrl> urls = protectedResourceMetadataUrls(url, QUrl());
            if (urls.isEmpty())
                fail("no protected resource metadata URL for an http(s) resource");
            checkNoDuplicates(urls);
            (void)canonicalResourceUri(url);
        }
    }

    error.clear();
    const std::optional<AuthorizationServerMetadata> server =
            AuthorizationServerMetadata::parse(json, &error);
    if (!server && error.isEmpty())
        fail("authorization server metadata rejected without an error");
    if (server) {
        if (server->issuer.isEmpty())
            fail("authorization server metadata without an issuer");
        if (server->fromFallback)
            fail("parsed metadata marked as fallback");
        for (const QUrl &endpoint : {server->authorizationEndpoint, server->tokenEndpoint,
                     server->registrationEndpoint, server->revocationEndpoint}) {
            if (!endpoint.isEmpty() && !isAbsoluteHttpUrl(endpoint))
                fail("an endpoint is not an absolute http(s) URL");
        }
    }
    return 0;
}
