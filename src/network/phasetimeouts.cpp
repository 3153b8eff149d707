#include "network/phasetimeouts.h"

#include <QtCore/QTimer>
#include <QtNetwork/QNetworkReply>

namespace McpProxy::PhaseTimeouts {

void watch(QNetworkReply *reply, int connectTimeoutMs, int headersTimeoutMs)
{
    if (connectTimeoutMs <= 0 && headersTimeoutMs <= 0)
        return;
    // The timer belongs to the reply: it dies with it, and every connection below has it as
    // context, so nothing fires for a reply that is gone.
    auto *timer = new QTimer(reply);
    timer->setSingleShot(true);
    QObject::connect(timer, &QTimer::timeout, reply, [reply] {
        if (reply->isRunning())
            reply->abort();
    });
    const auto phase = [timer](int ms) {
        if (ms > 0)
            timer->start(ms);
        else
            timer->stop();
    };
    QObject::connect(reply, &QNetworkReply::socketStartedConnecting, timer,
            [phase, connectTimeoutMs] { phase(connectTimeoutMs); });
    QObject::connect(reply, &QNetworkReply::requestSent, timer,
            [phase, headersTimeoutMs] { phase(headersTimeoutMs); });
    QObject::connect(reply, &QNetworkReply::metaDataChanged, timer, &QTimer::stop);
    QObject::connect(reply, &QNetworkReply::finished, timer, &QTimer::stop);
}

} // namespace McpProxy::PhaseTimeouts
