#!/usr/bin/env bash
# The demo's stand-in for a web browser (set as $BROWSER by scripts/demo.sh): "opens" the
# authorization URL the proxy hands it by following the redirects with curl, as a browser would
# after the user logged in and consented, which lands on the proxy's loopback callback.
set -u
log=${DEMO_BROWSER_LOG:-/dev/null}
printf 'browser: opening %s\n' "${1%%\?*}?…" >>"$log"
curl -sS -L --max-redirs 5 -o /dev/null -w 'browser: landed on %{url_effective} (HTTP %{http_code})\n' "$1" 2>>"$log" \
    | sed -E 's/\?[^ ]*/?…/' >>"$log"
