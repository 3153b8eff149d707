// mcp-demo-server: FakeMcpServer as a standalone Streamable HTTP MCP server on 127.0.0.1, for
// scripts/demo and as a fast upstream for benchmarks. stdout carries exactly one line, the
// endpoint URL, once listening; the request log goes to stderr (never header values).
#include "support/fakeauthserver.h"
#include "support/fakemcpserver.h"

#include <QtCore/QCommandLineParser>
#include <QtCore/QCoreApplication>
#include <QtCore/QSocketNotifier>
#include <QtCore/QTimer>

#include <csignal>
#include <cstdio>
#include <thread>

#ifdef Q_OS_UNIX
#include <sys/socket.h>
#include <unistd.h>
#endif

using namespace Qt::StringLiterals;
using McpProxy::Test::FakeAuthServer;
using McpProxy::Test::FakeHttpRequest;
using McpProxy::Test::FakeHttpResponder;
using McpProxy::Test::FakeMcpServer;

namespace {

#ifdef Q_OS_UNIX
int signalPipe[2] = {-1, -1};

void forwardSignal(int)
{
    const char byte = 1;
    [[maybe_unused]] const auto written = ::write(signalPipe[1], &byte, 1);
}

// Self-pipe: the handler only writes a byte, the event loop quits.
void quitOnSignals(QCoreApplication *app)
{
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, signalPipe) != 0)
        return;
    auto *notifier = new QSocketNotifier(signalPipe[0], QSocketNotifier::Read, app);
    QObject::connect(notifier, &QSocketNotifier::activated, app, &QCoreApplication::quit);
    std::signal(SIGTERM, forwardSignal);
    std::signal(SIGINT, forwardSignal);
    std::signal(SIGPIPE, SIG_IGN);
}
#else
volatile std::sig_atomic_t signalled = 0;

void recordSignal(int)
{
    signalled = 1;
}

void quitOnSignals(QCoreApplication *app)
{
    std::signal(SIGTERM, recordSignal);
    std::signal(SIGINT, recordSignal);
    auto *poll = new QTimer(app);
    QObject::connect(poll, &QTimer::timeout, app, [] {
        if (signalled)
            QCoreApplication::quit();
    });
    poll->start(200);
}
#endif

