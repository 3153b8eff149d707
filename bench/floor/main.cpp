// The floor of bench/field.mjs: what one bare QNetworkAccessManager costs for the same MCP
// exchanges as the proxies (initialize, notifications/initialized, tools/call echo), without a
// stdio hop or any proxy logic. Prints one JSON line: ready, first, burst32, p50, p95 (ms),
// cpuPerCall (ms, getrusage over --calls calls with 8 in flight), hwm and pss (MB).
//
//   qnam-floor --url URL [--ca-bundle PEM] [--token T] [--seq N] [--calls N]
//   --pause: before the CPU phase, print "qnam-floor: cpu phase" to stderr and wait for a line on
//   stdin (a profiler attaches in between)
//   qnam-floor --stdio --url URL [--ca-bundle PEM] [--token T]
//   qnam-floor --echo
//
// --stdio: the least a stdio proxy can do on top of the floor: each line of stdin is POSTed as it
// is, and the reply (a JSON body, or the data of each SSE event) goes to stdout as one line. The
// stdio system calls are the proxy's (src/stdio): a QSocketNotifier on fd 0 and one read() of up
// to 256 KiB per activation, one writev() per line. --echo: only that stdio hop, no network: each
// line with an "id" is answered at once with a small result (the cost of the stdio side alone).
//
// TCP_NODELAY is set on the process's TCP sockets after each phase that opens connections (Qt 6.4
// leaves Nagle on, which would add the peer's delayed ACK to every HTTP/2 request).
#include <QtCore/QCommandLineParser>
#include <QtCore/QCoreApplication>
#include <QtCore/QDir>
#include <QtCore/QElapsedTimer>
#include <QtCore/QFile>
#include <QtCore/QRegularExpression>
#include <QtCore/QSocketNotifier>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>
#include <QtNetwork/QSslCertificate>
#include <QtNetwork/QSslConfiguration>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <vector>

namespace {

void noDelayEverywhere()
{
    const QStringList fds =
            QDir(QStringLiteral("/proc/self/fd")).entryList(QDir::System | QDir::Files);
    for (const QString &entry : fds) {
        const int fd = entry.toInt();
        int type = 0;
        socklen_t length = sizeof(type);
        if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) != 0 || type != SOCK_STREAM)
            continue;
        const int on = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    }
}

double cpuMs()
{
    rusage usage = {};
    ::getrusage(RUSAGE_SELF, &usage);
    return usage.ru_utime.tv_sec * 1e3 + usage.ru_utime.tv_usec / 1e3 + usage.ru_stime.tv_sec * 1e3
            + usage.ru_stime.tv_usec / 1e3;
}

double procMb(const char *file, const char *key)
{
    QFile f(QString::fromLatin1(file));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QRegularExpression re(QStringLiteral("^%1:\\s+(\\d+) kB").arg(QLatin1String(key)),
            QRegularExpression::MultilineOption);
    const auto match = re.match(QString::fromLatin1(f.readAll()));
    return match.hasMatch() ? match.captured(1).toDouble() / 1024 : -1;
}

double percentile(std::vector<double> values, double p)
{
    std::sort(values.begin(), values.end());
    return values.empty() ? 0
                          : values[std::min(values.size() - 1, size_t(p / 100 * values.size()))];
}

// One line and its newline in one writev() (as src/stdio/stdoutwriter_unix.cpp; short writes
// are not expected for these small lines on a pipe and end the process).
void writeLine(const QByteArray &line)
{
    static const char newline = '\n';
    iovec parts[2] = {{const_cast<char *>(line.constData()), size_t(line.size())},
            {const_cast<char *>(&newline), 1}};
    if (::writev(STDOUT_FILENO, parts, 2) != line.size() + 1)
        QCoreApplication::exit(1);
}

// Lines of stdin as src/stdio reads them: one read() of up to 256 KiB per notifier activation.
class LineReader : public QObject
{
public:
    explicit LineReader(std::function<void(const QByteArray &)> onLine)
        : m_onLine(std::move(onLine))
        , m_notifier(STDIN_FILENO, QSocketNotifier::Read)
    {
        connect(&m_notifier, &QSocketNotifier::activated, this, [this] { readAvailable(); });
    }

private:
    void readAvailable()
    {
        const ssize_t n = ::read(STDIN_FILENO, m_buffer.data(), size_t(m_buffer.size()));
        if (n <= 0) {
            m_notifier.setEnabled(false);
            QCoreApplication::exit(0);
            return;
        }
        m_pending.append(m_buffer.constData(), qsizetype(n));
        qsizetype start = 0;
        for (qsizetype nl; (nl = m_pending.indexOf('\n', start)) >= 0; start = nl + 1)
            m_onLine(m_pending.mid(start, nl - start));
        m_pending.remove(0, start);
    }

