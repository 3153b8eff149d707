#pragma once

#include "config/configschema.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QJsonValue>
#include <QtCore/QString>

namespace McpProxy {

// How configuration messages show values and types. User-facing text (config errors) is
// translated in the context "McpProxy::Config"; log text (warnings) is not.
class ConfigText
{
    Q_DECLARE_TR_FUNCTIONS(McpProxy::Config)
public:
    static constexpr QLatin1String Masked = QLatin1String("****"); // a secret in a message

    // A value quoted for a one-line message: quotes and control characters escaped (backslashes
    // are not, so Windows paths stay readable), long values shortened.
    static QString quoted(const QString &value);
    // As JavaScript prints a number: integers without a fraction, others shortest.
    static QString numberText(double value);
    // "string \"x\"", "number 1.5", "boolean true", "null", "array", "object"; secrets as "****".
    static QString describeJson(const QJsonValue &value, bool secret);
    // "a string", "an integer", ... (translated).
    static QString typeDescription(ConfigSchema::ValueType type);
    // The known key closest to an unknown one (case-insensitive edit distance), if close enough.
    static QString closestKnownKey(const QString &unknown);
};

} // namespace McpProxy
