#include "jsonrpc/jsonrpcmessage.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/qalgorithms.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <limits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

using namespace Qt::StringLiterals;

namespace McpProxy {

namespace {

// RFC 8259 section 9 lets a parser limit nesting; Qt's own parser stops at 1024.
constexpr int MaxNestingDepth = 512;

enum class TokenType : std::uint8_t { None, String, Number, True, False, Null, Object, Array };

// One JSON value in the input: [begin, end) are its bytes, quotes included for strings.
struct Token
{
    const char *begin = nullptr;
    const char *end = nullptr;
    TokenType type = TokenType::None;
    bool hasEscapes = false;

    bool isPresent() const { return type != TokenType::None; }
    QByteArrayView bytes() const { return QByteArrayView(begin, end - begin); }
    // A string's content without the quotes.
    const char *contentBegin() const { return begin + 1; }
    const char *contentEnd() const { return end - 1; }
};

enum class Member : std::uint8_t { Other, JsonRpc, Id, Method, Result, Error };

QLatin1StringView memberName(Member member)
{
    switch (member) {
    case Member::JsonRpc:
        return "jsonrpc"_L1;
    case Member::Id:
        return "id"_L1;
    case Member::Method:
        return "method"_L1;
    case Member::Result:
        return "result"_L1;
    case Member::Error:
        return "error"_L1;
    case Member::Other:
        break;
    }
    return {};
}

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// Bytes that need a closer look inside a string: '"', '\\', control characters (RFC 8259 section 7)
// and non-ASCII bytes (UTF-8 validation).
constexpr std::array<bool, 256> SpecialStringBytes = [] {
    std::array<bool, 256> table{};
    for (int byte = 0; byte < 256; ++byte)
        table[std::size_t(byte)] = byte < 0x20 || byte >= 0x80 || byte == '"' || byte == '\\';
    return table;
}();

bool isSpecialStringByte(char c)
{
    return SpecialStringBytes[static_cast<unsigned char>(c)];
}

// Skips plain string bytes a block at a time. It may stop short of the next special byte (at the
// end, or at the start of the word holding it); the caller goes on byte by byte.
const char *skipPlainStringBytes(const char *p, const char *end)
{
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    while (end - p >= 16) {
        const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
        // A signed comparison: non-ASCII bytes are negative, so "< 0x20" catches them too.
        const __m128i special = _mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(chunk, quote), _mm_cmpeq_epi8(chunk, backslash)),
                _mm_cmplt_epi8(chunk, space));
        const int mask = _mm_movemask_epi8(special);
        if (mask != 0)
            return p + qCountTrailingZeroBits(quint32(mask));
        p += 16;
    }
#else
    // The "haszero"/"hasless" tricks (Bit Twiddling Hacks), exact for "some byte matches".
    constexpr auto repeat = [](std::uint8_t byte) {
        return 0x0101010101010101ULL * byte;
    };
    while (end - p >= 8) {
        std::uint64_t word;
        std::memcpy(&word, p, sizeof word);
        const std::uint64_t quote = word ^ repeat('"');
        const std::uint64_t backslash = word ^ repeat('\\');
        const std::uint64_t flags = ((quote - repeat(1)) & ~quote)
                | ((backslash - repeat(1)) & ~backslash) | ((word - repeat(0x20)) & ~word) | word;
        if ((flags & repeat(0x80)) != 0)
            break;
        p += 8;
    }
#endif
    return p;
}

