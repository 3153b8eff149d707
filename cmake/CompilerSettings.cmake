# Target-scoped warnings, Qt strictness defines and sanitizers; Hardening.cmake adds the
# directory-wide hardening of optimized builds.
include(Hardening)

function(mcpproxy_apply_compiler_settings target)
    target_compile_definitions(${target} PRIVATE
        QT_NO_KEYWORDS QT_NO_FOREACH QT_NO_CAST_FROM_ASCII QT_NO_CAST_TO_ASCII
        QT_NO_CAST_FROM_BYTEARRAY QT_NO_URL_CAST_FROM_STRING QT_USE_QSTRINGBUILDER
        QT_NO_NARROWING_CONVERSIONS_IN_CONNECT QT_DISABLE_DEPRECATED_BEFORE=0x060400
        MCPPROXY_VERSION="${PROJECT_VERSION}")
    if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
        target_compile_options(${target} PRIVATE
            -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
            -Wcast-align -Wformat=2 -Wundef
            $<$<CXX_COMPILER_ID:Clang>:-Wno-gnu-zero-variadic-macro-arguments>
            $<$<CXX_COMPILER_ID:GNU>:-Wsuggest-override -Wlogical-op>
            $<$<BOOL:${MCPPROXY_DEVELOPER_MODE}>:-Werror>)
    elseif(MSVC)
        target_compile_options(${target} PRIVATE /W4 /permissive- /utf-8
            $<$<BOOL:${MCPPROXY_DEVELOPER_MODE}>:/WX>)
    endif()
    if(MCPPROXY_DEVELOPER_MODE)
        target_compile_definitions(${target} PRIVATE QT_FORCE_ASSERTS)
    endif()
    mcpproxy_apply_sanitizers(${target})
endfunction()

function(mcpproxy_apply_sanitizers target)
    if(MCPPROXY_SANITIZERS)
        list(JOIN MCPPROXY_SANITIZERS "," sanitizers)
        target_compile_options(${target} PRIVATE -fsanitize=${sanitizers} -fno-omit-frame-pointer
            -fno-sanitize-recover=all)
        target_link_options(${target} PRIVATE -fsanitize=${sanitizers})
    endif()
endfunction()
