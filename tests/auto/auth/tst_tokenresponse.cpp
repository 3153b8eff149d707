#include "auth/protocol/tokenresponse.h"

#include <QtTest/QTest>

using namespace McpProxy;
using namespace Qt::StringLiterals;

namespace {

const QDateTime Now = QDateTime(QDate(2025, 11, 25), QTime(12, 0), Qt::UTC);

// A fake credential that must never show up in any error text.
constexpr char FakeSecret[] = "FAKE-SECRET-4711";

} // namespace

class tst_TokenResponse : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void success_data();
    void success();
    void expiresInLocalTime();
    void errors_data();
    void errors();
    void longBodyIsBounded();
    void toString_data();
    void toString();
    void isTransient_data();
    void isTransient();
    void authorizationHeader_data();
    void authorizationHeader();
};

void tst_TokenResponse::success_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("accessToken");
    QTest::addColumn<QString>("tokenType");
    QTest::addColumn<qint64>("expiresIn"); // -1: expiresAt must be invalid
    QTest::addColumn<QString>("refreshToken");
    QTest::addColumn<QString>("scope");
    QTest::addColumn<QString>("idToken");

    QTest::newRow("rfc 6749 §5.1 example with a bearer type")
            << 200
            << R"({"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"bearer","expires_in":3600,
                  "refresh_token":"tGzv3JOkF0XG5Qx2TlKWIA","example_parameter":"example_value"})"_ba
            << u"2YotnFZFEjr1zCsicMWpAA"_s << u"Bearer"_s << qint64(3600)
            << u"tGzv3JOkF0XG5Qx2TlKWIA"_s << QString() << QString();
    QTest::newRow("b64token: every allowed character and padding")
            << 200 << R"({"access_token":"aZ09-._~+/==","token_type":"Bearer"})"_ba
            << u"aZ09-._~+/=="_s << u"Bearer"_s << qint64(-1) << QString() << QString()
            << QString();
    QTest::newRow("a JWT")
            << 200 << R"({"access_token":"eyJhbGciOiJFUzI1NiJ9.e30.c2ln","token_type":"Bearer"})"_ba
            << u"eyJhbGciOiJFUzI1NiJ9.e30.c2ln"_s << u"Bearer"_s << qint64(-1) << QString()
            << QString() << QString();
    QTest::newRow("lower-case bearer")
            << 200 << R"({"access_token":"a","token_type":"bearer"})"_ba << u"a"_s << u"Bearer"_s
            << qint64(-1) << QString() << QString() << QString();
    QTest::newRow("upper-case bearer")
            << 200 << R"({"access_token":"a","token_type":"BEARER"})"_ba << u"a"_s << u"Bearer"_s
            << qint64(-1) << QString() << QString() << QString();
    QTest::newRow("missing token_type")
            << 200 << R"({"access_token":"a"})"_ba << u"a"_s << u"Bearer"_s << qint64(-1)
            << QString() << QString() << QString();
    QTest::newRow("all members")
            << 200
            << R"({"access_token":"at","token_type":"Bearer","expires_in":60,"refresh_token":"rt",
                  "scope":"files:read offline_access","id_token":"e30.e30.sig"})"_ba
            << u"at"_s << u"Bearer"_s << qint64(60) << u"rt"_s << u"files:read offline_access"_s
            << u"e30.e30.sig"_s;
    QTest::newRow("201 is a success")
            << 201 << R"({"access_token":"a","expires_in":1})"_ba << u"a"_s << u"Bearer"_s
            << qint64(1) << QString() << QString() << QString();
    QTest::newRow("expires_in as a string")
            << 200 << R"({"access_token":"a","expires_in":"3600"})"_ba << u"a"_s << u"Bearer"_s
            << qint64(3600) << QString() << QString() << QString();
    QTest::newRow("expires_in with a fraction")
            << 200 << R"({"access_token":"a","expires_in":59.9})"_ba << u"a"_s << u"Bearer"_s
            << qint64(59) << QString() << QString() << QString();
    QTest::newRow("expires_in zero")
            << 200 << R"({"access_token":"a","expires_in":0})"_ba << u"a"_s << u"Bearer"_s
            << qint64(0) << QString() << QString() << QString();
    QTest::newRow("expires_in not numeric")
            << 200 << R"({"access_token":"a","expires_in":"soon"})"_ba << u"a"_s << u"Bearer"_s
            << qint64(-1) << QString() << QString() << QString();
    QTest::newRow("expires_in negative")
            << 200 << R"({"access_token":"a","expires_in":-5})"_ba << u"a"_s << u"Bearer"_s
            << qint64(-1) << QString() << QString() << QString();
    QTest::newRow("expires_in huge")
            << 200 << R"({"access_token":"a","expires_in":1e300})"_ba << u"a"_s << u"Bearer"_s
            << qint64(-1) << QString() << QString() << QString();
    QTest::newRow("expires_in null")
            << 200 << R"({"access_token":"a","expires_in":null})"_ba << u"a"_s << u"Bearer"_s
            << qint64(-1) << QString() << QString() << QString();
    QTest::newRow("expires_in boolean")
            << 200 << R"({"access_token":"a","expires_in":true})"_ba << u"a"_s << u"Bearer"_s
            << qint64(-1) << QString() << QString() << QString();
    QTest::newRow("wrongly typed optional members are ignored")
            << 200 << R"({"access_token":"a","refresh_token":7,"scope":["x"],"token_type":1})"_ba
            << u"a"_s << u"Bearer"_s << qint64(-1) << QString() << QString() << QString();
}

