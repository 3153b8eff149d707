// ListChangedAfterLogin: which list_changed notifications a host gets when a login succeeds,
// from what it asked, received and cancelled meanwhile, and what its InitializeResult declared.
// Each row is a script of events; every "finish" adds what the rule gives the host.
#include "bridge/listchangedafterlogin.h"

#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtTest/QTest>

using namespace McpProxy;
using namespace Qt::StringLiterals;

namespace {

// The capabilities of these rows' InitializeResults.
const QByteArray AllDeclared =
        R"({"tools":{"listChanged":true},"prompts":{"listChanged":true},"resources":{"listChanged":true,"subscribe":true}})";
const QByteArray ToolsDeclared = R"({"tools":{"listChanged":true}})";
const QByteArray ToolsNotDeclared = R"({"tools":{"listChanged":false},"logging":{}})";
const QByteArray ToolsWithoutListChanged = R"({"tools":{},"prompts":{},"resources":{}})";
const QByteArray PromptsDeclared =
        R"({"tools":{},"prompts":{"listChanged":true},"resources":{"subscribe":true}})";
const QByteArray ListChangedNotABoolean = R"({"tools":{"listChanged":"true"}})";

QByteArray initializeAnswer(const QString &id, const QByteArray &capabilities)
{
    return R"({"jsonrpc":"2.0","id":")" + id.toUtf8()
            + R"(","result":{"protocolVersion":"2025-11-25","capabilities":)" + capabilities
            + R"(,"serverInfo":{"name":"s","version":"1"}}})";
}

} // namespace

class tst_ListChangedAfterLogin : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void notificationsAfterLogin_data();
    void notificationsAfterLogin();
};

