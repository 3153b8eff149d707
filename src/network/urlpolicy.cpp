#include "network/urlpolicy.h"

#include <QtCore/QList>
#include <QtNetwork/QHostAddress>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace McpProxy::UrlPolicy {

namespace {

bool isAsciiDigit(QChar c)
{
    return c >= u'0' && c <= u'9';
}

// RFC 3986 section 3.2.2 dec-octet: 0-255 in decimal, no leading zeros.
bool isDecOctet(QStringView text)
{
    if (text.isEmpty() || text.size() > 3 || !std::all_of(text.begin(), text.end(), isAsciiDigit))
        return false;
    if (text.size() > 1 && text.front() == u'0')
        return false;
    return text.toInt() <= 255;
}

bool isIpv4Loopback(QStringView host)
{
    const QList<QStringView> octets = host.split(u'.');
    return octets.size() == 4 && std::all_of(octets.begin(), octets.end(), isDecOctet)
            && octets.front() == u"127";
}

bool isIpv6Loopback(QStringView host)
{
    if (host.startsWith(u'[') && host.endsWith(u']'))
        host = host.mid(1, host.size() - 2);
    // Only hex digits and colons: no IPv4-mapped form, no zone, no whitespace QHostAddress would
    // skip.
    const bool plain = host.contains(u':') && std::all_of(host.begin(), host.end(), [](QChar c) {
        return c == u':' || isAsciiDigit(c) || (c >= u'a' && c <= u'f') || (c >= u'A' && c <= u'F');
    });
    if (!plain)
        return false;
    QHostAddress address;
    if (!address.setAddress(host.toString()) || address.protocol() != QAbstractSocket::IPv6Protocol)
        return false;
    const Q_IPV6ADDR bytes = address.toIPv6Address();
    for (int i = 0; i < 15; ++i) {
        if (bytes[i] != 0)
            return false;
    }
    return bytes[15] == 1;
}

} // namespace

bool isLoopbackHost(QStringView host)
{
    return host.compare(u"localhost", Qt::CaseInsensitive) == 0 || isIpv4Loopback(host)
            || isIpv6Loopback(host);
}

Verdict check(const QUrl &url, bool allowInsecureHttp)
{
    const QString scheme = url.scheme().toLower();
    const bool http = scheme == u"http"_s;
    const bool https = scheme == u"https"_s;
    if (!url.isValid() || scheme.isEmpty() || url.isRelative()
            || ((http || https) && url.host().isEmpty()))
        return Verdict::Invalid;
    if (https)
        return Verdict::Allowed;
    if (!http)
        return Verdict::UnsupportedScheme;
    if (allowInsecureHttp || isLoopbackHost(url.host()))
        return Verdict::Allowed;
    return Verdict::CleartextToRemoteHost;
}

bool isLoopbackRedirectUri(const QUrl &url)
{
    return url.isValid() && url.scheme().compare(u"http"_s, Qt::CaseInsensitive) == 0
            && isLoopbackHost(url.host()) && url.port() > 0 && !url.hasFragment();
}

} // namespace McpProxy::UrlPolicy
