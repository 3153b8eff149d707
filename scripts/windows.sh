#!/usr/bin/env bash
# Windows x86_64, cross-built on Debian 12 with mingw-w64 (posix threads) and tested under Wine:
#  1. a Windows SDK, built once into a cache folder and reused (an interrupted build resumes): Qt
#     (qtbase: Core, Network with the Schannel TLS backend, Test) from Debian's own qt6-base
#     source, the same version as the host tools of qt6-base-dev-tools; qtnetworkauth of that
#     version and qtkeychain (Windows Credential Store) from the upstream archives in third_party/
#     (else from Debian's qt6-networkauth and qtkeychain sources); OpenSSL's libcrypto (static)
#     from Debian's openssl source. Nothing is downloaded but Debian packages;
#  2. the proxy and its tests, cross-built as the dev preset builds them (Debug, warnings are
#     errors) into build/windows;
#  3. every unit and integration test, run with ctest through Wine;
#  4. the ZIP a Windows user downloads: a Release build (build/windows-release), stripped, then
#     unpacked into a folder with spaces and non-ASCII letters and checked: the bundled demo runs
#     from it under Wine.
# Passing under Wine is not passing on Windows: README.md, "Windows", says what this proves.
#
# Usage: scripts/windows.sh [deps|sdk|build|test|zip|all]       (default: all)
#   deps: the Debian packages and deb-src entries only (what needs apt's lock; scripts/test.sh
#   runs it before the SDK build in the background); sdk: 1; build: 1-2; test: 3 (ctest arguments
#   may follow); zip: 1 and 4; all: 1-4
# Environment:
#   MCPPROXY_WINDOWS_CACHE   where the SDK and the Wine prefix live
#                            (default: ${XDG_CACHE_HOME:-$HOME/.cache}/mcp-oauth2-proxy/windows)
#   MCPPROXY_THIRD_PARTY     a folder of upstream archives qtnetworkauth-<qt version>.tar.* and
#                            qtkeychain-<version>.tar.*, used before third_party/ (default: none)
#   MCPPROXY_WINDOWS_JOBS    parallel jobs (default: nproc)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
what=${1:-all}
jobs=${MCPPROXY_WINDOWS_JOBS:-$(nproc 2>/dev/null || echo 2)}
# The recipe of the SDK: a new number when the recipe changes, so an old cache is not reused.
sdk_recipe=3
triple=x86_64-w64-mingw32
cache=${MCPPROXY_WINDOWS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mcp-oauth2-proxy/windows}
build=$root/build/windows
release=$root/build/windows-release
say() { printf 'windows: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# --- packages ------------------------------------------------------------------------------------
want=(g++-mingw-w64-x86-64-posix mingw-w64-tools wine64 wine dpkg-dev zip unzip ninja-build cmake
      qt6-base-dev-tools qt6-tools-dev-tools qt6-l10n-tools xz-utils)
missing=()
for pkg in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >&2
fi

# The Qt built for Windows is the host tools' version: moc, rcc and lrelease run on this machine.
qt_version=$(dpkg-query -W -f='${Version}' qt6-base-dev-tools | sed 's/^[0-9]*://; s/[+~-].*//')
sdk=$cache/sdk-qt$qt_version-r$sdk_recipe
wineprefix=$cache/wineprefix
toolchain=$cache/mingw-w64-posix.cmake
runtime_dirs=("/usr/lib/gcc/$triple/$($triple-gcc-posix -dumpversion)" "/usr/$triple/lib")
# No Mono or Gecko installer prompts: nothing here needs .NET or an HTML engine.
export WINEPREFIX=$wineprefix WINEDEBUG=-all WINEARCH=win64 WINEDLLOVERRIDES="mscoree,mshtml="

# --- Debian source packages (apt-get source needs a deb-src entry) ------------------------------
ensure_deb_src() {
    apt-get source --print-uris qt6-base >/dev/null 2>&1 && return 0
    say "adding deb-src entries for apt-get source"
    local list=/etc/apt/sources.list.d/mcp-oauth2-proxy-deb-src.sources
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources | $sudo tee "$list" >/dev/null
    elif [ -f /etc/apt/sources.list ]; then
        sed -n 's/^deb /deb-src /p' /etc/apt/sources.list \
            | $sudo tee /etc/apt/sources.list.d/mcp-oauth2-proxy-deb-src.list >/dev/null
    fi
    $sudo apt-get update -qq
    apt-get source --print-uris qt6-base >/dev/null 2>&1 || die "no deb-src entry for qt6-base"
}

# Extracts Debian's source package $1 (with Debian's patches) into $2.
debian_source() {
    local pkg=$1 dest=$2 tmp
    tmp=$(mktemp -d "$cache/src.XXXXXX")
    # A security mirror may not serve sources: then the release's own version.
    (cd "$tmp" && { apt-get source --download-only -qq "$pkg" >/dev/null 2>&1 ||
        { rm -f ./*; apt-get source --download-only -qq "$pkg/$(. /etc/os-release; echo "$VERSION_CODENAME")" >&2; }; } &&
        dpkg-source -x --no-check "$pkg"_*.dsc src >/dev/null)
    rm -rf "$dest"
    mv "$tmp/src" "$dest"
    rm -rf "$tmp"
}

# Extracts the source of Qt module or library $1 into $3: from an upstream archive $1-<version>.tar.*
# in MCPPROXY_THIRD_PARTY or the repository's third_party/ (for qtnetworkauth only the version of
# qtbase: Qt's modules build only against their own version), else from Debian's source package $2.
module_source() {
    local name=$1 pkg=$2 dest=$3 dir archive="" pattern="$1-*.tar.*"
    [ "$name" = qtnetworkauth ] && pattern="$name-$qt_version.tar.*"
    for dir in "${MCPPROXY_THIRD_PARTY:-}" "$root/third_party"; do
        [ -n "$dir" ] && [ -d "$dir" ] || continue
        archive=$(find "$dir" -maxdepth 1 -name "$pattern" | sort -V | tail -n1)
        [ -n "$archive" ] && break
    done
    if [ -n "$archive" ]; then
        say "$name from ${archive#"$root"/}"
        rm -rf "$dest" && mkdir -p "$dest" && tar -xf "$archive" -C "$dest" --strip-components=1
    else
        debian_source "$pkg" "$dest"
    fi
}

write_toolchain() {
    mkdir -p "$cache"
    cat >"$toolchain" <<EOF
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR AMD64)
set(CMAKE_C_COMPILER $triple-gcc-posix)
set(CMAKE_CXX_COMPILER $triple-g++-posix)
set(CMAKE_AR $(command -v $triple-gcc-ar-posix))
set(CMAKE_RANLIB $(command -v $triple-gcc-ranlib-posix))
set(CMAKE_RC_COMPILER $triple-windres)
set(CMAKE_FIND_ROOT_PATH /usr/$triple)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_CROSSCOMPILING_EMULATOR /usr/lib/wine/wine64)
EOF
}

build_sdk() {
    [ -f "$sdk/.complete" ] && { say "SDK ready in $sdk"; return; }
    local started=$SECONDS work=$cache/work
    # An interrupted build goes on where it stopped: its work folder is kept until the end, and
    # names the SDK it builds.
    if [ "$(cat "$work/.sdk" 2>/dev/null)" = "$sdk" ]; then
        say "resuming the Windows SDK build in $work"
    else
        say "building the Windows SDK (Qt $qt_version, qtnetworkauth, qtkeychain, OpenSSL) into $sdk"
        rm -rf "$sdk" "$work"
        mkdir -p "$work"
        echo "$sdk" >"$work/.sdk"
    fi
    mkdir -p "$sdk"
    write_toolchain
    ensure_deb_src

    # OpenSSL: only libcrypto is linked (JWT signing); Qt's TLS on Windows is Schannel.
    if [ ! -f "$work/openssl.done" ]; then
        debian_source openssl "$work/openssl"
        (cd "$work/openssl" &&
            ./Configure mingw64 --cross-compile-prefix=$triple- --prefix="$sdk/openssl" \
                no-shared no-tests no-engine no-module &&
            make -j "$jobs" build_libs && make install_dev) >"$work/openssl.log" 2>&1 \
            || { tail -n 40 "$work/openssl.log" >&2; die "OpenSSL build failed"; }
        touch "$work/openssl.done"
        say "OpenSSL built ($((SECONDS - started)) s)"
    fi

    [ -d "$work/qtbase" ] || debian_source qt6-base "$work/qtbase"
    [ -f "$work/qtbase-build/build.ninja" ] || cmake -S "$work/qtbase" -B "$work/qtbase-build" -G Ninja -Wno-dev \
        -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$sdk" \
        -DBUILD_SHARED_LIBS=ON -DQT_HOST_PATH=/usr \
        -DQT_HOST_PATH_CMAKE_DIR=/usr/lib/x86_64-linux-gnu/cmake \
        -DQT_BUILD_EXAMPLES=OFF -DQT_BUILD_TESTS=OFF -DFEATURE_gui=OFF -DFEATURE_widgets=OFF \
        -DFEATURE_dbus=OFF -DFEATURE_sql=OFF -DFEATURE_printsupport=OFF -DFEATURE_opengl=OFF \
        -DFEATURE_system_zlib=OFF -DFEATURE_system_pcre2=OFF \
        -DFEATURE_system_doubleconversion=OFF -DFEATURE_icu=OFF \
        -DFEATURE_zstd=OFF -DFEATURE_brotli=OFF -DFEATURE_glib=OFF \
        -DFEATURE_openssl=ON -DFEATURE_openssl_linked=ON -DOPENSSL_USE_STATIC_LIBS=ON \
        -DOPENSSL_ROOT_DIR="$sdk/openssl" -DOPENSSL_INCLUDE_DIR="$sdk/openssl/include" \
        -DLIB_EAY="$sdk/openssl/lib64/libcrypto.a" -DSSL_EAY="$sdk/openssl/lib64/libssl.a" \
        >"$work/qtbase-configure.log"
    cmake --build "$work/qtbase-build" -j "$jobs" >"$work/qtbase-build.log" \
        || { tail -n 40 "$work/qtbase-build.log" >&2; die "qtbase build failed"; }
    cmake --install "$work/qtbase-build" >/dev/null
    # Qt's OpenSSL TLS backend is for the test programs only (see test_proxy): out of plugins/,
    # where every Qt program would find it, and out of the ZIP; the proxy uses Schannel. Its CMake
    # files go along, or Qt6Network's package would name a plugin that is not there.
    mkdir -p "$sdk/test-plugins/tls" "$sdk/test-plugins/cmake"
    mv -f "$sdk/plugins/tls/qopensslbackend.dll" "$sdk/test-plugins/tls/"
    mv -f "$sdk"/lib/cmake/Qt6Network/Qt6QTlsBackendOpenSSLPlugin*.cmake "$sdk/test-plugins/cmake/"
    say "qtbase built ($((SECONDS - started)) s)"

    local qt_toolchain=$sdk/lib/cmake/Qt6/qt.toolchain.cmake
    [ -d "$work/qtnetworkauth" ] || module_source qtnetworkauth qt6-networkauth "$work/qtnetworkauth"
    cmake -S "$work/qtnetworkauth" -B "$work/qtnetworkauth-build" -G Ninja -Wno-dev \
        -DCMAKE_TOOLCHAIN_FILE="$qt_toolchain" -DCMAKE_BUILD_TYPE=Release \
        -DQT_BUILD_EXAMPLES=OFF -DQT_BUILD_TESTS=OFF >/dev/null
    cmake --build "$work/qtnetworkauth-build" -j "$jobs" >/dev/null
    cmake --install "$work/qtnetworkauth-build" >/dev/null

    [ -d "$work/qtkeychain" ] || module_source qtkeychain qtkeychain "$work/qtkeychain"
    cmake -S "$work/qtkeychain" -B "$work/qtkeychain-build" -G Ninja -Wno-dev \
        -DCMAKE_TOOLCHAIN_FILE="$qt_toolchain" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_INSTALL_PREFIX="$sdk" -DBUILD_WITH_QT6=ON -DBUILD_TRANSLATIONS=OFF \
        -DBUILD_TEST_APPLICATION=OFF -DUSE_CREDENTIAL_STORE=ON >/dev/null
    cmake --build "$work/qtkeychain-build" -j "$jobs" >/dev/null
    cmake --install "$work/qtkeychain-build" >/dev/null

    rm -rf "$work"
    touch "$sdk/.complete"
    say "SDK built in $((SECONDS - started)) s: $sdk ($(du -sh "$sdk" | cut -f1))"
}

# configure_proxy <folder> <cmake options>...: the proxy's build for Windows against the SDK.
configure_proxy() {
    local dir=$1 launcher=()
    shift
    command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    cmake -S "$root" -B "$dir" -G Ninja -Wno-dev \
        -DCMAKE_TOOLCHAIN_FILE="$sdk/lib/cmake/Qt6/qt.toolchain.cmake" \
        -DQT_CHAINLOAD_TOOLCHAIN_FILE="$toolchain" "${launcher[@]}" \
        -DCMAKE_CROSSCOMPILING_EMULATOR=/usr/lib/wine/wine64 \
        -DOPENSSL_USE_STATIC_LIBS=ON -DOPENSSL_ROOT_DIR="$sdk/openssl" \
        -DLIB_EAY="$sdk/openssl/lib64/libcrypto.a" -DSSL_EAY="$sdk/openssl/lib64/libssl.a" \
        -DOPENSSL_INCLUDE_DIR="$sdk/openssl/include" "$@" >/dev/null
}

# The tests' build: dev (Debug, warnings are errors, asserts on), like the dev preset.
build_proxy() {
    [ -f "$sdk/.complete" ] || die "no SDK yet: run scripts/windows.sh sdk"
    configure_proxy "$build" -DCMAKE_BUILD_TYPE=Debug -DMCPPROXY_DEVELOPER_MODE=ON
    cmake --build "$build" -j "$jobs"
}

# What the ZIP ships: Release without tests, like the release preset.
build_release() {
    [ -f "$sdk/.complete" ] || die "no SDK yet: run scripts/windows.sh sdk"
    configure_proxy "$release" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF
    cmake --build "$release" -j "$jobs" --target mcp-oauth2-proxy mcp-demo-server mcp-test-browser
}

# Windows finds DLLs beside the .exe or on PATH; Wine's PATH gets WINEPATH. The tests use the
# prefix's own Windows Credential Store (MCPPROXY_TEST_KEYCHAIN=1): the prefix is a throw-away.
wine_path() {
    local dirs=("$sdk/bin" "${runtime_dirs[@]}") joined="" d
    for d in "${dirs[@]}"; do joined+="${joined:+;}$(winepath -w "$d" 2>/dev/null || echo "Z:${d//\//\\}")"; done
    echo "$joined"
}

start_wine() {
    if [ ! -f "$wineprefix/system.reg" ]; then
        say "creating the Wine prefix $wineprefix"
        mkdir -p "$wineprefix"
        wine wineboot -i >/dev/null 2>&1 || true
    fi
    wineserver -p30 >/dev/null 2>&1 || true # kept 30 s after the last program: one start-up
}

# Wine's Schannel has no server side (no AcceptSecurityContext): the test programs' HTTPS fakes
# use Qt's OpenSSL backend from the SDK's test-plugins (tests/support/fakehttpserver.cpp); the
# proxy's .exe keeps Schannel, the TLS client it ships with.
test_proxy() {
    start_wine
    WINEPATH=$(wine_path) \
    MCPPROXY_TEST_TLS_BACKEND=$(winepath -w "$sdk/test-plugins/tls/qopensslbackend.dll") \
    WINEQT_FORCE_STDERR_LOGGING=1 CTEST_OUTPUT_ON_FAILURE=1 MCPPROXY_TEST_KEYCHAIN=1 \
        ctest --test-dir "$build" -j "$jobs" --timeout 300 "$@"
}

# Where the build put an executable (qt_standard_project_setup gathers them in the build folder
# on Windows, beside the DLLs).
built() {
    local found
    found=$(find "${2:-$build}" -name "$1" -not -path '*/CMakeFiles/*' | head -n1)
    [ -n "$found" ] || die "$1 was not built"
    echo "$found"
}

package_zip() {
    local version stage zip
    version=$(sed -n 's/^ *VERSION \([0-9.]*\)$/\1/p' "$root/CMakeLists.txt" | head -n1)
    stage=$release/zip/mcp-oauth2-proxy-$version-windows-x86_64
    zip=$release/mcp-oauth2-proxy-$version-windows-x86_64.zip
    rm -rf "$release/zip" "$zip"
    mkdir -p "$stage/tls"
    cp "$(built mcp-oauth2-proxy.exe "$release")" "$(built mcp-demo-server.exe "$release")" "$stage/"
    cp "$sdk"/bin/{Qt6Core,Qt6Network,Qt6NetworkAuth}.dll "$sdk/bin/libqt6keychain.dll" "$stage/"
    cp "$sdk/plugins/tls/qschannelbackend.dll" "$stage/tls/"
    local dll dir found
    for dll in libstdc++-6.dll libgcc_s_seh-1.dll libwinpthread-1.dll; do
        found=""
        for dir in "${runtime_dirs[@]}"; do [ -f "$dir/$dll" ] && { found=$dir/$dll; break; }; done
        [ -n "$found" ] || die "MinGW runtime $dll not found"
        cp "$found" "$stage/"
    done
    find "$stage" \( -name '*.exe' -o -name '*.dll' \) -print0 | xargs -0 $triple-strip --strip-unneeded
    cp "$root/README.md" "$root/LICENSE" "$root/config.example.json" "$stage/"
    # Exactly these files, and no debug information left in any of them.
    local expected actual
    expected=$(printf '%s\n' mcp-oauth2-proxy.exe mcp-demo-server.exe Qt6Core.dll Qt6Network.dll \
        Qt6NetworkAuth.dll libqt6keychain.dll tls/qschannelbackend.dll libstdc++-6.dll \
        libgcc_s_seh-1.dll libwinpthread-1.dll README.md LICENSE config.example.json | sort)
    actual=$(cd "$stage" && find . -type f | sed 's|^\./||' | sort)
    [ "$actual" = "$expected" ] || die "the ZIP's files differ from the list:
$(diff <(echo "$expected") <(echo "$actual"))"
    local binary
    while IFS= read -r -d '' binary; do
        ! $triple-objdump -h "$binary" | grep -q ' \.debug_' || die "${binary#"$stage"/} is not stripped"
    done < <(find "$stage" \( -name '*.exe' -o -name '*.dll' \) -print0)
    # Every DLL an executable imports must be in the ZIP or part of Windows itself.
    local imports
    imports=$(find "$stage" \( -name '*.exe' -o -name '*.dll' \) -print0 | xargs -0 $triple-objdump -p \
        | sed -n 's/^\tDLL Name: //p' | sort -u)
    for dll in $imports; do
        [ -f "$stage/$dll" ] && continue
        case "${dll,,}" in
            kernel32.dll|user32.dll|advapi32.dll|shell32.dll|ole32.dll|ws2_32.dll|crypt32.dll|\
            secur32.dll|iphlpapi.dll|dnsapi.dll|netapi32.dll|userenv.dll|version.dll|winmm.dll|\
            mpr.dll|bcrypt.dll|ncrypt.dll|shlwapi.dll|oleaut32.dll|authz.dll|msvcrt.dll|winhttp.dll|\
            api-ms-win-*|rpcrt4.dll|gdi32.dll|uuid.dll|wtsapi32.dll|setupapi.dll) ;;
            *) die "$dll is imported but not in the ZIP" ;;
        esac
    done
    (cd "$release/zip" && zip -qr9 "$zip" "$(basename "$stage")")
    say "ZIP: $zip ($(du -h "$zip" | cut -f1))"
    check_zip "$zip"
}

# Unpacks the ZIP into a folder with a space and non-ASCII letters and runs the bundled demo from
# it under Wine with nothing but the ZIP's own DLLs (no WINEPATH): the demo server, then the proxy
# through a full session as scripts/demo.sh drives it (401, discovery, registration, the browser
# stand-in approving the login, token, tools/call, end of input).
check_zip() {
    local zip=$1 top app work status=0
    start_wine
    top=$(mktemp -d)
    mkdir -p "$top/Program Files Ünïcode" && unzip -q "$zip" -d "$top/Program Files Ünïcode"
    app=$(echo "$top/Program Files Ünïcode"/mcp-oauth2-proxy-*)
    env -u WINEPATH wine "$app/mcp-oauth2-proxy.exe" --version | grep -q '^mcp-oauth2-proxy ' \
        || die "the ZIP's exe does not run"
    work=$(mktemp -d)
    # The stand-in for the user's browser is a test program, not part of the ZIP: beside it here
    # only to find the ZIP's Qt DLLs.
    cp "$(built mcp-test-browser.exe "$release")" "$work/"
    cp "$app"/*.dll "$work/"
    run_demo "$app" "$work" || status=$?
    rm -rf "$top" "$work"
    [ "$status" -eq 0 ] || die "the demo does not run from the ZIP"
    say "the demo ran from the unpacked ZIP under Wine"
}

run_demo() {
    local app=$1 work=$2 url line server_pid
    env -u WINEPATH wine "$app/mcp-demo-server.exe" --port 0 --require-oauth \
        >"$work/server.url" 2>"$work/server.log" &
    server_pid=$!
    for _ in $(seq 300); do [ -s "$work/server.url" ] && break; sleep 0.1; done
    url=$(head -n1 "$work/server.url" | tr -d '\r')
    [ -n "$url" ] || { cat "$work/server.log" >&2; kill "$server_pid"; return 1; }
    say "demo server (from the ZIP) at $url"
    local browser report
    browser=$(winepath -w "$work/mcp-test-browser.exe")
    report=$(winepath -w "$work/browser.log")
    coproc DEMO { BROWSER="\"$browser\" --approve --report \"$report\"" \
        OAUTH2_TOKEN_CACHE_DIR="$(winepath -w "$work/tokens")" MCP_PROXY_KEYCHAIN=off \
        exec env -u WINEPATH wine "$app/mcp-oauth2-proxy.exe" "$url" 2>"$work/proxy.log"; }
    local ok=1 expect
    send() { printf '%s\n' "$1" >&"${DEMO[1]}"; printf 'host -> %s\n' "$1" >&2; }
    receive() {
        IFS= read -r -t 60 line <&"${DEMO[0]}" || { ok=0; return; }
        printf 'host <- %s\n' "${line:0:300}" >&2
        case "$line" in *"$expect"*) ;; *) ok=0 ;; esac
    }
    send '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"demo-host","version":"1.0"}}}'
    expect='"protocolVersion"'; receive
    send '{"jsonrpc":"2.0","method":"notifications/initialized"}'
    send '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello from Windows"}}}'
    expect='hello from Windows'; receive
    send '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"add","arguments":{"a":20,"b":22}}}'
    expect='42'; receive
    exec {DEMO[1]}>&-
    local status=0
    wait "$DEMO_PID" || status=$?
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    sed 's/^/  /' "$work/browser.log" >&2 2>/dev/null || true
    if [ "$ok" -ne 1 ] || [ "$status" -ne 0 ]; then
        say "demo failed (proxy exit $status); proxy log:"
        sed 's/^/  /' "$work/proxy.log" >&2
        return 1
    fi
}

# Runs a step and says how long it took (the README's numbers come from these lines).
timed() {
    local started=$SECONDS
    "$@"
    say "$1 took $((SECONDS - started)) s"
}

case "$what" in
    deps) ensure_deb_src ;;
    sdk) timed build_sdk ;;
    build) timed build_sdk; timed build_proxy ;;
    test) timed test_proxy "${@:2}" ;;
    zip) timed build_sdk; timed build_release; timed package_zip ;;
    all) timed build_sdk; timed build_proxy; timed test_proxy; timed build_release; timed package_zip ;;
    *) die "usage: scripts/windows.sh [deps|sdk|build|test|zip|all]" ;;
esac
