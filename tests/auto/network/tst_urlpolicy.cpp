// UrlPolicy: the one secure-URL rule of configuration, discovery and login (https, or http only
// to a loopback host; MCP 2025-11-25 "Communication Security", RFC 8252 sections 7.3 and 8.3).
#include "network/urlpolicy.h"

#include <QtTest/QTest>

using namespace McpProxy;
using namespace Qt::StringLiterals;

Q_DECLARE_METATYPE(McpProxy::UrlPolicy::Verdict)

class tst_UrlPolicy : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void isLoopbackHost_data()
    {
        QTest::addColumn<QString>("host");
        QTest::addColumn<bool>("loopback");

        for (const QString &host : {u"localhost"_s, u"127.0.0.1"_s, u"127.5.6.7"_s, u"::1"_s,
                     u"[::1]"_s, u"LOCALHOST"_s, u"127.255.255.255"_s, u"127.0.0.0"_s,
                     u"0:0:0:0:0:0:0:1"_s, u"[0::1]"_s})
            QTest::addRow("%s", qPrintable(host)) << host << true;
        // Not an IPv4 address, not in 127.0.0.0/8, not ::1, or not in canonical form.
        for (const QString &host : {u"example.com"_s, u"10.0.0.1"_s, u"0.0.0.0"_s, u"192.168.1.1"_s,
                     u"8.8.8.8"_s, u"foo.localhost"_s, u"localhost.example.com"_s, u"localhost."_s,
                     u"::ffff:127.0.0.1"_s, u"[::ffff:127.0.0.1]"_s, u"::ffff:7f00:1"_s,
                     u"127.0.0.1.example.com"_s, u"127.0.0"_s, u"127.0.0.1.1"_s, u"127.1"_s,
                     u"127.0.0.1000"_s, u"127.a.0.1"_s, u"128.0.0.1"_s, u"::2"_s, u"[::2]"_s,
                     u"::"_s, u""_s, u"127..0.1"_s, u"127.999.1.1"_s, u"127.0.0.01"_s,
                     u"0127.0.0.1"_s, u" localhost "_s, u" 127.0.0.1"_s, u"::1 "_s, u"[::1"_s,
                     u"::1%lo"_s, u"0x7f.0.0.1"_s, u"2130706433"_s})
            QTest::addRow("%s", qPrintable(host)) << host << false;
    }
    void isLoopbackHost()
    {
        QFETCH(QString, host);
        QTEST(UrlPolicy::isLoopbackHost(host), "loopback");
    }

    void check_data()
    {
        using V = UrlPolicy::Verdict;
        QTest::addColumn<QString>("url");
        QTest::addColumn<bool>("allowInsecureHttp");
        QTest::addColumn<V>("verdict");

        QTest::addRow("https any host") << u"https://example.com/x"_s << false << V::Allowed;
        QTest::addRow("HTTPS") << u"HTTPS://example.com/x"_s << false << V::Allowed;
        QTest::addRow("http 127.0.0.1") << u"http://127.0.0.1:8080/x"_s << false << V::Allowed;
        QTest::addRow("http 127.1.2.3") << u"http://127.1.2.3/x"_s << false << V::Allowed;
        QTest::addRow("http 127.1 (QUrl: 127.0.0.1)") << u"http://127.1/x"_s << false << V::Allowed;
        QTest::addRow("http localhost") << u"http://localhost/x"_s << false << V::Allowed;
        QTest::addRow("http LOCALHOST") << u"http://LOCALHOST:1/x"_s << false << V::Allowed;
        QTest::addRow("http [::1]") << u"http://[::1]:8080/x"_s << false << V::Allowed;
        QTest::addRow("http [0::1]") << u"http://[0::1]/x"_s << false << V::Allowed;
        QTest::addRow("http remote")
                << u"http://example.com/x"_s << false << V::CleartextToRemoteHost;
        QTest::addRow("http remote, allowed") << u"http://example.com/x"_s << true << V::Allowed;
        QTest::addRow("http 10.0.0.1")
                << u"http://10.0.0.1/t"_s << false << V::CleartextToRemoteHost;
        QTest::addRow("http 0.0.0.0") << u"http://0.0.0.0/x"_s << false << V::CleartextToRemoteHost;
        QTest::addRow("http *.localhost")
                << u"http://evil.localhost/x"_s << false << V::CleartextToRemoteHost;
        QTest::addRow("http localhost.evil")
                << u"http://localhost.evil.com/t"_s << false << V::CleartextToRemoteHost;
        QTest::addRow("http localhost.")
                << u"http://localhost./x"_s << false << V::CleartextToRemoteHost;
        QTest::addRow("http v4-mapped")
                << u"http://[::ffff:127.0.0.1]/x"_s << false << V::CleartextToRemoteHost;
        QTest::addRow("http 127.999.1.1")
                << u"http://127.999.1.1/x"_s << false << V::CleartextToRemoteHost;
        QTest::addRow("ftp") << u"ftp://example.com/x"_s << false << V::UnsupportedScheme;
        QTest::addRow("ftp allowed") << u"ftp://example.com/x"_s << true << V::UnsupportedScheme;
        QTest::addRow("mailto") << u"mailto:a@example.com"_s << false << V::UnsupportedScheme;
        QTest::addRow("not a url") << u"not a url"_s << false << V::Invalid;
        QTest::addRow("empty") << QString() << true << V::Invalid;
        QTest::addRow("no host") << u"https://"_s << false << V::Invalid;
        QTest::addRow("http no host") << u"http:///x"_s << true << V::Invalid;
        QTest::addRow("relative") << u"/mcp"_s << true << V::Invalid;
    }
    void check()
    {
        QFETCH(QString, url);
        QFETCH(bool, allowInsecureHttp);
        QFETCH(UrlPolicy::Verdict, verdict);
        const QUrl parsed(url, QUrl::StrictMode);
        QCOMPARE(UrlPolicy::check(parsed, allowInsecureHttp), verdict);
        QCOMPARE(UrlPolicy::isAllowed(parsed, allowInsecureHttp),
                verdict == UrlPolicy::Verdict::Allowed);
    }

    void isLoopbackRedirectUri_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<bool>("allowed");

        QTest::addRow("127.0.0.1") << u"http://127.0.0.1:53682/callback"_s << true;
        QTest::addRow("127.0.0.2") << u"http://127.0.0.2:53682/callback"_s << true;
        QTest::addRow("localhost") << u"http://localhost:8080/"_s << true;
        QTest::addRow("[::1]") << u"http://[::1]:8080/cb"_s << true;
        QTest::addRow("no path") << u"http://127.0.0.1:8080"_s << true;
        QTest::addRow("no port") << u"http://127.0.0.1/callback"_s << false;
        QTest::addRow("port 0") << u"http://127.0.0.1:0/callback"_s << false;
        QTest::addRow("fragment") << u"http://127.0.0.1:8080/cb#x"_s << false;
        QTest::addRow("empty fragment") << u"http://127.0.0.1:8080/cb#"_s << false;
        QTest::addRow("https") << u"https://127.0.0.1:8080/cb"_s << false;
        QTest::addRow("remote") << u"http://example.com:8080/cb"_s << false;
        QTest::addRow("any address") << u"http://0.0.0.0:8080/cb"_s << false;
        QTest::addRow("v4-mapped") << u"http://[::ffff:127.0.0.1]:8080/cb"_s << false;
        QTest::addRow("custom scheme") << u"com.example.app:/cb"_s << false;
        QTest::addRow("empty") << QString() << false;
    }
    void isLoopbackRedirectUri()
    {
        QFETCH(QString, url);
        QTEST(UrlPolicy::isLoopbackRedirectUri(QUrl(url, QUrl::StrictMode)), "allowed");
    }
};

QTEST_APPLESS_MAIN(tst_UrlPolicy)
#include "tst_urlpolicy.moc"
