// InitializeResultCache: what a file must hold to be used (table-driven), and the file itself
// (round trip, owner-only, one file per server, nothing of the URL in clear, logout's remove),
// and the remembered protocol era with the rule that lets a start skip the server/discover probe.
#include "auth/store/initializeresultcache.h"

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QJsonDocument>
#include <QtCore/QTemporaryDir>
#include <QtTest/QTest>

using namespace McpProxy;
using namespace Qt::StringLiterals;

Q_DECLARE_METATYPE(McpProxy::RememberedInitialize::Era)

namespace {

const QString Server = u"https://mcp.example.com/mcp?key=s3cret"_s;

QJsonObject initializeResult()
{
    return QJsonObject{{u"protocolVersion"_s, u"2025-11-25"_s},
            {u"capabilities"_s, QJsonObject{{u"tools"_s, QJsonObject{{u"listChanged"_s, true}}}}},
            {u"serverInfo"_s, QJsonObject{{u"name"_s, u"example"_s}, {u"version"_s, u"2"_s}}},
            {u"instructions"_s, u"Use the tools."_s}};
}

} // namespace

class tst_InitializeResultCache : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void decode_data();
    void decode();
    void roundTripOwnerOnly();
    void oneFilePerServer();
    void era_data();
    void era();
    void legacyEraSkipsTheProbeForADay_data();
    void legacyEraSkipsTheProbeForADay();
};

void tst_InitializeResultCache::decode_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<bool>("usable");

    const RememberedInitialize remembered{u"2025-11-25"_s, initializeResult()};
    const QByteArray good = InitializeResultCache::encode(Server, remembered);
    QTest::newRow("as written") << good << true;
    QTest::newRow("another server's")
            << InitializeResultCache::encode(u"https://other.example.com/mcp"_s, remembered)
            << false;
    const auto with = [&good](const QString &key, const QJsonValue &value) {
        QJsonObject object = QJsonDocument::fromJson(good).object();
        object.insert(key, value);
        return QJsonDocument(object).toJson(QJsonDocument::Compact);
    };
    const auto resultWithout = [&with](const QString &key) {
        QJsonObject result = initializeResult();
        result.remove(key);
        return with(u"result"_s, result);
    };
    QTest::newRow("another schema") << with(u"schema"_s, 2) << false;
    QTest::newRow("no requested version")
            << with(u"requestedProtocolVersion"_s, QJsonValue()) << false;
    QTest::newRow("result without protocolVersion") << resultWithout(u"protocolVersion"_s) << false;
    QTest::newRow("result without capabilities") << resultWithout(u"capabilities"_s) << false;
    QTest::newRow("result without serverInfo") << resultWithout(u"serverInfo"_s) << false;
    QTest::newRow("result not an object") << with(u"result"_s, u"x"_s) << false;
    QTest::newRow("not JSON") << "{"_ba << false;
    QTest::newRow("empty") << QByteArray() << false;
}

void tst_InitializeResultCache::decode()
{
    QFETCH(QByteArray, bytes);
    QFETCH(bool, usable);
    const auto decoded = InitializeResultCache::decode(Server, bytes);
    QCOMPARE(decoded.has_value(), usable);
    if (usable) {
        QCOMPARE(decoded->requestedVersion, u"2025-11-25"_s);
        QCOMPARE(decoded->result, initializeResult());
    }
}

void tst_InitializeResultCache::roundTripOwnerOnly()
{
    QTemporaryDir dir;
    const InitializeResultCache cache(dir.filePath(u"store"_s), Server);
    QVERIFY(!cache.load());
    QVERIFY(cache.save({u"2025-06-18"_s, initializeResult()}));
    const auto loaded = InitializeResultCache(dir.filePath(u"store"_s), Server).load();
    QVERIFY(loaded);
    QCOMPARE(loaded->requestedVersion, u"2025-06-18"_s);
    QCOMPARE(loaded->result, initializeResult());
    QVERIFY(cache.filePath().startsWith(dir.filePath(u"store/initialize/v1/"_s)));
#ifndef Q_OS_WIN
    // On Windows the owner-only access list is the meaning of 0600 (tst_tokenstore checks it);
    // Qt's permission bits show only the read-only attribute there.
    const QFile::Permissions loose = QFile::ReadGroup | QFile::WriteGroup | QFile::ExeGroup
            | QFile::ReadOther | QFile::WriteOther | QFile::ExeOther;
    QCOMPARE(QFile::permissions(cache.filePath()) & loose, QFile::Permissions());
    QCOMPARE(QFile::permissions(dir.filePath(u"store/initialize/v1"_s)) & loose,
            QFile::Permissions());
#endif
    QFile file(cache.filePath());
    QVERIFY(file.open(QIODevice::ReadOnly));
    QVERIFY(!file.readAll().contains("s3cret")); // the URL's query may hold a secret
    file.close();
    QVERIFY(cache.remove());
    QVERIFY(!QFile::exists(cache.filePath()));
    QVERIFY(cache.remove()); // nothing left to remove is fine
}

