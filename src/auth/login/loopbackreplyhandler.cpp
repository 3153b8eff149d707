#include "auth/login/loopbackreplyhandler.h"

#include "logging/logcategories.h"
#include "network/urlpolicy.h"

#include <QtCore/QDateTime>
#include <QtCore/QFile>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QList>
#include <QtCore/QTimer>
#include <QtNetwork/QNetworkReply>
#include <QtNetwork/QNetworkRequest>
#include <QtNetwork/QTcpSocket>
#if QT_VERSION >= QT_VERSION_CHECK(6, 7, 0)
#include <QtNetworkAuth/QAbstractOAuth>
#endif

#include <utility>

using namespace Qt::StringLiterals;

// The pages live in an object of mcpproxy_auth that nothing references; inside the static
// mcpproxy_core archive the linker would drop it. Referencing its initializer keeps it.
// Q_INIT_RESOURCE must be used outside any namespace.
static void initCallbackPages()
{
    Q_INIT_RESOURCE(mcpproxy_auth_pages);
}

namespace McpProxy {

namespace {

using QueryItems = QList<std::pair<QString, QString>>;

// application/x-www-form-urlencoded parsing (WHATWG URL section 5.1, RFC 6749 Appendix B): '+' is a
// space, then percent-decoding as UTF-8. The values come out fully decoded, so nothing downstream
// decodes or encodes them twice (QTBUG-81624).
QueryItems parseFormQuery(const QByteArray &rawQuery)
{
    QueryItems items;
    for (QByteArray part : rawQuery.split('&')) {
        if (part.isEmpty())
            continue;
        part.replace('+', ' ');
        const qsizetype eq = part.indexOf('=');
        const QByteArray key = eq < 0 ? part : part.left(eq);
        const QByteArray value = eq < 0 ? QByteArray() : part.mid(eq + 1);
        items.append({QUrl::fromPercentEncoding(key), QUrl::fromPercentEncoding(value)});
    }
    return items;
}

QStringList valuesOf(const QueryItems &items, QStringView key)
{
    QStringList values;
    for (const auto &[k, v] : items) {
        if (k == key)
            values.append(v);
    }
    return values;
}

// Compares in a time that depends only on the length of `expected` (the state is 43 characters
// whatever the attacker sends), so response timing does not reveal a matching prefix.
bool constantTimeEquals(QByteArrayView received, QByteArrayView expected)
{
    unsigned char diff = received.size() == expected.size() ? 0 : 1;
    for (qsizetype i = 0; i < expected.size(); ++i) {
        const unsigned char r = i < received.size() ? static_cast<unsigned char>(received[i]) : 0;
        diff |= static_cast<unsigned char>(r ^ static_cast<unsigned char>(expected[i]));
    }
    return diff == 0;
}

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200:
        return "OK"_ba;
    case 400:
        return "Bad Request"_ba;
    case 404:
        return "Not Found"_ba;
    case 405:
        return "Method Not Allowed"_ba;
    case 431:
        return "Request Header Fields Too Large"_ba;
    default:
        return "Error"_ba;
    }
}

// Replaces {{name}} placeholders in one pass, so a value can never introduce a placeholder.
QString fillTemplate(const QString &html, const QHash<QString, QString> &values)
{
    QString out;
    out.reserve(html.size() + 256);
    qsizetype pos = 0;
    while (pos < html.size()) {
        const qsizetype open = html.indexOf("{{"_L1, pos);
        const qsizetype close = open < 0 ? -1 : html.indexOf("}}"_L1, open + 2);
        if (open < 0 || close < 0) {
            out += QStringView(html).mid(pos);
            break;
        }
        out += QStringView(html).mid(pos, open - pos);
        const QString name = html.mid(open + 2, close - open - 2);
        out += values.value(name);
        pos = close + 2;
    }
    return out;
}

QString loadTemplate(const QString &resource)
{
    QFile file(resource);
    if (file.open(QIODevice::ReadOnly))
        return QString::fromUtf8(file.readAll());
    qCWarning(lcAuth, "callback page template %s is missing; using a bare page",
            qUtf8Printable(resource));
    return u"<!doctype html><html><head><meta charset=\"utf-8\"><title>{{title}}</title></head>"
           "<body><h1>{{title}}</h1><p>{{message}}</p></body></html>"_s;
}

} // namespace

