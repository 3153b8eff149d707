// AuthorizationCodeLogin against a scripted authorization server, with QNAM as the browser
// (authorizationUrlReady → GET, redirects followed into our callback): the authorization request
// parameters, PKCE, state per attempt, the code handed over exactly and never exchanged by the
// flow, errors, timeout, listen failure, cancel, issuer checks, redirect URI variants, the stderr
// instructions and the browser switch. One round trip against FakeAuthServer checks that the
// code, verifier and redirect URI are accepted by a PKCE-verifying token endpoint.
#include "auth/login/authorizationcodelogin.h"
#include "auth/protocol/pkce.h"
#include "support/fakeauthserver.h"
#include "support/fakehttpserver.h"
#include "support/freeport.h"
#include "support/testbrowser.h"

#include <QtCore/QElapsedTimer>
#include <QtCore/QFile>
#include <QtCore/QLoggingCategory>
#include <QtCore/QPointer>
#include <QtCore/QTemporaryDir>
#include <QtCore/QTemporaryFile>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>
#include <QtNetwork/QTcpServer>
#include <QtNetwork/QTcpSocket>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#if defined(Q_OS_UNIX)
#include <unistd.h>
#endif

using namespace McpProxy;
using namespace McpProxy::Test;
using namespace Qt::StringLiterals;

namespace {

using Fields = QList<std::pair<QString, QString>>;

Fields parseQuery(const QByteArray &raw)
{
    Fields fields;
    for (QByteArray part : raw.split('&')) {
        if (part.isEmpty())
            continue;
        part.replace('+', ' ');
        const qsizetype eq = part.indexOf('=');
        fields.append({QUrl::fromPercentEncoding(eq < 0 ? part : part.left(eq)),
                QUrl::fromPercentEncoding(eq < 0 ? QByteArray() : part.mid(eq + 1))});
    }
    return fields;
}

QStringList values(const Fields &fields, const QString &name)
{
    QStringList out;
    for (const auto &[key, value] : fields) {
        if (key == name)
            out.append(value);
    }
    return out;
}

QString single(const Fields &fields, const QString &name)
{
    const QStringList all = values(fields, name);
    return all.size() == 1 ? all.constFirst() : u"<%1 values>"_s.arg(all.size());
}

bool portAcceptsConnections(quint16 port, const QHostAddress &address = QHostAddress::LocalHost)
{
    QTcpSocket socket;
    socket.connectToHost(address, port);
    const bool settled = QTest::qWaitFor([&] {
        return socket.state() == QAbstractSocket::ConnectedState
                || socket.state() == QAbstractSocket::UnconnectedState;
    });
    return settled && socket.state() == QAbstractSocket::ConnectedState;
}

// The authorization endpoint: records each request, then redirects to the redirect URI with the
// scripted answer. Anything at /token is recorded and refused.
struct ScriptedAuthorizationServer
{
    FakeHttpServer http;
    QList<Fields> authorizeRequests;
    int tokenRequests = 0;
    QByteArray code = "c0de+/%= é&x";
    QString error;
    QString errorDescription;
    QString iss; // added when non-empty

    ScriptedAuthorizationServer()
    {
        http.setHandler([this](const FakeHttpRequest &request, FakeHttpResponder *responder) {
            if (request.path() == "/token") {
                ++tokenRequests;
                responder->reply(500);
                return;
            }
            if (request.path() != "/authorize") {
                responder->reply(404);
                return;
            }
            const qsizetype question = request.target.indexOf('?');
            const Fields fields =
                    parseQuery(question < 0 ? QByteArray() : request.target.mid(question + 1));
            authorizeRequests.append(fields);
            const QByteArray redirect = values(fields, u"redirect_uri"_s).value(0).toUtf8();
            QByteArray location = redirect + (redirect.contains('?') ? '&' : '?');
            if (!error.isEmpty()) {
                location += "error=" + QUrl::toPercentEncoding(error);
                if (!errorDescription.isEmpty())
                    location += "&error_description=" + QUrl::toPercentEncoding(errorDescription);
            } else {
                location += "code=" + QUrl::toPercentEncoding(QString::fromUtf8(code));
            }
            location += "&state=" + QUrl::toPercentEncoding(values(fields, u"state"_s).value(0));
            if (!iss.isEmpty())
                location += "&iss=" + QUrl::toPercentEncoding(iss);
            responder->reply(302, {{"Location", location}});
        });
    }
};

} // namespace

