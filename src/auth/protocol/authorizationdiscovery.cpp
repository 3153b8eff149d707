#include "auth/protocol/authorizationdiscovery.h"

#include "auth/protocol/authhttp.h"
#include "logging/logcategories.h"
#include "network/urlpolicy.h"

#include <QtCore/QPointer>
#include <QtNetwork/QNetworkRequest>

namespace McpProxy {

using namespace Qt::StringLiterals;

struct AuthorizationDiscovery::Run
{
    enum class Phase { ProtectedResource, ServerMetadata };

    DiscoveryRequest request;
    QPointer<QObject> context;
    Callback callback;
    DiscoveryResult result;
    Phase phase = Phase::ProtectedResource;
    QList<QUrl> urls;
    qsizetype next = 0;
    QString issuer; // the issuer string the metadata URLs were built from
    bool issuerFromResourceMetadata = false;
    // A 5xx, a timeout, a network error or an issuer mismatch happened: something is there but
    // broken, so the 2025-03-26 default endpoints would only hide the real problem.
    bool sawServerProblem = false;
    QStringList outcomes; // "<url>: <what happened>", for the error message
    bool delivered = false;
};

namespace {

QString originOf(const QUrl &url)
{
    return url
            .adjusted(QUrl::RemovePath | QUrl::RemoveQuery | QUrl::RemoveFragment
                    | QUrl::RemoveUserInfo)
            .toString(QUrl::FullyEncoded);
}

} // namespace

AuthorizationDiscovery::AuthorizationDiscovery(QNetworkAccessManager *nam, QObject *parent)
    : QObject(parent)
    , m_nam(nam)
{ }

// Pending requests are aborted by AuthHttp::send() when `this` (their owner) is destroyed.
AuthorizationDiscovery::~AuthorizationDiscovery() = default;

bool AuthorizationDiscovery::issuersMatch(
        const QString &documentIssuer, const QString &expectedIssuer)
{
    // Simple string comparison (RFC 3986 section 6.2.1): MCP 2026-07-28 "Authorization Server
    // Metadata Discovery" forbids any normalisation, a trailing slash included.
    return !documentIssuer.isEmpty() && documentIssuer == expectedIssuer;
}

void AuthorizationDiscovery::discover(
        const DiscoveryRequest &request, QObject *context, Callback callback)
{
    auto run = std::make_shared<Run>();
    run->request = request;
    run->context = context ? context : this;
    run->callback = std::move(callback);
    // Everything happens later, so the callback never runs inside discover().
    AuthHttp::post(this, [this, run] { start(run); });
}

void AuthorizationDiscovery::start(const std::shared_ptr<Run> &run)
{
    const QUrl &serverUrl = run->request.serverUrl;
    if (!UrlPolicy::isAllowed(serverUrl, run->request.allowInsecureHttp)) {
        fail(run,
                u"the MCP server URL %1 is not https (plain http is allowed only on loopback)"_s
                        .arg(AuthHttp::displayUrl(serverUrl)));
        return;
    }
    // MCP 2025-11-25 "Protected Resource Metadata Discovery Requirements".
    const QList<QUrl> candidates =
            protectedResourceMetadataUrls(serverUrl, run->request.resourceMetadataUrl);
    for (const QUrl &url : candidates) {
        if (UrlPolicy::isAllowed(url, run->request.allowInsecureHttp)) {
            run->urls.append(url);
        } else {
            qCWarning(lcAuth).noquote()
                    << "ignoring the insecure resource metadata URL" << AuthHttp::displayUrl(url);
            run->outcomes.append(u"%1: not requested (not https)"_s.arg(AuthHttp::displayUrl(url)));
        }
    }
    run->phase = Run::Phase::ProtectedResource;
    fetchNext(run);
}

void AuthorizationDiscovery::fetchNext(const std::shared_ptr<Run> &run)
{
    if (run->next >= run->urls.size()) {
        if (run->phase == Run::Phase::ServerMetadata) {
            finishServerMetadataPhase(run);
            return;
        }
        // No protected resource metadata: MCP 2025-03-26 servers. The authorization base URL is
        // the server's origin ("Authorization Base URL").
        qCInfo(lcAuth).noquote() << "no protected resource metadata for"
                                 << AuthHttp::displayUrl(run->request.serverUrl)
                                 << "; trying the server's origin as the authorization server";
        startServerMetadata(run, originOf(run->request.serverUrl));
        return;
    }

    const QUrl url = run->urls.at(run->next++);
    run->result.tried.append(url);
    QNetworkRequest request = AuthHttp::makeRequest(url, "application/json"_ba);
    if (!run->request.protocolVersion.isEmpty())
        request.setRawHeader("MCP-Protocol-Version"_ba, run->request.protocolVersion.toUtf8());
    qCDebug(lcAuth).noquote() << "discovery: GET" << AuthHttp::displayUrl(url);

    const int timeoutMs = run->request.timeoutMs;
    AuthHttp::send(m_nam, request, "GET"_ba, {}, timeoutMs, this, this,
            [this, run, url, timeoutMs](const AuthHttp::Reply &reply) {
                const QString shown = AuthHttp::displayUrl(url);
                if (reply.timedOut) {
                    run->sawServerProblem = true;
                    run->outcomes.append(u"%1: no answer within %2 ms"_s.arg(shown).arg(timeoutMs));
                } else if (reply.status == 0) {
                    run->sawServerProblem = true;
                    run->outcomes.append(u"%1: %2"_s.arg(shown, reply.networkError));
                } else if (reply.isRedirect()) {
                    run->outcomes.append(
                            u"%1: HTTP %2 redirect (not followed)"_s.arg(shown).arg(reply.status));
                } else if (reply.status >= 500) {
                    run->sawServerProblem = true;
                    run->outcomes.append(u"%1: HTTP %2"_s.arg(shown).arg(reply.status));
                } else if (!reply.isSuccess()) {
                    run->outcomes.append(u"%1: HTTP %2"_s.arg(shown).arg(reply.status));
                } else if (reply.bodyTooLarge) {
                    run->outcomes.append(u"%1: oversized document"_s.arg(shown));
                } else if (run->phase == Run::Phase::ProtectedResource) {
                    handleProtectedResource(run, url, reply.status, reply.body);
                    return;
                } else {
                    handleServerMetadata(run, url, reply.status, reply.body);
                    return;
                }
                fetchNext(run);
            });
}

void AuthorizationDiscovery::handleProtectedResource(
        const std::shared_ptr<Run> &run, const QUrl &url, int status, const QByteArray &body)
{
    Q_UNUSED(status)
    const QString shown = AuthHttp::displayUrl(url);
    QString parseError;
    std::optional<ProtectedResourceMetadata> metadata =
            ProtectedResourceMetadata::parse(body, &parseError);
    if (!metadata) {
        run->outcomes.append(u"%1: not protected resource metadata (%2)"_s.arg(
                shown, AuthHttp::excerpt(parseError)));
        fetchNext(run);
        return;
    }

    run->result.resourceMetadata = metadata;
    run->result.resourceMetadataUrl = url;
    // RFC 9728 section 3.3: the resource must be the one we asked about; otherwise the document
    // (and the authorization servers it names) must not be used. Conformance
    // auth/resource-mismatch: no further request.
    if (!resourceMatchesServer(metadata->resource, run->request.serverUrl)) {
        fail(run,
                u"protected resource metadata at %1 names resource %2, not %3"_s.arg(shown,
                        AuthHttp::excerpt(metadata->resource),
                        AuthHttp::displayUrl(run->request.serverUrl)));
        return;
    }

    if (metadata->authorizationServers.isEmpty()) {
        // RFC 9728 section 2 makes the member optional; MCP requires it. Do what the SDKs do.
        qCWarning(lcAuth).noquote() << "protected resource metadata at" << shown
                                    << "lists no authorization_servers; trying the server's origin";
        startServerMetadata(run, originOf(run->request.serverUrl));
        return;
    }

    // MCP 2025-11-25 "Authorization Server Location": the client picks one; we take the first.
    const QUrl issuerUrl = metadata->authorizationServers.first();
    if (!UrlPolicy::isAllowed(issuerUrl, run->request.allowInsecureHttp) || issuerUrl.hasQuery()
            || issuerUrl.hasFragment()) {
        // RFC 8414 section 2: an https URL without query or fragment.
        fail(run,
                u"protected resource metadata at %1 names the authorization server %2, which is not an https URL without query and fragment"_s
                        .arg(shown, AuthHttp::displayUrl(issuerUrl)));
        return;
    }
    run->issuerFromResourceMetadata = true;
    // The identifier as the document names it: QUrl would fold the host's case, drop a default
    // port or re-encode the path, and the metadata's issuer must be identical to it.
    startServerMetadata(run, metadata->authorizationServerIssuers.first());
}

void AuthorizationDiscovery::startServerMetadata(
        const std::shared_ptr<Run> &run, const QString &issuer)
{
    run->phase = Run::Phase::ServerMetadata;
    run->issuer = issuer;
    // MCP 2025-11-25 "Authorization Server Metadata Discovery" order.
    run->urls = authorizationServerMetadataUrls(QUrl(issuer));
    run->next = 0;
    fetchNext(run);
}

void AuthorizationDiscovery::handleServerMetadata(
        const std::shared_ptr<Run> &run, const QUrl &url, int status, const QByteArray &body)
{
    Q_UNUSED(status)
    const QString shown = AuthHttp::displayUrl(url);
    QString parseError;
    const std::optional<AuthorizationServerMetadata> metadata =
            AuthorizationServerMetadata::parse(body, &parseError);
    if (!metadata) {
        run->outcomes.append(u"%1: not authorization server metadata (%2)"_s.arg(
                shown, AuthHttp::excerpt(parseError)));
        fetchNext(run);
        return;
    }
    // RFC 8414 section 3.3 (and OpenID Connect Discovery section 4.3): the issuer must be identical
    // to the one the URL was built from; otherwise the document must not be used, and it is never
    // the recorded issuer an authorization response's iss is compared with (RFC 9207). MCP
    // 2025-03-26 servers (no protected resource metadata): the URL was built from the server's
    // "authorization base URL", not from an issuer identifier, so there is no issuer to compare
    // with; a same-origin issuer (e.g. <origin>/oauth) is that server's own AS.
    const bool backCompatSameOrigin = !run->issuerFromResourceMetadata
            && QUrl(metadata->issuer).adjusted(QUrl::RemovePath | QUrl::RemoveQuery)
                    == QUrl(run->issuer).adjusted(QUrl::RemovePath | QUrl::RemoveQuery);
    if (!issuersMatch(metadata->issuer, run->issuer) && !backCompatSameOrigin) {
        run->sawServerProblem = true;
        run->outcomes.append(u"%1: names issuer %2, expected %3"_s.arg(
                shown, AuthHttp::excerpt(metadata->issuer), run->issuer));
        fetchNext(run);
        return;
    }
    succeed(run, *metadata, url);
}

void AuthorizationDiscovery::finishServerMetadataPhase(const std::shared_ptr<Run> &run)
{
    if (run->issuerFromResourceMetadata) {
        fail(run,
                u"no usable authorization server metadata for the issuer %1 named by the protected resource metadata at %2"_s
                        .arg(run->issuer, AuthHttp::displayUrl(run->result.resourceMetadataUrl)));
        return;
    }
    if (run->sawServerProblem) {
        fail(run,
                u"could not discover the authorization server of %1"_s.arg(
                        AuthHttp::displayUrl(run->request.serverUrl)));
        return;
    }
    // MCP 2025-03-26 "Fallbacks for Servers without Metadata Discovery".
    qCInfo(lcAuth).noquote() << "no authorization server metadata at" << run->issuer
                             << "; using the default endpoints /authorize, /token, /register";
    AuthorizationServerMetadata fallback =
            AuthorizationServerMetadata::fallbackFor(run->request.serverUrl);
    fallback.fromFallback = true;
    succeed(run, fallback, {});
}

void AuthorizationDiscovery::succeed(const std::shared_ptr<Run> &run,
        const AuthorizationServerMetadata &server, const QUrl &from)
{
    const QString source = from.isEmpty()
            ? u"the default endpoints"_s
            : u"authorization server metadata at %1"_s.arg(AuthHttp::displayUrl(from));
    const bool allowInsecure = run->request.allowInsecureHttp;
    const std::pair<const char *, QUrl> endpoints[] = {
            {"authorization_endpoint", server.authorizationEndpoint},
            {"token_endpoint", server.tokenEndpoint},
            {"registration_endpoint", server.registrationEndpoint},
    };
    for (const auto &[name, endpoint] : endpoints) {
        if (endpoint.isEmpty() || UrlPolicy::isAllowed(endpoint, allowInsecure))
            continue;
        fail(run,
                u"%1 names the %2 %3, which is not https (plain http is allowed only on loopback)"_s
                        .arg(source, QLatin1StringView(name), AuthHttp::displayUrl(endpoint)));
        return;
    }
    if (server.tokenEndpoint.isEmpty()) {
        fail(run, u"%1 names no token_endpoint"_s.arg(source));
        return;
    }

    run->result.ok = true;
    run->result.server = server;
    if (!server.revocationEndpoint.isEmpty()
            && !UrlPolicy::isAllowed(server.revocationEndpoint, allowInsecure)) {
        qCWarning(lcAuth).noquote() << "ignoring the insecure revocation_endpoint"
                                    << AuthHttp::displayUrl(server.revocationEndpoint);
        run->result.server.revocationEndpoint.clear();
    }
    // RFC 8628 section 3.1: the device authorization request carries the client's credentials.
    if (!server.deviceAuthorizationEndpoint.isEmpty()
            && !UrlPolicy::isAllowed(server.deviceAuthorizationEndpoint, allowInsecure)) {
        qCWarning(lcAuth).noquote() << "ignoring the insecure device_authorization_endpoint"
                                    << AuthHttp::displayUrl(server.deviceAuthorizationEndpoint);
        run->result.server.deviceAuthorizationEndpoint.clear();
    }
    // RFC 8707 section 2 / MCP 2025-06-18 "Canonical Server URI".
    run->result.resource = run->result.resourceMetadata
            ? run->result.resourceMetadata->resource
            : canonicalResourceUri(run->request.serverUrl);
    qCInfo(lcAuth).noquote() << "authorization server" << server.issuer << "from" << source;
    deliver(run);
}

void AuthorizationDiscovery::fail(const std::shared_ptr<Run> &run, const QString &error)
{
    run->result.ok = false;
    run->result.error = error;
    if (!run->outcomes.isEmpty())
        run->result.error += u" ("_s + run->outcomes.join(u"; "_s) + u')';
    qCWarning(lcAuth).noquote() << "authorization discovery failed:" << run->result.error;
    deliver(run);
}

void AuthorizationDiscovery::deliver(const std::shared_ptr<Run> &run)
{
    if (run->delivered || !run->context)
        return;
    run->delivered = true;
    QMetaObject::invokeMethod(run->context.data(),
            [callback = std::move(run->callback), result = run->result] { callback(result); });
}

} // namespace McpProxy
