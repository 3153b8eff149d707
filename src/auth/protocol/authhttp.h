#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QObject>
#include <QtCore/QString>
#include <QtCore/QUrl>
#include <QtNetwork/QNetworkRequest>

#include <functional>

class QNetworkAccessManager;

namespace McpProxy {

// The HTTP exchange shared by the token, discovery and registration clients: no cookies, no
// stored credentials, redirects not followed (docs/qt-notes.md), a bounded body, and a deadline
// for the whole exchange.
namespace AuthHttp {

struct Reply
{
    int status = 0; // 0: no HTTP response (network error or timeout)
    QByteArray body; // at most the size limit
    QByteArray contentType;
    QUrl redirectTarget; // the Location of a 3xx, resolved; never followed
    bool timedOut = false;
    bool bodyTooLarge = false;
    QString networkError; // Qt's description when there was no HTTP response

    bool isSuccess() const { return status >= 200 && status < 300; }
    bool isRedirect() const { return status >= 300 && status < 400; }
};

// "mcp-oauth2-proxy/<version> (Qt <version>)".
QByteArray userAgent();
// A request with the User-Agent, Accept, manual redirects, and no cookies or cached credentials.
QNetworkRequest makeRequest(const QUrl &url, const QByteArray &accept);
// GET when `verb` is "GET" (body ignored), else that verb with the body. `done` runs exactly once
// on `context`'s thread (later, never inside send()), unless `context` or `owner` was destroyed
// first: destroying `owner` aborts the exchange silently.
void send(QNetworkAccessManager *nam, const QNetworkRequest &request, const QByteArray &verb,
        const QByteArray &body, int timeoutMs, QObject *owner, QObject *context,
        std::function<void(const Reply &)> done, qint64 maxBodyBytes = 1024 * 1024);
// Runs `function` later on `context`'s thread unless `context` is destroyed before.
void post(QObject *context, std::function<void()> function);
// A URL for logs and error messages: without user info, query and fragment.
QString displayUrl(const QUrl &url);
// A bounded, single-line excerpt of a server-provided text (control characters replaced).
QString excerpt(const QString &text, qsizetype maxChars = 200);

} // namespace AuthHttp

} // namespace McpProxy
