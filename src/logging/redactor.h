#pragma once

#include <QtCore/QString>
#include <QtCore/QStringList>

namespace McpProxy {

// Masks secrets in log text: Authorization/Proxy-Authorization/Cookie/Set-Cookie header values,
// Bearer/Basic credentials, OAuth parameters and JSON members (access_token, refresh_token,
// id_token, client_secret, code, code_verifier, client_assertion, assertion, password, token,
// subject_token) in query, form and JSON spellings (also JSON escaped inside a JSON string), plus
// every exact value registered with addSecret() (static header values, client secret), also in
// its percent-encoded and form-encoded spellings. Key-based like the npm package (pino redact
// paths) but text-based, because our log lines are text. Pure value type; the message handler runs
// every log line through one instance. Hand-written linear scans: no regular expressions.
class Redactor
{
public:
    static inline const QString Mask = QStringLiteral("[redacted]");

    void addSecret(const QString &value); // values shorter than 4 characters are ignored
    QString redact(const QString &text) const;
    bool hasSecrets() const { return !m_secrets.isEmpty(); }

private:
    void insertSecret(const QString &value);

    QStringList m_secrets; // longest first, so a secret containing another one is masked whole
};

} // namespace McpProxy
