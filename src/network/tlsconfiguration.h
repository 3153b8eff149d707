#pragma once

#include "network/lowdelaysockets.h"
#include "network/phasetimeouts.h"

#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkCookieJar>
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
    if (extra.isEmpty()) {
        if (warning) {
            *warning = QStringLiteral("the CA bundle %1 holds no PEM certificate; only the system "
                                      "CA store is trusted")
                               .arg(caBundlePath);
        }
        return configuration;
    }
    // Adding CA certificates turns off the on-demand loading of the system's roots
    // (QSslConfiguration::addCaCertificates(), qsslconfiguration.cpp), after which the OpenSSL
    // backend trusts only the configuration's list: a public server would fail verification as
    // soon as a bundle is given. The system's roots are therefore listed with the bundle's.
    configuration.setCaCertificates(QSslConfiguration::systemCaCertificates() + extra);
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
    // false: every request asks for HTTP/1.1 (QNetworkRequest::Http2AllowedAttribute). Qt 6.4
    // opens a single connection for a request that allows HTTP/2 over https, and the other five
    // only after its ALPN said HTTP/1.1 (activeChannelCount, qhttpnetworkconnection.cpp); those
    // then share that connection's TLS context, whose TLS 1.3 session is not resumable before the
    // server's ticket arrives. For a server known to speak HTTP/1.1, all six start at once and each
    // resumes the configuration's session ticket.
    void setHttp2Allowed(bool allowed) { m_http2Allowed = allowed; }

    // Bounds for connecting and for the response headers of every request (PhaseTimeouts;
    // upstream.connectTimeoutMs, upstream.headersTimeoutMs); 0: unbounded.
    void setPhaseTimeouts(int connectTimeoutMs, int headersTimeoutMs)
    {
        m_connectTimeoutMs = connectTimeoutMs;
        m_headersTimeoutMs = headersTimeoutMs;
    }

    // Cookies of the MCP traffic (upstream.cookies): `jar` is shared by all the managers that
    // talk to the server, so a cookie set on the event stream goes with the POSTs too; null: no
    // cookie is stored or sent. The jar is not owned (QNetworkAccessManager::setCookieJar() takes
    // it over; its owner gets it back, as the Qt documentation allows for a shared jar).
    void shareCookieJar(QNetworkCookieJar *jar)
    {
        m_cookies = jar != nullptr;
        if (!jar)
            return;
        QObject *owner = jar->parent();
        setCookieJar(jar);
        jar->setParent(owner);
    }

protected:
    QNetworkReply *createRequest(
            Operation operation, const QNetworkRequest &request, QIODevice *outgoingData) override
    {
        QNetworkRequest configured = request;
        configured.setSslConfiguration(m_configuration);
        if (!m_http2Allowed)
            configured.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
        // A Cookie header of the user's (--header) wins over the jar.
        if (!m_cookies || request.hasRawHeader("Cookie")) {
            configured.setAttribute(
                    QNetworkRequest::CookieLoadControlAttribute, QNetworkRequest::Manual);
        }
        if (!m_cookies) {
            configured.setAttribute(
                    QNetworkRequest::CookieSaveControlAttribute, QNetworkRequest::Manual);
        }
        QNetworkReply *reply =
                QNetworkAccessManager::createRequest(operation, configured, outgoingData);
        m_lowDelay.watch(reply);
        PhaseTimeouts::watch(reply, m_connectTimeoutMs, m_headersTimeoutMs);
        return reply;
    }

private:
    QSslConfiguration m_configuration = QSslConfiguration::defaultConfiguration();
    bool m_cookies = true;
    bool m_http2Allowed = true;
    int m_connectTimeoutMs = 0;
    int m_headersTimeoutMs = 0;
    LowDelaySockets::Watcher m_lowDelay;
};

} // namespace McpProxy
