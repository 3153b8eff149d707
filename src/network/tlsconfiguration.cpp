#include "network/tlsconfiguration.h"

#include "logging/logcategories.h"

#include <QtNetwork/QNetworkReply>

namespace McpProxy {

using namespace Qt::StringLiterals;

TlsSettings tlsSettings(const QString &caBundlePath, QString *warning)
{
    TlsSettings settings;
    if (caBundlePath.isEmpty())
        return settings;
    auto bundle =
            std::make_shared<const BundleTrust>(QSslCertificate::fromPath(caBundlePath, QSsl::Pem));
    if (bundle->size() == 0) {
        if (warning) {
            *warning = u"the CA bundle %1 holds no PEM certificate; only the system CA store is "
                       "trusted"_s.arg(caBundlePath);
        }
        return settings;
    }
    settings.bundle = std::move(bundle);
    return settings;
}

TlsNetworkAccessManager::TlsNetworkAccessManager(QObject *parent)
    : QNetworkAccessManager(parent)
{
    // A direct connection: the errors must be ignored before the signal returns
    // (QNetworkReply::ignoreSslErrors()).
    connect(this, &QNetworkAccessManager::sslErrors, this,
            [this](QNetworkReply *reply, const QList<QSslError> &errors) {
                vouchForPeer(reply, errors);
            });
}

void TlsNetworkAccessManager::vouchForPeer(
        QNetworkReply *reply, const QList<QSslError> &errors) const
{
    if (!m_settings.bundle)
        return;
    // The reply's configuration holds the handshake's peer before sslErrors is emitted
    // (QHttpThreadDelegate::sslErrorsSlot(), qhttpthreaddelegate.cpp).
    const QSslConfiguration tls = reply->sslConfiguration();
    BundleTrust::Peer peer;
    peer.certificate = tls.peerCertificate();
    peer.chain = tls.peerCertificateChain();
    // The name Qt checks the certificate against (QSslSocket::peerVerifyName(), else the host).
    peer.host = reply->request().peerVerifyName();
    if (peer.host.isEmpty())
        peer.host = reply->url().host();
    QString reason;
    if (m_settings.bundle->vouchesFor(errors, peer, QDateTime::currentDateTimeUtc(), &reason)) {
        reply->ignoreSslErrors(errors);
        return;
    }
    // Qt's own error names only the first failure against the system's CAs; this says why the
    // bundle did not step in (a wrong host name, an expired or misused certificate, another CA).
    qCWarning(lcNetwork).noquote().nospace()
            << "the CA bundle does not vouch for " << peer.host << ": " << reason;
}

} // namespace McpProxy
