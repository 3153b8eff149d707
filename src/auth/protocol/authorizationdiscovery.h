#pragma once

#include "auth/protocol/metadata.h"

#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QString>
#include <QtCore/QUrl>

#include <functional>
#include <memory>
#include <optional>

class QNetworkAccessManager;

namespace McpProxy {

struct DiscoveryRequest
{
    QUrl serverUrl; // the MCP endpoint
    QUrl resourceMetadataUrl; // resource_metadata of the 401 challenge (RFC 9728 section 5.1); may
                              // be empty
    QString protocolVersion; // sent as MCP-Protocol-Version (MCP 2025-03-26 "Server Metadata
                             // Discovery Headers": SHOULD); not sent when empty
    bool allowInsecureHttp = false; // else only https, or http on a loopback host
    int timeoutMs = 10000; // per request
};

struct DiscoveryResult
{
    bool ok = false;
    QString error; // English, actionable, no secrets; empty when ok
    std::optional<ProtectedResourceMetadata> resourceMetadata; // when a PRM document was found
    QUrl resourceMetadataUrl; // where it was found
    AuthorizationServerMetadata server; // fromFallback when no document was found at all
    QString resource; // the RFC 8707 resource parameter: the PRM's resource, else the canonical
                      // URI of the server
    QList<QUrl> tried; // every URL requested, in order
};

// Finds the authorization server of an MCP server (MCP 2025-11-25 "Authorization Server
// Discovery"; 2025-03-26 back-compat):
// 1. RFC 9728 protected resource metadata: the challenge's resource_metadata, then the
//    path-inserted and root well-known URLs (protectedResourceMetadataUrls()); the first 2xx
//    that parses wins; its resource must name this server (RFC 9728 section 3.3), else discovery
//    fails without any further request.
// 2. RFC 8414 / OpenID Connect Discovery metadata of authorization_servers[0] in the MCP order
//    (authorizationServerMetadataUrls()); the document's issuer must be identical to the issuer
//    the URL was built from, as the PRM names it (RFC 8414 section 3.3, no normalisation), else
//    the next is tried.
// 3. Without any PRM: the server's origin is the issuer (MCP 2025-03-26 "Authorization Base
//    URL"); when no metadata exists there either (only 4xx answers), the 2025-03-26 default
//    endpoints (AuthorizationServerMetadata::fallbackFor()).
// Requests carry no credentials and follow no redirects. Issuers and the authorization, token and
// registration endpoints must pass UrlPolicy::isAllowed() (https or loopback http, MCP
// "Communication Security", OAuth 2.1 section 1.5); an insecure revocation endpoint is dropped.
class AuthorizationDiscovery : public QObject
{
    Q_OBJECT
public:
    using Callback = std::function<void(const DiscoveryResult &)>;

    // `nam` is not owned and must live on this object's thread and outlive it.
    explicit AuthorizationDiscovery(QNetworkAccessManager *nam, QObject *parent = nullptr);
    ~AuthorizationDiscovery() override;

    // `callback` runs exactly once, later, on `context`'s thread; not when `context` or this
    // object was destroyed first (pending requests are then aborted).
    void discover(const DiscoveryRequest &request, QObject *context, Callback callback);

    // RFC 8414 section 3.3 issuer comparison: identical strings, nothing normalised
    // ("https://as.example/" is not "https://as.example").
    static bool issuersMatch(const QString &documentIssuer, const QString &expectedIssuer);

private:
    struct Run;
    void start(const std::shared_ptr<Run> &run);
    void fetchNext(const std::shared_ptr<Run> &run);
    void handleProtectedResource(
            const std::shared_ptr<Run> &run, const QUrl &url, int status, const QByteArray &body);
    void startServerMetadata(const std::shared_ptr<Run> &run, const QString &issuer);
    void handleServerMetadata(
            const std::shared_ptr<Run> &run, const QUrl &url, int status, const QByteArray &body);
    void finishServerMetadataPhase(const std::shared_ptr<Run> &run);
    void succeed(const std::shared_ptr<Run> &run, const AuthorizationServerMetadata &server,
            const QUrl &from);
    void fail(const std::shared_ptr<Run> &run, const QString &error);
    void deliver(const std::shared_ptr<Run> &run);

    QNetworkAccessManager *m_nam;
};

} // namespace McpProxy
