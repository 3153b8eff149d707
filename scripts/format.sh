#!/usr/bin/env bash
# Formats every tracked C++ file in place with the repository's .clang-format (clang-format 14);
# with --check, only reports (what CI runs).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = --check ]; then
    git ls-files -z -- '*.cpp' '*.h' | xargs -0 clang-format --dry-run --Werror
else
    git ls-files -z -- '*.cpp' '*.h' | xargs -0 clang-format -i
fi
