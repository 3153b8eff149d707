#include "network/bundletrust.h"

#include "crypto/opensslhandles.h"

#include <QtCore/QUrl>
#include <QtNetwork/QHostAddress>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <vector>

namespace McpProxy {

using namespace Qt::StringLiterals;

namespace {

X509Pointer toX509(const QSslCertificate &certificate)
{
    const QByteArray der = certificate.toDer();
    if (der.isEmpty())
        return {};
    const auto *data = reinterpret_cast<const unsigned char *>(der.constData());
    X509Pointer parsed(d2i_X509(nullptr, &data, long(der.size())));
    // Trailing bytes would mean that Qt's certificate is not the one OpenSSL read.
    if (parsed && data != reinterpret_cast<const unsigned char *>(der.constData()) + der.size())
        parsed.reset();
    return parsed;
}

} // namespace

BundleTrust::BundleTrust(const QList<QSslCertificate> &anchors)
    : m_store(X509_STORE_new())
{
    if (!m_store)
        return;
    for (const QSslCertificate &anchor : anchors) {
        const X509Pointer certificate = toX509(anchor);
        // X509_STORE_add_cert takes its own reference; a duplicate is not an error since
        // OpenSSL 1.1.1.
        if (certificate && X509_STORE_add_cert(m_store, certificate.get()) == 1)
            ++m_size;
    }
    ERR_clear_error();
}

BundleTrust::~BundleTrust()
{
    X509_STORE_free(m_store);
}

bool BundleTrust::isAnchorError(QSslError::SslError error)
{
    switch (error) {
    case QSslError::UnableToGetIssuerCertificate:
    case QSslError::UnableToGetLocalIssuerCertificate:
    case QSslError::UnableToVerifyFirstCertificate:
    case QSslError::SelfSignedCertificate:
    case QSslError::SelfSignedCertificateInChain:
    case QSslError::CertificateUntrusted:
        return true;
    default:
        // Signatures, validity periods, purposes, CA flags, path lengths, revocation, explicit
        // distrust, host names, a missing peer certificate, and whatever a backend cannot name
        // (UnspecifiedError): never the bundle's to overrule.
        return false;
    }
}

bool BundleTrust::vouchesFor(const QList<QSslError> &errors, const Peer &peer, const QDateTime &now,
        QString *reason) const
{
    const auto refuse = [reason](const QString &why) {
        if (reason)
            *reason = why;
        return false;
    };
    if (errors.isEmpty())
        return refuse(u"no verification error to ignore"_s);
    for (const QSslError &error : errors) {
        if (!isAnchorError(error.error()))
            return refuse(error.errorString());
        const QSslCertificate certificate = error.certificate();
        if (!certificate.isNull() && certificate != peer.certificate
                && !peer.chain.contains(certificate)) {
            return refuse(u"an error about a certificate that is not the peer's"_s);
        }
    }
    return verifies(peer, now, reason);
}

bool BundleTrust::verifies(const Peer &peer, const QDateTime &now, QString *reason) const
{
    const auto refuse = [reason](const QString &why) {
        if (reason)
            *reason = why;
        ERR_clear_error();
        return false;
    };
    if (!m_store || m_size == 0)
        return refuse(u"the CA bundle holds no certificate"_s);
    if (!now.isValid())
        return refuse(u"no time to verify at"_s);
    const X509Pointer leaf = toX509(peer.certificate);
    if (!leaf)
        return refuse(u"no peer certificate"_s);
    // The stack only points to the certificates; `intermediates` owns them.
    std::vector<X509Pointer> intermediates;
    const X509StackPointer untrusted(sk_X509_new_null());
    if (!untrusted)
        return refuse(u"out of memory"_s);
    for (const QSslCertificate &certificate : peer.chain) {
        if (certificate == peer.certificate)
            continue;
        intermediates.push_back(toX509(certificate));
        if (!intermediates.back())
            return refuse(u"a certificate of the peer's chain cannot be read"_s);
        if (sk_X509_push(untrusted.get(), intermediates.back().get()) <= 0)
            return refuse(u"out of memory"_s);
    }

    const X509StoreContextPointer context(X509_STORE_CTX_new());
    if (!context || X509_STORE_CTX_init(context.get(), m_store, leaf.get(), untrusted.get()) != 1) {
        return refuse(u"OpenSSL cannot verify"_s);
    }
    // The purpose also sets the trust setting checked at the anchor (X509_TRUST_SSL_SERVER).
    if (X509_STORE_CTX_set_purpose(context.get(), X509_PURPOSE_SSL_SERVER) != 1)
        return refuse(u"OpenSSL cannot verify"_s);
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(context.get());
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
    X509_VERIFY_PARAM_set_time(param, time_t(now.toSecsSinceEpoch()));

    const QString &host = peer.host;
    if (host.isEmpty())
        return refuse(u"no host name to verify"_s);
    const QHostAddress address(host);
    if (!address.isNull()) {
        // A scope (fe80::1%eth0) is no part of a certificate.
        if (!address.scopeId().isEmpty()
                || X509_VERIFY_PARAM_set1_ip_asc(param, host.toLatin1().constData()) != 1) {
            return refuse(u"the IP address %1 cannot be verified"_s.arg(host));
        }
    } else {
        const QByteArray ace = QUrl::toAce(host);
        if (ace.isEmpty())
            return refuse(u"the host name %1 cannot be verified"_s.arg(host));
        // The subject's CN names the server only in a certificate without subjectAltName
        // (RFC 6125 section 6.4.4; OpenSSL alone would also read it next to iPAddress entries).
        unsigned int flags = X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS;
        if (X509_get_ext_by_NID(leaf.get(), NID_subject_alt_name, -1) >= 0)
            flags |= X509_CHECK_FLAG_NEVER_CHECK_SUBJECT;
        X509_VERIFY_PARAM_set_hostflags(param, flags);
        if (X509_VERIFY_PARAM_set1_host(param, ace.constData(), std::size_t(ace.size())) != 1)
            return refuse(u"the host name %1 cannot be verified"_s.arg(host));
    }

    if (X509_verify_cert(context.get()) != 1) {
        const int error = X509_STORE_CTX_get_error(context.get());
        return refuse(QString::fromLatin1(X509_verify_cert_error_string(error)));
    }
    return true;
}

} // namespace McpProxy
