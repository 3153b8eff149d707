#pragma once

#include "network/bundletrust.h"
#include "network/lowdelaysockets.h"
#include "network/phasetimeouts.h"

#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkCookieJar>
#include <QtNetwork/QNetworkRequest>
#include <QtNetwork/QSslCertificate>
#include <QtNetwork/QSslConfiguration>

#include <memory>

namespace McpProxy {

// The TLS settings of every connection the proxy opens (MCP requests and streams, discovery,
// registration, token and revocation requests). The configuration is Qt's default one: the
// system's CAs, which Qt's OpenSSL backend loads on demand (only a chain's issuers, looked up by
// name) and Schannel takes from the Windows store. A CA bundle (upstream.caBundle /
// MCP_PROXY_CA_BUNDLE / --ca-bundle: a private or corporate CA) is not added to it: adding CA
// certificates ends that on-demand loading (QSslConfiguration::addCaCertificates(),
// qsslconfiguration.cpp), so the system's roots would all have to be listed and parsed up front,
// and Qt 6.4's Schannel backend hands such certificates to Windows as a PKCS #12 without a key
// (qtls_schannel.cpp), which Wine's PFXImportCertStore rejects. The bundle instead vouches, with
// its own verification, for the chains that only fail for want of a trusted CA (BundleTrust, hooked
// up by TlsNetworkAccessManager).
struct TlsSettings
{
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    std::shared_ptr<const BundleTrust> bundle; // null: the system's CAs only
};

// The one place that builds them, reading the bundle once. *warning (English) is set when the
// bundle holds no certificate.
TlsSettings tlsSettings(const QString &caBundlePath, QString *warning = nullptr);

// A QNetworkAccessManager that sends every request with one TLS configuration and TCP_NODELAY
// on its connections (LowDelaySockets), so that no request can forget either, and that lets the
// CA bundle vouch for a server the system's CAs do not know (TlsSettings, BundleTrust): on
// sslErrors, which every reply of the manager reports (requests and connectToHostEncrypted()
// warm-ups alike: both go through get() or the like, QNetworkAccessManagerPrivate::postProcess()
// in qnetworkaccessmanager.cpp), the errors are ignored, exactly those, only when the
// bundle verifies the peer's chain for the request's host. Otherwise nothing is ignored and the
// request fails as before (QNetworkReply::SslHandshakeFailedError). (No Q_OBJECT: it adds no
// signals, slots or properties.)
class TlsNetworkAccessManager : public QNetworkAccessManager
{
public:
    explicit TlsNetworkAccessManager(QObject *parent = nullptr);

    void setTlsSettings(const TlsSettings &settings) { m_settings = settings; }
    const TlsSettings &tlsSettings() const { return m_settings; }
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
        configured.setSslConfiguration(m_settings.configuration);
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
    void vouchForPeer(QNetworkReply *reply, const QList<QSslError> &errors) const;

    TlsSettings m_settings;
    bool m_cookies = true;
    bool m_http2Allowed = true;
    int m_connectTimeoutMs = 0;
    int m_headersTimeoutMs = 0;
    LowDelaySockets::Watcher m_lowDelay;
};

} // namespace McpProxy
