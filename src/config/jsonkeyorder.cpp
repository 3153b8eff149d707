#include "config/jsonkeyorder.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>

#include <algorithm>
#include <optional>

using namespace Qt::StringLiterals;

namespace McpProxy {

namespace {

// Scans the (already validated) JSON text for the keys of the object at `target`, in source
// order; nothing else is decoded.
class KeyOrderScanner
{
public:
    KeyOrderScanner(const QByteArray &json, const QStringList &target)
        : m_json(json)
        , m_target(target)
    { }

    std::optional<QStringList> scan()
    {
        QStringList path;
        if (!scanValue(path))
            return std::nullopt;
        return m_keys;
    }

private:
    void skipSpace()
    {
        while (m_pos < m_json.size()
                && (m_json.at(m_pos) == ' ' || m_json.at(m_pos) == '\t' || m_json.at(m_pos) == '\n'
                        || m_json.at(m_pos) == '\r'))
            ++m_pos;
    }

    bool scanString(QString *decoded)
    {
        const qsizetype start = m_pos;
        if (m_pos >= m_json.size() || m_json.at(m_pos) != '"')
            return false;
        ++m_pos;
        bool escaped = false;
        while (m_pos < m_json.size()) {
            const char c = m_json.at(m_pos++);
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                if (decoded) {
                    const QByteArray raw = m_json.mid(start, m_pos - start);
                    if (raw.contains('\\')) {
                        const QJsonDocument document = QJsonDocument::fromJson('[' + raw + ']');
                        *decoded = document.array().at(0).toString();
                    } else {
                        *decoded = QString::fromUtf8(raw.mid(1, raw.size() - 2));
                    }
                }
                return true;
            }
        }
        return false;
    }

    bool scanValue(QStringList &path)
    {
        skipSpace();
        if (m_pos >= m_json.size())
            return false;
        const char c = m_json.at(m_pos);
        if (c == '{') {
            ++m_pos;
            const bool isTarget = path == m_target;
            skipSpace();
            if (m_pos < m_json.size() && m_json.at(m_pos) == '}') {
                ++m_pos;
                return true;
            }
            while (true) {
                skipSpace();
                QString key;
                if (!scanString(&key))
                    return false;
                if (isTarget && !m_keys.contains(key))
                    m_keys << key;
                skipSpace();
                if (m_pos >= m_json.size() || m_json.at(m_pos) != ':')
                    return false;
                ++m_pos;
                path << key;
                if (!scanValue(path))
                    return false;
                path.removeLast();
                skipSpace();
                if (m_pos < m_json.size() && m_json.at(m_pos) == ',') {
                    ++m_pos;
                    continue;
                }
                if (m_pos < m_json.size() && m_json.at(m_pos) == '}') {
                    ++m_pos;
                    return true;
                }
                return false;
            }
        }
        if (c == '[') {
            ++m_pos;
            skipSpace();
            if (m_pos < m_json.size() && m_json.at(m_pos) == ']') {
                ++m_pos;
                return true;
            }
            path << u"\0[]"_s; // never equal to an object key path
            while (true) {
                if (!scanValue(path))
                    return false;
                skipSpace();
                if (m_pos < m_json.size() && m_json.at(m_pos) == ',') {
                    ++m_pos;
                    continue;
                }
                if (m_pos < m_json.size() && m_json.at(m_pos) == ']') {
                    ++m_pos;
                    path.removeLast();
                    return true;
                }
                return false;
            }
        }
        if (c == '"')
            return scanString(nullptr);
        while (m_pos < m_json.size()) {
            const char d = m_json.at(m_pos);
            if (d == ',' || d == '}' || d == ']' || d == ' ' || d == '\t' || d == '\n' || d == '\r')
                break;
            ++m_pos;
        }
        return true;
    }

    const QByteArray &m_json;
    const QStringList m_target;
    QStringList m_keys;
    qsizetype m_pos = 0;
};

} // namespace

QStringList JsonKeyOrder::keysInSourceOrder(
        const QByteArray &json, const QStringList &path, const QJsonObject &object)
{
    const std::optional<QStringList> scanned = KeyOrderScanner(json, path).scan();
    QStringList keys = object.keys();
    if (!scanned || scanned->size() != keys.size())
        return keys;
    return *scanned;
}

QStringList JsonKeyOrder::ecmaScriptKeyOrder(const QStringList &keys)
{
    const auto arrayIndex = [](const QString &key) -> std::optional<quint64> {
        if (key.isEmpty() || key.size() > 10 || !std::all_of(key.begin(), key.end(), [](QChar c) {
                return c >= u'0' && c <= u'9';
            }) || (key.size() > 1 && key.startsWith(u'0')))
            return std::nullopt;
        const quint64 value = key.toULongLong();
        if (value >= 4294967295ULL)
            return std::nullopt;
        return value;
    };
    QStringList indices;
    QStringList others;
    for (const QString &key : keys)
        (arrayIndex(key) ? indices : others) << key;
    std::sort(indices.begin(), indices.end(), [&arrayIndex](const QString &a, const QString &b) {
        return *arrayIndex(a) < *arrayIndex(b);
    });
    return indices + others;
}

} // namespace McpProxy