// Length of the well-formed UTF-8 sequence at p (RFC 3629 section 4: no overlongs, no surrogates,
// nothing above U+10FFFF; noncharacters are allowed, as in QUtf8BaseTraits), or 0.
int utf8SequenceLength(const unsigned char *p, const unsigned char *end)
{
    const unsigned char lead = p[0];
    const auto isContinuation = [](unsigned char c) {
        return (c & 0xC0) == 0x80;
    };
    const std::ptrdiff_t available = end - p;
    if (lead >= 0xC2 && lead <= 0xDF)
        return available >= 2 && isContinuation(p[1]) ? 2 : 0;
    if (lead >= 0xE0 && lead <= 0xEF) {
        if (available < 3 || !isContinuation(p[1]) || !isContinuation(p[2]))
            return 0;
        if (lead == 0xE0 && p[1] < 0xA0) // overlong
            return 0;
        if (lead == 0xED && p[1] > 0x9F) // UTF-16 surrogate
            return 0;
        return 3;
    }
    if (lead >= 0xF0 && lead <= 0xF4) {
        if (available < 4 || !isContinuation(p[1]) || !isContinuation(p[2])
                || !isContinuation(p[3]))
            return 0;
        if (lead == 0xF0 && p[1] < 0x90) // overlong
            return 0;
        if (lead == 0xF4 && p[1] > 0x8F) // above U+10FFFF
            return 0;
        return 4;
    }
    return 0; // continuation byte, C0/C1 (always overlong) or F5..FF
}

// Decodes the escapes of a string's content into a small buffer, for comparing member names and
// the "jsonrpc" value without allocating. Returns the UTF-16 length, or -1 when the content is
// longer than the buffer or not ASCII (none of the names we look for is).
template <std::size_t N>
int decodeShortAsciiString(const char *p, const char *end, std::array<char16_t, N> &buffer)
{
    std::size_t length = 0;
    while (p < end) {
        if (length == N)
            return -1;
        char16_t unit = 0;
        if (*p != '\\') {
            if (static_cast<unsigned char>(*p) >= 0x80)
                return -1;
            unit = static_cast<unsigned char>(*p++);
        } else if (p[1] == 'u') { // the scanner has checked the four hex digits
            unit = static_cast<char16_t>((hexValue(p[2]) << 12) | (hexValue(p[3]) << 8)
                    | (hexValue(p[4]) << 4) | hexValue(p[5]));
            p += 6;
        } else {
            switch (p[1]) {
            case 'b':
                unit = 0x08;
                break;
            case 'f':
                unit = 0x0C;
                break;
            case 'n':
                unit = 0x0A;
                break;
            case 'r':
                unit = 0x0D;
                break;
            case 't':
                unit = 0x09;
                break;
            default: // '"', '\\', '/'
                unit = static_cast<unsigned char>(p[1]);
                break;
            }
            p += 2;
        }
        buffer[length++] = unit;
    }
    return static_cast<int>(length);
}

template <std::size_t N>
bool equalsAscii(const std::array<char16_t, N> &buffer, int length, QLatin1StringView text)
{
    if (length != text.size())
        return false;
    for (int i = 0; i < length; ++i) {
        if (buffer[static_cast<std::size_t>(i)] != static_cast<char16_t>(text[i].unicode()))
            return false;
    }
    return true;
}

bool stringTokenEquals(const Token &token, QLatin1StringView text)
{
    if (!token.hasEscapes)
        return QByteArrayView(token.contentBegin(), token.contentEnd() - token.contentBegin())
                == QByteArrayView(text.data(), text.size());
    std::array<char16_t, 8> buffer{};
    return equalsAscii(
            buffer, decodeShortAsciiString(token.contentBegin(), token.contentEnd(), buffer), text);
}

Member memberForKey(const Token &key)
{
    const auto check = [&key](QLatin1StringView name, Member member) {
        return stringTokenEquals(key, name) ? member : Member::Other;
    };
    if (key.hasEscapes) {
        for (const Member member :
                {Member::JsonRpc, Member::Id, Member::Method, Member::Result, Member::Error}) {
            if (check(memberName(member), member) == member)
                return member;
        }
        return Member::Other;
    }
    switch (key.contentEnd() - key.contentBegin()) {
    case 2:
        return check("id"_L1, Member::Id);
    case 5:
        return check("error"_L1, Member::Error);
    case 6:
        return key.contentBegin()[0] == 'm' ? check("method"_L1, Member::Method)
                                            : check("result"_L1, Member::Result);
    case 7:
        return check("jsonrpc"_L1, Member::JsonRpc);
    default:
        return Member::Other;
    }
}