LoopbackReplyHandler::LoopbackReplyHandler(QObject *parent)
    : QOAuthOobReplyHandler(parent)
{
    static const bool pagesRegistered = (initCallbackPages(), true);
    Q_UNUSED(pagesRegistered);
    connect(&m_server, &QTcpServer::newConnection, this, &LoopbackReplyHandler::acceptConnections);
}

LoopbackReplyHandler::~LoopbackReplyHandler()
{
    // The sockets are children of m_server, which is destroyed after m_pending: detach them
    // from this object first so no slot of ours runs during member destruction.
    const QList<QTcpSocket *> sockets = m_pending.keys();
    for (QTcpSocket *socket : sockets) {
        disconnect(socket, nullptr, this, nullptr);
        socket->abort();
        delete socket;
    }
    m_pending.clear();
}

void LoopbackReplyHandler::setCallbackHost(const QString &host)
{
    m_host = host.trimmed().toLower();
}

void LoopbackReplyHandler::setCallbackPath(const QString &path)
{
    m_path = path.startsWith(u'/') ? path : u'/' + path;
}

QHostAddress LoopbackReplyHandler::bindAddress() const
{
    // RFC 8252 sections 7.3 / 8.3: loopback only; "localhost" is bound as the IPv4 literal.
    if (!UrlPolicy::isLoopbackHost(m_host))
        return {};
    if (m_host == "localhost"_L1)
        return QHostAddress(QHostAddress::LocalHost);
    return QHostAddress(m_host == "[::1]"_L1 ? u"::1"_s : m_host);
}

QString LoopbackReplyHandler::urlHost() const
{
    if (m_host == "[::1]"_L1)
        return u"::1"_s;
    return m_host;
}

bool LoopbackReplyHandler::listen(quint16 port)
{
    close();
    m_errorString.clear();
    const QHostAddress address = bindAddress();
    if (address.isNull()) {
        m_errorString = tr("The OAuth callback host %1 is not a loopback address; use 127.0.0.1, "
                           "localhost or ::1.")
                                .arg(m_host);
        return false;
    }
    if (!m_server.listen(address, port)) {
        m_errorString = tr("Cannot listen for the OAuth callback on %1 port %2: %3. Another "
                           "program may be using the port; choose another one with %4.")
                                .arg(address.toString(), QString::number(port),
                                        m_server.errorString(), m_portSettingName);
        return false;
    }
    qCDebug(lcAuth, "callback listener on %s port %u, path %s", qUtf8Printable(address.toString()),
            unsigned(m_server.serverPort()), qUtf8Printable(m_path));
    return true;
}

void LoopbackReplyHandler::close()
{
    m_server.close();
    // Connections still waiting for their request are dropped; answered ones are left to flush
    // their page and close themselves (bounded by the request timeout).
    const QList<QTcpSocket *> sockets = m_pending.keys();
    for (QTcpSocket *socket : sockets) {
        if (!m_pending.value(socket).answered) {
            m_pending.remove(socket);
            disconnect(socket, nullptr, this, nullptr);
            socket->abort();
            socket->deleteLater();
        }
    }
}

QString LoopbackReplyHandler::callback() const
{
    return callbackUrl().toString(QUrl::FullyEncoded);
}

QUrl LoopbackReplyHandler::callbackUrl() const
{
    QUrl url;
    url.setScheme(u"http"_s);
    url.setHost(urlHost()); // QUrl brackets an IPv6 literal itself
    url.setPort(m_server.serverPort());
    url.setPath(m_path);
    return url;
}

void LoopbackReplyHandler::setExpectedState(const QByteArray &state)
{
    m_expectedState = state;
}

