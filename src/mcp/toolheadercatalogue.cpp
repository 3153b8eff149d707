#include "mcp/toolheadercatalogue.h"

#include <QtCore/QJsonArray>

namespace McpProxy {

namespace {

constexpr QLatin1StringView XMcpHeader("x-mcp-header");

// The JSON Schema keywords whose subschemas are not "statically reachable" (a chain of
// `properties` keys only): an x-mcp-header under any of them makes the tool invalid
// (streamable-http "Schema Extension"). Object-valued maps of subschemas are walked per value.
const char *const SingleOrArrayKeywords[] = {"items", "prefixItems", "contains",
        "additionalProperties", "unevaluatedProperties", "unevaluatedItems", "propertyNames",
        "oneOf", "anyOf", "allOf", "not", "if", "then", "else"};
const char *const MapKeywords[] = {"patternProperties", "dependentSchemas", "$defs", "definitions"};

QString pathName(const QStringList &path)
{
    return path.isEmpty() ? QStringLiteral("<root>") : path.join(QLatin1Char('.'));
}

// Keeps a name readable in a log line whatever it holds (control characters, huge strings).
QString printable(const QString &text)
{
    constexpr int maxShown = 80;
    QString out;
    for (const QChar c : text) {
        if (out.size() >= maxShown) {
            out += QStringLiteral("…");
            break;
        }
        if (c.unicode() < 0x20 || c.unicode() == 0x7F)
            out += QStringLiteral("\\x%1").arg(c.unicode(), 2, 16, QLatin1Char('0'));
        else
            out += c;
    }
    return out;
}

struct Walker
{
    QList<ToolHeaderDeclaration> declarations;
    QHash<QString, QString> seenLower; // lower-case name -> name as declared
    QString numberFault; // reported only when nothing worse is found (as the official SDK does)

