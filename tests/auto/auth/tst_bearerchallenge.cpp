#include "auth/protocol/bearerchallenge.h"

#include <QtCore/QElapsedTimer>
#include <QtTest/QTest>

using namespace McpProxy;
using namespace Qt::StringLiterals;

namespace {

// "<scheme>[ t68=<token68>][ <name>=<value>]…", challenges joined with " / ".
QString render(const QList<AuthChallenge> &challenges)
{
    QStringList rendered;
    for (const AuthChallenge &challenge : challenges) {
        QString text = challenge.scheme;
        if (!challenge.token68.isEmpty())
            text += u" t68=<"_s + challenge.token68 + u'>';
        for (const auto &[name, value] : challenge.params)
            text += u' ' + name + u"=<"_s + value + u'>';
        rendered.append(text);
    }
    return rendered.join(u" / "_s);
}

const QByteArray McpPrm = "https://mcp.example.com/.well-known/oauth-protected-resource";

} // namespace

class tst_BearerChallenge : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parse_data();
    void parse();
    void parseIsLinearOnLargeInput_data();
    void parseIsLinearOnLargeInput();
    void param();
    void fromHeader_data();
    void fromHeader();
};

void tst_BearerChallenge::parse_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<QString>("expected");

    QTest::newRow("empty header") << QByteArray() << QString();
    QTest::newRow("scheme only") << "Bearer"_ba << u"Bearer"_s;
    QTest::newRow("scheme-only challenges") << "Basic, Bearer"_ba << u"Basic / Bearer"_s;
    QTest::newRow("rfc 6750 §3 realm")
            << "Bearer realm=\"example\""_ba << u"Bearer realm=<example>"_s;
    QTest::newRow("rfc 6750 §3 invalid_token")
            << "Bearer realm=\"example\", error=\"invalid_token\", "
               "error_description=\"The access token expired\""_ba
            << u"Bearer realm=<example> error=<invalid_token> error_description=<The access token expired>"_s;
    QTest::newRow("rfc 9110 §11.6.1 two challenges with escapes")
            << "Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", Basic realm=\"simple\""_ba
            << u"Newauth realm=<apps> type=<1> title=<Login to \"apps\"> / Basic realm=<simple>"_s;
    QTest::newRow("mcp 2025-11-25 401")
            << "Bearer resource_metadata=\"" + McpPrm + "\", scope=\"files:read\""
            << u"Bearer resource_metadata=<"_s + QString::fromLatin1(McpPrm)
                    + u"> scope=<files:read>"_s;
    QTest::newRow("mcp 2025-11-25 403 insufficient_scope")
            << "Bearer error=\"insufficient_scope\", scope=\"files:read files:write "
               "user:profile\", "
               "resource_metadata=\""
                    + McpPrm + "\", error_description=\"Additional file write permission required\""
            << u"Bearer error=<insufficient_scope> scope=<files:read files:write user:profile> "
               "resource_metadata=<"_s
                    + QString::fromLatin1(McpPrm)
                    + u"> error_description=<Additional file write permission required>"_s;
    QTest::newRow("token68") << "Basic dXNlcjpwYXNz"_ba << u"Basic t68=<dXNlcjpwYXNz>"_s;
    QTest::newRow("token68 with padding and slash")
            << "Negotiate ab/c+d=="_ba << u"Negotiate t68=<ab/c+d==>"_s;
    QTest::newRow("token68 then another challenge")
            << "Basic YWxhZGRpbjpvcGVuc2VzYW1l, Bearer realm=\"x\""_ba
            << u"Basic t68=<YWxhZGRpbjpvcGVuc2VzYW1l> / Bearer realm=<x>"_s;
    QTest::newRow("param after token68 is dropped")
            << "Basic abc=, realm=\"x\""_ba << u"Basic t68=<abc=>"_s;
    QTest::newRow("bws around equals")
            << "Bearer realm = \"x\" , scope= \"a b\""_ba << u"Bearer realm=<x> scope=<a b>"_s;
    QTest::newRow("param names are lower-cased")
            << "Bearer Realm=\"x\", SCOPE=\"y\""_ba << u"Bearer realm=<x> scope=<y>"_s;
    QTest::newRow("scheme case is kept") << "bEaReR realm=\"x\""_ba << u"bEaReR realm=<x>"_s;
    QTest::newRow("comma inside quotes") << "Bearer error_description=\"a, b\", scope=\"c\""_ba
                                         << u"Bearer error_description=<a, b> scope=<c>"_s;
    QTest::newRow("quoted-pair escapes")
            << "Bearer error_description=\"say \\\"hi\\\" \\\\ back \\x\""_ba
            << u"Bearer error_description=<say \"hi\" \\ back x>"_s;
    QTest::newRow("empty quoted value") << "Bearer scope=\"\""_ba << u"Bearer scope=<>"_s;
    QTest::newRow("empty list elements")
            << ", ,Bearer realm=\"x\",, scope=\"y\" ,"_ba << u"Bearer realm=<x> scope=<y>"_s;
    QTest::newRow("repeated headers joined by qt")
            << "Basic realm=\"a\", Bearer resource_metadata=\"" + McpPrm + "\""
            << u"Basic realm=<a> / Bearer resource_metadata=<"_s + QString::fromLatin1(McpPrm)
                    + u'>';
    QTest::newRow("unquoted url value")
            << "Bearer resource_metadata=" + McpPrm + ", scope=a"
            << u"Bearer resource_metadata=<"_s + QString::fromLatin1(McpPrm) + u"> scope=<a>"_s;
    QTest::newRow("missing comma between params")
            << "Bearer realm=\"x\" scope=\"y\""_ba << u"Bearer realm=<x> scope=<y>"_s;
    QTest::newRow("tab after scheme") << "Bearer\trealm=\"x\""_ba << u"Bearer realm=<x>"_s;
    QTest::newRow("utf-8 in quoted string") << "Bearer error_description=\"caf\xc3\xa9\""_ba
                                            << u"Bearer error_description=<café>"_s;
    QTest::newRow("quote closed by the next param")
            << "Bearer realm=\"abc, scope=\"y"_ba << u"Bearer realm=<abc, scope=> / y"_s;
    QTest::newRow("unterminated at the end") << "Bearer realm=\"abc"_ba << u"Bearer"_s;
    QTest::newRow("backslash at the end") << "Bearer realm=\"abc\\"_ba << u"Bearer"_s;
    QTest::newRow("param before any scheme") << "realm=\"x\", Bearer"_ba << u"Bearer"_s;
    QTest::newRow("crlf inside the header")
            << "Bearer realm=\"x\"\r\n, Basic"_ba << u"Bearer realm=<x> / Basic"_s;
    QTest::newRow("nul byte after scheme") << QByteArray("Bearer\0 realm=\"x\"", 17) << u"Bearer"_s;
    QTest::newRow("garbage only") << "===,,,\"\"\"(){}"_ba << QString();
    QTest::newRow("garbage then a challenge")
            << "@@@ ??, Bearer scope=\"a\""_ba << u"Bearer scope=<a>"_s;
    QTest::newRow("bare value with separators is kept")
            << "Bearer a=b(c), scope=\"s\""_ba << u"Bearer a=<b(c)> scope=<s>"_s;
    QTest::newRow("quoted value followed by garbage")
            << "Bearer a=\"b\"@@, scope=\"s\""_ba << u"Bearer a=<b> scope=<s>"_s;
    QTest::newRow("bare value followed by garbage")
            << "Bearer a=b \"c\", scope=\"s\""_ba << u"Bearer scope=<s>"_s;
}

