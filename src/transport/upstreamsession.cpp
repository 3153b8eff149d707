#include "transport/upstreamsession.h"

#include "logging/logcategories.h"
#include "transport/httpsyntax.h"

#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>

#include <algorithm>

namespace McpProxy {

using namespace Qt::StringLiterals;

namespace {

bool isSuccess(int status)
{
    return status >= 200 && status < 300;
}

// params.protocolVersion of an initialize request (MCP basic/lifecycle).
QString requestedProtocolVersion(const QByteArray &initializeBody)
{
    return QJsonDocument::fromJson(initializeBody)
            .object()
            .value("params"_L1)
            .toObject()
            .value("protocolVersion"_L1)
            .toString();
}

} // namespace

UpstreamSession::UpstreamSession(
        std::unique_ptr<UpstreamEra> era, const Options &options, QObject *parent)
    : QObject(parent)
    , m_era(std::move(era))
    , m_options(options)
    , m_protocolVersion(options.protocolVersion)
{
    m_era->setListener(this);
    m_era->setProtocolVersion(m_protocolVersion);
    m_authorizationClock.start();
    m_authorizationDeadlineTimer.setSingleShot(true);
    connect(&m_authorizationDeadlineTimer, &QTimer::timeout, this,
            &UpstreamSession::enforceAuthorizationDeadlines);
    m_pingTimer.setInterval(options.pingIntervalMs);
    connect(&m_pingTimer, &QTimer::timeout, this, &UpstreamSession::sendKeepAlivePing);
}

UpstreamSession::~UpstreamSession()
{
    m_state = SessionState::Closed;
    m_era.reset(); // aborts what is still under way, reporting nothing
}

UpstreamSession::Outgoing *UpstreamSession::find(Handle handle)
{
    const auto it = m_outgoing.find(handle);
    return it == m_outgoing.end() ? nullptr : &it->second;
}

UpstreamSession::Outgoing &UpstreamSession::create(
        const QByteArray &body, const JsonRpcMessage &message, Outgoing::Origin origin)
{
    const Handle handle = m_nextHandle++;
    Outgoing &outgoing = m_outgoing[handle];
    outgoing.handle = handle;
    outgoing.body = body;
    outgoing.message = message;
    outgoing.origin = origin;
    if (message.isRequest()) {
        m_owed.insert(message.idKey(), handle);
        if (origin == Outgoing::Origin::Client)
            ++m_clientRequestsOwed;
    }
    return outgoing;
}

void UpstreamSession::send(const QByteArray &body, const JsonRpcMessage &message)
{
    if (m_state == SessionState::Closed) {
        if (message.isRequest()) {
            Q_EMIT requestFailed(
                    message.idKey(), TransportError::shutdown().toErrorResponse(message.rawId()));
        }
        return;
    }
    if (message.isRequest() && m_owed.contains(message.idKey())) {
        // JSON-RPC 2.0 section 4: the id identifies the request until its response; a second
        // request with it could never be told apart.
        Q_EMIT requestFailed(message.idKey(),
                JsonRpcMessage::errorResponse(message.rawId(),
                        int(JsonRpcErrorCode::InvalidRequest), u"Invalid Request"_s,
                        QJsonObject{
                                {u"reason"_s, u"a request with this id is already in flight"_s}}));
        return;
    }
    Outgoing &outgoing = create(body, message, Outgoing::Origin::Client);
    if (message.isRequest() && message.method() == "initialize"_L1) {
        // A new session begins (MCP lifecycle): forget the old one, keep the request for a
        // transparent re-initialization should the server forget this one.
        m_initializeBody = body;
        m_era->forgetSession();
        m_protocolVersion = m_options.protocolVersion;
        m_era->setProtocolVersion(m_protocolVersion);
        m_reinitFailures = 0;
        if (m_state == SessionState::Lost)
            m_state = SessionState::Live;
        m_era->closeServerStream();
        outgoing.barrier = true;
    } else if (message.isNotification() && message.method() == "notifications/initialized"_L1) {
        m_initializedBody = body;
        outgoing.barrier = true;
    }
    dispatchOrQueue(outgoing);
    if (message.isRequest() && message.method() == "initialize"_L1 && m_authorizing
            && m_interactiveUntil >= 0)
        answerInitializeEarly(); // a browser login already runs
}

void UpstreamSession::dispatchOrQueue(Outgoing &outgoing)
{
    // The session id arrives with the initialize response, and the server may reject anything
    // sent before notifications/initialized: later messages wait behind these two (the
    // npm package lets notifications/initialized race later requests).
    const bool client = outgoing.origin == Outgoing::Origin::Client;
    if (m_barrier != 0 || m_state == SessionState::Reinitializing || m_authorizing) {
        outgoing.state = Outgoing::State::Queued;
        m_queue.append(outgoing.handle);
        if (m_authorizing)
            startAuthorizationDeadline(outgoing);
        return;
    }
    if (outgoing.message.isRequest() && client && m_options.authorizationAvailable
            && m_renewAt.isValid() && QDateTime::currentDateTimeUtc() >= m_renewAt) {
        // The token is about to expire: renew it first rather than meet a 401.
        m_renewAt = QDateTime();
        outgoing.state = Outgoing::State::Queued;
        m_queue.prepend(outgoing.handle);
        startAuthorizationDeadline(outgoing);
        requestAuthorization(QByteArray(), 0);
        return;
    }
    if (m_state == SessionState::Lost && !outgoing.barrier && client) {
        // The last re-initialization failed (e.g. the server was restarting): try once more
        // before sending, rather than posting without a session the server would refuse.
        outgoing.state = Outgoing::State::Queued;
        m_queue.append(outgoing.handle);
        startReinitialization();
        return;
    }
    if (outgoing.barrier)
        m_barrier = outgoing.handle;
    transmit(outgoing);
}

void UpstreamSession::transmit(Outgoing &outgoing)
{
    outgoing.state = Outgoing::State::InFlight;
    m_era->send(outgoing.handle, outgoing.body, outgoing.message);
}

// --- what the era reports ---

void UpstreamSession::serverMessageReceived(const QByteArray &line, const JsonRpcMessage &message)
{
    if (!message.isResponse()) {
        Q_EMIT messageReceived(line, message);
        return;
    }
    if (m_answeredEarly != 0 && !m_owed.contains(message.idKey())) {
        if (const Outgoing *early = find(m_answeredEarly);
                early && early->message.idKey() == message.idKey()) {
            receiveEarlyAnsweredInitialize(line, message);
            return;
        }
    }
    const auto owed = m_owed.constFind(message.idKey());
    const Outgoing *owner = owed == m_owed.constEnd() ? nullptr : find(owed.value());
    if (!owner) {
        // Already answered (e.g. timed out, cancelled): exactly one response per request.
        qCInfo(lcTransport).noquote()
                << "dropping a late upstream response for id" << message.rawId();
        return;
    }
    const int owedBefore = m_clientRequestsOwed;
    settle(*owner);
    if (owner->message.method() == "initialize"_L1 && !message.isErrorResponse()) {
        captureProtocolVersion(line);
        if (owner->origin == Outgoing::Origin::Client) {
            Q_EMIT initializeResultReceived(requestedProtocolVersion(owner->body),
                    QJsonDocument::fromJson(line).object().value("result"_L1).toObject());
        }
        if (m_options.pingIntervalMs > 0 && !m_pingTimer.isActive())
            m_pingTimer.start();
    }
    if (owner->origin == Outgoing::Origin::KeepAlive)
        endKeepAlivePing();
    if (owner->origin != Outgoing::Origin::Client)
        return; // our own re-initialization or keep-alive: never shown to the client
    Q_EMIT messageReceived(line, message);
    checkIdle(owedBefore);
}

bool UpstreamSession::settle(const Outgoing &outgoing)
{
    if (!outgoing.message.isRequest())
        return false;
    const auto it = m_owed.constFind(outgoing.message.idKey());
    if (it == m_owed.cend() || it.value() != outgoing.handle)
        return false;
    m_owed.erase(it);
    if (outgoing.origin == Outgoing::Origin::Client)
        --m_clientRequestsOwed;
    return true;
}

void UpstreamSession::checkIdle(int owedBefore)
{
    if (owedBefore > 0 && m_clientRequestsOwed == 0)
        Q_EMIT idle();
}

bool UpstreamSession::awaitsResponse(Handle handle) const
{
    if (handle == m_answeredEarly)
        return true; // the host has its answer, the session still needs the server's
    const auto it = m_outgoing.find(handle);
    if (it == m_outgoing.end() || !it->second.message.isRequest())
        return false;
    return m_owed.value(it->second.message.idKey()) == handle;
}

void UpstreamSession::messageDelivered(Handle handle, int httpStatus)
{
    if (awaitsResponse(handle)) {
        // The era ended the exchange of a request without its response.
        failRequest(handle,
                TransportError::invalidResponse(
                        QStringLiteral("upstream answered HTTP %1 without a JSON-RPC response")
                                .arg(httpStatus)));
        return;
    }
    complete(handle, isSuccess(httpStatus));
}

void UpstreamSession::messageFailed(Handle handle, const TransportError &error)
{
    failRequest(handle, error);
}

void UpstreamSession::failRequest(Handle handle, const TransportError &error)
{
    Outgoing *outgoing = find(handle);
    if (!outgoing)
        return;
    const JsonRpcMessage message = outgoing->message;
    if (outgoing->origin == Outgoing::Origin::Reinitialization) {
        qCWarning(lcTransport).noquote() << "re-initialization failed:" << error.describe();
    } else if (handle == m_answeredEarly) {
        // The host was answered from memory; later requests meet the same failure themselves.
        qCWarning(lcTransport).noquote()
                << "initialize (answered from the remembered result) failed upstream:"
                << error.describe();
    } else if (outgoing->origin == Outgoing::Origin::KeepAlive) {
        settle(*outgoing);
        endKeepAlivePing();
        qCInfo(lcTransport).noquote() << "keep-alive ping failed:" << error.describe();
    } else if (message.isRequest()) {
        const int owedBefore = m_clientRequestsOwed;
        if (settle(*outgoing)) {
            qCWarning(lcTransport).noquote() << "request" << message.method() << message.rawId()
                                             << "failed:" << error.describe();
            // The outgoing message stays until complete(): a shutdown from inside the signal
            // finds it settled and ends it.
            Q_EMIT requestFailed(message.idKey(), error.toErrorResponse(message.rawId()));
            checkIdle(owedBefore);
        }
    } else {
        qCWarning(lcTransport).noquote()
                << "upstream did not accept"
                << (message.method().isEmpty() ? u"a response"_s : message.method()) << ':'
                << error.describe();
    }
    complete(handle, false);
}

void UpstreamSession::complete(Handle handle, bool accepted)
{
    const auto it = m_outgoing.find(handle);
    if (it == m_outgoing.end())
        return;
    Outgoing outgoing = std::move(it->second);
    m_outgoing.erase(it);
    if (m_answeredEarly == handle)
        m_answeredEarly = 0;
    m_queue.removeAll(handle);
    m_era->abort(handle); // no-op when the era reported the end itself
    const int owedBefore = m_clientRequestsOwed;
    // A request still in the ledger here never got its response.
    const bool responded = outgoing.message.isRequest() && !settle(outgoing);
    checkIdle(owedBefore);
    if (m_state == SessionState::Closed)
        return;
    const bool ok = responded || (!outgoing.message.isRequest() && accepted);
    if (outgoing.onDone) {
        outgoing.onDone(ok);
        return;
    }
    if (outgoing.message.method() == "notifications/initialized"_L1 && accepted)
        m_era->openServerStream();
    if (outgoing.barrier)
        releaseBarrier(handle);
}

void UpstreamSession::releaseBarrier(Handle handle)
{
    if (m_barrier != handle)
        return;
    m_barrier = 0;
    drainQueue();
}

void UpstreamSession::drainQueue()
{
    while (!m_queue.isEmpty() && m_barrier == 0 && m_state != SessionState::Reinitializing
            && m_state != SessionState::Closed && !m_authorizing) {
        if (Outgoing *next = find(m_queue.takeFirst()))
            dispatchOrQueue(*next);
    }
}

// --- authorization ---

void UpstreamSession::setAuthorizationHeader(const QByteArray &value)
{
    m_era->setAuthorizationHeader(value);
}

void UpstreamSession::authorizationChallenged(
        Handle handle, const QByteArray &wwwAuthenticate, int httpStatus)
{
    Outgoing *outgoing = find(handle);
    if (!outgoing)
        return;
    outgoing->lastStatus = httpStatus;
    if (httpStatus == 403) {
        // At most 3 authorization rounds per request in all (the conformance suite's
        // auth/scope-retry-limit counts the first 401 round too).
        if (outgoing->stepUps + outgoing->unauthorizedRounds >= 3) {
            failRequest(handle,
                    TransportError::authorization(httpStatus,
                            u"the server still requires more scope after 3 authorizations; "
                            "check the scopes your account may be granted"_s));
            return;
        }
        ++outgoing->stepUps;
    } else {
        if (outgoing->unauthorizedRounds >= 2) {
            failRequest(handle,
                    TransportError::authorization(httpStatus,
                            u"the server rejected the new access token; check the OAuth settings "
                            "(oauth2.*) or log in again"_s));
            return;
        }
        ++outgoing->unauthorizedRounds;
    }
    if (!m_options.authorizationAvailable) {
        failRequest(handle,
                TransportError::authorization(httpStatus, u"the server requires authorization"_s));
        return;
    }
    outgoing->state = Outgoing::State::AwaitingAuthorization;
    startAuthorizationDeadline(*outgoing);
    requestAuthorization(wwwAuthenticate, httpStatus);
}

bool UpstreamSession::serverStreamChallenged(const QByteArray &wwwAuthenticate)
{
    if (!m_options.authorizationAvailable)
        return false;
    m_streamAwaitsAuthorization = true;
    requestAuthorization(wwwAuthenticate, 401);
    return true;
}

void UpstreamSession::requestAuthorization(const QByteArray &wwwAuthenticate, int httpStatus)
{
    if (m_authorizing)
        return; // one authorization round at a time; everyone waits for it
    m_authorizing = true;
    if (httpStatus == 0) {
        qCInfo(lcTransport) << "renewing the access token before the next request";
    } else {
        qCInfo(lcTransport).noquote()
                << QStringLiteral("upstream requires authorization (HTTP %1)").arg(httpStatus);
    }
    // Requests already queued (behind a barrier) wait for this round too.
    for (const Handle handle : std::as_const(m_queue)) {
        if (Outgoing *queued = find(handle))
            startAuthorizationDeadline(*queued);
    }
    Q_EMIT authorizationRequired(wwwAuthenticate, httpStatus);
}

void UpstreamSession::startAuthorizationDeadline(Outgoing &outgoing)
{
    // One deadline per request, however many rounds it waits for.
    if (!outgoing.message.isRequest() || outgoing.origin != Outgoing::Origin::Client
            || !awaitsResponse(outgoing.handle) || m_options.authorizationDeadlineMs <= 0)
        return;
    if (outgoing.authorizationDeadline < 0) {
        outgoing.authorizationDeadline =
                qMax(m_authorizationClock.elapsed() + m_options.authorizationDeadlineMs,
                        m_interactiveUntil);
    }
    const qint64 inMs = outgoing.authorizationDeadline - m_authorizationClock.elapsed();
    if (!m_authorizationDeadlineTimer.isActive()
            || m_authorizationDeadlineTimer.remainingTime() > inMs)
        m_authorizationDeadlineTimer.start(int(qMax<qint64>(inMs, 0)));
}

void UpstreamSession::extendAuthorizationDeadline(int seconds)
{
    // The user has callbackTimeoutSeconds to log in; the code exchange gets the usual deadline.
    m_interactiveUntil = m_authorizationClock.elapsed() + qint64(seconds) * 1000
            + m_options.authorizationDeadlineMs;
    for (auto &[handle, outgoing] : m_outgoing) {
        const bool waiting = outgoing.state == Outgoing::State::Queued
                || outgoing.state == Outgoing::State::AwaitingAuthorization;
        if (waiting && outgoing.authorizationDeadline >= 0)
            outgoing.authorizationDeadline =
                    qMax(outgoing.authorizationDeadline, m_interactiveUntil);
    }
    enforceAuthorizationDeadlines(); // re-arms the timer for the later deadlines
    answerInitializeEarly();
}

void UpstreamSession::setRememberedInitialize(
        const QString &requestedVersion, const QJsonObject &result)
{
    m_rememberedRequestedVersion = requestedVersion;
    m_rememberedResult = result;
    if (m_authorizing && m_interactiveUntil >= 0)
        answerInitializeEarly();
}

void UpstreamSession::answerInitializeEarly()
{
    if (m_rememberedResult.isEmpty() || m_answeredEarly != 0 || m_state == SessionState::Closed)
        return;
    for (auto &[handle, outgoing] : m_outgoing) {
        const bool waiting = outgoing.state == Outgoing::State::Queued
                || outgoing.state == Outgoing::State::AwaitingAuthorization;
        if (outgoing.origin != Outgoing::Origin::Client || !waiting
                || outgoing.message.method() != "initialize"_L1 || !awaitsResponse(handle))
            continue;
        // MCP basic/lifecycle: the server answers with the version the client asked for or
        // another it supports; the remembered answer holds only for the same question.
        if (requestedProtocolVersion(outgoing.body) != m_rememberedRequestedVersion)
            return;
        const QByteArray line = R"({"jsonrpc":"2.0","id":)" + outgoing.message.rawId()
                + R"(,"result":)" + QJsonDocument(m_rememberedResult).toJson(QJsonDocument::Compact)
                + '}';
        const int owedBefore = m_clientRequestsOwed;
        settle(outgoing);
        m_answeredEarly = handle;
        qCInfo(lcTransport) << "a browser login is running: initialize answered from the result "
                               "this server gave last time; later requests wait for the login";
        Q_EMIT messageReceived(line, JsonRpcMessage::classify(line));
        checkIdle(owedBefore);
        return;
    }
}

void UpstreamSession::receiveEarlyAnsweredInitialize(
        const QByteArray &line, const JsonRpcMessage &message)
{
    const Outgoing *early = find(m_answeredEarly);
    if (!early)
        return;
    if (message.isErrorResponse()) {
        qCWarning(lcTransport) << "initialize (answered from the remembered result) was refused "
                                  "upstream; later requests meet the server's refusal themselves";
        m_answeredEarly = 0;
        return;
    }
    captureProtocolVersion(line);
    const QJsonObject result = QJsonDocument::fromJson(line).object().value("result"_L1).toObject();
    if (result.value("protocolVersion"_L1) != m_rememberedResult.value("protocolVersion"_L1)) {
        qCWarning(lcTransport).noquote()
                << "the server now negotiates protocol version"
                << result.value("protocolVersion"_L1).toString()
                << "where the host was told (from memory)"
                << m_rememberedResult.value("protocolVersion"_L1).toString();
    }
    const QString requested = requestedProtocolVersion(early->body);
    m_answeredEarly = 0; // answered: the era's end of the exchange completes it
    Q_EMIT initializeResultReceived(requested, result);
}

void UpstreamSession::enforceAuthorizationDeadlines()
{
    const qint64 now = m_authorizationClock.elapsed();
    qint64 next = -1;
    QList<Handle> expired;
    for (const auto &[handle, outgoing] : m_outgoing) {
        // Only while it waits for authorization (a queue behind a barrier alone is not).
        const bool waitsForAuthorization = outgoing.state == Outgoing::State::AwaitingAuthorization
                || (outgoing.state == Outgoing::State::Queued && m_authorizing);
        if (handle == m_answeredEarly)
            continue; // the host has its answer; the login's own timeout ends the wait
        if (outgoing.authorizationDeadline < 0 || !waitsForAuthorization || !awaitsResponse(handle))
            continue;
        if (outgoing.authorizationDeadline <= now)
            expired.append(handle);
        else if (next < 0 || outgoing.authorizationDeadline < next)
            next = outgoing.authorizationDeadline;
    }
    for (const Handle handle : std::as_const(expired)) {
        const Outgoing *waiting = find(handle);
        if (!waiting)
            continue;
        failRequest(handle,
                TransportError::authorization(waiting->lastStatus,
                        QStringLiteral("authorization did not finish within %1 s (the "
                                       "authorization server or its metadata did not answer in "
                                       "time); the request was not sent")
                                .arg(m_options.authorizationDeadlineMs / 1000)));
    }
    if (next >= 0)
        m_authorizationDeadlineTimer.start(int(qMax<qint64>(next - now, 0)));
}

void UpstreamSession::finishAuthorization(bool ok, const QString &message)
{
    if (!m_authorizing)
        return;
    m_authorizing = false;
    m_interactiveUntil = -1;
    QList<Handle> parked;
    for (const auto &[handle, outgoing] : m_outgoing) {
        if (outgoing.state == Outgoing::State::AwaitingAuthorization)
            parked.append(handle);
    }
    for (const Handle handle : std::as_const(parked)) {
        Outgoing *outgoing = find(handle);
        if (!outgoing || outgoing->state != Outgoing::State::AwaitingAuthorization)
            continue;
        if (ok) {
            outgoing->state = Outgoing::State::InFlight;
            m_era->resend(handle);
        } else {
            failRequest(handle, TransportError::authorization(outgoing->lastStatus, message));
        }
    }
    if (m_streamAwaitsAuthorization) {
        m_streamAwaitsAuthorization = false;
        if (ok && m_state != SessionState::Closed)
            m_era->openServerStream();
    }
    drainQueue();
}

// --- keep-alive ---

void UpstreamSession::sendKeepAlivePing()
{
    // Only into a live session with nothing ahead of it, one at a time; a ping never waits in the
    // queue (the next tick tries again).
    if (m_state != SessionState::Live || m_pingInFlight || m_barrier != 0 || m_authorizing
            || !m_queue.isEmpty()) {
        return;
    }
    const QByteArray body = R"({"jsonrpc":"2.0","id":"mcp-oauth2-proxy-ping-)"_ba
            + QByteArray::number(++m_pingCount) + R"(","method":"ping"})"_ba;
    Outgoing &ping = create(body, JsonRpcMessage::classify(body), Outgoing::Origin::KeepAlive);
    m_pingInFlight = true;
    ping.onDone = [this](bool) {
        endKeepAlivePing();
    };
    transmit(ping);
}

