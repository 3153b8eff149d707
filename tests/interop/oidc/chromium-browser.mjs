#!/usr/bin/env node
// The proxy's $BROWSER for ../chromium.test.mjs:
//
//   chromium-browser.mjs <authorization URL>
//
// Hands the URL to the test, which owns a headless Chromium (playwright-core) and opens it there:
// POSTs it as text/plain to $CHROMIUM_OPEN_URL (http://127.0.0.1:<port>/open, served by the test)
// and exits 0 when the test answered 2xx, else 1. Only loopback URLs are accepted as the endpoint.
// Nothing is printed: the URL carries the state and the PKCE challenge.

const TIMEOUT_MS = 10000;

const target = process.argv[2];
const endpoint = process.env.CHROMIUM_OPEN_URL;
if (!target || !endpoint) {
    process.stderr.write('usage: CHROMIUM_OPEN_URL=http://127.0.0.1:<port>/open chromium-browser.mjs <url>\n');
    process.exit(2);
}
if (new URL(endpoint).hostname !== '127.0.0.1') {
    process.stderr.write('chromium-browser.mjs: CHROMIUM_OPEN_URL must be on 127.0.0.1\n');
    process.exit(2);
}
try {
    const response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain; charset=utf-8' },
        body: target,
        signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    process.exit(response.ok ? 0 : 1);
} catch (e) {
    process.stderr.write(`chromium-browser.mjs: ${e.message}\n`);
    process.exit(1);
}
