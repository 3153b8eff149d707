#pragma once

#include "support/fakemcpserver.h"
#include "support/proxyprocess.h"

#include <QtCore/QProcessEnvironment>
#include <QtCore/QString>
#include <QtCore/QStringList>
#include <QtTest/QTest>

namespace McpProxy::Test {

// The prologue of most end-to-end tests: the fake MCP server listening, the real binary started
// against it, and the MCP handshake done. Configure `server` before start(); take both parts by
// name with `auto &[server, proxy] = started;` (the proxy is stopped before the server goes).
struct StartedProxy
{
    FakeMcpServer server;
    ProxyProcess proxy;

    // Listens, starts the proxy with `arguments` before the server's URL and `env`, and
    // initializes with `protocolVersion`. Every step is checked; false when one failed.
    [[nodiscard]] bool start(const QProcessEnvironment &env = {}, const QStringList &arguments = {},
            const QString &protocolVersion = QStringLiteral("2025-11-25"))
    {
        startAndInitialize(env, arguments, protocolVersion);
        return !QTest::currentTestFailed();
    }

private:
    void startAndInitialize(const QProcessEnvironment &env, const QStringList &arguments,
            const QString &protocolVersion)
    {
        QVERIFY(server.listen());
        QVERIFY(proxy.start(arguments + QStringList{server.url().toString()}, env));
        proxy.initialize(protocolVersion);
    }
};

} // namespace McpProxy::Test