// Whichever comes first of its response, its failure and the end of its exchange ends the ping;
// the next tick may send another.
void UpstreamSession::endKeepAlivePing()
{
    m_pingInFlight = false;
}

// --- re-initialization ---

void UpstreamSession::sessionExpired(Handle handle, const TransportError &error)
{
    Outgoing *outgoing = find(handle);
    if (!outgoing)
        return;
    if (outgoing->origin != Outgoing::Origin::Client || outgoing->retriedAfterReinitialization
            || m_initializeBody.isEmpty() || outgoing->message.method() == "initialize"_L1
            || m_reinitFailures >= 2) {
        failRequest(handle, error);
        return;
    }
    // MCP basic/transports, session management: the client MUST start a new session. We do it on
    // the host's behalf and retry this message once.
    qCInfo(lcTransport) << "upstream session expired (404); re-initializing";
    outgoing->retriedAfterReinitialization = true;
    outgoing->state = Outgoing::State::AwaitingSession;
    startReinitialization();
}

bool UpstreamSession::serverStreamSessionExpired()
{
    if (m_initializeBody.isEmpty() || m_reinitFailures >= 2)
        return false;
    qCInfo(lcTransport) << "upstream session expired (404 on the GET stream); re-initializing";
    startReinitialization();
    return true;
}

