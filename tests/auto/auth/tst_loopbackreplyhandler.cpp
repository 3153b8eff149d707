// LoopbackReplyHandler: the loopback redirect listener (Host, path, method, state-first checks,
// RFC 9207 issuer checks, form decoding, pages and their headers, partial and oversized requests,
// busy port) and its token-reply handling.
#include "auth/login/loopbackreplyhandler.h"
#include "support/fakehttpserver.h"

#include <QtCore/QPointer>
#include <QtCore/QRegularExpression>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>
#include <QtNetwork/QTcpServer>
#include <QtNetwork/QTcpSocket>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

using namespace McpProxy;
using namespace McpProxy::Test;
using namespace Qt::StringLiterals;

namespace {

const QByteArray State = "Zt3xQ0pL9v_Kq-8sWm2nR4yB7cD1eF5gH6jA0kL2mN4"_ba;

struct RawResponse
{
    bool complete = false; // the server closed the connection after answering
    int status = 0;
    QList<QByteArray> headerLines;
    QByteArray body;

    QByteArray header(QByteArrayView name) const
    {
        for (const QByteArray &line : headerLines) {
            const qsizetype colon = line.indexOf(':');
            if (colon > 0 && line.left(colon).trimmed().compare(name, Qt::CaseInsensitive) == 0)
                return line.mid(colon + 1).trimmed();
        }
        return {};
    }
};

// Sends the chunks with pauses (the event loop runs meanwhile, so the handler sees separate
// reads), then reads until the server closes.
RawResponse exchange(
        const QHostAddress &address, quint16 port, const QList<QByteArray> &chunks, int gapMs = 50)
{
    RawResponse response;
    QTcpSocket socket;
    QByteArray data;
    QObject::connect(&socket, &QTcpSocket::readyRead, &socket, [&] { data += socket.readAll(); });
    socket.connectToHost(address, port);
    if (!QTest::qWaitFor([&] { return socket.state() == QAbstractSocket::ConnectedState; }, 5000))
        return response;
    for (qsizetype i = 0; i < chunks.size(); ++i) {
        socket.write(chunks.at(i));
        socket.flush();
        if (i + 1 < chunks.size())
            QTest::qWait(gapMs);
    }
    response.complete = QTest::qWaitFor(
            [&] { return socket.state() == QAbstractSocket::UnconnectedState; }, 5000);
    data += socket.readAll();
    const qsizetype end = data.indexOf("\r\n\r\n");
    if (end < 0)
        return response;
    const QList<QByteArray> lines = data.left(end).split('\n');
    const QList<QByteArray> statusLine = lines.value(0).trimmed().split(' ');
    response.status = statusLine.value(1).toInt();
    for (qsizetype i = 1; i < lines.size(); ++i)
        response.headerLines.append(lines.at(i).trimmed());
    response.body = data.mid(end + 4);
    return response;
}

QByteArray get(const QByteArray &target, const QByteArray &host)
{
    return "GET " + target + " HTTP/1.1\r\nHost: " + host
            + "\r\nUser-Agent: test\r\nAccept: text/html\r\n\r\n";
}

bool portAcceptsConnections(quint16 port)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    const bool settled = QTest::qWaitFor([&] {
        return socket.state() == QAbstractSocket::ConnectedState
                || socket.state() == QAbstractSocket::UnconnectedState;
    });
    return settled && socket.state() == QAbstractSocket::ConnectedState;
}

} // namespace

class tst_LoopbackReplyHandler : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<LoopbackReplyHandler> m_handler;
    QByteArray m_host; // "127.0.0.1:<port>"

    RawResponse request(const QByteArray &target) { return requestWithHost(target, m_host); }
    RawResponse requestWithHost(const QByteArray &target, const QByteArray &host)
    {
        return exchange(QHostAddress::LocalHost, m_handler->port(), {get(target, host)});
    }
    QByteArray callbackTarget(const QByteArray &query) const { return "/callback?" + query; }

