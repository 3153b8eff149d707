#include "auth/protocol/formencoding.h"

namespace McpProxy {

namespace {

// RFC 3986 section 2.3 unreserved characters pass unchanged.
bool isUnreserved(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
            || c == '.' || c == '_' || c == '~';
}

void appendEncoded(QByteArray &out, const QString &text)
{
    static constexpr char hexDigits[] = "0123456789ABCDEF";
    const QByteArray utf8 = text.toUtf8();
    for (const char c : utf8) {
        if (isUnreserved(c)) {
            out.append(c);
        } else if (c == ' ') {
            out.append('+');
        } else {
            const auto byte = static_cast<unsigned char>(c);
            out.append('%');
            out.append(hexDigits[byte >> 4]);
            out.append(hexDigits[byte & 0xf]);
        }
    }
}

QByteArray encoded(const QString &text)
{
    QByteArray out;
    appendEncoded(out, text);
    return out;
}

} // namespace

QByteArray formEncode(const FormFields &fields)
{
    QByteArray body;
    for (const auto &[name, value] : fields) {
        if (!body.isEmpty())
            body.append('&');
        appendEncoded(body, name);
        body.append('=');
        appendEncoded(body, value);
    }
    return body;
}

QByteArray basicAuthorization(const QString &clientId, const QString &clientSecret)
{
    // RFC 6749 section 2.3.1: both parts are form-encoded (Appendix B) before the RFC 7617
    // encoding.
    const QByteArray credentials = encoded(clientId) + ':' + encoded(clientSecret);
    return "Basic " + credentials.toBase64();
}

} // namespace McpProxy