// Full decoding of a validated string token (RFC 8259 section 7). Lone surrogates from \uXXXX are
// kept as they are, as QJsonDocument does.
QString decodeString(const Token &token)
{
    const char *p = token.contentBegin();
    const char *const end = token.contentEnd();
    if (!token.hasEscapes)
        return QString::fromUtf8(p, end - p);
    QString result;
    result.reserve(end - p);
    while (p < end) {
        const char *const run = p;
        while (p < end && *p != '\\')
            ++p;
        if (p != run)
            result += QString::fromUtf8(run, p - run);
        if (p == end)
            break;
        const char escaped = p[1];
        p += 2;
        switch (escaped) {
        case 'b':
            result += QChar(0x08);
            break;
        case 'f':
            result += QChar(0x0C);
            break;
        case 'n':
            result += QChar(0x0A);
            break;
        case 'r':
            result += QChar(0x0D);
            break;
        case 't':
            result += QChar(0x09);
            break;
        case 'u':
            result += QChar(static_cast<char16_t>((hexValue(p[0]) << 12) | (hexValue(p[1]) << 8)
                    | (hexValue(p[2]) << 4) | hexValue(p[3])));
            p += 4;
            break;
        default: // '"', '\\', '/'
            result += QLatin1Char(escaped);
            break;
        }
    }
    return result;
}

// The value of a validated number literal (RFC 8259 section 6). An integer that fits qint64 is
// computed exactly from the decimal digits, whatever the spelling (1, 1.0, 1e0, 10E-1,
// 9007199254740993.0); anything else goes through double.
QJsonValue numberValue(QByteArrayView literal)
{
    const char *p = literal.data();
    const char *const end = p + literal.size();
    const bool negative = *p == '-';
    if (negative)
        ++p;
    const char *const intBegin = p;
    while (p < end && isDigit(*p))
        ++p;
    const qsizetype intLength = p - intBegin;
    const char *fracBegin = p;
    if (p < end && *p == '.')
        fracBegin = ++p;
    while (p < end && isDigit(*p))
        ++p;
    const qsizetype fracLength = p - fracBegin;
    // The exponent saturates far beyond anything that fits qint64 or double.
    constexpr qint64 exponentLimit = qint64(1) << 40;
    qint64 exponent = 0;
    if (p < end) { // 'e' or 'E'
        ++p;
        const bool negativeExponent = *p == '-';
        if (*p == '-' || *p == '+')
            ++p;
        for (; p < end; ++p)
            exponent = std::min(exponent * 10 + (*p - '0'), exponentLimit);
        if (negativeExponent)
            exponent = -exponent;
    }

    // The digits int ++ frac, value = digits * 10^(exponent - fracLength).
    const qsizetype digitCount = intLength + fracLength;
    const auto digitAt = [&](qsizetype index) {
        return index < intLength ? intBegin[index] : fracBegin[index - intLength];
    };
    qsizetype first = 0;
    while (first < digitCount && digitAt(first) == '0')
        ++first;
    if (first == digitCount)
        return QJsonValue(qint64(0));
    qsizetype last = digitCount - 1;
    while (digitAt(last) == '0')
        --last;
    // value = significant * 10^scale, and significant's last digit is not 0.
    const qsizetype significantCount = last - first + 1;
    const qint64 scale = exponent - fracLength + (digitCount - 1 - last);
    if (scale >= 0 && significantCount + scale <= 19) { // 10^19 > 2^63
        std::uint64_t magnitude = 0;
        for (qsizetype i = first; i <= last; ++i)
            magnitude = magnitude * 10 + std::uint64_t(digitAt(i) - '0');
        for (qint64 i = 0; i < scale; ++i)
            magnitude *= 10;
        constexpr auto maxMagnitude = std::uint64_t(std::numeric_limits<qint64>::max());
        if (!negative && magnitude <= maxMagnitude)
            return QJsonValue(qint64(magnitude));
        if (negative && magnitude <= maxMagnitude + 1)
            return QJsonValue(qint64(0 - magnitude)); // wraps to INT64_MIN for 2^63
    }

    bool ok = false;
    double value = literal.toDouble(&ok);
    if (!ok) {
        // Out of double's range (1e400, 1e-400): the grammar allows it (RFC 8259 section 9), Qt
        // does not.
        const bool overflow = significantCount + scale > 0;
        value = overflow ? std::numeric_limits<double>::infinity() : 0.0;
        if (negative)
            value = -value;
    }
    return QJsonValue(value);
}