void UpstreamSession::startReinitialization()
{
    if (m_state == SessionState::Reinitializing || m_state == SessionState::Closed)
        return;
    m_state = SessionState::Reinitializing;
    m_era->forgetSession();
    m_era->closeServerStream();

    // Replay the client's initialize under a reserved id that the client never sees
    // (requests the proxy originates use their own id namespace).
    QJsonObject initialize = QJsonDocument::fromJson(m_initializeBody).object();
    const QString reservedId = QStringLiteral("mcp-oauth2-proxy-reinit-%1").arg(++m_reinitCount);
    initialize.insert("id"_L1, reservedId);
    const QByteArray body = QJsonDocument(initialize).toJson(QJsonDocument::Compact);
    Outgoing &replay =
            create(body, JsonRpcMessage::classify(body), Outgoing::Origin::Reinitialization);
    replay.onDone = [this](bool ok) {
        if (!ok) {
            finishReinitialization(false);
            return;
        }
        const QByteArray initialized = m_initializedBody.isEmpty()
                ? R"({"jsonrpc":"2.0","method":"notifications/initialized"})"_ba
                : m_initializedBody;
        Outgoing &notification = create(initialized, JsonRpcMessage::classify(initialized),
                Outgoing::Origin::Reinitialization);
        notification.onDone = [this](bool notified) {
            finishReinitialization(notified);
        };
        transmit(notification);
    };
    transmit(replay);
}

