#include "config/configtext.h"

#include <QtCore/QList>
#include <QtCore/QLocale>
#include <QtCore/QStringList>

#include <algorithm>
#include <cmath>
#include <limits>

namespace McpProxy {

using namespace ConfigSchema;

namespace {

constexpr int MaxShownLength = 200;

int levenshtein(const QString &a, const QString &b)
{
    QList<int> previous(b.size() + 1);
    QList<int> current(b.size() + 1);
    for (qsizetype j = 0; j <= b.size(); ++j)
        previous[j] = int(j);
    for (qsizetype i = 1; i <= a.size(); ++i) {
        current[0] = int(i);
        for (qsizetype j = 1; j <= b.size(); ++j) {
            const int substitution = previous[j - 1] + (a.at(i - 1) == b.at(j - 1) ? 0 : 1);
            current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
        }
        std::swap(previous, current);
    }
    return previous[b.size()];
}

} // namespace

QString ConfigText::quoted(const QString &value)
{
    QString text;
    const QStringView view = QStringView(value).left(MaxShownLength);
    text.reserve(view.size() + 2);
    text += u'"';
    for (QChar c : view) {
        switch (c.unicode()) {
        case '"':
            text += u"\\\""_s;
            break;
        case '\n':
            text += u"\\n"_s;
            break;
        case '\r':
            text += u"\\r"_s;
            break;
        case '\t':
            text += u"\\t"_s;
            break;
        default:
            if (c.unicode() < 0x20 || c.unicode() == 0x7f)
                text += u"\\u%1"_s.arg(uint(c.unicode()), 4, 16, QChar(u'0'));
            else
                text += c;
        }
    }
    if (value.size() > MaxShownLength)
        text += u"..."_s;
    text += u'"';
    return text;
}

QString ConfigText::numberText(double value)
{
    if (std::isfinite(value) && std::floor(value) == value && std::fabs(value) <= MaxSafeInteger)
        return QString::number(static_cast<qint64>(value));
    return QString::number(value, 'g', QLocale::FloatingPointShortest);
}

QString ConfigText::describeJson(const QJsonValue &value, bool secret)
{
    switch (value.type()) {
    case QJsonValue::String:
        return u"string "_s + (secret ? quoted(Masked) : quoted(value.toString()));
    case QJsonValue::Double:
        return u"number "_s + (secret ? QString(Masked) : numberText(value.toDouble()));
    case QJsonValue::Bool:
        return u"boolean "_s
                + (secret ? QString(Masked) : (value.toBool() ? u"true"_s : u"false"_s));
    case QJsonValue::Null:
        return u"null"_s;
    case QJsonValue::Array:
        return u"array"_s;
    case QJsonValue::Object:
        return u"object"_s;
    case QJsonValue::Undefined:
        break;
    }
    return u"undefined"_s;
}

QString ConfigText::typeDescription(ValueType type)
{
    switch (type) {
    case ValueType::String:
    case ValueType::NonEmptyString:
    case ValueType::Url:
        return tr("a string");
    case ValueType::Integer:
        return tr("an integer");
    case ValueType::Boolean:
        return tr("a boolean (true or false)");
    case ValueType::StringMap:
        return tr("an object of string values");
    case ValueType::Headers:
        return tr("an object of header names to string values");
    case ValueType::Globs:
        return tr("an array of non-empty strings (tool name patterns)");
    }
    return QString();
}

QString ConfigText::closestKnownKey(const QString &unknown)
{
    QStringList candidates;
    for (const FieldSpec &field : Fields)
        candidates << QString(field.path);
    for (QLatin1String group : Groups)
        candidates << QString(group);
    const QString lowered = unknown.toLower();
    const QString unknownLeaf = lowered.section(u'.', -1);
    QString best;
    int bestDistance = std::numeric_limits<int>::max();
    for (const QString &candidate : std::as_const(candidates)) {
        // A key put in the wrong object ("timeoutMs" at the top) matches by its last part.
        const QString lowerCandidate = candidate.toLower();
        const int distance = std::min(levenshtein(lowered, lowerCandidate),
                levenshtein(unknownLeaf, lowerCandidate.section(u'.', -1)) + 1);
        if (distance < bestDistance) {
            bestDistance = distance;
            best = candidate;
        }
    }
    const int limit = std::max(2, int(unknown.size()) / 3);
    return bestDistance <= limit ? best : QString();
}

} // namespace McpProxy
