#include "config/configloader.h"

#include "config/configschema.h"
#include "config/configtext.h"
#include "config/jsonkeyorder.h"
#include "config/mcpremote.h"
#include "network/urlpolicy.h"
#include "transport/httpsyntax.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QFileInfo>
#include <QtCore/QHash>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QJsonParseError>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

using namespace Qt::StringLiterals;

namespace McpProxy {

using namespace ConfigSchema;

namespace {

// Headers the transport manages itself (MCP 2025-06-18 Streamable HTTP, RFC 9110/9112; the
// request metadata of MCP 2026-07-28 basic/transports/streamable-http: Mcp-Method, Mcp-Name and
// every Mcp-Param-{Name}, which must mirror the body of each request).
constexpr std::array<QLatin1String, 11> ReservedHeaders = {
        "Host"_L1,
        "Content-Length"_L1,
        "Content-Type"_L1,
        "Accept"_L1,
        "Mcp-Session-Id"_L1,
        "MCP-Protocol-Version"_L1,
        "Last-Event-ID"_L1,
        "Transfer-Encoding"_L1,
        "Connection"_L1,
        "Mcp-Method"_L1,
        "Mcp-Name"_L1,
};
constexpr QLatin1String ReservedHeaderPrefix = "Mcp-Param-"_L1;

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
    return !name.isEmpty() && std::all_of(name.begin(), name.end(), [](QChar c) {
        return HttpSyntax::isTokenChar(c.unicode());
    });
}

bool isReservedHeader(QStringView name)
{
    return name.startsWith(ReservedHeaderPrefix, Qt::CaseInsensitive)
            || std::any_of(ReservedHeaders.begin(), ReservedHeaders.end(),
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

// The settings that only the environment gives (no file key, no option).
void applyProcessEnvironment(const QProcessEnvironment &env, ProxyConfig *config)
{
    // MCP_PROXY_KEYCHAIN=off keeps the data key in a 0600 file instead of the OS keychain.
    const QString keychain = env.value(u"MCP_PROXY_KEYCHAIN"_s).trimmed().toLower();
    if (keychain == u"off" || keychain == u"0" || keychain == u"false" || keychain == u"no")
        config->oauth2.useKeychain = false;
    // The de facto proxy variables (curl, wget), read by EnvironmentProxyFactory.
    for (const QString &name : {u"http_proxy"_s, u"https_proxy"_s, u"all_proxy"_s, u"no_proxy"_s}) {
        for (const QString &variant : {name, name.toUpper()}) {
            if (env.contains(variant))
                config->proxyEnvironment.insert(variant, env.value(variant));
        }
    }
    config->childEnvironment = env;
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
    Loader(const ConfigOverrides &options, const QProcessEnvironment &env)
        : m_options(options)
        , m_env(env)
    { }

    ConfigLoadResult run()
    {
        ConfigLoadResult result;
        ProxyConfig config;
        if (loadFile() && applyEnvironment() && applyCommandLine() && applyMcpRemote()
                && build(&config))
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
                            .arg(origin, ConfigText::typeDescription(type),
                                    ConfigText::describeJson(value, secret)));
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
                                .arg(origin, ConfigText::quoted(path), file.errorString()));
        }
        m_fileText = file.readAll();
        if (m_fileText.startsWith("\xEF\xBB\xBF"))
            m_fileText.remove(0, 3); // a UTF-8 byte order mark, as some Windows editors write
        QJsonParseError parseError;
        const QJsonDocument document = QJsonDocument::fromJson(m_fileText, &parseError);
        if (parseError.error != QJsonParseError::NoError) {
            return fail(ConfigText::tr("%1: the config file %2 is not valid JSON: %3 at offset %4")
                                .arg(origin, ConfigText::quoted(path), parseError.errorString())
                                .arg(parseError.offset));
        }
        if (!document.isObject()) {
            return fail(ConfigText::tr("%1: the config file %2 must contain a JSON object, got "
                                       "array")
                                .arg(origin, ConfigText::quoted(path)));
        }
        const QJsonObject root = document.object();
        for (auto it = root.begin(); it != root.end(); ++it) {
            const QString key = it.key();
            if (isCommentKey(key))
                continue;
            if (std::find(Groups.begin(), Groups.end(), key) != Groups.end()) {
                if (!it.value().isObject()) {
                    return fail(ConfigText::tr("%1 must be an object, got %2")
                                        .arg(key, ConfigText::describeJson(it.value(), false)));
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
        const QString suggestion = ConfigText::closestKnownKey(path);
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
            set(*field, value, path,
                    field->secret ? ConfigText::quoted(ConfigText::Masked)
                                  : ConfigText::quoted(value.toString()));
            return true;
        case ValueType::Integer: {
            const double number = value.toDouble();
            if (!value.isDouble() || std::floor(number) != number
                    || std::fabs(number) > MaxSafeInteger)
                return failType(path, field->type, value, field->secret);
            set(*field, value, path, ConfigText::numberText(number));
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
        case ValueType::Globs:
            return readPatterns(*field, path, value);
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
        for (const QString &key : JsonKeyOrder::ecmaScriptKeyOrder(
                     JsonKeyOrder::keysInSourceOrder(json, jsonPath, object))) {
            const QJsonValue member = object.value(key);
            if (!member.isString()) {
                // The values may be credentials (client_assertion): show only the type.
                return fail(ConfigText::tr("%1: the member %2 must be a string, got %3")
                                    .arg(origin, ConfigText::quoted(key),
                                            ConfigText::describeJson(member, true)));
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
                                .arg(group, ConfigText::quoted(name)));
        }
        const QString origin = group.startsWith(u'-') ? group + u' ' + ConfigText::quoted(name)
                                                      : group + u'.' + name;
        if (isReservedHeader(name)) {
            QStringList reserved;
            for (QLatin1String r : ReservedHeaders)
                reserved << QString(r);
            reserved << QString(ReservedHeaderPrefix) + u'*';
            return fail(ConfigText::tr("%1: the header %2 cannot be set, the proxy manages it "
                                       "(reserved: %3)")
                                .arg(group, ConfigText::quoted(name), reserved.join(u", "_s)));
        }
        QString value;
        if (!expandVariables(origin, rawValue, &value))
            return false;
        value = trimmedOws(value);
        if (!isValidHeaderValue(value)) {
            return fail(ConfigText::tr("%1 must not contain CR, LF or other control characters, "
                                       "got %2")
                                .arg(origin, ConfigText::quoted(ConfigText::Masked)));
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
                JsonKeyOrder::keysInSourceOrder(m_fileText, {u"upstream"_s, u"headers"_s}, object);
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
                                    .arg(path, ConfigText::quoted(name)));
            }
            headers.append(header);
        }
        m_headers = headers;
        return true;
    }

    // A list of tool name patterns: a JSON array of non-empty strings. The whole list comes from
    // one source (a later one replaces it).
    bool readPatterns(const FieldSpec &field, const QString &origin, const QJsonValue &value)
    {
        if (!value.isArray())
            return failType(origin, ValueType::Globs, value, false);
        const QJsonArray patterns = value.toArray();
        for (const auto &pattern : patterns) {
            if (!pattern.isString() || pattern.toString().isEmpty())
                return failType(origin, ValueType::Globs, pattern, false);
        }
        set(field, patterns, origin, ConfigText::describeJson(value, false));
        return true;
    }

    bool takePatterns(QLatin1String path, QStringList *out)
    {
        if (const Setting *s = setting(path)) {
            out->clear();
            const QJsonArray patterns = s->value.toArray();
            for (const auto &pattern : patterns)
                out->append(pattern.toString());
        }
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
                    set(field, parseBool(raw), name, ConfigText::quoted(raw));
                continue;
            }
            if (raw.isEmpty())
                continue;
            switch (field.type) {
            case ValueType::Boolean:
                set(field, parseBool(raw), name, ConfigText::quoted(raw));
                break;
            case ValueType::Integer: {
                const QString trimmed = raw.trimmed();
                if (!isIntegerText(trimmed)) {
                    return fail(ConfigText::tr("%1 must be an integer, got %2")
                                        .arg(name, ConfigText::quoted(raw)));
                }
                bool ok = false;
                const qint64 number = trimmed.toLongLong(&ok);
                if (!ok || std::fabs(double(number)) > MaxSafeInteger)
                    return fail(ConfigText::tr("%1 is out of range: %2")
                                        .arg(name, ConfigText::quoted(raw)));
                set(field, double(number), name, ConfigText::quoted(raw));
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
            case ValueType::Globs: // no environment variable
                break;
            case ValueType::String:
            case ValueType::NonEmptyString:
            case ValueType::Url:
                set(field, raw, name,
                        field.secret ? ConfigText::quoted(ConfigText::Masked)
                                     : ConfigText::quoted(raw));
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
                set(*findField(path), value, origin, ConfigText::quoted(value));
        };
        apply("upstream.url"_L1, m_options.url,
                QCoreApplication::translate("McpProxy::CommandLine", "the URL argument"));
        apply("log.level"_L1, m_options.logLevel, u"--log-level"_s);
        apply("log.file"_L1, m_options.logFile, u"--log-file"_s);
        apply("upstream.caBundle"_L1, m_options.caBundle, u"--ca-bundle"_s);
        apply("upstream.transport"_L1, m_options.transport, u"--transport"_s);
        apply("upstream.protocol"_L1, m_options.protocol, u"--protocol"_s);
        if (m_options.allowHttp)
            set(*findField("allowInsecureHttp"_L1), true, u"--allow-http"_s, u"true"_s);
        if (!m_options.allowTools.isEmpty()
                && !readPatterns(*findField("tools.allow"_L1), u"--allow-tool"_s,
                        QJsonArray::fromStringList(m_options.allowTools)))
            return false;
        if (!m_options.ignoreTools.isEmpty()
                && !readPatterns(*findField("tools.deny"_L1), u"--ignore-tool"_s,
                        QJsonArray::fromStringList(m_options.ignoreTools)))
            return false;

        QList<HeaderSetting> commandLineHeaders;
        for (qsizetype i = 0; i < m_options.headers.size(); ++i) {
            const QString &raw = m_options.headers.at(i);
            const qsizetype colon = raw.indexOf(u':');
            if (colon < 0) {
                // The argument may be a bare credential: never echo it.
                return fail(ConfigText::tr("--header must have the form \"Name: value\", got %1 "
                                           "(occurrence %2)")
                                    .arg(ConfigText::quoted(ConfigText::Masked))
                                    .arg(i + 1));
            }
            const QString name = raw.left(colon);
            HeaderSetting header;
            if (!makeHeader(u"--header"_s, name, raw.mid(colon + 1), &header))
                return false;
            if (findHeader(commandLineHeaders, name) >= 0) {
                return fail(ConfigText::tr("--header: the header %1 is given twice (header names "
                                           "are case-insensitive)")
                                    .arg(ConfigText::quoted(name)));
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

    // ---- mcp-remote's command line (README.md, "Switching from mcp-remote") ----

    // An option of mcp-remote that this proxy cannot honour: refused, never ignored.
    bool failUnsupported(const QString &option, const QString &why)
    {
        return fail(
                ConfigText::tr("%1 (an mcp-remote option) is not supported: %2").arg(option, why));
    }

    // mcp-remote's parseSecondsOption(): a number of seconds (fractions allowed), in ms.
    bool seconds(const QString &option, const QString &raw, bool allowZero, qint64 *ms)
    {
        bool ok = false;
        const double value = raw.trimmed().toDouble(&ok);
        constexpr double maxSeconds = double(std::numeric_limits<int>::max()) / 1000;
        if (!ok || !std::isfinite(value) || value < 0 || (value == 0 && !allowZero)
                || value > maxSeconds) {
            return fail(
                    ConfigText::tr("%1 must be a %2 number of seconds (at most %3), got %4")
                            .arg(option,
                                    allowZero ? ConfigText::tr("non-negative")
                                              : ConfigText::tr("positive"),
                                    QString::number(qint64(maxSeconds)), ConfigText::quoted(raw)));
        }
        *ms = qRound64(value * 1000);
        return true;
    }

    void setValue(QLatin1String path, const QJsonValue &value, const QString &origin, bool secret)
    {
        QString shown;
        if (secret)
            shown = ConfigText::quoted(ConfigText::Masked);
        else if (value.isString())
            shown = ConfigText::quoted(value.toString());
        else if (value.isBool())
            shown = value.toBool() ? u"true"_s : u"false"_s;
        else
            shown = ConfigText::numberText(value.toDouble());
        set(*findField(path), value, origin, shown);
    }

    // JSON text, or @file (mcp-remote reads the file as UTF-8); ${VAR} expanded when asked.
    bool readJsonArgument(
            const QString &option, const QString &raw, bool expand, QJsonObject *object)
    {
        QString text = raw;
        if (raw.startsWith(u'@')) {
            QFile file(raw.mid(1));
            if (!file.open(QIODevice::ReadOnly)) {
                return fail(
                        ConfigText::tr("%1: cannot read %2: %3")
                                .arg(option, ConfigText::quoted(raw.mid(1)), file.errorString()));
            }
            text = QString::fromUtf8(file.readAll());
        }
        if (expand && !expandVariables(option, text, &text))
            return false;
        QJsonParseError parseError;
        const QJsonDocument document = QJsonDocument::fromJson(text.toUtf8(), &parseError);
        if (parseError.error != QJsonParseError::NoError || !document.isObject()) {
            // The text may hold a client secret: never echo it.
            return fail(ConfigText::tr("%1 must be a JSON object or @file naming one").arg(option));
        }
        *object = document.object();
        return true;
    }

    bool applyStaticClientMetadata(const QString &raw)
    {
        const QString option = u"--static-oauth-client-metadata"_s;
        QJsonObject metadata;
        if (!readJsonArgument(option, raw, false, &metadata))
            return false;
        for (auto it = metadata.begin(); it != metadata.end(); ++it) {
            const QString &key = it.key();
            if (key == u"scope"_s && it->isString()) {
                setValue("oauth2.scope"_L1, *it, option + u" scope"_s, false);
            } else if (key == u"token_endpoint_auth_method"_s && it->isString()) {
                setValue("oauth2.tokenEndpointAuthMethod"_L1, *it,
                        option + u" token_endpoint_auth_method"_s, false);
            } else {
                return failUnsupported(option + u' ' + ConfigText::quoted(key),
                        ConfigText::tr(
                                "only \"scope\" and \"token_endpoint_auth_method\" (strings) "
                                "can be set for the registration"));
            }
        }
        return true;
    }

    bool applyStaticClientInfo(const QString &raw)
    {
        const QString option = u"--static-oauth-client-info"_s;
        QJsonObject info;
        if (!readJsonArgument(option, raw, true, &info))
            return false;
        const QJsonValue clientId = info.value(u"client_id"_s);
        if (!clientId.isString() || clientId.toString().isEmpty())
            return fail(
                    ConfigText::tr("%1 must contain a non-empty string \"client_id\"").arg(option));
        setValue("oauth2.clientId"_L1, clientId, option + u" client_id"_s, false);
        const QJsonValue secret = info.value(u"client_secret"_s);
        if (!secret.isUndefined()) {
            if (!secret.isString())
                return fail(ConfigText::tr("%1: \"client_secret\" must be a string").arg(option));
            setValue("oauth2.clientSecret"_L1, secret, option + u" client_secret"_s, true);
        }
        const QJsonValue method = info.value(u"token_endpoint_auth_method"_s);
        if (method.isString()) {
            setValue("oauth2.tokenEndpointAuthMethod"_L1, method,
                    option + u" token_endpoint_auth_method"_s, false);
        }
        // The other members (redirect_uris, client_id_issued_at, …) describe the registration;
        // mcp-remote does not use them either.
        return true;
    }

    bool applyMcpRemote()
    {
        const ConfigOverrides::McpRemote &r = m_options.mcpRemote;

        // Options whose feature this proxy does not have (yet).
        if (r.authSuccessUrl) {
            return failUnsupported(u"--auth-success-url"_s,
                    ConfigText::tr("the login callback always shows its own completion page"));
        }
        if (r.ipv4) {
            return failUnsupported(u"--ipv4"_s,
                    ConfigText::tr("Qt chooses the address family itself; use a host name or "
                                   "URL that resolves to IPv4 only"));
        }
        if (r.connectTimeout) {
            qint64 ms = 0;
            if (!seconds(u"--connect-timeout"_s, *r.connectTimeout, false, &ms))
                return false;
            setValue("upstream.connectTimeoutMs"_L1, double(ms), u"--connect-timeout"_s, false);
        }
        if (r.headersTimeout) {
            qint64 ms = 0;
            if (!seconds(u"--headers-timeout"_s, *r.headersTimeout, true, &ms))
                return false;
            setValue("upstream.headersTimeoutMs"_L1, double(ms), u"--headers-timeout"_s, false);
        }
        if (r.pingInterval) {
            // Setting it turns keep-alive on, as in mcp-remote.
            qint64 ms = 0;
            if (!seconds(u"--ping-interval"_s, *r.pingInterval, false, &ms))
                return false;
            setValue("upstream.pingIntervalMs"_L1, double(ms), u"--ping-interval"_s, false);
        } else if (r.keepAlive) {
            setValue("upstream.pingIntervalMs"_L1, 30000.0, u"--keep-alive"_s, false);
        }
        if (r.useIdToken)
            setValue("oauth2.useIdToken"_L1, true, u"--use-id-token"_s, false);
        if (r.disableCookies)
            setValue("upstream.cookies"_L1, false, u"--disable-cookies"_s, false);

        // Logging: --debug, --silent (our --log-level wins over both).
        if (m_options.logLevel.isEmpty()) {
            if (r.debug)
                setValue("log.level"_L1, u"debug"_s, u"--debug"_s, false);
            else if (r.silent)
                setValue("log.level"_L1, u"fatal"_s, u"--silent"_s, false);
        }
        // --enable-proxy: the proxy variables are always honoured (README.md, "Configuration").

        if (r.bodyTimeout) {
            qint64 ms = 0;
            if (!seconds(u"--body-timeout"_s, *r.bodyTimeout, true, &ms))
                return false;
            // 0 disables it in mcp-remote; the longest timer Qt takes is the closest we have.
            setValue("upstream.timeoutMs"_L1,
                    double(ms == 0 ? std::numeric_limits<int>::max() : ms), u"--body-timeout"_s,
                    false);
        }
        if (r.authTimeout) {
            const QString raw = r.authTimeout->trimmed();
            bool ok = false;
            const int value = raw.toInt(&ok);
            if (!ok || value <= 0) {
                return fail(ConfigText::tr("--auth-timeout must be a positive whole number of "
                                           "seconds, got %1")
                                    .arg(ConfigText::quoted(*r.authTimeout)));
            }
            setValue("oauth2.callbackTimeoutSeconds"_L1, double(value), u"--auth-timeout"_s, false);
        }

        // Grants.
        if (r.clientCredentials && r.deviceCode) {
            return fail(ConfigText::tr("--client-credentials and --device-code choose different "
                                       "grants: give one of them"));
        }
        if (r.clientCredentials)
            setValue("oauth2.grant"_L1, u"client_credentials"_s, u"--client-credentials"_s, false);
        if (r.deviceCode)
            setValue("oauth2.grant"_L1, u"device_code"_s, u"--device-code"_s, false);
        QString tokenEndpoint;
        if (r.tokenEndpoint) {
            if (!r.clientCredentials) {
                return fail(ConfigText::tr(
                        "--token-endpoint can only be used with --client-credentials"));
            }
            tokenEndpoint = r.tokenEndpoint->trimmed();
            const QUrl url(tokenEndpoint, QUrl::StrictMode);
            if (!url.isValid() || !url.userInfo().isEmpty() || url.hasFragment()) {
                return fail(ConfigText::tr("--token-endpoint must be an https URL (or http on "
                                           "loopback) without credentials or fragment, got %1")
                                    .arg(ConfigText::quoted(url.toString(QUrl::RemoveUserInfo))));
            }
            setValue("oauth2.tokenUrl"_L1, tokenEndpoint, u"--token-endpoint"_s, false);
        }
        if (r.staticClientMetadata && !applyStaticClientMetadata(*r.staticClientMetadata))
            return false;
        if (r.staticClientInfo && !applyStaticClientInfo(*r.staticClientInfo))
            return false;
        QString clientMetadataUrl;
        if (r.clientMetadataUrl) {
            clientMetadataUrl = r.clientMetadataUrl->trimmed();
            setValue("oauth2.clientMetadataUrl"_L1, clientMetadataUrl, u"--client-metadata-url"_s,
                    false);
        }

        // RFC 8707 resource.
        QString resource;
        if (r.resource) {
            resource = r.resource->trimmed();
            if (!resource.isEmpty()) {
                const QUrl url(resource, QUrl::StrictMode);
                if (!url.isValid() || url.isRelative()) {
                    return fail(ConfigText::tr("--resource must be an absolute URI (RFC 8707), "
                                               "e.g. https://example.com/mcp, got %1")
                                        .arg(ConfigText::quoted(resource)));
                }
            }
        }
        if (r.disableResourceParameter || (r.resource && resource.isEmpty())) {
            if (!resource.isEmpty()) {
                m_warnings << u"config: --disable-resource-parameter overrides --resource %1; "
                              "the resource parameter is omitted"_s.arg(resource);
            }
            resource.clear();
            setValue("oauth2.sendResource"_L1, false,
                    r.disableResourceParameter ? u"--disable-resource-parameter"_s
                                               : u"--resource"_s,
                    false);
        } else if (!resource.isEmpty()) {
            setValue("oauth2.resource"_L1, resource, u"--resource"_s, false);
        }

        // --authorize-param key=value: the authorization request only.
        static constexpr std::array<QLatin1String, 6> reservedParams = {"client_id"_L1,
                "redirect_uri"_L1, "response_type"_L1, "state"_L1, "code_challenge"_L1,
                "code_challenge_method"_L1};
        McpRemote::StringPairs authorizeParams;
        for (const QString &raw : r.authorizeParams) {
            const qsizetype separator = raw.indexOf(u'=');
            if (separator < 1) {
                return fail(ConfigText::tr("--authorize-param must be key=value, e.g. "
                                           "audience=https://api.example.com, got %1")
                                    .arg(ConfigText::quoted(raw)));
            }
            const QString key = raw.left(separator).trimmed();
            if (std::find(reservedParams.begin(), reservedParams.end(), key)
                    != reservedParams.end()) {
                return fail(ConfigText::tr("--authorize-param cannot set %1: the authorization "
                                           "flow derives it per request")
                                    .arg(ConfigText::quoted(key)));
            }
            if (key == u"resource"_s) {
                m_warnings << u"config: --authorize-param resource=... applies to the "
                              "authorization request only; use --resource so the token request "
                              "agrees"_s;
            }
            const auto it = std::find_if(authorizeParams.begin(), authorizeParams.end(),
                    [&key](const auto &p) { return p.first == key; });
            if (it != authorizeParams.end())
                it->second = raw.mid(separator + 1);
            else
                authorizeParams.append({key, raw.mid(separator + 1)});
        }
        m_authorizeParams = authorizeParams;

        // --header-file: "Name: value" lines; the command line's --header wins over them.
        McpRemote::StringPairs rawHeaders; // for mcp-remote's hash: before ${VAR} expansion
        QList<HeaderSetting> fileHeaders;
        for (const QString &path : r.headerFiles) {
            QFile file(path);
            if (!file.open(QIODevice::ReadOnly)) {
                return fail(ConfigText::tr("--header-file: cannot read %1: %2")
                                    .arg(ConfigText::quoted(path), file.errorString()));
            }
            const auto lines = McpRemote::parseHeaderFile(QString::fromUtf8(file.readAll()));
            for (const auto &[number, header] : lines) {
                if (!header) {
                    // The line may hold a credential: name only its number.
                    return fail(ConfigText::tr("--header-file %1: line %2 is not \"Name: value\"")
                                        .arg(ConfigText::quoted(path))
                                        .arg(number));
                }
                rawHeaders.append(*header);
                HeaderSetting setting;
                const QString origin = u"--header-file "_s + ConfigText::quoted(path);
                if (!makeHeader(origin, header->first, header->second, &setting))
                    return false;
                const qsizetype same = findHeader(fileHeaders, header->first);
                if (same >= 0)
                    fileHeaders[same] = setting;
                else
                    fileHeaders.append(setting);
            }
        }
        for (const HeaderSetting &header : std::as_const(fileHeaders)) {
            const bool onCommandLine = std::any_of(m_options.headers.cbegin(),
                    m_options.headers.cend(), [&header](const QString &raw) {
                        return raw.section(u':', 0, 0).compare(header.name, Qt::CaseInsensitive)
                                == 0;
                    });
            if (onCommandLine)
                continue;
            const qsizetype existing = findHeader(m_headers, header.name);
            if (existing >= 0)
                m_headers[existing] = header;
            else
                m_headers.append(header);
        }
        for (const QString &raw : m_options.headers) {
            if (const auto header = McpRemote::parseHeaderLine(raw))
                rawHeaders.append(*header);
        }

        // mcp-remote's key for this server, and the login it may have stored under it.
        const Setting *url = setting("upstream.url"_L1);
        if (!url)
            return true; // build() says that it is required
        McpRemote::HashInput input;
        input.serverUrl = url->value.toString();
        input.resource = resource;
        input.authorizeParams = authorizeParams;
        input.headers = rawHeaders;
        input.clientMetadataUrl = clientMetadataUrl;
        input.tokenEndpoint = tokenEndpoint;
        m_mcpRemoteHash = McpRemote::serverUrlHash(input);
        QString base = m_env.value(u"MCP_REMOTE_CONFIG_DIR"_s);
        if (base.isEmpty())
            base = QDir::home().filePath(u".mcp-auth"_s);
        m_mcpRemoteStoreDirectory = QDir(base).filePath(McpRemote::StoreLayoutDirectory);
        const bool storedClient = QFileInfo::exists(
                QDir(m_mcpRemoteStoreDirectory).filePath(m_mcpRemoteHash + u"_client_info.json"_s));

        // The redirect URI mcp-remote would use, where a client may be registered for it: when
        // the command line is mcp-remote's (a callback port, --host, --callback-path, a
        // pre-registered client or a client metadata document, which list that URI), or when
        // mcp-remote's own registration for this server is about to be imported and nothing
        // else configures the callback.
        const bool remoteCallback = !r.callbackPort.isEmpty() || r.host || r.callbackPath
                || r.staticClientInfo || r.clientMetadataUrl;
        const bool configuredCallback = setting("oauth2.redirectUri"_L1)
                || setting("oauth2.callbackPort"_L1) || setting("oauth2.callbackHost"_L1);
        if (!remoteCallback && !(storedClient && !configuredCallback))
            return true;
        int port = McpRemote::defaultCallbackPort(m_mcpRemoteHash);
        QString portOrigin =
                ConfigText::tr("the callback port derived from the server URL (as mcp-remote)");
        if (!r.callbackPort.isEmpty()) {
            bool ok = false;
            port = r.callbackPort.toInt(&ok);
            if (!ok || port < 1 || port > 65535) {
                return fail(ConfigText::tr("the callback port argument must be from 1 to 65535, "
                                           "got %1")
                                    .arg(ConfigText::quoted(r.callbackPort)));
            }
            portOrigin = QCoreApplication::translate(
                    "McpProxy::CommandLine", "the callback port argument");
        }
        QString path = McpRemote::DefaultCallbackPath;
        if (r.callbackPath) {
            path = *r.callbackPath;
            const bool reserved = std::any_of(std::begin(McpRemote::ReservedCallbackPaths),
                    std::end(McpRemote::ReservedCallbackPaths),
                    [&path](QLatin1StringView p) { return path == p; });
            const QUrl check(u"http://localhost"_s + path, QUrl::StrictMode);
            if (!path.startsWith(u'/') || reserved || !check.isValid() || check.hasQuery()
                    || check.hasFragment()) {
                return fail(ConfigText::tr("--callback-path must be a path starting with \"/\" "
                                           "(not /wait-for-auth or /.mcp-remote/id), got %1")
                                    .arg(ConfigText::quoted(path)));
            }
        }
        const QString host = r.host ? r.host->trimmed() : McpRemote::defaultCallbackHost();
        const QString hostOrigin =
                r.host ? u"--host"_s : ConfigText::tr("mcp-remote's callback host");
        setValue("oauth2.callbackHost"_L1, host, hostOrigin, false);
        setValue("oauth2.callbackPort"_L1, double(port), portOrigin, false);
        setValue("oauth2.redirectUri"_L1, McpRemote::redirectUri(host, port, path),
                r.callbackPath ? u"--callback-path"_s : hostOrigin, false);
        // mcp-remote's strictPort: a port given as an argument, or one a client is registered
        // for (a pre-registered client, a client metadata document, mcp-remote's registration
        // about to be imported, or ours: OAUTH2_CLIENT_ID, OAUTH2_CLIENT_METADATA_URL) must be
        // that port; the derived one is only a preference, and mcp-remote tries it and the next
        // 7 (PORT_CANDIDATES).
        const bool strictPort = !r.callbackPort.isEmpty() || r.staticClientInfo
                || r.clientMetadataUrl || storedClient || setting("oauth2.clientId"_L1)
                || setting("oauth2.clientMetadataUrl"_L1);
        m_callbackPortAlternatives = strictPort ? 0 : McpRemote::CallbackPortCandidates - 1;
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
        static constexpr std::array<std::pair<QLatin1String, ProxyConfig::Grant>, 3> grants = {{
                {"client_credentials"_L1, ProxyConfig::Grant::ClientCredentials},
                {"authorization_code"_L1, ProxyConfig::Grant::AuthorizationCode},
                {"device_code"_L1, ProxyConfig::Grant::DeviceCode}, // addition: RFC 8628
        }};
        static constexpr std::array<std::pair<QLatin1String, ProxyConfig::Protocol>, 3> protocols =
                {{
                        {"auto"_L1, ProxyConfig::Protocol::Auto},
                        {"legacy"_L1, ProxyConfig::Protocol::Legacy},
                        {"2026-07-28"_L1, ProxyConfig::Protocol::Stateless},
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
        static constexpr std::array<std::pair<QLatin1String, ProxyConfig::Transport>, 4>
                transports = {{
                        {"http-first"_L1, ProxyConfig::Transport::HttpFirst},
                        {"sse-first"_L1, ProxyConfig::Transport::SseFirst},
                        {"http-only"_L1, ProxyConfig::Transport::HttpOnly},
                        {"sse-only"_L1, ProxyConfig::Transport::SseOnly},
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
                && takeEnum("upstream.protocol"_L1, protocols, &u.protocol)
                && takeReadableFile("upstream.caBundle"_L1, &u.caBundle)
                && takeEnum("upstream.transport"_L1, transports, &u.transport)
                && takeBool("upstream.cookies"_L1, &u.cookies)
                && takeInteger("upstream.pingIntervalMs"_L1, 0, intMax, &u.pingIntervalMs)
                && takeInteger("upstream.connectTimeoutMs"_L1, 0, intMax, &u.connectTimeoutMs)
                && takeInteger("upstream.headersTimeoutMs"_L1, 0, intMax, &u.headersTimeoutMs)
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
                && takeBool("oauth2.useIdToken"_L1, &o.useIdToken)
                && takeBool("discovery.enabled"_L1, &c.discoveryEnabled)
                && takeEnum("log.level"_L1, levels, &c.logLevel)
                && takeLogFile("log.file"_L1, &c.logFile)
                && takeInteger("stdio.maxLineBytes"_L1, 1024, unbounded, &c.maxLineBytes)
                && takePatterns("tools.allow"_L1, &c.tools.allow)
                && takePatterns("tools.deny"_L1, &c.tools.deny);
        if (!ok || !checkCombinations(c))
            return false;
        applyProcessEnvironment(m_env, &c);
        o.authStyleSet = setting("oauth2.authStyle"_L1) != nullptr;
        o.openBrowser = !m_options.noBrowser;
        if (m_hasExtraParams)
            o.extraParams = m_extraParams;
        o.authorizeParams = m_authorizeParams;
        o.mcpRemoteServerHash = m_mcpRemoteHash;
        o.mcpRemoteStoreDirectory = m_mcpRemoteStoreDirectory;
        o.callbackPortAlternatives = m_callbackPortAlternatives;
        for (const HeaderSetting &header : std::as_const(m_headers))
            u.headers.append({header.name.toLatin1(), header.value});
        return true;
    }

    const ConfigOverrides &m_options;
    const QProcessEnvironment &m_env;
    QByteArray m_fileText;
    QHash<QString, Setting> m_settings;
    QList<std::pair<QString, QString>> m_extraParams;
    bool m_hasExtraParams = false;
    QList<std::pair<QString, QString>> m_authorizeParams;
    QString m_mcpRemoteHash;
    QString m_mcpRemoteStoreDirectory;
    int m_callbackPortAlternatives = 0;
    QList<HeaderSetting> m_headers;
    QStringList m_warnings;
    QString m_error;
};

} // namespace

ConfigLoadResult loadConfig(const ConfigOverrides &options, const QProcessEnvironment &env)
{
    return Loader(options, env).run();
}

ProxyConfig environmentDefaults(const QProcessEnvironment &env)
{
    ProxyConfig config;
    config.oauth2.tokenCacheDir = env.value(u"OAUTH2_TOKEN_CACHE_DIR"_s);
    applyProcessEnvironment(env, &config);
    return config;
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
