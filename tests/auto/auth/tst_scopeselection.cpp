#include "auth/protocol/scopeselection.h"

#include <QtTest/QTest>

using namespace McpProxy;
using namespace Qt::StringLiterals;

class tst_ScopeSelection : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void selectScope_data();
    void selectScope();
    void unionOfScopes_data();
    void unionOfScopes();
};

void tst_ScopeSelection::selectScope_data()
{
    QTest::addColumn<QString>("configured");
    QTest::addColumn<QString>("challenge");
    QTest::addColumn<QStringList>("protectedResourceScopes");
    QTest::addColumn<bool>("protectedResourceListsScopes");
    QTest::addColumn<QStringList>("authorizationServerScopes");
    QTest::addColumn<bool>("requestOfflineAccess");
    QTest::addColumn<QString>("expected");

    const QStringList prm{u"files:read"_s, u"files:write"_s};
    const QStringList asWithOffline{u"openid"_s, u"offline_access"_s};

    QTest::newRow("nothing known: omit") << QString() << QString() << QStringList() << false
                                         << QStringList() << true << QString();
    QTest::newRow("configured wins over challenge and prm")
            << u"custom"_s << u"files:read"_s << prm << true << QStringList() << true
            << u"custom"_s;
    QTest::newRow("challenge wins over prm")
            << QString() << u"files:read user:profile"_s << prm << true << QStringList() << true
            << u"files:read user:profile"_s;
    QTest::newRow("all prm scopes") << QString() << QString() << prm << true << QStringList()
                                    << true << u"files:read files:write"_s;
    QTest::newRow("prm lists an empty array: omit") << QString() << QString() << QStringList()
                                                    << true << asWithOffline << true << QString();
    QTest::newRow("prm without scopes_supported: omit")
            << QString() << QString() << QStringList() << false << asWithOffline << true
            << QString();
    QTest::newRow("offline_access when the as lists it")
            << QString() << QString() << prm << true << asWithOffline << true
            << u"files:read files:write offline_access"_s;
    QTest::newRow("offline_access added to the configured scope")
            << u"custom"_s << QString() << QStringList() << false << asWithOffline << true
            << u"custom offline_access"_s;
    QTest::newRow("offline_access added to the challenge")
            << QString() << u"files:read"_s << prm << true << asWithOffline << true
            << u"files:read offline_access"_s;
    QTest::newRow("no offline_access when the as does not list it")
            << QString() << QString() << prm << true << QStringList{u"openid"_s} << true
            << u"files:read files:write"_s;
    QTest::newRow("no offline_access when not requested")
            << QString() << QString() << prm << true << asWithOffline << false
            << u"files:read files:write"_s;
    QTest::newRow("offline_access never twice")
            << u"offline_access files:read"_s << QString() << QStringList() << false
            << asWithOffline << true << u"offline_access files:read"_s;
    QTest::newRow("whitespace and duplicates normalised")
            << u"  a \t b  a\n"_s << QString() << QStringList() << false << QStringList() << true
            << u"a b"_s;
    QTest::newRow("blank configured falls through to the challenge")
            << u"   "_s << u"files:read"_s << prm << true << QStringList() << true
            << u"files:read"_s;
    QTest::newRow("duplicate prm scopes")
            << QString() << QString() << QStringList{u"a"_s, u"b"_s, u"a"_s} << true
            << QStringList() << true << u"a b"_s;
}

void tst_ScopeSelection::selectScope()
{
    QFETCH(QString, configured);
    QFETCH(QString, challenge);
    QFETCH(QStringList, protectedResourceScopes);
    QFETCH(bool, protectedResourceListsScopes);
    QFETCH(QStringList, authorizationServerScopes);
    QFETCH(bool, requestOfflineAccess);
    QFETCH(QString, expected);

    ScopeInputs inputs;
    inputs.configured = configured;
    inputs.challenge = challenge;
    inputs.protectedResourceScopes = protectedResourceScopes;
    inputs.protectedResourceListsScopes = protectedResourceListsScopes;
    inputs.authorizationServerScopes = authorizationServerScopes;
    inputs.requestOfflineAccess = requestOfflineAccess;
    QCOMPARE(McpProxy::selectScope(inputs), expected);
}

void tst_ScopeSelection::unionOfScopes_data()
{
    QTest::addColumn<QString>("held");
    QTest::addColumn<QString>("challenged");
    QTest::addColumn<QString>("expected");

    QTest::newRow("both empty") << QString() << QString() << QString();
    QTest::newRow("nothing held") << QString() << u"files:write"_s << u"files:write"_s;
    QTest::newRow("nothing challenged") << u"files:read"_s << QString() << u"files:read"_s;
    QTest::newRow("disjoint, held first") << u"files:read"_s << u"files:write user:profile"_s
                                          << u"files:read files:write user:profile"_s;
    QTest::newRow("overlap is not repeated") << u"a b c"_s << u"c b d"_s << u"a b c d"_s;
    QTest::newRow("challenge is a subset") << u"a b c"_s << u"b"_s << u"a b c"_s;
    QTest::newRow("duplicates within one side") << u"a a b"_s << u"c c"_s << u"a b c"_s;
    QTest::newRow("odd whitespace") << u"  a\tb "_s << u"\nc  a"_s << u"a b c"_s;
    QTest::newRow("case-sensitive tokens") << u"Read"_s << u"read"_s << u"Read read"_s;
}

void tst_ScopeSelection::unionOfScopes()
{
    QFETCH(QString, held);
    QFETCH(QString, challenged);
    QFETCH(QString, expected);
    QCOMPARE(McpProxy::unionOfScopes(held, challenged), expected);
}

QTEST_APPLESS_MAIN(tst_ScopeSelection)
#include "tst_scopeselection.moc"
