#pragma once

class QNetworkReply;

namespace McpProxy::PhaseTimeouts {

// Separate bounds for the phases of one request (mcp-remote's --connect-timeout and
// --headers-timeout; the body's inactivity bound is QNetworkRequest::setTransferTimeout):
// connecting (QNetworkReply::socketStartedConnecting, Qt 6.3, until the request is sent) and
// waiting for the response headers (QNetworkReply::requestSent until metaDataChanged). A reply
// past its bound is aborted: it ends with OperationCanceledError, as after a transfer timeout.
// 0 leaves a phase unbounded. A reply that reuses a connection has no connect phase.
void watch(QNetworkReply *reply, int connectTimeoutMs, int headersTimeoutMs);

} // namespace McpProxy::PhaseTimeouts
