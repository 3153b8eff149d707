#pragma once

#ifdef Q_OS_WIN
#include <windows.h>
#endif

namespace McpProxy::Test {

// Whether this Windows program runs under Wine, where the Windows build is tested on Linux: Wine's
// ntdll exports wine_get_version, Windows' does not. Tests that meet a known Wine limitation ask
// this and say which limitation, so that real Windows still runs every check.
inline bool underWine()
{
#ifdef Q_OS_WIN
    const HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    return ntdll && GetProcAddress(ntdll, "wine_get_version");
#else
    return false;
#endif
}

// Wine 8's PFXImportCertStore imports only a PKCS #12 that holds an RSA private key
// (dlls/crypt32/unixlib.c, open_cert_store, and dlls/crypt32/pfx.c, import_key). Qt's Schannel
// backend hands the configured CA certificates (QSslConfiguration::addCaCertificates) to Windows
// as a PKCS #12 without a key (qtls_schannel.cpp, createStoreFromCertificateChain) and, when that
// import fails, builds the chain without them: under Wine the proxy's Schannel client never trusts
// a --ca-bundle, and refuses the server as it refuses any unknown CA. Real Windows imports such a
// PKCS #12.
inline constexpr char WineIgnoresCaBundle[] =
        "Wine 8's PFXImportCertStore rejects a PKCS #12 without a private key, so Qt's Schannel "
        "backend never gets the CA bundle: only real Windows can show the bundle trusted";

} // namespace McpProxy::Test
