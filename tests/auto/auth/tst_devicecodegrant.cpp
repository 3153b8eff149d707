#include "auth/login/devicecodegrant.h"
#include "auth/protocol/deviceauthorization.h"

#include <QtTest/QTest>

using namespace McpProxy;
using namespace Qt::StringLiterals;

namespace {

const QDateTime T0 = QDateTime(QDate(2026, 7, 28), QTime(12, 0), Qt::UTC);

// A fake device code: it must never appear in a failure detail.
constexpr char DeviceCode[] = "FAKE-DEVICE-CODE-4711";

QByteArray authorizationBody(const QByteArray &extra = {})
{
    QByteArray body = R"({"device_code":"FAKE-DEVICE-CODE-4711","user_code":"WDJB-MJHT",)"
                      R"("verification_uri":"https://as.example/device","expires_in":120)"_ba;
    if (!extra.isEmpty())
        body += ',' + extra;
    return body + '}';
}

QByteArray oauthError(const QByteArray &error, const QByteArray &description = {})
{
    QByteArray body = "{\"error\":\""_ba + error + '"';
    if (!description.isEmpty())
        body += ",\"error_description\":\""_ba + description + '"';
    return body + '}';
}

const QByteArray Tokens = R"({"access_token":"at1","token_type":"Bearer","expires_in":3600,)"
                          R"("refresh_token":"rt1"})"_ba;

QString reasonName(DeviceCodeGrant::FailureReason reason)
{
    using R = DeviceCodeGrant::FailureReason;
    switch (reason) {
    case R::None:
        return u"none"_s;
    case R::Unreachable:
        return u"unreachable"_s;
    case R::Refused:
        return u"refused"_s;
    case R::ClientRefused:
        return u"client_refused"_s;
    case R::Malformed:
        return u"malformed"_s;
    case R::Denied:
        return u"denied"_s;
    case R::Expired:
        return u"expired"_s;
    case R::TokenError:
        return u"token_error"_s;
    }
    return {};
}

// One token endpoint answer: "<status> <body>".
using Replies = QList<QByteArray>;

} // namespace

class tst_DeviceCodeGrant : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parseAuthorization_data();
    void parseAuthorization();
    void run_data();
    void run();
    void answersOutOfTurnAreIgnored();
    void noPollWhenTheLastWaitEndsEarly();
    void safeErrorText_data();
    void safeErrorText();
};

void tst_DeviceCodeGrant::parseAuthorization_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("error"); // empty: parsed
    QTest::addColumn<int>("interval");
    QTest::addColumn<QString>("complete");

    QTest::addRow("minimal, default interval 5")
            << 200 << authorizationBody() << QString() << 5 << QString();
    QTest::addRow("interval and complete URI")
            << 200
            << authorizationBody(
                       R"("interval":7,"verification_uri_complete":"https://as.example/device?user_code=WDJB-MJHT")")
            << QString() << 7 << u"https://as.example/device?user_code=WDJB-MJHT"_s;
    QTest::addRow("numeric string expires_in and interval")
            << 200
            << R"({"device_code":"d","user_code":"U","verification_uri":"https://as.example/d","expires_in":"600","interval":"2"})"_ba
            << QString() << 2 << QString();
    QTest::addRow("interval 0 means the default")
            << 200 << authorizationBody(R"("interval":0)") << QString() << 5 << QString();
    QTest::addRow("fractional interval means the default")
            << 200 << authorizationBody(R"("interval":1.5)") << QString() << 5 << QString();
    QTest::addRow("unusable complete URI is dropped")
            << 200 << authorizationBody(R"x("verification_uri_complete":"javascript:alert(1)")x")
            << QString() << 5 << QString();
    QTest::addRow("error object") << 400 << oauthError("invalid_client", "unknown client")
                                  << u"invalid_client"_s << 0 << QString();
    QTest::addRow("error object with 200") << 200 << oauthError("unauthorized_client")
                                           << u"unauthorized_client"_s << 0 << QString();
    QTest::addRow("not JSON") << 200 << "<html>hi</html>"_ba << u"invalid_response"_s << 0
                              << QString();
    QTest::addRow("500 without JSON")
            << 500 << "oops"_ba << u"invalid_response"_s << 0 << QString();
    QTest::addRow("no device_code")
            << 200
            << R"({"user_code":"U","verification_uri":"https://as.example/d","expires_in":600})"_ba
            << u"invalid_response"_s << 0 << QString();
    QTest::addRow("device_code not a string")
            << 200
            << R"({"device_code":5,"user_code":"U","verification_uri":"https://as.example/d","expires_in":600})"_ba
            << u"invalid_response"_s << 0 << QString();
    QTest::addRow("user_code with an escape sequence")
            << 200
            << R"({"device_code":"d","user_code":"\u001b[2JX","verification_uri":"https://as.example/d","expires_in":600})"_ba
            << u"invalid_response"_s << 0 << QString();
    QTest::addRow("user_code too long")
            << 200
            << (R"({"device_code":"d","user_code":")"_ba + QByteArray(65, 'A')
                       + R"(","verification_uri":"https://as.example/d","expires_in":600})"_ba)
            << u"invalid_response"_s << 0 << QString();
    QTest::addRow("verification_uri relative")
            << 200
            << R"({"device_code":"d","user_code":"U","verification_uri":"/device","expires_in":600})"_ba
            << u"invalid_response"_s << 0 << QString();
    QTest::addRow("verification_uri not http")
            << 200
            << R"({"device_code":"d","user_code":"U","verification_uri":"file:///etc/passwd","expires_in":600})"_ba
            << u"invalid_response"_s << 0 << QString();
    QTest::addRow("verification_uri with a control character")
            << 200
            << R"({"device_code":"d","user_code":"U","verification_uri":"https://as.example/\u0007","expires_in":600})"_ba
            << u"invalid_response"_s << 0 << QString();
    QTest::addRow("no expires_in")
            << 200
            << R"({"device_code":"d","user_code":"U","verification_uri":"https://as.example/d"})"_ba
            << u"invalid_response"_s << 0 << QString();
    QTest::addRow("negative expires_in")
            << 200
            << R"({"device_code":"d","user_code":"U","verification_uri":"https://as.example/d","expires_in":-1})"_ba
            << u"invalid_response"_s << 0 << QString();
}

