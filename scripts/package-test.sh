#!/usr/bin/env bash
# The Debian package as a maintainer and a newcomer meet it: builds the release binary and the
# .deb (cmake --preset release, cpack -G DEB), then
#   1. lintian: no error and no warning;
#   2. hardening-check on the packaged binary (PIE, stack protector, _FORTIFY_SOURCE, RELRO,
#      BIND_NOW, CET), stack-clash protection in the compile commands, no RUNPATH;
#   3. a fresh Debian 12 (bookworm) chroot made by debootstrap from this machine's Debian mirror:
#      `apt-get install ./the.deb` resolves the declared dependencies, `--version` runs, the
#      Russian `--help` is embedded, a whole MCP session runs through the installed proxy against
#      the demo server (which runs outside the chroot on loopback, with the browser stand-in of
#      scripts/demo.sh: the proxy logs in on the first 401), and `apt-get purge` plus autoremove
#      leave the file system exactly as it was before the installation.
# Needs root (debootstrap, chroot, mount) on Debian 12; installs what it needs with apt-get.
# Downloaded packages are cached in $PACKAGE_TEST_CACHE (default ~/.cache/mcp-oauth2-proxy/
# debootstrap); the chroot itself is always new and deleted at the end (KEEP_CHROOT=1 keeps it).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
step() { printf '\n--- %s (%d s)\n' "$*" $((SECONDS - started)); }
fail() { echo "package-test: FAILED: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "run as root (debootstrap and chroot need it)"

step "dependencies"
bash scripts/deps.sh build
want=(lintian devscripts debootstrap help2man dpkg-dev fakeroot curl)
missing=()
for pkg in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "package-test: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

step "release build and .deb"
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc 2>/dev/null || echo 2)"
build=build/release
rm -f "$build"/mcp-oauth2-proxy_*.deb
(cd "$build" && cpack -G DEB >/dev/null)
deb=$(ls "$build"/mcp-oauth2-proxy_*.deb)
deb=$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")
echo "$deb"
dpkg-deb --info "$deb" | sed -n '/Package:/,$p'
dpkg-deb --contents "$deb" | awk '{print "  " $1, $6}'

work=$(mktemp -d)
root=$work/chroot
cleanup() {
    [ -n "${browser_pid:-}" ] && kill "$browser_pid" 2>/dev/null || true
    [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null || true
    for m in proc dev/pts; do mountpoint -q "$root/$m" 2>/dev/null && umount "$root/$m"; done
    if [ "${KEEP_CHROOT:-}" = 1 ]; then echo "chroot kept in $root"; else rm -rf "$work"; fi
}
trap cleanup EXIT

step "lintian"
lintian --fail-on error,warning --display-info "$deb" || fail "lintian"
echo "lintian: no errors, no warnings"

step "hardening"
dpkg-deb -x "$deb" "$work/extracted"
binary=$work/extracted/usr/bin/mcp-oauth2-proxy
# CET: the linker marks a program IBT/SHSTK only when every object has the mark, and Debian 12's
# own start files (libc6-dev's Scrt1.o, crti.o, crtn.o) do not, so no bookworm program has it.
# There, each of our objects must have it instead (from -fcf-protection); elsewhere, the binary.
cet_option=()
crt=$(gcc -print-file-name=Scrt1.o)
if ! readelf -n "$crt" | grep -q 'x86 feature: IBT, SHSTK'; then
    cet_option=(--nocfprotection)
    while IFS= read -r object; do
        readelf -n "$object" | grep -q 'x86 feature: IBT, SHSTK' || fail "$object: not built with CET"
    done < <(find "$build/src" "$build/translations" -name '*.o')
    echo "CET: every object of the binary has IBT and SHSTK; $crt has not, so the binary cannot"
fi
# _FORTIFY_SOURCE turns a call into its checked __*_chk form only where the compiler knows the
# buffer's size; a binary with no such call imports no __*_chk function and hardening-check says
# "no" (lintian's info tag hardening-no-fortify-functions, a known false positive). Then every
# object must be compiled with it (and optimised, which it needs) instead.
fortify_option=()
if ! nm -D --undefined-only "$binary" | grep -v '__stack_chk_fail' | grep -q '_chk@'; then
    fortify_option=(--nofortify)
    commands=$(grep -c '"command"' "$build/compile_commands.json")
    [ "$(grep -cE -- '-D_FORTIFY_SOURCE=[23].* -O[23s]|-O[23s].* -D_FORTIFY_SOURCE=[23]' \
        "$build/compile_commands.json")" -eq "$commands" ] \
        || fail "not every object is built with -D_FORTIFY_SOURCE and optimisation"
    echo "_FORTIFY_SOURCE: every object built with it; no call in the binary has a checked form"
fi
hardening-check "${cet_option[@]}" "${fortify_option[@]}" "$binary" || fail "hardening-check"
if readelf -d "$binary" | grep -E 'RUNPATH|RPATH'; then fail "the binary has a RUNPATH"; fi
# hardening-check only finds stack-clash probes in functions with frames over a page.
commands=$(grep -c '"command"' "$build/compile_commands.json")
[ "$(grep -c -- '-fstack-clash-protection' "$build/compile_commands.json")" -eq "$commands" ] \
    || fail "not every object is built with -fstack-clash-protection"
echo "no RUNPATH; every object compiled with -fstack-clash-protection"

step "debootstrap Debian 12 (bookworm)"
# The mirror this machine's apt uses (deb822 or one-line format).
uris() { cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list /etc/apt/sources.list 2>/dev/null \
    | awk '$1 == "URIs:" || ($1 == "deb" && $2 !~ /^\[/) {print $2} $1 == "deb" && $2 ~ /^\[/ {print $3}'; }
mirror=$(uris | grep -v security | grep -m1 debian || true)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
security=$(uris | grep security | head -n1 || true)
cache=${PACKAGE_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mcp-oauth2-proxy/debootstrap}
mkdir -p "$cache"
echo "mirror $mirror${security:+, security $security}"
debootstrap --variant=minbase --cache-dir="$cache" bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 30 "$work/debootstrap.log" >&2; fail "debootstrap"; }
{
    echo "deb $mirror bookworm main"
    echo "deb $mirror bookworm-updates main"
    [ -z "$security" ] || echo "deb $security bookworm-security main"
} >"$root/etc/apt/sources.list"
mount -t proc proc "$root/proc"
in_chroot() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }
in_chroot apt-get update -qq
# The file system before the package, to compare with after the purge.
snapshot() {
    in_chroot find / -xdev \( -path /proc -o -path /tmp -o -path /var/cache/apt -o -path /var/lib/apt \
        -o -path /var/lib/dpkg -o -path /var/log -o -path /root \) -prune -o -print | sort
}
snapshot >"$work/before.txt"

