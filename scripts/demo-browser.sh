#!/usr/bin/env bash
# The demo's stand-in for a web browser and its user (set as $BROWSER by scripts/demo.sh): it
# opens the authorization URL the proxy hands it, reads the demo authorization server's consent
# page, "clicks" Approve, and follows the redirect to the proxy's loopback callback, whose page
# it shows. Everything it sees goes to $DEMO_BROWSER_LOG (the proxy gives it no stdout).
set -u
log=${DEMO_BROWSER_LOG:-/dev/null}
url=$1
origin=$(printf '%s' "$url" | sed -E 's#^(https?://[^/]+).*#\1#')
path=$(printf '%s' "$url" | sed -E 's#^https?://[^/]+([^?]*).*#\1#')
printf 'browser: GET %s%s?…\n' "$origin" "$path" >>"$log"
page=$(curl -sS --max-time 10 "$url" 2>>"$log")
title=$(printf '%s' "$page" | sed -nE 's#.*<title>([^<]*)</title>.*#\1#p')
text=$(printf '%s' "$page" | sed -nE 's#.*<p>([^<]*)</p>.*#\1#p' | sed 's/&quot;/"/g')
printf 'browser: consent page "%s": %s\n' "$title" "$text" >>"$log"
approve=$(printf '%s' "$page" | grep -oE 'id="approve" href="[^"]*"' | sed -E 's#.*href="([^"]*)"#\1#; s#&amp;#\&#g')
[ -n "$approve" ] || { printf 'browser: no Approve link\n' >>"$log"; exit 1; }
printf 'browser: the user clicks Approve\n' >>"$log"
landing=$(curl -sS -L --max-redirs 5 --max-time 10 -w '\n%{url_effective} %{http_code}' "$origin$path$approve" 2>>"$log")
last=$(printf '%s' "$landing" | tail -n1)
result=$(printf '%s' "$landing" | sed -nE 's#.*<h1>([^<]*)</h1>.*#\1#p' | head -n1)
printf 'browser: landed on %s (HTTP %s): "%s"\n' "$(printf '%s' "${last% *}" | sed -E 's#\?.*#?…#')" \
    "${last##* }" "$result" >>"$log"
