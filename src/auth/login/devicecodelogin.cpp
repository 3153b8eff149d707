#include "auth/login/devicecodelogin.h"

#include "auth/protocol/authhttp.h"
#include "logging/logcategories.h"
#include "logging/messagehandler.h"
#include "logging/standardstreams.h"

#include <QtNetwork/QNetworkAccessManager>

namespace McpProxy {

using namespace Qt::StringLiterals;

namespace {

// RFC 8628 section 3.4.
const QString DeviceCodeGrantType = u"urn:ietf:params:oauth:grant-type:device_code"_s;

} // namespace

DeviceCodeLogin::DeviceCodeLogin(QNetworkAccessManager *nam, QObject *parent)
    : QObject(parent)
    , m_nam(nam)
    , m_tokenClient(nam)
{
    setClock(nullptr);
}

DeviceCodeLogin::~DeviceCodeLogin() = default;

void DeviceCodeLogin::setClock(const Clock *clock)
{
    m_clock = clock ? clock : &m_systemClock;
    m_tokenClient.setClock(m_clock);
    m_timer = m_clock->createTimer();
    connect(m_timer.get(), &ClockTimer::timeout, this,
            [this] { perform(m_grant.pollDue(m_clock->nowUtc())); });
}

bool DeviceCodeLogin::start(const Options &options)
{
    if (m_active)
        return false;
    m_active = true;
    m_codeShown = false;
    m_options = options;
    ++m_attempt;
    perform(m_grant.start());
    return true;
}

void DeviceCodeLogin::cancel()
{
    if (!m_active)
        return;
    qCInfo(lcAuth, "device login cancelled");
    m_active = false;
    ++m_attempt; // answers still on their way are dropped
    m_timer->stop();
}

QString DeviceCodeLogin::instructions(const QString &serverName, const DeviceAuthorization &code)
{
    QString text = tr("To log in to %1, open this page in a browser on any device:\n  %2\n"
                      "and enter the code: %3")
                           .arg(serverName, code.verificationUri.toString(QUrl::FullyEncoded),
                                   code.userCode);
    if (!code.verificationUriComplete.isEmpty()) {
        text += u'\n'
                + tr("Or open this address, which already holds the code:\n  %1")
                          .arg(code.verificationUriComplete.toString(QUrl::FullyEncoded));
    }
    text += u'\n'
            + tr("The code is valid for %1 s. Waiting for the confirmation…")
                      .arg(code.expiresInSeconds);
    return text;
}

void DeviceCodeLogin::perform(const DeviceCodeGrant::Action &action)
{
    if (!m_active)
        return;
    using Kind = DeviceCodeGrant::Action::Kind;
    using Reason = DeviceCodeGrant::FailureReason;
    switch (action.kind) {
    case Kind::None:
        return;
    case Kind::RequestAuthorization:
        requestAuthorization();
        return;
    case Kind::CodeReady: {
        const DeviceAuthorization &code = m_grant.authorization();
        addLogSecret(code.deviceCode);
        m_codeShown = true;
        // The user code and the complete URI (which holds it) go to the user only, not the log.
        qCInfo(lcAuth).noquote() << "device login: code issued, valid for" << code.expiresInSeconds
                                 << "s; polling every" << m_grant.intervalSeconds() << "s";
        if (m_options.printInstructions) {
            const QString server = m_options.serverName.isEmpty() ? code.verificationUri.host()
                                                                  : m_options.serverName;
            writeText(StandardStream::Error, u'\n' + instructions(server, code) + u"\n\n"_s);
        }
        Q_EMIT codeReady(code.verificationUri, code.verificationUriComplete, code.userCode,
                int(code.expiresInSeconds));
        if (m_active)
            m_timer->start(action.delayMs);
        return;
    }
    case Kind::Wait:
        qCDebug(lcAuth).noquote() << "device login: next poll in" << action.delayMs << "ms";
        m_timer->start(action.delayMs);
        return;
    case Kind::Poll:
        poll();
        return;
    case Kind::Succeeded:
        m_active = false;
        qCInfo(lcAuth) << "device login confirmed";
        Q_EMIT tokensReceived(*action.tokens);
        return;
    case Kind::Failed:
        break;
    }
    m_active = false;
    m_timer->stop();
    const QString endpoint = AuthHttp::displayUrl(m_options.deviceAuthorizationEndpoint);
    AuthorizationFailure failure;
    switch (action.reason) {
    case Reason::Denied:
        failure = AuthorizationFailure::fromText(
                QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager", "the device login was denied"));
        break;
    case Reason::Expired:
        failure = AuthorizationFailure::fromText(
                QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager",
                        "the device login code expired before the login was confirmed: %1"),
                {action.detail});
        break;
    case Reason::TokenError:
        failure = AuthorizationFailure::fromText(
                QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager", "the device login failed: %1"),
                {action.detail});
        break;
    case Reason::None:
    case Reason::Unreachable:
    case Reason::Refused:
    case Reason::ClientRefused:
    case Reason::Malformed:
        failure = AuthorizationFailure::fromText(
                QT_TRANSLATE_NOOP("McpProxy::AuthorizationManager",
                        "the device authorization request to %1 failed: %2"),
                {endpoint, action.detail});
        break;
    }
    Q_EMIT failed(failure, m_codeShown, action.reason == Reason::ClientRefused);
}

void DeviceCodeLogin::requestAuthorization()
{
    // RFC 8628 section 3.1: client_id (or the client's authentication, RFC 6749 section 2.3, as
    // at the token endpoint) and scope; the RFC 8707 resource as in every token request.
    TokenRequest request = m_options.tokenRequest;
    request.tokenEndpoint = m_options.deviceAuthorizationEndpoint;
    if (request.client.assertionAudience.isEmpty()) {
        request.client.assertionAudience =
                m_options.tokenRequest.tokenEndpoint.toString(QUrl::FullyEncoded);
    }
    request.grant.clear();
    request.extraParams.clear();
    request.scope = m_options.scope;
    QString error;
    const std::optional<PreparedTokenRequest> prepared =
            TokenEndpointClient::prepare(request, &error);
    const quint64 attempt = m_attempt;
    if (!prepared) {
        qCWarning(lcAuth).noquote() << "cannot create the client assertion:" << error;
        AuthHttp::post(this, [this, attempt] {
            if (attempt == m_attempt)
                perform(m_grant.authorizationAnswered(0, {}, m_clock->nowUtc()));
        });
        return;
    }
    QNetworkRequest httpRequest =
            AuthHttp::makeRequest(m_options.deviceAuthorizationEndpoint, "application/json"_ba);
    httpRequest.setHeader(
            QNetworkRequest::ContentTypeHeader, "application/x-www-form-urlencoded"_ba);
    if (!prepared->authorization.isEmpty())
        httpRequest.setRawHeader("Authorization"_ba, prepared->authorization);
    qCInfo(lcAuth).noquote() << "device login: requesting a code from"
                             << AuthHttp::displayUrl(m_options.deviceAuthorizationEndpoint);
    AuthHttp::send(m_nam, httpRequest, "POST"_ba, prepared->body, request.timeoutMs, this, this,
            [this, attempt](const AuthHttp::Reply &reply) {
                if (attempt != m_attempt)
                    return;
                const int status = reply.timedOut || reply.bodyTooLarge || reply.isRedirect()
                        ? 0
                        : reply.status;
                perform(m_grant.authorizationAnswered(status, reply.body, m_clock->nowUtc()));
            });
}

void DeviceCodeLogin::poll()
{
    TokenRequest request = m_options.tokenRequest;
    // RFC 8628 section 3.4.
    request.grant = {
            {u"grant_type"_s, DeviceCodeGrantType}, {u"device_code"_s, m_grant.deviceCode()}};
    request.scope.clear();
    const quint64 attempt = m_attempt;
    m_tokenClient.request(request, this, [this, attempt](const TokenResponse &response) {
        if (attempt != m_attempt)
            return;
        perform(m_grant.tokenAnswered(response, m_clock->nowUtc()));
    });
}

} // namespace McpProxy
