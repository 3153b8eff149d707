#pragma once

#include "network/lowdelaysockets.h"

#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkRequest>
#include <QtNetwork/QSslCertificate>
#include <QtNetwork/QSslConfiguration>

namespace McpProxy {

// The TLS settings of every connection the proxy opens (MCP requests and streams, discovery,
// registration, token and revocation requests): the system CA store plus the PEM certificates of
// upstream.caBundle / MCP_PROXY_CA_BUNDLE / --ca-bundle (a private or corporate CA). The one
// place that builds them. *warning (English) is set when the bundle holds no certificate.
inline QSslConfiguration tlsConfiguration(const QString &caBundlePath, QString *warning = nullptr)
{
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    if (caBundlePath.isEmpty())
        return configuration;
    const QList<QSslCertificate> extra = QSslCertificate::fromPath(caBundlePath, QSsl::Pem);
    if (extra.isEmpty() && warning) {
        *warning = QStringLiteral("the CA bundle %1 holds no PEM certificate; only the system CA "
                                  "store is trusted")
                           .arg(caBundlePath);
    }
    configuration.addCaCertificates(extra);
    return configuration;
}

// A QNetworkAccessManager that sends every request with one TLS configuration and TCP_NODELAY
// on its connections (LowDelaySockets), so that no request can forget either. (No Q_OBJECT: it adds
// no signals, slots or properties.)
class TlsNetworkAccessManager : public QNetworkAccessManager
{
public:
    using QNetworkAccessManager::QNetworkAccessManager;

    void setTlsConfiguration(const QSslConfiguration &configuration)
    {
        m_configuration = configuration;
    }
    QSslConfiguration tlsConfiguration() const { return m_configuration; }

protected:
    QNetworkReply *createRequest(
            Operation operation, const QNetworkRequest &request, QIODevice *outgoingData) override
    {
        QNetworkRequest configured = request;
        configured.setSslConfiguration(m_configuration);
        QNetworkReply *reply =
                QNetworkAccessManager::createRequest(operation, configured, outgoingData);
        m_lowDelay.watch(reply);
        return reply;
    }

private:
    QSslConfiguration m_configuration = QSslConfiguration::defaultConfiguration();
    LowDelaySockets::Watcher m_lowDelay;
};

} // namespace McpProxy