class tst_AuthorizationCodeLogin : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScriptedAuthorizationServer> m_as;
    std::unique_ptr<AuthorizationCodeLogin> m_login;
    std::unique_ptr<QSignalSpy> m_urls;
    std::unique_ptr<QSignalSpy> m_codes;
    std::unique_ptr<QSignalSpy> m_failures;
    QNetworkAccessManager m_browser;
    QPointer<QNetworkReply> m_page;
    bool m_browse = true;

    AuthorizationCodeLogin::Options options() const
    {
        AuthorizationCodeLogin::Options o;
        o.authorizationEndpoint = m_as->http.url(u"/authorize"_s);
        o.tokenEndpoint = m_as->http.url(u"/token"_s);
        o.clientId = u"test-client"_s;
        o.callbackPort = 0;
        o.timeoutSeconds = 30;
        o.openBrowser = false;
        o.serverName = u"test server"_s;
        o.environment = QProcessEnvironment();
        return o;
    }
    // The user's browser: follows the authorization URL and its redirect into our callback.
    void browse(const QUrl &url)
    {
        if (m_browse)
            m_page = m_browser.get(QNetworkRequest(url));
    }
    QByteArray pageBody()
    {
        if (!QTest::qWaitFor([this] { return m_page && m_page->isFinished(); }, 5000))
            return {};
        return m_page->readAll();
    }
    bool waitForOutcome()
    {
        return QTest::qWaitFor([this] { return m_codes->size() + m_failures->size() > 0; }, 10000);
    }