void LoopbackReplyHandler::acceptConnections()
{
    while (QTcpSocket *socket = m_server.nextPendingConnection()) {
        if (m_pending.size() >= MaxConnections) {
            qCDebug(lcAuth, "callback listener: too many open connections, dropping one");
            socket->abort();
            socket->deleteLater();
            continue;
        }
        m_pending.insert(socket, Pending());
        socket->setReadBufferSize(MaxHeaderBytes + 4);
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { readRequest(socket); });
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        connect(socket, &QObject::destroyed, this, [this, socket] { m_pending.remove(socket); });
        // Slow or idle clients (browsers open speculative connections) are dropped.
        QTimer::singleShot(m_requestTimeoutMs, socket, [socket] { socket->abort(); });
    }
}

void LoopbackReplyHandler::readRequest(QTcpSocket *socket)
{
    const auto it = m_pending.find(socket);
    if (it == m_pending.end() || it->answered) {
        socket->readAll(); // one request per connection (Connection: close)
        return;
    }
    it->buffer += socket->read(MaxHeaderBytes + 4 - it->buffer.size());
    qsizetype end = it->buffer.indexOf("\r\n\r\n");
    if (end < 0)
        end = it->buffer.indexOf("\n\n");
    if (end < 0 || end > MaxHeaderBytes) {
        if (it->buffer.size() > MaxHeaderBytes) {
            it->buffer.clear();
            reject(socket, 431, tr("The request header is too large."),
                    u"request header larger than 16 KiB"_s);
        }
        return; // the rest of the head comes in a later read
    }
    const QByteArray head = it->buffer.left(end);
    it->buffer.clear();
    handleRequest(socket, head);
}

void LoopbackReplyHandler::handleRequest(QTcpSocket *socket, const QByteArray &head)
{
    QList<QByteArray> lines = head.split('\n');
    for (QByteArray &line : lines) {
        if (line.endsWith('\r'))
            line.chop(1);
    }
    const QList<QByteArray> requestLine = lines.value(0).split(' ');
    if (requestLine.size() != 3
            || (requestLine.at(2) != "HTTP/1.1"_ba && requestLine.at(2) != "HTTP/1.0"_ba)) {
        reject(socket, 400, tr("Malformed request."), u"malformed request line"_s);
        return;
    }
    QByteArray host;
    int hostCount = 0;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray &line = lines.at(i);
        const qsizetype colon = line.indexOf(':');
        // RFC 9112 sections 5.1/5.2: no whitespace before the colon, no obsolete line folding.
        if (colon <= 0 || line.startsWith(' ') || line.startsWith('\t')
                || line.left(colon).contains(' ') || line.left(colon).contains('\t')) {
            reject(socket, 400, tr("Malformed request."), u"malformed header line"_s);
            return;
        }
        if (line.left(colon).compare("host", Qt::CaseInsensitive) == 0) {
            ++hostCount;
            host = line.mid(colon + 1).trimmed().toLower();
        }
    }
    // RFC 9112 section 3.2: exactly one Host. It must name our listener, so a page on another
    // origin that rebinds its DNS name to 127.0.0.1 cannot talk to us (DNS rebinding).
    if (hostCount != 1 || !hostAllowed(host)) {
        reject(socket, 400, tr("Request rejected: unexpected Host header."),
                u"unexpected Host header: %1"_s.arg(QString::fromLatin1(host.left(100))));
        return;
    }
    if (requestLine.at(0) != "GET"_ba) {
        reject(socket, 405, tr("Only GET requests are accepted here."),
                u"method %1 not allowed"_s.arg(QString::fromLatin1(requestLine.at(0).left(20))));
        return;
    }
    QByteArray target = requestLine.at(1);
    if (const qsizetype hash = target.indexOf('#'); hash >= 0)
        target.truncate(hash);
    if (!target.startsWith('/')) {
        reject(socket, 400, tr("Malformed request."), u"request target is not a path"_s);
        return;
    }
    const qsizetype question = target.indexOf('?');
    const QByteArray rawPath = question < 0 ? target : target.left(question);
    if (QUrl::fromPercentEncoding(rawPath) != m_path) {
        reject(socket, 404, tr("Not found."), u"unknown path"_s);
        return;
    }
    handleAuthorizationResponse(socket, question < 0 ? QByteArray() : target.mid(question + 1));
}