void tst_TokenResponse::success()
{
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(QString, accessToken);
    QFETCH(QString, tokenType);
    QFETCH(qint64, expiresIn);
    QFETCH(QString, refreshToken);
    QFETCH(QString, scope);
    QFETCH(QString, idToken);

    const TokenResponse response = parseTokenResponse(status, body, Now);
    QVERIFY2(response.tokens, qPrintable(response.error.toString()));
    const TokenSet &tokens = *response.tokens;
    QVERIFY(tokens.isValid());
    QCOMPARE(tokens.accessToken, accessToken);
    QCOMPARE(tokens.tokenType, tokenType);
    if (expiresIn < 0) {
        QVERIFY(!tokens.expiresAt.isValid());
    } else {
        QCOMPARE(tokens.expiresAt, Now.addSecs(expiresIn));
        QCOMPARE(tokens.expiresAt.timeSpec(), Qt::UTC);
    }
    QCOMPARE(tokens.refreshToken, refreshToken);
    QCOMPARE(tokens.scope, scope);
    QCOMPARE(tokens.idToken, idToken);
}

void tst_TokenResponse::expiresInLocalTime()
{
    const QDateTime local = Now.toLocalTime();
    const TokenResponse response =
            parseTokenResponse(200, R"({"access_token":"a","expires_in":10})"_ba, local);
    QVERIFY(response.tokens);
    QCOMPARE(response.tokens->expiresAt.timeSpec(), Qt::UTC);
    QCOMPARE(response.tokens->expiresAt, Now.addSecs(10));
}