// The validating single-pass scanner (RFC 8259 sections 2-8). It builds no DOM: it only records
// where the top-level members we care about are.
class Scanner
{
public:
    explicit Scanner(QByteArrayView input)
        : m_begin(input.data())
        , m_p(input.data())
        , m_end(input.data() + input.size())
    { }

    bool scan();

    TokenType topLevelType() const { return m_topLevelType; }
    bool isTopLevelEmpty() const { return m_topLevelEmpty; }
    const Token &member(Member which) const { return m_members[std::size_t(which)]; }
    // Whether a top-level member of this name was met, its value complete or not.
    bool hasSeenName(Member which) const { return m_namesSeen[std::size_t(which)]; }
    QString errorMessage() const
    {
        return u"%1 at offset %2"_s.arg(QLatin1StringView(m_errorReason)).arg(m_errorOffset);
    }

private:
    bool fail(const char *reason, const char *at)
    {
        m_errorReason = reason;
        m_errorOffset = at - m_begin;
        return false;
    }
    bool atEnd() const { return m_p == m_end; }
    void skipWhitespace()
    {
        // RFC 8259 section 2: ws = space / tab / LF / CR. No BOM (section 8.1: we forward the bytes
        // as they are).
        while (m_p != m_end && (*m_p == ' ' || *m_p == '\n' || *m_p == '\r' || *m_p == '\t'))
            ++m_p;
    }
    bool scanString(bool *hasEscapes);
    bool scanNumber();
    bool scanLiteral(QByteArrayView literal);

    const char *const m_begin;
    const char *m_p;
    const char *const m_end;
    TokenType m_topLevelType = TokenType::None;
    bool m_topLevelEmpty = false;
    std::array<Token, 6> m_members{};
    std::array<bool, 6> m_namesSeen{};
    const char *m_errorReason = "";
    qsizetype m_errorOffset = 0;
};

bool Scanner::scanString(bool *hasEscapes)
{
    const char *const start = m_p;
    *hasEscapes = false;
    ++m_p; // opening quote
    for (;;) {
        m_p = skipPlainStringBytes(m_p, m_end);
        while (m_p != m_end && !isSpecialStringByte(*m_p))
            ++m_p;
        if (m_p == m_end)
            return fail("unterminated string", start);
        const auto c = static_cast<unsigned char>(*m_p);
        if (c == '"') {
            ++m_p;
            return true;
        }
        if (c == '\\') {
            // RFC 8259 section 7. Qt also takes "\x" as "x"; we don't, a strict peer would reject
            // it.
            *hasEscapes = true;
            if (m_end - m_p < 2)
                return fail("unterminated string", start);
            switch (m_p[1]) {
            case '"':
            case '\\':
            case '/':
            case 'b':
            case 'f':
            case 'n':
            case 'r':
            case 't':
                m_p += 2;
                break;
            case 'u':
                if (m_end - m_p < 6 || hexValue(m_p[2]) < 0 || hexValue(m_p[3]) < 0
                        || hexValue(m_p[4]) < 0 || hexValue(m_p[5]) < 0)
                    return fail("invalid escape sequence", m_p);
                m_p += 6;
                break;
            default:
                return fail("invalid escape sequence", m_p);
            }
        } else if (c < 0x20) {
            // RFC 8259 section 7: control characters must be escaped. This also guarantees that a
            // valid text has no raw CR/LF inside strings (see toSingleLine()). Qt accepts them.
            return fail("control character in string", m_p);
        } else {
            // Non-ASCII text tends to come in runs: validate the whole run here.
            do {
                const int length = utf8SequenceLength(reinterpret_cast<const unsigned char *>(m_p),
                        reinterpret_cast<const unsigned char *>(m_end));
                if (length == 0)
                    return fail("invalid UTF-8 in string", m_p);
                m_p += length;
            } while (m_p != m_end && static_cast<unsigned char>(*m_p) >= 0x80);
        }
    }
}

