// RenewalPolicy: when a token is renewed before a request and while idle, whether a stored token
// needs renewal, and the retry delays of a failed idle renewal. Every time is an argument.
#include "auth/renewalpolicy.h"

#include <QtTest/QTest>

using namespace McpProxy;

namespace {

const QDateTime Start = QDateTime(QDate(2026, 1, 1), QTime(12, 0), Qt::UTC);

} // namespace

class tst_RenewalPolicy : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void renewalDelay_data();
    void renewalDelay();
    void plan_data();
    void plan();
    void needsRenewal_data();
    void needsRenewal();
    void retryDelay_data();
    void retryDelay();
};

void tst_RenewalPolicy::renewalDelay_data()
{
    QTest::addColumn<qint64>("lifetimeMs");
    QTest::addColumn<int>("skew");
    QTest::addColumn<qint64>("delayMs");
    QTest::newRow("hour, 30 s skew") << qint64(3600000) << 30 << qint64(3570000);
    QTest::newRow("exactly twice the skew") << qint64(60000) << 30 << qint64(30000);
    QTest::newRow("shorter than the skew: half") << qint64(10000) << 30 << qint64(5000);
    QTest::newRow("zero skew: at expiry") << qint64(10000) << 0 << qint64(10000);
    QTest::newRow("very short: 1 s floor") << qint64(1500) << 30 << qint64(1000);
    QTest::newRow("already expired: 1 s floor") << qint64(-5000) << 30 << qint64(1000);
}

void tst_RenewalPolicy::renewalDelay()
{
    QFETCH(qint64, lifetimeMs);
    QFETCH(int, skew);
    QFETCH(qint64, delayMs);
    QCOMPARE(RenewalPolicy::renewalDelayMs(lifetimeMs, skew), delayMs);
}

void tst_RenewalPolicy::plan_data()
{
    QTest::addColumn<qint64>("lifetimeMs"); // -1: no expiry known
    QTest::addColumn<bool>("renewable");
    QTest::addColumn<qint64>("renewAfterMs"); // -1: never (invalid renewAt)
    QTest::addColumn<qint64>("idleDelayMs");
    QTest::newRow("no expiry known") << qint64(-1) << true << qint64(-1) << qint64(-1);
    QTest::newRow("nothing to renew with") << qint64(3600000) << false << qint64(-1) << qint64(-1);
    QTest::newRow("an hour: skew before expiry")
            << qint64(3600000) << true << qint64(3540000) << qint64(3540000);
    QTest::newRow("45 s: the 30 s idle floor")
            << qint64(45000) << true << qint64(22500) << qint64(30000);
    QTest::newRow("31 s: floor plus 1 s fits")
            << qint64(31000) << true << qint64(15500) << qint64(30000);
    QTest::newRow("30 s: only before use") << qint64(30000) << true << qint64(15000) << qint64(-1);
    QTest::newRow("3 s: only before use") << qint64(3000) << true << qint64(1500) << qint64(-1);
    QTest::newRow("0 s: 1 s floor, only before use")
            << qint64(0) << true << qint64(1000) << qint64(-1);
}

void tst_RenewalPolicy::plan()
{
    QFETCH(qint64, lifetimeMs);
    QFETCH(bool, renewable);
    QFETCH(qint64, renewAfterMs);
    QFETCH(qint64, idleDelayMs);
    const RenewalPolicy policy(60);
    const QDateTime expiresAt = lifetimeMs < 0 ? QDateTime() : Start.addMSecs(lifetimeMs);
    const RenewalPolicy::Plan plan = policy.plan(expiresAt, renewable, Start);
    QCOMPARE(plan.renewAt, renewAfterMs < 0 ? QDateTime() : Start.addMSecs(renewAfterMs));
    QCOMPARE(plan.idleDelayMs, idleDelayMs);
}

void tst_RenewalPolicy::needsRenewal_data()
{
    QTest::addColumn<qint64>("lifetimeMs"); // -1: no expiry known
    QTest::addColumn<bool>("issuedKnown");
    QTest::addColumn<qint64>("elapsedMs"); // since issue
    QTest::addColumn<bool>("needs");
    QTest::newRow("no expiry known") << qint64(-1) << true << qint64(999999999) << false;
    QTest::newRow("an hour, fresh") << qint64(3600000) << true << qint64(0) << false;
    QTest::newRow("an hour, 1 ms before the skew")
            << qint64(3600000) << true << qint64(3539999) << false;
    QTest::newRow("an hour, at the skew") << qint64(3600000) << true << qint64(3540000) << true;
    QTest::newRow("10 s, before half") << qint64(10000) << true << qint64(4999) << false;
    QTest::newRow("10 s, at half") << qint64(10000) << true << qint64(5000) << true;
    QTest::newRow("1 s or less left") << qint64(3600000) << true << qint64(3599000) << true;
    QTest::newRow("issue unknown, outside the skew")
            << qint64(3600000) << false << qint64(0) << false;
    QTest::newRow("issue unknown, inside the skew")
            << qint64(3600000) << false << qint64(3540000) << true;
}

void tst_RenewalPolicy::needsRenewal()
{
    QFETCH(qint64, lifetimeMs);
    QFETCH(bool, issuedKnown);
    QFETCH(qint64, elapsedMs);
    QFETCH(bool, needs);
    const RenewalPolicy policy(60);
    const QDateTime expiresAt = lifetimeMs < 0 ? QDateTime() : Start.addMSecs(lifetimeMs);
    QCOMPARE(policy.needsRenewal(
                     expiresAt, issuedKnown ? Start : QDateTime(), Start.addMSecs(elapsedMs)),
            needs);
}

void tst_RenewalPolicy::retryDelay_data()
{
    QTest::addColumn<int>("failures");
    QTest::addColumn<qint64>("delayMs");
    QTest::newRow("first") << 1 << qint64(2000);
    QTest::newRow("second") << 2 << qint64(4000);
    QTest::newRow("third") << 3 << qint64(8000);
    QTest::newRow("fourth: given up") << 4 << qint64(-1);
}

void tst_RenewalPolicy::retryDelay()
{
    QFETCH(int, failures);
    QFETCH(qint64, delayMs);
    QCOMPARE(RenewalPolicy::retryDelayMs(failures), delayMs);
}

QTEST_APPLESS_MAIN(tst_RenewalPolicy)
#include "tst_renewalpolicy.moc"
