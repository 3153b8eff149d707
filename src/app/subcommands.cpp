#include "app/subcommands.h"

#include "auth/protocol/authhttp.h"
#include "auth/protocol/authorizationdiscovery.h"
#include "auth/protocol/clientregistration.h"
#include "auth/protocol/metadata.h"
#include "auth/protocol/tokenrevocation.h"
#include "auth/store/initializeresultcache.h"
#include "logging/standardstreams.h"
#include "network/tlsconfiguration.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QDateTime>
#include <QtCore/QSet>

namespace McpProxy {

using namespace Qt::StringLiterals;

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("McpProxy::Subcommand", text);
}

QString expiry(const QDateTime &when)
{
    if (!when.isValid())
        return tr("no expiry");
    const qint64 seconds = QDateTime::currentDateTimeUtc().secsTo(when);
    if (seconds <= 0)
        return tr("expired %1").arg(when.toString(Qt::ISODate));
    return tr("valid until %1").arg(when.toString(Qt::ISODate));
}

} // namespace

Subcommand::Subcommand(CommandLineOptions::Command command, std::optional<ProxyConfig> config,
        const TokenStoreOptions &storeOptions, QObject *parent)
    : QObject(parent)
    , m_command(command)
    , m_config(std::move(config))
    , m_storeOptions(storeOptions)
{ }

void Subcommand::print(const QString &text)
{
    writeText(StandardStream::Output, text);
}

void Subcommand::start()
{
    switch (m_command) {
    case CommandLineOptions::Command::Status:
        status();
        return;
    case CommandLineOptions::Command::Logout:
        logout();
        return;
    case CommandLineOptions::Command::Login:
        login();
        return;
    case CommandLineOptions::Command::Proxy:
        break;
    }
    Q_EMIT finished(2);
}

void Subcommand::status()
{
    m_store = std::make_unique<TokenStore>(m_storeOptions);
    const QString server = m_config ? canonicalResourceUri(m_config->upstream.url) : QString();
    m_store->listEntries(this, [this, server](const QList<TokenStoreEntryInfo> &entries) {
        QString text = tr("Token store: %1").arg(m_store->directory()) + u'\n';
        int shown = 0;
        int unreadable = 0;
        QSet<QString> issuers;
        for (const TokenStoreEntryInfo &entry : entries) {
            if (entry.kind == TokenStoreEntryInfo::Kind::Unreadable) {
                ++unreadable;
                continue;
            }
            if (entry.kind != TokenStoreEntryInfo::Kind::Tokens
                    || (!server.isEmpty() && entry.resource != server))
                continue;
            ++shown;
            issuers.insert(entry.issuer);
            text += u'\n' + tr("server %1").arg(entry.resource) + u'\n';
            text += u"  "_s + tr("issuer: %1").arg(entry.issuer) + u'\n';
            text += u"  "_s + tr("client: %1").arg(entry.clientId) + u'\n';
            if (!entry.scope.isEmpty())
                text += u"  "_s + tr("scope: %1").arg(entry.scope) + u'\n';
            text += u"  "_s
                    + tr("access token: %1")
                              .arg(entry.hasAccessToken ? expiry(entry.expiresAt) : tr("none"))
                    + u'\n';
            text += u"  "_s
                    + tr("refresh token: %1").arg(entry.hasRefreshToken ? tr("yes") : tr("no"))
                    + u'\n';
            text += u"  "_s + tr("saved: %1").arg(entry.savedAt.toString(Qt::ISODate)) + u'\n';
        }
        for (const TokenStoreEntryInfo &entry : entries) {
            if (entry.kind != TokenStoreEntryInfo::Kind::Registration
                    || (!server.isEmpty() && !issuers.contains(entry.issuer)))
                continue;
            text += u'\n' + tr("client registration at %1").arg(entry.issuer) + u'\n';
            text += u"  "_s + tr("client: %1").arg(entry.clientId) + u'\n';
            text += u"  "_s + tr("redirect URI: %1").arg(entry.redirectUri) + u'\n';
        }
        if (shown == 0) {
            text += u'\n'
                    + (server.isEmpty() ? tr("Nothing is stored.")
                                        : tr("Nothing is stored for %1.").arg(server))
                    + u'\n';
        }
        if (unreadable > 0) {
            text += u'\n'
                    + tr("%1 file(s) could not be read (corrupt, or sealed with another key); "
                         "they are replaced at the next login.")
                              .arg(unreadable)
                    + u'\n';
        }
        print(text);
        Q_EMIT finished(0);
    });
}