    std::function<void(const QByteArray &)> m_onLine;
    QSocketNotifier m_notifier;
    QByteArray m_buffer = QByteArray(256 * 1024, Qt::Uninitialized);
    QByteArray m_pending;
};

// The value of "id" in a JSON-RPC line, as written (enough for --echo's own driver).
QByteArray idOf(const QByteArray &line)
{
    const qsizetype at = line.indexOf("\"id\":");
    if (at < 0)
        return {};
    qsizetype end = at + 5;
    while (end < line.size() && line[end] != ',' && line[end] != '}')
        ++end;
    return line.mid(at + 5, end - at - 5);
}

} // namespace

int main(int argc, char **argv)
{
    QElapsedTimer sinceStart;
    sinceStart.start();
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addOptions({{u"stdio"_qs, u"minimal stdio proxy"_qs}, {u"echo"_qs, u"stdio echo"_qs},
            {u"url"_qs, u"MCP endpoint"_qs, u"url"_qs}, {u"ca-bundle"_qs, u"PEM"_qs, u"path"_qs},
            {u"token"_qs, u"bearer token"_qs, u"t"_qs},
            {u"seq"_qs, u"sequential calls"_qs, u"n"_qs, u"100"_qs},
            {u"calls"_qs, u"calls for CPU"_qs, u"n"_qs, u"1000"_qs},
            {u"pause"_qs,
                    u"before the CPU phase, say so on stderr and wait for a line on stdin"_qs}});
    parser.process(app);
    const QUrl url(parser.value(u"url"_qs));
    const int seqCalls = parser.value(u"seq"_qs).toInt();
    const int cpuCalls = parser.value(u"calls"_qs).toInt();

    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    if (parser.isSet(u"ca-bundle"_qs))
        tls.addCaCertificates(QSslCertificate::fromPath(parser.value(u"ca-bundle"_qs)));
    QNetworkAccessManager nam;
    QByteArray sessionId;
    const QByteArray authorization = "Bearer " + parser.value(u"token"_qs).toUtf8();
    int nextId = 1;

    const auto post = [&](const QByteArray &body, std::function<void(QNetworkReply *)> done) {
        QNetworkRequest request(url);
        request.setSslConfiguration(tls);
        request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
        request.setRawHeader("Accept", "application/json, text/event-stream");
        request.setRawHeader("Authorization", authorization);
        if (!sessionId.isEmpty()) {
            request.setRawHeader("Mcp-Session-Id", sessionId);
            request.setRawHeader("MCP-Protocol-Version", "2025-11-25");
        }
        QNetworkReply *reply = nam.post(request, body);
        QObject::connect(reply, &QNetworkReply::finished, reply, [reply, done] {
            if (reply->error() != QNetworkReply::NoError) {
                std::fprintf(stderr, "qnam-floor: %s\n", qPrintable(reply->errorString()));
                QCoreApplication::exit(1);
                return;
            }
            done(reply);
            reply->deleteLater();
        });
    };
    if (parser.isSet(u"echo"_qs)) {
        LineReader reader([](const QByteArray &line) {
            const QByteArray id = idOf(line);
            if (!id.isEmpty()) {
                writeLine(R"({"jsonrpc":"2.0","id":)" + id
                        + R"(,"result":{"content":[{"type":"text","text":"hello"}]}})");
            }
        });
        return app.exec();
    }
    if (parser.isSet(u"stdio"_qs)) {
        LineReader reader([&](const QByteArray &line) {
            post(line, [&](QNetworkReply *reply) {
                static int answers = 0;
                if (++answers <= 20)
                    noDelayEverywhere(); // the connections opened so far (start-up, cancels out)
                if (sessionId.isEmpty())
                    sessionId = reply->rawHeader("Mcp-Session-Id");
                const QByteArray body = reply->readAll();
                if (!reply->header(QNetworkRequest::ContentTypeHeader)
                                .toByteArray()
                                .startsWith("text/event-stream")) {
                    if (!body.trimmed().isEmpty())
                        writeLine(body.trimmed());
                    return;
                }
                for (const QByteArray &eventLine : body.split('\n')) {
                    if (eventLine.startsWith("data: "))
                        writeLine(eventLine.mid(6));
                }
            });
        });
        return app.exec();
    }
    const auto call = [&](std::function<void()> done) {
        const QByteArray body = R"({"jsonrpc":"2.0","id":)" + QByteArray::number(nextId++)
                + R"(,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"}}})";
        post(body, [done](QNetworkReply *reply) {
            const QByteArray answer = reply->readAll(); // JSON or one SSE event
            if (!answer.contains("\"result\"")) {
                std::fprintf(
                        stderr, "qnam-floor: unexpected answer %s\n", answer.left(300).constData());
                QCoreApplication::exit(1);
                return;
            }
            done();
        });
    };

    double ready = 0, first = 0, burst = 0, cpuPerCall = 0;
    std::vector<double> sequential;
    QElapsedTimer phase;
    const bool pause = parser.isSet(u"pause"_qs);
    std::function<void()> runCpu = [&] {
        if (pause) {
            // A tool attaches now (field.mjs --attach): the phase runs once a line arrives.
            std::fputs("qnam-floor: cpu phase\n", stderr);
            std::fflush(stderr);
            char line[16];
            if (!std::fgets(line, sizeof line, stdin))
                return QCoreApplication::exit(1);
        }
        const double cpuBefore = cpuMs();
        auto left = std::make_shared<int>(cpuCalls);
        auto running = std::make_shared<int>(0);
        auto step = std::make_shared<std::function<void()>>();
        *step = [&, left, running, step, cpuBefore] {
            --*running;
            if (*left > 0) {
                --*left;
                ++*running;
                call(*step);
            } else if (*running == 0) {
                cpuPerCall = (cpuMs() - cpuBefore) / cpuCalls;
                std::printf(
                        "{\"ready\":%.3f,\"first\":%.3f,\"burst32\":%.3f,\"p50\":%.3f,\"p95\":%.3f,"
                        "\"cpuPerCall\":%.4f,\"hwm\":%.2f,\"pss\":%.2f}\n",
                        ready, first, burst, percentile(sequential, 50), percentile(sequential, 95),
                        cpuPerCall, procMb("/proc/self/status", "VmHWM"),
                        procMb("/proc/self/smaps_rollup", "Pss"));
                std::fflush(stdout);
                if (pause) { // until the tool has read /proc
                    char line[16];
                    (void)std::fgets(line, sizeof line, stdin);
                }
                QCoreApplication::exit(0);
            }
        };
        for (int i = 0; i < 8; ++i) {
            ++*running;
            (*step)();
        }
    };
    std::function<void()> runSequential = [&] {
        noDelayEverywhere();
        if (int(sequential.size()) >= seqCalls) {
            runCpu();
            return;
        }
        phase.start();
        call([&] {
            sequential.push_back(phase.nsecsElapsed() / 1e6);
            runSequential();
        });
    };
    const auto runBurst = [&] {
        noDelayEverywhere();
        phase.start();
        auto left = std::make_shared<int>(32);
        for (int i = 0; i < 32; ++i) {
            call([&, left] {
                if (--*left == 0) {
                    burst = phase.nsecsElapsed() / 1e6;
                    runSequential();
                }
            });
        }
    };
    const QByteArray initialize =
            R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"qnam-floor","version":"1"}}})";
    post(initialize, [&](QNetworkReply *reply) {
        ready = sinceStart.nsecsElapsed() / 1e6;
        sessionId = reply->rawHeader("Mcp-Session-Id");
        reply->readAll();
        noDelayEverywhere();
        // As the proxies are measured: notifications/initialized and the first call are sent
        // together by the host; the call goes out once the notification was accepted.
        phase.start();
        post(R"({"jsonrpc":"2.0","method":"notifications/initialized"})", [&](QNetworkReply *) {
            call([&] {
                first = phase.nsecsElapsed() / 1e6;
                runBurst();
            });
        });
    });
    return app.exec();
}
