// BundleTrust: when the CA bundle (--ca-bundle / MCP_PROXY_CA_BUNDLE / upstream.caBundle) vouches
// for a TLS peer that the system's CAs do not know, seen from an attacker's side. The
// certificates are made here with libcrypto, for one fixed instant: the bundle's CA and an
// impostor CA of the same name, an intermediate CA, and leaves that differ in one property each
// (issuer, names, validity, extended key usage, an issuer that is no CA).
#include "network/bundletrust.h"

#include "crypto/opensslhandles.h"

#include <QtCore/QHash>
#include <QtTest/QTest>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

using namespace McpProxy;
using namespace Qt::StringLiterals;

namespace {

// The instant every check runs at, unless a row says otherwise.
const QDateTime Now(QDate(2030, 1, 1), QTime(12, 0), Qt::UTC);
constexpr qint64 Day = 24 * 3600;

struct Spec
{
    QByteArray commonName;
    bool ca = false;
    QByteArray subjectAltName; // e.g. "DNS:a.test,IP:10.0.0.1"; empty: none
    QByteArray extendedKeyUsage = "serverAuth"; // empty: none
    qint64 notBefore = -Day; // seconds from Now
    qint64 notAfter = 365 * Day;
};

struct Issued
{
    EvpPkeyPointer key;
    X509Pointer x509;
    QSslCertificate certificate;
};

bool addExtension(X509 *certificate, X509 *issuer, int nid, const QByteArray &value)
{
    X509V3_CTX context;
    X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
    const X509ExtensionPointer extension(
            X509V3_EXT_conf_nid(nullptr, &context, nid, value.constData()));
    return extension && X509_add_ext(certificate, extension.get(), -1) == 1;
}

// A certificate for `spec`, signed by `issuer` (null: by its own key).
std::shared_ptr<Issued> issue(const Spec &spec, const Issued *issuer)
{
    static long serial = 1;
    auto out = std::make_shared<Issued>();
    out->key.reset(EVP_EC_gen("P-256"));
    out->x509.reset(X509_new());
    X509 *x = out->x509.get();
    if (!out->key || !x)
        return {};
    X509 *signer = issuer ? issuer->x509.get() : x;
    EVP_PKEY *signingKey = issuer ? issuer->key.get() : out->key.get();
    const time_t now = time_t(Now.toSecsSinceEpoch());
    bool ok = X509_set_version(x, 2) == 1
            && ASN1_INTEGER_set(X509_get_serialNumber(x), ++serial) == 1
            && ASN1_TIME_set(X509_getm_notBefore(x), now + time_t(spec.notBefore))
            && ASN1_TIME_set(X509_getm_notAfter(x), now + time_t(spec.notAfter))
            && X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                       reinterpret_cast<const unsigned char *>(spec.commonName.constData()), -1, -1,
                       0)
                    == 1
            && X509_set_issuer_name(x, X509_get_subject_name(signer)) == 1
            && X509_set_pubkey(x, out->key.get()) == 1
            && addExtension(x, signer, NID_basic_constraints,
                    spec.ca ? "critical,CA:TRUE" : "critical,CA:FALSE")
            && addExtension(x, signer, NID_key_usage,
                    spec.ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature")
            && addExtension(x, signer, NID_subject_key_identifier, "hash")
            && (!issuer || addExtension(x, signer, NID_authority_key_identifier, "keyid:always"))
            && (spec.subjectAltName.isEmpty()
                    || addExtension(x, signer, NID_subject_alt_name, spec.subjectAltName))
            && (spec.extendedKeyUsage.isEmpty()
                    || addExtension(x, signer, NID_ext_key_usage, spec.extendedKeyUsage))
            && X509_sign(x, signingKey, EVP_sha256()) > 0;
    if (!ok)
        return {};
    unsigned char *der = nullptr;
    const int length = i2d_X509(x, &der);
    if (length <= 0)
        return {};
    out->certificate =
            QSslCertificate(QByteArray(reinterpret_cast<const char *>(der), length), QSsl::Der);
    OPENSSL_free(der);
    return out->certificate.isNull() ? nullptr : out;
}

const QByteArray Host = "mcp.example.test";
const QByteArray HostSan = "DNS:mcp.example.test";

} // namespace

class tst_BundleTrust : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void verifies_data();
    void verifies();
    void vouchesOnlyForAnchorErrors_data();
    void vouchesOnlyForAnchorErrors();
    void anchorErrors_data();
    void anchorErrors();
    void emptyBundleVouchesForNothing();

private:
    QList<QSslCertificate> certificates(const QStringList &names) const;

    QHash<QString, std::shared_ptr<Issued>> m_issued;
};