void tst_BearerChallenge::parse()
{
    QFETCH(QByteArray, header);
    QFETCH(QString, expected);
    QCOMPARE(render(parseWwwAuthenticate(header)), expected);
}

void tst_BearerChallenge::parseIsLinearOnLargeInput_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<int>("challenges");
    QTest::addColumn<int>("params");

    constexpr int Count = 100000;
    QTest::newRow("many params") << "Bearer " + QByteArray("x=\"y\", ").repeated(Count) << 1
                                 << Count;
    QTest::newRow("many challenges") << QByteArray("Basic, ").repeated(Count) << Count << 0;
    QTest::newRow("one long unterminated quote")
            << "Bearer realm=\"" + QByteArray("\\\"").repeated(Count) << 1 << 0;
    QTest::newRow("only quotes") << QByteArray("\"").repeated(Count) << 0 << 0;
    QTest::newRow("only equals") << QByteArray("=").repeated(Count) << 0 << 0;
    QTest::newRow("long token68") << "Basic " + QByteArray("A").repeated(Count) << 1 << 0;
}

void tst_BearerChallenge::parseIsLinearOnLargeInput()
{
    QFETCH(QByteArray, header);
    QFETCH(int, challenges);
    QFETCH(int, params);

    QElapsedTimer timer;
    timer.start();
    const QList<AuthChallenge> parsed = parseWwwAuthenticate(header);
    QVERIFY2(timer.elapsed() < 5000, "parsing must stay linear in the input size");
    QCOMPARE(parsed.size(), challenges);
    if (!parsed.isEmpty())
        QCOMPARE(parsed.first().params.size(), params);
}

