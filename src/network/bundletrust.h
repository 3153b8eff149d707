#pragma once

#include <QtCore/QDateTime>
#include <QtCore/QList>
#include <QtCore/QString>
#include <QtNetwork/QSslCertificate>
#include <QtNetwork/QSslError>

#include <memory>

struct x509_store_st; // OpenSSL's X509_STORE

namespace McpProxy {

// The certificates of upstream.caBundle / MCP_PROXY_CA_BUNDLE / --ca-bundle as trust anchors of
// their own, beside the system's CAs that Qt trusts by itself. The one owner of the rule that lets
// a bundle make a server trusted:
// - Qt verifies every TLS peer against the system CAs (loaded on demand) and reports what failed
//   (QNetworkAccessManager::sslErrors). Only when each reported error says no more than that the
//   chain ends at a CA the system does not know (isAnchorError()) may the bundle step in: a host
//   name mismatch, an expired, revoked, misused or badly signed certificate is never ignored.
// - The bundle then verifies the peer's chain itself (vouchesFor(), OpenSSL's X509_verify_cert):
//   only the bundle's certificates are anchors, the certificates the peer sent are untrusted
//   intermediates, the leaf must be a TLS server certificate (X509_PURPOSE_SSL_SERVER: extended
//   key usage serverAuth when present, key usage), every issuer a CA (basicConstraints, path
//   length, name constraints), every certificate valid at `now`, and the leaf must name the host
//   (RFC 6125: a DNS name of subjectAltName, the subject's CN only in a certificate without
//   subjectAltName; a wildcard only as a whole left-most label) or, for an IP literal, carry it as
//   an iPAddress of subjectAltName.
// - Any certificate of the bundle is an anchor, a self-signed root as well as an intermediate CA
//   or a server's own (self-signed) certificate (X509_V_FLAG_PARTIAL_CHAIN, as curl trusts its
//   --cacert). A certificate counts only when it is byte for byte one of the bundle: another CA of
//   the same name (an impostor) vouches for nothing.
// - Every error must be about a certificate of the chain that was verified (or about none): the
//   errors and the chain describe one handshake.
// No revocation check: like Qt's OpenSSL backend, nothing fetches CRLs or OCSP answers.
// Pure: no QObject, no clock of its own, no I/O after construction.
class BundleTrust
{
public:
    // The peer of one TLS handshake, as Qt reports it.
    struct Peer
    {
        QSslCertificate certificate; // the leaf (QSslConfiguration::peerCertificate())
        // What the peer sent or the backend built, leaf first (peerCertificateChain()); the leaf
        // is skipped wherever it appears.
        QList<QSslCertificate> chain;
        // The name the connection was opened for: the request URL's host (ACE form, or an IP
        // literal without brackets), or the request's peerVerifyName when it has one.
        QString host;
    };

    explicit BundleTrust(const QList<QSslCertificate> &anchors);
    ~BundleTrust();
    BundleTrust(const BundleTrust &) = delete;
    BundleTrust &operator=(const BundleTrust &) = delete;

    // The bundle's certificates that OpenSSL could read.
    int size() const { return m_size; }

    // Whether `error` only says that the chain does not end at a CA the system trusts (OpenSSL:
    // X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT(_LOCALLY), UNABLE_TO_VERIFY_LEAF_SIGNATURE,
    // DEPTH_ZERO_SELF_SIGNED_CERT, SELF_SIGNED_CERT_IN_CHAIN, CERT_UNTRUSTED; Schannel:
    // CERT_TRUST_IS_PARTIAL_CHAIN, CERT_TRUST_IS_UNTRUSTED_ROOT, a self-signed leaf).
    static bool isAnchorError(QSslError::SslError error);

    // Whether Qt may ignore `errors` for `peer`: there is at least one, all are anchor errors
    // about certificates of the peer's chain, and the bundle verifies the chain for the host at
    // `now`. *reason (English), when the answer is no: why.
    bool vouchesFor(const QList<QSslError> &errors, const Peer &peer, const QDateTime &now,
            QString *reason = nullptr) const;

    // The verification alone (no error list): the chain of `peer` ends at a certificate of the
    // bundle and is good for a TLS server named peer.host at `now`.
    bool verifies(const Peer &peer, const QDateTime &now, QString *reason = nullptr) const;

private:
    x509_store_st *m_store = nullptr;
    int m_size = 0;
};

} // namespace McpProxy
