#include "transport/eradetection.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonValue>

namespace McpProxy::EraDetection {

using namespace Qt::StringLiterals;

QStringList legacyVersions()
{
    return {u"2025-11-25"_s, u"2025-06-18"_s, u"2025-03-26"_s, u"2024-11-05"_s};
}

QString chooseModernVersion(const QStringList &offered)
{
    const QString ours = QString::fromLatin1(ModernVersion);
    return offered.contains(ours) ? ours : QString();
}

namespace {

QStringList stringList(const QJsonValue &value)
{
    QStringList out;
    const QJsonArray array = value.toArray();
    for (const auto &entry : array) {
        if (entry.isString())
            out.append(entry.toString());
    }
    return out;
}

Verdict legacy(const QString &reason)
{
    Verdict verdict;
    verdict.kind = Verdict::Kind::Legacy;
    verdict.reason = reason;
    return verdict;
}

} // namespace

Verdict classifyDiscoverAnswer(int httpStatus, const QByteArray &body, const QString &sentVersion)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(body, &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isObject()) {
        return legacy(QStringLiteral("HTTP %1 without a JSON-RPC answer").arg(httpStatus));
    }
    const QJsonObject message = document.object();
    if (message.value("result"_L1).isObject() && httpStatus >= 200 && httpStatus < 300) {
        const QJsonObject result = message.value("result"_L1).toObject();
        const QString version =
                chooseModernVersion(stringList(result.value("supportedVersions"_L1)));
        if (version.isEmpty()) {
            return legacy(u"server/discover names no protocol version the proxy speaks"_s);
        }
        Verdict verdict;
        verdict.kind = Verdict::Kind::Modern;
        verdict.version = version;
        verdict.discover = result;
        return verdict;
    }
    const QJsonObject error = message.value("error"_L1).toObject();
    const int code = error.value("code"_L1).toInt();
    switch (code) {
    case UnsupportedProtocolVersion: {
        // UnsupportedProtocolVersionError: data.supported lists what the server speaks.
        const QString version = chooseModernVersion(
                stringList(error.value("data"_L1).toObject().value("supported"_L1)));
        if (version.isEmpty())
            return legacy(u"the server supports no protocol version the proxy speaks"_s);
        Verdict verdict;
        verdict.kind = Verdict::Kind::Retry;
        verdict.version = version;
        return verdict;
    }
    case HeaderMismatch:
    case MissingRequiredClientCapability: {
        // A modern server that found fault with this request: correct it rather than fall back.
        Verdict verdict;
        verdict.kind = Verdict::Kind::Retry;
        verdict.version = sentVersion;
        return verdict;
    }
    default:
        break;
    }
    return legacy(QStringLiteral("HTTP %1, JSON-RPC error %2").arg(httpStatus).arg(code));
}

QJsonObject initializeResultFor(const QJsonObject &discover, const QString &hostVersion)
{
    const QStringList bridged = legacyVersions();
    QJsonObject serverInfo = discover.value("serverInfo"_L1).toObject();
    if (serverInfo.isEmpty()) {
        serverInfo = discover.value("_meta"_L1)
                             .toObject()
                             .value("io.modelcontextprotocol/serverInfo"_L1)
                             .toObject();
    }
    // Implementation requires name and version (schema: Implementation).
    if (!serverInfo.value("name"_L1).isString())
        serverInfo.insert("name"_L1, u"mcp-server"_s);
    if (!serverInfo.value("version"_L1).isString())
        serverInfo.insert("version"_L1, u"0"_s);
    QJsonObject result{
            {u"protocolVersion"_s, bridged.contains(hostVersion) ? hostVersion : bridged.first()},
            {u"capabilities"_s, discover.value("capabilities"_L1).toObject()},
            {u"serverInfo"_s, serverInfo},
    };
    if (discover.value("instructions"_L1).isString())
        result.insert("instructions"_L1, discover.value("instructions"_L1));
    return result;
}

} // namespace McpProxy::EraDetection
