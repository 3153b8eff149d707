#include "transport/eradetection.h"

#include <QtCore/QJsonDocument>
#include <QtTest/QTest>

using namespace McpProxy;
using namespace Qt::StringLiterals;

namespace {

QJsonObject object(const char *json)
{
    return QJsonDocument::fromJson(QByteArray(json)).object();
}

} // namespace

class tst_EraDetection : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void classify_data();
    void classify();
    void initializeResult_data();
    void initializeResult();
};

void tst_EraDetection::classify_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("version");
    using Kind = EraDetection::Verdict::Kind;

    QTest::newRow("modern")
            << 200
            << R"({"jsonrpc":"2.0","id":"p","result":{"supportedVersions":["2026-07-28"],"capabilities":{}}})"_ba
            << int(Kind::Modern) << u"2026-07-28"_s;
    QTest::newRow("modern among others")
            << 200
            << R"({"jsonrpc":"2.0","id":"p","result":{"supportedVersions":["2027-01-01","2026-07-28"]}})"_ba
            << int(Kind::Modern) << u"2026-07-28"_s;
    QTest::newRow("result without a version we speak")
            << 200
            << R"({"jsonrpc":"2.0","id":"p","result":{"supportedVersions":["2027-01-01"]}})"_ba
            << int(Kind::Legacy) << QString();
    QTest::newRow("result without supportedVersions")
            << 200 << R"({"jsonrpc":"2.0","id":"p","result":{}})"_ba << int(Kind::Legacy)
            << QString();
    QTest::newRow("-32022 names ours")
            << 400
            << R"({"jsonrpc":"2.0","id":"p","error":{"code":-32022,"message":"x","data":{"supported":["2026-07-28"],"requested":"2026-07-28"}}})"_ba
            << int(Kind::Retry) << u"2026-07-28"_s;
    QTest::newRow("-32022 names none of ours")
            << 400
            << R"({"jsonrpc":"2.0","id":"p","error":{"code":-32022,"message":"x","data":{"supported":["2030-01-01"]}}})"_ba
            << int(Kind::Legacy) << QString();
    QTest::newRow("-32020 header mismatch: stay modern")
            << 400 << R"({"jsonrpc":"2.0","id":"p","error":{"code":-32020,"message":"x"}})"_ba
            << int(Kind::Retry) << u"2026-07-28"_s;
    QTest::newRow("-32021 missing capability: stay modern")
            << 400 << R"({"jsonrpc":"2.0","id":"p","error":{"code":-32021,"message":"x"}})"_ba
            << int(Kind::Retry) << u"2026-07-28"_s;
    QTest::newRow("method not found (stateless 2025 server)")
            << 200 << R"({"jsonrpc":"2.0","id":"p","error":{"code":-32601,"message":"x"}})"_ba
            << int(Kind::Legacy) << QString();
    QTest::newRow("no session (stateful 2025 server)")
            << 400 << R"({"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"x"}})"_ba
            << int(Kind::Legacy) << QString();
    QTest::newRow("empty 404") << 404 << QByteArray() << int(Kind::Legacy) << QString();
    QTest::newRow("405 text") << 405 << "Method Not Allowed"_ba << int(Kind::Legacy) << QString();
    QTest::newRow("result with an error status")
            << 500
            << R"({"jsonrpc":"2.0","id":"p","result":{"supportedVersions":["2026-07-28"]}})"_ba
            << int(Kind::Legacy) << QString();
    QTest::newRow("array") << 200 << "[]"_ba << int(Kind::Legacy) << QString();
}

void tst_EraDetection::classify()
{
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(int, kind);
    QFETCH(QString, version);
    const EraDetection::Verdict verdict =
            EraDetection::classifyDiscoverAnswer(status, body, u"2026-07-28"_s);
    QCOMPARE(int(verdict.kind), kind);
    QCOMPARE(verdict.version, version);
    if (verdict.kind == EraDetection::Verdict::Kind::Legacy)
        QVERIFY(!verdict.reason.isEmpty());
    if (verdict.kind == EraDetection::Verdict::Kind::Modern)
        QVERIFY(verdict.discover.contains("supportedVersions"_L1));
}

void tst_EraDetection::initializeResult_data()
{
    QTest::addColumn<QByteArray>("discover");
    QTest::addColumn<QString>("hostVersion");
    QTest::addColumn<QByteArray>("expected");

    QTest::newRow("host version kept, serverInfo in the result")
            << R"({"supportedVersions":["2026-07-28"],"capabilities":{"tools":{"listChanged":true}},"serverInfo":{"name":"s","version":"1"},"instructions":"hi","resultType":"complete"})"_ba
            << u"2025-06-18"_s
            << R"({"capabilities":{"tools":{"listChanged":true}},"instructions":"hi","protocolVersion":"2025-06-18","serverInfo":{"name":"s","version":"1"}})"_ba;
    QTest::newRow("unknown host version: newest legacy; serverInfo from _meta")
            << R"({"supportedVersions":["2026-07-28"],"capabilities":{},"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"m","version":"2"}}})"_ba
            << u"1999-01-01"_s
            << R"({"capabilities":{},"protocolVersion":"2025-11-25","serverInfo":{"name":"m","version":"2"}})"_ba;
    QTest::newRow("no serverInfo at all: a valid Implementation")
            << R"({"supportedVersions":["2026-07-28"]})"_ba << u"2025-11-25"_s
            << R"({"capabilities":{},"protocolVersion":"2025-11-25","serverInfo":{"name":"mcp-server","version":"0"}})"_ba;
}

void tst_EraDetection::initializeResult()
{
    QFETCH(QByteArray, discover);
    QFETCH(QString, hostVersion);
    QFETCH(QByteArray, expected);
    const QJsonObject result =
            EraDetection::initializeResultFor(object(discover.constData()), hostVersion);
    QCOMPARE(QJsonDocument(result).toJson(QJsonDocument::Compact), expected);
}

QTEST_GUILESS_MAIN(tst_EraDetection)
#include "tst_eradetection.moc"
