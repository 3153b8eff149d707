#pragma once

#include "support/fakeauthserver.h"
#include "support/fakemcpserver.h"

#include <QtCore/QString>
#include <QtCore/QUrl>
#include <QtTest/QTest>

namespace McpProxy::Test {

// An MCP endpoint that only answers requests with a valid token from `auth` (RFC 6750 section 2.1;
// when `requiredScope` is set, the token's scope must hold it) and otherwise answers 401 with the
// challenge of RFC 9728 section 5.1. `auth` serves its metadata and endpoints on the same origin.
// With Scheme::Https, both are served over TLS with the test certificate (support/tls).
struct GuardedServer
{
    enum class Scheme { Http, Https };

    explicit GuardedServer(Scheme scheme = Scheme::Http)
    {
        if (scheme == Scheme::Https)
            mcp.http().setTlsConfiguration(FakeHttpServer::testTlsConfiguration());
        QVERIFY(mcp.listen());
        auth.setPublicOrigin(mcp.url().adjusted(QUrl::RemovePath));
        auth.setProtectedResource(mcp.url().toString());
        mcp.setRequestFilter([this](const FakeHttpRequest &request, FakeHttpResponder *responder) {
            if (auth.handle(request, responder))
                return true;
            if (request.path() != "/mcp")
                return false;
            if (auth.acceptsAuthorization(request.header("Authorization"), requiredScope))
                return false; // authorized: the MCP server answers
            responder->reply(401,
                    {{"WWW-Authenticate", auth.bearerChallenge()},
                            {"Content-Type", "application/json"}},
                    R"({"error":"invalid_token"})");
            return true;
        });
    }
    GuardedServer(const GuardedServer &) = delete;
    GuardedServer &operator=(const GuardedServer &) = delete;

    FakeMcpServer mcp;
    FakeAuthServer auth;
    QString requiredScope;
};

} // namespace McpProxy::Test
