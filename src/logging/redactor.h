#pragma once

#include <QtCore/QString>
#include <QtCore/QStringList>

namespace McpProxy {

// Masks secrets in log text: Authorization/Proxy-Authorization header values, Bearer/Basic
// credentials, OAuth parameters and JSON members (access_token, refresh_token, id_token,
// client_secret, code, code_verifier, client_assertion, password, …) in query, form and JSON
// spellings, plus every exact value registered with addSecret() (static header values, client
// secret). Pure value type; the message handler runs every log line through one instance.
class Redactor
{
public:
    static inline const QString Mask = QStringLiteral("[redacted]");

    void addSecret(const QString &value);   // values shorter than 4 characters are ignored
    QString redact(const QString &text) const;

private:
    QStringList m_secrets;
};

} // namespace McpProxy