void UpstreamSession::finishReinitialization(bool ok)
{
    m_state = !ok && m_reinitFailures < 1 ? SessionState::Lost : SessionState::Live;
    QList<Handle> retries;
    for (const auto &[handle, outgoing] : m_outgoing) {
        if (outgoing.state == Outgoing::State::AwaitingSession)
            retries.append(handle);
    }
    if (ok) {
        m_reinitFailures = 0;
        qCInfo(lcTransport) << "session re-initialized; retrying" << retries.size() << "message(s)";
        m_era->openServerStream();
    } else {
        ++m_reinitFailures;
    }
    for (const Handle handle : std::as_const(retries)) {
        Outgoing *outgoing = find(handle);
        if (!outgoing || outgoing->state != Outgoing::State::AwaitingSession)
            continue;
        if (ok) {
            outgoing->state = Outgoing::State::InFlight;
            m_era->resend(handle);
        } else {
            failRequest(handle,
                    TransportError::upstreamStatus(
                            404, "session expired and re-initialization failed"));
        }
    }
    drainQueue();
}

void UpstreamSession::captureProtocolVersion(const QByteArray &line)
{
    const QJsonObject result = QJsonDocument::fromJson(line).object().value("result"_L1).toObject();
    const QString version = result.value("protocolVersion"_L1).toString();
    // It goes into the MCP-Protocol-Version header of every later request: an RFC 9110 token
    // only, so a hostile server cannot inject header lines.
    if (!version.isEmpty() && !std::all_of(version.cbegin(), version.cend(), [](QChar c) {
            return HttpSyntax::isTokenChar(c.unicode());
        })) {
        qCWarning(lcTransport) << "ignoring a negotiated protocol version that is not an HTTP "
                                  "token";
        return;
    }
    if (!version.isEmpty()) {
        m_protocolVersion = version;
        m_era->setProtocolVersion(version);
        qCInfo(lcTransport).noquote() << "negotiated protocol version" << version;
    }
}

