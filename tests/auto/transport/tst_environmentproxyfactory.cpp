#include "transport/environmentproxyfactory.h"

#include <QtTest/QTest>

using namespace McpProxy;
using namespace Qt::StringLiterals;

class tst_EnvironmentProxyFactory : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void noProxyRules_data();
    void noProxyRules();
    void proxySelection_data();
    void proxySelection();
};

void tst_EnvironmentProxyFactory::noProxyRules_data()
{
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("noProxy");
    QTest::addColumn<bool>("bypass");
    QTest::newRow("star") << u"api.example.com"_s << 443 << u"*"_s << true;
    QTest::newRow("exact") << u"internal.corp"_s << 443 << u"internal.corp"_s << true;
    QTest::newRow("suffix without dot")
            << u"auth.internal.corp"_s << 443 << u"internal.corp"_s << true;
    QTest::newRow("not a suffix match")
            << u"notinternal.corp"_s << 443 << u"internal.corp"_s << false;
    QTest::newRow("leading dot") << u"a.b.corp"_s << 443 << u".b.corp"_s << true;
    QTest::newRow("leading dot matches bare") << u"b.corp"_s << 443 << u".b.corp"_s << true;
    QTest::newRow("wildcard dot") << u"x.corp"_s << 443 << u"*.corp"_s << true;
    QTest::newRow("case insensitive") << u"API.Example.COM"_s << 443 << u"example.com"_s << true;
    QTest::newRow("list with spaces") << u"b.org"_s << 443 << u" a.org , b.org "_s << true;
    QTest::newRow("port matches") << u"a.org"_s << 8443 << u"a.org:8443"_s << true;
    QTest::newRow("port differs") << u"a.org"_s << 443 << u"a.org:8443"_s << false;
    QTest::newRow("empty") << u"a.org"_s << 443 << QString() << false;
}

void tst_EnvironmentProxyFactory::noProxyRules()
{
    QFETCH(QString, host);
    QFETCH(int, port);
    QFETCH(QString, noProxy);
    QFETCH(bool, bypass);
    QCOMPARE(EnvironmentProxyFactory::bypassesProxy(host, port, noProxy), bypass);
}

void tst_EnvironmentProxyFactory::proxySelection_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QStringList>("environment");
    QTest::addColumn<int>("type"); // -1: no decision (system settings apply)
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::newRow("nothing set") << u"https://a.org/mcp"_s << QStringList() << -1 << QString() << 0;
    QTest::newRow("upper case https")
            << u"https://a.org/mcp"_s << QStringList{u"HTTPS_PROXY=http://proxy.corp:3128"_s}
            << int(QNetworkProxy::HttpProxy) << u"proxy.corp"_s << 3128;
#ifdef Q_OS_WIN
    // Windows environment variable names are case-insensitive: one variable, the last value.
    QTest::newRow("one variable whatever the case")
            << u"https://a.org/mcp"_s
            << QStringList{u"https_proxy=http://lower:1"_s, u"HTTPS_PROXY=http://upper:2"_s}
            << int(QNetworkProxy::HttpProxy) << u"upper"_s << 2;
    QTest::newRow("lower case name")
            << u"https://a.org/mcp"_s << QStringList{u"https_proxy=http://lower:1"_s}
            << int(QNetworkProxy::HttpProxy) << u"lower"_s << 1;
#else
    QTest::newRow("lower case wins")
            << u"https://a.org/mcp"_s
            << QStringList{u"https_proxy=http://lower:1"_s, u"HTTPS_PROXY=http://upper:2"_s}
            << int(QNetworkProxy::HttpProxy) << u"lower"_s << 1;
#endif
    QTest::newRow("http uses http_proxy")
            << u"http://a.org/mcp"_s << QStringList{u"HTTP_PROXY=proxy:8000"_s}
            << int(QNetworkProxy::HttpProxy) << u"proxy"_s << 8000;
    QTest::newRow("all_proxy socks")
            << u"https://a.org/mcp"_s << QStringList{u"ALL_PROXY=socks5://s:1081"_s}
            << int(QNetworkProxy::Socks5Proxy) << u"s"_s << 1081;
    QTest::newRow("no_proxy bypass")
            << u"https://a.org/mcp"_s
            << QStringList{u"HTTPS_PROXY=http://p:1"_s, u"NO_PROXY=a.org"_s}
            << int(QNetworkProxy::NoProxy) << QString() << 0;
    QTest::newRow("loopback never proxied")
            << u"http://127.0.0.1:8080/mcp"_s << QStringList{u"HTTP_PROXY=http://p:1"_s}
            << int(QNetworkProxy::NoProxy) << QString() << 0;
}

void tst_EnvironmentProxyFactory::proxySelection()
{
    QFETCH(QString, url);
    QFETCH(QStringList, environment);
    QFETCH(int, type);
    QFETCH(QString, host);
    QFETCH(int, port);
    QProcessEnvironment env;
    for (const QString &assignment : environment)
        env.insert(assignment.section(u'=', 0, 0), assignment.section(u'=', 1));
    const auto proxy = EnvironmentProxyFactory::proxyFromEnvironment(QUrl(url), env);
    QCOMPARE(proxy.has_value(), type >= 0);
    if (!proxy)
        return;
    QCOMPARE(int(proxy->type()), type);
    if (!host.isEmpty()) {
        QCOMPARE(proxy->hostName(), host);
        QCOMPARE(int(proxy->port()), port);
    }
}

QTEST_APPLESS_MAIN(tst_EnvironmentProxyFactory)
#include "tst_environmentproxyfactory.moc"