private Q_SLOTS:
    void init()
    {
        m_handler = std::make_unique<LoopbackReplyHandler>();
        QVERIFY2(m_handler->listen(0), qPrintable(m_handler->errorString()));
        m_handler->setExpectedState(State);
        m_host = "127.0.0.1:" + QByteArray::number(m_handler->port());
    }
    void cleanup() { m_handler.reset(); }

    void listensOnLoopbackWithEphemeralPort()
    {
        QVERIFY(m_handler->isListening());
        QVERIFY(m_handler->port() != 0);
        QCOMPARE(m_handler->callback(), u"http://127.0.0.1:%1/callback"_s.arg(m_handler->port()));
        m_handler->setCallbackHost(u"localhost"_s);
        QVERIFY(m_handler->listen(0));
        QCOMPARE(m_handler->callback(), u"http://localhost:%1/callback"_s.arg(m_handler->port()));
        QVERIFY(portAcceptsConnections(m_handler->port())); // bound on 127.0.0.1
        m_handler->close();
        QVERIFY(!m_handler->isListening());
    }

    void codeIsFullyDecoded_data()
    {
        QTest::addColumn<QByteArray>("rawCode");
        QTest::addColumn<QString>("code");
        QTest::addRow("percent-encoded plus and slash")
                << "abc%2Bdef%2Fghi"_ba << u"abc+def/ghi"_s; // QTBUG-81624
        QTest::addRow("plus is a space") << "a+b"_ba << u"a b"_s;
        QTest::addRow("utf-8") << "%E2%82%AC1"_ba << u"€1"_s;
        QTest::addRow("encoded percent stays one level") << "x%252B"_ba << u"x%2B"_s;
        QTest::addRow("plain") << "SplxlOBeZQQYbYS6WxSbIA"_ba << u"SplxlOBeZQQYbYS6WxSbIA"_s;
    }
    void codeIsFullyDecoded()
    {
        QFETCH(QByteArray, rawCode);
        QFETCH(QString, code);
        QSignalSpy received(m_handler.get(), &QAbstractOAuthReplyHandler::callbackReceived);
        const RawResponse response =
                request(callbackTarget("code=" + rawCode + "&state=" + State + "&extra=a+b%26c"));
        QCOMPARE(response.status, 200);
        QCOMPARE(received.size(), 1);
        const QVariantMap values = received.at(0).at(0).toMap();
        QCOMPARE(values.value(u"code"_s).toString(), code);
        QCOMPARE(values.value(u"state"_s).toString(), QString::fromLatin1(State));
        QCOMPARE(values.value(u"extra"_s).toString(), u"a b&c"_s);
        QVERIFY(response.body.contains(
                "Login complete. You can close this tab and return to your MCP client."));
    }

    void wrongHostIsRejectedAndLoginKeepsWaiting_data()
    {
        QTest::addColumn<QByteArray>("host"); // %PORT% is the listener's port
        QTest::addRow("rebinding name") << "evil.example:%PORT%"_ba;
        QTest::addRow("no port") << "127.0.0.1"_ba;
        QTest::addRow("other port") << "127.0.0.1:1"_ba;
        QTest::addRow("ipv6 literal on an ipv4 listener") << "[::1]:%PORT%"_ba;
        QTest::addRow("suffix") << "127.0.0.1:%PORT%.evil.example"_ba;
    }
    void wrongHostIsRejectedAndLoginKeepsWaiting()
    {
        QFETCH(QByteArray, host);
        host.replace("%PORT%", QByteArray::number(m_handler->port()));
        QSignalSpy received(m_handler.get(), &QAbstractOAuthReplyHandler::callbackReceived);
        QSignalSpy failed(m_handler.get(), &LoopbackReplyHandler::callbackFailed);
        QSignalSpy rejected(m_handler.get(), &LoopbackReplyHandler::callbackRejected);
        RawResponse response = requestWithHost(callbackTarget("code=c&state=" + State), host);
        QCOMPARE(response.status, 400);
        QCOMPARE(rejected.size(), 1);
        QVERIFY(rejected.at(0).at(0).toString().contains(u"Host"_s));
        QCOMPARE(received.size(), 0);
        QCOMPARE(failed.size(), 0);
        // Still waiting: the real browser's request succeeds.
        response = request(callbackTarget("code=c&state=" + State));
        QCOMPARE(response.status, 200);
        QCOMPARE(received.size(), 1);
    }

    void hostHeaderVariants()
    {
        const QByteArray port = QByteArray::number(m_handler->port());
        const QByteArray target = callbackTarget("code=c&state=" + State);
        // Missing and repeated Host headers.
        RawResponse response = exchange(QHostAddress::LocalHost, m_handler->port(),
                {"GET " + target + " HTTP/1.1\r\n\r\n"});
        QCOMPARE(response.status, 400);
        response = exchange(QHostAddress::LocalHost, m_handler->port(),
                {"GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                        + "\r\nHost: evil.example\r\n\r\n"});
        QCOMPARE(response.status, 400);
        // "localhost" and a different case are the same host.
        QSignalSpy received(m_handler.get(), &QAbstractOAuthReplyHandler::callbackReceived);
        response = requestWithHost(target, "LocalHost:" + port);
        QCOMPARE(response.status, 200);
        QCOMPARE(received.size(), 1);
    }

    void wrongPathIsNotFound_data()
    {
        QTest::addColumn<QByteArray>("target");
        QTest::addRow("favicon") << "/favicon.ico"_ba;
        QTest::addRow("prefix") << "/callbackX?code=c&state=%STATE%"_ba;
        QTest::addRow("sub path") << "/callback/x?code=c&state=%STATE%"_ba;
        QTest::addRow("root") << "/?code=c&state=%STATE%"_ba;
        QTest::addRow("case") << "/Callback?code=c&state=%STATE%"_ba;
    }
    void wrongPathIsNotFound()
    {
        QFETCH(QByteArray, target);
        target.replace("%STATE%", State);
        QSignalSpy received(m_handler.get(), &QAbstractOAuthReplyHandler::callbackReceived);
        RawResponse response = request(target);
        QCOMPARE(response.status, 404);
        QCOMPARE(received.size(), 0);
        response = request(callbackTarget("code=c&state=" + State));
        QCOMPARE(response.status, 200);
        QCOMPARE(received.size(), 1);
    }

    void onlyGetIsAllowed_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addRow("POST") << "POST"_ba;
        QTest::addRow("HEAD") << "HEAD"_ba;
        QTest::addRow("PUT") << "PUT"_ba;
    }
    void onlyGetIsAllowed()
    {
        QFETCH(QByteArray, method);
        QSignalSpy received(m_handler.get(), &QAbstractOAuthReplyHandler::callbackReceived);
        const RawResponse response = exchange(QHostAddress::LocalHost, m_handler->port(),
                {method + " /callback?code=c&state=" + State + " HTTP/1.1\r\nHost: " + m_host
                        + "\r\nContent-Length: 0\r\n\r\n"});
        QCOMPARE(response.status, 405);
        QCOMPARE(response.header("Allow"), "GET"_ba);
        QCOMPARE(received.size(), 0);
    }

    void wrongStateIsIgnored_data()
    {
        QTest::addColumn<QByteArray>("query");
        QTest::addRow("wrong state") << "code=c&state=wrong"_ba;
        QTest::addRow("missing state") << "code=c"_ba;
        QTest::addRow("empty state") << "code=c&state="_ba;
        QTest::addRow("state prefix") << "code=c&state=" + State.left(20);
        QTest::addRow("state with suffix") << "code=c&state=" + State + "x";
        QTest::addRow("state twice") << "code=c&state=" + State + "&state=" + State;
        QTest::addRow("error with wrong state") << "error=access_denied&state=wrong"_ba;
        QTest::addRow("error without state") << "error=access_denied"_ba;
        QTest::addRow("issuer mismatch with wrong state") << "code=c&iss=x&state=wrong"_ba;
    }
    void wrongStateIsIgnored()
    {
        QFETCH(QByteArray, query);
        m_handler->setExpectedIssuer(u"https://as.example"_s);
        QSignalSpy received(m_handler.get(), &QAbstractOAuthReplyHandler::callbackReceived);
        QSignalSpy failed(m_handler.get(), &LoopbackReplyHandler::callbackFailed);
        QSignalSpy rejected(m_handler.get(), &LoopbackReplyHandler::callbackRejected);
        RawResponse response = request(callbackTarget(query));
        QCOMPARE(response.status, 400);
        QVERIFY(response.body.contains("does not belong to a login in progress"));
        QCOMPARE(received.size(), 0);
        QCOMPARE(failed.size(), 0);
        QCOMPARE(rejected.size(), 1);
        response = request(callbackTarget("code=c&state=" + State));
        QCOMPARE(response.status, 200);
        QCOMPARE(received.size(), 1);
    }

    void withoutExpectedStateEverythingIsRejected()
    {
        m_handler->setExpectedState({});
        QSignalSpy received(m_handler.get(), &QAbstractOAuthReplyHandler::callbackReceived);
        QSignalSpy failed(m_handler.get(), &LoopbackReplyHandler::callbackFailed);
        QCOMPARE(request(callbackTarget("code=c&state=")).status, 400);
        QCOMPARE(request(callbackTarget("code=c")).status, 400);
        QCOMPARE(request(callbackTarget("error=access_denied")).status, 400);
        QCOMPARE(received.size(), 0);
        QCOMPARE(failed.size(), 0);
    }

    void stateIsConsumedByTheFirstResponse()
    {
        QSignalSpy received(m_handler.get(), &QAbstractOAuthReplyHandler::callbackReceived);
        QCOMPARE(request(callbackTarget("code=c1&state=" + State)).status, 200);
        QCOMPARE(request(callbackTarget("code=c2&state=" + State)).status, 400);
        QCOMPARE(received.size(), 1);
        QCOMPARE(received.at(0).at(0).toMap().value(u"code"_s).toString(), u"c1"_s);
    }

    void errorWithOurStateFails()
    {
        QSignalSpy received(m_handler.get(), &QAbstractOAuthReplyHandler::callbackReceived);
        QSignalSpy failed(m_handler.get(), &LoopbackReplyHandler::callbackFailed);
        const RawResponse response = request(callbackTarget(
                "error=access_denied&error_description=User+said+%3Cb%3Eno%3C%2Fb%3E+%26+%22left%22"
                "&state="
                + State));
        QCOMPARE(response.status, 400);
        QCOMPARE(failed.size(), 1);
        QCOMPARE(failed.at(0).at(0).toString(), u"access_denied"_s);
        QCOMPARE(failed.at(0).at(1).toString(), u"User said <b>no</b> & \"left\""_s);
        QCOMPARE(received.size(), 0);
        // The page shows the error, escaped.
        QVERIFY(response.body.contains("Login failed"));
        QVERIFY(response.body.contains(
                "access_denied (User said &lt;b&gt;no&lt;/b&gt; &amp; &quot;left&quot;)"));
        QVERIFY(!response.body.contains("<b>no"));
        // Consumed: nothing more happens.
        QCOMPARE(request(callbackTarget("code=c&state=" + State)).status, 400);
        QCOMPARE(received.size(), 0);
    }

    void responseWithoutCodeOrErrorFails()
    {
        QSignalSpy failed(m_handler.get(), &LoopbackReplyHandler::callbackFailed);
        QCOMPARE(request(callbackTarget("state=" + State)).status, 400);
        QCOMPARE(failed.size(), 1);
        QCOMPARE(failed.at(0).at(0).toString(), u"invalid_response"_s);
    }

    void issuer_data()
    {
        QTest::addColumn<QString>("expected");
        QTest::addColumn<bool>("required");
        QTest::addColumn<QByteArray>("issParameter");
        QTest::addColumn<bool>("accepted");
        const QString as = u"https://as.example/tenant"_s;
        QTest::addRow("match") << as << false << "&iss=https%3A%2F%2Fas.example%2Ftenant"_ba
                               << true;
        QTest::addRow("match, required")
                << as << true << "&iss=https%3A%2F%2Fas.example%2Ftenant"_ba << true;
        QTest::addRow("absent, not required") << as << false << QByteArray() << true;
        QTest::addRow("absent, required") << as << true << QByteArray() << false;
        QTest::addRow("mismatch") << as << false << "&iss=https%3A%2F%2Fevil.example"_ba << false;
        QTest::addRow("trailing slash is a mismatch")
                << as << false << "&iss=https%3A%2F%2Fas.example%2Ftenant%2F"_ba << false;
        QTest::addRow("case is a mismatch")
                << as << false << "&iss=https%3A%2F%2FAS.example%2Ftenant"_ba << false;
        QTest::addRow("repeated") << as << false
                                  << "&iss=https%3A%2F%2Fas.example%2Ftenant&iss=x"_ba << false;
        QTest::addRow("no expected issuer") << QString() << false << "&iss=whatever"_ba << true;
        // MCP 2026-07-28 "Authorization Response Validation": simple string comparison after
        // form decoding; no scheme/host case folding, default-port elision, trailing-slash or
        // percent-encoding normalisation.
        QTest::addRow("encoded differently, same after decoding")
                << as << true << "&iss=https%3A//as.example/ten%61nt"_ba << true;
        QTest::addRow("upper-case scheme is a mismatch")
                << as << false << "&iss=HTTPS%3A%2F%2Fas.example%2Ftenant"_ba << false;
        QTest::addRow("default port is a mismatch")
                << as << false << "&iss=https%3A%2F%2Fas.example%3A443%2Ftenant"_ba << false;
        QTest::addRow("percent-encoded path is a mismatch")
                << as << false << "&iss=https%3A%2F%2Fas.example%2Ften%2561nt"_ba << false;
        QTest::addRow("issuer without its path is a mismatch")
                << as << true << "&iss=https%3A%2F%2Fas.example"_ba << false;
        QTest::addRow("plus is a space") << u"https://as.example/a b"_s << true
                                         << "&iss=https%3A%2F%2Fas.example%2Fa+b"_ba << true;
        QTest::addRow("empty iss is a mismatch") << as << false << "&iss="_ba << false;
        QTest::addRow("repeated, both matching")
                << as << true
                << "&iss=https%3A%2F%2Fas.example%2Ftenant&iss=https%3A%2F%2Fas.example%2Ftenant"_ba
                << false;
        QTest::addRow("not advertised, another issuer")
                << as << false << "&iss=https%3A%2F%2Fevil.example"_ba << false;
    }
    void issuer()
    {
        QFETCH(QString, expected);
        QFETCH(bool, required);
        QFETCH(QByteArray, issParameter);
        QFETCH(bool, accepted);
        m_handler->setExpectedIssuer(expected);
        m_handler->setIssuerParameterRequired(required);
        QSignalSpy received(m_handler.get(), &QAbstractOAuthReplyHandler::callbackReceived);
        QSignalSpy failed(m_handler.get(), &LoopbackReplyHandler::callbackFailed);
        const RawResponse response =
                request(callbackTarget("code=c&state=" + State + issParameter));
        QCOMPARE(response.status, accepted ? 200 : 400);
        QCOMPARE(received.size(), accepted ? 1 : 0);
        QCOMPARE(failed.size(), accepted ? 0 : 1);
        if (!accepted) {
            const QString error = failed.at(0).at(0).toString();
            QVERIFY2(error == u"invalid_issuer"_s || error == u"invalid_response"_s,
                    qPrintable(error));
        }
    }

    // An error response whose iss does not check out is not acted on and not shown (MCP
    // 2026-07-28 "Authorization Response Validation"): neither error, error_description nor
    // error_uri reaches the signal, the log or the page.
    void errorResponseWithAWrongIssuerIsNotShown_data()
    {
        QTest::addColumn<QByteArray>("issParameter");
        QTest::addColumn<bool>("required");
        QTest::addRow("another issuer") << "&iss=https%3A%2F%2Fevil.example"_ba << false;
        QTest::addRow("trailing slash") << "&iss=https%3A%2F%2Fas.example%2F"_ba << true;
        QTest::addRow("absent, advertised") << QByteArray() << true;
    }
    void errorResponseWithAWrongIssuerIsNotShown()
    {
        QFETCH(QByteArray, issParameter);
        QFETCH(bool, required);
        m_handler->setExpectedIssuer(u"https://as.example"_s);
        m_handler->setIssuerParameterRequired(required);
        QSignalSpy received(m_handler.get(), &QAbstractOAuthReplyHandler::callbackReceived);
        QSignalSpy failed(m_handler.get(), &LoopbackReplyHandler::callbackFailed);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"invalid_issuer"_s));
        const RawResponse response = request(callbackTarget(
                "error=access_denied&error_description=Phish+here&error_uri=https%3A%2F%2Fx.example"
                "&state="
                + State + issParameter));
        QCOMPARE(response.status, 400);
        QCOMPARE(received.size(), 0);
        QCOMPARE(failed.size(), 1);
        QCOMPARE(failed.at(0).at(0).toString(), u"invalid_issuer"_s);
        const QString description = failed.at(0).at(1).toString();
        for (const QString &hidden : {u"access_denied"_s, u"Phish"_s, u"x.example"_s}) {
            QVERIFY2(!description.contains(hidden), qPrintable(description));
            QVERIFY(!response.body.contains(hidden.toUtf8()));
        }
    }

    void pagesHaveSecurityHeaders()
    {
        const RawResponse rejected = request(callbackTarget("code=c&state=nope"));
        const RawResponse notFound = request("/elsewhere"_ba);
        const RawResponse success = request(callbackTarget("code=c&state=" + State));
        for (const RawResponse &response : {rejected, notFound, success}) {
            QVERIFY(response.complete);
            QCOMPARE(response.header("Content-Type"), "text/html; charset=utf-8"_ba);
            QCOMPARE(response.header("Content-Security-Policy"),
                    "default-src 'none'; style-src 'unsafe-inline'"_ba);
            QCOMPARE(response.header("Cache-Control"), "no-store"_ba);
            QCOMPARE(response.header("Referrer-Policy"), "no-referrer"_ba);
            QCOMPARE(response.header("X-Content-Type-Options"), "nosniff"_ba);
            QCOMPARE(response.header("Connection"), "close"_ba);
            QCOMPARE(response.header("Content-Length").toInt(), response.body.size());
            // From the resource templates, with no external assets.
            QVERIFY(response.body.startsWith("<!doctype html>"));
            QVERIFY(response.body.contains("<main>"));
            QVERIFY(!response.body.contains("src="));
            QVERIFY(!response.body.contains("href="));
            QVERIFY(!response.body.contains("{{"));
        }
        QVERIFY(success.body.contains("<title>Login complete</title>"));
        QVERIFY(rejected.body.contains("<title>Request rejected</title>"));
    }

    void htmlEscaping()
    {
        QCOMPARE(LoopbackReplyHandler::htmlEscaped(u"<a href='x'>&\"{{title}}</a>"_s),
                u"&lt;a href=&#39;x&#39;&gt;&amp;&quot;{{title}}&lt;/a&gt;"_s);
        // A placeholder inside a value is not expanded.
        QSignalSpy failed(m_handler.get(), &LoopbackReplyHandler::callbackFailed);
        const RawResponse response = request(callbackTarget(
                "error=%7B%7Btitle%7D%7D&error_description=%7B%7Bmessage%7D%7D&state=" + State));
        QCOMPARE(failed.size(), 1);
        QVERIFY(response.body.contains("Login failed: {{title}} ({{message}})"));
    }

    void busyPortIsReported()
    {
        QTcpServer blocker;
        QVERIFY(blocker.listen(QHostAddress::LocalHost, 0));
        LoopbackReplyHandler handler;
        QVERIFY(!handler.listen(blocker.serverPort()));
        QVERIFY(!handler.isListening());
        const QString message = handler.errorString();
        QVERIFY2(message.contains(QString::number(blocker.serverPort())), qPrintable(message));
        QVERIFY2(message.contains(u"OAUTH2_CALLBACK_PORT"_s), qPrintable(message));
        QVERIFY2(message.contains(u"oauth2.callbackPort"_s), qPrintable(message));
        handler.setPortSettingName(u"OAUTH2_REDIRECT_URI / oauth2.redirectUri"_s);
        QVERIFY(!handler.listen(blocker.serverPort()));
        QVERIFY(handler.errorString().contains(u"OAUTH2_REDIRECT_URI"_s));
    }

    void nonLoopbackHostIsRefused_data()
    {
        QTest::addColumn<QString>("host");
        QTest::addRow("any") << u"0.0.0.0"_s;
        QTest::addRow("name") << u"example.com"_s;
        QTest::addRow("lan") << u"192.168.1.10"_s;
        QTest::addRow("ipv6 any") << u"::"_s;
    }
    void nonLoopbackHostIsRefused()
    {
        QFETCH(QString, host);
        LoopbackReplyHandler handler;
        handler.setCallbackHost(host);
        QVERIFY(!handler.listen(0));
        QVERIFY(handler.errorString().contains(u"loopback"_s));
    }

    void otherIpv4LoopbackAddress()
    {
        // Any address of 127.0.0.0/8 is loopback (UrlPolicy::isLoopbackHost); Linux routes them
        // all to lo, other systems may have only 127.0.0.1.
        LoopbackReplyHandler handler;
        handler.setCallbackHost(u"127.0.0.2"_s);
        if (!handler.listen(0))
            QSKIP("127.0.0.2 is not configured here");
        QCOMPARE(handler.callback(), u"http://127.0.0.2:%1/callback"_s.arg(handler.port()));
        handler.setExpectedState(State);
        const QByteArray port = QByteArray::number(handler.port());
        QSignalSpy received(&handler, &QAbstractOAuthReplyHandler::callbackReceived);
        const QByteArray target = "/callback?code=c&state=" + State;
        QCOMPARE(exchange(QHostAddress(u"127.0.0.2"_s), handler.port(),
                         {get(target, "127.0.0.1:" + port)})
                         .status,
                400);
        QCOMPARE(exchange(QHostAddress(u"127.0.0.2"_s), handler.port(),
                         {get(target, "127.0.0.2:" + port)})
                         .status,
                200);
        QCOMPARE(received.size(), 1);
    }

    void ipv6Loopback()
    {
        LoopbackReplyHandler handler;
        handler.setCallbackHost(u"[::1]"_s);
        if (!handler.listen(0))
            QSKIP("no IPv6 loopback here");
        handler.setExpectedState(State);
        QCOMPARE(handler.callback(), u"http://[::1]:%1/callback"_s.arg(handler.port()));
        const QByteArray port = QByteArray::number(handler.port());
        QSignalSpy received(&handler, &QAbstractOAuthReplyHandler::callbackReceived);
        const QByteArray target = "/callback?code=c&state=" + State;
        QCOMPARE(exchange(QHostAddress::LocalHostIPv6, handler.port(),
                         {get(target, "127.0.0.1:" + port)})
                         .status,
                400);
        QCOMPARE(exchange(QHostAddress::LocalHostIPv6, handler.port(),
                         {get(target, "[::1]:" + port)})
                         .status,
                200);
        QCOMPARE(received.size(), 1);
    }

    void headersSplitAcrossWrites()
    {
        QSignalSpy received(m_handler.get(), &QAbstractOAuthReplyHandler::callbackReceived);
        const RawResponse response = exchange(QHostAddress::LocalHost, m_handler->port(),
                {"GE"_ba, "T /callback?code=sp", "lit&state=" + State + " HTTP/1.1\r\nHo",
                        "st: " + m_host + "\r", "\n", "\r\n"});
        QCOMPARE(response.status, 200);
        QCOMPARE(received.size(), 1);
        QCOMPARE(received.at(0).at(0).toMap().value(u"code"_s).toString(), u"split"_s);
    }

    void oversizedHeaderIsRefused()
    {
        QSignalSpy received(m_handler.get(), &QAbstractOAuthReplyHandler::callbackReceived);
        const QByteArray padding(LoopbackReplyHandler::MaxHeaderBytes + 100, 'a');
        const RawResponse response = exchange(QHostAddress::LocalHost, m_handler->port(),
                {"GET /callback?code=c&state=" + State + " HTTP/1.1\r\nHost: " + m_host
                        + "\r\nX-Padding: " + padding + "\r\n\r\n"});
        QCOMPARE(response.status, 431);
        QCOMPARE(received.size(), 0);
        // Still listening and waiting.
        QCOMPARE(request(callbackTarget("code=c&state=" + State)).status, 200);
    }

    void malformedRequestsAreRefused_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::addRow("http/0.9") << "GET /callback\r\n\r\n"_ba;
        QTest::addRow("http/2 preface") << "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"_ba;
        QTest::addRow("absolute form")
                << "GET http://127.0.0.1/callback?code=c HTTP/1.1\r\nHost: %HOST%\r\n\r\n"_ba;
        QTest::addRow("folded header") << "GET /callback HTTP/1.1\r\nHost: %HOST%\r\n x\r\n\r\n"_ba;
        QTest::addRow("space before colon") << "GET /callback HTTP/1.1\r\nHost : %HOST%\r\n\r\n"_ba;
    }
    void malformedRequestsAreRefused()
    {
        QFETCH(QByteArray, raw);
        raw.replace("%HOST%", m_host);
        QSignalSpy received(m_handler.get(), &QAbstractOAuthReplyHandler::callbackReceived);
        const RawResponse response = exchange(QHostAddress::LocalHost, m_handler->port(), {raw});
        QCOMPARE(response.status, 400);
        QCOMPARE(received.size(), 0);
    }

    void slowClientIsDropped()
    {
        m_handler->setRequestTimeout(200);
        QVERIFY(m_handler->listen(0));
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, m_handler->port());
        QVERIFY(QTest::qWaitFor(
                [&] { return socket.state() == QAbstractSocket::ConnectedState; }, 5000));
        socket.write("GET /callback HTTP/1.1\r\n"); // and never finishes
        QVERIFY(QTest::qWaitFor(
                [&] { return socket.state() == QAbstractSocket::UnconnectedState; }, 3000));
    }

    void closeDropsWaitingConnections()
    {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, m_handler->port());
        QVERIFY(QTest::qWaitFor(
                [&] { return socket.state() == QAbstractSocket::ConnectedState; }, 5000));
        QTest::qWait(50); // accepted by the handler
        const quint16 port = m_handler->port();
        m_handler->close();
        QVERIFY(QTest::qWaitFor(
                [&] { return socket.state() == QAbstractSocket::UnconnectedState; }, 3000));
        QVERIFY(!portAcceptsConnections(port));
    }

    void tokenReplies_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<bool>("success");
        QTest::addColumn<QString>("error");
        QTest::addRow("tokens")
                << 200
                << R"({"access_token":"AT","token_type":"bearer","expires_in":60,"refresh_token":"R+T/1=="})"_ba
                << true << QString();
        QTest::addRow("invalid_grant")
                << 400 << R"({"error":"invalid_grant","error_description":"bad code"})"_ba << false
                << u"invalid_grant"_s;
        QTest::addRow("200 with error")
                << 200 << R"({"error":"invalid_request"})"_ba << false << u"invalid_request"_s;
        QTest::addRow("server error") << 503 << "<html>down</html>"_ba << false << QString();
    }
    void tokenReplies()
    {
        QFETCH(int, status);
        QFETCH(QByteArray, body);
        QFETCH(bool, success);
        QFETCH(QString, error);
        FakeHttpServer server;
        QVERIFY(server.listen());
        server.setHandler([&](const FakeHttpRequest &, FakeHttpResponder *responder) {
            responder->reply(status, {{"Content-Type", "application/json"}}, body);
        });
        QNetworkAccessManager nam;
        QNetworkRequest request(server.url(u"/token"_s));
        request.setHeader(
                QNetworkRequest::ContentTypeHeader, u"application/x-www-form-urlencoded"_s);
        QPointer<QNetworkReply> reply = nam.post(request, "grant_type=authorization_code");
        QSignalSpy responses(m_handler.get(), &LoopbackReplyHandler::tokenResponseReceived);
        QSignalSpy tokens(m_handler.get(), &QAbstractOAuthReplyHandler::tokensReceived);
        connect(reply, &QNetworkReply::finished, m_handler.get(),
                [this, reply] { m_handler->networkReplyFinished(reply); });
        QTRY_COMPARE(responses.size(), 1);
        const auto response = responses.at(0).at(0).value<TokenResponse>();
        QCOMPARE(response.tokens.has_value(), success);
        QCOMPARE(tokens.size(), success ? 1 : 0);
        if (success) {
            QCOMPARE(response.tokens->accessToken, u"AT"_s);
            QCOMPARE(response.tokens->refreshToken, u"R+T/1=="_s);
            QCOMPARE(tokens.at(0).at(0).toMap().value(u"access_token"_s).toString(), u"AT"_s);
        } else {
            QCOMPARE(response.error.httpStatus, status);
            if (!error.isEmpty())
                QCOMPARE(response.error.error, error);
        }
        QTRY_VERIFY(reply.isNull()); // deleted (6.4 leaks it)
    }

    void networkFailureIsReported()
    {
        QTcpServer closed;
        QVERIFY(closed.listen(QHostAddress::LocalHost, 0));
        const quint16 port = closed.serverPort();
        closed.close();
        QNetworkAccessManager nam;
        QPointer<QNetworkReply> reply =
                nam.post(QNetworkRequest(QUrl(u"http://127.0.0.1:%1/token"_s.arg(port))), "x=1");
        QSignalSpy responses(m_handler.get(), &LoopbackReplyHandler::tokenResponseReceived);
        connect(reply, &QNetworkReply::finished, m_handler.get(),
                [this, reply] { m_handler->networkReplyFinished(reply); });
        QTRY_COMPARE(responses.size(), 1);
        const auto response = responses.at(0).at(0).value<TokenResponse>();
        QVERIFY(!response.tokens);
        QCOMPARE(response.error.error, u"network_error"_s);
        QTRY_VERIFY(reply.isNull());
    }
};

QTEST_GUILESS_MAIN(tst_LoopbackReplyHandler)
#include "tst_loopbackreplyhandler.moc"