    QString visit(const QJsonValue &node, const QStringList &path, bool reachable, int depth)
    {
        if (!node.isObject())
            return {};
        if (depth > ToolHeaderSchema::MaxDepth)
            return QStringLiteral("%1: the inputSchema is nested deeper than %2 levels")
                    .arg(pathName(path))
                    .arg(ToolHeaderSchema::MaxDepth);
        const QJsonObject schema = node.toObject();
        const auto header = schema.constFind(XMcpHeader);
        if (header != schema.constEnd()) {
            if (!reachable || path.isEmpty())
                return QStringLiteral("%1: x-mcp-header is only permitted on properties reachable "
                                      "from the schema root through `properties` alone")
                        .arg(pathName(path));
            if (!header->isString() || header->toString().isEmpty())
                return QStringLiteral("%1: x-mcp-header must be a non-empty string")
                        .arg(pathName(path));
            const QString name = header->toString();
            if (!McpHeaderEncoding::isToken(name))
                return QStringLiteral("%1: x-mcp-header '%2' is not an RFC 9110 token")
                        .arg(pathName(path), printable(name));
            const QJsonValue type = schema.value(QLatin1StringView("type"));
            ToolHeaderDeclaration declaration;
            declaration.path = path;
            declaration.headerName = name;
            const QString typeName = type.isString() ? type.toString() : QString();
            if (typeName == QLatin1StringView("string")) {
                declaration.type = ToolHeaderDeclaration::Type::String;
            } else if (typeName == QLatin1StringView("integer")) {
                declaration.type = ToolHeaderDeclaration::Type::Integer;
            } else if (typeName == QLatin1StringView("boolean")) {
                declaration.type = ToolHeaderDeclaration::Type::Boolean;
            } else {
                QString fault =
                        QStringLiteral("%1: x-mcp-header is only permitted on string, integer or "
                                       "boolean properties, not %2")
                                .arg(pathName(path),
                                        typeName.isEmpty() ? QStringLiteral("<no type>")
                                                           : printable(typeName));
                if (typeName != QLatin1StringView("number"))
                    return fault;
                if (numberFault.isEmpty())
                    numberFault = fault;
            }
            const QString lower = name.toLower();
            const auto prior = seenLower.constFind(lower);
            if (prior != seenLower.constEnd())
                return QStringLiteral("x-mcp-header '%1' repeats '%2' (names are compared "
                                      "case-insensitively)")
                        .arg(name, *prior);
            seenLower.insert(lower, name);
            declarations.append(declaration);
        }

        const QJsonValue properties = schema.value(QLatin1StringView("properties"));
        if (properties.isObject()) {
            const QJsonObject map = properties.toObject();
            for (auto it = map.constBegin(); it != map.constEnd(); ++it) {
                QStringList childPath = path;
                childPath.append(it.key());
                QString fault = visit(it.value(), childPath, reachable, depth + 1);
                if (!fault.isEmpty())
                    return fault;
            }
        }
        for (const char *keyword : SingleOrArrayKeywords) {
            const QJsonValue sub = schema.value(QLatin1StringView(keyword));
            const QString marker = QStringLiteral("<%1>").arg(QLatin1StringView(keyword));
            if (sub.isArray()) {
                const QJsonArray branches = sub.toArray();
                for (const auto &branch : branches) {
                    QString fault = visit(branch, path + QStringList{marker}, false, depth + 1);
                    if (!fault.isEmpty())
                        return fault;
                }
            } else {
                QString fault = visit(sub, path + QStringList{marker}, false, depth + 1);
                if (!fault.isEmpty())
                    return fault;
            }
        }
        for (const char *keyword : MapKeywords) {
            const QJsonValue sub = schema.value(QLatin1StringView(keyword));
            if (!sub.isObject())
                continue;
            const QString marker = QStringLiteral("<%1>").arg(QLatin1StringView(keyword));
            const QJsonObject map = sub.toObject();
            for (auto it = map.constBegin(); it != map.constEnd(); ++it) {
                QString fault = visit(it.value(), path + QStringList{marker}, false, depth + 1);
                if (!fault.isEmpty())
                    return fault;
            }
        }
        return {};
    }
};

QJsonValue valueAtPath(const QJsonObject &arguments, const QStringList &path)
{
    QJsonValue node = arguments;
    for (const QString &key : path) {
        if (!node.isObject())
            return QJsonValue(QJsonValue::Undefined);
        node = node.toObject().value(key);
    }
    return node;
}

} // namespace

ToolHeaderSchema ToolHeaderSchema::scan(const QJsonObject &inputSchema)
{
    ToolHeaderSchema result;
    Walker walker;
    QString fault = walker.visit(inputSchema, {}, true, 0);
    if (!walker.numberFault.isEmpty())
        result.m_reason = walker.numberFault;
    else
        result.m_reason = fault;
    if (result.m_reason.isEmpty())
        result.m_declarations = walker.declarations;
    return result;
}

HttpHeaderFields ToolHeaderSchema::paramHeaders(
        const QList<ToolHeaderDeclaration> &declarations, const QJsonObject &arguments)
{
    HttpHeaderFields fields;
    for (const ToolHeaderDeclaration &declaration : declarations) {
        const QString text =
                McpHeaderEncoding::argumentText(valueAtPath(arguments, declaration.path));
        if (text.isNull())
            continue;
        // The name passed isToken() in scan(), so it is plain ASCII.
        fields.append({QByteArrayLiteral("Mcp-Param-") + declaration.headerName.toLatin1(),
                McpHeaderEncoding::encodeValue(text)});
    }
    return fields;
}

ToolHeaderCatalogue::Page ToolHeaderCatalogue::acceptToolsListPage(
        const QJsonObject &result, bool firstPage)
{
    if (firstPage)
        reset();
    Page page;
    page.result = result;
    const QJsonValue toolsValue = result.value(QLatin1StringView("tools"));
    if (!toolsValue.isArray())
        return page;
    const QJsonArray tools = toolsValue.toArray();
    QJsonArray kept;
    for (const auto &entry : tools) {
        const QJsonObject tool = entry.toObject();
        const QJsonValue nameValue = tool.value(QLatin1StringView("name"));
        if (!entry.isObject() || !nameValue.isString()) {
            kept.append(entry);
            continue;
        }
        const QString name = nameValue.toString();
        const ToolHeaderSchema schema =
                ToolHeaderSchema::scan(tool.value(QLatin1StringView("inputSchema")).toObject());
        if (!schema.isValid()) {
            m_declarations.remove(name);
            m_rejected.insert(name, schema.reason());
            page.rejectedTools.append({name, schema.reason()});
            continue;
        }
        m_rejected.remove(name);
        m_declarations.insert(name, schema.declarations());
        kept.append(entry);
    }
    if (!page.rejectedTools.isEmpty()) {
        page.result.insert(QLatin1StringView("tools"), kept);
        page.changed = true;
    }
    return page;
}

void ToolHeaderCatalogue::reset()
{
    m_declarations.clear();
    m_rejected.clear();
}

ToolHeaderCatalogue::ToolState ToolHeaderCatalogue::toolState(const QString &toolName) const
{
    if (m_declarations.contains(toolName))
        return ToolState::Listed;
    if (m_rejected.contains(toolName))
        return ToolState::Rejected;
    return ToolState::Unknown;
}

QString ToolHeaderCatalogue::rejectionReason(const QString &toolName) const
{
    return m_rejected.value(toolName);
}

HttpHeaderFields ToolHeaderCatalogue::paramHeaders(
        const QString &toolName, const QJsonObject &arguments) const
{
    const auto it = m_declarations.constFind(toolName);
    if (it == m_declarations.constEnd())
        return {};
    return ToolHeaderSchema::paramHeaders(*it, arguments);
}

RequestHeaders ToolHeaderCatalogue::requestHeaders(
        const QString &method, const QJsonObject &params) const
{
    HttpHeaderFields paramFields;
    if (method == QLatin1StringView("tools/call")) {
        const QJsonValue name = params.value(QLatin1StringView("name"));
        if (name.isString())
            paramFields = paramHeaders(
                    name.toString(), params.value(QLatin1StringView("arguments")).toObject());
    }
    return RequestHeaders::build(method, params, paramFields);
}

} // namespace McpProxy