bool Scanner::scanNumber()
{
    // RFC 8259 section 6: number = [ minus ] int [ frac ] [ exp ]. Qt also takes ".5", "1." and
    // "1.e5".
    const char *const start = m_p;
    if (*m_p == '-')
        ++m_p;
    if (m_p == m_end)
        return fail("invalid number", start);
    if (*m_p == '0') {
        ++m_p;
    } else if (isDigit(*m_p)) {
        while (m_p != m_end && isDigit(*m_p))
            ++m_p;
    } else {
        return fail("invalid number", start);
    }
    if (m_p != m_end && *m_p == '.') {
        ++m_p;
        if (m_p == m_end || !isDigit(*m_p))
            return fail("invalid number", start);
        while (m_p != m_end && isDigit(*m_p))
            ++m_p;
    }
    if (m_p != m_end && (*m_p == 'e' || *m_p == 'E')) {
        ++m_p;
        if (m_p != m_end && (*m_p == '-' || *m_p == '+'))
            ++m_p;
        if (m_p == m_end || !isDigit(*m_p))
            return fail("invalid number", start);
        while (m_p != m_end && isDigit(*m_p))
            ++m_p;
    }
    return true;
}

bool Scanner::scanLiteral(QByteArrayView literal)
{
    if (m_end - m_p < literal.size() || std::memcmp(m_p, literal.data(), literal.size()) != 0)
        return fail("invalid literal", m_p);
    m_p += literal.size();
    return true;
}

bool Scanner::scan()
{
    enum class Step { Value, AfterValue, MemberName };
    // Which containers are open: true for an object.
    std::array<bool, MaxNestingDepth> isObject{};
    int depth = 0;
    // The top-level member whose value is being scanned, and where that value started.
    Member pending = Member::Other;
    Token pendingValue;

    skipWhitespace();
    if (atEnd())
        return fail("empty input", m_p);
    Step step = Step::Value;
    for (;;) {
        switch (step) {
        case Step::Value: {
            // m_p is at a value's first byte, after whitespace.
            if (atEnd())
                return fail("unexpected end of input", m_p);
            const char *const start = m_p;
            TokenType type = TokenType::None;
            bool escapes = false;
            switch (*m_p) {
            case '{':
            case '[': {
                if (depth == MaxNestingDepth)
                    return fail("nesting too deep", m_p);
                const bool object = *m_p == '{';
                type = object ? TokenType::Object : TokenType::Array;
                isObject[std::size_t(depth++)] = object;
                ++m_p;
                skipWhitespace();
                if (!atEnd() && *m_p == (object ? '}' : ']')) {
                    ++m_p;
                    --depth;
                    m_topLevelEmpty = depth == 0;
                    step = Step::AfterValue;
                } else {
                    step = object ? Step::MemberName : Step::Value;
                }
                break;
            }
            case '"':
                type = TokenType::String;
                if (!scanString(&escapes))
                    return false;
                step = Step::AfterValue;
                break;
            case 't':
                type = TokenType::True;
                if (!scanLiteral("true"))
                    return false;
                step = Step::AfterValue;
                break;
            case 'f':
                type = TokenType::False;
                if (!scanLiteral("false"))
                    return false;
                step = Step::AfterValue;
                break;
            case 'n':
                type = TokenType::Null;
                if (!scanLiteral("null"))
                    return false;
                step = Step::AfterValue;
                break;
            case '-':
            case '.': // not a JSON number start, but reported as one
            case '0':
            case '1':
            case '2':
            case '3':
            case '4':
            case '5':
            case '6':
            case '7':
            case '8':
            case '9':
                type = TokenType::Number;
                if (!scanNumber())
                    return false;
                step = Step::AfterValue;
                break;
            default:
                return fail("unexpected character", m_p);
            }
            if (m_topLevelType == TokenType::None)
                m_topLevelType = type;
            if (pending != Member::Other && pendingValue.type == TokenType::None) {
                pendingValue.begin = start;
                pendingValue.type = type;
                pendingValue.hasEscapes = escapes;
            }
            break;
        }
        case Step::AfterValue: {
            if (depth == 0) {
                // RFC 8259 section 2: JSON-text = ws value ws, and nothing else.
                skipWhitespace();
                return atEnd() || fail("unexpected data after the JSON value", m_p);
            }
            const char *const valueEnd = m_p;
            skipWhitespace();
            if (atEnd())
                return fail("unexpected end of input", m_p);
            if (*m_p != ',' && *m_p != (isObject[std::size_t(depth - 1)] ? '}' : ']'))
                return fail("unexpected character", m_p);
            if (depth == 1 && pending != Member::Other) {
                // A top-level member's value is complete (last one wins for duplicates). Only
                // once a separator follows it: in a truncated text ("id":12|) the value might go
                // on, see requestIdOfTruncatedText().
                pendingValue.end = valueEnd;
                m_members[std::size_t(pending)] = pendingValue;
                pending = Member::Other;
                pendingValue = Token();
            }
            if (*m_p == ',') {
                ++m_p;
                skipWhitespace();
                step = isObject[std::size_t(depth - 1)] ? Step::MemberName : Step::Value;
            } else {
                ++m_p;
                --depth;
            }
            break;
        }
        case Step::MemberName: {
            if (atEnd())
                return fail("unexpected end of input", m_p);
            if (*m_p != '"')
                return fail("expected a member name", m_p);
            Token key;
            key.begin = m_p;
            key.type = TokenType::String;
            if (!scanString(&key.hasEscapes))
                return false;
            key.end = m_p;
            if (depth == 1) {
                pending = memberForKey(key);
                m_namesSeen[std::size_t(pending)] = true;
            }
            skipWhitespace();
            if (atEnd())
                return fail("unexpected end of input", m_p);
            if (*m_p != ':')
                return fail("expected ':'", m_p);
            ++m_p;
            skipWhitespace();
            step = Step::Value;
            break;
        }
        }
    }
}

} // namespace

