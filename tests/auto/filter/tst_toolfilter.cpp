// ToolFilter: glob matching, the visibility rule (allow, deny, deny wins), tools/list pages and
// tools/call refusals, all table-driven.
#include "filter/toolfilter.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtTest/QTest>

using namespace McpProxy;
using namespace Qt::StringLiterals;

class tst_ToolFilter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void globMatching_data();
    void globMatching();
    void visibility_data();
    void visibility();
    void listPagesAreFiltered_data();
    void listPagesAreFiltered();
    void callsOfHiddenToolsAreRefused_data();
    void callsOfHiddenToolsAreRefused();
};

void tst_ToolFilter::globMatching_data()
{
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("matches");

    QTest::newRow("exact") << u"echo"_s << u"echo"_s << true;
    QTest::newRow("whole name only") << u"echo"_s << u"echo2"_s << false;
    QTest::newRow("not a substring") << u"cho"_s << u"echo"_s << false;
    QTest::newRow("case-insensitive") << u"Delete_*"_s << u"delete_repo"_s << true;
    QTest::newRow("star at the end") << u"delete_*"_s << u"delete_file"_s << true;
    QTest::newRow("star matches nothing") << u"delete_*"_s << u"delete_"_s << true;
    QTest::newRow("star at the start") << u"*_file"_s << u"write_file"_s << true;
    QTest::newRow("star in the middle") << u"get*issue"_s << u"get_jira_issue"_s << true;
    QTest::newRow("two stars") << u"*jira*"_s << u"get_jira_issue"_s << true;
    QTest::newRow("star backtracks") << u"*a*b"_s << u"xaaxbab"_s << true;
    QTest::newRow("star cannot invent a tail") << u"*a*b"_s << u"xaaxbaa"_s << false;
    QTest::newRow("only a star") << u"*"_s << u"anything.at-all"_s << true;
    QTest::newRow("question mark is literal") << u"ech?"_s << u"echo"_s << false;
    QTest::newRow("question mark matches itself") << u"ech?"_s << u"ech?"_s << true;
    QTest::newRow("dot is literal") << u"a.b"_s << u"axb"_s << false;
    QTest::newRow("brackets are literal") << u"[ab]"_s << u"a"_s << false;
    QTest::newRow("longer pattern") << u"echo*x"_s << u"echo"_s << false;
    QTest::newRow("empty name") << u"*"_s << QString() << true;
    QTest::newRow("empty name, letters") << u"a"_s << QString() << false;
    QTest::newRow("no folding beyond ASCII") << u"É"_s << u"é"_s << false;
}

void tst_ToolFilter::globMatching()
{
    QFETCH(QString, pattern);
    QFETCH(QString, name);
    QFETCH(bool, matches);
    QCOMPARE(ToolFilter::matches(pattern, name), matches);
}

void tst_ToolFilter::visibility_data()
{
    QTest::addColumn<QStringList>("allow");
    QTest::addColumn<QStringList>("deny");
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("visible");

    QTest::newRow("no lists") << QStringList() << QStringList() << u"x"_s << true;
    QTest::newRow("allowed") << QStringList{u"get_*"_s} << QStringList() << u"get_a"_s << true;
    QTest::newRow("not allowed") << QStringList{u"get_*"_s} << QStringList() << u"set_a"_s << false;
    QTest::newRow("any allow pattern")
            << QStringList{u"get_*"_s, u"echo"_s} << QStringList() << u"echo"_s << true;
    QTest::newRow("denied") << QStringList() << QStringList{u"delete_*"_s} << u"delete_a"_s
                            << false;
    QTest::newRow("not denied") << QStringList() << QStringList{u"delete_*"_s} << u"get_a"_s
                                << true;
    QTest::newRow("deny wins over allow")
            << QStringList{u"*"_s} << QStringList{u"*_admin"_s} << u"user_admin"_s << false;
    QTest::newRow("allowed and not denied")
            << QStringList{u"*"_s} << QStringList{u"*_admin"_s} << u"user_list"_s << true;
}

void tst_ToolFilter::visibility()
{
    QFETCH(QStringList, allow);
    QFETCH(QStringList, deny);
    QFETCH(QString, name);
    QFETCH(bool, visible);
    const ToolFilter filter(allow, deny);
    QCOMPARE(filter.isActive(), !allow.isEmpty() || !deny.isEmpty());
    QCOMPARE(filter.allows(name), visible);
}