void tst_DeviceCodeGrant::parseAuthorization()
{
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(QString, error);
    const DeviceAuthorizationResponse response = parseDeviceAuthorizationResponse(status, body);
    if (!error.isEmpty()) {
        QVERIFY(!response.authorization);
        QCOMPARE(response.error.error, error);
        // Never an echo of the codes.
        QVERIFY(!response.error.description.contains(u"FAKE-DEVICE-CODE"_s));
        return;
    }
    QVERIFY2(response.authorization, qPrintable(response.error.toString()));
    QTEST(response.authorization->intervalSeconds, "interval");
    QTEST(response.authorization->verificationUriComplete.toString(), "complete");
    QVERIFY(!response.authorization->deviceCode.isEmpty());
    QVERIFY(response.authorization->expiresInSeconds > 0);
}

void tst_DeviceCodeGrant::run_data()
{
    QTest::addColumn<int>("authStatus");
    QTest::addColumn<QByteArray>("authBody");
    QTest::addColumn<Replies>("replies"); // token endpoint answers, in order
    QTest::addColumn<QList<qint64>>("waits"); // every delay the grant asked for, in ms
    QTest::addColumn<QString>("outcome"); // "succeeded" or the failure reason

    const QByteArray pending = "400 "_ba + oauthError("authorization_pending");
    const QByteArray slowDown = "400 "_ba + oauthError("slow_down");

    QTest::addRow("approved at once") << 200 << authorizationBody() << Replies{"200 "_ba + Tokens}
                                      << QList<qint64>{5000} << u"succeeded"_s;
    QTest::addRow("pending twice, then approved, at the server's interval")
            << 200 << authorizationBody(R"("interval":3)")
            << Replies{pending, pending, "200 "_ba + Tokens} << QList<qint64>{3000, 3000, 3000}
            << u"succeeded"_s;
    QTest::addRow("slow_down adds 5 s each time")
            << 200 << authorizationBody(R"("interval":2)")
            << Replies{slowDown, pending, slowDown, "200 "_ba + Tokens}
            << QList<qint64>{2000, 7000, 7000, 12000} << u"succeeded"_s;
    QTest::addRow("transient failures back off exponentially up to 60 s")
            << 200
            << R"({"device_code":"FAKE-DEVICE-CODE-4711","user_code":"U","verification_uri":"https://as.example/d","expires_in":600,"interval":20})"_ba
            << Replies{"503 "_ba + oauthError("temporarily_unavailable"), "502 bad gateway"_ba,
                       "200 "_ba + Tokens}
            << QList<qint64>{20000, 40000, 60000} << u"succeeded"_s;
    QTest::addRow("access_denied") << 200 << authorizationBody()
                                   << Replies{pending, "400 "_ba + oauthError("access_denied")}
                                   << QList<qint64>{5000, 5000} << u"denied"_s;
    QTest::addRow("expired_token")
            << 200 << authorizationBody() << Replies{"400 "_ba + oauthError("expired_token")}
            << QList<qint64>{5000} << u"expired"_s;
    // expires_in 12, interval 5: polls at 5 and 10 s, the last wait ends at 12 s: expired there
    // without another request.
    QTest::addRow("expires_in passes while pending")
            << 200
            << R"({"device_code":"FAKE-DEVICE-CODE-4711","user_code":"U","verification_uri":"https://as.example/d","expires_in":12})"_ba
            << Replies{pending, pending} << QList<qint64>{5000, 5000, 2000} << u"expired"_s;
    QTest::addRow("slow_down beyond the expiry")
            << 200
            << R"({"device_code":"FAKE-DEVICE-CODE-4711","user_code":"U","verification_uri":"https://as.example/d","expires_in":8,"interval":5})"_ba
            << Replies{slowDown} << QList<qint64>{5000, 3000} << u"expired"_s;
    QTest::addRow("other token error")
            << 200 << authorizationBody()
            << Replies{"400 "_ba
                       + oauthError("invalid_grant", "code FAKE-DEVICE-CODE-4711 unknown")}
            << QList<qint64>{5000} << u"token_error"_s;
    QTest::addRow("token endpoint garbage")
            << 200 << authorizationBody() << Replies{"200 <html>"_ba} << QList<qint64>{5000}
            << u"token_error"_s;
    QTest::addRow("device endpoint unreachable")
            << 0 << QByteArray() << Replies{} << QList<qint64>{} << u"unreachable"_s;
    // A client the endpoint does not know, or one registered without the device grant (a
    // registration made before the server offered it): the caller may register anew.
    QTest::addRow("device endpoint refuses the client: invalid_client")
            << 401 << oauthError("invalid_client") << Replies{} << QList<qint64>{}
            << u"client_refused"_s;
    QTest::addRow("device endpoint refuses the client: unauthorized_client")
            << 400 << oauthError("unauthorized_client", "grant type not registered") << Replies{}
            << QList<qint64>{} << u"client_refused"_s;
    QTest::addRow("device endpoint refuses the request")
            << 400 << oauthError("invalid_scope") << Replies{} << QList<qint64>{} << u"refused"_s;
    QTest::addRow("device endpoint malformed")
            << 200 << R"({"device_code":"FAKE-DEVICE-CODE-4711"})"_ba << Replies{}
            << QList<qint64>{} << u"malformed"_s;
}

