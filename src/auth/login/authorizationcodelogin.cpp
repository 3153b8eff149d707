#include "auth/login/authorizationcodelogin.h"

#include "auth/login/browserlauncher.h"
#include "auth/login/loopbackreplyhandler.h"
#include "auth/protocol/pkce.h"
#include "logging/logcategories.h"
#include "logging/standardstreams.h"
#include "network/urlpolicy.h"

#include <QtCore/QMultiMap>
#include <QtCore/QSet>
#include <QtCore/QVariant>
#include <QtNetworkAuth/QOAuth2AuthorizationCodeFlow>

#include <limits>

using namespace Qt::StringLiterals;

namespace McpProxy {

// QOAuth2AuthorizationCodeFlow as an authorization-request builder only. The base
// resourceOwnerAuthorization() connects authorizationCallbackReceived to the flow's private
// callback handler, which checks the state and then exchanges the code itself
// (requestAccessToken, with 6.4's double-encoded code and client_secret_post only). This override
// builds the URL (through the modify-parameters hook) and asks for the browser, and makes no
// such connection: the flow can never see a callback, so it can never exchange a code.
class AuthorizationRequestFlow : public QOAuth2AuthorizationCodeFlow
{
public:
    using QOAuth2AuthorizationCodeFlow::QOAuth2AuthorizationCodeFlow;

protected:
    void resourceOwnerAuthorization(
            const QUrl &url, const QMultiMap<QString, QVariant> &parameters) override
    {
        if (url != authorizationUrl())
            return;
        Q_EMIT authorizeWithBrowser(buildAuthenticateUrl(parameters));
    }
};

namespace {

// Parameters the login owns in the authorization request (RFC 6749 section 4.1.1, RFC 7636
// section 4.3, RFC 8707 section 2): neither extraParams nor the endpoint's own query may replace
// them (the npm package lets extraParams override them).
const QSet<QString> &protocolParameters()
{
    static const QSet<QString> names = {u"response_type"_s, u"client_id"_s, u"redirect_uri"_s,
            u"scope"_s, u"state"_s, u"code_challenge"_s, u"code_challenge_method"_s, u"resource"_s};
    return names;
}

// The flow puts values into a QUrlQuery, which leaves '+' alone and reads "%XX" as an escape
// (docs/qt-notes.md): every value goes in percent-encoded (RFC 3986 unreserved characters kept).
QString encoded(const QString &value)
{
    return QString::fromLatin1(QUrl::toPercentEncoding(value));
}

} // namespace

AuthorizationCodeLogin::AuthorizationCodeLogin(QObject *parent)
    : QObject(parent)
    , m_flow(new AuthorizationRequestFlow(static_cast<QNetworkAccessManager *>(nullptr), this))
    , m_handler(new LoopbackReplyHandler(this))
{
    // Always set explicitly, or 6.4's refresh never completes (docs/qt-notes.md); the flow asks it
    // for callback().
    m_flow->setReplyHandler(m_handler);
#if QT_VERSION >= QT_VERSION_CHECK(6, 8, 0)
    // Native PKCE (6.8+) keeps its verifier private, and the caller needs it for the token
    // request it makes itself: keep adding our own challenge, as on 6.4, and not a second one.
    m_flow->setPkceMethod(QOAuth2AuthorizationCodeFlow::PkceMethod::None);
#endif
    m_flow->setModifyParametersFunction(
            [this](QAbstractOAuth::Stage stage, QMultiMap<QString, QVariant> *parameters) {
                if (stage == QAbstractOAuth::Stage::RequestingAuthorization)
                    buildAuthorizationParameters(parameters);
            });
    connect(m_flow, &QAbstractOAuth::authorizeWithBrowser, this,
            &AuthorizationCodeLogin::onAuthorizeWithBrowser);
    connect(m_handler, &QAbstractOAuthReplyHandler::callbackReceived, this,
            &AuthorizationCodeLogin::onCallbackReceived);
    connect(m_handler, &LoopbackReplyHandler::callbackFailed, this,
            &AuthorizationCodeLogin::onCallbackFailed);
    m_timeout.setSingleShot(true);
    connect(&m_timeout, &QTimer::timeout, this, &AuthorizationCodeLogin::onTimeout);
}

AuthorizationCodeLogin::~AuthorizationCodeLogin() = default;

bool AuthorizationCodeLogin::start(const Options &options)
{
    if (m_active)
        return false;
    m_active = true;
    ++m_attempt;
    m_options = options;
    m_redirectUri.clear();
    m_urlBuilt = false;

    if (!options.authorizationEndpoint.isValid() || options.authorizationEndpoint.isRelative()
            || options.clientId.isEmpty()) {
        failLater(u"invalid_request"_s,
                tr("The interactive login needs an authorization endpoint and a client ID."));
        return true;
    }
    // The listener serves exactly the redirect URI we send (RFC 8252 section 7.3: loopback, any
    // port).
    QString host = options.callbackHost;
    int port = options.callbackPort;
    QString path = u"/callback"_s;
    if (!options.redirectUri.isEmpty()) {
        const QUrl &redirect = options.redirectUri;
        if (!UrlPolicy::isLoopbackRedirectUri(redirect)) {
            failLater(u"invalid_request"_s,
                    tr("The redirect URI %1 must be an http URI on 127.0.0.1, localhost or "
                       "[::1] with an explicit port and no fragment (RFC 8252 §7.3).")
                            .arg(redirect.toString()));
            return true;
        }
        host = redirect.host();
        port = redirect.port();
        path = redirect.path().isEmpty() ? u"/"_s : redirect.path();
        m_handler->setPortSettingName(u"OAUTH2_REDIRECT_URI / oauth2.redirectUri"_s);
    } else {
        m_handler->setPortSettingName(u"OAUTH2_CALLBACK_PORT / oauth2.callbackPort"_s);
    }
    if (port < 0 || port > 65535) {
        failLater(
                u"invalid_request"_s, tr("The OAuth callback port %1 is out of range.").arg(port));
        return true;
    }
    m_handler->setCallbackHost(host);
    m_handler->setCallbackPath(path);
    if (!m_handler->listen(quint16(port))) {
        failLater(u"listen_failed"_s, m_handler->errorString());
        return true;
    }
    m_redirectUri = options.redirectUri.isEmpty() ? m_handler->callbackUrl() : options.redirectUri;

    // Fresh per attempt (6.4 reuses a weak state, docs/qt-notes.md): state ≥ 128 bits (RFC 9700
    // section 2.1: CSRF), verifier 256 bits (RFC 7636 section 4.1).
    m_state = Pkce::createState();
    m_verifier = Pkce::createCodeVerifier();
    m_handler->setExpectedState(m_state);
    m_handler->setExpectedIssuer(options.expectedIssuer);
    m_handler->setIssuerParameterRequired(options.issParameterSupported);
    if (options.timeoutSeconds > 0) {
        constexpr int maxSeconds = std::numeric_limits<int>::max() / 1000;
        m_timeout.start(qMin(options.timeoutSeconds, maxSeconds) * 1000);
    }
    QMetaObject::invokeMethod(
            this, [this, attempt = m_attempt] { beginAuthorization(attempt); },
            Qt::QueuedConnection);
    return true;
}

void AuthorizationCodeLogin::cancel()
{
    if (!m_active)
        return;
    qCInfo(lcAuth, "interactive login cancelled");
    finish();
}

QString AuthorizationCodeLogin::instructions(
        const QString &serverName, const QUrl &authorizationUrl)
{
    return tr("Open this URL in your browser to log in to %1:\n  %2")
            .arg(serverName, authorizationUrl.toString(QUrl::FullyEncoded));
}

void AuthorizationCodeLogin::beginAuthorization(quint64 attempt)
{
    if (!m_active || attempt != m_attempt)
        return;
    m_flow->setAuthorizationUrl(m_options.authorizationEndpoint);
    // grant() refuses to run without a token URL although we never let the flow use it.
    m_flow->setAccessTokenUrl(m_options.tokenEndpoint.isValid() ? m_options.tokenEndpoint
                                                                : m_options.authorizationEndpoint);
    m_flow->setClientIdentifier(m_options.clientId);
    m_flow->setScope(m_options.scope); // 6.4 wipes it after token responses
    m_flow->setState(QString::fromLatin1(m_state)); // 6.4 reuses a weak one
    m_flow->grant(); // → resourceOwnerAuthorization → onAuthorizeWithBrowser, synchronously
    if (m_active && attempt == m_attempt && !m_urlBuilt) {
        finish();
        Q_EMIT failed(u"invalid_request"_s, tr("The authorization request could not be built."));
    }
}

void AuthorizationCodeLogin::buildAuthorizationParameters(QMultiMap<QString, QVariant> *parameters)
{
    // Rebuilt from scratch: the flow's own values are not encoded for a query ('+' stays) and
    // its scope may be empty (docs/qt-notes.md).
    parameters->clear();
    // RFC 6749 section 3.1: the endpoint URI's own query is kept; QUrl::setQuery() in the flow
    // would drop it. Its items go in as they were written (already encoded).
    const QByteArray endpointQuery =
            m_options.authorizationEndpoint.query(QUrl::FullyEncoded).toLatin1();
    for (const QByteArray &part : endpointQuery.split('&')) {
        if (part.isEmpty())
            continue;
        const qsizetype eq = part.indexOf('=');
        const QByteArray rawKey = eq < 0 ? part : part.left(eq);
        QByteArray plusDecodedKey = rawKey;
        plusDecodedKey.replace('+', ' ');
        if (protocolParameters().contains(QUrl::fromPercentEncoding(plusDecodedKey)))
            continue;
        parameters->insert(QString::fromLatin1(rawKey),
                QString::fromLatin1(eq < 0 ? QByteArray() : part.mid(eq + 1)));
    }
    // RFC 6749 section 4.1.1, RFC 7636 section 4.3 (S256 only: OAuth 2.1 section 4.1.1), RFC 8707
    // section 2.
    parameters->insert(u"response_type"_s, u"code"_s);
    parameters->insert(u"client_id"_s, encoded(m_options.clientId));
    parameters->insert(u"redirect_uri"_s, encoded(m_redirectUri.toString(QUrl::FullyEncoded)));
    if (!m_options.scope.isEmpty())
        parameters->insert(u"scope"_s, encoded(m_options.scope));
    parameters->insert(u"state"_s, QString::fromLatin1(m_state));
    parameters->insert(
            u"code_challenge"_s, QString::fromLatin1(Pkce::codeChallengeS256(m_verifier)));
    parameters->insert(u"code_challenge_method"_s, u"S256"_s);
    if (!m_options.resource.isEmpty())
        parameters->insert(u"resource"_s, encoded(m_options.resource));
    for (const auto &[name, value] : m_options.extraParams) {
        if (protocolParameters().contains(name)) {
            qCWarning(lcAuth, "extraParams: %s is set by the login and cannot be overridden",
                    qUtf8Printable(name));
            continue;
        }
        parameters->insert(encoded(name), encoded(value));
    }
}

void AuthorizationCodeLogin::onAuthorizeWithBrowser(const QUrl &url)
{
    if (!m_active)
        return;
    m_urlBuilt = true;
    const quint64 attempt = m_attempt;
    // The URL carries state and code_challenge: logged without its query (qtnetworkauth e5dcbbc).
    qCInfo(lcAuth, "interactive login: authorization request to %s, redirect URI %s",
            qUtf8Printable(url.adjusted(QUrl::RemoveQuery | QUrl::RemoveUserInfo).toString()),
            qUtf8Printable(m_redirectUri.toString()));
    // Printed for the user, on stderr only (stdout carries JSON-RPC), even when a browser opens:
    // it may open on another display, or not at all.
    const QString server = m_options.serverName.isEmpty() ? m_options.authorizationEndpoint.host()
                                                          : m_options.serverName;
    writeText(StandardStream::Error, u'\n' + instructions(server, url) + u"\n\n"_s);

    Q_EMIT authorizationUrlReady(url);
    if (!m_active || attempt != m_attempt)
        return;
    QString how = u"--no-browser"_s;
    if (m_options.openBrowser && BrowserLauncher::open(url, m_options.environment, &how)) {
        qCInfo(lcAuth, "browser: %s", qUtf8Printable(how));
        return;
    }
    qCInfo(lcAuth, "browser not opened: %s", qUtf8Printable(how));
    // Headless (SSH, container, --no-browser): the login completes from any browser that reaches
    // the loopback callback, e.g. through an SSH port forward (reference wiki "Remote Hosts").
    writeText(StandardStream::Error,
            headlessInstructions(m_redirectUri, m_options.timeoutSeconds) + u"\n\n"_s);
}

QString AuthorizationCodeLogin::headlessInstructions(const QUrl &redirectUri, int timeoutSeconds)
{
    const int port = redirectUri.port(80);
    return tr("No browser was opened here. Open the URL above in a browser on any machine that "
              "can reach %1 — when this runs on a remote host over SSH, forward the port first:\n"
              "  ssh -L %2:127.0.0.1:%2 <this host>\n"
              "then open the URL on your computer. Waiting %3 s for the login.")
            .arg(redirectUri.adjusted(QUrl::RemovePath | QUrl::RemoveQuery).toString())
            .arg(port)
            .arg(timeoutSeconds);
}

void AuthorizationCodeLogin::onCallbackReceived(const QVariantMap &values)
{
    if (!m_active)
        return;
    // LoopbackReplyHandler emits this only with our state and an acceptable issuer.
    const QString code = values.value(u"code"_s).toString();
    const QByteArray verifier = m_verifier;
    const QUrl redirectUri = m_redirectUri;
    qCInfo(lcAuth, "interactive login: authorization code received");
    finish();
    Q_EMIT authorizationCodeReceived(code, verifier, redirectUri);
}

void AuthorizationCodeLogin::onCallbackFailed(const QString &error, const QString &description)
{
    if (!m_active)
        return;
    finish();
    Q_EMIT failed(error, description);
}

void AuthorizationCodeLogin::onTimeout()
{
    if (!m_active)
        return;
    const int seconds = m_options.timeoutSeconds;
    qCWarning(lcAuth, "interactive login timed out after %d s", seconds);
    finish();
    Q_EMIT failed(u"timeout"_s, tr("login timed out after %1 s").arg(seconds));
}

void AuthorizationCodeLogin::failLater(const QString &error, const QString &description)
{
    qCWarning(lcAuth, "interactive login failed: %s: %s", qUtf8Printable(error),
            qUtf8Printable(description));
    QMetaObject::invokeMethod(
            this,
            [this, attempt = m_attempt, error, description] {
                if (!m_active || attempt != m_attempt)
                    return;
                finish();
                Q_EMIT failed(error, description);
            },
            Qt::QueuedConnection);
}

void AuthorizationCodeLogin::finish()
{
    // The first terminal outcome closes everything: no second callback, no late timeout.
    m_timeout.stop();
    m_handler->setExpectedState({});
    m_handler->close();
    m_state.clear();
    m_verifier.clear();
    m_redirectUri.clear();
    m_active = false;
}

} // namespace McpProxy