JsonRpcMessage JsonRpcMessage::classify(QByteArrayView json)
{
    JsonRpcMessage message;
    Scanner scanner(json);
    if (!scanner.scan()) {
        message.m_error = JsonRpcErrorCode::ParseError;
        message.m_errorMessage = scanner.errorMessage();
        return message;
    }
    const auto invalidRequest = [&message](QString reason) {
        message.m_kind = Kind::Invalid;
        message.m_error = JsonRpcErrorCode::InvalidRequest;
        message.m_errorMessage = std::move(reason);
        return message;
    };

    switch (scanner.topLevelType()) {
    case TokenType::Array:
        // JSON-RPC 2.0 section 6: an empty batch array is an Invalid Request.
        if (scanner.isTopLevelEmpty())
            return invalidRequest(u"empty batch"_s);
        message.m_kind = Kind::Batch;
        return message;
    case TokenType::Object:
        break;
    default:
        return invalidRequest(u"not a JSON-RPC message: the top-level value is not an object"_s);
    }

    // Read the id first, so that an Invalid Request can still carry it back.
    const Token &id = scanner.member(Member::Id);
    switch (id.type) {
    case TokenType::None:
        break;
    case TokenType::String:
        message.m_rawId = id.bytes().toByteArray();
        message.m_id = QJsonValue(decodeString(id));
        message.m_idKey = idKey(message.m_id);
        break;
    case TokenType::Number:
        message.m_rawId = id.bytes().toByteArray();
        message.m_id = numberValue(id.bytes());
        message.m_idKey = idKey(message.m_id);
        break;
    case TokenType::Null:
        message.m_id = QJsonValue(QJsonValue::Null);
        break;
    default:
        // JSON-RPC 2.0 section 4: an id is a string, a number or null.
        return invalidRequest(u"id must be a string or a number"_s);
    }

    const Token &jsonrpc = scanner.member(Member::JsonRpc);
    if (jsonrpc.type != TokenType::String || !stringTokenEquals(jsonrpc, "2.0"_L1))
        return invalidRequest(u"jsonrpc must be \"2.0\""_s);

    const Token &method = scanner.member(Member::Method);
    if (method.isPresent()) {
        if (method.type != TokenType::String)
            return invalidRequest(u"method must be a string"_s);
        // MCP 2025-06-18 basic/messages: "Unlike base JSON-RPC, the ID MUST NOT be null."
        if (id.type == TokenType::Null)
            return invalidRequest(u"request id must not be null"_s);
        message.m_method = decodeString(method);
        message.m_kind = id.isPresent() ? Kind::Request : Kind::Notification;
        return message;
    }

    const bool hasResult = scanner.member(Member::Result).isPresent();
    const bool hasError = scanner.member(Member::Error).isPresent();
    if (hasResult == hasError) {
        return invalidRequest(hasResult ? u"response has both result and error"_s
                                        : u"neither method nor result nor error"_s);
    }
    // JSON-RPC 2.0 section 5: id is required; null only when the request's id could not be
    // determined.
    if (!id.isPresent())
        return invalidRequest(u"response without id"_s);
    if (id.type == TokenType::Null && !hasError)
        return invalidRequest(u"result response with a null id"_s);
    message.m_isErrorResponse = hasError;
    message.m_kind = Kind::Response;
    return message;
}