void LoopbackReplyHandler::handleAuthorizationResponse(
        QTcpSocket *socket, const QByteArray &rawQuery)
{
    const QueryItems items = parseFormQuery(rawQuery);
    // The state first (RFC 6749 section 10.12, RFC 9700 section 4.7): a response that does not
    // carry exactly our state is not ours, whatever else it says, so an `error` in it must not end
    // the login.
    const QStringList states = valuesOf(items, u"state");
    if (m_expectedState.isEmpty() || states.size() != 1
            || !constantTimeEquals(states.constFirst().toUtf8(), m_expectedState)) {
        reject(socket, 400,
                tr("This page does not belong to a login in progress. Start the login again "
                   "from your MCP client."),
                m_expectedState.isEmpty()
                        ? u"authorization response while no login is waiting"_s
                        : u"authorization response with a wrong or missing state"_s);
        return;
    }
    m_expectedState.clear(); // consumed: this response ends the login, whatever it says

    const QStringList issuers = valuesOf(items, u"iss");
    const QStringList errors = valuesOf(items, u"error");
    const QStringList codes = valuesOf(items, u"code");
    // description: for the user (translated, or the server's own text); page: the browser's.
    const auto fail = [this, socket](const QString &error, const QString &description,
                              const QString &page) {
        qCWarning(lcAuth, "authorization response rejected: %s: %s", qUtf8Printable(error),
                qUtf8Printable(description));
        respond(socket, 400, Page::LoginFailed, page);
        Q_EMIT callbackFailed(error, description);
    };
    const auto failWith = [&fail](const QString &error, const QString &description) {
        fail(error, description, tr("Login failed: %1").arg(description));
    };
    // RFC 6749 section 3.1: parameters must not be repeated.
    if (issuers.size() > 1 || errors.size() > 1 || codes.size() > 1) {
        failWith(u"invalid_response"_s,
                tr("the authorization server sent a malformed response (a parameter is "
                   "repeated)."));
        return;
    }
    // RFC 9207 section 2.4: the issuer, when present, must be the one we sent the request to; when
    // the server announces authorization_response_iss_parameter_supported it must be present.
    if (issuers.isEmpty() && m_issRequired) {
        failWith(u"invalid_issuer"_s,
                tr("the response did not identify the authorization server, although the "
                   "server announces that it does (RFC 9207 iss parameter)."));
        return;
    }
    if (!issuers.isEmpty() && !m_expectedIssuer.isEmpty()
            && issuers.constFirst() != m_expectedIssuer) {
        failWith(u"invalid_issuer"_s,
                tr("the response came from the authorization server %1 instead of %2 (RFC 9207)."
                   " Another server may be trying to intercept the login.")
                        .arg(issuers.constFirst(), m_expectedIssuer));
        return;
    }
    if (!errors.isEmpty()) {
        // RFC 6749 section 4.1.2.1 error response: the server's code and text, as they are.
        const QString &error = errors.constFirst();
        const QString description = valuesOf(items, u"error_description").value(0);
        const QString shown = description.isEmpty() ? error : u"%1 (%2)"_s.arg(error, description);
        fail(error, description, tr("Login failed: %1").arg(shown));
        return;
    }
    if (codes.isEmpty() || codes.constFirst().isEmpty()) {
        failWith(u"invalid_response"_s,
                tr("the authorization server sent neither an authorization code nor an error."));
        return;
    }
    QVariantMap values;
    for (const auto &[key, value] : items)
        values.insert(key, value);
    qCInfo(lcAuth, "authorization response received");
    respond(socket, 200, Page::Success,
            tr("Login complete. You can close this tab and return to your MCP client."));
    Q_EMIT callbackReceived(values);
}

bool LoopbackReplyHandler::hostAllowed(const QByteArray &host) const
{
    const QByteArray port = QByteArray::number(m_server.serverPort());
    const QHostAddress address = bindAddress();
    const bool v6 = address.protocol() == QAbstractSocket::IPv6Protocol;
    const QList<QByteArray> names = {
            v6 ? "[::1]"_ba : address.toString().toLatin1(), "localhost"_ba};
    for (const QByteArray &name : names) {
        if (host == name + ':' + port || (port == "80"_ba && host == name))
            return true;
    }
    return false;
}

