#pragma once

#include "app/commandline.h"
#include "auth/authorizationmanager.h"
#include "auth/protocol/authorizationdiscovery.h"
#include "auth/store/tokenstore.h"
#include "config/proxyconfig.h"

#include <QtCore/QObject>
#include <QtNetwork/QNetworkAccessManager>

#include <memory>

namespace McpProxy {

// `mcp-oauth2-proxy login|logout|status [URL]`: manage the stored login of a server
// outside the host, with the same configuration sources as the proxy. Output goes to stdout
// (these commands are run by a person, not by an MCP host); never a token or a secret.
class Subcommand : public QObject
{
    Q_OBJECT
public:
    // `config` is empty for `status` without a usable configuration: then every entry is listed.
    Subcommand(CommandLineOptions::Command command, std::optional<ProxyConfig> config,
            const TokenStoreOptions &storeOptions, QObject *parent = nullptr);

    void start();

Q_SIGNALS:
    void finished(int exitCode);

private:
    void status();
    void logout();
    void login();
    void revoke(const TokenStoreKey &key, const QList<RegistrationKey> &registrations,
            const std::function<void()> &next);
    void removeEntries(
            const QList<TokenStoreKey> &tokens, const QList<RegistrationKey> &registrations);
    void print(const QString &text);

    CommandLineOptions::Command m_command;
    std::optional<ProxyConfig> m_config;
    TokenStoreOptions m_storeOptions;
    std::unique_ptr<TokenStore> m_store;
    std::unique_ptr<AuthorizationManager> m_auth;
    std::unique_ptr<QNetworkAccessManager> m_nam;
    std::unique_ptr<AuthorizationDiscovery> m_discovery;
    QString m_revocation; // what happened at the AS, for the logout message
};

} // namespace McpProxy