step "apt-get install ./$(basename "$deb")"
cp "$deb" "$root/tmp/"
in_chroot env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "/tmp/$(basename "$deb")" >"$work/install.log" 2>&1 || { cat "$work/install.log" >&2; fail "install"; }
in_chroot dpkg -L mcp-oauth2-proxy | sed 's/^/  /'
version=$(in_chroot mcp-oauth2-proxy --version)
echo "--version: $version"
[[ $version == "mcp-oauth2-proxy $(dpkg-deb -f "$deb" Version | cut -d- -f1)" ]] || fail "--version"
in_chroot env LANG=ru_RU.UTF-8 mcp-oauth2-proxy --help | grep -q 'Использование' || fail "Russian --help"
echo "Russian --help: embedded"
[ -f "$root/usr/share/man/man1/mcp-oauth2-proxy.1.gz" ] || fail "no man page"

step "an MCP session through the installed proxy"
"$build/tests/support/mcp-demo-server" --port 0 --require-oauth >"$work/server.url" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/server.url" ] && break; sleep 0.05; done
url=$(head -n1 "$work/server.url")
[ -n "$url" ] || { cat "$work/server.log" >&2; fail "the demo server did not start"; }
# The browser: inside the chroot a stand-in hands the URL out; outside, scripts/demo-browser.sh
# plays the user (as on a desktop, the browser is not part of the package's world).
mkdir -p "$root/tmp/browser"
cat >"$root/tmp/browser/open" <<'EOF'
#!/bin/sh
printf '%s\n' "$1" >/tmp/browser/url.part && mv /tmp/browser/url.part /tmp/browser/url
EOF
chmod 755 "$root/tmp/browser/open"
(
    for _ in $(seq 600); do [ -s "$root/tmp/browser/url" ] && break; sleep 0.1; done
    [ -s "$root/tmp/browser/url" ] && DEMO_BROWSER_LOG="$work/browser.log" \
        bash scripts/demo-browser.sh "$(cat "$root/tmp/browser/url")"
) &
browser_pid=$!
coproc PROXY {
    exec chroot "$root" env -i PATH=/usr/bin:/bin HOME=/root LANG=C.UTF-8 BROWSER=/tmp/browser/open \
        OAUTH2_TOKEN_CACHE_DIR=/tmp/tokens MCP_PROXY_KEYCHAIN=off \
        /usr/bin/mcp-oauth2-proxy "$url" 2>"$work/proxy.log"
}
send() { printf '%s\n' "$1" >&"${PROXY[1]}"; }
expect() { # the answer to request id $1: a result
    local line
    IFS= read -r -t 60 line <&"${PROXY[0]}" || { cat "$work/proxy.log" "$work/browser.log" >&2; fail "no answer"; }
    printf '  host ← %.200s\n' "$line"
    [[ $line == *"\"id\":$1,"* && $line == *'"result":'* ]] || { cat "$work/proxy.log" >&2; fail "no result for id $1"; }
}
send '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"package-test","version":"1"}}}'
expect 1
send '{"jsonrpc":"2.0","method":"notifications/initialized"}'
send '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"add","arguments":{"a":20,"b":22}}}'
expect 2
exec {PROXY[1]}>&-
wait "$PROXY_PID" || fail "the proxy exited with status $?"
wait "$browser_pid" || true
browser_pid=
grep -q 'landed on' "$work/browser.log" || fail "the browser login did not happen"
echo "session: initialize + tools/call answered after a browser login; proxy exit status 0"

step "purge"
in_chroot env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq --autoremove mcp-oauth2-proxy \
    >"$work/purge.log" 2>&1 || { cat "$work/purge.log" >&2; fail "purge"; }
status=$(in_chroot dpkg-query -W -f='${Status}' mcp-oauth2-proxy 2>/dev/null || true)
[ -z "$status" ] || [[ $status == *not-installed ]] || fail "dpkg still lists the package: $status"
snapshot >"$work/after.txt"
diff "$work/before.txt" "$work/after.txt" || fail "purge left files behind (or removed some): see the diff"
echo "purge: the chroot's file system is as before the installation"

step "package test passed in $((SECONDS - started)) s"
