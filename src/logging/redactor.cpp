#include "logging/redactor.h"

#include "transport/httpsyntax.h"

#include <QtCore/QList>
#include <QtCore/QUrl>

#include <algorithm>
#include <array>
#include <utility>

using namespace Qt::StringLiterals;

namespace McpProxy {

namespace {

constexpr qsizetype MinimumSecretLength = 4;
constexpr qsizetype MaximumKeyLength = 40;

// OAuth parameter names whose values are credentials (RFC 6749 sections 4/5/6, RFC 7523, RFC 8693).
constexpr std::array<QLatin1String, 11> ParameterNames = {
        "access_token"_L1,
        "refresh_token"_L1,
        "id_token"_L1,
        "client_secret"_L1,
        "code"_L1,
        "code_verifier"_L1,
        "client_assertion"_L1,
        "assertion"_L1,
        "password"_L1,
        "token"_L1,
        "subject_token"_L1,
};

// Header names whose values are credentials; also masked as JSON members.
constexpr std::array<QLatin1String, 4> HeaderNames = {
        "authorization"_L1,
        "proxy-authorization"_L1,
        "cookie"_L1,
        "set-cookie"_L1,
};

struct Range
{
    qsizetype start;
    qsizetype length;
};

bool isAsciiLetter(QChar c)
{
    return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z');
}

bool isAsciiDigit(QChar c)
{
    return c >= u'0' && c <= u'9';
}

// Characters of a parameter or JSON member name, for boundaries: "error_code" is not "code".
bool isNameChar(QChar c)
{
    return isAsciiLetter(c) || isAsciiDigit(c) || c == u'_' || c == u'-' || c == u'.';
}

// RFC 9110 section 5.6.2 tchar.
bool isTokenChar(QChar c)
{
    return HttpSyntax::isTokenChar(c.unicode());
}

// RFC 9110 section 11.2 token68, without the trailing "=" padding.
bool isToken68Char(QChar c)
{
    return isAsciiLetter(c) || isAsciiDigit(c) || c == u'-' || c == u'.' || c == u'_' || c == u'~'
            || c == u'+' || c == u'/';
}

bool isBlank(QChar c)
{
    return c == u' ' || c == u'\t';
}

bool isSpace(QChar c)
{
    return c == u' ' || c == u'\t' || c == u'\r' || c == u'\n';
}

// ASCII case-insensitive equality with a lower-case name; cheap rejections first, as this runs
// for every ':' and '=' of a log line.
bool equalsName(QStringView text, QLatin1String name)
{
    if (text.size() != name.size())
        return false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char16_t c = text.at(i).unicode();
        const char16_t folded = (c >= u'A' && c <= u'Z') ? char16_t(c | 0x20) : c;
        if (folded != char16_t(name.at(i).unicode()))
            return false;
    }
    return true;
}

bool isParameterName(QStringView name)
{
    return std::any_of(ParameterNames.begin(), ParameterNames.end(),
            [name](QLatin1String known) { return equalsName(name, known); });
}

bool isJsonSecretName(QStringView name)
{
    return isParameterName(name)
            || std::any_of(HeaderNames.begin(), HeaderNames.end(),
                    [name](QLatin1String known) { return equalsName(name, known); });
}

// A JSON-RPC-style numeric code ("code=-32000", "status code=401") is not an authorization code.
bool isSmallNumber(QStringView value)
{
    if (value.startsWith(u'-'))
        value = value.mid(1);
    return !value.isEmpty() && value.size() <= 6
            && std::all_of(value.begin(), value.end(), isAsciiDigit);
}

// Case-insensitive search for an ASCII lower-case letters-only keyword; much cheaper than
// QString::indexOf(..., Qt::CaseInsensitive), which folds every character. (c | 0x20) maps an
// upper-case ASCII letter to lower case and nothing else onto a lower-case letter.
qsizetype findKeyword(const QString &text, qsizetype from, QLatin1String keyword)
{
    const char *key = keyword.data();
    const qsizetype length = keyword.size();
    const qsizetype last = text.size() - length;
    const char16_t *data = reinterpret_cast<const char16_t *>(text.constData());
    for (qsizetype i = from; i <= last; ++i) {
        if ((data[i] | 0x20) != char16_t(key[0]))
            continue;
        qsizetype j = 1;
        while (j < length && (data[i + j] | 0x20) == char16_t(key[j]))
            ++j;
        if (j == length)
            return i;
    }
    return -1;
}

bool alreadyMasked(QStringView text, qsizetype start)
{
    return text.mid(start).startsWith(Redactor::Mask);
}

QString applyRanges(const QString &text, QList<Range> ranges)
{
    if (ranges.isEmpty())
        return text;
    // Searches for several names can hit the same place ("Authorization: x; cookie: y"):
    // overlapping ranges are masked as one.
    std::stable_sort(ranges.begin(), ranges.end(),
            [](const Range &a, const Range &b) { return a.start < b.start; });
    QString result;
    result.reserve(text.size());
    qsizetype position = 0;
    for (const Range &range : std::as_const(ranges)) {
        if (range.start < position) { // inside the range masked last: extend it
            position = std::max(position, range.start + range.length);
            continue;
        }
        result += QStringView(text).mid(position, range.start - position);
        result += Redactor::Mask;
        position = range.start + range.length;
    }
    result += QStringView(text).mid(position);
    return result;
}

// "Authorization: value" up to the end of the line (also Proxy-Authorization, Cookie,
// Set-Cookie: the search for "cookie" finds the tail of "Set-Cookie").
QString maskHeaderLines(const QString &text)
{
    QList<Range> ranges;
    for (QLatin1String name : {"authorization"_L1, "cookie"_L1}) {
        qsizetype from = 0;
        while ((from = findKeyword(text, from, name)) >= 0) {
            qsizetype i = from + name.size();
            from = i;
            while (i < text.size() && isBlank(text.at(i)))
                ++i;
            if (i >= text.size() || text.at(i) != u':')
                continue;
            ++i;
            while (i < text.size() && isBlank(text.at(i)))
                ++i;
            qsizetype end = i;
            while (end < text.size() && text.at(end) != u'\n' && text.at(end) != u'\r')
                ++end;
            if (end == i || alreadyMasked(text, i))
                continue;
            ranges.append({i, end - i});
            from = end;
        }
    }
    return applyRanges(text, ranges);
}

// Finds the closing quote of a JSON string whose opening quote ends at valueStart. With
// escapedLevel the JSON is itself inside a JSON string, so quotes appear as \" and backslashes
// as \\; the string then ends at a decoded quote that is not escaped at the inner level.
// Returns the index of the first character of the closing quote sequence, or -1.
qsizetype findJsonStringEnd(const QString &text, qsizetype valueStart, bool escapedLevel)
{
    bool innerEscape = false;
    qsizetype p = valueStart;
    while (p < text.size()) {
        QChar decoded = text.at(p);
        qsizetype step = 1;
        if (escapedLevel && decoded == u'\\' && p + 1 < text.size()) {
            decoded = text.at(p + 1);
            step = 2;
        } else if (escapedLevel && decoded == u'"') {
            return -1; // a bare quote cannot occur inside an escaped string
        }
        if (innerEscape) {
            innerEscape = false;
        } else if (decoded == u'\\') {
            innerEscape = true;
        } else if (decoded == u'"') {
            return p;
        }
        p += step;
    }
    return -1;
}

// "name" : "value" and \"name\":\"value\" for the secret member names; string values only, so
// JSON-RPC's numeric "code":-32000 stays readable.
QString maskJsonMembers(const QString &text)
{
    QList<Range> ranges;
    qsizetype from = 0;
    qsizetype lastEnd = 0;
    while ((from = text.indexOf(u':', from)) >= 0) {
        const qsizetype colon = from++;
        if (colon < lastEnd)
            continue;
        qsizetype q = colon - 1;
        while (q >= 0 && isSpace(text.at(q)))
            --q;
        if (q < 1 || text.at(q) != u'"')
            continue;
        const bool escaped = text.at(q - 1) == u'\\';
        const qsizetype keyEnd = escaped ? q - 1 : q;
        qsizetype keyStart = keyEnd;
        while (keyStart > 0 && keyEnd - keyStart < MaximumKeyLength
                && isNameChar(text.at(keyStart - 1)))
            --keyStart;
        const qsizetype openQuote = keyStart - 1;
        if (openQuote < 0 || text.at(openQuote) != u'"' || keyStart == keyEnd)
            continue;
        if (escaped && (openQuote < 1 || text.at(openQuote - 1) != u'\\'))
            continue;
        if (!isJsonSecretName(QStringView(text).mid(keyStart, keyEnd - keyStart)))
            continue;
        qsizetype v = colon + 1;
        while (v < text.size() && isSpace(text.at(v)))
            ++v;
        if (escaped) {
            if (v + 1 >= text.size() || text.at(v) != u'\\' || text.at(v + 1) != u'"')
                continue;
            v += 2;
        } else {
            if (v >= text.size() || text.at(v) != u'"')
                continue;
            v += 1;
        }
        const qsizetype end = findJsonStringEnd(text, v, escaped);
        // An unterminated value (a truncated log line) is masked to the end of the text.
        const qsizetype valueEnd = end < 0 ? text.size() : end;
        if (valueEnd <= v || alreadyMasked(text, v))
            continue;
        ranges.append({v, valueEnd - v});
        lastEnd = valueEnd;
        from = valueEnd;
    }
    return applyRanges(text, ranges);
}

// name=value in queries and form bodies, up to "&", whitespace, a quote or a backslash.
QString maskParameters(const QString &text)
{
    QList<Range> ranges;
    qsizetype from = 0;
    while ((from = text.indexOf(u'=', from)) >= 0) {
        const qsizetype equals = from++;
        qsizetype nameStart = equals;
        while (nameStart > 0 && equals - nameStart < MaximumKeyLength
                && isNameChar(text.at(nameStart - 1)))
            --nameStart;
        const QStringView name = QStringView(text).mid(nameStart, equals - nameStart);
        if (name.isEmpty() || !isParameterName(name))
            continue;
        qsizetype end = equals + 1;
        while (end < text.size()) {
            const QChar c = text.at(end);
            if (c == u'&' || isSpace(c) || c == u'"' || c == u'\'' || c == u'\\')
                break;
            ++end;
        }
        const QStringView value = QStringView(text).mid(equals + 1, end - equals - 1);
        if (value.isEmpty() || value.startsWith(Redactor::Mask))
            continue;
        if (equalsName(name, "code"_L1) && isSmallNumber(value))
            continue;
        ranges.append({equals + 1, value.size()});
        from = end;
    }
    return applyRanges(text, ranges);
}

// "Bearer <token68>" / "Basic <token68>" (RFC 6750 section 2.1, RFC 7617 section 2). An auth-param
// such as Bearer realm="x" or Bearer error=invalid_token (WWW-Authenticate) is not a credential.
QString maskCredentials(const QString &text)
{
    QList<Range> ranges;
    for (QLatin1String scheme : {"bearer"_L1, "basic"_L1}) {
        qsizetype from = 0;
        while ((from = findKeyword(text, from, scheme)) >= 0) {
            const qsizetype at = from;
            from += scheme.size();
            if (at > 0 && (isAsciiLetter(text.at(at - 1)) || isAsciiDigit(text.at(at - 1))))
                continue;
            qsizetype i = at + scheme.size();
            if (i >= text.size() || !isBlank(text.at(i)))
                continue;
            while (i < text.size() && isBlank(text.at(i)))
                ++i;
            qsizetype end = i;
            while (end < text.size() && isToken68Char(text.at(end)))
                ++end;
            if (end == i)
                continue;
            const bool padded = end < text.size() && text.at(end) == u'=';
            while (end < text.size() && text.at(end) == u'=')
                ++end;
            // realm="x" / error=invalid_token: a name, "=" and a value. Base64 padding makes a
            // padded token68 a multiple of 4 long; the auth-param names are not.
            if (padded && (end - i) % 4 != 0 && end < text.size()
                    && (text.at(end) == u'"' || isTokenChar(text.at(end))))
                continue;
            ranges.append({i, end - i});
            from = end;
        }
    }
    return applyRanges(text, ranges);
}

} // namespace

void Redactor::insertSecret(const QString &value)
{
    if (value.size() < MinimumSecretLength || m_secrets.contains(value) || Mask.contains(value))
        return;
    const auto position = std::find_if(m_secrets.cbegin(), m_secrets.cend(),
            [&value](const QString &s) { return s.size() < value.size(); });
    m_secrets.insert(position, value);
}

void Redactor::addSecret(const QString &value)
{
    if (value.size() < MinimumSecretLength)
        return;
    insertSecret(value);
    // The spellings a value takes in a URL query and in a form body (RFC 6749 appendix B).
    const QString percent = QString::fromLatin1(QUrl::toPercentEncoding(value));
    insertSecret(percent);
    insertSecret(QString::fromLatin1(QUrl::toPercentEncoding(value, " "_ba)).replace(u' ', u'+'));
}

QString Redactor::redact(const QString &text) const
{
    QString result = text;
    for (const QString &secret : m_secrets) {
        if (result.contains(secret))
            result.replace(secret, Mask);
    }
    result = maskHeaderLines(result);
    result = maskJsonMembers(result);
    result = maskParameters(result);
    result = maskCredentials(result);
    return result;
}

} // namespace McpProxy
