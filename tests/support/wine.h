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

} // namespace McpProxy::Test