void tst_ListChangedAfterLogin::notificationsAfterLogin_data()
{
    // Steps: "init <capabilities>" (the host's initialize "i", answered with them), "send <id>
    // <method>", "answer <id>", "cancel <id>", "start" (authorization pending), "finish ok" /
    // "finish failed". `notified`: the methods of every notification given, in order.
    QTest::addColumn<QStringList>("steps");
    QTest::addColumn<QStringList>("notified");

    const auto init = [](const QByteArray &capabilities) -> QString {
        return u"init "_s + QString::fromUtf8(capabilities);
    };
    const QString tools = u"notifications/tools/list_changed"_s;
    const QString prompts = u"notifications/prompts/list_changed"_s;
    const QString resources = u"notifications/resources/list_changed"_s;

    QTest::newRow("tools/list cancelled during the login") << QStringList{init(ToolsDeclared),
            u"start"_s, u"send 2 tools/list"_s, u"cancel 2"_s, u"finish ok"_s}
                                                           << QStringList{tools};
    QTest::newRow("prompts/list") << QStringList{init(AllDeclared), u"start"_s,
            u"send 2 prompts/list"_s, u"cancel 2"_s, u"finish ok"_s}
                                  << QStringList{prompts};
    QTest::newRow("resources/list") << QStringList{init(AllDeclared), u"start"_s,
            u"send 2 resources/list"_s, u"cancel 2"_s, u"finish ok"_s}
                                    << QStringList{resources};
    QTest::newRow("resources/templates/list") << QStringList{init(AllDeclared), u"start"_s,
            u"send 2 resources/templates/list"_s, u"cancel 2"_s, u"finish ok"_s}
                                              << QStringList{resources};
    QTest::newRow("resources and templates share one notification") << QStringList{
            init(AllDeclared), u"start"_s, u"send 2 resources/list"_s,
            u"send 3 resources/templates/list"_s, u"cancel 3"_s, u"cancel 2"_s,
            u"finish ok"_s} << QStringList{resources};
    QTest::newRow("the same list twice: once") << QStringList{init(ToolsDeclared), u"start"_s,
            u"send 2 tools/list"_s, u"cancel 2"_s, u"send 3 tools/list"_s, u"cancel 3"_s,
            u"finish ok"_s} << QStringList{tools};
    QTest::newRow("every list, in a fixed order") << QStringList{init(AllDeclared), u"start"_s,
            u"send 2 resources/list"_s, u"send 3 prompts/list"_s, u"send 4 tools/list"_s,
            u"cancel 2"_s, u"cancel 3"_s, u"cancel 4"_s, u"finish ok"_s}
                                                  << QStringList{tools, prompts, resources};
    QTest::newRow("only what was declared") << QStringList{init(PromptsDeclared), u"start"_s,
            u"send 2 resources/list"_s, u"send 3 prompts/list"_s, u"send 4 tools/list"_s,
            u"cancel 2"_s, u"cancel 3"_s, u"cancel 4"_s, u"finish ok"_s}
                                            << QStringList{prompts};
    QTest::newRow("listChanged false") << QStringList{init(ToolsNotDeclared), u"start"_s,
            u"send 2 tools/list"_s, u"cancel 2"_s, u"finish ok"_s}
                                       << QStringList{};
    QTest::newRow("capabilities without listChanged") << QStringList{init(ToolsWithoutListChanged),
            u"start"_s, u"send 2 tools/list"_s, u"send 3 prompts/list"_s,
            u"send 4 resources/list"_s, u"cancel 2"_s, u"cancel 3"_s, u"cancel 4"_s, u"finish ok"_s}
                                                      << QStringList{};
    QTest::newRow("listChanged not a boolean") << QStringList{init(ListChangedNotABoolean),
            u"start"_s, u"send 2 tools/list"_s, u"cancel 2"_s, u"finish ok"_s}
                                               << QStringList{};
    QTest::newRow("no capabilities object") << QStringList{u"init null"_s, u"start"_s,
            u"send 2 tools/list"_s, u"cancel 2"_s, u"finish ok"_s}
                                            << QStringList{};
    QTest::newRow("other methods cancelled") << QStringList{init(AllDeclared), u"start"_s,
            u"send 2 tools/call"_s, u"send 3 ping"_s, u"send 4 resources/read"_s,
            u"send 5 prompts/get"_s, u"send 6 completion/complete"_s, u"cancel 2"_s, u"cancel 3"_s,
            u"cancel 4"_s, u"cancel 5"_s, u"cancel 6"_s, u"finish ok"_s}
                                             << QStringList{};
    QTest::newRow("answered before the cancellation") << QStringList{init(AllDeclared), u"start"_s,
            u"send 2 tools/list"_s, u"answer 2"_s, u"cancel 2"_s, u"finish ok"_s}
                                                      << QStringList{};
    QTest::newRow("an unknown id cancelled") << QStringList{init(AllDeclared), u"start"_s,
            u"send 2 tools/list"_s, u"cancel 7"_s, u"finish ok"_s}
                                             << QStringList{};
    QTest::newRow("the login failed") << QStringList{init(AllDeclared), u"start"_s,
            u"send 2 tools/list"_s, u"cancel 2"_s, u"finish failed"_s}
                                      << QStringList{};
    QTest::newRow("a failed login's cancellations are forgotten") << QStringList{init(AllDeclared),
            u"start"_s, u"send 2 tools/list"_s, u"cancel 2"_s, u"finish failed"_s, u"start"_s,
            u"finish ok"_s} << QStringList{};
    QTest::newRow("a failed login, then a cancellation during the next") << QStringList{
            init(AllDeclared), u"start"_s, u"send 2 tools/list"_s, u"cancel 2"_s,
            u"finish failed"_s, u"start"_s, u"send 3 prompts/list"_s, u"cancel 3"_s,
            u"finish ok"_s} << QStringList{prompts};
    QTest::newRow("cancelled while no authorization was pending") << QStringList{init(AllDeclared),
            u"send 2 tools/list"_s, u"cancel 2"_s, u"start"_s, u"finish ok"_s}
                                                                  << QStringList{};
    QTest::newRow("cancelled after the login") << QStringList{init(AllDeclared), u"start"_s,
            u"send 2 tools/list"_s, u"finish ok"_s, u"cancel 2"_s, u"start"_s, u"finish ok"_s}
                                               << QStringList{};
    QTest::newRow("sent before the round, cancelled during it") << QStringList{init(AllDeclared),
            u"send 2 tools/list"_s, u"start"_s, u"cancel 2"_s, u"finish ok"_s}
                                                                << QStringList{tools};
    QTest::newRow("said once, not again at the next login") << QStringList{init(AllDeclared),
            u"start"_s, u"send 2 tools/list"_s, u"cancel 2"_s, u"finish ok"_s, u"start"_s,
            u"finish ok"_s} << QStringList{tools};
    QTest::newRow("held at start-up, initialize answered from memory meanwhile") << QStringList{
            u"start"_s, init(ToolsDeclared), u"send 2 tools/list"_s, u"cancel 2"_s,
            u"finish ok"_s} << QStringList{tools};
    QTest::newRow("initialize not answered yet") << QStringList{u"start"_s, u"send i initialize"_s,
            u"send 2 tools/list"_s, u"cancel 2"_s, u"finish ok"_s}
                                                 << QStringList{};
    QTest::newRow("initialize refused") << QStringList{u"start"_s, u"send i initialize"_s,
            u"answer i"_s, u"send 2 tools/list"_s, u"cancel 2"_s, u"finish ok"_s}
                                        << QStringList{};
    QTest::newRow("a new initialize: its answer counts") << QStringList{init(AllDeclared),
            init(ToolsNotDeclared), u"start"_s, u"send 2 tools/list"_s, u"cancel 2"_s,
            u"finish ok"_s} << QStringList{};
    QTest::newRow("a new initialize not answered: nothing declared") << QStringList{
            init(AllDeclared), u"start"_s, u"send i2 initialize"_s, u"send 2 tools/list"_s,
            u"cancel 2"_s, u"finish ok"_s} << QStringList{};
}

