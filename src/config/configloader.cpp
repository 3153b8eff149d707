#include "config/configloader.h"

#include "network/urlpolicy.h"

#include <QtCore/QCommandLineParser>
#include <QtCore/QCoreApplication>
#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QFileInfo>
#include <QtCore/QHash>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QJsonParseError>
#include <QtCore/QLocale>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

using namespace Qt::StringLiterals;

namespace McpProxy {

namespace {

// User-facing text (config errors, help): translated. Log text (warnings) is not.
class ConfigText
{
    Q_DECLARE_TR_FUNCTIONS(McpProxy::Config)
};

class CommandLineText
{
    Q_DECLARE_TR_FUNCTIONS(McpProxy::CommandLine)
};

constexpr QLatin1String ProgramName = "mcp-oauth2-proxy"_L1;
constexpr QLatin1String Masked = "****"_L1;
constexpr double MaxSafeInteger = 9007199254740991.0; // Number.MAX_SAFE_INTEGER
constexpr int MaxShownLength = 200;

enum class ValueType { String, NonEmptyString, Url, Integer, Boolean, StringMap, Headers };
// As in the npm package: most env values apply when non-empty ("truthy"); three booleans apply
// whenever the variable is defined, so an empty value means false.
enum class EnvRule { NonEmpty, Defined };

struct FieldSpec
{
    QLatin1String path;
    QLatin1String env; // empty: no environment variable
    ValueType type = ValueType::String;
    EnvRule envRule = EnvRule::NonEmpty;
    bool secret = false;
};

// The npm package's fields, in the order it applies the environment; additions marked.
constexpr std::array<FieldSpec, 37> Fields = {{
        {"upstream.url"_L1, "UPSTREAM_URL"_L1, ValueType::Url, EnvRule::NonEmpty, false},
        {"upstream.timeoutMs"_L1, "UPSTREAM_TIMEOUT_MS"_L1, ValueType::Integer, EnvRule::NonEmpty,
                false},
        {"upstream.openServerStream"_L1, "UPSTREAM_OPEN_SERVER_STREAM"_L1, ValueType::Boolean,
                EnvRule::NonEmpty, false},
        {"upstream.protocolVersion"_L1, "UPSTREAM_PROTOCOL_VERSION"_L1, ValueType::String,
                EnvRule::NonEmpty, false},
        {"upstream.headers"_L1, QLatin1String(), ValueType::Headers, EnvRule::NonEmpty,
                true}, // addition
        {"upstream.caBundle"_L1, "MCP_PROXY_CA_BUNDLE"_L1, ValueType::String, EnvRule::NonEmpty,
                false}, // addition
        {"oauth2.grant"_L1, "OAUTH2_GRANT"_L1, ValueType::String, EnvRule::NonEmpty, false},
        {"oauth2.tokenUrl"_L1, "OAUTH2_TOKEN_URL"_L1, ValueType::Url, EnvRule::NonEmpty, false},
        {"oauth2.clientId"_L1, "OAUTH2_CLIENT_ID"_L1, ValueType::NonEmptyString, EnvRule::NonEmpty,
                false},
        {"oauth2.clientSecret"_L1, "OAUTH2_CLIENT_SECRET"_L1, ValueType::String, EnvRule::NonEmpty,
                true},
        {"oauth2.scope"_L1, "OAUTH2_SCOPE"_L1, ValueType::String, EnvRule::NonEmpty, false},
        {"oauth2.resource"_L1, "OAUTH2_RESOURCE"_L1, ValueType::NonEmptyString, EnvRule::NonEmpty,
                false},
        {"oauth2.audience"_L1, "OAUTH2_AUDIENCE"_L1, ValueType::String, EnvRule::NonEmpty, false},
        {"oauth2.authStyle"_L1, "OAUTH2_AUTH_STYLE"_L1, ValueType::String, EnvRule::NonEmpty,
                false},
        {"oauth2.refreshSkewSeconds"_L1, "OAUTH2_REFRESH_SKEW_SECONDS"_L1, ValueType::Integer,
                EnvRule::NonEmpty, false},
        {"oauth2.extraParams"_L1, "OAUTH2_EXTRA_PARAMS"_L1, ValueType::StringMap, EnvRule::NonEmpty,
                false},
        {"oauth2.authorizationCode"_L1, "OAUTH2_AUTHORIZATION_CODE"_L1, ValueType::NonEmptyString,
                EnvRule::NonEmpty, true},
        {"oauth2.authorizationUrl"_L1, "OAUTH2_AUTHORIZATION_URL"_L1, ValueType::Url,
                EnvRule::NonEmpty, false},
        {"oauth2.redirectUri"_L1, "OAUTH2_REDIRECT_URI"_L1, ValueType::Url, EnvRule::NonEmpty,
                false},
        {"oauth2.codeVerifier"_L1, "OAUTH2_CODE_VERIFIER"_L1, ValueType::NonEmptyString,
                EnvRule::NonEmpty, true},
        {"oauth2.refreshToken"_L1, "OAUTH2_REFRESH_TOKEN"_L1, ValueType::NonEmptyString,
                EnvRule::NonEmpty, true},
        {"oauth2.interactive"_L1, "OAUTH2_INTERACTIVE"_L1, ValueType::Boolean, EnvRule::Defined,
                false},
        {"oauth2.callbackHost"_L1, "OAUTH2_CALLBACK_HOST"_L1, ValueType::NonEmptyString,
                EnvRule::NonEmpty, false},
        {"oauth2.callbackPort"_L1, "OAUTH2_CALLBACK_PORT"_L1, ValueType::Integer, EnvRule::NonEmpty,
                false},
        {"oauth2.callbackTimeoutSeconds"_L1, "OAUTH2_CALLBACK_TIMEOUT_SECONDS"_L1,
                ValueType::Integer, EnvRule::NonEmpty, false},
        {"oauth2.tokenCacheDir"_L1, "OAUTH2_TOKEN_CACHE_DIR"_L1, ValueType::NonEmptyString,
                EnvRule::NonEmpty, false},
        {"oauth2.tokenEndpointAuthMethod"_L1, "OAUTH2_TOKEN_ENDPOINT_AUTH_METHOD"_L1,
                ValueType::String, EnvRule::NonEmpty, false}, // addition
        {"oauth2.clientMetadataUrl"_L1, "OAUTH2_CLIENT_METADATA_URL"_L1, ValueType::Url,
                EnvRule::NonEmpty, false}, // addition
        {"oauth2.privateKeyFile"_L1, "OAUTH2_PRIVATE_KEY_FILE"_L1, ValueType::String,
                EnvRule::NonEmpty, false}, // addition
        {"oauth2.signingAlgorithm"_L1, "OAUTH2_SIGNING_ALGORITHM"_L1, ValueType::String,
                EnvRule::NonEmpty, false}, // addition
        {"oauth2.sendResource"_L1, "OAUTH2_SEND_RESOURCE"_L1, ValueType::Boolean, EnvRule::Defined,
                false}, // addition
        {"oauth2.requirePkceSupport"_L1, "OAUTH2_REQUIRE_PKCE_SUPPORT"_L1, ValueType::Boolean,
                EnvRule::Defined, false}, // addition
        {"discovery.enabled"_L1, "DISCOVERY_ENABLED"_L1, ValueType::Boolean, EnvRule::Defined,
                false},
        {"log.level"_L1, "LOG_LEVEL"_L1, ValueType::String, EnvRule::NonEmpty, false},
        {"log.file"_L1, "LOG_FILE"_L1, ValueType::String, EnvRule::NonEmpty, false}, // addition
        {"allowInsecureHttp"_L1, "ALLOW_INSECURE_HTTP"_L1, ValueType::Boolean, EnvRule::Defined,
                false},
        {"stdio.maxLineBytes"_L1, "MCP_PROXY_MAX_LINE_BYTES"_L1, ValueType::Integer,
                EnvRule::NonEmpty, false}, // addition
}};

constexpr std::array<QLatin1String, 5> Groups = {
        "upstream"_L1, "oauth2"_L1, "discovery"_L1, "log"_L1, "stdio"_L1};

// Headers the transport manages itself (MCP 2025-06-18 Streamable HTTP, RFC 9110/9112).
constexpr std::array<QLatin1String, 9> ReservedHeaders = {
        "Host"_L1,
        "Content-Length"_L1,
        "Content-Type"_L1,
        "Accept"_L1,
        "Mcp-Session-Id"_L1,
        "MCP-Protocol-Version"_L1,
        "Last-Event-ID"_L1,
        "Transfer-Encoding"_L1,
        "Connection"_L1,
};

const FieldSpec *findField(QAnyStringView path)
{
    for (const FieldSpec &field : Fields) {
        if (QAnyStringView(field.path) == path)
            return &field;
    }
    return nullptr;
}

// ---- text helpers -------------------------------------------------------------------------

// A value quoted for a one-line message: quotes and control characters escaped (backslashes are
// not, so Windows paths stay readable), long values shortened.
QString quoted(const QString &value)
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

QString numberText(double value)
{
    if (std::isfinite(value) && std::floor(value) == value && std::fabs(value) <= MaxSafeInteger)
        return QString::number(static_cast<qint64>(value));
    return QString::number(value, 'g', QLocale::FloatingPointShortest);
}

// "string \"x\"", "number 1.5", "boolean true", "null", "array", "object"; secrets as "****".
QString describeJson(const QJsonValue &value, bool secret)
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

QString typeDescription(ValueType type)
{
    switch (type) {
    case ValueType::String:
    case ValueType::NonEmptyString:
    case ValueType::Url:
        return ConfigText::tr("a string");
    case ValueType::Integer:
        return ConfigText::tr("an integer");
    case ValueType::Boolean:
        return ConfigText::tr("a boolean (true or false)");
    case ValueType::StringMap:
        return ConfigText::tr("an object of string values");
    case ValueType::Headers:
        return ConfigText::tr("an object of header names to string values");
    }
    return QString();
}

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

// The known key closest to an unknown one (case-insensitive edit distance), if close enough.
QString closestKnownKey(const QString &unknown)
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

bool isCommentKey(const QString &key)
{
    return key.startsWith(u"//"_s) || key.startsWith(u'$');
}

// The npm package's parseBool: trimmed, lower case; 1, true, yes, on are true, all else false.
bool parseBool(const QString &raw)
{
    const QString value = raw.trimmed().toLower();
    return value == u"1"_s || value == u"true"_s || value == u"yes"_s || value == u"on"_s;
}

bool isAsciiDigit(QChar c)
{
    return c >= u'0' && c <= u'9';
}

bool isIntegerText(QStringView text)
{
    if (text.startsWith(u'-'))
        text = text.mid(1);
    return !text.isEmpty() && std::all_of(text.begin(), text.end(), isAsciiDigit);
}

// RFC 9110 section 5.6.2 token.
bool isHeaderToken(QStringView name)
{
    if (name.isEmpty())
        return false;
    return std::all_of(name.begin(), name.end(), [](QChar c) {
        if ((c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || isAsciiDigit(c))
            return true;
        return "!#$%&'*+-.^_`|~"_L1.contains(c);
    });
}

bool isReservedHeader(QStringView name)
{
    return std::any_of(ReservedHeaders.begin(), ReservedHeaders.end(),
            [name](QLatin1String r) { return name.compare(r, Qt::CaseInsensitive) == 0; });
}

// RFC 9110 section 5.5: no CR, LF, NUL or other controls except HTAB in a field value.
bool isValidHeaderValue(QStringView value)
{
    return std::none_of(value.begin(), value.end(),
            [](QChar c) { return (c.unicode() < 0x20 && c != u'\t') || c.unicode() == 0x7f; });
}

QString trimmedOws(const QString &value)
{
    qsizetype start = 0;
    qsizetype end = value.size();
    while (start < end && (value.at(start) == u' ' || value.at(start) == u'\t'))
        ++start;
    while (end > start && (value.at(end - 1) == u' ' || value.at(end - 1) == u'\t'))
        --end;
    return value.mid(start, end - start);
}

bool isEnvNameChar(QChar c, bool first)
{
    return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || c == u'_'
            || (!first && isAsciiDigit(c));
}

// The npm package's assertSecureUrl wording for the verdict of UrlPolicy::check(). translated:
// config error vs log text.
QString secureUrlProblem(
        const QString &urlText, bool allowInsecureHttp, const QString &label, bool translated)
{
    const auto text = [translated](const char *source) {
        return translated ? QCoreApplication::translate("McpProxy::Config", source)
                          : QString::fromLatin1(source);
    };
    const QUrl url(urlText, QUrl::StrictMode);
    switch (UrlPolicy::check(url, allowInsecureHttp)) {
    case UrlPolicy::Verdict::Allowed:
        return QString();
    case UrlPolicy::Verdict::Invalid:
        return text(QT_TRANSLATE_NOOP("McpProxy::Config", "%1 is not a valid URL: %2"))
                .arg(label, urlText);
    case UrlPolicy::Verdict::CleartextToRemoteHost: {
        // WHATWG URL.host: IPv6 in brackets, the default port left out.
        QString host = url.host(QUrl::FullyEncoded);
        if (host.contains(u':'))
            host = u'[' + host + u']';
        if (url.port() != -1 && url.port() != 80)
            host += u':' + QString::number(url.port());
        return text(QT_TRANSLATE_NOOP("McpProxy::Config",
                            "%1 uses cleartext http to a non-loopback host (%2), which would leak "
                            "OAuth2 credentials/tokens. Use https, target a loopback address, or "
                            "set allowInsecureHttp / ALLOW_INSECURE_HTTP=true to override."))
                .arg(label, host);
    }
    case UrlPolicy::Verdict::UnsupportedScheme:
        break;
    }
    return text(QT_TRANSLATE_NOOP("McpProxy::Config", "%1 must use http or https, got \"%2\""))
            .arg(label, url.scheme().toLower() + u':');
}

// ---- key order ------------------------------------------------------------------------------

// QJsonObject sorts its keys; the reference's JSON.parse keeps them in source order. This scans
// the (already validated) JSON text for the keys of the object at `target`, in source order.
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

// Keys of object (found at path in json) in source order; falls back to QJsonObject's order.
QStringList keysInSourceOrder(
        const QByteArray &json, const QStringList &path, const QJsonObject &object)
{
    const std::optional<QStringList> scanned = KeyOrderScanner(json, path).scan();
    QStringList keys = object.keys();
    if (!scanned || scanned->size() != keys.size())
        return keys;
    return *scanned;
}

// ECMAScript OrdinaryOwnPropertyKeys: array-index keys first, ascending, then insertion order.
QStringList ecmaScriptKeyOrder(const QStringList &keys)
{
    const auto arrayIndex = [](const QString &key) -> std::optional<quint64> {
        if (key.isEmpty() || key.size() > 10 || !std::all_of(key.begin(), key.end(), isAsciiDigit)
                || (key.size() > 1 && key.startsWith(u'0')))
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

// ---- the loader -----------------------------------------------------------------------------

struct Setting
{
    QJsonValue value;
    QString origin; // JSON path, env var or option: names the field in errors
    QString shown; // the value as an error shows it (secrets masked)
};

struct HeaderSetting
{
    QString name;
    QByteArray value;
    QString origin;
};

class Loader
{
public:
    Loader(const CommandLineOptions &options, const QProcessEnvironment &env)
        : m_options(options)
        , m_env(env)
    { }

    ConfigLoadResult run()
    {
        ConfigLoadResult result;
        ProxyConfig config;
        if (loadFile() && applyEnvironment() && applyCommandLine() && build(&config))
            result.config = config;
        result.error = m_error;
        result.warnings = m_warnings;
        return result;
    }

private:
    bool fail(const QString &message)
    {
        if (m_error.isEmpty())
            m_error = message;
        return false;
    }

    bool failType(const QString &origin, ValueType type, const QJsonValue &value, bool secret)
    {
        return fail(ConfigText::tr("%1 must be %2, got %3")
                            .arg(origin, typeDescription(type), describeJson(value, secret)));
    }

    void set(const FieldSpec &field, const QJsonValue &value, const QString &origin,
            const QString &shown)
    {
        m_settings.insert(QString(field.path), Setting{value, origin, shown});
    }

    const Setting *setting(QLatin1String path) const
    {
        const auto it = m_settings.constFind(QString(path));
        return it == m_settings.cend() ? nullptr : &it.value();
    }

    // ---- file ----

    bool loadFile()
    {
        QString origin = u"--config"_s;
        QString path = m_options.configFile;
        if (path.isEmpty()) {
            origin = u"MCP_PROXY_CONFIG"_s;
            path = m_env.value(origin);
        }
        if (path.isEmpty())
            return true;
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly)) {
            return fail(ConfigText::tr("%1: cannot read the config file %2: %3")
                                .arg(origin, quoted(path), file.errorString()));
        }
        m_fileText = file.readAll();
        if (m_fileText.startsWith("\xEF\xBB\xBF"))
            m_fileText.remove(0, 3); // a UTF-8 byte order mark, as some Windows editors write
        QJsonParseError parseError;
        const QJsonDocument document = QJsonDocument::fromJson(m_fileText, &parseError);
        if (parseError.error != QJsonParseError::NoError) {
            return fail(ConfigText::tr("%1: the config file %2 is not valid JSON: %3 at offset %4")
                                .arg(origin, quoted(path), parseError.errorString())
                                .arg(parseError.offset));
        }
        if (!document.isObject()) {
            return fail(ConfigText::tr("%1: the config file %2 must contain a JSON object, got "
                                       "array")
                                .arg(origin, quoted(path)));
        }
        const QJsonObject root = document.object();
        for (auto it = root.begin(); it != root.end(); ++it) {
            const QString key = it.key();
            if (isCommentKey(key))
                continue;
            if (std::find(Groups.begin(), Groups.end(), key) != Groups.end()) {
                if (!it.value().isObject()) {
                    return fail(ConfigText::tr("%1 must be an object, got %2")
                                        .arg(key, describeJson(it.value(), false)));
                }
                if (!readGroup(key, it.value().toObject()))
                    return false;
            } else if (key.contains(u'.')) {
                warnUnknownKey(key); // "upstream.url" at the top is not upstream.url
            } else if (!readMember(key, it.value())) {
                return false;
            }
        }
        return true;
    }

    bool readGroup(const QString &group, const QJsonObject &object)
    {
        for (auto it = object.begin(); it != object.end(); ++it) {
            if (isCommentKey(it.key()))
                continue;
            if (!readMember(group + u'.' + it.key(), it.value()))
                return false;
        }
        return true;
    }

    void warnUnknownKey(const QString &path)
    {
        const QString suggestion = closestKnownKey(path);
        if (suggestion.isEmpty())
            m_warnings << u"config: unknown key \"%1\" (ignored)"_s.arg(path);
        else
            m_warnings << u"config: unknown key \"%1\" (did you mean \"%2\"?)"_s.arg(
                    path, suggestion);
    }

    bool readMember(const QString &path, const QJsonValue &value)
    {
        const FieldSpec *field = findField(path);
        if (!field) {
            warnUnknownKey(path);
            return true;
        }
        switch (field->type) {
        case ValueType::String:
        case ValueType::NonEmptyString:
        case ValueType::Url:
            if (!value.isString())
                return failType(path, field->type, value, field->secret);
            set(*field, value, path, field->secret ? quoted(Masked) : quoted(value.toString()));
            return true;
        case ValueType::Integer: {
            const double number = value.toDouble();
            if (!value.isDouble() || std::floor(number) != number
                    || std::fabs(number) > MaxSafeInteger)
                return failType(path, field->type, value, field->secret);
            set(*field, value, path, numberText(number));
            return true;
        }
        case ValueType::Boolean:
            if (!value.isBool())
                return failType(path, field->type, value, field->secret);
            set(*field, value, path, value.toBool() ? u"true"_s : u"false"_s);
            return true;
        case ValueType::StringMap:
            return readExtraParams(path, value, m_fileText, {u"oauth2"_s, u"extraParams"_s});
        case ValueType::Headers:
            return readFileHeaders(path, value);
        }
        return true;
    }

    // oauth2.extraParams from the file or OAUTH2_EXTRA_PARAMS: replaces the whole record.
    bool readExtraParams(const QString &origin, const QJsonValue &value, const QByteArray &json,
            const QStringList &jsonPath)
    {
        if (!value.isObject())
            return failType(origin, ValueType::StringMap, value, false);
        const QJsonObject object = value.toObject();
        QList<std::pair<QString, QString>> params;
        for (const QString &key : ecmaScriptKeyOrder(keysInSourceOrder(json, jsonPath, object))) {
            const QJsonValue member = object.value(key);
            if (!member.isString()) {
                // The values may be credentials (client_assertion): show only the type.
                return fail(ConfigText::tr("%1: the member %2 must be a string, got %3")
                                    .arg(origin, quoted(key), describeJson(member, true)));
            }
            params.append({key, member.toString()});
        }
        m_extraParams = params;
        m_hasExtraParams = true;
        return true;
    }

    // ${NAME} from the injected environment (our addition): an unset variable is an error, so a
    // secret never goes out as the literal text "${TOKEN}".
    bool expandVariables(const QString &origin, const QString &raw, QString *expanded)
    {
        QString result;
        qsizetype i = 0;
        while (i < raw.size()) {
            const qsizetype dollar = raw.indexOf(u"${"_s, i);
            if (dollar < 0) {
                result += QStringView(raw).mid(i);
                break;
            }
            result += QStringView(raw).mid(i, dollar - i);
            qsizetype end = dollar + 2;
            while (end < raw.size() && isEnvNameChar(raw.at(end), end == dollar + 2))
                ++end;
            if (end == dollar + 2 || end >= raw.size() || raw.at(end) != u'}') {
                return fail(ConfigText::tr("%1: malformed \"${\" in the value (write ${NAME}, NAME "
                                           "made of letters, digits and underscores)")
                                    .arg(origin));
            }
            const QString name = raw.mid(dollar + 2, end - dollar - 2);
            if (!m_env.contains(name)) {
                return fail(ConfigText::tr("%1: the environment variable %2 is not set")
                                    .arg(origin, name));
            }
            result += m_env.value(name);
            i = end + 1;
        }
        *expanded = result;
        return true;
    }

    // group: "upstream.headers" or "--header"; the value's errors name the header too.
    bool makeHeader(const QString &group, const QString &name, const QString &rawValue,
            HeaderSetting *header)
    {
        if (!isHeaderToken(name)) {
            return fail(ConfigText::tr("%1: %2 is not a valid header name (allowed: letters, "
                                       "digits and !#$%&'*+-.^_`|~)")
                                .arg(group, quoted(name)));
        }
        const QString origin =
                group.startsWith(u'-') ? group + u' ' + quoted(name) : group + u'.' + name;
        if (isReservedHeader(name)) {
            QStringList reserved;
            for (QLatin1String r : ReservedHeaders)
                reserved << QString(r);
            return fail(ConfigText::tr("%1: the header %2 cannot be set, the proxy manages it "
                                       "(reserved: %3)")
                                .arg(group, quoted(name), reserved.join(u", "_s)));
        }
        QString value;
        if (!expandVariables(origin, rawValue, &value))
            return false;
        value = trimmedOws(value);
        if (!isValidHeaderValue(value)) {
            return fail(ConfigText::tr("%1 must not contain CR, LF or other control characters, "
                                       "got %2")
                                .arg(origin, quoted(Masked)));
        }
        *header = HeaderSetting{name, value.toUtf8(), origin};
        return true;
    }

    static qsizetype findHeader(const QList<HeaderSetting> &headers, const QString &name)
    {
        for (qsizetype i = 0; i < headers.size(); ++i) {
            if (headers.at(i).name.compare(name, Qt::CaseInsensitive) == 0)
                return i;
        }
        return -1;
    }

    bool readFileHeaders(const QString &path, const QJsonValue &value)
    {
        if (!value.isObject())
            return failType(path, ValueType::Headers, value, false);
        const QJsonObject object = value.toObject();
        QList<HeaderSetting> headers;
        const QStringList keys =
                keysInSourceOrder(m_fileText, {u"upstream"_s, u"headers"_s}, object);
        for (const QString &name : keys) {
            const QString origin = path + u'.' + name;
            const QJsonValue member = object.value(name);
            if (!member.isString())
                return failType(origin, ValueType::String, member, true);
            HeaderSetting header;
            if (!makeHeader(path, name, member.toString(), &header))
                return false;
            if (findHeader(headers, name) >= 0) {
                return fail(ConfigText::tr("%1: the header %2 is given twice (header names are "
                                           "case-insensitive)")
                                    .arg(path, quoted(name)));
            }
            headers.append(header);
        }
        m_headers = headers;
        return true;
    }

    // ---- environment (the npm package's rules) ----

    bool applyEnvironment()
    {
        for (const FieldSpec &field : Fields) {
            if (field.env.isEmpty())
                continue;
            const QString name(field.env);
            const bool defined = m_env.contains(name);
            const QString raw = m_env.value(name);
            if (field.type == ValueType::Boolean && field.envRule == EnvRule::Defined) {
                if (defined)
                    set(field, parseBool(raw), name, quoted(raw));
                continue;
            }
            if (raw.isEmpty())
                continue;
            switch (field.type) {
            case ValueType::Boolean:
                set(field, parseBool(raw), name, quoted(raw));
                break;
            case ValueType::Integer: {
                const QString trimmed = raw.trimmed();
                if (!isIntegerText(trimmed)) {
                    return fail(
                            ConfigText::tr("%1 must be an integer, got %2").arg(name, quoted(raw)));
                }
                bool ok = false;
                const qint64 number = trimmed.toLongLong(&ok);
                if (!ok || std::fabs(double(number)) > MaxSafeInteger)
                    return fail(ConfigText::tr("%1 is out of range: %2").arg(name, quoted(raw)));
                set(field, double(number), name, quoted(raw));
                break;
            }
            case ValueType::StringMap: {
                QJsonParseError parseError;
                const QByteArray json = raw.toUtf8();
                const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
                if (parseError.error != QJsonParseError::NoError) {
                    return fail(ConfigText::tr("%1 is not valid JSON: %2 at offset %3")
                                        .arg(name, parseError.errorString())
                                        .arg(parseError.offset));
                }
                const QJsonValue value = document.isObject() ? QJsonValue(document.object())
                                                             : QJsonValue(document.array());
                if (!readExtraParams(name, value, json, {}))
                    return false;
                break;
            }
            case ValueType::Headers:
                break;
            case ValueType::String:
            case ValueType::NonEmptyString:
            case ValueType::Url:
                set(field, raw, name, field.secret ? quoted(Masked) : quoted(raw));
                break;
            }
        }
        return true;
    }

    // ---- command line ----

    bool applyCommandLine()
    {
        const auto apply = [this](QLatin1String path, const QString &value, const QString &origin) {
            if (!value.isEmpty())
                set(*findField(path), value, origin, quoted(value));
        };
        apply("upstream.url"_L1, m_options.url, CommandLineText::tr("the URL argument"));
        apply("log.level"_L1, m_options.logLevel, u"--log-level"_s);
        apply("log.file"_L1, m_options.logFile, u"--log-file"_s);
        apply("upstream.caBundle"_L1, m_options.caBundle, u"--ca-bundle"_s);
        if (m_options.allowHttp)
            set(*findField("allowInsecureHttp"_L1), true, u"--allow-http"_s, u"true"_s);

        QList<HeaderSetting> commandLineHeaders;
        for (qsizetype i = 0; i < m_options.headers.size(); ++i) {
            const QString &raw = m_options.headers.at(i);
            const qsizetype colon = raw.indexOf(u':');
            if (colon < 0) {
                // The argument may be a bare credential: never echo it.
                return fail(ConfigText::tr("--header must have the form \"Name: value\", got %1 "
                                           "(occurrence %2)")
                                    .arg(quoted(Masked))
                                    .arg(i + 1));
            }
            const QString name = raw.left(colon);
            HeaderSetting header;
            if (!makeHeader(u"--header"_s, name, raw.mid(colon + 1), &header))
                return false;
            if (findHeader(commandLineHeaders, name) >= 0) {
                return fail(ConfigText::tr("--header: the header %1 is given twice (header names "
                                           "are case-insensitive)")
                                    .arg(quoted(name)));
            }
            commandLineHeaders.append(header);
        }
        for (const HeaderSetting &header : std::as_const(commandLineHeaders)) {
            const qsizetype existing = findHeader(m_headers, header.name);
            if (existing >= 0)
                m_headers[existing] = header;
            else
                m_headers.append(header);
        }
        return true;
    }

    // ---- validation (after the merge, as the reference's zod) ----

    bool takeString(QLatin1String path, QString *out)
    {
        if (const Setting *s = setting(path)) {
            *out = s->value.toString();
            if (findField(path)->type == ValueType::NonEmptyString && out->isEmpty()) {
                return fail(ConfigText::tr("%1 must be a non-empty string, got %2")
                                    .arg(s->origin, s->shown));
            }
        }
        return true;
    }

    bool takeBool(QLatin1String path, bool *out)
    {
        if (const Setting *s = setting(path))
            *out = s->value.toBool();
        return true;
    }

    template <typename Int>
    bool takeInteger(QLatin1String path, qint64 minimum, qint64 maximum, Int *out)
    {
        const Setting *s = setting(path);
        if (!s)
            return true;
        const qint64 value = static_cast<qint64>(s->value.toDouble());
        if (value < minimum || value > maximum) {
            QString allowed;
            if (maximum == std::numeric_limits<qint64>::max())
                allowed = ConfigText::tr("an integer of at least %1").arg(minimum);
            else
                allowed = ConfigText::tr("an integer from %1 to %2").arg(minimum).arg(maximum);
            return fail(ConfigText::tr("%1 must be %2, got %3").arg(s->origin, allowed, s->shown));
        }
        *out = static_cast<Int>(value);
        return true;
    }

    template <typename Enum, std::size_t N>
    bool takeEnum(QLatin1String path, const std::array<std::pair<QLatin1String, Enum>, N> &choices,
            Enum *out)
    {
        const Setting *s = setting(path);
        if (!s)
            return true;
        const QString value = s->value.toString();
        QStringList names;
        for (const auto &choice : choices) {
            if (value == choice.first) {
                *out = choice.second;
                return true;
            }
            names << QString(choice.first);
        }
        return fail(ConfigText::tr("%1 must be one of %2, got %3")
                            .arg(s->origin, names.join(u", "_s), s->shown));
    }

    // upstream.url, oauth2.tokenUrl, oauth2.authorizationUrl: the npm package's check and wording
    // (assertSecureUrl), labelled with the JSON path whatever the source, as the reference does.
    bool takeSecureUrl(QLatin1String path, bool allowInsecureHttp, QUrl *out)
    {
        const Setting *s = setting(path);
        if (!s)
            return true;
        const QString text = s->value.toString();
        const QString problem = secureUrlProblem(text, allowInsecureHttp, QString(path), true);
        if (!problem.isEmpty())
            return fail(problem);
        *out = QUrl(text, QUrl::StrictMode);
        return true;
    }

    // oauth2.redirectUri: where the proxy itself receives the login, so an http URL on a loopback
    // host with an explicit port and no fragment (RFC 8252 section 7.3), the rule the login
    // applies. The reference accepts any http(s) URL; one that is not loopback is kept only beside
    // an authorization code obtained elsewhere, which must be exchanged with the redirect URI it
    // was issued for (RFC 6749 section 4.1.3).
    bool takeRedirectUri(QLatin1String path, bool codeGivenElsewhere, QUrl *out)
    {
        const Setting *s = setting(path);
        if (!s)
            return true;
        const QUrl url(s->value.toString(), QUrl::StrictMode);
        const QString scheme = url.scheme().toLower();
        if (!url.isValid() || (scheme != u"http"_s && scheme != u"https"_s)
                || url.host().isEmpty()) {
            return fail(ConfigText::tr("%1 must be an absolute http or https URL, got %2")
                                .arg(s->origin, s->shown));
        }
        if (!UrlPolicy::isLoopbackRedirectUri(url) && !codeGivenElsewhere) {
            return fail(ConfigText::tr("%1 must be an http URL on 127.0.0.1, localhost or [::1] "
                                       "with an explicit port and no fragment, where the proxy "
                                       "receives the login (RFC 8252 §7.3), got %2")
                                .arg(s->origin, s->shown));
        }
        *out = url;
        return true;
    }

    // oauth2.callbackHost: the login callback listens there; anything but a loopback address
    // would let other machines reach it (RFC 8252 sections 7.3, 8.3).
    bool takeLoopbackHost(QLatin1String path, QString *out)
    {
        if (!takeString(path, out))
            return false;
        const Setting *s = setting(path);
        // Trimmed: the login listener trims the host (LoopbackReplyHandler::setCallbackHost).
        if (s && !UrlPolicy::isLoopbackHost(out->trimmed())) {
            return fail(ConfigText::tr("%1 must be a loopback address (127.0.0.1, localhost or "
                                       "::1) so that only this machine can reach the login "
                                       "callback, got %2")
                                .arg(s->origin, s->shown));
        }
        return true;
    }

    // upstream.protocolVersion: sent as the MCP-Protocol-Version header, so an RFC 9110 token
    // (a revision such as 2025-11-25), never a control character.
    bool takeHeaderToken(QLatin1String path, QString *out)
    {
        const Setting *s = setting(path);
        if (!s)
            return true;
        const QString value = s->value.toString();
        if (!value.isEmpty() && !isHeaderToken(value)) {
            return fail(ConfigText::tr("%1 is sent as an HTTP header and may contain only letters, "
                                       "digits and !#$%&'*+-.^_`|~ (a revision such as "
                                       "2025-11-25), got %2")
                                .arg(s->origin, s->shown));
        }
        *out = value;
        return true;
    }

    // Combinations that can never obtain a token (checked once every field is valid).
    bool checkCombinations(const ProxyConfig &c)
    {
        const Setting *grant = setting("oauth2.grant"_L1);
        if (c.oauth2.grant == ProxyConfig::Grant::ClientCredentials && c.oauth2.clientId.isEmpty()
                && !c.discoveryEnabled) {
            // Without discovery there is no registration endpoint to register a client at.
            const Setting *discovery = setting("discovery.enabled"_L1);
            return fail(ConfigText::tr("%1 is client_credentials, which needs a client: set "
                                       "oauth2.clientId / OAUTH2_CLIENT_ID, or enable discovery "
                                       "so that one can be registered (%2 is %3)")
                                .arg(grant ? grant->origin : u"oauth2.grant"_s,
                                        discovery ? discovery->origin : u"discovery.enabled"_s,
                                        discovery ? discovery->shown : u"false"_s));
        }
        return true;
    }

    // MCP 2025-11-25 "Client ID Metadata Documents": the client_id is an https URL with a path.
    bool takeClientMetadataUrl(QLatin1String path, QUrl *out)
    {
        const Setting *s = setting(path);
        if (!s)
            return true;
        const QUrl url(s->value.toString(), QUrl::StrictMode);
        if (!url.isValid() || url.scheme() != u"https"_s || url.host().isEmpty()
                || url.path().size() <= 1 || url.hasFragment()) {
            return fail(ConfigText::tr("%1 must be an https URL with a path (where the client "
                                       "metadata document is hosted), got %2")
                                .arg(s->origin, s->shown));
        }
        *out = url;
        return true;
    }

    bool takeReadableFile(QLatin1String path, QString *out)
    {
        const Setting *s = setting(path);
        if (!s)
            return true;
        const QString file = s->value.toString();
        if (file.isEmpty())
            return true; // our addition: "" in the file means "not set"
        const QFileInfo info(file);
        QString problem;
        if (!info.exists())
            problem = ConfigText::tr("no such file");
        else if (!info.isFile())
            problem = ConfigText::tr("not a regular file");
        else if (!info.isReadable())
            problem = ConfigText::tr("not readable");
        if (!problem.isEmpty()) {
            return fail(ConfigText::tr("%1 must name a readable file, got %2 (%3)")
                                .arg(s->origin, s->shown, problem));
        }
        *out = file;
        return true;
    }

    bool takeLogFile(QLatin1String path, QString *out)
    {
        const Setting *s = setting(path);
        if (!s)
            return true;
        const QString file = s->value.toString();
        if (file.isEmpty())
            return true; // our addition: "" in the file means stderr
        const QFileInfo info(file);
        if (info.isDir() || !info.absoluteDir().exists()) {
            return fail(ConfigText::tr("%1 must be a file in an existing directory, got %2")
                                .arg(s->origin, s->shown));
        }
        *out = file;
        return true;
    }

    bool build(ProxyConfig *config)
    {
        static constexpr std::array<std::pair<QLatin1String, ProxyConfig::Grant>, 2> grants = {{
                {"client_credentials"_L1, ProxyConfig::Grant::ClientCredentials},
                {"authorization_code"_L1, ProxyConfig::Grant::AuthorizationCode},
        }};
        static constexpr std::array<std::pair<QLatin1String, ProxyConfig::AuthStyle>, 2> styles = {{
                {"header"_L1, ProxyConfig::AuthStyle::Header},
                {"body"_L1, ProxyConfig::AuthStyle::Body},
        }};
        static constexpr std::array<std::pair<QLatin1String, LogLevel>, 6> levels = {{
                {"trace"_L1, LogLevel::Trace},
                {"debug"_L1, LogLevel::Debug},
                {"info"_L1, LogLevel::Info},
                {"warn"_L1, LogLevel::Warn},
                {"error"_L1, LogLevel::Error},
                {"fatal"_L1, LogLevel::Fatal},
        }};
        static const std::array<std::pair<QLatin1String, QString>, 4> authMethods = {{
                {"none"_L1, u"none"_s},
                {"client_secret_basic"_L1, u"client_secret_basic"_s},
                {"client_secret_post"_L1, u"client_secret_post"_s},
                {"private_key_jwt"_L1, u"private_key_jwt"_s},
        }};
        static const std::array<std::pair<QLatin1String, QString>, 2> algorithms = {{
                {"ES256"_L1, u"ES256"_s},
                {"RS256"_L1, u"RS256"_s},
        }};
        constexpr qint64 intMax = std::numeric_limits<int>::max();
        constexpr qint64 unbounded = std::numeric_limits<qint64>::max();
        // A timeout in seconds becomes a QTimer interval in int milliseconds (about 24.8 days).
        constexpr qint64 maxTimerSeconds = intMax / 1000;

        ProxyConfig &c = *config;
        ProxyConfig::Upstream &u = c.upstream;
        ProxyConfig::OAuth2 &o = c.oauth2;
        if (!takeBool("allowInsecureHttp"_L1, &c.allowInsecureHttp))
            return false;
        if (!setting("upstream.url"_L1)) {
            return fail(ConfigText::tr("upstream.url is required: set it in the config file, in "
                                       "UPSTREAM_URL or as the URL argument"));
        }
        const bool ok = takeSecureUrl("upstream.url"_L1, c.allowInsecureHttp, &u.url)
                && takeInteger("upstream.timeoutMs"_L1, 1, intMax, &u.timeoutMs)
                && takeBool("upstream.openServerStream"_L1, &u.openServerStream)
                && takeHeaderToken("upstream.protocolVersion"_L1, &u.protocolVersion)
                && takeReadableFile("upstream.caBundle"_L1, &u.caBundle)
                && takeEnum("oauth2.grant"_L1, grants, &o.grant)
                && takeSecureUrl("oauth2.tokenUrl"_L1, c.allowInsecureHttp, &o.tokenUrl)
                && takeString("oauth2.clientId"_L1, &o.clientId)
                && takeString("oauth2.clientSecret"_L1, &o.clientSecret)
                && takeString("oauth2.scope"_L1, &o.scope)
                && takeString("oauth2.resource"_L1, &o.resource)
                && takeString("oauth2.audience"_L1, &o.audience)
                && takeEnum("oauth2.authStyle"_L1, styles, &o.authStyle)
                && takeInteger("oauth2.refreshSkewSeconds"_L1, 0, intMax, &o.refreshSkewSeconds)
                && takeString("oauth2.authorizationCode"_L1, &o.authorizationCode)
                && takeSecureUrl(
                        "oauth2.authorizationUrl"_L1, c.allowInsecureHttp, &o.authorizationUrl)
                && takeRedirectUri(
                        "oauth2.redirectUri"_L1, !o.authorizationCode.isEmpty(), &o.redirectUri)
                && takeString("oauth2.codeVerifier"_L1, &o.codeVerifier)
                && takeString("oauth2.refreshToken"_L1, &o.refreshToken)
                && takeBool("oauth2.interactive"_L1, &o.interactive)
                && takeLoopbackHost("oauth2.callbackHost"_L1, &o.callbackHost)
                && takeInteger("oauth2.callbackPort"_L1, 0, 65535, &o.callbackPort)
                && takeInteger("oauth2.callbackTimeoutSeconds"_L1, 1, maxTimerSeconds,
                        &o.callbackTimeoutSeconds)
                && takeString("oauth2.tokenCacheDir"_L1, &o.tokenCacheDir)
                && takeEnum("oauth2.tokenEndpointAuthMethod"_L1, authMethods,
                        &o.tokenEndpointAuthMethod)
                && takeClientMetadataUrl("oauth2.clientMetadataUrl"_L1, &o.clientMetadataUrl)
                && takeReadableFile("oauth2.privateKeyFile"_L1, &o.privateKeyFile)
                && takeEnum("oauth2.signingAlgorithm"_L1, algorithms, &o.signingAlgorithm)
                && takeBool("oauth2.sendResource"_L1, &o.sendResource)
                && takeBool("oauth2.requirePkceSupport"_L1, &o.requirePkceSupport)
                && takeBool("discovery.enabled"_L1, &c.discoveryEnabled)
                && takeEnum("log.level"_L1, levels, &c.logLevel)
                && takeLogFile("log.file"_L1, &c.logFile)
                && takeInteger("stdio.maxLineBytes"_L1, 1024, unbounded, &c.maxLineBytes);
        if (!ok || !checkCombinations(c))
            return false;
        o.authStyleSet = setting("oauth2.authStyle"_L1) != nullptr;
        o.openBrowser = !m_options.noBrowser;
        if (m_hasExtraParams)
            o.extraParams = m_extraParams;
        for (const HeaderSetting &header : std::as_const(m_headers))
            u.headers.append({header.name.toLatin1(), header.value});
        return true;
    }

    const CommandLineOptions &m_options;
    const QProcessEnvironment &m_env;
    QByteArray m_fileText;
    QHash<QString, Setting> m_settings;
    QList<std::pair<QString, QString>> m_extraParams;
    bool m_hasExtraParams = false;
    QList<HeaderSetting> m_headers;
    QStringList m_warnings;
    QString m_error;
};

// ---- help ---------------------------------------------------------------------------------

QString helpText()
{
    struct Line
    {
        QString names;
        QString description;
    };
    const QList<Line> options = {
            {u"--config <file>"_s,
                    CommandLineText::tr("JSON config file (instead of MCP_PROXY_CONFIG)")},
            {u"--header <\"Name: value\">"_s,
                    CommandLineText::tr(
                            "Upstream request header (repeatable; ${VAR} is expanded)")},
            {u"--log-level <level>"_s,
                    CommandLineText::tr(
                            "trace, debug, info, warn, error or fatal (default: info)")},
            {u"--log-file <file>"_s,
                    CommandLineText::tr("Append the log to this file instead of stderr")},
            {u"--allow-http"_s,
                    CommandLineText::tr("Allow cleartext http to hosts that are not loopback")},
            {u"--ca-bundle <file>"_s,
                    CommandLineText::tr("PEM file of additional trusted CA certificates")},
            {u"--no-browser"_s,
                    CommandLineText::tr("Do not open a browser to log in; print the URL instead")},
            {u"-h, --help"_s, CommandLineText::tr("Show this help and exit")},
            {u"--version"_s, CommandLineText::tr("Show the version and exit")},
    };
    constexpr qsizetype column = 28;
    QString text =
            CommandLineText::tr("Usage: %1 [login|logout|status] [options] [URL]").arg(ProgramName)
            + u"\n\n"_s
            + CommandLineText::tr("A stdio MCP server that forwards JSON-RPC to a remote "
                                  "Streamable HTTP MCP server,\nadding OAuth 2 access tokens.")
            + u"\n\n"_s + CommandLineText::tr("Arguments:") + u'\n'
            + u"  URL"_s.leftJustified(column)
            + CommandLineText::tr("The upstream MCP endpoint (instead of UPSTREAM_URL)") + u"\n\n"_s
            + CommandLineText::tr("Commands (without one, run the proxy on stdio):") + u'\n'
            + u"  login"_s.leftJustified(column)
            + CommandLineText::tr("Log in to the server now and store the tokens") + u'\n'
            + u"  logout"_s.leftJustified(column)
            + CommandLineText::tr("Delete the stored tokens of the server (and revoke them)")
            + u'\n' + u"  status"_s.leftJustified(column)
            + CommandLineText::tr("Show what is stored for which server (never a token)")
            + u"\n\n"_s + CommandLineText::tr("Options:") + u'\n';
    for (const Line &line : options) {
        QString names = u"  "_s + line.names;
        if (names.size() >= column)
            names += u'\n' + QString(column, u' ');
        else
            names = names.leftJustified(column);
        text += names + line.description + u'\n';
    }
    text += u'\n' + CommandLineText::tr("Environment (see config.example.json for the file keys):")
            + u'\n';
    QString envLine = u"  MCP_PROXY_CONFIG"_s;
    for (const FieldSpec &field : Fields) {
        if (field.env.isEmpty())
            continue;
        if (envLine.size() + 2 + field.env.size() > 98) {
            text += envLine + u",\n"_s;
            envLine = u"  "_s + field.env;
        } else {
            envLine += u", "_s + field.env;
        }
    }
    text += envLine + u"\n\n"_s;
    text += CommandLineText::tr("Precedence: built-in defaults < config file < environment < "
                                "command line.")
            + u'\n';
    return text;
}

} // namespace

CommandLineParseResult parseCommandLine(const QStringList &arguments)
{
    CommandLineParseResult result;
    QCommandLineParser parser;
    const QCommandLineOption configOption(u"config"_s, QString(), u"file"_s);
    const QCommandLineOption headerOption(u"header"_s, QString(), u"Name: value"_s);
    const QCommandLineOption logLevelOption(u"log-level"_s, QString(), u"level"_s);
    const QCommandLineOption logFileOption(u"log-file"_s, QString(), u"file"_s);
    const QCommandLineOption allowHttpOption(u"allow-http"_s);
    const QCommandLineOption caBundleOption(u"ca-bundle"_s, QString(), u"file"_s);
    const QCommandLineOption helpOption(QStringList{u"h"_s, u"help"_s});
    const QCommandLineOption versionOption(u"version"_s);
    const QCommandLineOption noBrowserOption(u"no-browser"_s);
    parser.addOptions({configOption, headerOption, logLevelOption, logFileOption, allowHttpOption,
            caBundleOption, helpOption, versionOption, noBrowserOption});
    parser.addPositionalArgument(u"URL"_s, QString(), u"[URL]"_s);

    QStringList argv = arguments;
    if (argv.isEmpty())
        argv << QString(ProgramName);
    const QString hint = CommandLineText::tr("(see %1 --help)").arg(ProgramName);
    if (!parser.parse(argv)) {
        result.status = CommandLineParseResult::Status::Error;
        result.text = parser.errorText() + u' ' + hint;
        return result;
    }
    if (parser.isSet(helpOption)) {
        result.status = CommandLineParseResult::Status::HelpRequested;
        result.text = helpText();
        return result;
    }
    if (parser.isSet(versionOption)) {
        result.status = CommandLineParseResult::Status::VersionRequested;
        result.text = QString(ProgramName) + u' ' + QLatin1String(MCPPROXY_VERSION);
        return result;
    }
    QStringList positional = parser.positionalArguments();
    CommandLineOptions::Command command = CommandLineOptions::Command::Proxy;
    static const std::array<std::pair<QLatin1String, CommandLineOptions::Command>, 3> commands = {{
            {"login"_L1, CommandLineOptions::Command::Login},
            {"logout"_L1, CommandLineOptions::Command::Logout},
            {"status"_L1, CommandLineOptions::Command::Status},
    }};
    for (const auto &[name, value] : commands) {
        if (!positional.isEmpty() && positional.first() == name) {
            command = value;
            positional.removeFirst();
        }
    }
    if (positional.size() > 1) {
        result.status = CommandLineParseResult::Status::Error;
        result.text = CommandLineText::tr("too many arguments: expected at most one URL, got %1 %2")
                              .arg(positional.size())
                              .arg(hint);
        return result;
    }
    CommandLineOptions &options = result.options;
    options.command = command;
    options.noBrowser = parser.isSet(noBrowserOption);
    options.url = positional.value(0);
    options.configFile = parser.value(configOption);
    options.headers = parser.values(headerOption);
    options.logLevel = parser.value(logLevelOption);
    options.logFile = parser.value(logFileOption);
    options.allowHttp = parser.isSet(allowHttpOption);
    options.caBundle = parser.value(caBundleOption);
    return result;
}

ConfigLoadResult loadConfig(const CommandLineOptions &options, const QProcessEnvironment &env)
{
    return Loader(options, env).run();
}

QString checkSecureUrl(const QString &url, bool allowInsecureHttp, const QString &label)
{
    return secureUrlProblem(url, allowInsecureHttp, label, false);
}

QStringList configSecrets(const ProxyConfig &config)
{
    QStringList secrets;
    for (const QString &value : {config.oauth2.clientSecret, config.oauth2.refreshToken,
                 config.oauth2.authorizationCode, config.oauth2.codeVerifier}) {
        if (!value.isEmpty())
            secrets << value;
    }
    for (const auto &header : config.upstream.headers) {
        if (!header.second.isEmpty())
            secrets << QString::fromUtf8(header.second);
    }
    return secrets;
}

} // namespace McpProxy
