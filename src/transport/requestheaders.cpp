#include "transport/requestheaders.h"

#include "transport/httpsyntax.h"

#include <QtCore/QJsonArray>

#include <cmath>

namespace McpProxy::RequestHeaders {

using namespace Qt::StringLiterals;

namespace {

constexpr double MaxSafeInteger = 9007199254740991.0; // 2^53 - 1

const QString HeaderKeyword = u"x-mcp-header"_s;

bool isToken(const QString &name)
{
    if (name.isEmpty())
        return false;
    for (const QChar c : name) {
        if (c.unicode() > 0x7e || !HttpSyntax::isTokenChar(c.unicode()))
            return false;
    }
    return true;
}

struct Walk
{
    ToolParameters parameters;
    QStringList seen; // lower-case names
    QString error;

    // `statics`: the node is reached from the root through `properties` keys only.
    void visit(const QJsonValue &node, bool statics, const QStringList &path)
    {
        if (!error.isEmpty())
            return;
        if (node.isArray()) {
            const QJsonArray array = node.toArray();
            for (const QJsonValue &element : array)
                visit(element, false, path);
            return;
        }
        if (!node.isObject())
            return;
        const QJsonObject object = node.toObject();
        if (object.contains(HeaderKeyword))
            declare(object, statics && !path.isEmpty(), path);
        for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
            if (it.key() == HeaderKeyword)
                continue;
            if (it.key() == "properties"_L1 && it.value().isObject()) {
                const QJsonObject properties = it.value().toObject();
                for (auto property = properties.constBegin(); property != properties.constEnd();
                        ++property)
                    visit(property.value(), statics, path + QStringList{property.key()});
                continue;
            }
            visit(it.value(), false, path);
        }
    }

    void declare(const QJsonObject &property, bool reachable, const QStringList &path)
    {
        const QJsonValue value = property.value(HeaderKeyword);
        const QString where = path.isEmpty() ? u"the schema root"_s : path.join(u'.');
        if (!reachable) {
            error = QStringLiteral("x-mcp-header on %1 is not reachable through properties alone")
                            .arg(where);
            return;
        }
        const QString name = value.toString();
        if (!value.isString() || name.isEmpty()) {
            error = QStringLiteral("x-mcp-header of %1 is empty or not a string").arg(where);
            return;
        }
        if (!isToken(name)) {
            error = QStringLiteral("x-mcp-header \"%1\" is not an HTTP field-name token")
                            .arg(name.toHtmlEscaped());
            return;
        }
        const QString type = property.value("type"_L1).toString();
        if (type != "string"_L1 && type != "integer"_L1 && type != "boolean"_L1) {
            error = QStringLiteral("x-mcp-header \"%1\" is on a parameter of type %2 (only "
                                   "string, integer and boolean)")
                            .arg(name, type.isEmpty() ? u"(none)"_s : type);
            return;
        }
        if (seen.contains(name.toLower())) {
            error = QStringLiteral("x-mcp-header \"%1\" is declared twice").arg(name);
            return;
        }
        seen.append(name.toLower());
        parameters.append(ToolParameter{"Mcp-Param-"_ba + name.toLatin1(), path});
    }
};

} // namespace

ToolParameters toolParameters(const QJsonValue &inputSchema, QString *invalidReason)
{
    Walk walk;
    walk.visit(inputSchema, true, QStringList());
    if (invalidReason)
        *invalidReason = walk.error;
    return walk.error.isEmpty() ? walk.parameters : ToolParameters();
}

QByteArray encodeValue(const QString &value)
{
    bool plain = !value.isEmpty() && !value.front().isSpace() && !value.back().isSpace()
            && !(value.startsWith("=?base64?"_L1) && value.endsWith("?="_L1));
    for (const QChar c : value) {
        if (c.unicode() < 0x20 || c.unicode() > 0x7e)
            plain = false;
    }
    if (value.isEmpty())
        plain = true;
    if (plain)
        return value.toLatin1();
    return "=?base64?"_ba + value.toUtf8().toBase64() + "?="_ba;
}

std::optional<QByteArray> encodeArgument(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::String:
        return encodeValue(value.toString());
    case QJsonValue::Bool:
        return value.toBool() ? "true"_ba : "false"_ba;
    case QJsonValue::Double: {
        const double number = value.toDouble();
        if (std::trunc(number) != number || std::fabs(number) > MaxSafeInteger)
            return std::nullopt;
        return QByteArray::number(qint64(number));
    }
    default:
        return std::nullopt;
    }
}

Headers forRequest(const QJsonObject &request, const QString &version,
        const std::function<ToolParameters(const QString &tool)> &toolParameters)
{
    Headers headers;
    headers.append({"MCP-Protocol-Version"_ba, version.toLatin1()});
    const QString method = request.value("method"_L1).toString();
    headers.append({"Mcp-Method"_ba, encodeValue(method)});
    const QJsonObject params = request.value("params"_L1).toObject();
    if (method == "tools/call"_L1 || method == "prompts/get"_L1)
        headers.append({"Mcp-Name"_ba, encodeValue(params.value("name"_L1).toString())});
    else if (method == "resources/read"_L1)
        headers.append({"Mcp-Name"_ba, encodeValue(params.value("uri"_L1).toString())});
    if (method != "tools/call"_L1 || !toolParameters)
        return headers;
    const QJsonObject arguments = params.value("arguments"_L1).toObject();
    const ToolParameters declared = toolParameters(params.value("name"_L1).toString());
    for (const ToolParameter &parameter : declared) {
        QJsonValue value = arguments;
        for (const QString &key : parameter.path)
            value = value.toObject().value(key);
        if (const auto encoded = encodeArgument(value))
            headers.append({parameter.header, *encoded});
    }
    return headers;
}

} // namespace McpProxy::RequestHeaders