private Q_SLOTS:
    void initTestCase()
    {
        // Quiet: the login logs at info level for every step.
        QLoggingCategory::setFilterRules(u"mcpproxy.auth.debug=false\nmcpproxy.auth.info=false"_s);
    }
    void init()
    {
        m_as = std::make_unique<ScriptedAuthorizationServer>();
        QVERIFY(m_as->http.listen());
        m_login = std::make_unique<AuthorizationCodeLogin>();
        m_urls = std::make_unique<QSignalSpy>(
                m_login.get(), &AuthorizationCodeLogin::authorizationUrlReady);
        m_codes = std::make_unique<QSignalSpy>(
                m_login.get(), &AuthorizationCodeLogin::authorizationCodeReceived);
        m_failures = std::make_unique<QSignalSpy>(m_login.get(), &AuthorizationCodeLogin::failed);
        m_browse = true;
        connect(m_login.get(), &AuthorizationCodeLogin::authorizationUrlReady, this,
                &tst_AuthorizationCodeLogin::browse);
    }
    void cleanup()
    {
        m_urls.reset();
        m_codes.reset();
        m_failures.reset();
        m_login.reset();
        m_as.reset();
        delete m_page;
    }

    void authorizationRequestAndCode()
    {
        AuthorizationCodeLogin::Options o = options();
        o.clientId = u"client id+1/é"_s;
        o.scope = u"mcp:tools offline_access"_s;
        o.resource = u"https://mcp.example.com/mcp?x=a+b&y=%41"_s;
        o.extraParams = {{u"prompt"_s, u"consent"_s}, {u"state"_s, u"evil"_s},
                {u"redirect_uri"_s, u"http://evil.example/cb"_s}, {u"client_id"_s, u"evil"_s},
                {u"response_type"_s, u"token"_s}, {u"code_challenge"_s, u"evil"_s},
                {u"code_challenge_method"_s, u"plain"_s}, {u"resource"_s, u"https://evil"_s},
                {u"scope"_s, u"admin"_s}, {u"audience"_s, u"a&b=c+d %"_s}};
        for (const char *name : {"state", "redirect_uri", "client_id", "response_type",
                     "code_challenge", "code_challenge_method", "resource", "scope"}) {
            QTest::ignoreMessage(QtWarningMsg,
                    qPrintable(
                            u"extraParams: %1 is set by the login and cannot be overridden"_s.arg(
                                    QLatin1StringView(name))));
        }
        QVERIFY(m_login->start(o));
        QVERIFY(m_login->isActive());
        const quint16 port = quint16(m_login->redirectUri().port());
        QVERIFY(port != 0);
        QCOMPARE(m_urls->size(), 0); // nothing from inside start()
        QVERIFY(waitForOutcome());
        QCOMPARE(m_failures->size(), 0);
        QCOMPARE(m_codes->size(), 1);

        // The authorization request (RFC 6749 section 4.1.1, RFC 7636 section 4.3, RFC 8707 section
        // 2).
        QCOMPARE(m_as->authorizeRequests.size(), 1);
        const Fields request = m_as->authorizeRequests.constFirst();
        QCOMPARE(single(request, u"response_type"_s), u"code"_s);
        QCOMPARE(single(request, u"client_id"_s), o.clientId);
        const QString redirectUri = u"http://127.0.0.1:%1/callback"_s.arg(port);
        QCOMPARE(single(request, u"redirect_uri"_s), redirectUri);
        QCOMPARE(single(request, u"scope"_s), o.scope);
        QCOMPARE(single(request, u"resource"_s), o.resource);
        QCOMPARE(single(request, u"code_challenge_method"_s), u"S256"_s);
        const QString state = single(request, u"state"_s);
        QVERIFY2(state.size() >= 43, qPrintable(state));
        QVERIFY(state != u"evil"_s);
        const QString challenge = single(request, u"code_challenge"_s);
        QCOMPARE(challenge.size(), 43);
        QCOMPARE(single(request, u"prompt"_s), u"consent"_s);
        QCOMPARE(single(request, u"audience"_s), u"a&b=c+d %"_s);
        QCOMPARE(m_urls->size(), 1);
        const QUrl url = m_urls->at(0).at(0).toUrl();
        QCOMPARE(url.adjusted(QUrl::RemoveQuery), m_as->http.url(u"/authorize"_s));

        // The code, exactly, with the verifier that matches the challenge.
        const QList<QVariant> received = m_codes->at(0);
        QCOMPARE(received.at(0).toString(), QString::fromUtf8(m_as->code));
        const QByteArray verifier = received.at(1).toByteArray();
        QCOMPARE(verifier.size(), 43);
        QCOMPARE(QString::fromLatin1(Pkce::codeChallengeS256(verifier)), challenge);
        QCOMPARE(received.at(2).toUrl(), QUrl(redirectUri));

        // The browser got the success page; the flow exchanged nothing; all is closed.
        QVERIFY(pageBody().contains("Login complete."));
        QCOMPARE(m_page->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        QVERIFY(!m_login->isActive());
        QTest::qWait(300); // time for an exchange by the flow, which must never come
        QCOMPARE(m_as->tokenRequests, 0);
        QVERIFY(m_login->redirectUri().isEmpty());
        QVERIFY(!portAcceptsConnections(port));
    }

    void emptyScopeAndResourceAreOmitted()
    {
        QVERIFY(m_login->start(options()));
        QVERIFY(waitForOutcome());
        QCOMPARE(m_codes->size(), 1);
        const Fields request = m_as->authorizeRequests.constFirst();
        QVERIFY(values(request, u"scope"_s).isEmpty());
        QVERIFY(values(request, u"resource"_s).isEmpty());
        QVERIFY(!m_urls->at(0).at(0).toUrl().query().contains(u"scope"_s));
    }

    void endpointQueryIsKept()
    {
        AuthorizationCodeLogin::Options o = options();
        o.authorizationEndpoint = QUrl::fromEncoded(
                m_as->http.url(u"/authorize"_s).toEncoded() + "?tenant=t1&plus=a%2Bb&state=evil");
        QVERIFY(m_login->start(o));
        QVERIFY(waitForOutcome());
        QCOMPARE(m_codes->size(), 1);
        const Fields request = m_as->authorizeRequests.constFirst();
        QCOMPARE(single(request, u"tenant"_s), u"t1"_s);
        QCOMPARE(single(request, u"plus"_s), u"a+b"_s);
        QVERIFY(single(request, u"state"_s) != u"evil"_s);
    }

    void freshStateAndVerifierPerAttempt()
    {
        QStringList states;
        QStringList challenges;
        QList<QByteArray> verifiers;
        for (int i = 0; i < 3; ++i) {
            m_codes->clear();
            QVERIFY(m_login->start(options()));
            QVERIFY(waitForOutcome());
            QCOMPARE(m_codes->size(), 1);
            const Fields request = m_as->authorizeRequests.at(i);
            states.append(single(request, u"state"_s));
            challenges.append(single(request, u"code_challenge"_s));
            verifiers.append(m_codes->at(0).at(1).toByteArray());
            QCOMPARE(QString::fromLatin1(Pkce::codeChallengeS256(verifiers.last())),
                    challenges.last());
        }
        for (int i = 0; i < 3; ++i) {
            QVERIFY(states.at(i).size() >= 43);
            for (int j = i + 1; j < 3; ++j) {
                QVERIFY(states.at(i) != states.at(j));
                QVERIFY(challenges.at(i) != challenges.at(j));
                QVERIFY(verifiers.at(i) != verifiers.at(j));
            }
        }
    }

    void accessDenied()
    {
        m_as->error = u"access_denied"_s;
        m_as->errorDescription = u"The user said no"_s;
        QVERIFY(m_login->start(options()));
        const quint16 port = quint16(m_login->redirectUri().port());
        QVERIFY(waitForOutcome());
        QCOMPARE(m_codes->size(), 0);
        QCOMPARE(m_failures->size(), 1);
        QCOMPARE(m_failures->at(0).at(0).toString(), u"access_denied"_s);
        QCOMPARE(m_failures->at(0).at(1).toString(), u"The user said no"_s);
        QVERIFY(pageBody().contains("Login failed: access_denied (The user said no)"));
        QVERIFY(!m_login->isActive());
        QVERIFY(!portAcceptsConnections(port));
    }

    void timeout()
    {
        m_browse = false;
        AuthorizationCodeLogin::Options o = options();
        o.timeoutSeconds = 1;
        QElapsedTimer clock;
        clock.start();
        QVERIFY(m_login->start(o));
        const quint16 port = quint16(m_login->redirectUri().port());
        QVERIFY(portAcceptsConnections(port));
        QVERIFY(waitForOutcome());
        QVERIFY2(clock.elapsed() >= 900 && clock.elapsed() < 5000,
                qPrintable(QString::number(clock.elapsed())));
        QCOMPARE(m_failures->size(), 1);
        QCOMPARE(m_failures->at(0).at(0).toString(), u"timeout"_s);
        QCOMPARE(m_failures->at(0).at(1).toString(), u"login timed out after 1 s"_s);
        QVERIFY(!portAcceptsConnections(port));
        QVERIFY(!m_login->isActive());
        QTest::qWait(200);
        QCOMPARE(m_failures->size(), 1);
        QCOMPARE(m_codes->size(), 0);
    }

    void listenFailureIsReportedAsynchronously()
    {
        QTcpServer blocker;
        QVERIFY(blocker.listen(QHostAddress::LocalHost, 0));
        AuthorizationCodeLogin::Options o = options();
        o.callbackPort = blocker.serverPort();
        QVERIFY(m_login->start(o));
        QCOMPARE(m_failures->size(), 0);
        QVERIFY(waitForOutcome());
        QCOMPARE(m_failures->size(), 1);
        QCOMPARE(m_failures->at(0).at(0).toString(), u"listen_failed"_s);
        const QString description = m_failures->at(0).at(1).toString();
        QVERIFY2(description.contains(QString::number(blocker.serverPort())),
                qPrintable(description));
        QVERIFY2(description.contains(u"OAUTH2_CALLBACK_PORT"_s), qPrintable(description));
        QCOMPARE(m_urls->size(), 0);
        QCOMPARE(m_as->authorizeRequests.size(), 0);
        QVERIFY(!m_login->isActive());
    }

    void oneLoginAtATimeAndCancel()
    {
        m_browse = false;
        QVERIFY(m_login->start(options()));
        QVERIFY(!m_login->start(options()));
        QTRY_COMPARE(m_urls->size(), 1);
        const quint16 port = quint16(m_login->redirectUri().port());
        m_login->cancel();
        QVERIFY(!m_login->isActive());
        QVERIFY(!portAcceptsConnections(port));
        QTest::qWait(200);
        QCOMPARE(m_codes->size() + m_failures->size(), 0);
        // A new login works after the cancelled one.
        m_browse = true;
        QVERIFY(m_login->start(options()));
        QVERIFY(waitForOutcome());
        QCOMPARE(m_codes->size(), 1);
    }

    void cancelBeforeTheUrlIsBuilt()
    {
        QVERIFY(m_login->start(options()));
        m_login->cancel();
        QTest::qWait(100);
        QCOMPARE(m_urls->size(), 0);
        QCOMPARE(m_codes->size() + m_failures->size(), 0);
    }

    void issuer_data()
    {
        QTest::addColumn<QString>("expected");
        QTest::addColumn<bool>("supported");
        QTest::addColumn<QString>("sent");
        QTest::addColumn<bool>("accepted");
        QTest::addRow("match") << u"https://as.example"_s << true << u"https://as.example"_s
                               << true;
        QTest::addRow("mismatch") << u"https://as.example"_s << false << u"https://evil.example"_s
                                  << false;
        QTest::addRow("missing, announced")
                << u"https://as.example"_s << true << QString() << false;
        QTest::addRow("missing, not announced")
                << u"https://as.example"_s << false << QString() << true;
    }
    void issuer()
    {
        QFETCH(QString, expected);
        QFETCH(bool, supported);
        QFETCH(QString, sent);
        QFETCH(bool, accepted);
        m_as->iss = sent;
        AuthorizationCodeLogin::Options o = options();
        o.expectedIssuer = expected;
        o.issParameterSupported = supported;
        QVERIFY(m_login->start(o));
        QVERIFY(waitForOutcome());
        QCOMPARE(m_codes->size(), accepted ? 1 : 0);
        QCOMPARE(m_failures->size(), accepted ? 0 : 1);
        if (!accepted)
            QCOMPARE(m_failures->at(0).at(0).toString(), u"invalid_issuer"_s);
    }

    void configuredRedirectUri()
    {
        const quint16 port = freePort();
        QVERIFY(port != 0);
        AuthorizationCodeLogin::Options o = options();
        o.redirectUri = QUrl(u"http://localhost:%1/oauth/cb"_s.arg(port));
        QVERIFY(m_login->start(o));
        QCOMPARE(m_login->redirectUri(), o.redirectUri);
        QVERIFY(waitForOutcome());
        QCOMPARE(m_codes->size(), 1);
        QCOMPARE(single(m_as->authorizeRequests.constFirst(), u"redirect_uri"_s),
                o.redirectUri.toString());
        QCOMPARE(m_codes->at(0).at(2).toUrl(), o.redirectUri);
    }

    void invalidRedirectUri_data()
    {
        QTest::addColumn<QUrl>("redirectUri");
        QTest::addRow("https") << QUrl(u"https://127.0.0.1:4443/cb"_s);
        QTest::addRow("not loopback") << QUrl(u"http://example.com:8080/cb"_s);
        QTest::addRow("no port") << QUrl(u"http://127.0.0.1/cb"_s);
        QTest::addRow("fragment") << QUrl(u"http://127.0.0.1:8080/cb#x"_s);
    }
    void invalidRedirectUri()
    {
        QFETCH(QUrl, redirectUri);
        AuthorizationCodeLogin::Options o = options();
        o.redirectUri = redirectUri;
        QVERIFY(m_login->start(o));
        QVERIFY(waitForOutcome());
        QCOMPARE(m_failures->size(), 1);
        QCOMPARE(m_failures->at(0).at(0).toString(), u"invalid_request"_s);
        QCOMPARE(m_urls->size(), 0);
    }

    void ipv6CallbackHost()
    {
        {
            QTcpServer probe;
            if (!probe.listen(QHostAddress::LocalHostIPv6, 0))
                QSKIP("no IPv6 loopback here");
        }
        AuthorizationCodeLogin::Options o = options();
        o.callbackHost = u"::1"_s;
        QVERIFY(m_login->start(o));
        const quint16 port = quint16(m_login->redirectUri().port());
        QCOMPARE(m_login->redirectUri().toString(), u"http://[::1]:%1/callback"_s.arg(port));
        QVERIFY(waitForOutcome());
        QCOMPARE(m_codes->size(), 1);
        QCOMPARE(single(m_as->authorizeRequests.constFirst(), u"redirect_uri"_s),
                u"http://[::1]:%1/callback"_s.arg(port));
    }

    void instructionsGoToStderrOnly()
    {
#if !defined(Q_OS_UNIX)
        QSKIP("fd redirection test");
#else
        const QUrl url(u"https://as.example/authorize?a=1&state=x%2By"_s);
        QCOMPARE(AuthorizationCodeLogin::instructions(u"srv"_s, url),
                u"Open this URL in your browser to log in to srv:\n  https://as.example/authorize?a=1&state=x%2By"_s);

        QTemporaryFile errFile;
        QTemporaryFile outFile;
        QVERIFY(errFile.open() && outFile.open());
        std::fflush(stdout);
        std::fflush(stderr);
        const int savedErr = ::dup(2);
        const int savedOut = ::dup(1);
        ::dup2(errFile.handle(), 2);
        ::dup2(outFile.handle(), 1);
        const bool started = m_login->start(options());
        const bool done = waitForOutcome();
        std::fflush(stdout);
        std::fflush(stderr);
        ::dup2(savedErr, 2);
        ::dup2(savedOut, 1);
        ::close(savedErr);
        ::close(savedOut);
        QVERIFY(started && done);
        QCOMPARE(m_urls->size(), 1);
        // The descriptors shared the files' offsets: read from the start.
        QVERIFY(errFile.seek(0) && outFile.seek(0));
        const QByteArray err = errFile.readAll();
        const QByteArray expected = "Open this URL in your browser to log in to test server:\n  "
                + m_urls->at(0).at(0).toUrl().toEncoded() + '\n';
        QVERIFY2(err.contains(expected), err.constData());
        QCOMPARE(outFile.readAll(), QByteArray()); // stdout is the JSON-RPC channel
#endif
    }

    void openBrowserSwitch()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString record = dir.filePath(u"record"_s);
        m_browse = false;
        AuthorizationCodeLogin::Options o = options();
        o.environment.insert(u"PATH"_s, qEnvironmentVariable("PATH")); // Windows: the Qt DLLs
        o.environment.insert(u"BROWSER"_s, testBrowserCommand(record));
        o.openBrowser = false;
        QVERIFY(m_login->start(o));
        QTRY_COMPARE(m_urls->size(), 1);
        QTest::qWait(400);
        QVERIFY(!QFile::exists(record)); // nothing launched
        m_login->cancel();

        o.openBrowser = true;
        QVERIFY(m_login->start(o));
        QTRY_COMPARE(m_urls->size(), 2);
        QTRY_VERIFY(QFile::exists(record));
        QFile file(record);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.readAll().trimmed(), m_urls->at(1).at(0).toUrl().toEncoded());
        m_login->cancel();
    }

    // The whole interactive part against FakeAuthServer, then the code exchange the caller does
    // (here a plain form POST): the AS verifies PKCE, redirect_uri and resource.
    void codeIsRedeemableAtAPkceVerifyingServer()
    {
        FakeAuthServer as;
        QVERIFY(as.listen());
        as.setIssParameter(true);
        AuthorizationCodeLogin::Options o = options();
        o.authorizationEndpoint = as.authorizationEndpoint();
        o.tokenEndpoint = as.tokenEndpoint();
        o.resource = u"https://mcp.example.com/mcp"_s;
        o.scope = u"mcp:tools"_s;
        o.expectedIssuer = as.issuer();
        o.issParameterSupported = true;
        QVERIFY(m_login->start(o));
        QVERIFY(waitForOutcome());
        QCOMPARE(m_failures->size(), 0);
        QCOMPARE(m_codes->size(), 1);
        QCOMPARE(as.tokenCount(), 0);
        const QString code = m_codes->at(0).at(0).toString();
        const QByteArray verifier = m_codes->at(0).at(1).toByteArray();
        const QUrl redirectUri = m_codes->at(0).at(2).toUrl();

        QByteArray body = "grant_type=authorization_code&code=" + QUrl::toPercentEncoding(code)
                + "&redirect_uri=" + QUrl::toPercentEncoding(redirectUri.toString())
                + "&client_id=" + QUrl::toPercentEncoding(o.clientId) + "&code_verifier=" + verifier
                + "&resource=" + QUrl::toPercentEncoding(o.resource);
        QNetworkRequest request(as.tokenEndpoint());
        request.setHeader(
                QNetworkRequest::ContentTypeHeader, u"application/x-www-form-urlencoded"_s);
        std::unique_ptr<QNetworkReply> reply(m_browser.post(request, body));
        QTRY_VERIFY(reply->isFinished());
        const QByteArray answer = reply->readAll();
        QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        QVERIFY2(answer.contains("access_token"), answer.constData());
        QTest::qWait(200);
        QCOMPARE(as.tokenCount(), 1); // ours only: the flow never exchanged the code
    }
};

QTEST_GUILESS_MAIN(tst_AuthorizationCodeLogin)
#include "tst_authorizationcodelogin.moc"
