#include "config/mcpremote.h"

#include <QtCore/QCryptographicHash>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace McpProxy::McpRemote {

namespace {

// ECMAScript WhiteSpace and LineTerminator: what \s matches.
bool isEcmaSpace(char16_t c)
{
    switch (c) {
    case 0x09:
    case 0x0a:
    case 0x0b:
    case 0x0c:
    case 0x0d:
    case 0x20:
    case 0xa0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202f:
    case 0x205f:
    case 0x3000:
    case 0xfeff:
        return true;
    default:
        return c >= 0x2000 && c <= 0x200a;
    }
}

// What `.` does not match (ECMAScript LineTerminator).
bool isLineTerminator(char16_t c)
{
    return c == 0x0a || c == 0x0d || c == 0x2028 || c == 0x2029;
}

bool isHeaderNameChar(char16_t c)
{
    return (c >= u'A' && c <= u'Z') || (c >= u'a' && c <= u'z') || (c >= u'0' && c <= u'9')
            || c == u'_' || c == u'-';
}

// ECMAScript QuoteJSONString (ES2019 well-formed JSON.stringify).
QString quoteJson(const QString &value)
{
    QString out = u"\""_s;
    for (qsizetype i = 0; i < value.size(); ++i) {
        const char16_t c = value.at(i).unicode();
        switch (c) {
        case u'"':
            out += u"\\\""_s;
            continue;
        case u'\\':
            out += u"\\\\"_s;
            continue;
        case 0x08:
            out += u"\\b"_s;
            continue;
        case 0x0c:
            out += u"\\f"_s;
            continue;
        case 0x0a:
            out += u"\\n"_s;
            continue;
        case 0x0d:
            out += u"\\r"_s;
            continue;
        case 0x09:
            out += u"\\t"_s;
            continue;
        default:
            break;
        }
        const bool high = QChar::isHighSurrogate(c);
        const bool low = QChar::isLowSurrogate(c);
        const bool paired = (high && i + 1 < value.size() && value.at(i + 1).isLowSurrogate());
        if (c < 0x20 || (low) || (high && !paired)) {
            out += u"\\u"_s + QString::number(c, 16).rightJustified(4, u'0');
            continue;
        }
        out += QChar(c);
        if (paired)
            out += value.at(++i);
    }
    return out + u'"';
}

// A JavaScript object built by assignment: the last value of each name, first-seen order.
StringPairs lastValues(const StringPairs &members)
{
    StringPairs result;
    for (const auto &member : members) {
        const auto it = std::find_if(result.begin(), result.end(),
                [&member](const auto &m) { return m.first == member.first; });
        if (it != result.end())
            it->second = member.second;
        else
            result.append(member);
    }
    return result;
}

} // namespace

QString stringifySorted(const StringPairs &members)
{
    StringPairs sorted = lastValues(members);
    // Array.prototype.sort() without a comparator: by UTF-16 code units, which is QString's
    // operator<.
    std::stable_sort(sorted.begin(), sorted.end(),
            [](const auto &a, const auto &b) { return a.first < b.first; });
    QString out = u"{"_s;
    for (qsizetype i = 0; i < sorted.size(); ++i) {
        if (i > 0)
            out += u',';
        out += quoteJson(sorted.at(i).first) + u':' + quoteJson(sorted.at(i).second);
    }
    return out + u'}';
}

QString serverUrlHash(const HashInput &input)
{
    QStringList parts{input.serverUrl};
    if (!input.resource.isEmpty())
        parts << input.resource;
    if (!input.authorizeParams.isEmpty())
        parts << stringifySorted(input.authorizeParams);
    if (!input.headers.isEmpty())
        parts << stringifySorted(input.headers);
    if (!input.clientMetadataUrl.isEmpty())
        parts << input.clientMetadataUrl;
    if (!input.tokenEndpoint.isEmpty())
        parts << input.tokenEndpoint;
    return QString::fromLatin1(
            QCryptographicHash::hash(parts.join(u'|').toUtf8(), QCryptographicHash::Md5).toHex());
}

int defaultCallbackPort(const QString &serverUrlHash)
{
    bool ok = false;
    const int offset = serverUrlHash.left(4).toInt(&ok, 16);
    return 3335 + (ok ? offset : 0) % 45816;
}

std::optional<std::pair<QString, QString>> parseHeaderLine(const QString &line)
{
    qsizetype i = 0;
    while (i < line.size() && isHeaderNameChar(line.at(i).unicode()))
        ++i;
    if (i == 0 || i >= line.size() || line.at(i) != u':')
        return std::nullopt;
    const QString name = line.left(i);
    ++i;
    // \s* is greedy and may take line terminators, but the rest must then hold none.
    while (i < line.size() && isEcmaSpace(line.at(i).unicode()))
        ++i;
    const QString value = line.mid(i);
    if (std::any_of(
                value.begin(), value.end(), [](QChar c) { return isLineTerminator(c.unicode()); }))
        return std::nullopt;
    return std::pair{name, value};
}

QList<std::pair<int, std::optional<std::pair<QString, QString>>>> parseHeaderFile(
        const QString &text)
{
    QList<std::pair<int, std::optional<std::pair<QString, QString>>>> result;
    // contents.split(/\r?\n/), then String.prototype.trim().
    const QStringList lines = text.split(u'\n');
    for (qsizetype n = 0; n < lines.size(); ++n) {
        QString line = lines.at(n);
        if (line.endsWith(u'\r'))
            line.chop(1);
        qsizetype start = 0;
        qsizetype end = line.size();
        while (start < end && isEcmaSpace(line.at(start).unicode()))
            ++start;
        while (end > start && isEcmaSpace(line.at(end - 1).unicode()))
            --end;
        const QString trimmed = line.mid(start, end - start);
        if (trimmed.isEmpty() || trimmed.startsWith(u'#'))
            continue;
        result.append({int(n + 1), parseHeaderLine(trimmed)});
    }
    return result;
}

QString redirectUri(const QString &host, int port, const QString &callbackPath)
{
    const QString shownHost =
            host.contains(u':') && !host.startsWith(u'[') ? u'[' + host + u']' : host;
    return u"http://%1:%2%3"_s.arg(shownHost).arg(port).arg(callbackPath);
}

QString defaultCallbackHost()
{
#ifdef Q_OS_WIN
    return u"127.0.0.1"_s;
#else
    return u"localhost"_s;
#endif
}

} // namespace McpProxy::McpRemote