void tst_BearerChallenge::param()
{
    const QList<AuthChallenge> parsed =
            parseWwwAuthenticate("Bearer Scope=\"first\", scope=\"second\", error=\"\""_ba);
    QCOMPARE(parsed.size(), 1);
    QCOMPARE(parsed.first().param(u"SCOPE"_s), u"first"_s);
    QCOMPARE(parsed.first().param(u"scope"_s), u"first"_s);
    QVERIFY(parsed.first().param(u"error"_s).isEmpty());
    QVERIFY(parsed.first().param(u"realm"_s).isEmpty());
}

void tst_BearerChallenge::fromHeader_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<bool>("found");
    QTest::addColumn<QString>("resourceMetadata");
    QTest::addColumn<QString>("scope");
    QTest::addColumn<QString>("error");
    QTest::addColumn<QString>("errorDescription");

    QTest::newRow("mcp 401") << "Bearer resource_metadata=\"" + McpPrm + "\", scope=\"files:read\""
                             << true << QString::fromLatin1(McpPrm) << u"files:read"_s << QString()
                             << QString();
    QTest::newRow("mcp 403 insufficient_scope")
            << "Bearer error=\"insufficient_scope\", scope=\"files:read files:write\", "
               "resource_metadata=\""
                    + McpPrm + "\", error_description=\"Additional file write permission required\""
            << true << QString::fromLatin1(McpPrm) << u"files:read files:write"_s
            << u"insufficient_scope"_s << u"Additional file write permission required"_s;
    QTest::newRow("rfc 6750 invalid_token")
            << "Bearer realm=\"example\", error=\"invalid_token\", error_description=\"The access token expired\""_ba
            << true << QString() << QString() << u"invalid_token"_s
            << u"The access token expired"_s;
    QTest::newRow("lower-case scheme")
            << "bearer scope=\"a\""_ba << true << QString() << u"a"_s << QString() << QString();
    QTest::newRow("bearer after basic")
            << "Basic realm=\"x\", Bearer resource_metadata=\"https://a.example/prm\""_ba << true
            << u"https://a.example/prm"_s << QString() << QString() << QString();
    QTest::newRow("first of two bearer challenges")
            << "Bearer scope=\"one\", Bearer scope=\"two\""_ba << true << QString() << u"one"_s
            << QString() << QString();
    QTest::newRow("bearer after dpop") << "DPoP algs=\"ES256\", Bearer scope=\"a\""_ba << true
                                       << QString() << u"a"_s << QString() << QString();
    QTest::newRow("scheme only") << "Bearer"_ba << true << QString() << QString() << QString()
                                 << QString();
    QTest::newRow("no bearer") << "Basic realm=\"x\""_ba << false << QString() << QString()
                               << QString() << QString();
    QTest::newRow("similar scheme name") << "Bearerx scope=\"a\""_ba << false << QString()
                                         << QString() << QString() << QString();
    QTest::newRow("empty header") << QByteArray() << false << QString() << QString() << QString()
                                  << QString();
    QTest::newRow("relative resource_metadata")
            << "Bearer resource_metadata=\"/.well-known/oauth-protected-resource\""_ba << true
            << QString() << QString() << QString() << QString();
    QTest::newRow("non-http resource_metadata")
            << "Bearer resource_metadata=\"ftp://a.example/prm\""_ba << true << QString()
            << QString() << QString() << QString();
    QTest::newRow("javascript resource_metadata")
            << "Bearer resource_metadata=\"javascript:alert(1)\""_ba << true << QString()
            << QString() << QString() << QString();
    QTest::newRow("resource_metadata without host")
            << "Bearer resource_metadata=\"https:///prm\""_ba << true << QString() << QString()
            << QString() << QString();
    QTest::newRow("resource_metadata with spaces")
            << "Bearer resource_metadata=\"https://a.example/p r m\""_ba << true << QString()
            << QString() << QString() << QString();
    QTest::newRow("http resource_metadata for localhost")
            << "Bearer resource_metadata=\"http://127.0.0.1:3000/.well-known/oauth-protected-resource/mcp\""_ba
            << true << u"http://127.0.0.1:3000/.well-known/oauth-protected-resource/mcp"_s
            << QString() << QString() << QString();
}

void tst_BearerChallenge::fromHeader()
{
    QFETCH(QByteArray, header);
    QFETCH(bool, found);
    QFETCH(QString, resourceMetadata);
    QFETCH(QString, scope);
    QFETCH(QString, error);
    QFETCH(QString, errorDescription);

    const std::optional<BearerChallenge> challenge = BearerChallenge::fromHeader(header);
    QCOMPARE(challenge.has_value(), found);
    if (!challenge)
        return;
    QCOMPARE(challenge->resourceMetadata.toString(), resourceMetadata);
    QCOMPARE(challenge->scope, scope);
    QCOMPARE(challenge->error, error);
    QCOMPARE(challenge->errorDescription, errorDescription);
}

QTEST_APPLESS_MAIN(tst_BearerChallenge)
#include "tst_bearerchallenge.moc"
