// The real binary and the RFC 8628 device authorization grant against the fake authorization
// server: chosen (OAUTH2_GRANT=device_code, or mcp-remote's --device-code), and as the headless
// fallback (no browser can be opened here and the server offers the grant). The user is this
// test: it reads the code the proxy prints on stderr and approves or denies it at the fake AS.
// Every test runs in both configuration styles (initTestCase_data): "configured" sets
// OAUTH2_GRANT (authorization at start-up), "on-demand" does not (authorization on the first 401).
#include "support/fakeauthserver.h"
#include "support/fakemcpserver.h"
#include "support/guardedserver.h"
#include "support/proxyprocess.h"
#include "support/testbrowser.h"

#include <QtCore/QJsonArray>
#include <QtCore/QRegularExpression>
#include <QtCore/QTemporaryDir>
#include <QtTest/QTest>

using namespace McpProxy::Test;
using namespace Qt::StringLiterals;

namespace {

const QByteArray Initialize =
        R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})";
const QByteArray EchoCall =
        R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"device"}}})";
const QString DeviceGrantType = u"urn:ietf:params:oauth:grant-type:device_code"_s;

// The user code the proxy printed, as the user reads it ("enter the code: …").
QString printedUserCode(const ProxyProcess &proxy)
{
    static const QRegularExpression code(u"enter the code: (\\S+)"_s);
    const QRegularExpressionMatch match = code.match(QString::fromUtf8(proxy.stderrText()));
    return match.hasMatch() ? match.captured(1) : QString();
}

// Arguments and environment for a device login chosen by the current configuration style.
void chooseDeviceLogin(QStringList *arguments, QProcessEnvironment *env)
{
    QFETCH_GLOBAL(QString, style);
    if (style == u"configured")
        env->insert(u"OAUTH2_GRANT"_s, u"device_code"_s);
    else
        arguments->prepend(u"--device-code"_s); // mcp-remote's option
}

} // namespace

class tst_ProxyDeviceLogin : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase_data();
    void chosenDeviceLoginHonoursSlowDownAndStoresTheTokens();
    void headlessFallback();
    void headlessFallbackRegistersAnewForTheDeviceGrant();
    void deniedOrExpired_data();
    void deniedOrExpired();
    void chosenWithoutServerSupportIsAClearError();
    void loginSubcommand();
};

void tst_ProxyDeviceLogin::initTestCase_data()
{
    QTest::addColumn<QString>("style");
    QTest::newRow("configured") << u"configured"_s;
    QTest::newRow("on-demand") << u"on-demand"_s;
}

