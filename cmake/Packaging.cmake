# Packages: CPack DEB/TGZ on Linux (against the distribution's Qt), ZIP with windeployqt on
# Windows, TGZ on macOS. Qt 6.4's deploy-script API is a Technical Preview: it is a fatal error on
# Linux (no deployment there, the DEB depends on the distro's Qt) and needs an app bundle on macOS
# (qt64-notes §8), so it is used on Windows only.
if(WIN32)
    if(Qt6_VERSION VERSION_LESS 6.5)
        qt_generate_deploy_app_script(TARGET mcp-oauth2-proxy
            FILENAME_VARIABLE mcpproxy_deploy_script NO_UNSUPPORTED_PLATFORM_ERROR)
    else()
        qt_generate_deploy_app_script(TARGET mcp-oauth2-proxy
            OUTPUT_SCRIPT mcpproxy_deploy_script NO_UNSUPPORTED_PLATFORM_ERROR)
    endif()
    install(SCRIPT ${mcpproxy_deploy_script})
endif()

set(CPACK_PACKAGE_NAME "mcp-oauth2-proxy")
set(CPACK_PACKAGE_VENDOR "mcp-oauth2-proxy")
set(CPACK_PACKAGE_CONTACT "mcp-oauth2-proxy maintainers <noreply@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_HOMEPAGE_URL "${PROJECT_HOMEPAGE_URL}")
set(CPACK_RESOURCE_FILE_LICENSE "${PROJECT_SOURCE_DIR}/LICENSE")
set(CPACK_RESOURCE_FILE_README "${PROJECT_SOURCE_DIR}/README.md")
if(WIN32)
    set(CPACK_GENERATOR "ZIP")
elseif(APPLE)
    set(CPACK_GENERATOR "TGZ")
else()
    set(CPACK_GENERATOR "DEB;TGZ")
    set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
    set(CPACK_DEBIAN_PACKAGE_SECTION "net")
    set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
    # Qt's TLS backend dlopens libssl, and qtkeychain dlopens libsecret (qt64-notes pitfall 33).
    set(CPACK_DEBIAN_PACKAGE_DEPENDS "libssl3")
    set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libsecret-1-0")
endif()
include(CPack)
