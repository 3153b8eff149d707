# Install layout and packages. Linux: a DEB (and TGZ) against the distribution's Qt, with what a
# Debian maintainer expects (copyright, changelog, man page, documentation, a stripped binary,
# no RUNPATH). Windows: a ZIP made by windeployqt. macOS: an app bundle made self-contained by
# macdeployqt, packed as a TGZ. docs/packaging.md explains each choice.

set(MCPPROXY_PACKAGE_MAINTAINER
    "mcp-oauth2-proxy maintainers <mcp-oauth2-proxy@users.noreply.github.com>"
    CACHE STRING "Maintainer of the packages (Debian: \"Name <address>\")")

# Runtime deployment through Qt's CMake API (Qt >= 6.3; a Technical Preview in 6.4 whose only
# signature is FILENAME_VARIABLE, renamed OUTPUT_SCRIPT in 6.5). It runs windeployqt on Windows
# and macdeployqt on macOS, for an app bundle only. On Linux there is no Qt deployment tool: the
# DEB depends on the distribution's Qt instead.
if(WIN32 OR APPLE)
    if(Qt6_VERSION VERSION_LESS 6.5)
        qt_generate_deploy_app_script(TARGET mcp-oauth2-proxy
            FILENAME_VARIABLE mcpproxy_deploy_script NO_UNSUPPORTED_PLATFORM_ERROR)
    else()
        qt_generate_deploy_app_script(TARGET mcp-oauth2-proxy
            OUTPUT_SCRIPT mcpproxy_deploy_script NO_UNSUPPORTED_PLATFORM_ERROR)
    endif()
    install(SCRIPT ${mcpproxy_deploy_script})
endif()
if(APPLE)
    # macdeployqt rewrites install names, which invalidates the linker's ad-hoc signature, and
    # Apple silicon runs no unsigned code: sign the deployed bundle ("-": ad hoc; a Developer ID
    # adds the hardened runtime that notarization requires).
    set(MCPPROXY_CODESIGN_IDENTITY "-" CACHE STRING "codesign identity for the macOS bundle")
    set(mcpproxy_codesign_options "")
    if(NOT MCPPROXY_CODESIGN_IDENTITY STREQUAL "-")
        set(mcpproxy_codesign_options "--options runtime --timestamp")
    endif()
    install(CODE "
        execute_process(COMMAND codesign --force --deep ${mcpproxy_codesign_options}
            --sign \"${MCPPROXY_CODESIGN_IDENTITY}\"
            \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/mcp-oauth2-proxy.app\"
            COMMAND_ERROR_IS_FATAL ANY)")
endif()

set(CPACK_PACKAGE_NAME "mcp-oauth2-proxy")
set(CPACK_PACKAGE_VENDOR "mcp-oauth2-proxy")
set(CPACK_PACKAGE_CONTACT "${MCPPROXY_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "stdio MCP server forwarding to a remote OAuth2-protected MCP server")
set(CPACK_PACKAGE_DESCRIPTION
"mcp-oauth2-proxy is a local Model Context Protocol (MCP) server for MCP hosts
such as Claude Desktop, Cursor or VS Code: the host starts it and talks
JSON-RPC over stdin and stdout, and every message is forwarded to a remote
MCP server over the Streamable HTTP transport (JSON or SSE replies, sessions,
resumable streams).

It obtains and refreshes the OAuth 2.1 Bearer token the remote server
requires by itself: authorization server discovery (RFC 9728, RFC 8414),
client registration, browser login with PKCE on a loopback callback, the
client_credentials grant, and refresh. Tokens are stored encrypted, with the
key in the desktop's Secret Service keyring when one is available.

It reads the same configuration file and environment variables as the npm
package of the same name.")
set(CPACK_PACKAGE_HOMEPAGE_URL "${PROJECT_HOMEPAGE_URL}")
set(CPACK_RESOURCE_FILE_LICENSE "${PROJECT_SOURCE_DIR}/LICENSE")
set(CPACK_RESOURCE_FILE_README "${PROJECT_SOURCE_DIR}/README.md")
set(CPACK_STRIP_FILES ON)

if(WIN32)
    set(CPACK_GENERATOR "ZIP")
elseif(APPLE)
    # The bundle's Info.plist (CMake's template). The identifier stays the same across versions:
    # with a stable code signature it keeps the Keychain's "always allow" for the token key.
    set_target_properties(mcp-oauth2-proxy PROPERTIES
        MACOSX_BUNDLE_GUI_IDENTIFIER "io.github.mcp-oauth2-proxy"
        MACOSX_BUNDLE_BUNDLE_NAME "mcp-oauth2-proxy"
        MACOSX_BUNDLE_BUNDLE_VERSION "${PROJECT_VERSION}"
        MACOSX_BUNDLE_SHORT_VERSION_STRING "${PROJECT_VERSION}"
        MACOSX_BUNDLE_COPYRIGHT "Copyright 2026 The mcp-oauth2-proxy authors")
    set(CPACK_GENERATOR "TGZ")
else()
    set(CPACK_GENERATOR "DEB;TGZ")
    include(DebianPackage)
endif()
include(CPack)
