# The Debian package's contents and metadata beyond the binary (Debian Policy 12.3, 12.5, 12.7,
# 12.1; checked by lintian in scripts/package-test.sh). Included by Packaging.cmake on Linux.
set(mcpproxy_docdir "${CMAKE_INSTALL_DATADIR}/doc/mcp-oauth2-proxy")
set(mcpproxy_packaging "${PROJECT_SOURCE_DIR}/packaging")
set(mcpproxy_generated "${PROJECT_BINARY_DIR}/packaging")

# No RUNPATH: the project installs no shared library of its own, so $ORIGIN/../lib (which
# qt_standard_project_setup() adds) is never needed, and Debian forbids a needless one. A Qt
# outside the system's library path keeps working through its link directory.
set_target_properties(mcp-oauth2-proxy PROPERTIES INSTALL_RPATH "" INSTALL_RPATH_USE_LINK_PATH ON)

# A stripped install (cpack, cmake --install --strip) also loses the compilers' .comment section,
# as with Debian's dh_strip (lintian: binary-has-unneeded-section).
if(CMAKE_OBJCOPY)
    install(CODE "
        if(CMAKE_INSTALL_DO_STRIP)
            execute_process(COMMAND \"${CMAKE_OBJCOPY}\" --remove-section=.comment
                \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/mcp-oauth2-proxy\"
                COMMAND_ERROR_IS_FATAL ANY)
        endif()")
endif()

find_program(MCPPROXY_GZIP gzip REQUIRED)
# gzip -9n: maximum compression and no name or timestamp in the header (reproducible builds).
function(mcpproxy_gzip input output)
    execute_process(COMMAND "${MCPPROXY_GZIP}" -9n -c "${input}" OUTPUT_FILE "${output}"
        COMMAND_ERROR_IS_FATAL ANY)
endfunction()

# Debian changelog (Policy 12.7), its newest entry naming this version and the maintainer.
set(MCPPROXY_DEBIAN_REVISION 1)
set(mcpproxy_deb_version "${PROJECT_VERSION}-${MCPPROXY_DEBIAN_REVISION}")
configure_file("${mcpproxy_packaging}/changelog.Debian.in" "${mcpproxy_generated}/changelog.Debian"
    @ONLY)
mcpproxy_gzip("${mcpproxy_generated}/changelog.Debian" "${mcpproxy_generated}/changelog.Debian.gz")

install(FILES
        "${mcpproxy_packaging}/copyright"
        "${mcpproxy_generated}/changelog.Debian.gz"
        "${PROJECT_SOURCE_DIR}/README.md"
        "${PROJECT_SOURCE_DIR}/config.example.json"
    DESTINATION "${mcpproxy_docdir}")
install(FILES "${mcpproxy_packaging}/lintian-overrides"
    DESTINATION "${CMAKE_INSTALL_DATADIR}/lintian/overrides" RENAME mcp-oauth2-proxy)

# The man page, generated from --help and --version in English by help2man (Debian package
# help2man). Without help2man, when cross-compiling, and in sanitizer builds (whose leak report
# at exit would fail the step) there is no man page.
find_program(MCPPROXY_HELP2MAN help2man)
if(MCPPROXY_HELP2MAN AND NOT CMAKE_CROSSCOMPILING AND NOT MCPPROXY_SANITIZERS)
    set(manpage "${mcpproxy_generated}/mcp-oauth2-proxy.1")
    add_custom_command(OUTPUT "${manpage}.gz"
        COMMAND "${CMAKE_COMMAND}" -E env LC_ALL=C LANG=C LANGUAGE=
            "${MCPPROXY_HELP2MAN}" --no-info --section=1
            "--name=${CPACK_PACKAGE_DESCRIPTION_SUMMARY}"
            "--include=${mcpproxy_packaging}/manpage.h2m"
            "--output=${manpage}" "$<TARGET_FILE:mcp-oauth2-proxy>"
        COMMAND "${MCPPROXY_GZIP}" -9nf "${manpage}"
        DEPENDS mcp-oauth2-proxy "${mcpproxy_packaging}/manpage.h2m"
        COMMENT "Generating the man page with help2man"
        VERBATIM)
    add_custom_target(mcpproxy_manpage ALL DEPENDS "${manpage}.gz")
    install(FILES "${manpage}.gz" DESTINATION "${CMAKE_INSTALL_MANDIR}/man1")
elseif(NOT MCPPROXY_HELP2MAN)
    message(STATUS "help2man not found: no man page (Debian: apt-get install help2man)")
endif()

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE "${MCPPROXY_DEBIAN_REVISION}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${MCPPROXY_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Qt's TLS backend dlopens libssl: it comes from libssl3, which dpkg-shlibdeps already adds for
# the libcrypto we link. qtkeychain dlopens libsecret for the Secret Service keyring.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libsecret-1-0")