void LoopbackReplyHandler::reject(
        QTcpSocket *socket, int status, const QString &message, const QString &reason)
{
    qCInfo(lcAuth, "callback listener: rejected a request (%d): %s", status,
            qUtf8Printable(reason));
    respond(socket, status, Page::Rejected, message,
            status == 405 ? "Allow: GET\r\n"_ba : QByteArray());
    Q_EMIT callbackRejected(reason);
}

void LoopbackReplyHandler::respond(QTcpSocket *socket, int status, Page page,
        const QString &message, const QByteArray &extraHeaders)
{
    if (const auto it = m_pending.find(socket); it != m_pending.end())
        it->answered = true;
    const bool success = page == Page::Success;
    const QString title = success       ? tr("Login complete")
            : page == Page::LoginFailed ? tr("Login failed")
                                        : tr("Request rejected");
    const QString html =
            fillTemplate(loadTemplate(success ? u":/mcpproxy/auth/callback-success.html"_s
                                              : u":/mcpproxy/auth/callback-failure.html"_s),
                    {{u"title"_s, htmlEscaped(title)}, {u"message"_s, htmlEscaped(message)}});
    const QByteArray body = html.toUtf8();
    // No external assets and nothing to leak: the page cannot load anything, is not cached and
    // sends no Referer (the URL holds the code).
    socket->write("HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status)
            + "\r\n"
              "Content-Type: text/html; charset=utf-8\r\n"
              "Content-Length: "
            + QByteArray::number(body.size())
            + "\r\n"
              "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n"
              "Cache-Control: no-store\r\n"
              "Pragma: no-cache\r\n"
              "Referrer-Policy: no-referrer\r\n"
              "X-Content-Type-Options: nosniff\r\n"
              "X-Frame-Options: DENY\r\n"
            + extraHeaders + "Connection: close\r\n\r\n" + body);
    socket->disconnectFromHost();
}

QString LoopbackReplyHandler::htmlEscaped(const QString &text)
{
    QString out;
    out.reserve(text.size() + text.size() / 8);
    for (const QChar c : text) {
        switch (c.unicode()) {
        case u'&':
            out += "&amp;"_L1;
            break;
        case u'<':
            out += "&lt;"_L1;
            break;
        case u'>':
            out += "&gt;"_L1;
            break;
        case u'"':
            out += "&quot;"_L1;
            break;
        case u'\'':
            out += "&#39;"_L1;
            break;
        default:
            out += c;
        }
    }
    return out;
}

void LoopbackReplyHandler::networkReplyFinished(QNetworkReply *reply)
{
    if (!reply)
        return;
    reply->deleteLater(); // 6.4 never deletes code-exchange replies (docs/qt-notes.md)
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray body = reply->readAll();
    TokenResponse response;
    if (status == 0) {
        response.error.error = u"network_error"_s;
        response.error.description = reply->errorString();
    } else {
        // RFC 6749 sections 5.1/5.2; 6.4 would only log a warning here (docs/qt-notes.md).
        response = parseTokenResponse(status, body, QDateTime::currentDateTimeUtc());
    }
    if (!response.tokens) {
        qCWarning(lcAuth, "token request failed: %s", qUtf8Printable(response.error.toString()));
        Q_EMIT tokenResponseReceived(response);
#if QT_VERSION >= QT_VERSION_CHECK(6, 7, 0)
        Q_EMIT tokenRequestErrorOccurred(status == 0 ? QAbstractOAuth::Error::NetworkError
                                                     : QAbstractOAuth::Error::ServerError,
                response.error.toString());
#endif
        return;
    }
    Q_EMIT tokenResponseReceived(response);
    Q_EMIT replyDataReceived(body);
    Q_EMIT tokensReceived(QJsonDocument::fromJson(body).object().toVariantMap());
}

} // namespace McpProxy