void tst_TokenResponse::errors_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("error");
    QTest::addColumn<QString>("descriptionPart");
    QTest::addColumn<QString>("uri");
    QTest::addColumn<bool>("transient");

    QTest::newRow("rfc 6749 §5.2 example")
            << 400 << R"({"error":"invalid_request"})"_ba << u"invalid_request"_s << QString()
            << QString() << false;
    QTest::newRow("invalid_grant with description and uri")
            << 400 << R"({"error":"invalid_grant","error_description":"The refresh token expired",
                  "error_uri":"https://as.example/errors#grant"})"_ba
            << u"invalid_grant"_s << u"The refresh token expired"_s
            << u"https://as.example/errors#grant"_s << false;
    QTest::newRow("invalid_client on 401")
            << 401 << R"({"error":"invalid_client"})"_ba << u"invalid_client"_s << QString()
            << QString() << false;
    QTest::newRow("temporarily_unavailable on 400")
            << 400 << R"({"error":"temporarily_unavailable"})"_ba << u"temporarily_unavailable"_s
            << QString() << QString() << true;
    QTest::newRow("error object on 200")
            << 200 << R"({"error":"bad_verification_code","error_description":"expired"})"_ba
            << u"bad_verification_code"_s << u"expired"_s << QString() << false;
    QTest::newRow("200 without access_token")
            << 200 << R"({"token_type":"Bearer"})"_ba << u"invalid_response"_s << u"access_token"_s
            << QString() << false;
    QTest::newRow("200 with empty access_token")
            << 200 << R"({"access_token":""})"_ba << u"invalid_response"_s << u"access_token"_s
            << QString() << false;
    QTest::newRow("200 with numeric access_token")
            << 200 << R"({"access_token":12345})"_ba << u"invalid_response"_s << u"access_token"_s
            << QString() << false;
    QTest::newRow("access_token on 400 is not a success")
            << 400 << R"({"access_token":"a"})"_ba << u"invalid_response"_s << u"\"error\""_s
            << QString() << false;
    QTest::newRow("empty error member") << 400 << R"({"error":""})"_ba << u"invalid_response"_s
                                        << u"\"error\""_s << QString() << false;
    QTest::newRow("blank error member") << 400 << R"({"error":" \n\t"})"_ba << u"invalid_response"_s
                                        << u"\"error\""_s << QString() << false;
    QTest::newRow("html 503") << 503 << "<html><body>Service Unavailable</body></html>"_ba
                              << u"invalid_response"_s << u"Service Unavailable"_s << QString()
                              << true;
    QTest::newRow("json error on 500") << 500 << R"({"error":"server_error"})"_ba
                                       << u"server_error"_s << QString() << QString() << true;
    QTest::newRow("429 rate limited") << 429 << "slow down"_ba << u"invalid_response"_s
                                      << u"slow down"_s << QString() << true;
    QTest::newRow("non-json 2xx") << 200 << "ok"_ba << u"invalid_response"_s << u"ok"_s << QString()
                                  << false;
    QTest::newRow("json array") << 200 << R"([{"access_token":"a"}])"_ba << u"invalid_response"_s
                                << u"JSON object"_s << QString() << false;
    QTest::newRow("empty body") << 200 << QByteArray() << u"invalid_response"_s << u"empty body"_s
                                << QString() << false;
    QTest::newRow("form-encoded token response is withheld")
            << 200 << "access_token=" + QByteArray(FakeSecret) + "&token_type=bearer&scope=repo"
            << u"invalid_response"_s << u"withheld"_s << QString() << false;
    QTest::newRow("truncated json") << 200 << R"({"access_token":"a")"_ba << u"invalid_response"_s
                                    << u"JSON object"_s << QString() << false;
    // RFC 6750 section 2.1 / RFC 9110 section 5.5: the token must fit "Authorization: Bearer
    // <b64token>".
    QTest::newRow("token with CR LF")
            << 200 << R"({"access_token":"abc\r\nX-Injected: 1","token_type":"Bearer"})"_ba
            << u"invalid_response"_s << u"RFC 6750"_s << QString() << false;
    QTest::newRow("token with a space")
            << 200 << R"({"access_token":"abc def"})"_ba << u"invalid_response"_s << u"RFC 6750"_s
            << QString() << false;
    QTest::newRow("non-Latin-1 token")
            << 200 << R"({"access_token":"abc\u4e2d\u6587"})"_ba << u"invalid_response"_s
            << u"RFC 6750"_s << QString() << false;
    QTest::newRow("Latin-1 but not ASCII token")
            << 200 << R"({"access_token":"caf\u00e9"})"_ba << u"invalid_response"_s << u"RFC 6750"_s
            << QString() << false;
    QTest::newRow("token with a NUL")
            << 200 << R"({"access_token":"abc\u0000def"})"_ba << u"invalid_response"_s
            << u"RFC 6750"_s << QString() << false;
    QTest::newRow("padding inside the token")
            << 200 << R"({"access_token":"ab=cd"})"_ba << u"invalid_response"_s << u"RFC 6750"_s
            << QString() << false;
    QTest::newRow("only padding") << 200 << R"({"access_token":"=="})"_ba << u"invalid_response"_s
                                  << u"RFC 6750"_s << QString() << false;
    QTest::newRow("token_type mac")
            << 200 << R"({"access_token":"abc","token_type":"mac"})"_ba << u"invalid_response"_s
            << u"\"mac\"; only Bearer"_s << QString() << false;
    QTest::newRow("token_type DPoP")
            << 200 << R"({"access_token":"abc","token_type":"DPoP"})"_ba << u"invalid_response"_s
            << u"only Bearer"_s << QString() << false;
    QTest::newRow("token_type with CR LF is not echoed")
            << 200 << R"({"access_token":"abc","token_type":"Bearer\r\nX: 1"})"_ba
            << u"invalid_response"_s << u"(unprintable)"_s << QString() << false;
    QTest::newRow("multi-line body becomes one line")
            << 502 << "Bad\r\nGateway\n"_ba << u"invalid_response"_s << u"Bad Gateway"_s
            << QString() << true;
}

void tst_TokenResponse::errors()
{
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(QString, error);
    QFETCH(QString, descriptionPart);
    QFETCH(QString, uri);
    QFETCH(bool, transient);

    const TokenResponse response = parseTokenResponse(status, body, Now);
    QVERIFY(!response.tokens);
    QCOMPARE(response.error.error, error);
    QVERIFY2(response.error.description.contains(descriptionPart),
            qPrintable(response.error.description));
    QCOMPARE(response.error.uri, uri);
    QCOMPARE(response.error.httpStatus, status);
    QCOMPARE(response.error.isTransient(), transient);
    const QString text = response.error.toString();
    QVERIFY(!text.contains(QLatin1String(FakeSecret)));
    QVERIFY(!text.contains(u'\n') && !text.contains(u'\r'));
}