// --- cancellation and shutdown ---

void UpstreamSession::cancel(const QString &idKey)
{
    const auto owed = m_owed.constFind(idKey);
    if (owed == m_owed.constEnd())
        return;
    const Handle handle = owed.value();
    Outgoing *outgoing = find(handle);
    if (!outgoing || outgoing->origin != Outgoing::Origin::Client)
        return;
    qCDebug(lcTransport) << "aborting cancelled request" << outgoing->message.rawId();
    const int owedBefore = m_clientRequestsOwed;
    settle(*outgoing); // nothing more is owed to the client
    const bool wasBarrier = outgoing->barrier;
    m_queue.removeAll(handle);
    m_outgoing.erase(handle);
    m_era->abort(handle);
    checkIdle(owedBefore);
    if (wasBarrier)
        releaseBarrier(handle);
}

void UpstreamSession::shutdown()
{
    if (m_state == SessionState::Closed)
        return;
    m_state = SessionState::Closed;
    m_pingTimer.stop();
    m_era->closeServerStream();
    m_queue.clear();
    std::map<Handle, Outgoing> ending;
    ending.swap(m_outgoing);
    const int owedBefore = m_clientRequestsOwed;
    QList<std::pair<QString, QByteArray>> failures;
    for (auto &[handle, outgoing] : ending) {
        m_era->abort(handle);
        if (outgoing.origin == Outgoing::Origin::Client && settle(outgoing)) {
            failures.append({outgoing.message.idKey(),
                    TransportError::shutdown().toErrorResponse(outgoing.message.rawId())});
        }
    }
    m_owed.clear();
    m_clientRequestsOwed = 0;
    for (const auto &[idKey, errorResponse] : std::as_const(failures))
        Q_EMIT requestFailed(idKey, errorResponse);
    checkIdle(owedBefore);
    m_era->endSession();
}

void UpstreamSession::sessionEnded()
{
    Q_EMIT shutdownFinished();
}

} // namespace McpProxy
