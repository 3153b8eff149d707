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

} // namespace

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
    const QJsonObject object{
            {u"schema"_s, SchemaVersion},
            {u"server"_s, serverHash(serverUrl)},
            {u"requestedProtocolVersion"_s, remembered.requestedVersion},
            {u"result"_s, remembered.result},
    };
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
    return RememberedInitialize{object.value("requestedProtocolVersion"_L1).toString(), result};
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
