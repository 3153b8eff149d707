#include "logging/redactor.h"

#include <QtTest/QtTest>

using namespace Qt::StringLiterals;
using McpProxy::Redactor;

class tst_Redactor : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void patterns_data();
    void patterns();
    void parameterNames_data();
    void parameterNames();
    void registeredSecrets();
    void shortSecretsIgnored();
    void idempotent_data();
    void idempotent();
    void benchmark();
};

// Rows hold only fake credentials; expectations are compared whole, so a failure shows text
// that contains no real secret.
void tst_Redactor::patterns_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("expected");

    const QString R = Redactor::Mask;

    // Header lines.
    QTest::addRow("authorization header")
            << u"Authorization: Bearer abc.def-ghi"_s << u"Authorization: "_s + R;
    QTest::addRow("authorization lower case")
            << u"authorization:Basic dXNlcjpwYXNz"_s << u"authorization:"_s + R;
    QTest::addRow("proxy-authorization")
            << u"Proxy-Authorization: Basic Zm9vOmJhcg=="_s << u"Proxy-Authorization: "_s + R;
    QTest::addRow("cookie") << u"Cookie: sid=abc; theme=dark"_s << u"Cookie: "_s + R;
    QTest::addRow("set-cookie") << u"Set-Cookie: sid=abc; HttpOnly; Secure"_s
                                << u"Set-Cookie: "_s + R;
    QTest::addRow("header in a multi-line dump")
            << u"POST /mcp\r\nAuthorization: Bearer tok-1\r\nAccept: text/event-stream\r\n"_s
            << u"POST /mcp\r\nAuthorization: "_s + R + u"\r\nAccept: text/event-stream\r\n"_s;
    QTest::addRow("header with spaces before the colon")
            << u"Authorization  : Bearer x1"_s << u"Authorization  : "_s + R;
    QTest::addRow("empty header value") << u"Authorization:"_s << u"Authorization:"_s;

    // Credentials (RFC 6750 / RFC 7617).
    QTest::addRow("bearer in text")
            << u"retrying with Bearer tok-2 now"_s << u"retrying with Bearer "_s + R + u" now"_s;
    QTest::addRow("bearer lower case") << u"bearer eyJhbGciOi.eyJzdWIi.sig_-"_s << u"bearer "_s + R;
    QTest::addRow("bearer padded") << u"(Bearer abc+/def==)"_s << u"(Bearer "_s + R + u")"_s;
    QTest::addRow("basic") << u"auth Basic dXNlcjpwYXNz= used"_s
                           << u"auth Basic "_s + R + u" used"_s;
    QTest::addRow("bearer in a QDebug pair") << u"(\"authorization\", \"Bearer tok-3\")"_s
                                             << u"(\"authorization\", \"Bearer "_s + R + u"\")"_s;
    QTest::addRow("padded basic before a quote")
            << u"(\"Authorization\", \"Basic Zm9vOmJhcg==\")"_s
            << u"(\"Authorization\", \"Basic "_s + R + u"\")"_s;
    QTest::addRow("padded bearer at the end") << u"Bearer abcdefg="_s << u"Bearer "_s + R;
    QTest::addRow("bearer at the end") << u"scheme Bearer"_s << u"scheme Bearer"_s;
    QTest::addRow("www-authenticate realm")
            << u"WWW-Authenticate: Bearer realm=\"mcp\", error=\"invalid_token\""_s
            << u"WWW-Authenticate: Bearer realm=\"mcp\", error=\"invalid_token\""_s;
    QTest::addRow("www-authenticate token auth-param")
            << u"challenge: Bearer error=invalid_token, scope=\"a b\""_s
            << u"challenge: Bearer error=invalid_token, scope=\"a b\""_s;
    QTest::addRow("www-authenticate resource_metadata")
            << u"Bearer resource_metadata=\"https://h/.well-known/oauth-protected-resource\""_s
            << u"Bearer resource_metadata=\"https://h/.well-known/oauth-protected-resource\""_s;
    QTest::addRow("token_type bearer in JSON")
            << u"{\"token_type\":\"Bearer\",\"expires_in\":3600}"_s
            << u"{\"token_type\":\"Bearer\",\"expires_in\":3600}"_s;
    QTest::addRow("word containing bearer") << u"Forbearer x"_s << u"Forbearer x"_s;

    // Query and form parameters.
    QTest::addRow("code in a callback query")
            << u"GET /callback?code=abc123&state=xyz HTTP/1.1"_s
            << u"GET /callback?code="_s + R + u"&state=xyz HTTP/1.1"_s;
    QTest::addRow("refresh form") << u"grant_type=refresh_token&refresh_token=r1&client_id=cid"_s
                                  << u"grant_type=refresh_token&refresh_token="_s + R
                    + u"&client_id=cid"_s;
    QTest::addRow("client credentials form")
            << u"grant_type=client_credentials&scope=s1+s2&client_id=cid&client_secret=sec%2Fx"_s
            << u"grant_type=client_credentials&scope=s1+s2&client_id=cid&client_secret="_s + R;
    QTest::addRow("code exchange form")
            << u"grant_type=authorization_code&code=THECODE&redirect_uri=http%3A%2F%2F127.0.0.1"
               "%3A1%2Fcallback&code_verifier=v3rifier"_s
            << u"grant_type=authorization_code&code="_s + R
                    + u"&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcallback&code_verifier="_s + R;
    QTest::addRow("value ends at a quote")
            << u"body 'password=hunter22' sent"_s << u"body 'password="_s + R + u"' sent"_s;
    QTest::addRow("value ends at whitespace") << u"token=abc def"_s << u"token="_s + R + u" def"_s;
    QTest::addRow("value with padding")
            << u"assertion=eyJ.eyJ.sig==&x=1"_s << u"assertion="_s + R + u"&x=1"_s;
    QTest::addRow("empty value") << u"code=&state=1"_s << u"code=&state=1"_s;
    QTest::addRow("error_code is not code")
            << u"error_code=E42&error=x"_s << u"error_code=E42&error=x"_s;
    QTest::addRow("code_challenge is not code")
            << u"code_challenge=abcDEF&code_challenge_method=S256"_s
            << u"code_challenge=abcDEF&code_challenge_method=S256"_s;
    QTest::addRow("codes is not code") << u"codes=5 mycode=7"_s << u"codes=5 mycode=7"_s;
    QTest::addRow("tokens is not token") << u"tokens=5 maxtoken=3 token_type=Bearer"_s
                                         << u"tokens=5 maxtoken=3 token_type=Bearer"_s;
    QTest::addRow("numeric code stays")
            << u"exit code=-32000 status code=401"_s << u"exit code=-32000 status code=401"_s;
    QTest::addRow("long numeric code is masked") << u"code=12345678901"_s << u"code="_s + R;

    // JSON members.
    QTest::addRow("json access_token")
            << u"{\"access_token\":\"at-1\",\"expires_in\":3600}"_s
            << u"{\"access_token\":\""_s + R + u"\",\"expires_in\":3600}"_s;
    QTest::addRow("json with spaces") << u"{ \"refresh_token\" : \"rt-1\" }"_s
                                      << u"{ \"refresh_token\" : \""_s + R + u"\" }"_s;
    QTest::addRow("json with newlines") << u"{\n  \"id_token\":\n  \"a.b.c\"\n}"_s
                                        << u"{\n  \"id_token\":\n  \""_s + R + u"\"\n}"_s;
    QTest::addRow("json escaped quote in the value")
            << u"{\"password\":\"a\\\"b\\\\\",\"x\":1}"_s
            << u"{\"password\":\""_s + R + u"\",\"x\":1}"_s;
    QTest::addRow("json string code") << u"{\"code\":\"AC-1\",\"state\":\"s\"}"_s
                                      << u"{\"code\":\""_s + R + u"\",\"state\":\"s\"}"_s;
    QTest::addRow("json-rpc numeric code stays")
            << u"{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32000,\"message\":\"x\"}}"_s
            << u"{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32000,\"message\":\"x\"}}"_s;
    QTest::addRow("json error_code stays") << u"{\"error_code\":\"E1\",\"errorcode\":\"E2\"}"_s
                                           << u"{\"error_code\":\"E1\",\"errorcode\":\"E2\"}"_s;
    QTest::addRow("json progressToken stays") << u"{\"_meta\":{\"progressToken\":\"p-1\"}}"_s
                                              << u"{\"_meta\":{\"progressToken\":\"p-1\"}}"_s;
    QTest::addRow("json token_endpoint stays")
            << u"{\"token_endpoint\":\"https://h/token\",\"authorization_endpoint\":\"https://h/a\"}"_s
            << u"{\"token_endpoint\":\"https://h/token\",\"authorization_endpoint\":\"https://h/a\"}"_s;
    QTest::addRow("json value mentions a key")
            << u"{\"text\":\"the token\",\"token\":\"t-1\"}"_s
            << u"{\"text\":\"the token\",\"token\":\""_s + R + u"\"}"_s;
    QTest::addRow("json empty value")
            << u"{\"client_secret\":\"\"}"_s << u"{\"client_secret\":\"\"}"_s;
    QTest::addRow("json null value")
            << u"{\"refresh_token\":null}"_s << u"{\"refresh_token\":null}"_s;
    QTest::addRow("json authorization member")
            << u"{\"headers\":{\"Authorization\":\"Bearer t-9\"}}"_s
            << u"{\"headers\":{\"Authorization\":\""_s + R + u"\"}}"_s;
    QTest::addRow("json cookie member")
            << u"{\"set-cookie\":\"sid=1\"}"_s << u"{\"set-cookie\":\""_s + R + u"\"}"_s;
    QTest::addRow("json escaped inside a string")
            << u"{\"text\":\"{\\\"access_token\\\":\\\"at-2\\\",\\\"n\\\":1}\"}"_s
            << u"{\"text\":\"{\\\"access_token\\\":\\\""_s + R + u"\\\",\\\"n\\\":1}\"}"_s;
    QTest::addRow("json escaped with an inner quote")
            << u"{\"t\":\"{\\\"password\\\":\\\"a\\\\\\\"b\\\"}\"}"_s
            << u"{\"t\":\"{\\\"password\\\":\\\""_s + R + u"\\\"}\"}"_s;
    QTest::addRow("json truncated value")
            << u"{\"access_token\":\"abcdef"_s << u"{\"access_token\":\""_s + R;
    QTest::addRow("json two secrets")
            << u"{\"access_token\":\"a1\",\"refresh_token\":\"r1\"}"_s
            << u"{\"access_token\":\""_s + R + u"\",\"refresh_token\":\""_s + R + u"\"}"_s;

    // Nothing to do.
    QTest::addRow("plain text") << u"connected to https://mcp.example.com/mcp (200)"_s
                                << u"connected to https://mcp.example.com/mcp (200)"_s;
    QTest::addRow("empty") << QString() << QString();
    QTest::addRow("authorization words")
            << u"Authorization header missing; authorization_code grant"_s
            << u"Authorization header missing; authorization_code grant"_s;
}