void tst_ListChangedAfterLogin::notificationsAfterLogin()
{
    QFETCH(QStringList, steps);
    QFETCH(QStringList, notified);

    ListChangedAfterLogin rule;
    QStringList given;
    for (const QString &step : std::as_const(steps)) {
        const QString verb = step.section(u' ', 0, 0);
        const QString argument = step.section(u' ', 1, 1);
        if (verb == u"init") {
            rule.requestSent(u"i"_s, u"initialize");
            rule.answered(u"i"_s, initializeAnswer(u"i"_s, step.section(u' ', 1).toUtf8()));
        } else if (verb == u"send") {
            rule.requestSent(argument, step.section(u' ', 2, 2));
        } else if (verb == u"answer") {
            // An error answer for the host's initialize: nothing declared.
            rule.answered(argument,
                    R"({"jsonrpc":"2.0","id":")" + argument.toUtf8()
                            + R"(","error":{"code":-32603,"message":"no"}})");
        } else if (verb == u"cancel") {
            rule.cancelled(argument);
        } else if (verb == u"start") {
            rule.authorizationStarted();
        } else if (verb == u"finish") {
            for (const QByteArray &line : rule.authorizationFinished(argument == u"ok")) {
                const QJsonObject message = QJsonDocument::fromJson(line).object();
                QCOMPARE(message.value(u"jsonrpc").toString(), u"2.0"_s);
                QVERIFY(!message.contains(u"id"));
                QVERIFY(!line.contains('\n'));
                given.append(message.value(u"method").toString());
            }
        } else {
            QFAIL(qPrintable(u"unknown step: "_s + step));
        }
    }
    QCOMPARE(given, notified);
}

QTEST_APPLESS_MAIN(tst_ListChangedAfterLogin)
#include "tst_listchangedafterlogin.moc"
