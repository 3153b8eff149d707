#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QJsonObject>
#include <QtCore/QJsonValue>
#include <QtCore/QList>
#include <QtCore/QString>
#include <QtCore/QStringView>

namespace McpProxy {

// One HTTP header field, name and value exactly as they go on the wire. Every field built in
// src/mcp holds a name that is an RFC 9110 §5.1 token and a value of visible ASCII (0x21-0x7E)
// and inner spaces only: no CR, LF, NUL or other control character can reach a request.
struct HttpHeaderField
{
    QByteArray name;
    QByteArray value;

    friend bool operator==(const HttpHeaderField &a, const HttpHeaderField &b)
    {
        return a.name == b.name && a.value == b.value;
    }
    friend bool operator!=(const HttpHeaderField &a, const HttpHeaderField &b) { return !(a == b); }
};
using HttpHeaderFields = QList<HttpHeaderField>;

// The value rules of MCP 2026-07-28 basic/transports/streamable-http, "Value Encoding", shared by
// Mcp-Name and Mcp-Param-{Name}.
class McpHeaderEncoding
{
public:
    // RFC 9110 §5.1 field-name token (1*tchar): what an x-mcp-header name must be.
    static bool isToken(QStringView name);

    // True when `value` can travel as a plain header value: not empty, only visible ASCII and
    // space (the spec also allows HTAB, but a tab is sent in the base64 form, as the official SDK
    // does), no leading or trailing whitespace, and not looking like the base64 sentinel form
    // itself ("=?base64?…?=", which must be encoded to stay unambiguous). An empty value is
    // sent in the base64 form too ("=?base64??="), so no header ever has an empty value.
    static bool isPlainValue(QStringView value);

    // `value` itself when isPlainValue(), else "=?base64?" + Base64(UTF-8 of value) + "?=".
    // Always a header-safe value, whatever `value` holds (lone surrogates are encoded as
    // QString::toUtf8() writes them).
    static QByteArray encodeValue(const QString &value);

    // The string form of a tool argument for an Mcp-Param header ("Type conversion"): a string as
    // is; a boolean as "true"/"false"; a number in decimal ("42", "-7"; a non-integral number in
    // its shortest round-trip form), and only when finite and, if integral, within the
    // JavaScript safe range ±(2^53−1). Null, objects, arrays, undefined and out-of-range numbers
    // give a null QString: the header is then omitted (the spec's "Client MUST omit" rows).
    static QString argumentText(const QJsonValue &value);
};

// The header set of one outgoing MCP 2026-07-28 request (streamable-http "Standard Request
// Headers" and "Custom Headers from Tool Parameters"): Mcp-Method always, Mcp-Name for
// tools/call and prompts/get (params.name) and resources/read (params.uri), then the
// Mcp-Param-{Name} fields the caller got from ToolHeaderCatalogue::paramHeaders().
// MCP-Protocol-Version, Accept, Content-Type and Authorization are the transport's business.
class RequestHeaders
{
public:
    enum class Error {
        None,
        MethodNotHeaderSafe, // the method name is empty or not plain visible ASCII: it has no
                             // encoded form, so the request cannot be sent (answer -32600)
    };

    static RequestHeaders build(const QString &method, const QJsonObject &params,
            const HttpHeaderFields &paramHeaders = {});

    bool isValid() const { return m_error == Error::None; }
    Error error() const { return m_error; }
    QString errorMessage() const { return m_errorMessage; }
    const HttpHeaderFields &fields() const { return m_fields; }

    // Which params member Mcp-Name mirrors for `method` ("name", "uri"), or empty when the
    // method has no Mcp-Name header.
    static QString nameSource(const QString &method);

private:
    Error m_error = Error::None;
    QString m_errorMessage;
    HttpHeaderFields m_fields;
};

} // namespace McpProxy
