#!/usr/bin/env bash
# Static analysis of src/: clang-tidy with the repository's .clang-tidy, and clazy for Qt-specific
# mistakes (CLAZY_CHECKS below). Both read build/dev/compile_commands.json (the dev preset; the
# sources are parsed, nothing is compiled). Every warning is a finding and fails the run; the
# findings are printed once each, then counted per folder of src/.
# Usage: scripts/static-analysis.sh [all|tidy|clazy] [file.cpp...]   (default: all, every src/ file)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-all}
[ $# -gt 0 ] && shift
case "$mode" in all | tidy | clazy) ;; *) echo "usage: $0 [all|tidy|clazy] [file.cpp...]" >&2; exit 2 ;; esac
jobs=$(nproc 2>/dev/null || echo 2)

# level0 + level1 (stable, rare false positives) and the checks of level2 and of the manual set
# that find real mistakes in this code base: connections, argument passing, iterators, environment
# access outside the configuration loader, timers. Left out on purpose:
# - qstring-ref (level0): suggests midRef() and QStringRef, which Qt 6 removed.
# - missing-qobject-macro (level2): flags QObject subclasses without signals, slots or casts
#   (TlsNetworkAccessManager), where a meta-object adds nothing.
# - detaching-member (manual): members here are not shared, so a non-const call does not copy; it
#   flags every intended write (QByteArray::data() as the buffer of read(2)).
CLAZY_CHECKS=level0,level1,no-qstring-ref,old-style-connect,virtual-call-ctor,static-pmf
CLAZY_CHECKS+=,returning-void-expression,function-args-by-ref,assert-with-side-effects
CLAZY_CHECKS+=,signal-with-return-value,thread-with-slots,tr-non-literal,container-inside-loop
CLAZY_CHECKS+=,raw-environment-function,unexpected-flag-enumerator-value
CLAZY_CHECKS+=,use-arrow-operator-instead-of-data

bash scripts/deps.sh test
for tool in clang-tidy clazy-standalone; do
    command -v "$tool" >/dev/null || { echo "static analysis: $tool is missing" >&2; exit 1; }
done
build=build/dev
# Only the compile commands are needed: no source of src/ includes moc output.
[ -f "$build/compile_commands.json" ] || cmake --preset dev >/dev/null

if [ $# -gt 0 ]; then
    files=("$@")
else
    # The sources of src/ this platform compiles (not the _win.cpp ones, nor moc output).
    mapfile -t files < <(grep -o "\"file\": \"$PWD/src/[^\"]*\.cpp\"" "$build/compile_commands.json" \
        | sed -E "s|^\"file\": \"$PWD/||; s|\"$||" | sort -u)
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# One tool on one file, its diagnostics into $SA_OUT. The compile commands are GCC's: flags clang
# does not know are warnings to silence, not findings; qCDebug(category) without arguments is fine
# for GCC and for the clang builds (cmake/CompilerSettings.cmake).
analyse() {
    local tool=$1 file=$2
    local extra=(--extra-arg=-Wno-unknown-warning-option
                 --extra-arg=-Wno-ignored-optimization-argument
                 --extra-arg=-Wno-gnu-zero-variadic-macro-arguments)
    if [ "$tool" = tidy ]; then
        clang-tidy --quiet -p "$SA_BUILD" "${extra[@]}" "$file"
    else
        clazy-standalone -p "$SA_BUILD" "${extra[@]}" --checks="$SA_CHECKS" \
            --header-filter='src/.*' --ignore-dirs=_autogen "$file"
    fi >"$SA_OUT/$tool.$(echo "$file" | tr / _).log" 2>&1 || true
}
export -f analyse
export SA_BUILD=$build SA_OUT=$out SA_CHECKS=$CLAZY_CHECKS

for tool in tidy clazy; do
    [ "$mode" = all ] || [ "$mode" = "$tool" ] || continue
    start=$SECONDS
    printf '%s\n' "${files[@]}" | xargs -P "$jobs" -I{} bash -c 'analyse "$1" "$2"' _ "$tool" {}
    echo "$tool: ${#files[@]} files in $((SECONDS - start)) s" >&2
done

# One line per finding ("src/x/y.cpp:12:5: warning: text [check]"), headers reported once even
# when several files include them; notes and code excerpts are left out.
cat "$out"/*.log 2>/dev/null \
    | grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error): ' \
    | sed -E "s|^$PWD/||" \
    | grep -v '_autogen/' \
    | sort -u >"$out/findings" || true
count=$(wc -l <"$out/findings")
if [ "$count" -eq 0 ]; then
    echo "static analysis: no findings"
    exit 0
fi
echo "=== findings ==="
cat "$out/findings"
echo "=== per folder ==="
sed -E 's|^(src/[^/]+)/.*|\1|; t; s|:.*||' "$out/findings" | sort | uniq -c
echo "static analysis: $count findings" >&2
exit 1
