// tlsConfiguration(): what --ca-bundle / MCP_PROXY_CA_BUNDLE / upstream.caBundle does to the TLS
// settings of every connection: the bundle's certificates are added to the system CAs (which
// stay trusted, listed since the on-demand loading of the system's roots ends), nothing is
// taken away, nothing else changes, and a bundle without a certificate is reported. It runs with
// the platform's own TLS backend (Schannel on Windows, also under Wine): on Windows the
// integration tests cannot show the bundle trusted under Wine (support/wine.h), this shows that it
// is read and handed to Qt there.
#include "network/tlsconfiguration.h"

#include <QtCore/QFile>
#include <QtCore/QTemporaryDir>
#include <QtTest/QTest>

using namespace McpProxy;
using namespace Qt::StringLiterals;

namespace {

QString tlsFile(const char *name)
{
    return QStringLiteral(MCPPROXY_TEST_TLS_DIR "/") + QLatin1StringView(name);
}

QList<QSslCertificate> certificatesIn(const QStringList &files)
{
    QList<QSslCertificate> certificates;
    for (const QString &file : files)
        certificates += QSslCertificate::fromPath(file, QSsl::Pem);
    return certificates;
}

} // namespace

class tst_TlsConfiguration : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void bundleAddsToTheSystemCas_data();
    void bundleAddsToTheSystemCas();
    void bundleWithoutCertificateIsReported();

private:
    QTemporaryDir m_dir;
};

void tst_TlsConfiguration::bundleAddsToTheSystemCas_data()
{
    QTest::addColumn<QStringList>("files"); // concatenated into the bundle; none: no bundle
    QTest::newRow("no bundle") << QStringList{};
    QTest::newRow("one CA") << QStringList{tlsFile("ca.pem")};
    QTest::newRow("two CAs of one name")
            << QStringList{tlsFile("ca.pem"), tlsFile("impostor-ca.pem")};
}

void tst_TlsConfiguration::bundleAddsToTheSystemCas()
{
    QFETCH(QStringList, files);
    QString bundle;
    if (!files.isEmpty()) {
        bundle = m_dir.filePath(u"bundle.pem"_s);
        QFile out(bundle);
        QVERIFY(out.open(QIODevice::WriteOnly | QIODevice::Truncate));
        for (const QString &file : std::as_const(files)) {
            QFile in(file);
            QVERIFY2(in.open(QIODevice::ReadOnly), qPrintable(file));
            out.write(in.readAll());
        }
    }
    const QList<QSslCertificate> added = certificatesIn(files);
    QCOMPARE(added.size(), files.size());

    QString warning;
    const QSslConfiguration configuration = tlsConfiguration(bundle, &warning);
    const QSslConfiguration system = QSslConfiguration::defaultConfiguration();
    QCOMPARE(warning, QString());
    // Every system root stays trusted: Qt's default configuration loads them on demand, and a
    // configuration with CA certificates of its own does not, so they are listed.
    QCOMPARE(configuration.caCertificates(),
            added.isEmpty() ? system.caCertificates()
                            : QSslConfiguration::systemCaCertificates() + added);
    // Verification stays as it was: the peer is verified, with the default protocols.
    QCOMPARE(configuration.peerVerifyMode(), system.peerVerifyMode());
    QCOMPARE(configuration.protocol(), system.protocol());
    QVERIFY(configuration.localCertificate().isNull());
}

void tst_TlsConfiguration::bundleWithoutCertificateIsReported()
{
    // Only the key, not a certificate: the user learns that the bundle adds nothing.
    const QString keyOnly = tlsFile("server-key.pem");
    QString warning;
    const QSslConfiguration configuration = tlsConfiguration(keyOnly, &warning);
    QVERIFY2(warning.contains(keyOnly) && warning.contains(u"no PEM certificate"),
            qPrintable(warning));
    QCOMPARE(configuration.caCertificates(),
            QSslConfiguration::defaultConfiguration().caCertificates());
}

QTEST_GUILESS_MAIN(tst_TlsConfiguration)
#include "tst_tlsconfiguration.moc"
