#include "auth/protocol/authhttp.h"

#include <QtCore/QPointer>
#include <QtCore/QTimer>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>

#include <memory>

namespace McpProxy {

using namespace Qt::StringLiterals;

namespace AuthHttp {

QByteArray userAgent()
{
    return "mcp-oauth2-proxy/" MCPPROXY_VERSION " (Qt "_ba + qVersion() + ')';
}

QNetworkRequest makeRequest(const QUrl &url, const QByteArray &accept)
{
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::UserAgentHeader, userAgent());
    request.setRawHeader("Accept"_ba, accept);
    // Never follow a redirect with our credentials: QNAM would forward them to another origin
    // (docs/qt-notes.md, "Redirects forward our credentials").
    request.setAttribute(
            QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    request.setAttribute(QNetworkRequest::CookieLoadControlAttribute, QNetworkRequest::Manual);
    request.setAttribute(QNetworkRequest::CookieSaveControlAttribute, QNetworkRequest::Manual);
    request.setAttribute(QNetworkRequest::AuthenticationReuseAttribute, QNetworkRequest::Manual);
    request.setAttribute(
            QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
    request.setAttribute(QNetworkRequest::CacheSaveControlAttribute, false);
    return request;
}

namespace {

struct Exchange
{
    QPointer<QObject> owner;
    QPointer<QObject> context;
    std::function<void(const Reply &)> done;
    Reply reply;
    qint64 maxBodyBytes = 0;
    bool finished = false;
};

void readInto(Exchange &exchange, QNetworkReply *reply)
{
    if (exchange.reply.bodyTooLarge)
        return;
    if (exchange.reply.body.size() + reply->bytesAvailable() > exchange.maxBodyBytes) {
        exchange.reply.bodyTooLarge = true;
        reply->abort();
        return;
    }
    exchange.reply.body += reply->readAll();
}

} // namespace

void send(QNetworkAccessManager *nam, const QNetworkRequest &request, const QByteArray &verb,
        const QByteArray &body, int timeoutMs, QObject *owner, QObject *context,
        std::function<void(const Reply &)> done, qint64 maxBodyBytes)
{
    auto exchange = std::make_shared<Exchange>();
    exchange->owner = owner;
    exchange->context = context;
    exchange->done = std::move(done);
    exchange->maxBodyBytes = maxBodyBytes;

    QNetworkReply *reply = verb == "GET"_ba ? nam->get(request)
            : verb == "POST"_ba             ? nam->post(request, body)
                                            : nam->sendCustomRequest(request, verb, body);

    auto *timer = new QTimer(reply);
    timer->setSingleShot(true);
    QObject::connect(timer, &QTimer::timeout, reply, [exchange, reply] {
        exchange->reply.timedOut = true;
        reply->abort();
    });
    timer->start(qMax(1, timeoutMs));

    QObject::connect(reply, &QNetworkReply::readyRead, reply,
            [exchange, reply] { readInto(*exchange, reply); });
    QObject::connect(reply, &QNetworkReply::finished, reply, [exchange, reply] {
        reply->deleteLater();
        if (exchange->finished)
            return;
        exchange->finished = true;
        if (!exchange->owner || !exchange->context)
            return; // abandoned
        Reply &result = exchange->reply;
        if (!result.bodyTooLarge && !result.timedOut && reply->isOpen())
            readInto(*exchange, reply);
        result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        result.contentType = reply->header(QNetworkRequest::ContentTypeHeader).toByteArray();
        if (result.isRedirect()) {
            const QUrl location =
                    reply->attribute(QNetworkRequest::RedirectionTargetAttribute).toUrl();
            result.redirectTarget = reply->url().resolved(location);
        }
        if (result.status == 0)
            result.networkError = reply->errorString();
        // The reply lives on the network thread; the callback runs on the context's.
        QMetaObject::invokeMethod(exchange->context.data(),
                [done = std::move(exchange->done), result] { done(result); });
    });
    if (owner) {
        // Destroying the owner abandons the exchange (the callback is not called).
        QObject::connect(owner, &QObject::destroyed, reply, [reply] { reply->abort(); });
    }
}

void post(QObject *context, std::function<void()> function)
{
    QMetaObject::invokeMethod(context, std::move(function), Qt::QueuedConnection);
}

QString displayUrl(const QUrl &url)
{
    return url.adjusted(QUrl::RemoveUserInfo | QUrl::RemoveQuery | QUrl::RemoveFragment)
            .toString(QUrl::FullyEncoded);
}

QString excerpt(const QString &text, qsizetype maxChars)
{
    QString out;
    out.reserve(qMin(text.size(), maxChars + 1));
    for (const QChar c : text) {
        if (out.size() >= maxChars) {
            out += QChar(0x2026);
            break;
        }
        out += (c.category() == QChar::Other_Control || c.category() == QChar::Other_Format)
                ? QChar(u' ')
                : c;
    }
    return out.trimmed();
}

} // namespace AuthHttp

} // namespace McpProxy
