// AuthorizationLimits: the cool-down after failed rounds (30 s doubling up to 5 min, then one new
// attempt) and full authorizations per scope set (3 per session, one more after a cool-down).
// The times are arguments: a test clock, nothing sleeps.
#include "auth/authorizationlimits.h"

#include <QtTest/QTest>

using namespace McpProxy;
using namespace Qt::StringLiterals;

namespace {

const QDateTime Start = QDateTime(QDate(2026, 1, 1), QTime(12, 0), Qt::UTC);

} // namespace

class tst_AuthorizationLimits : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void coolDownLength_data();
    void coolDownLength();
    void coolDownStates_data();
    void coolDownStates();
    void successEndsTheStreak_data();
    void successEndsTheStreak();
    void retryAtOnceIsTakenOnce();
    void scopeSetKey_data();
    void scopeSetKey();
    void authorizationsPerScope_data();
    void authorizationsPerScope();
};

void tst_AuthorizationLimits::coolDownLength_data()
{
    QTest::addColumn<int>("failures");
    QTest::addColumn<qint64>("coolDownMs");
    QTest::newRow("1st") << 1 << qint64(30000);
    QTest::newRow("2nd") << 2 << qint64(60000);
    QTest::newRow("3rd") << 3 << qint64(120000);
    QTest::newRow("4th") << 4 << qint64(240000);
    QTest::newRow("5th: capped at 5 min") << 5 << qint64(300000);
    QTest::newRow("20th: still 5 min") << 20 << qint64(300000);
}

void tst_AuthorizationLimits::coolDownLength()
{
    QFETCH(int, failures);
    QFETCH(qint64, coolDownMs);
    AuthorizationLimits limits;
    QDateTime now = Start;
    qint64 last = 0;
    for (int failure = 1; failure <= failures; ++failure) {
        last = limits.rememberFailure(u"failed %1"_s.arg(failure), now);
        now = now.addMSecs(last); // the next attempt right after the cool-down
    }
    QCOMPARE(last, coolDownMs);
    QCOMPARE(limits.failureMessage(), u"failed %1"_s.arg(failures));
}

void tst_AuthorizationLimits::coolDownStates_data()
{
    QTest::addColumn<qint64>("elapsedMs");
    QTest::addColumn<int>("state");
    QTest::newRow("at once") << qint64(0) << int(AuthorizationLimits::CoolDown::Active);
    QTest::newRow("1 ms before the end")
            << qint64(29999) << int(AuthorizationLimits::CoolDown::Active);
    QTest::newRow("at the end") << qint64(30000) << int(AuthorizationLimits::CoolDown::Over);
    QTest::newRow("long after") << qint64(3600000) << int(AuthorizationLimits::CoolDown::Over);
}

void tst_AuthorizationLimits::coolDownStates()
{
    QFETCH(qint64, elapsedMs);
    QFETCH(int, state);
    AuthorizationLimits limits;
    QCOMPARE(limits.coolDown(Start), AuthorizationLimits::CoolDown::None);
    limits.rememberFailure(u"failed"_s, Start);
    QCOMPARE(int(limits.coolDown(Start.addMSecs(elapsedMs))), state);
    QCOMPARE(limits.coolDownUntil(), Start.addMSecs(30000));
}

void tst_AuthorizationLimits::successEndsTheStreak_data()
{
    QTest::addColumn<bool>("confirmed");
    QTest::addColumn<qint64>("nextCoolDownMs");
    QTest::newRow("a round that succeeded") << true << qint64(30000);
    // A step-up that got a token has not shown that the server accepts it.
    QTest::newRow("a step-up that got a token") << false << qint64(120000);
}

void tst_AuthorizationLimits::successEndsTheStreak()
{
    QFETCH(bool, confirmed);
    QFETCH(qint64, nextCoolDownMs);
    AuthorizationLimits limits;
    limits.rememberFailure(u"failed"_s, Start);
    limits.rememberFailure(u"failed"_s, Start.addSecs(30));
    limits.succeeded(confirmed);
    QCOMPARE(limits.coolDown(Start.addSecs(31)), AuthorizationLimits::CoolDown::None);
    QCOMPARE(limits.rememberFailure(u"failed"_s, Start.addSecs(100)), nextCoolDownMs);
}

void tst_AuthorizationLimits::retryAtOnceIsTakenOnce()
{
    AuthorizationLimits limits;
    QVERIFY(!limits.takeRetryAtOnce());
    limits.allowRetryAtOnce();
    QVERIFY(limits.takeRetryAtOnce());
    QVERIFY(!limits.takeRetryAtOnce());
}

void tst_AuthorizationLimits::scopeSetKey_data()
{
    QTest::addColumn<QString>("scope");
    QTest::addColumn<QString>("key");
    QTest::newRow("empty") << QString() << QString();
    QTest::newRow("sorted") << u"b a"_s << u"a b"_s;
    QTest::newRow("duplicates and spaces") << u"  b a  b "_s << u"a b"_s;
}

void tst_AuthorizationLimits::scopeSetKey()
{
    QFETCH(QString, scope);
    QFETCH(QString, key);
    QCOMPARE(AuthorizationLimits::scopeSetKey(scope), key);
}

void tst_AuthorizationLimits::authorizationsPerScope_data()
{
    QTest::addColumn<int>("counted"); // authorizations of "a b" before asking
    QTest::addColumn<bool>("failedBefore"); // a failure started a cool-down
    QTest::addColumn<bool>("admitted");
    QTest::addColumn<int>("countAfter");
    QTest::newRow("none yet") << 0 << false << true << 0;
    QTest::newRow("two") << 2 << false << true << 2;
    QTest::newRow("three: the limit") << 3 << false << false << 3;
    QTest::newRow("three, after a cool-down: one more") << 3 << true << true << 2;
    QTest::newRow("five, after a cool-down: one more") << 5 << true << true << 2;
}

void tst_AuthorizationLimits::authorizationsPerScope()
{
    QFETCH(int, counted);
    QFETCH(bool, failedBefore);
    QFETCH(bool, admitted);
    QFETCH(int, countAfter);
    AuthorizationLimits limits;
    for (int i = 0; i < counted; ++i)
        limits.countAuthorization(i % 2 ? u"a b"_s : u"b a"_s); // one scope set
    limits.countAuthorization(u"c"_s); // another set counts apart
    if (failedBefore)
        limits.rememberFailure(u"failed"_s, Start);
    QCOMPARE(limits.admitsAuthorization(u"a b a"_s), admitted);
    QCOMPARE(limits.authorizations(u"b a"_s), countAfter);
    QCOMPARE(limits.authorizations(u"c"_s), 1);
    limits.resetCounts(); // a 401: the token is gone
    QCOMPARE(limits.authorizations(u"b a"_s), 0);
}

QTEST_APPLESS_MAIN(tst_AuthorizationLimits)
#include "tst_authorizationlimits.moc"
