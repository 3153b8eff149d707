#pragma once

#include "support/fakeauthserver.h"
#include "support/fakelegacyserver.h"
#include "support/fakemcpserver.h"

#include <QtCore/QString>
#include <QtCore/QUrl>
#include <QtTest/QTest>

#include <type_traits>

namespace McpProxy::Test {

// An MCP server (FakeMcpServer, or FakeLegacyServer for MCP 2024-11-05) whose MCP endpoints only
// answer requests with a valid token from `auth` (RFC 6750 section 2.1; when `requiredScope` is
// set, the token's scope must hold it) and otherwise answer 401 with the challenge of RFC 9728
// section 5.1. `auth` serves its metadata and endpoints on the same origin. With Scheme::Https,
// both are served over TLS with the test certificate (support/tls).
template <typename Server> struct BasicGuardedServer
{
    enum class Scheme { Http, Https };

    explicit BasicGuardedServer(Scheme scheme = Scheme::Http)
    {
        if (scheme == Scheme::Https)
            mcp.http().setTlsConfiguration(FakeHttpServer::testTlsConfiguration());
        QVERIFY(mcp.listen());
        auth.setPublicOrigin(mcp.url().adjusted(QUrl::RemovePath));
        auth.setProtectedResource(mcp.url().toString());
        mcp.setRequestFilter([this](const FakeHttpRequest &request, FakeHttpResponder *responder) {
            if (auth.handle(request, responder))
                return true;
            if (!isMcpEndpoint(request.path()))
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
    BasicGuardedServer(const BasicGuardedServer &) = delete;
    BasicGuardedServer &operator=(const BasicGuardedServer &) = delete;

    static bool isMcpEndpoint(const QByteArray &path)
    {
        if constexpr (std::is_same_v<Server, FakeLegacyServer>)
            return path == "/sse" || path == "/messages";
        else
            return path == "/mcp";
    }

    Server mcp;
    FakeAuthServer auth;
    QString requiredScope;
};

using GuardedServer = BasicGuardedServer<FakeMcpServer>;
using GuardedLegacyServer = BasicGuardedServer<FakeLegacyServer>;

} // namespace McpProxy::Test
