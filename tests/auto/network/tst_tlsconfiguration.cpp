// tlsSettings() and TlsNetworkAccessManager: what --ca-bundle / MCP_PROXY_CA_BUNDLE /
// upstream.caBundle does to the TLS of every connection. Qt's default configuration stays as it
// is (the system's CAs, loaded on demand), the bundle is read once and reported when it holds no
// certificate, and a manager lets the bundle vouch for a server of its CA, over requests and
// connectToHostEncrypted() warm-ups alike, and for nothing else: not without a bundle, not with an
// impostor CA's bundle, not for another host name. (BundleTrust's own rule is tst_bundletrust's.)
// Under Wine the handshakes here run on Qt's OpenSSL backend (support/fakehttpserver.cpp); the
// proxy's Schannel client is the integration tests'.
#include "network/tlsconfiguration.h"
#include "support/fakehttpserver.h"

#include <QtCore/QFile>
#include <QtCore/QTemporaryDir>
#include <QtNetwork/QNetworkReply>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

using namespace McpProxy;
using namespace McpProxy::Test;
using namespace Qt::StringLiterals;

namespace {

QString tlsFile(const char *name)
{
    return QStringLiteral(MCPPROXY_TEST_TLS_DIR "/") + QLatin1StringView(name);
}

} // namespace

class tst_TlsConfiguration : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void settingsKeepQtsDefaults_data();
    void settingsKeepQtsDefaults();
    void bundleWithoutCertificateIsReported();
    void bundleVouchesForItsServerOnly_data();
    void bundleVouchesForItsServerOnly();

private:
    QTemporaryDir m_dir;
};

void tst_TlsConfiguration::settingsKeepQtsDefaults_data()
{
    QTest::addColumn<QStringList>("files"); // concatenated into the bundle; none: no bundle
    QTest::newRow("no bundle") << QStringList{};
    QTest::newRow("one CA") << QStringList{tlsFile("ca.pem")};
    QTest::newRow("two CAs of one name")
            << QStringList{tlsFile("ca.pem"), tlsFile("impostor-ca.pem")};
    QTest::newRow("a key among the certificates")
            << QStringList{tlsFile("server-key.pem"), tlsFile("ca.pem")};
}

void tst_TlsConfiguration::settingsKeepQtsDefaults()
{
    QFETCH(QStringList, files);
    QString bundle;
    int certificates = 0;
    if (!files.isEmpty()) {
        bundle = m_dir.filePath(u"bundle.pem"_s);
        QFile out(bundle);
        QVERIFY(out.open(QIODevice::WriteOnly | QIODevice::Truncate));
        for (const QString &file : std::as_const(files)) {
            QFile in(file);
            QVERIFY2(in.open(QIODevice::ReadOnly), qPrintable(file));
            const QByteArray pem = in.readAll();
            certificates += int(pem.count("-----BEGIN CERTIFICATE-----"));
            out.write(pem);
        }
    }

    QString warning;
    const TlsSettings settings = tlsSettings(bundle, &warning);
    QCOMPARE(warning, QString());
    // Nothing is added to Qt's configuration: its CA list stays the system's, loaded on demand
    // (listing CA certificates would end that, QSslConfiguration::addCaCertificates()).
    QVERIFY(settings.configuration == QSslConfiguration::defaultConfiguration());
    QCOMPARE(bool(settings.bundle), certificates > 0);
    if (settings.bundle)
        QCOMPARE(settings.bundle->size(), certificates);
}

void tst_TlsConfiguration::bundleWithoutCertificateIsReported()
{
    // Only the key, not a certificate: the user learns that the bundle adds nothing.
    const QString keyOnly = tlsFile("server-key.pem");
    QString warning;
    const TlsSettings settings = tlsSettings(keyOnly, &warning);
    QVERIFY2(warning.contains(keyOnly) && warning.contains(u"no PEM certificate"),
            qPrintable(warning));
    QVERIFY(!settings.bundle);
    QVERIFY(settings.configuration == QSslConfiguration::defaultConfiguration());
}

void tst_TlsConfiguration::bundleVouchesForItsServerOnly_data()
{
    QTest::addColumn<QString>("bundle"); // empty: none
    QTest::addColumn<QString>("peerName"); // the name to verify; empty: the URL's host
    QTest::addColumn<bool>("warmUp"); // connectToHostEncrypted(), else a GET
    QTest::addColumn<bool>("trusted");

    const QString ca = FakeHttpServer::testCaPath();
    const QString impostor = FakeHttpServer::impostorCaPath();
    for (bool warmUp : {false, true}) {
        const char *how = warmUp ? "warm-up" : "request";
        QTest::addRow("%s, no bundle", how) << QString() << QString() << warmUp << false;
        QTest::addRow("%s, the server's CA", how) << ca << QString() << warmUp << true;
        QTest::addRow("%s, the server's CA, by name", how)
                << ca << u"localhost"_s << warmUp << true;
        QTest::addRow("%s, the server's CA, another name", how)
                << ca << u"mcp.example.test"_s << warmUp << false;
        QTest::addRow("%s, an impostor CA of the same name", how)
                << impostor << QString() << warmUp << false;
    }
}

void tst_TlsConfiguration::bundleVouchesForItsServerOnly()
{
    QFETCH(QString, bundle);
    QFETCH(QString, peerName);
    QFETCH(bool, warmUp);
    QFETCH(bool, trusted);

    FakeHttpServer server;
    server.setTlsConfiguration(FakeHttpServer::testTlsConfiguration());
    server.setHandler([](const FakeHttpRequest &, FakeHttpResponder *responder) {
        responder->reply(200, {}, "ok");
    });
    QVERIFY(server.listen());

    TlsNetworkAccessManager manager;
    manager.setTlsSettings(tlsSettings(bundle));
    QList<QSslError> seen;
    connect(&manager, &QNetworkAccessManager::sslErrors, this,
            [&seen](QNetworkReply *, const QList<QSslError> &errors) { seen += errors; });
    QNetworkReply::NetworkError error = QNetworkReply::UnknownNetworkError;
    int finished = 0;
    // The warm-up's reply is deleted once it finished: its outcome is read then.
    connect(&manager, &QNetworkAccessManager::finished, this,
            [&error, &finished](QNetworkReply *reply) {
                error = reply->error();
                ++finished;
            });
    const QUrl url = server.url(u"/"_s);
    std::unique_ptr<QNetworkReply> reply;
    if (warmUp) {
        manager.connectToHostEncrypted(
                url.host(), quint16(url.port()), manager.tlsSettings().configuration, peerName);
    } else {
        QNetworkRequest request(url);
        if (!peerName.isEmpty())
            request.setPeerVerifyName(peerName);
        reply.reset(manager.get(request));
    }
    QTRY_COMPARE_WITH_TIMEOUT(finished, 1, 20000);

    QString errors;
    for (const QSslError &sslError : std::as_const(seen))
        errors += sslError.errorString() + u'\n';
    // The system's CAs alone never trust the test CA: every handshake asked.
    QVERIFY(!seen.isEmpty());
    QVERIFY2((error == QNetworkReply::NoError) == trusted, qPrintable(errors));
    if (!trusted)
        QCOMPARE(error, QNetworkReply::SslHandshakeFailedError);
    if (!warmUp)
        QCOMPARE(server.requests().size(), trusted ? 1 : 0);
}

QTEST_GUILESS_MAIN(tst_TlsConfiguration)
#include "tst_tlsconfiguration.moc"