void Subcommand::logout()
{
    m_store = std::make_unique<TokenStore>(m_storeOptions);
    const QString server = canonicalResourceUri(m_config->upstream.url);
    // What the server said about itself goes with the login.
    InitializeResultCache(m_store->directory(), m_config->upstream.url.toString()).remove();
    m_store->listEntries(this, [this, server](const QList<TokenStoreEntryInfo> &entries) {
        QList<TokenStoreKey> tokens;
        QSet<QString> issuers;
        for (const TokenStoreEntryInfo &entry : entries) {
            if (entry.kind == TokenStoreEntryInfo::Kind::Tokens && entry.resource == server) {
                tokens.append({entry.resource, entry.issuer, entry.clientId});
                issuers.insert(entry.issuer);
            }
        }
        QList<RegistrationKey> registrations;
        for (const TokenStoreEntryInfo &entry : entries) {
            if (entry.kind == TokenStoreEntryInfo::Kind::Registration
                    && issuers.contains(entry.issuer))
                registrations.append({entry.issuer, entry.redirectUri});
        }
        if (tokens.isEmpty()) {
            print(tr("Nothing is stored for %1.").arg(server) + u'\n');
            Q_EMIT finished(0);
            return;
        }
        revoke(tokens.first(), registrations,
                [this, tokens, registrations] { removeEntries(tokens, registrations); });
    });
}

void Subcommand::revoke(const TokenStoreKey &key, const QList<RegistrationKey> &registrations,
        const std::function<void()> &next)
{
    // RFC 7009: tell the authorization server the tokens are no longer wanted, when it offers a
    // revocation endpoint (best effort: the local entries go in any case).
    m_store->load(key, this, [this, registrations, next](std::optional<StoredTokens> stored) {
        if (!stored || (stored->refreshToken.isEmpty() && stored->accessToken.isEmpty())) {
            next();
            return;
        }
        auto nam = std::make_unique<TlsNetworkAccessManager>();
        nam->setTlsSettings(tlsSettings(m_config->upstream.caBundle));
        m_nam = std::move(nam);
        m_discovery = std::make_unique<AuthorizationDiscovery>(m_nam.get());
        DiscoveryRequest request;
        request.serverUrl = m_config->upstream.url;
        request.allowInsecureHttp = m_config->allowInsecureHttp;
        const StoredTokens tokens = *stored;
        m_discovery->discover(
                request, this, [this, tokens, registrations, next](const DiscoveryResult &result) {
                    const QUrl endpoint = result.ok ? result.server.revocationEndpoint : QUrl();
                    if (endpoint.isEmpty()) {
                        m_revocation = tr("the authorization server offers no token revocation");
                        next();
                        return;
                    }
                    // RFC 7009 section 2.1: the client authenticates as at the token endpoint.
                    const QStringList supported = result.server.tokenEndpointAuthMethodsSupported;
                    const auto send = [this, tokens, endpoint, next, supported](
                                              const QString &secret, const QString &method) {
                        const bool refresh = !tokens.refreshToken.isEmpty();
                        RevocationRequest revocation;
                        revocation.revocationEndpoint = endpoint;
                        revocation.token = refresh ? tokens.refreshToken : tokens.accessToken;
                        revocation.tokenTypeHint = refresh ? u"refresh_token"_s : u"access_token"_s;
                        revocation.client.clientId = tokens.clientId;
                        revocation.client.clientSecret = secret;
                        revocation.client.method = chooseClientAuthMethod(
                                method, supported, QString(), !secret.isEmpty(), false);
                        auto *revoker = new TokenRevocation(m_nam.get(), this);
                        revoker->revoke(revocation, this,
                                [this, endpoint, next](const RevocationResult &outcome) {
                                    if (outcome.outcome == RevocationResult::Outcome::Revoked)
                                        m_revocation = tr("the tokens were revoked at %1")
                                                               .arg(AuthHttp::displayUrl(endpoint));
                                    else if (outcome.outcome == RevocationResult::Outcome::Failed)
                                        m_revocation = tr("revocation at %1 failed (HTTP %2)")
                                                               .arg(AuthHttp::displayUrl(endpoint))
                                                               .arg(outcome.httpStatus);
                                    next();
                                });
                    };
                    if (tokens.clientId == m_config->oauth2.clientId) {
                        const ProxyConfig::OAuth2 &o = m_config->oauth2;
                        QString method = o.tokenEndpointAuthMethod;
                        if (method.isEmpty() && o.authStyleSet && !o.clientSecret.isEmpty()) {
                            method = o.authStyle == ProxyConfig::AuthStyle::Header
                                    ? u"client_secret_basic"_s
                                    : u"client_secret_post"_s;
                        }
                        send(o.clientSecret, method);
                        return;
                    }
                    if (registrations.isEmpty()) {
                        send(QString(), QString());
                        return;
                    }
                    // A registered client: its secret (if any) is in the registration entry.
                    m_store->loadRegistration(registrations.first(), this,
                            [send, tokens](std::optional<StoredRegistration> found) {
                                if (found && found->clientId == tokens.clientId)
                                    send(found->clientSecret, found->tokenEndpointAuthMethod);
                                else
                                    send(QString(), QString());
                            });
                });
    });
}