void tst_Redactor::patterns()
{
    QFETCH(QString, input);
    QFETCH(QString, expected);
    QCOMPARE(Redactor().redact(input), expected);
}

void tst_Redactor::parameterNames_data()
{
    QTest::addColumn<QString>("name");
    for (const QString &name : {u"access_token"_s, u"refresh_token"_s, u"id_token"_s,
                 u"client_secret"_s, u"code"_s, u"code_verifier"_s, u"client_assertion"_s,
                 u"assertion"_s, u"password"_s, u"token"_s, u"subject_token"_s, u"ACCESS_TOKEN"_s})
        QTest::addRow("%s", qPrintable(name)) << name;
}

void tst_Redactor::parameterNames()
{
    QFETCH(QString, name);
    const QString secret = u"s3cr3t-Value_1"_s;
    const Redactor redactor;
    for (const QString &text : {u"a=1&%1=%2&b=2"_s.arg(name, secret), u"?%1=%2"_s.arg(name, secret),
                 u"%1=%2"_s.arg(name, secret), u"{\"%1\":\"%2\"}"_s.arg(name, secret),
                 u"{\"%1\" : \"%2\"}"_s.arg(name, secret), u"\"%1\":\"%2\""_s.arg(name, secret)}) {
        const QString redacted = redactor.redact(text);
        QVERIFY2(!redacted.contains(secret), qPrintable(redacted.left(text.indexOf(secret))));
        QVERIFY(redacted.contains(Redactor::Mask));
        QVERIFY(redacted.contains(name));
    }
    // Prefixed or suffixed names are other parameters.
    for (const QString &text : {u"x%1=%2"_s.arg(name, secret), u"%1x=%2"_s.arg(name, secret),
                 u"{\"x%1\":\"%2\"}"_s.arg(name, secret)}) {
        QCOMPARE(redactor.redact(text), text);
    }
}

