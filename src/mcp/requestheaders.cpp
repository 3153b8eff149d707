#include "mcp/requestheaders.h"

#include "transport/httpsyntax.h"

#include <cmath>

namespace McpProxy {

namespace {

constexpr auto Base64Prefix = QLatin1StringView("=?base64?");
constexpr auto Base64Suffix = QLatin1StringView("?=");

// JavaScript's Number.MAX_SAFE_INTEGER, the spec's integer bound for x-mcp-header values.
constexpr double MaxSafeInteger = 9007199254740991.0;

} // namespace

bool McpHeaderEncoding::isToken(QStringView name)
{
    if (name.isEmpty())
        return false;
    for (const QChar c : name) {
        if (!HttpSyntax::isTokenChar(c.unicode()))
            return false;
    }
    return true;
}

bool McpHeaderEncoding::isPlainValue(QStringView value)
{
    if (value.isEmpty())
        return false;
    for (const QChar c : value) {
        const char16_t u = c.unicode();
        if (u < 0x20 || u > 0x7E)
            return false;
    }
    if (value.front() == u' ' || value.back() == u' ')
        return false;
    if (value.startsWith(Base64Prefix) && value.endsWith(Base64Suffix))
        return false;
    return true;
}

QByteArray McpHeaderEncoding::encodeValue(const QString &value)
{
    if (isPlainValue(value))
        return value.toLatin1();
    return QByteArray(Base64Prefix.data(), Base64Prefix.size()) + value.toUtf8().toBase64()
            + QByteArray(Base64Suffix.data(), Base64Suffix.size());
}

QString McpHeaderEncoding::argumentText(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::String:
        return value.toString();
    case QJsonValue::Bool:
        return value.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case QJsonValue::Double: {
        const double d = value.toDouble();
        if (!std::isfinite(d))
            return {};
        if (d == std::trunc(d)) {
            if (std::fabs(d) > MaxSafeInteger)
                return {};
            return QString::number(qint64(d));
        }
        return QString::number(d, 'g', QLocale::FloatingPointShortest);
    }
    default:
        return {};
    }
}

QString RequestHeaders::nameSource(const QString &method)
{
    if (method == QLatin1StringView("tools/call") || method == QLatin1StringView("prompts/get"))
        return QStringLiteral("name");
    if (method == QLatin1StringView("resources/read"))
        return QStringLiteral("uri");
    return {};
}

RequestHeaders RequestHeaders::build(
        const QString &method, const QJsonObject &params, const HttpHeaderFields &paramHeaders)
{
    RequestHeaders headers;
    // Mcp-Method has no encoded form (streamable-http "Standard Request Headers"): a method that
    // is not a plain value cannot be mirrored, so the request is not sent at all.
    if (!McpHeaderEncoding::isPlainValue(method)) {
        headers.m_error = Error::MethodNotHeaderSafe;
        headers.m_errorMessage = QStringLiteral(
                "the method name cannot be sent in an Mcp-Method header (MCP 2026-07-28)");
        return headers;
    }
    headers.m_fields.append({QByteArrayLiteral("Mcp-Method"), method.toLatin1()});

    const QString source = nameSource(method);
    if (!source.isEmpty()) {
        // A missing or non-string name/uri leaves the header out: the body is then invalid
        // anyway, and the server answers it (-32602 or -32020).
        const QJsonValue name = params.value(source);
        if (name.isString())
            headers.m_fields.append({QByteArrayLiteral("Mcp-Name"),
                    McpHeaderEncoding::encodeValue(name.toString())});
    }
    for (const HttpHeaderField &field : paramHeaders)
        headers.m_fields.append(field);
    return headers;
}

} // namespace McpProxy
