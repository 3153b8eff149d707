#pragma once

#include "support/fakeauthserver.h"
#include "support/freeport.h"

#include <QtCore/QFile>
#include <QtCore/QProcessEnvironment>
#include <QtCore/QString>
#include <QtCore/QStringList>
#include <QtCore/QTemporaryDir>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>
#include <QtNetwork/QNetworkRequest>
#include <QtTest/QTest>

namespace McpProxy::Test {

// A $BROWSER value that starts mcp-test-browser (testbrowser/main.cpp), which appends each URL it
// is given as one line to `log`. A program, not a script, so that a Windows build runs it too.
inline QString testBrowserCommand(const QString &log)
{
    return u'"' + QStringLiteral(MCPPROXY_TEST_BROWSER) + QStringLiteral("\" --append \"") + log
            + u'"';
}

// The user's browser in a test of the real binary: environment() makes mcp-test-browser the
// proxy's $BROWSER, which records every URL the proxy opens; completeLogin() plays the user who
// approves one at the fake authorization server, and delivers the redirect to the proxy's loopback
// callback as the browser would.
class TestBrowser
{
public:
    TestBrowser()
        : m_log(m_dir.filePath(QStringLiteral("urls.txt")))
        , m_command(testBrowserCommand(m_log))
    { }

    QString command() const { return m_command; }

    // $BROWSER = this browser, a free callback port (OAUTH2_CALLBACK_PORT), and the token store
    // under `configHome` when given (else each proxy gets its own empty one).
    QProcessEnvironment environment(const QString &configHome = {}) const
    {
        QProcessEnvironment env;
        env.insert(QStringLiteral("BROWSER"), m_command);
        env.insert(QStringLiteral("OAUTH2_CALLBACK_PORT"), QString::number(freePort()));
        if (!configHome.isEmpty()) {
            env.insert(QStringLiteral("XDG_CONFIG_HOME"), configHome);
            env.insert(QStringLiteral("APPDATA"), configHome); // Windows
        }
        return env;
    }

    // The URLs opened so far, oldest first.
    QStringList urls() const
    {
        QFile file(m_log);
        if (!file.open(QIODevice::ReadOnly))
            return {};
        return QString::fromUtf8(file.readAll()).split(u'\n', Qt::SkipEmptyParts);
    }

    // Waits for the proxy to open its `index`th URL, approves it at `auth`, and delivers the
    // redirect to the proxy's callback listener. Returns the callback's HTTP status, or -1 (no
    // URL opened), -2 (the authorization server refused it), -3 (the callback did not answer).
    int completeLogin(FakeAuthServer &auth, int index = 0)
    {
        if (!QTest::qWaitFor([&] { return urls().size() > index; }, 10000))
            return -1;
        const QUrl redirect = auth.approve(QUrl(urls().at(index)));
        if (redirect.isEmpty())
            return -2;
        QNetworkReply *reply = m_nam.get(QNetworkRequest(redirect));
        if (!QTest::qWaitFor([reply] { return reply->isFinished(); }, 10000))
            return -3;
        reply->deleteLater();
        return reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    }

private:
    QTemporaryDir m_dir;
    QString m_log;
    QString m_command;
    QNetworkAccessManager m_nam;
};

} // namespace McpProxy::Test