void tst_ProxyDeviceLogin::chosenDeviceLoginHonoursSlowDownAndStoresTheTokens()
{
    GuardedServer server;
    server.auth.setDeviceFlow(true, 600, 1);
    server.auth.setDeviceSlowDowns(1);
    QTemporaryDir store;
    QVERIFY(store.isValid());
    QStringList arguments{server.mcp.url().toString()};
    QProcessEnvironment env;
    env.insert(u"XDG_CONFIG_HOME"_s, store.path());
    env.insert(u"APPDATA"_s, store.path()); // the store's parent on Windows
    chooseDeviceLogin(&arguments, &env);

    ProxyProcess proxy;
    QVERIFY(proxy.start(arguments, env));
    proxy.send(Initialize);
    QTRY_VERIFY_WITH_TIMEOUT(!printedUserCode(proxy).isEmpty(), 20000);
    const QByteArray printed = proxy.stderrText();
    QVERIFY(printed.contains(server.auth.url(u"/activate"_s).toEncoded()));
    QVERIFY(printed.contains("/activate?user_code="));
    // slow_down (the first poll), then authorization_pending at the new interval: 1 + 5 s.
    QTRY_VERIFY_WITH_TIMEOUT(server.auth.devicePolls().size() >= 2, 30000);
    QCOMPARE(server.auth.devicePolls().at(0).error, u"slow_down"_s);
    QCOMPARE(server.auth.devicePolls().at(1).error, u"authorization_pending"_s);
    // A lower bound only (Qt's coarse timers may fire up to 5 % early): load can only add.
    QVERIFY(server.auth.devicePolls().at(0).at.msecsTo(server.auth.devicePolls().at(1).at) >= 5500);
    QVERIFY(server.auth.approveDevice(printedUserCode(proxy)));
    QVERIFY2(proxy.takeResponse(1, 30000).contains(u"result"), proxy.stderrText().constData());
    proxy.send(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
    proxy.send(EchoCall);
    QCOMPARE(
            proxy.takeResponse(2).value(u"result")[u"content"][0][u"text"].toString(), u"device"_s);

    QCOMPARE(server.auth.authorizeCount(), 0); // no browser login at all
    QCOMPARE(server.auth.deviceAuthorizationCount(), 1);
    const FakeFormFields deviceRequest = server.auth.deviceAuthorizationRequests().first();
    const auto field = [&](const QString &name) {
        for (const auto &[key, value] : deviceRequest) {
            if (key == name)
                return value;
        }
        return QString();
    };
    QCOMPARE(field(u"resource"_s), server.mcp.url().toString()); // RFC 8707
    QVERIFY(!field(u"client_id"_s).isEmpty());
    const FakeTokenRequest &token = server.auth.tokenRequests().last();
    QCOMPARE(token.grantType, DeviceGrantType);
    QCOMPARE(token.param(u"resource"_s), server.mcp.url().toString());
    QVERIFY(server.auth.registrations()
                    .first()
                    .value(u"grant_types")
                    .toArray()
                    .contains(QJsonValue(DeviceGrantType)));
    // Neither the device code nor a token reaches the log.
    const QByteArray deviceCode = token.param(u"device_code"_s).toUtf8();
    QVERIFY(!deviceCode.isEmpty());
    QVERIFY(!proxy.stderrText().contains(deviceCode));
    QVERIFY(!proxy.stderrText().contains(server.auth.latestAccessToken().toUtf8()));
    QVERIFY(proxy.stdoutViolations().isEmpty());
    proxy.closeStdin();
    QVERIFY(proxy.waitForExit(15000));

    // Stored like any other login: the next start needs no new login.
    ProxyProcess second;
    QVERIFY(second.start(arguments, env));
    second.send(Initialize);
    QVERIFY2(second.takeResponse(1, 20000).contains(u"result"), second.stderrText().constData());
    second.send(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
    second.send(EchoCall);
    QVERIFY(second.takeResponse(2).contains(u"result"));
    QCOMPARE(server.auth.deviceAuthorizationCount(), 1);
    QVERIFY(!second.stderrText().contains("enter the code"));
}

void tst_ProxyDeviceLogin::headlessFallback()
{
    // No $BROWSER, no DISPLAY (ProxyProcess starts from a clean environment): no browser can be
    // opened, and the authorization server offers the device grant. Windows always has a default
    // browser (ShellExecuteW): there, --no-browser is what leaves none.
    GuardedServer server;
    server.auth.setDeviceFlow(true, 600, 1);
    QProcessEnvironment env;
    QFETCH_GLOBAL(QString, style);
    if (style == u"configured")
        env.insert(u"OAUTH2_GRANT"_s, u"authorization_code"_s);
    QStringList arguments{server.mcp.url().toString()};
#ifdef Q_OS_WIN
    arguments.prepend(u"--no-browser"_s);
#endif
    ProxyProcess proxy;
    QVERIFY(proxy.start(arguments, env));
    proxy.send(Initialize);
    QTRY_VERIFY_WITH_TIMEOUT(!printedUserCode(proxy).isEmpty(), 20000);
    QVERIFY(server.auth.approveDevice(printedUserCode(proxy)));
    QVERIFY2(proxy.takeResponse(1, 30000).contains(u"result"), proxy.stderrText().constData());
    QCOMPARE(server.auth.authorizeCount(), 0);
    QCOMPARE(server.auth.tokenRequests().last().grantType, DeviceGrantType);
    QVERIFY(!proxy.stderrText().contains("ssh -L")); // not the browser login's instructions
}

void tst_ProxyDeviceLogin::headlessFallbackRegistersAnewForTheDeviceGrant()
{
    // A client registered (RFC 7591) before the authorization server offered the device grant has
    // only authorization_code and refresh_token: the device authorization endpoint refuses it
    // (unauthorized_client). Headless, with the stored refresh token revoked, the proxy registers
    // anew, with the device grant, and the device login goes on; no browser login is offered.
    GuardedServer server;
    TestBrowser browser;
    QTemporaryDir store;
    QProcessEnvironment env = browser.environment(store.path());
    QFETCH_GLOBAL(QString, style);
    if (style == u"configured")
        env.insert(u"OAUTH2_GRANT"_s, u"authorization_code"_s);
    {
        ProxyProcess first;
        QVERIFY(first.start({server.mcp.url().toString()}, env));
        first.send(Initialize);
        QCOMPARE(browser.completeLogin(server.auth), 200);
        QVERIFY2(first.takeResponse(1).contains(u"result"), first.stderrText().constData());
        first.closeStdin();
        QVERIFY(first.waitForExit(15000));
    }
    QCOMPARE(server.auth.registerCount(), 1);
    QVERIFY(!server.auth.registrations()
                     .first()
                     .value(u"grant_types")
                     .toArray()
                     .contains(QJsonValue(DeviceGrantType)));

    server.auth.revokeAllTokens();
    server.auth.setDeviceFlow(true, 600, 1);
    env.remove(u"BROWSER"_s); // headless now
    QStringList arguments{server.mcp.url().toString()};
#ifdef Q_OS_WIN
    arguments.prepend(u"--no-browser"_s); // Windows always has a default browser (ShellExecuteW)
#endif
    ProxyProcess proxy;
    QVERIFY(proxy.start(arguments, env));
    proxy.send(Initialize);
    QTRY_VERIFY2_WITH_TIMEOUT(
            !printedUserCode(proxy).isEmpty(), proxy.stderrText().constData(), 20000);
    QVERIFY(server.auth.approveDevice(printedUserCode(proxy)));
    QVERIFY2(proxy.takeResponse(1, 30000).contains(u"result"), proxy.stderrText().constData());
    proxy.send(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
    proxy.send(EchoCall);
    QVERIFY(proxy.takeResponse(2).contains(u"result"));

    QCOMPARE(server.auth.registerCount(), 2);
    QVERIFY(server.auth.registrations()
                    .last()
                    .value(u"grant_types")
                    .toArray()
                    .contains(QJsonValue(DeviceGrantType)));
    QCOMPARE(server.auth.deviceAuthorizationCount(), 2); // refused, then the new client's
    QCOMPARE(server.auth.authorizeCount(), 1); // the first run's browser login only
    QCOMPARE(server.auth.tokenRequests().last().grantType, DeviceGrantType);
    QVERIFY(!proxy.stderrText().contains("ssh -L")); // no browser login offered
    QVERIFY(proxy.stdoutViolations().isEmpty());
}

void tst_ProxyDeviceLogin::deniedOrExpired_data()
{
    QTest::addColumn<bool>("deny");
    QTest::addColumn<int>("expiresIn");
    QTest::addColumn<QString>("message");
    QTest::newRow("denied") << true << 600 << u"the device login was denied"_s;
    QTest::newRow("expired") << false << 3 << u"the device login code expired"_s;
}

void tst_ProxyDeviceLogin::deniedOrExpired()
{
    QFETCH(bool, deny);
    QFETCH(int, expiresIn);
    QFETCH(QString, message);
    GuardedServer server;
    server.auth.setDeviceFlow(true, expiresIn, 1);
    QStringList arguments{server.mcp.url().toString()};
    QProcessEnvironment env;
    chooseDeviceLogin(&arguments, &env);
    ProxyProcess proxy;
    QVERIFY(proxy.start(arguments, env));
    proxy.send(Initialize);
    QTRY_VERIFY_WITH_TIMEOUT(!printedUserCode(proxy).isEmpty(), 20000);
    if (deny)
        QVERIFY(server.auth.denyDevice(printedUserCode(proxy)));
    const QJsonObject response = proxy.takeResponse(1, 30000);
    const QString text = response.value(u"error")[u"message"].toString();
    QVERIFY2(text.contains(u"authorization failed"_s) && text.contains(message),
            qPrintable(text + u'\n' + QString::fromUtf8(proxy.stderrText())));
    QCOMPARE(server.auth.tokenCount(), server.auth.devicePolls().size());
    QCOMPARE(server.auth.issuedAccessTokenCount(), 0);
    QVERIFY(proxy.stdoutViolations().isEmpty());
}

void tst_ProxyDeviceLogin::chosenWithoutServerSupportIsAClearError()
{
    GuardedServer server; // no device_authorization_endpoint
    QStringList arguments{server.mcp.url().toString()};
    QProcessEnvironment env;
    chooseDeviceLogin(&arguments, &env);
    ProxyProcess proxy;
    QVERIFY(proxy.start(arguments, env));
    proxy.send(Initialize);
    const QString text = proxy.takeResponse(1, 30000).value(u"error")[u"message"].toString();
    QVERIFY2(text.contains(u"does not offer the device authorization grant"_s), qPrintable(text));
    QCOMPARE(server.auth.authorizeCount(), 0);
}

void tst_ProxyDeviceLogin::loginSubcommand()
{
    // `login` with the device grant: the code on stderr, the tokens stored before the exit.
    GuardedServer server;
    server.auth.setDeviceFlow(true, 600, 1);
    QTemporaryDir store;
    QVERIFY(store.isValid());
    QStringList arguments{server.mcp.url().toString()};
    QProcessEnvironment env;
    env.insert(u"XDG_CONFIG_HOME"_s, store.path());
    env.insert(u"APPDATA"_s, store.path()); // the store's parent on Windows
    chooseDeviceLogin(&arguments, &env);
    arguments.prepend(u"login"_s);
    ProxyProcess login;
    QVERIFY(login.start(arguments, env));
    QTRY_VERIFY_WITH_TIMEOUT(!printedUserCode(login).isEmpty(), 20000);
    QVERIFY(server.auth.approveDevice(printedUserCode(login)));
    QVERIFY(login.waitForExit(30000));
    QCOMPARE(login.process().exitCode(), 0);
    QVERIFY2(login.stdoutLines().join('\n').contains("Logged in"), login.stderrText().constData());
    QCOMPARE(server.auth.tokenRequests().last().grantType, DeviceGrantType);

    ProxyProcess status;
    QVERIFY(status.start({u"status"_s, server.mcp.url().toString()}, env));
    QVERIFY(status.waitForExit(20000));
    const QByteArray out = status.stdoutLines().join('\n');
    QVERIFY2(out.contains(server.mcp.url().toEncoded()), out.constData());
    QVERIFY(!out.contains(server.auth.latestAccessToken().toUtf8()));
}

QTEST_GUILESS_MAIN(tst_ProxyDeviceLogin)
#include "tst_proxydevicelogin.moc"