void tst_Redactor::registeredSecrets()
{
    Redactor redactor;
    redactor.addSecret(u"abcd"_s);
    redactor.addSecret(u"abcdef-secret"_s);
    redactor.addSecret(u"a b+c/d"_s);
    QVERIFY(redactor.hasSecrets());

    // Longer values first: the long secret is masked whole, not as "[redacted]ef-secret".
    QCOMPARE(redactor.redact(u"x abcdef-secret y"_s), u"x "_s + Redactor::Mask + u" y"_s);
    QCOMPARE(redactor.redact(u"abcd abcd"_s), Redactor::Mask + u' ' + Redactor::Mask);
    // Percent-encoded and form-encoded spellings.
    QCOMPARE(redactor.redact(u"p=a%20b%2Bc%2Fd&q=1"_s), u"p="_s + Redactor::Mask + u"&q=1"_s);
    QCOMPARE(redactor.redact(u"p=a+b%2Bc%2Fd&q=1"_s), u"p="_s + Redactor::Mask + u"&q=1"_s);
    QCOMPARE(redactor.redact(u"raw a b+c/d end"_s), u"raw "_s + Redactor::Mask + u" end"_s);
    // Secrets inside other patterns.
    QCOMPARE(redactor.redact(u"X-Api-Key: abcdef-secret"_s), u"X-Api-Key: "_s + Redactor::Mask);
    // Copies are independent values.
    const Redactor copy = redactor;
    redactor.addSecret(u"later-secret"_s);
    QCOMPARE(copy.redact(u"later-secret"_s), u"later-secret"_s);
    QCOMPARE(redactor.redact(u"later-secret"_s), Redactor::Mask);
}

