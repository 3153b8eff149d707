#!/usr/bin/env bash
# Installs what building, the demo and the tests need on Debian 12 / Ubuntu, only if missing.
# Usage: scripts/deps.sh [build|test]
# (test adds clang/libFuzzer, clang-tidy, clazy, Node.js, npm, Chromium and a keyring)
set -euo pipefail

want=(cmake ninja-build g++ pkg-config curl qt6-base-dev qt6-networkauth-dev qt6-tools-dev
      qt6-tools-dev-tools qt6-l10n-tools qtkeychain-qt6-dev libssl-dev)
if [ "${1:-build}" = test ]; then
    want+=(clang libclang-rt-14-dev clang-format clang-tidy clazy nodejs npm chromium dbus-daemon
           gnome-keyring)
fi

missing=()
for pkg in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# npm may come from elsewhere (e.g. NodeSource's nodejs bundles it): accept any working npm.
if command -v npm >/dev/null 2>&1; then
    filtered=()
    for pkg in "${missing[@]}"; do [ "$pkg" = npm ] || [ "$pkg" = nodejs ] || filtered+=("$pkg"); done
    missing=("${filtered[@]+"${filtered[@]}"}")
fi
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "deps: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
