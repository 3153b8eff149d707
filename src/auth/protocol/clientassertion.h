#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QString>

#include <optional>

namespace McpProxy {

// A private_key_jwt client assertion (RFC 7523 section 2.2, OpenID Connect Core section 9): a JWS
// over
// {"iss":clientId,"sub":clientId,"aud":audience,"jti":<random>,"iat":now,"exp":now+300},
// signed with OpenSSL. Algorithms: ES256 (P-256 key; the DER signature is converted to the
// 64-byte R||S of RFC 7518 section 3.4) and RS256 (RSA ≥ 2048 bits). An empty algorithm picks it
// from the key type. Returns nullopt and *error (English) for an unreadable key or a mismatch.
// Encrypted PEM keys are refused (never a passphrase prompt); PKCS#8, SEC1 and PKCS#1 PEM work.
struct ClientAssertionInput
{
    QByteArray privateKeyPem;
    QString algorithm; // "ES256", "RS256" or empty
    QString clientId;
    QString audience; // the AS issuer (or token endpoint)
    qint64 nowSeconds = 0; // 0: the current time (tests pass a fixed one)
    int lifetimeSeconds = 300;
};
std::optional<QByteArray> createClientAssertion(const ClientAssertionInput &input, QString *error);

// The JWS algorithm a PEM key implies ("ES256" for P-256, "RS256" for RSA ≥ 2048 bits), empty if
// the key is unreadable or unsupported.
QString signingAlgorithmForKey(const QByteArray &privateKeyPem);

} // namespace McpProxy