void tst_DeviceCodeGrant::run()
{
    QFETCH(int, authStatus);
    QFETCH(QByteArray, authBody);
    QFETCH(Replies, replies);
    QFETCH(QList<qint64>, waits);
    QFETCH(QString, outcome);

    using Kind = DeviceCodeGrant::Action::Kind;
    DeviceCodeGrant grant;
    QCOMPARE(grant.start().kind, Kind::RequestAuthorization);
    QDateTime now = T0;
    DeviceCodeGrant::Action action = grant.authorizationAnswered(authStatus, authBody, now);
    QList<qint64> seen;
    if (action.kind == Kind::CodeReady) {
        QCOMPARE(grant.authorization().deviceCode, QString::fromLatin1(DeviceCode));
        seen.append(action.delayMs);
        now = now.addMSecs(action.delayMs);
        action = grant.pollDue(now);
        qsizetype next = 0;
        while (action.kind == Kind::Poll) {
            QVERIFY2(next < replies.size(), "the grant polled more often than expected");
            const QByteArray &reply = replies.at(next++);
            const qsizetype space = reply.indexOf(' ');
            action = grant.tokenAnswered(reply.left(space).toInt(), reply.mid(space + 1), now);
            if (action.kind != Kind::Wait)
                break;
            seen.append(action.delayMs);
            now = now.addMSecs(action.delayMs);
            action = grant.pollDue(now);
        }
        QCOMPARE(next, replies.size());
    }
    QCOMPARE(seen, waits);
    if (outcome == u"succeeded"_s) {
        QCOMPARE(action.kind, Kind::Succeeded);
        QVERIFY(action.tokens);
        QCOMPARE(action.tokens->accessToken, u"at1"_s);
        QCOMPARE(grant.state(), DeviceCodeGrant::State::Succeeded);
        return;
    }
    QCOMPARE(action.kind, Kind::Failed);
    QCOMPARE(reasonName(action.reason), outcome);
    QCOMPARE(grant.state(), DeviceCodeGrant::State::Failed);
    QVERIFY(!action.detail.isEmpty());
    QVERIFY2(!action.detail.contains(QLatin1String(DeviceCode)), qPrintable(action.detail));
    // Nothing more happens after the end.
    QCOMPARE(grant.pollDue(now.addSecs(60)).kind, Kind::None);
}

