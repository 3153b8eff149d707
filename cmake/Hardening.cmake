# Hardening of optimized builds on Linux and the other ELF platforms: the protections Debian's
# dpkg-buildflags enables with DEB_BUILD_MAINT_OPTIONS=hardening=+all (plus stack-clash and CET,
# which dpkg only enables by default from 1.22), checked by `hardening-check` from devscripts:
# stack protector, _FORTIFY_SOURCE, format-string checks, stack-clash protection, CET (x86),
# PIE, RELRO and BIND_NOW. Debug builds stay as they are (_FORTIFY_SOURCE needs optimization),
# and so do sanitizer builds (ASan replaces the checked libc functions). Windows and macOS get
# their platform's defaults (Apple's clang enables the stack protector and _FORTIFY_SOURCE).
include(CheckCXXCompilerFlag)
include(CheckPIESupported)

option(MCPPROXY_HARDENING "Compile and link optimized ELF builds with the hardening flags" ON)

set(mcpproxy_hardening_compile_flags "")
set(mcpproxy_hardening_link_flags "")
if(MCPPROXY_HARDENING AND UNIX AND NOT APPLE AND NOT MCPPROXY_SANITIZERS
        AND CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    check_pie_supported(LANGUAGES CXX)
    set(CMAKE_POSITION_INDEPENDENT_CODE ON)
    foreach(flag -fstack-protector-strong -fstack-clash-protection -fcf-protection)
        string(MAKE_C_IDENTIFIER "MCPPROXY_HAS${flag}" has_flag)
        check_cxx_compiler_flag(${flag} ${has_flag})
        if(${has_flag})
            list(APPEND mcpproxy_hardening_compile_flags ${flag})
        endif()
    endforeach()
    # A _FORTIFY_SOURCE from the environment (dpkg-buildflags' CPPFLAGS) wins over ours.
    if(NOT "$ENV{CPPFLAGS} ${CMAKE_CXX_FLAGS}" MATCHES "_FORTIFY_SOURCE")
        list(APPEND mcpproxy_hardening_compile_flags -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2)
    endif()
    list(APPEND mcpproxy_hardening_compile_flags -Wformat -Werror=format-security)
    list(APPEND mcpproxy_hardening_link_flags LINKER:-z,relro LINKER:-z,now)
endif()

# Directory-wide, so that the objects Qt's CMake functions add (the translation and resource
# object libraries, mocs_compilation) are hardened too: the linker keeps CET only when every
# object has it.
if(mcpproxy_hardening_compile_flags)
    set(optimized "$<NOT:$<CONFIG:Debug>>")
    add_compile_options("$<${optimized}:${mcpproxy_hardening_compile_flags}>")
    add_link_options("$<${optimized}:${mcpproxy_hardening_link_flags}>")
endif()
