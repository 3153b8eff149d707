#include "transport/environmentproxyfactory.h"

#include <QtNetwork/QHostAddress>

namespace McpProxy {

using namespace Qt::StringLiterals;

namespace {

QString variable(const QProcessEnvironment &environment, const QString &lowerName)
{
    QString value = environment.value(lowerName).trimmed();
    if (value.isEmpty())
        value = environment.value(lowerName.toUpper()).trimmed();
    return value;
}

bool isLoopback(const QString &host)
{
    if (host.compare(u"localhost"_s, Qt::CaseInsensitive) == 0)
        return true;
    const QHostAddress address(host);
    return !address.isNull() && address.isLoopback();
}

} // namespace

bool EnvironmentProxyFactory::bypassesProxy(const QString &host, int port, const QString &noProxy)
{
    const QString name = host.toLower();
    for (QString entry : noProxy.split(u',', Qt::SkipEmptyParts)) {
        entry = entry.trimmed().toLower();
        if (entry.isEmpty())
            continue;
        if (entry == u"*")
            return true;
        // "host:port" only matches that port (not for bracketless IPv6 literals).
        const qsizetype colon = entry.lastIndexOf(u':');
        if (colon > 0 && entry.count(u':') == 1) {
            bool ok = false;
            const int entryPort = entry.mid(colon + 1).toInt(&ok);
            if (ok && entryPort != port)
                continue;
            entry.truncate(colon);
        }
        if (entry.startsWith(u"*."))
            entry.remove(0, 1);
        if (entry.startsWith(u'.')) {
            if (name.endsWith(entry) || name == entry.mid(1))
                return true;
        } else if (name == entry || name.endsWith(u'.' + entry)) {
            return true;
        }
    }
    return false;
}

std::optional<QNetworkProxy> EnvironmentProxyFactory::proxyFromEnvironment(
        const QUrl &url, const QProcessEnvironment &environment)
{
    const QString scheme = url.scheme().toLower();
    if (scheme != u"http" && scheme != u"https")
        return std::nullopt;
    if (isLoopback(url.host()))
        return QNetworkProxy(QNetworkProxy::NoProxy);
    QString setting =
            variable(environment, scheme == u"https" ? u"https_proxy"_s : u"http_proxy"_s);
    if (setting.isEmpty())
        setting = variable(environment, u"all_proxy"_s);
    if (setting.isEmpty())
        return std::nullopt;
    if (bypassesProxy(url.host(), url.port(scheme == u"https" ? 443 : 80),
                variable(environment, u"no_proxy"_s)))
        return QNetworkProxy(QNetworkProxy::NoProxy);
    const QUrl proxy = QUrl::fromUserInput(setting);
    const bool socks = proxy.scheme().startsWith(u"socks5");
    return QNetworkProxy(socks ? QNetworkProxy::Socks5Proxy : QNetworkProxy::HttpProxy,
            proxy.host(), quint16(proxy.port(socks ? 1080 : 8080)),
            proxy.userName(QUrl::FullyDecoded), proxy.password(QUrl::FullyDecoded));
}

QList<QNetworkProxy> EnvironmentProxyFactory::queryProxy(const QNetworkProxyQuery &query)
{
    if (const auto proxy = proxyFromEnvironment(query.url(), m_environment))
        return {*proxy};
    return systemProxyForQuery(query);
}

} // namespace McpProxy