void Subcommand::removeEntries(
        const QList<TokenStoreKey> &tokens, const QList<RegistrationKey> &registrations)
{
    const QString server = canonicalResourceUri(m_config->upstream.url);
    auto pending = std::make_shared<int>(int(tokens.size() + registrations.size()));
    auto failed = std::make_shared<bool>(false);
    const auto done = [this, pending, failed, server, count = tokens.size()](bool ok) {
        *failed |= !ok;
        if (--*pending > 0)
            return;
        print((*failed ? tr("Could not delete every stored entry of %1.").arg(server)
                       : tr("Logged out of %1: %2 stored login(s) deleted.").arg(server).arg(count))
                + (m_revocation.isEmpty() ? QString() : u" ("_s + m_revocation + u')') + u'\n');
        Q_EMIT finished(*failed ? 1 : 0);
    };
    for (const TokenStoreKey &key : tokens)
        m_store->remove(key, this, done);
    for (const RegistrationKey &key : registrations)
        m_store->removeRegistration(key, this, done);
}

void Subcommand::login()
{
    m_auth = std::make_unique<AuthorizationManager>(*m_config, m_storeOptions);
    auto phase = std::make_shared<int>(0);
    connect(m_auth.get(), &AuthorizationManager::authorizationFinished, this,
            [this, phase](bool ok, const QString &message) {
                if (*phase == 0) {
                    // The stored tokens are loaded (and a configured grant ran).
                    *phase = 1;
                    if (ok && m_auth->hasUsableToken() && m_auth->tokensReceived() == 0) {
                        print(tr("Already logged in to %1.").arg(m_config->upstream.url.toString())
                                + u'\n');
                        Q_EMIT finished(0);
                        return;
                    }
                    if (!ok || !m_auth->hasUsableToken()) {
                        m_auth->authorize(QByteArray(), 401);
                        return;
                    }
                    // The start-up round (a configured grant) logged in: store and report it.
                }
                if (!ok) {
                    writeText(StandardStream::Error, tr("Login failed: %1").arg(message) + u'\n');
                    Q_EMIT finished(1);
                    return;
                }
                const auto report = [this] {
                    print(tr("Logged in to %1; the tokens are stored.")
                                    .arg(m_config->upstream.url.toString())
                            + u'\n');
                    Q_EMIT finished(0);
                };
                if (m_auth->pendingStoreWrites() == 0)
                    report();
                else
                    connect(m_auth.get(), &AuthorizationManager::storeWritesDone, this, report);
            });
    if (m_auth->holdsMessagesAtStart())
        m_auth->start();
    else
        m_auth->authorize(QByteArray(), 401);
}

} // namespace McpProxy
