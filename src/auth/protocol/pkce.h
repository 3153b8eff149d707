#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QByteArrayView>

namespace McpProxy::Pkce {

// RFC 7636 section 4.1: 32 random bytes from the system CSPRNG, base64url without padding (43
// chars).
QByteArray createCodeVerifier();
// RFC 7636 section 4.2: BASE64URL(SHA256(ASCII(verifier))), no padding. Appendix B vector in the
// tests.
QByteArray codeChallengeS256(QByteArrayView verifier);
// A fresh OAuth state (≥ 128 bits; 32 random bytes, base64url).
QByteArray createState();

} // namespace McpProxy::Pkce
