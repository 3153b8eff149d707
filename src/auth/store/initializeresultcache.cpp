#include "auth/store/initializeresultcache.h"

#include "auth/store/privatefiles.h"
#include "logging/logcategories.h"

#include <QtCore/QCryptographicHash>
#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QJsonDocument>

namespace McpProxy {

using namespace Qt::StringLiterals;

namespace {

constexpr QLatin1String Subdirectory = "initialize/v1"_L1;

QString serverHash(const QString &serverUrl)
{
    return QString::fromLatin1(
            QCryptographicHash::hash(serverUrl.toUtf8(), QCryptographicHash::Sha256).toHex());
}

QString eraName(RememberedInitialize::Era era)
{
    switch (era) {
    case RememberedInitialize::Era::Legacy:
        return u"legacy"_s;
    case RememberedInitialize::Era::Modern:
        return u"modern"_s;
    case RememberedInitialize::Era::Unknown:
        break;
    }
    return QString();
}

} // namespace

bool RememberedInitialize::skipsProbeAt(const QDateTime &now) const
{
    // A clock set back (detectedAt in the future) trusts nothing.
    return era == Era::Legacy && eraDetectedAt.isValid() && eraDetectedAt <= now
            && eraDetectedAt.secsTo(now) < LegacyEraTrustSeconds;
}

InitializeResultCache::InitializeResultCache(const QString &directory, const QString &serverUrl)
    : m_directory(QDir::cleanPath(QDir(directory).absolutePath()))
    , m_serverUrl(serverUrl)
    , m_path(m_directory + u'/' + Subdirectory + u'/' + fileName(serverUrl))
{ }

QString InitializeResultCache::fileName(const QString &serverUrl)
{
    return serverHash(serverUrl).left(32) + u".json"_s;
}

QByteArray InitializeResultCache::encode(
        const QString &serverUrl, const RememberedInitialize &remembered)
{
    QJsonObject object{
            {u"schema"_s, SchemaVersion},
            {u"server"_s, serverHash(serverUrl)},
            {u"requestedProtocolVersion"_s, remembered.requestedVersion},
            {u"result"_s, remembered.result},
    };
    if (remembered.era != RememberedInitialize::Era::Unknown
            && remembered.eraDetectedAt.isValid()) {
        object.insert("era"_L1, eraName(remembered.era));
        object.insert(
                "eraDetectedAt"_L1, remembered.eraDetectedAt.toUTC().toString(Qt::ISODateWithMs));
    }
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

std::optional<RememberedInitialize> InitializeResultCache::decode(
        const QString &serverUrl, const QByteArray &bytes)
{
    const QJsonObject object = QJsonDocument::fromJson(bytes).object();
    const QJsonObject result = object.value("result"_L1).toObject();
    // MCP basic/lifecycle: an InitializeResult has protocolVersion, capabilities, serverInfo.
    if (object.value("schema"_L1).toInt() != SchemaVersion
            || object.value("server"_L1).toString() != serverHash(serverUrl)
            || !object.value("requestedProtocolVersion"_L1).isString()
            || !result.value("protocolVersion"_L1).isString()
            || !result.value("capabilities"_L1).isObject()
            || !result.value("serverInfo"_L1).isObject())
        return std::nullopt;
    RememberedInitialize remembered{object.value("requestedProtocolVersion"_L1).toString(), result};
    // The era is optional (files written before it was remembered have none); one that cannot be
    // read is Unknown, which keeps the probe.
    const QString era = object.value("era"_L1).toString();
    const QDateTime detectedAt =
            QDateTime::fromString(object.value("eraDetectedAt"_L1).toString(), Qt::ISODateWithMs);
    if (detectedAt.isValid()) {
        if (era == eraName(RememberedInitialize::Era::Legacy))
            remembered.era = RememberedInitialize::Era::Legacy;
        else if (era == eraName(RememberedInitialize::Era::Modern))
            remembered.era = RememberedInitialize::Era::Modern;
        if (remembered.era != RememberedInitialize::Era::Unknown)
            remembered.eraDetectedAt = detectedAt.toUTC();
    }
    return remembered;
}

std::optional<RememberedInitialize> InitializeResultCache::load() const
{
    QString error;
    const std::optional<QByteArray> bytes = PrivateFiles::readFile(m_path, MaxFileBytes, &error);
    if (!error.isEmpty())
        qCWarning(lcAuth).noquote() << "cannot read the remembered initialize result:" << error;
    if (!bytes || bytes->isEmpty())
        return std::nullopt;
    return decode(m_serverUrl, *bytes);
}

bool InitializeResultCache::save(const RememberedInitialize &remembered) const
{
    const QByteArray bytes = encode(m_serverUrl, remembered);
    if (bytes.size() > MaxFileBytes) {
        qCInfo(lcAuth) << "not remembering an initialize result of" << bytes.size() << "bytes";
        return false;
    }
    QString error;
    if (!PrivateFiles::ensureDirectory(m_directory, &error)
            || !PrivateFiles::ensureDirectory(m_directory + u'/' + Subdirectory, &error)
            || !PrivateFiles::writeFile(m_path, bytes, &error)) {
        qCWarning(lcAuth).noquote() << "cannot remember the initialize result:" << error;
        return false;
    }
    return true;
}

bool InitializeResultCache::remove() const
{
    return !QFile::exists(m_path) || QFile::remove(m_path);
}

} // namespace McpProxy