void tst_BundleTrust::initTestCase()
{
    const auto make = [this](const QString &name, const Spec &spec, const QString &issuer) {
        const std::shared_ptr<Issued> signer = issuer.isEmpty() ? nullptr : m_issued.value(issuer);
        std::shared_ptr<Issued> made = issue(spec, signer.get());
        QVERIFY2(made, qPrintable(name));
        m_issued.insert(name, made);
    };
    Spec root{"Test Root", true, {}, {}};
    make(u"root"_s, root, {});
    make(u"impostor root"_s, root, {}); // the same name, another key
    make(u"intermediate"_s, {"Test Intermediate", true, {}, {}}, u"root"_s);
    make(u"leaf"_s, {Host, false, HostSan}, u"root"_s);
    make(u"impostor leaf"_s, {Host, false, HostSan}, u"impostor root"_s);
    make(u"leaf via intermediate"_s, {Host, false, HostSan}, u"intermediate"_s);
    make(u"IP leaf"_s, {"addresses", false, "IP:10.1.2.3,IP:::1"}, u"root"_s);
    make(u"expired leaf"_s, {Host, false, HostSan, "serverAuth", -30 * Day, -Day}, u"root"_s);
    make(u"future leaf"_s, {Host, false, HostSan, "serverAuth", Day, 30 * Day}, u"root"_s);
    make(u"client leaf"_s, {Host, false, HostSan, "clientAuth"}, u"root"_s);
    make(u"leaf without EKU"_s, {Host, false, HostSan, {}}, u"root"_s);
    // A server certificate (CA:FALSE) that signs another: no CA, whatever it signs.
    make(u"non-CA issuer"_s, {"Not a CA", false, "DNS:not-a-ca.example.test"}, u"root"_s);
    make(u"leaf of a non-CA"_s, {Host, false, HostSan}, u"non-CA issuer"_s);
    make(u"self-signed leaf"_s, {Host, false, HostSan}, {});
    make(u"wildcard leaf"_s, {"wildcard", false, "DNS:*.example.test"}, u"root"_s);
    make(u"partial wildcard leaf"_s, {"partial", false, "DNS:m*.example.test"}, u"root"_s);
    make(u"CN-only leaf"_s, {Host, false, {}}, u"root"_s);
    make(u"expired root"_s, {"Expired Root", true, {}, {}, -30 * Day, -Day}, {});
    make(u"leaf of an expired root"_s, {Host, false, HostSan}, u"expired root"_s);
}

QList<QSslCertificate> tst_BundleTrust::certificates(const QStringList &names) const
{
    QList<QSslCertificate> out;
    for (const QString &name : names) {
        const std::shared_ptr<Issued> issued = m_issued.value(name);
        if (!issued)
            qFatal("no certificate %s", qPrintable(name));
        out.append(issued->certificate);
    }
    return out;
}

