#include "auth/store/mcpremotestore.h"

#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

using namespace Qt::StringLiterals;
using McpProxy::McpRemoteLogin;

// Reading what mcp-remote (npm, 0.15) stored for one server: <hash>_client_info.json and
// <hash>_tokens.json in its mcp-remote-v1 directory.
class tst_McpRemoteStore : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void read_data();
    void read();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
};

void tst_McpRemoteStore::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void tst_McpRemoteStore::read_data()
{
    QTest::addColumn<QByteArray>("clientInfo"); // empty: no file
    QTest::addColumn<QByteArray>("tokens");
    QTest::addColumn<bool>("hasClient");
    QTest::addColumn<bool>("hasTokens");
    QTest::addColumn<QString>("clientId");
    QTest::addColumn<QStringList>("redirectUris");
    QTest::addColumn<qint64>("expiresAtMs"); // -1: invalid

    // As mcp-remote 0.15 writes them (the SDK's OAuthClientInformationFull and OAuthTokens plus
    // expires_at, requested_scope and issuer).
    const QByteArray client = R"({"redirect_uris":["http://localhost:12704/oauth/callback"],
        "token_endpoint_auth_method":"none","grant_types":["authorization_code","refresh_token"],
        "response_types":["code"],"client_name":"MCP CLI Proxy","client_id":"dyn-1",
        "client_id_issued_at":1760000000,"issuer":"https://auth.example.com"})";
    const QByteArray tokens = R"({"access_token":"at","token_type":"bearer","expires_in":3600,
        "refresh_token":"rt","scope":"openid","expires_at":1760003600000,
        "requested_scope":"openid"})";
    QTest::addRow("both") << client << tokens << true << true << u"dyn-1"_s
                          << QStringList{u"http://localhost:12704/oauth/callback"_s}
                          << qint64(1760003600000);
    QTest::addRow("expires_at as a string")
            << QByteArray() << QByteArray(R"({"refresh_token":"rt","expires_at":"1000"})") << false
            << true << QString() << QStringList{} << qint64(1000);
    QTest::addRow("none") << QByteArray() << QByteArray() << false << false << QString()
                          << QStringList{} << qint64(-1);
    QTest::addRow("not JSON") << QByteArray("{") << QByteArray("[]") << false << false << QString()
                              << QStringList{} << qint64(-1);
    QTest::addRow("client without id")
            << QByteArray(R"({"redirect_uris":[]})") << QByteArray() << false << false << QString()
            << QStringList{} << qint64(-1);
    QTest::addRow("tokens without a token")
            << QByteArray() << QByteArray(R"({"token_type":"bearer"})") << false << false
            << QString() << QStringList{} << qint64(-1);
}

void tst_McpRemoteStore::read()
{
    QFETCH(QByteArray, clientInfo);
    QFETCH(QByteArray, tokens);
    const QString hash = u"2499d8b26827bb8c0b6efe76f75fcbe2"_s;
    const auto write = [this, &hash](const QString &suffix, const QByteArray &content) {
        if (content.isEmpty())
            return;
        QFile file(m_dir->filePath(hash + suffix));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(content);
    };
    write(u"_client_info.json"_s, clientInfo);
    write(u"_tokens.json"_s, tokens);
    // Another server's files are not read.
    QFile other(m_dir->filePath(u"ffffffffffffffffffffffffffffffff_tokens.json"_s));
    QVERIFY(other.open(QIODevice::WriteOnly));
    other.write(R"({"refresh_token":"other"})");
    other.close();

    const McpRemoteLogin login = McpProxy::readMcpRemoteLogin(m_dir->path(), hash);
    QTEST(login.client.has_value(), "hasClient");
    QTEST(login.tokens.has_value(), "hasTokens");
    if (login.client) {
        QTEST(login.client->clientId, "clientId");
        QTEST(login.client->redirectUris, "redirectUris");
        QCOMPARE(login.client->tokenEndpointAuthMethod, u"none"_s);
        QCOMPARE(login.client->issuer, u"https://auth.example.com"_s);
    }
    if (login.tokens) {
        QVERIFY(login.tokens->refreshToken == u"rt"_s); // a secret: compared, never printed
        QFETCH(qint64, expiresAtMs);
        QCOMPARE(login.tokens->expiresAt.toMSecsSinceEpoch(), expiresAtMs);
    }
    QVERIFY(!McpProxy::readMcpRemoteLogin(QString(), hash).tokens);
}

QTEST_GUILESS_MAIN(tst_McpRemoteStore)

#include "tst_mcpremotestore.moc"