void tst_Redactor::shortSecretsIgnored()
{
    Redactor redactor;
    redactor.addSecret(u"abc"_s);
    redactor.addSecret(QString());
    redactor.addSecret(u"dact"_s); // part of the mask itself: would corrupt it
    QVERIFY(!redactor.hasSecrets());
    QCOMPARE(redactor.redact(u"abc abc"_s), u"abc abc"_s);
}

void tst_Redactor::idempotent_data()
{
    patterns_data();
}

void tst_Redactor::idempotent()
{
    QFETCH(QString, input);
    Redactor redactor;
    redactor.addSecret(u"abc.def-ghi"_s);
    const QString once = redactor.redact(input);
    QCOMPARE(redactor.redact(once), once);
}

void tst_Redactor::benchmark()
{
    Redactor redactor;
    for (int i = 0; i < 8; ++i)
        redactor.addSecret(u"registered-secret-%1"_s.arg(i));
    const QString line =
            u"{\"jsonrpc\":\"2.0\",\"id\":42,\"method\":\"tools/"
            u"call\",\"params\":{\"name\":\"search\","
            "\"arguments\":{\"query\":\"status code=200 and more text\",\"limit\":10}}}"_s.repeated(
                    8);
    QString result;
    QBENCHMARK {
        result = redactor.redact(line);
    }
    QCOMPARE(result, line);
}

QTEST_APPLESS_MAIN(tst_Redactor)

#include "tst_redactor.moc"
