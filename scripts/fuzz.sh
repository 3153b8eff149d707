#!/usr/bin/env bash
# Builds the libFuzzer targets with the "fuzz" CMake preset (clang++, ASan+UBSan) into build/fuzz
# and runs every tests/fuzz/fuzz_*.cpp target for FUZZ_SECONDS (default 60) seconds on a temporary
# copy of its seed corpus, so the repository corpus stays small. Exits non-zero on any finding
# (crash, sanitizer report, leak, timeout, out-of-memory); reproducers are kept under
# build/fuzz/artifacts/<target>/.
#
# Usage: bash scripts/fuzz.sh [target...]     e.g. FUZZ_SECONDS=10 bash scripts/fuzz.sh fuzz_sseparser
# Extra libFuzzer flags can be given in FUZZ_ARGS (e.g. FUZZ_ARGS="-jobs=2 -workers=2").
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${FUZZ_SECONDS:-60}
build="$root/build/fuzz"

if ! command -v clang++ >/dev/null 2>&1; then
    echo "fuzz.sh: clang++ is needed for libFuzzer (apt install clang)" >&2
    exit 2
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for source in "$root"/tests/fuzz/fuzz_*.cpp; do
        targets+=("$(basename "$source" .cpp)")
    done
fi

cd "$root"
cmake --preset fuzz
cmake --build --preset fuzz --target "${targets[@]}"

work=$(mktemp -d "${TMPDIR:-/tmp}/mcpproxy-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

failed=()
cd "$work" # libFuzzer writes its -jobs logs into the current directory
for target in "${targets[@]}"; do
    binary="$build/tests/fuzz/$target"
    if [ ! -x "$binary" ]; then
        echo "fuzz.sh: $binary was not built" >&2
        failed+=("$target")
        continue
    fi
    corpus="$work/$target"
    mkdir -p "$corpus"
    seeds="$root/tests/fuzz/corpus/${target#fuzz_}"
    if [ -d "$seeds" ]; then
        cp -R "$seeds"/. "$corpus"/
    fi
    artifacts="$build/artifacts/$target"
    mkdir -p "$artifacts"

    echo "== $target: ${seconds}s"
    # shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
    if ! "$binary" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 \
            -print_final_stats=1 -artifact_prefix="$artifacts/" ${FUZZ_ARGS:-} "$corpus"; then
        failed+=("$target")
    fi
done

if [ ${#failed[@]} -ne 0 ]; then
    echo "fuzz.sh: findings in: ${failed[*]} (reproducers in $build/artifacts/)" >&2
    exit 1
fi
echo "fuzz.sh: no findings in ${targets[*]}"