void tst_TokenResponse::longBodyIsBounded()
{
    const QByteArray body = QByteArray("x").repeated(5000);
    const TokenResponse response = parseTokenResponse(500, body, Now);
    QCOMPARE(response.error.error, u"invalid_response"_s);
    QVERIFY2(response.error.description.size() < 300, qPrintable(response.error.description));
    QVERIFY(response.error.description.contains(QString(u"x"_s).repeated(200)));
    QVERIFY(!response.error.description.contains(QString(u"x"_s).repeated(201)));
}

void tst_TokenResponse::toString_data()
{
    QTest::addColumn<QString>("error");
    QTest::addColumn<QString>("description");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("expected");

    QTest::newRow("full") << u"invalid_grant"_s << u"The refresh token expired"_s << 400
                          << u"invalid_grant: The refresh token expired (HTTP 400)"_s;
    QTest::newRow("no description")
            << u"invalid_client"_s << QString() << 401 << u"invalid_client (HTTP 401)"_s;
    QTest::newRow("no status") << u"network_error"_s << u"Connection refused"_s << 0
                               << u"network_error: Connection refused"_s;
    QTest::newRow("nothing") << QString() << QString() << 0 << u"unknown_error"_s;
}

void tst_TokenResponse::toString()
{
    QFETCH(QString, error);
    QFETCH(QString, description);
    QFETCH(int, status);
    QFETCH(QString, expected);

    OAuthError oauthError;
    oauthError.error = error;
    oauthError.description = description;
    oauthError.httpStatus = status;
    QCOMPARE(oauthError.toString(), expected);
}

void tst_TokenResponse::isTransient_data()
{
    QTest::addColumn<QString>("error");
    QTest::addColumn<int>("status");
    QTest::addColumn<bool>("transient");

    QTest::newRow("network_error") << u"network_error"_s << 0 << true;
    QTest::newRow("timeout") << u"timeout"_s << 0 << true;
    QTest::newRow("temporarily_unavailable") << u"temporarily_unavailable"_s << 400 << true;
    QTest::newRow("500") << u"invalid_response"_s << 500 << true;
    QTest::newRow("504") << u"invalid_response"_s << 504 << true;
    QTest::newRow("429") << u"invalid_response"_s << 429 << true;
    QTest::newRow("invalid_grant") << u"invalid_grant"_s << 400 << false;
    QTest::newRow("invalid_client") << u"invalid_client"_s << 401 << false;
    QTest::newRow("invalid_response on 200") << u"invalid_response"_s << 200 << false;
}

void tst_TokenResponse::isTransient()
{
    QFETCH(QString, error);
    QFETCH(int, status);
    QFETCH(bool, transient);

    OAuthError oauthError;
    oauthError.error = error;
    oauthError.httpStatus = status;
    QCOMPARE(oauthError.isTransient(), transient);
}

void tst_TokenResponse::authorizationHeader_data()
{
    QTest::addColumn<QString>("tokenType");
    QTest::addColumn<QByteArray>("expected");

    QTest::addColumn<QString>("accessToken");

    QTest::newRow("bearer") << u"Bearer"_s << "Bearer abc.def"_ba << u"abc.def"_s;
    QTest::newRow("lower-case bearer") << u"bearer"_s << "Bearer abc.def"_ba << u"abc.def"_s;
    QTest::newRow("empty type") << QString() << "Bearer abc.def"_ba << u"abc.def"_s;
    // Tokens from the store never went through parseTokenResponse() of this version.
    QTest::newRow("dpop: no header") << u"DPoP"_s << QByteArray() << u"abc.def"_s;
    QTest::newRow("mac: no header") << u"mac"_s << QByteArray() << u"abc.def"_s;
    QTest::newRow("CR LF in the token: no header")
            << u"Bearer"_s << QByteArray() << u"abc\r\nX-Injected: 1"_s;
    QTest::newRow("non-Latin-1 token: no header") << u"Bearer"_s << QByteArray() << u"abc\u4e2d"_s;
    QTest::newRow("empty token: no header") << u"Bearer"_s << QByteArray() << QString();
}

void tst_TokenResponse::authorizationHeader()
{
    QFETCH(QString, tokenType);
    QFETCH(QByteArray, expected);
    QFETCH(QString, accessToken);

    TokenSet tokens;
    tokens.accessToken = accessToken;
    tokens.tokenType = tokenType;
    QCOMPARE(tokens.authorizationHeader(), expected);
}

QTEST_APPLESS_MAIN(tst_TokenResponse)
#include "tst_tokenresponse.moc"