void tst_InitializeResultCache::oneFilePerServer()
{
    QTemporaryDir dir;
    const InitializeResultCache a(dir.path(), u"https://a.example/mcp"_s);
    const InitializeResultCache b(dir.path(), u"https://b.example/mcp"_s);
    QVERIFY(a.filePath() != b.filePath());
    QVERIFY(a.save({u"2025-11-25"_s, initializeResult()}));
    QVERIFY(!b.load());
    // A file copied over another server's is not used for it.
    QVERIFY(QFile::copy(a.filePath(), b.filePath()));
    QVERIFY(!b.load());
}

void tst_InitializeResultCache::era_data()
{
    using Era = RememberedInitialize::Era;
    QTest::addColumn<QJsonValue>("era");
    QTest::addColumn<QJsonValue>("detectedAt");
    QTest::addColumn<Era>("expected");
    const QJsonValue at = u"2026-12-01T10:00:00.000Z"_s;
    QTest::newRow("legacy") << QJsonValue(u"legacy"_s) << at << Era::Legacy;
    QTest::newRow("modern") << QJsonValue(u"modern"_s) << at << Era::Modern;
    QTest::newRow("none (an older file)") << QJsonValue() << QJsonValue() << Era::Unknown;
    QTest::newRow("unknown name") << QJsonValue(u"future"_s) << at << Era::Unknown;
    QTest::newRow("not a string") << QJsonValue(1) << at << Era::Unknown;
    QTest::newRow("legacy without a time")
            << QJsonValue(u"legacy"_s) << QJsonValue() << Era::Unknown;
    QTest::newRow("legacy with a broken time")
            << QJsonValue(u"legacy"_s) << QJsonValue(u"yesterday"_s) << Era::Unknown;
}

void tst_InitializeResultCache::era()
{
    using Era = RememberedInitialize::Era;
    QFETCH(QJsonValue, era);
    QFETCH(QJsonValue, detectedAt);
    QFETCH(Era, expected);
    QJsonObject object = QJsonDocument::fromJson(
            InitializeResultCache::encode(
                    Server, RememberedInitialize{u"2025-11-25"_s, initializeResult()}))
                                 .object();
    QVERIFY(!object.contains(u"era")); // nothing detected, nothing written
    if (!era.isNull())
        object.insert(u"era"_s, era);
    if (!detectedAt.isNull())
        object.insert(u"eraDetectedAt"_s, detectedAt);
    const auto decoded = InitializeResultCache::decode(
            Server, QJsonDocument(object).toJson(QJsonDocument::Compact));
    QVERIFY(decoded.has_value()); // the era never makes the result unusable
    QCOMPARE(decoded->era, expected);
    QCOMPARE(decoded->eraDetectedAt.isValid(), expected != Era::Unknown);
    if (expected == Era::Unknown)
        return;
    // ... and survives a write and a read.
    const auto again =
            InitializeResultCache::decode(Server, InitializeResultCache::encode(Server, *decoded));
    QVERIFY(again.has_value());
    QCOMPARE(again->era, expected);
    QCOMPARE(again->eraDetectedAt, decoded->eraDetectedAt);
    QCOMPARE(again->eraDetectedAt, QDateTime(QDate(2026, 12, 1), QTime(10, 0), Qt::UTC));
}

void tst_InitializeResultCache::legacyEraSkipsTheProbeForADay_data()
{
    using Era = RememberedInitialize::Era;
    QTest::addColumn<Era>("era");
    QTest::addColumn<qint64>("ageSeconds"); // now minus eraDetectedAt
    QTest::addColumn<bool>("skips");
    const qint64 day = RememberedInitialize::LegacyEraTrustSeconds;
    QTest::newRow("legacy, just detected") << Era::Legacy << qint64(0) << true;
    QTest::newRow("legacy, an hour ago") << Era::Legacy << qint64(3600) << true;
    QTest::newRow("legacy, a second short of a day") << Era::Legacy << day - 1 << true;
    QTest::newRow("legacy, a day ago: probe again") << Era::Legacy << day << false;
    QTest::newRow("legacy, detected in the future (clock set back)")
            << Era::Legacy << qint64(-60) << false;
    QTest::newRow("modern: its probe is its initialize") << Era::Modern << qint64(0) << false;
    QTest::newRow("unknown") << Era::Unknown << qint64(0) << false;
}

void tst_InitializeResultCache::legacyEraSkipsTheProbeForADay()
{
    using Era = RememberedInitialize::Era;
    QFETCH(Era, era);
    QFETCH(qint64, ageSeconds);
    QFETCH(bool, skips);
    const QDateTime now(QDate(2026, 12, 3), QTime(6, 0), Qt::UTC);
    RememberedInitialize remembered{u"2025-11-25"_s, initializeResult()};
    remembered.era = era;
    remembered.eraDetectedAt = now.addSecs(-ageSeconds);
    QCOMPARE(remembered.skipsProbeAt(now), skips);
    remembered.eraDetectedAt = QDateTime();
    QVERIFY(!remembered.skipsProbeAt(now)); // no time, no trust
}

QTEST_APPLESS_MAIN(tst_InitializeResultCache)
#include "tst_initializeresultcache.moc"