void tst_ToolFilter::listPagesAreFiltered_data()
{
    QTest::addColumn<QStringList>("deny");
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<bool>("changed");
    QTest::addColumn<QStringList>("remaining"); // tool names after filtering
    QTest::addColumn<QStringList>("hidden");

    const QByteArray page =
            R"({"jsonrpc":"2.0","id":3,"result":{"tools":[{"name":"echo","inputSchema":{"type":"object"}},{"name":"delete_all"},{"name":"add"}],"nextCursor":"c2"}})"_ba;
    QTest::newRow("page with a hidden tool")
            << QStringList{u"delete_*"_s} << page << true << QStringList{u"echo"_s, u"add"_s}
            << QStringList{u"delete_all"_s};
    QTest::newRow("nothing hidden: unchanged")
            << QStringList{u"nope"_s} << page << false
            << QStringList{u"echo"_s, u"delete_all"_s, u"add"_s} << QStringList();
    QTest::newRow("every tool hidden keeps the cursor")
            << QStringList{u"*"_s} << page << true << QStringList()
            << QStringList{u"echo"_s, u"delete_all"_s, u"add"_s};
    QTest::newRow("error response")
            << QStringList{u"*"_s}
            << R"({"jsonrpc":"2.0","id":3,"error":{"code":-32603,"message":"x"}})"_ba << false
            << QStringList() << QStringList();
    QTest::newRow("result without tools")
            << QStringList{u"*"_s} << R"({"jsonrpc":"2.0","id":3,"result":{}})"_ba << false
            << QStringList() << QStringList();
    QTest::newRow("a tool without a name stays")
            << QStringList{u"*"_s}
            << R"({"jsonrpc":"2.0","id":3,"result":{"tools":[{"title":"x"},{"name":"a"}]}})"_ba
            << true << QStringList{QString()} << QStringList{u"a"_s};
}

void tst_ToolFilter::listPagesAreFiltered()
{
    QFETCH(QStringList, deny);
    QFETCH(QByteArray, line);
    QFETCH(bool, changed);
    QFETCH(QStringList, remaining);
    QFETCH(QStringList, hidden);
    const ToolFilter filter({}, deny);
    QStringList removed;
    const auto filtered = filter.filterListResponse(line, &removed);
    QCOMPARE(filtered.has_value(), changed);
    QCOMPARE(removed, hidden);
    if (!changed)
        return;
    QVERIFY(!filtered->contains('\n'));
    const QJsonObject before = QJsonDocument::fromJson(line).object();
    const QJsonObject after = QJsonDocument::fromJson(*filtered).object();
    QCOMPARE(after.value(u"id"), before.value(u"id"));
    const QJsonObject result = after.value(u"result").toObject();
    QCOMPARE(result.value(u"nextCursor"), before.value(u"result")[u"nextCursor"]);
    QStringList names;
    for (const QJsonValue &tool : result.value(u"tools").toArray())
        names.append(tool[u"name"].toString());
    QCOMPARE(names, remaining);
    // What stays is byte-for-byte the server's tool object.
    if (remaining.contains(u"echo"_s)) {
        QCOMPARE(result.value(u"tools").toArray().first().toObject(),
                before.value(u"result")[u"tools"][0].toObject());
    }
}

void tst_ToolFilter::callsOfHiddenToolsAreRefused_data()
{
    QTest::addColumn<QStringList>("allow");
    QTest::addColumn<QStringList>("deny");
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<bool>("refused");

    QTest::newRow("hidden by deny")
            << QStringList() << QStringList{u"delete_*"_s}
            << R"({"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"delete_all"}})"_ba
            << true;
    QTest::newRow("hidden by allow")
            << QStringList{u"echo"_s} << QStringList()
            << R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add"}})"_ba
            << true;
    QTest::newRow("visible")
            << QStringList{u"echo"_s} << QStringList()
            << R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo"}})"_ba
            << false;
    QTest::newRow("no name: the server's to refuse")
            << QStringList{u"echo"_s} << QStringList()
            << R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{}})"_ba << false;
    QTest::newRow("other method")
            << QStringList{u"echo"_s} << QStringList()
            << R"({"jsonrpc":"2.0","id":7,"method":"prompts/get","params":{"name":"add"}})"_ba
            << false;
    QTest::newRow("no filter")
            << QStringList() << QStringList()
            << R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add"}})"_ba
            << false;
}

void tst_ToolFilter::callsOfHiddenToolsAreRefused()
{
    QFETCH(QStringList, allow);
    QFETCH(QStringList, deny);
    QFETCH(QByteArray, line);
    QFETCH(bool, refused);
    const ToolFilter filter(allow, deny);
    const JsonRpcMessage message = JsonRpcMessage::classify(line);
    const auto refusal = filter.refuseCall(line, message);
    QCOMPARE(refusal.has_value(), refused);
    if (!refused)
        return;
    const QJsonObject error = QJsonDocument::fromJson(*refusal).object();
    QCOMPARE(error.value(u"id"), QJsonDocument::fromJson(line).object().value(u"id"));
    QCOMPARE(error.value(u"error")[u"code"].toInt(), -32602);
    QVERIFY(error.value(u"error")[u"message"].toString().startsWith(u"Unknown tool: "_s));
}

QTEST_APPLESS_MAIN(tst_ToolFilter)
#include "tst_toolfilter.moc"
