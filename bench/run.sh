#!/usr/bin/env bash
# Benchmark: our proxy against mcp-oauth2-proxy 0.2.0 (npm), mcp-remote 0.15.1 (npm) and a
# direct HTTP client, on the same upstream (mcp-demo-server). Prints a markdown table and
# writes it to bench/results/latest.md (and the raw numbers to latest.json).
#
#   bash bench/run.sh                 # build the release preset, npm ci, run everything (~2 min plus the build)
#   bash bench/run.sh --quick         # fewer iterations, for trying the bench itself
#   bash bench/run.sh --only direct,ours
#   bash bench/run.sh --field         # the field bench instead (field.mjs: TLS, added RTT, HTTP/2,
#                                     # the SDK server, the bare-QNAM floor; ~5 min), options after it
#
# Environment:
#   BENCH_PROXY=path   use this mcp-oauth2-proxy binary instead of building the release preset
#   BENCH_DEMO=path    use this mcp-demo-server binary (default: next to BENCH_PROXY's build,
#                      else build/release/tests/support/mcp-demo-server)
#   BENCH_NICE=n       run the bench at this niceness (e.g. -10 as root on a shared machine, so
#                      other work disturbs the numbers less; the report says so)
# Needs: cmake, ninja, Qt 6.4+ (for the build), Node 20+ and npm, Linux /proc; perf is optional.
set -euo pipefail

bench_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
field=0
if [ "${1:-}" = --field ]; then
    field=1
    shift
fi
repo_dir="$(cd "${bench_dir}/.." && pwd)"

node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "${node_major}" -lt 20 ]; then
    echo "bench: Node 20 or newer is needed (found: $(node --version 2>/dev/null || echo none))" >&2
    exit 1
fi
if [ "$(getconf CLK_TCK)" != 100 ]; then
    echo "bench: the driver assumes CLK_TCK=100 for /proc/<pid>/stat; this system has $(getconf CLK_TCK)" >&2
    exit 1
fi

if [ -z "${BENCH_PROXY:-}" ]; then
    echo "bench: building the release preset" >&2
    (cd "${repo_dir}" && cmake --preset release >&2 \
        && cmake --build --preset release --target mcp-oauth2-proxy mcp-demo-server >&2)
    proxy="${repo_dir}/build/release/src/mcp-oauth2-proxy"
    demo="${BENCH_DEMO:-${repo_dir}/build/release/tests/support/mcp-demo-server}"
else
    proxy="$(cd "$(dirname "${BENCH_PROXY}")" && pwd)/$(basename "${BENCH_PROXY}")"
    if [ -n "${BENCH_DEMO:-}" ]; then
        demo="${BENCH_DEMO}"
    else
        # <build>/src/mcp-oauth2-proxy -> <build>/tests/support/mcp-demo-server
        demo="$(dirname "$(dirname "${proxy}")")/tests/support/mcp-demo-server"
        [ -x "${demo}" ] || demo="${repo_dir}/build/release/tests/support/mcp-demo-server"
    fi
fi
for exe in "${proxy}" "${demo}"; do
    if [ ! -x "${exe}" ]; then
        echo "bench: ${exe} is missing or not executable" >&2
        exit 1
    fi
done

# npm ci only when node_modules does not match package-lock.json.
if [ ! -f "${bench_dir}/node_modules/.package-lock.json" ] \
        || [ "${bench_dir}/package-lock.json" -nt "${bench_dir}/node_modules/.package-lock.json" ]; then
    echo "bench: npm ci" >&2
    (cd "${bench_dir}" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi

if ! command -v perf >/dev/null 2>&1; then
    echo "bench: perf not found; the perf stat rows stay empty (Debian: apt-get install linux-perf)" >&2
fi

run=()
if [ -n "${BENCH_NICE:-}" ]; then
    run=(nice -n "${BENCH_NICE}")
fi
if [ "${field}" = 1 ]; then
    echo "bench: building the bare-QNAM floor (bench/floor)" >&2
    (cd "${repo_dir}" && cmake -S bench/floor -B build/bench-floor -G Ninja -DCMAKE_BUILD_TYPE=Release >&2 \
        && cmake --build build/bench-floor >&2)
    "${run[@]}" node "${bench_dir}/field.mjs" --proxy "${proxy}" --floor "${repo_dir}/build/bench-floor/qnam-floor" "$@"
    exit
fi
"${run[@]}" node "${bench_dir}/driver.mjs" --proxy "${proxy}" --demo "${demo}" "$@"
# The HTTP/2-over-TLS row (Node's http2 upstream), appended to the table.
echo "bench: HTTP/2 over TLS (h2.mjs)" >&2
mkdir -p "${bench_dir}/results"
"${run[@]}" node "${bench_dir}/h2.mjs" --proxy "${proxy}" | tee -a "${bench_dir}/results/latest.md"
