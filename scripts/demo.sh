#!/usr/bin/env bash
# The README's first command: install what is missing, build, start the bundled demo MCP server
# on loopback (it requires an OAuth access token and serves its own authorization server), and
# drive one MCP session through the proxy exactly as a host would (the proxy is spawned with
# pipes for stdin/stdout): initialize, tools/list, tools/call. The first request gets a 401: the
# proxy discovers the authorization server, registers itself, and opens the "browser"
# (scripts/demo-browser.sh stands in for you logging in), then everything flows with the token.
# Every JSON-RPC line that crosses the proxy's stdio is printed: "host →" what the host writes,
# "host ←" what it reads; the proxy's own log (stderr) follows.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh build
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc 2>/dev/null || echo 2)"

proxy=build/release/src/mcp-oauth2-proxy
server=build/release/tests/support/mcp-demo-server
work=$(mktemp -d)
cleanup() {
    [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

"$server" --port 0 --require-oauth >"$work/server.url" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/server.url" ] && break; sleep 0.05; done
url=$(head -n1 "$work/server.url")
[ -n "$url" ] || { echo "demo server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }
echo "demo MCP server listening at $url"
echo "starting: $proxy $url"
echo

export BROWSER="$PWD/scripts/demo-browser.sh" DEMO_BROWSER_LOG="$work/browser.log"
# The demo's tokens go to a scratch store, never to your own login store or keychain.
export OAUTH2_TOKEN_CACHE_DIR="$work/tokens" MCP_PROXY_KEYCHAIN=off
coproc PROXY { exec "$proxy" "$url" 2>"$work/proxy.log"; }
send() { printf '%s\n' "$1" >&"${PROXY[1]}"; printf '\033[36mhost →\033[0m %s\n' "$1"; }
receive() {
    local line
    IFS= read -r -t 10 line <&"${PROXY[0]}" || { echo "no answer from the proxy" >&2; cat "$work/proxy.log" >&2; exit 1; }
    [ ${#line} -gt 400 ] && line="${line:0:400}…"
    printf '\033[32mhost ←\033[0m %s\n' "$line"
}

send '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"demo-host","version":"1.0"}}}'
receive
send '{"jsonrpc":"2.0","method":"notifications/initialized"}'
send '{"jsonrpc":"2.0","id":2,"method":"tools/list"}'
receive
send '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello through mcp-oauth2-proxy"}}}'
receive
send '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"add","arguments":{"a":20,"b":22}}}'
receive
send 'this line is not JSON'
receive

exec {PROXY[1]}>&-   # end of input: the proxy finishes, DELETEs the session and exits 0
wait "$PROXY_PID" && status=0 || status=$?
echo
echo "the browser stand-in:"
sed 's/^/  /' "$work/browser.log" 2>/dev/null || true
echo "proxy exited with status $status; its log (stderr):"
sed 's/^/  /' "$work/proxy.log"
echo "what the token store now holds (mcp-oauth2-proxy status):"
"$proxy" status "$url" 2>/dev/null | sed 's/^/  /'
echo "demo server saw:"
sed 's/^/  /' "$work/server.log"
exit "$status"