void tst_DeviceCodeGrant::answersOutOfTurnAreIgnored()
{
    using Kind = DeviceCodeGrant::Action::Kind;
    DeviceCodeGrant grant;
    // Nothing before start().
    QCOMPARE(grant.pollDue(T0).kind, Kind::None);
    QCOMPARE(grant.tokenAnswered(200, Tokens, T0).kind, Kind::None);
    grant.start();
    QCOMPARE(grant.tokenAnswered(200, Tokens, T0).kind, Kind::None);
    QCOMPARE(grant.authorizationAnswered(200, authorizationBody(), T0).kind, Kind::CodeReady);
    // A second device authorization answer, or a token answer while waiting, changes nothing.
    QCOMPARE(grant.authorizationAnswered(200, authorizationBody(), T0).kind, Kind::None);
    QCOMPARE(grant.tokenAnswered(200, Tokens, T0).kind, Kind::None);
    QCOMPARE(grant.state(), DeviceCodeGrant::State::Waiting);
    // start() again begins a new login from scratch.
    QCOMPARE(grant.start().kind, Kind::RequestAuthorization);
    QCOMPARE(grant.intervalSeconds(), DeviceCodeGrant::DefaultIntervalSeconds);
}

void tst_DeviceCodeGrant::noPollWhenTheLastWaitEndsEarly()
{
    // expires_in 12, interval 5: the third wait (2 s) reaches the expiry; a timer firing 5 ms
    // early must end the login rather than poll with a code the server counts as expired.
    using Kind = DeviceCodeGrant::Action::Kind;
    DeviceCodeGrant grant;
    grant.start();
    QDateTime now = T0;
    DeviceCodeGrant::Action action = grant.authorizationAnswered(200,
            R"({"device_code":"d","user_code":"U","verification_uri":"https://as.example/d","expires_in":12})"_ba,
            now);
    for (int i = 0; i < 2; ++i) {
        now = now.addMSecs(action.delayMs);
        QCOMPARE(grant.pollDue(now).kind, Kind::Poll);
        action = grant.tokenAnswered(400, "{\"error\":\"authorization_pending\"}"_ba, now);
        QCOMPARE(action.kind, Kind::Wait);
    }
    QCOMPARE(action.delayMs, 2000);
    action = grant.pollDue(now.addMSecs(action.delayMs - 5));
    QCOMPARE(action.kind, Kind::Failed);
    QCOMPARE(action.reason, DeviceCodeGrant::FailureReason::Expired);
}

void tst_DeviceCodeGrant::safeErrorText_data()
{
    QTest::addColumn<QString>("error");
    QTest::addColumn<QString>("description");
    QTest::addColumn<QString>("expected");

    QTest::addRow("code and description") << u"invalid_grant"_s << u"no such code"_s
                                          << u"invalid_grant: no such code (HTTP 400)"_s;
    QTest::addRow("the device code in the description is removed")
            << u"invalid_grant"_s << u"code FAKE-DEVICE-CODE-4711 is unknown"_s
            << u"invalid_grant: code [redacted] is unknown (HTTP 400)"_s;
    QTest::addRow("an error that is not an RFC 6749 code is not echoed")
            << u"FAKE-DEVICE-CODE-4711 \"quoted\""_s << QString()
            << u"invalid_error_code (HTTP 400)"_s;
    QTest::addRow("an over-long error is not echoed")
            << QString(65, u'x') << QString() << u"invalid_error_code (HTTP 400)"_s;
    QTest::addRow("non-ASCII error is not echoed")
            << u"ошибка"_s << QString() << u"invalid_error_code (HTTP 400)"_s;
}

void tst_DeviceCodeGrant::safeErrorText()
{
    QFETCH(QString, error);
    QFETCH(QString, description);
    OAuthError oauth;
    oauth.error = error;
    oauth.description = description;
    oauth.httpStatus = 400;
    QTEST(DeviceCodeGrant::safeErrorText(oauth, QString::fromLatin1(DeviceCode)), "expected");
}

QTEST_GUILESS_MAIN(tst_DeviceCodeGrant)
#include "tst_devicecodegrant.moc"
