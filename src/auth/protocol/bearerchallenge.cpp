#include "auth/protocol/bearerchallenge.h"

#include "transport/httpsyntax.h"

#include <algorithm>

using namespace Qt::StringLiterals;

namespace McpProxy {

namespace {

// RFC 9110 section 5.6.2 tchar.
bool isTokenChar(char c)
{
    return HttpSyntax::isTokenChar(char16_t(static_cast<unsigned char>(c)));
}

// RFC 9110 section 11.2 token68 characters (before the trailing "=" padding).
bool isToken68Char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
            || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

bool isWhitespace(char c)
{
    return c == ' ' || c == '\t';
}

// A single forward pass over the header: every step consumes at least one byte or stops, so
// the work is linear in the input whatever it holds.
class ChallengeParser
{
public:
    explicit ChallengeParser(QByteArrayView header)
        : m_input(header)
    { }

    QList<AuthChallenge> parse()
    {
        QList<AuthChallenge> challenges;
        // Whether the last challenge may still take auth-params (not after a token68).
        bool acceptsParams = false;
        while (true) {
            skipWhitespaceAndCommas();
            if (atEnd())
                break;
            const QByteArrayView name = readToken();
            if (name.isEmpty()) {
                skipElement();
                continue;
            }
            skipWhitespace();
            if (!atEnd() && peek() == '=') {
                // auth-param = token BWS "=" BWS ( token / quoted-string )
                ++m_position;
                skipWhitespace();
                std::optional<QString> value = readParamValue();
                if (!value) {
                    skipElement();
                    continue;
                }
                if (acceptsParams && !challenges.isEmpty()) {
                    challenges.last().params.append(
                            {QString::fromLatin1(name).toLower(), std::move(*value)});
                }
                continue;
            }
            // A new challenge: auth-scheme [ 1*SP ( token68 / #auth-param ) ].
            AuthChallenge challenge;
            challenge.scheme = QString::fromLatin1(name);
            acceptsParams = true;
            if (const std::optional<QByteArrayView> token68 = readToken68()) {
                challenge.token68 = QString::fromLatin1(*token68);
                acceptsParams = false;
            }
            challenges.append(std::move(challenge));
        }
        return challenges;
    }

private:
    bool atEnd() const { return m_position >= m_input.size(); }
    char peek() const { return m_input.at(m_position); }

    void skipWhitespace()
    {
        while (!atEnd() && isWhitespace(peek()))
            ++m_position;
    }

    void skipWhitespaceAndCommas()
    {
        while (!atEnd() && (isWhitespace(peek()) || peek() == ','))
            ++m_position;
    }

    QByteArrayView readToken()
    {
        const qsizetype start = m_position;
        while (!atEnd() && isTokenChar(peek()))
            ++m_position;
        return m_input.sliced(start, m_position - start);
    }

    // Garbage: drop everything up to the next comma outside a quoted string. Always consumes
    // at least one byte unless at the end.
    void skipElement()
    {
        const qsizetype start = m_position;
        bool quoted = false;
        while (!atEnd()) {
            const char c = peek();
            if (quoted && c == '\\') {
                m_position = std::min(m_position + 2, m_input.size());
                continue;
            }
            if (c == '"')
                quoted = !quoted;
            else if (c == ',' && !quoted)
                break;
            ++m_position;
        }
        if (m_position == start && !atEnd())
            ++m_position;
    }

    // token / quoted-string (RFC 9110 section 5.6.4). Lenient: a bare value may hold any visible
    // character but "," and DQUOTE (servers send unquoted URLs), and may be empty.
    std::optional<QString> readParamValue()
    {
        if (atEnd())
            return QString();
        if (peek() != '"') {
            const qsizetype start = m_position;
            while (!atEnd() && peek() != ',' && peek() != '"' && !isWhitespace(peek())
                    && static_cast<unsigned char>(peek()) > 0x20 && peek() != 0x7f)
                ++m_position;
            const QByteArrayView value = m_input.sliced(start, m_position - start);
            skipWhitespace();
            if (!atEnd() && peek() != ',' && !isTokenChar(peek()))
                return std::nullopt;
            return QString::fromUtf8(value);
        }
        ++m_position; // opening DQUOTE
        QByteArray value;
        while (!atEnd()) {
            const char c = peek();
            ++m_position;
            if (c == '"')
                return QString::fromUtf8(value);
            if (c == '\\') {
                if (atEnd())
                    break;
                value.append(peek());
                ++m_position;
                continue;
            }
            value.append(c);
        }
        return std::nullopt; // unterminated quoted-string: the rest is unparseable
    }

    // After an auth-scheme: 1*SP token68 followed by the end or a comma. Consumes nothing when
    // what follows is not a token68 (it is then an auth-param list, or garbage).
    std::optional<QByteArrayView> readToken68()
    {
        const qsizetype start = m_position;
        if (start == 0 || !isWhitespace(m_input.at(start - 1)))
            return std::nullopt;
        qsizetype end = start;
        while (end < m_input.size() && isToken68Char(m_input.at(end)))
            ++end;
        if (end == start)
            return std::nullopt;
        while (end < m_input.size() && m_input.at(end) == '=')
            ++end;
        qsizetype next = end;
        while (next < m_input.size() && isWhitespace(m_input.at(next)))
            ++next;
        if (next < m_input.size() && m_input.at(next) != ',')
            return std::nullopt;
        m_position = next;
        return m_input.sliced(start, end - start);
    }

    QByteArrayView m_input;
    qsizetype m_position = 0;
};

std::optional<QUrl> absoluteHttpUrl(const QString &text)
{
    const QUrl url(text, QUrl::StrictMode);
    if (!url.isValid() || url.isRelative() || url.host().isEmpty())
        return std::nullopt;
    if (url.scheme() != "https"_L1 && url.scheme() != "http"_L1)
        return std::nullopt;
    return url;
}

} // namespace

QString AuthChallenge::param(const QString &name) const
{
    for (const auto &[key, value] : params) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return QString();
}

QList<AuthChallenge> parseWwwAuthenticate(QByteArrayView header)
{
    return ChallengeParser(header).parse();
}

std::optional<BearerChallenge> BearerChallenge::fromHeader(QByteArrayView header)
{
    const QList<AuthChallenge> challenges = parseWwwAuthenticate(header);
    for (const AuthChallenge &challenge : challenges) {
        if (challenge.scheme.compare("Bearer"_L1, Qt::CaseInsensitive) != 0)
            continue;
        BearerChallenge bearer;
        // RFC 9728 section 5.1
        if (const std::optional<QUrl> url =
                        absoluteHttpUrl(challenge.param(u"resource_metadata"_s)))
            bearer.resourceMetadata = *url;
        // RFC 6750 section 3
        bearer.scope = challenge.param(u"scope"_s);
        bearer.error = challenge.param(u"error"_s);
        bearer.errorDescription = challenge.param(u"error_description"_s);
        return bearer;
    }
    return std::nullopt;
}

} // namespace McpProxy
