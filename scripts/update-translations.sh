#!/usr/bin/env bash
# For developers: regenerates translations/*.ts from the tr() texts in src/ with lupdate (the
# CMake update_translations target of translations/CMakeLists.txt). Run it after adding or
# changing a user-facing text, translate the new entries (e.g. linguist
# translations/mcp-oauth2-proxy_ru.ts), and commit the .ts files. The build itself never runs
# lupdate: lrelease turns the committed .ts files into .qm files at build time.
# Usage: scripts/update-translations.sh [build-dir]   (default: build/dev, the dev preset)
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build/dev}
if [ ! -f "$build/CMakeCache.txt" ]; then
    if [ "$build" = build/dev ]; then
        cmake --preset dev >/dev/null
    else
        cmake -S . -B "$build" -G Ninja >/dev/null
    fi
fi
cmake --build "$build" --target update_translations

status=0
for ts in translations/*.ts; do
    unfinished=$(grep -c 'type="unfinished"' "$ts" || true)
    if [ "$unfinished" -gt 0 ]; then
        echo "$ts: $unfinished message(s) still to translate" >&2
        status=1
    fi
done
exit $status
