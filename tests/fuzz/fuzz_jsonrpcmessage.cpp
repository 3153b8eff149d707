// libFuzzer target for JsonRpcMessage::classify(): no crash, consistent accessors, and JSON
// validity as QJsonDocument sees it (apart from the documented RFC 8259 deviations, which are
// repaired in the input and the comparison repeated).
#include "jsonrpc/jsonrpcmessage.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QRegularExpression>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>

using namespace McpProxy;
using namespace Qt::StringLiterals;

namespace {

void check(bool condition, const char *invariant)
{
    if (!condition) {
        std::fprintf(stderr, "invariant violated: %s\n", invariant);
        std::abort();
    }
}

bool isValidJson(const JsonRpcMessage &message)
{
    return message.isValid() || message.error() != JsonRpcErrorCode::ParseError;
}

bool isWhitespace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool isNumberByte(char c)
{
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

// RFC 8259 section 6, written independently of the scanner.
bool isJsonNumber(QByteArrayView text)
{
    static const QRegularExpression number(
            uR"(\A-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?\z)"_s);
    return number.match(QString::fromLatin1(text)).hasMatch();
}

// Replaces the number-like run [begin, end) by "0" and spaces.
void replaceNumberRun(QByteArray &text, qsizetype begin, qsizetype end)
{
    text[begin] = '0';
    for (qsizetype i = begin + 1; i < end; ++i)
        text[i] = ' ';
}

// The offset in "<reason> at offset <n>".
qsizetype errorOffset(const QString &message)
{
    const qsizetype at = message.lastIndexOf(u" at offset "_s);
    check(at > 0, "parse error message names an offset");
    bool ok = false;
    const qsizetype offset = message.sliced(at + 11).toLongLong(&ok);
    check(ok, "parse error offset is a number");
    return offset;
}

// Brings ours and Qt's verdict to agreement by repairing the input where we knowingly differ
// (raw control characters in strings, non-RFC escapes, Qt's lenient ".5"/"1." numbers, numbers out
// of double's range); aborts on any other disagreement.
void compareWithQt(QByteArray text)
{
    for (int round = 0; round < 64; ++round) {
        const JsonRpcMessage ours = JsonRpcMessage::classify(text);
        QJsonParseError qtError;
        QJsonDocument::fromJson(text, &qtError);
        const bool qtValid = qtError.error == QJsonParseError::NoError;
        if (isValidJson(ours) == qtValid)
            return;
        if (!qtValid) {
            // Qt 6.4 rejects numbers beyond double's range; the grammar does not.
            check(qtError.error == QJsonParseError::IllegalNumber, "Qt rejects what we accept");
            const qsizetype end = qtError.offset;
            qsizetype begin = end;
            while (begin > 0 && isNumberByte(text[begin - 1]))
                --begin;
            check(isJsonNumber(QByteArrayView(text).sliced(begin, end - begin)),
                    "we accept a number that Qt rejects and that is not a JSON number");
            replaceNumberRun(text, begin, end);
            continue;
        }
        const QString reason = ours.errorMessage();
        const qsizetype offset = errorOffset(reason);
        check(offset >= 0 && offset < text.size(), "parse error offset inside the input");
        if (reason.startsWith(u"control character in string"_s)) {
            text[offset] = ' ';
        } else if (reason.startsWith(u"invalid escape sequence"_s)) {
            check(offset + 1 < text.size() && text[offset] == '\\' && text[offset + 1] != 'u',
                    "Qt accepts a \\u escape we reject");
            text[offset + 1] = '/';
        } else if (reason.startsWith(u"invalid number"_s)) {
            qsizetype end = offset;
            while (end < text.size() && isNumberByte(text[end]))
                ++end;
            check(end > offset, "invalid number at a number byte");
            check(!isJsonNumber(QByteArrayView(text).sliced(offset, end - offset)),
                    "we reject a JSON number that Qt accepts");
            replaceNumberRun(text, offset, end);
        } else {
            std::fprintf(stderr, "we reject (%s) what Qt accepts\n", qPrintable(reason));
            std::abort();
        }
    }
}

// The classification the spec asks for, computed from Qt's DOM.
void compareWithReference(const QJsonDocument &document, const JsonRpcMessage &ours)
{
    using Kind = JsonRpcMessage::Kind;
    if (document.isArray()) {
        check(ours.kind() == (document.array().isEmpty() ? Kind::Invalid : Kind::Batch),
                "batch classification");
        return;
    }
    const QJsonObject object = document.object();
    const QJsonValue id = object.value(u"id"_s);
    const QJsonValue method = object.value(u"method"_s);
    const bool hasResult = object.contains(u"result"_s);
    const bool hasError = object.contains(u"error"_s);
    Kind kind = Kind::Invalid;
    if (!id.isUndefined() && !id.isString() && !id.isDouble() && !id.isNull()) {
        kind = Kind::Invalid;
    } else if (object.value(u"jsonrpc"_s) != QJsonValue(u"2.0"_s)) {
        kind = Kind::Invalid;
    } else if (!method.isUndefined()) {
        if (method.isString() && !id.isNull())
            kind = id.isUndefined() ? Kind::Notification : Kind::Request;
    } else if (hasResult != hasError && !id.isUndefined() && (!id.isNull() || hasError)) {
        kind = Kind::Response;
    }
    check(ours.kind() == kind, "kind agrees with the reference");
    if (kind == Kind::Invalid) {
        check(ours.error() == JsonRpcErrorCode::InvalidRequest, "invalid request");
        return;
    }
    if (kind != Kind::Response)
        check(ours.method() == method.toString(), "method agrees with the reference");
    check(ours.isErrorResponse() == (kind == Kind::Response && hasError), "isErrorResponse");
    // Beyond 2^53 Qt's double loses digits of non-integer spellings that we keep.
    if (id.isString() || (id.isDouble() && std::abs(id.toDouble()) < 9007199254740992.0))
        check(ours.idKey() == JsonRpcMessage::idKey(id), "id key agrees with the reference");
    check(ours.id().type() == id.type(), "id type agrees with the reference");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray input(reinterpret_cast<const char *>(data), qsizetype(size));
    const JsonRpcMessage message = JsonRpcMessage::classify(input);

    // Accessors are consistent.
    check(JsonRpcMessage::idKey(message.id()) == message.idKey(), "idKey(id()) == idKey()");
    check(!message.rawId().isEmpty(), "rawId never empty");
    if (!message.idKey().isEmpty())
        check(input.contains(message.rawId()), "rawId comes from the input");
    else
        check(message.rawId() == "null"_ba, "rawId null without an id key");
    if (!message.isValid())
        check(!message.errorMessage().isEmpty(), "invalid message has a reason");
    if (!isValidJson(message)) {
        check(message.id().isUndefined(), "no id from a parse error");
        errorOffset(message.errorMessage());
    }

    // An error response for this message is one valid line carrying the same id.
    const QByteArray response = JsonRpcMessage::errorResponse(message.rawId(),
            int(JsonRpcErrorCode::InvalidRequest), message.errorMessage(),
            QJsonValue(QString::fromUtf8(input.first(std::min<qsizetype>(input.size(), 64)))));
    check(!response.contains('\n') && !response.contains('\r'), "error response is one line");
    const JsonRpcMessage classifiedResponse = JsonRpcMessage::classify(response);
    check(classifiedResponse.isResponse() && classifiedResponse.isErrorResponse(),
            "error response classifies as one");
    check(classifiedResponse.rawId() == message.rawId(), "error response keeps the raw id");
    check(classifiedResponse.idKey() == message.idKey(), "error response keeps the id key");

    // The id read from a cut-off text: null or a string/number taken from the input, always
    // usable in an error response; for a complete request, the request's own id.
    for (const qsizetype cut : {input.size(), input.size() / 2}) {
        const QByteArray truncatedId = JsonRpcMessage::requestIdOfTruncatedText(input.first(cut));
        check(truncatedId == "null"_ba || input.first(cut).contains(truncatedId),
                "truncated-text id comes from the input");
        const JsonRpcMessage answer = JsonRpcMessage::classify(JsonRpcMessage::errorResponse(
                truncatedId, int(JsonRpcErrorCode::InvalidRequest), u"x"_s));
        check(answer.isResponse() && answer.rawId() == truncatedId,
                "truncated-text id makes a valid error response");
    }
    if (message.isRequest()) {
        check(JsonRpcMessage::requestIdOfTruncatedText(input) == message.rawId(),
                "a complete request's id is read as its truncated-text id");
    }

    // Flattening a valid text changes nothing it means.
    const QByteArray line = JsonRpcMessage::toSingleLine(input);
    check(line.size() == input.size() && !line.contains('\n') && !line.contains('\r'),
            "toSingleLine gives one line of the same size");
    if (isValidJson(message)) {
        const JsonRpcMessage flattened = JsonRpcMessage::classify(line);
        check(flattened.kind() == message.kind() && flattened.error() == message.error()
                        && flattened.errorMessage() == message.errorMessage()
                        && flattened.rawId() == message.rawId()
                        && flattened.idKey() == message.idKey()
                        && flattened.method() == message.method()
                        && flattened.isErrorResponse() == message.isErrorResponse(),
                "toSingleLine keeps the classification");
    }

    // Differential against QJsonDocument, for objects and arrays within both nesting limits.
    qsizetype first = 0;
    while (first < input.size() && isWhitespace(input[first]))
        ++first;
    if (first == input.size() || (input[first] != '{' && input[first] != '['))
        return 0;
    if (input.count('{') + input.count('[') >= 500)
        return 0;
    compareWithQt(input);
    if (isValidJson(message)) {
        QJsonParseError qtError;
        const QJsonDocument document = QJsonDocument::fromJson(input, &qtError);
        if (qtError.error == QJsonParseError::NoError)
            compareWithReference(document, message);
    }
    return 0;
}
