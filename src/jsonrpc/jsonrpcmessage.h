#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QByteArrayView>
#include <QtCore/QJsonValue>
#include <QtCore/QString>

namespace McpProxy {

// JSON-RPC 2.0 error codes used by the proxy (JSON-RPC 2.0 section 5.1; -32000/-32001 as the
// reference).
enum class JsonRpcErrorCode : int {
    ParseError = -32700,
    InvalidRequest = -32600,
    MethodNotFound = -32601,
    InvalidParams = -32602,
    InternalError = -32603,
    ProxyError = -32000, // timeout, network, shutdown ("mcp-oauth2-proxy: upstream request failed")
    UpstreamStatus = -32001 // upstream answered with an HTTP error status
};

// The result of classifying one JSON text (a stdin line, an upstream JSON body or an SSE data
// field). Classification is a validating single-pass scan: the text is checked to be exactly one
// well-formed JSON value (RFC 8259), and only the top-level "jsonrpc", "id", "method", "result"
// and "error" members are read. The bytes themselves are never re-serialised (raw forwarding).
class JsonRpcMessage
{
public:
    enum class Kind {
        Invalid, // see error()/errorMessage(): ParseError (not JSON) or InvalidRequest
        Request, // method + id
        Notification, // method, no id
        Response, // result or error + id (id may be null for an error response)
        Batch // a top-level array (JSON-RPC batch; removed in MCP 2025-06-18)
    };

    static JsonRpcMessage classify(QByteArrayView json);

    Kind kind() const { return m_kind; }
    bool isValid() const { return m_kind != Kind::Invalid; }
    bool isRequest() const { return m_kind == Kind::Request; }
    bool isNotification() const { return m_kind == Kind::Notification; }
    bool isResponse() const { return m_kind == Kind::Response; }

    // The id's JSON text exactly as it appeared in the input (`7`, `"abc"`, `1e400`), so an error
    // we synthesise carries the client's id byte for byte; "null" when absent or unreadable.
    QByteArray rawId() const { return m_rawId; }
    // The id as a QJsonValue (string, or number: qint64 when it is an integer literal that fits);
    // Undefined when absent, Null for null.
    QJsonValue id() const { return m_id; }
    // A canonical key for the id, equal for equal ids whatever their spelling ("\u0041" == "A",
    // 1 == 1.0 == 1e0): "s:<decoded string>" or "n:<canonical number>"; empty when there is no
    // string/number id. idKey(QJsonValue) gives the same key for the same id.
    QString idKey() const { return m_idKey; }
    static QString idKey(const QJsonValue &id);

    QString method() const { return m_method; }
    bool isErrorResponse() const { return m_isErrorResponse; }

    // For Kind::Invalid: ParseError or InvalidRequest, and a short English reason.
    JsonRpcErrorCode error() const { return m_error; }
    QString errorMessage() const { return m_errorMessage; }
    // For Kind::Invalid with InvalidRequest, rawId() still holds the id when one could be read.

    // The id's JSON text of a request whose text was cut off (a line too long to read in full),
    // read from its start: the id when a complete string or number "id" member and a complete
    // string "method" member appear at the top level before the cut, with no "result" or "error"
    // and no "jsonrpc" other than "2.0"; else "null". Any bytes are safe to pass.
    static QByteArray requestIdOfTruncatedText(QByteArrayView start);

    // {"jsonrpc":"2.0","id":<rawId>,"error":{"code":<code>,"message":<message>[,"data":<data>]}}
    // as one line without the trailing newline. An empty rawId is written as null.
    static QByteArray errorResponse(QByteArrayView rawId, int code, const QString &message,
            const QJsonValue &data = QJsonValue(QJsonValue::Undefined));

    // Valid JSON cannot hold a raw CR or LF inside a string, so outside strings they are plain
    // whitespace: replacing them with spaces turns any valid JSON text into one line without
    // re-serialising it (MCP stdio: messages MUST NOT contain embedded newlines).
    static QByteArray toSingleLine(QByteArray json);

private:
    Kind m_kind = Kind::Invalid;
    QByteArray m_rawId = QByteArrayLiteral("null");
    QJsonValue m_id = QJsonValue(QJsonValue::Undefined);
    QString m_idKey;
    QString m_method;
    bool m_isErrorResponse = false;
    JsonRpcErrorCode m_error = JsonRpcErrorCode::ParseError;
    QString m_errorMessage;
};

} // namespace McpProxy