void tst_BundleTrust::verifies_data()
{
    QTest::addColumn<QStringList>("bundle");
    QTest::addColumn<QStringList>("chain"); // what the peer sent, leaf first
    QTest::addColumn<QString>("host");
    QTest::addColumn<qint64>("at"); // seconds from Now
    QTest::addColumn<bool>("trusted");

    const QStringList root{u"root"_s};
    const QString host = QString::fromLatin1(Host);

    QTest::newRow("issued by the bundle's CA")
            << root << QStringList{u"leaf"_s} << host << 0LL << true;
    QTest::newRow("the bundle's CA also sent by the peer")
            << root << QStringList{u"leaf"_s, u"root"_s} << host << 0LL << true;
    QTest::newRow("an impostor CA of the same name issued it")
            << root << QStringList{u"impostor leaf"_s} << host << 0LL << false;
    QTest::newRow("an impostor CA issued it and the peer sends that CA")
            << root << QStringList{u"impostor leaf"_s, u"impostor root"_s} << host << 0LL << false;
    QTest::newRow("the bundle holds the impostor")
            << QStringList{u"impostor root"_s} << QStringList{u"leaf"_s} << host << 0LL << false;
    QTest::newRow("the bundle holds the impostor and the CA")
            << QStringList{u"impostor root"_s, u"root"_s} << QStringList{u"leaf"_s} << host << 0LL
            << true;
    QTest::newRow("the right CA, another host")
            << root << QStringList{u"leaf"_s} << u"other.example.test"_s << 0LL << false;
    QTest::newRow("the right CA, a parent domain")
            << root << QStringList{u"leaf"_s} << u"example.test"_s << 0LL << false;
    QTest::newRow("the right CA, a subdomain")
            << root << QStringList{u"leaf"_s} << u"a.mcp.example.test"_s << 0LL << false;
    QTest::newRow("the host in other case")
            << root << QStringList{u"leaf"_s} << u"MCP.Example.Test"_s << 0LL << true;
    QTest::newRow("no host") << root << QStringList{u"leaf"_s} << QString() << 0LL << false;
    QTest::newRow("an IPv4 literal of the subjectAltName")
            << root << QStringList{u"IP leaf"_s} << u"10.1.2.3"_s << 0LL << true;
    QTest::newRow("an IPv6 literal of the subjectAltName")
            << root << QStringList{u"IP leaf"_s} << u"::1"_s << 0LL << true;
    QTest::newRow("another IP literal")
            << root << QStringList{u"IP leaf"_s} << u"10.1.2.4"_s << 0LL << false;
    QTest::newRow("the CN of a certificate with subjectAltName")
            << root << QStringList{u"IP leaf"_s} << u"addresses"_s << 0LL << false;
    QTest::newRow("a DNS name's certificate for an IP literal")
            << root << QStringList{u"leaf"_s} << u"127.0.0.1"_s << 0LL << false;
    QTest::newRow("an expired leaf")
            << root << QStringList{u"expired leaf"_s} << host << 0LL << false;
    QTest::newRow("a leaf not yet valid")
            << root << QStringList{u"future leaf"_s} << host << 0LL << false;
    QTest::newRow("a good leaf, after its end")
            << root << QStringList{u"leaf"_s} << host << qint64(366 * Day) << false;
    QTest::newRow("a leaf of an expired root")
            << QStringList{u"expired root"_s} << QStringList{u"leaf of an expired root"_s} << host
            << 0LL << false;
    QTest::newRow("a leaf for clients only")
            << root << QStringList{u"client leaf"_s} << host << 0LL << false;
    QTest::newRow("a leaf without extended key usage")
            << root << QStringList{u"leaf without EKU"_s} << host << 0LL << true;
    QTest::newRow("an intermediate from the peer's chain")
            << root << QStringList{u"leaf via intermediate"_s, u"intermediate"_s} << host << 0LL
            << true;
    QTest::newRow("an intermediate the peer does not send")
            << root << QStringList{u"leaf via intermediate"_s} << host << 0LL << false;
    QTest::newRow("the intermediate in the bundle")
            << QStringList{u"intermediate"_s} << QStringList{u"leaf via intermediate"_s} << host
            << 0LL << true;
    QTest::newRow("unrelated certificates in the peer's chain")
            << root
            << QStringList{u"leaf via intermediate"_s, u"impostor root"_s, u"intermediate"_s}
            << host << 0LL << true;
    QTest::newRow("an issuer that is no CA, sent by the peer")
            << root << QStringList{u"leaf of a non-CA"_s, u"non-CA issuer"_s} << host << 0LL
            << false;
    QTest::newRow("an issuer that is no CA, in the bundle")
            << QStringList{u"non-CA issuer"_s} << QStringList{u"leaf of a non-CA"_s} << host << 0LL
            << false;
    QTest::newRow("a self-signed leaf in the bundle")
            << QStringList{u"self-signed leaf"_s} << QStringList{u"self-signed leaf"_s} << host
            << 0LL << true;
    QTest::newRow("a self-signed leaf not in the bundle")
            << root << QStringList{u"self-signed leaf"_s} << host << 0LL << false;
    QTest::newRow("a wildcard") << root << QStringList{u"wildcard leaf"_s} << host << 0LL << true;
    QTest::newRow("a wildcard, two labels deeper")
            << root << QStringList{u"wildcard leaf"_s} << u"a.mcp.example.test"_s << 0LL << false;
    QTest::newRow("a partial wildcard")
            << root << QStringList{u"partial wildcard leaf"_s} << host << 0LL << false;
    QTest::newRow("a common name without subjectAltName")
            << root << QStringList{u"CN-only leaf"_s} << host << 0LL << true;
}

void tst_BundleTrust::verifies()
{
    QFETCH(QStringList, bundle);
    QFETCH(QStringList, chain);
    QFETCH(QString, host);
    QFETCH(qint64, at);
    QFETCH(bool, trusted);

    const BundleTrust trust(certificates(bundle));
    QCOMPARE(trust.size(), bundle.size());
    BundleTrust::Peer peer;
    peer.chain = certificates(chain);
    peer.certificate = peer.chain.first();
    peer.host = host;
    QString reason;
    QCOMPARE(trust.verifies(peer, Now.addSecs(at), &reason), trusted);
    // A refusal says why.
    QVERIFY(trusted || !reason.isEmpty());
}