QByteArray JsonRpcMessage::requestIdOfTruncatedText(QByteArrayView start)
{
    // The scan stops at the first error, which for a truncated text is the end of the input;
    // the members it recorded are complete values followed by a separator.
    Scanner scanner(start);
    scanner.scan();
    QByteArray unknown = QByteArrayLiteral("null"); // not const: returned by move
    if (scanner.topLevelType() != TokenType::Object)
        return unknown;
    const Token &id = scanner.member(Member::Id);
    const Token &method = scanner.member(Member::Method);
    const Token &jsonrpc = scanner.member(Member::JsonRpc);
    if ((id.type != TokenType::String && id.type != TokenType::Number)
            || method.type != TokenType::String || scanner.hasSeenName(Member::Result)
            || scanner.hasSeenName(Member::Error)
            || (jsonrpc.isPresent()
                    && (jsonrpc.type != TokenType::String
                            || !stringTokenEquals(jsonrpc, "2.0"_L1))))
        return unknown;
    return id.bytes().toByteArray();
}

QString JsonRpcMessage::idKey(const QJsonValue &id)
{
    switch (id.type()) {
    case QJsonValue::String:
        return u"s:"_s + id.toString();
    case QJsonValue::Double: {
        // toInteger() only succeeds for an integral value that fits qint64; try two defaults.
        const qint64 integer = id.toInteger(0);
        if (integer == id.toInteger(1))
            return u"n:"_s + QString::number(integer);
        return u"n:"_s + QString::number(id.toDouble(), 'g', 17);
    }
    default:
        return QString();
    }
}

namespace {

// Compact JSON for any value, scalars included (QJsonDocument only takes arrays and objects).
QByteArray compactJson(const QJsonValue &value)
{
    const QByteArray array = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
    return array.sliced(1, array.size() - 2);
}

} // namespace

QByteArray JsonRpcMessage::errorResponse(
        QByteArrayView rawId, int code, const QString &message, const QJsonValue &data)
{
    QByteArray response = R"({"jsonrpc":"2.0","id":)"_ba;
    response += rawId.isEmpty() ? "null"_ba : rawId.toByteArray();
    response += R"(,"error":{"code":)"_ba + QByteArray::number(code) + R"(,"message":)"_ba
            + compactJson(QJsonValue(message));
    if (!data.isUndefined())
        response += R"(,"data":)"_ba + compactJson(data);
    response += "}}"_ba;
    return response;
}

QByteArray JsonRpcMessage::toSingleLine(QByteArray json)
{
    // RFC 8259 section 7 forbids raw control characters inside strings, so in a valid text every CR
    // and LF is insignificant whitespace (section 2) and a space is an equally good one: the value
    // and every other byte stay the same. Only for valid texts: in an invalid one a raw line break
    // inside a string would become a space (and the text might turn valid).
    const auto isLineBreak = [](char c) {
        return c == '\n' || c == '\r';
    };
    if (std::none_of(json.cbegin(), json.cend(), isLineBreak))
        return json;
    std::replace_if(json.begin(), json.end(), isLineBreak, ' ');
    return json;
}

} // namespace McpProxy
