#pragma once

#include <QtCore/QProcessEnvironment>
#include <QtNetwork/QNetworkProxyFactory>

namespace McpProxy {

// HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY in both spellings, on every platform, then the
// system settings (PAC, WinHTTP, SystemConfiguration). Qt reads these variables only on Linux
// builds with libproxy, and only in lower case otherwise (qnetworkproxy_generic.cpp).
class EnvironmentProxyFactory : public QNetworkProxyFactory
{
public:
    explicit EnvironmentProxyFactory(const QProcessEnvironment &environment)
        : m_environment(environment)
    { }

    QList<QNetworkProxy> queryProxy(const QNetworkProxyQuery &query) override;

    // The proxy the environment asks for, or nothing (then the system decides). Pure.
    static std::optional<QNetworkProxy> proxyFromEnvironment(
            const QUrl &url, const QProcessEnvironment &environment);
    // curl's NO_PROXY rules: "*", exact hosts, domain suffixes with or without a leading dot,
    // optional :port, case-insensitive.
    static bool bypassesProxy(const QString &host, int port, const QString &noProxy);

private:
    QProcessEnvironment m_environment;
};

} // namespace McpProxy