// A blocking reader thread works for pipes and terminals on every platform; it is detached
// because it may stay blocked in read until the process exits.
void quitOnStdinEof(QCoreApplication *app)
{
    std::thread([app] {
        char buffer[4096];
        while (std::fread(buffer, 1, sizeof buffer, stdin) > 0) { }
        QMetaObject::invokeMethod(app, &QCoreApplication::quit, Qt::QueuedConnection);
    }).detach();
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"mcp-demo-server"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(MCPPROXY_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(u"Streamable HTTP MCP demo server (tools: echo, add, slow, "
                                     u"progress, big, sample, notify) on 127.0.0.1."_s);
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption portOption(
            u"port"_s, u"TCP port; 0 picks a free one."_s, u"port"_s, u"0"_s);
    const QCommandLineOption pathOption(u"path"_s, u"Endpoint path."_s, u"path"_s, u"/mcp"_s);
    const QCommandLineOption quietOption(u"quiet"_s, u"Do not log requests."_s);
    const QCommandLineOption stdinOption(u"exit-on-stdin-eof"_s, u"Exit when stdin closes."_s);
    const QCommandLineOption sseOption(u"sse"_s, u"Answer every request with an SSE stream."_s);
    const QCommandLineOption getOption(
            u"get-stream"_s, u"Standalone GET stream: sse, 405 or 500."_s, u"mode"_s, u"sse"_s);
    const QCommandLineOption statelessOption(u"stateless"_s, u"Issue no Mcp-Session-Id."_s);
    const QCommandLineOption headerOption(u"require-header"_s,
            u"Answer 401 unless the request has this header, e.g. \"Authorization: Bearer x\"."_s,
            u"name: value"_s);
    const QCommandLineOption oauthOption(u"require-oauth"_s,
            u"Require an OAuth 2.1 access token: serve protected resource metadata and an "
            u"authorization server (metadata, registration, authorize, token) on the same origin."_s);
    const QCommandLineOption heartbeatOption(
            u"heartbeat-ms"_s, u"SSE keep-alive comment interval."_s, u"ms"_s, u"0"_s);
    parser.addOptions({portOption, pathOption, quietOption, stdinOption, sseOption, getOption,
            statelessOption, headerOption, oauthOption, heartbeatOption});
    parser.process(app);

    bool portOk = false;
    const uint port = parser.value(portOption).toUInt(&portOk);
    const QString path = parser.value(pathOption);
    const QString getMode = parser.value(getOption);
    if (!portOk || port > 65535 || !path.startsWith(u'/')
            || !QStringList{u"sse"_s, u"405"_s, u"500"_s}.contains(getMode)) {
        std::fputs("mcp-demo-server: invalid --port, --path or --get-stream\n", stderr);
        return 2;
    }

    FakeMcpServer server;
    server.setRecording(false);
    server.setUseSse(parser.isSet(sseOption));
    server.setSessionsEnabled(!parser.isSet(statelessOption));
    server.setHeartbeatMs(parser.value(heartbeatOption).toInt());
    server.setGetStreamMode(getMode == u"405" ? FakeMcpServer::GetStreamMode::MethodNotAllowed405
                    : getMode == u"500"       ? FakeMcpServer::GetStreamMode::Error500
                                              : FakeMcpServer::GetStreamMode::Sse);
    if (parser.isSet(headerOption)) {
        const QByteArray header = parser.value(headerOption).toUtf8();
        const qsizetype colon = header.indexOf(':');
        if (colon <= 0) {
            std::fputs("mcp-demo-server: --require-header needs \"Name: value\"\n", stderr);
            return 2;
        }
        server.requireHeader(header.left(colon).trimmed(), header.mid(colon + 1).trimmed());
    }
    if (!parser.isSet(quietOption)) {
        server.setExchangeLogging(true);
        QObject::connect(&server, &FakeMcpServer::exchangeLogged, &app, [](const QByteArray &line) {
            std::fwrite(line.constData(), 1, size_t(line.size()), stderr);
            std::fputc('\n', stderr);
        });
    }
    if (!server.listen(quint16(port), path.toUtf8())) {
        std::fprintf(stderr, "mcp-demo-server: cannot listen on 127.0.0.1:%u\n", port);
        return 1;
    }
    // --require-oauth: the authorization server shares the origin; the MCP endpoint answers 401
    // with a resource_metadata challenge (RFC 9728) until the request carries a valid token.
    FakeAuthServer auth;
    if (parser.isSet(oauthOption)) {
        auth.setPublicOrigin(server.url().adjusted(QUrl::RemovePath));
        auth.setConsentPage(true);
        auth.setProtectedResource(server.url().toString(),
                {FakeAuthServer::ResourceMetadataLocation::PathInserted}, {u"mcp:tools"_s});
        const bool log = !parser.isSet(quietOption);
        server.setRequestFilter([&auth, path, log](const FakeHttpRequest &request,
                                        FakeHttpResponder *responder) {
            if (auth.handle(request, responder)) {
                if (log) {
                    const QByteArray line =
                            request.method + ' ' + request.path() + " (authorization server)\n";
                    std::fwrite(line.constData(), 1, size_t(line.size()), stderr);
                }
                return true;
            }
            if (request.path() != path.toUtf8()
                    || auth.acceptsAuthorization(request.header("Authorization")))
                return false;
            if (log) {
                const QByteArray line =
                        request.method + ' ' + request.path() + " -> 401 (no valid token)\n";
                std::fwrite(line.constData(), 1, size_t(line.size()), stderr);
            }
            responder->reply(401, {{"WWW-Authenticate", auth.bearerChallenge()}});
            return true;
        });
    }

    quitOnSignals(&app);
    if (parser.isSet(stdinOption))
        quitOnStdinEof(&app);

    const QByteArray url = server.url().toEncoded() + '\n';
    std::fwrite(url.constData(), 1, size_t(url.size()), stdout);
    std::fflush(stdout);
    return app.exec();
}