void tst_BundleTrust::vouchesOnlyForAnchorErrors_data()
{
    QTest::addColumn<QList<int>>("errors"); // QSslError::SslError, about the leaf
    QTest::addColumn<QString>("leaf");
    QTest::addColumn<bool>("aboutAnotherCertificate"); // the first error names a stranger
    QTest::addColumn<bool>("ignored");

    const QString leaf = u"leaf"_s;
    QTest::newRow("OpenSSL: unknown issuer")
            << QList<int>{QSslError::UnableToGetLocalIssuerCertificate,
                       QSslError::UnableToVerifyFirstCertificate}
            << leaf << false << true;
    QTest::newRow("Schannel: partial chain, untrusted root")
            << QList<int>{QSslError::UnableToGetIssuerCertificate, QSslError::CertificateUntrusted}
            << leaf << false << true;
    QTest::newRow("a self-signed leaf that the bundle holds")
            << QList<int>{QSslError::SelfSignedCertificate} << u"self-signed leaf"_s << false
            << true;
    QTest::newRow("unknown issuer and a host name mismatch")
            << QList<int>{QSslError::UnableToGetLocalIssuerCertificate, QSslError::HostNameMismatch}
            << leaf << false << false;
    QTest::newRow("unknown issuer and an expired certificate") << QList<int>{
            QSslError::UnableToGetLocalIssuerCertificate,
            QSslError::CertificateExpired} << leaf << false << false;
    QTest::newRow("unknown issuer and an invalid purpose")
            << QList<int>{QSslError::UnableToGetLocalIssuerCertificate, QSslError::InvalidPurpose}
            << leaf << false << false;
    QTest::newRow("unknown issuer and an unspecified error")
            << QList<int>{QSslError::UnableToGetLocalIssuerCertificate, QSslError::UnspecifiedError}
            << leaf << false << false;
    QTest::newRow("no error") << QList<int>{} << leaf << false << false;
    QTest::newRow("anchor errors, a chain the bundle refuses")
            << QList<int>{QSslError::UnableToGetLocalIssuerCertificate} << u"impostor leaf"_s
            << false << false;
    QTest::newRow("anchor errors about a certificate the peer did not send")
            << QList<int>{QSslError::UnableToGetLocalIssuerCertificate} << leaf << true << false;
}

void tst_BundleTrust::vouchesOnlyForAnchorErrors()
{
    QFETCH(QList<int>, errors);
    QFETCH(QString, leaf);
    QFETCH(bool, aboutAnotherCertificate);
    QFETCH(bool, ignored);

    // The bundle holds the self-signed leaf too (a server's own certificate).
    const BundleTrust trust(certificates({u"root"_s, u"self-signed leaf"_s}));
    BundleTrust::Peer peer;
    peer.certificate = certificates({leaf}).first();
    peer.chain = {peer.certificate};
    peer.host = QString::fromLatin1(Host);
    QList<QSslError> sslErrors;
    for (int error : std::as_const(errors)) {
        const QSslCertificate about = aboutAnotherCertificate && sslErrors.isEmpty()
                ? certificates({u"impostor root"_s}).first()
                : peer.certificate;
        sslErrors.append(QSslError(QSslError::SslError(error), about));
    }
    QString reason;
    QCOMPARE(trust.vouchesFor(sslErrors, peer, Now, &reason), ignored);
    QVERIFY(ignored || !reason.isEmpty());
    // Only the impostor's row is refused for its chain; the others for their errors.
    QCOMPARE(trust.verifies(peer, Now), leaf != u"impostor leaf"_s);
}

void tst_BundleTrust::anchorErrors_data()
{
    QTest::addColumn<int>("error");
    QTest::addColumn<bool>("anchor");
    const QList<QSslError::SslError> anchors{QSslError::UnableToGetIssuerCertificate,
            QSslError::UnableToGetLocalIssuerCertificate, QSslError::UnableToVerifyFirstCertificate,
            QSslError::SelfSignedCertificate, QSslError::SelfSignedCertificateInChain,
            QSslError::CertificateUntrusted};
    // Every error Qt 6.4 names (QSslError::SslError runs from NoError to OcspStatusUnknown).
    for (int error = QSslError::NoError; error <= QSslError::OcspStatusUnknown; ++error) {
        const QString name = QSslError(QSslError::SslError(error)).errorString();
        QTest::addRow("%d %s", error, qPrintable(name))
                << error << anchors.contains(QSslError::SslError(error));
    }
    QTest::newRow("UnspecifiedError") << int(QSslError::UnspecifiedError) << false;
}

void tst_BundleTrust::anchorErrors()
{
    QFETCH(int, error);
    QFETCH(bool, anchor);
    QCOMPARE(BundleTrust::isAnchorError(QSslError::SslError(error)), anchor);
}

void tst_BundleTrust::emptyBundleVouchesForNothing()
{
    const BundleTrust trust(QList<QSslCertificate>{});
    QCOMPARE(trust.size(), 0);
    BundleTrust::Peer peer;
    peer.certificate = certificates({u"self-signed leaf"_s}).first();
    peer.chain = {peer.certificate};
    peer.host = QString::fromLatin1(Host);
    QVERIFY(!trust.vouchesFor(
            {QSslError(QSslError::SelfSignedCertificate, peer.certificate)}, peer, Now));
}

QTEST_GUILESS_MAIN(tst_BundleTrust)
#include "tst_bundletrust.moc"
