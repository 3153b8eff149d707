#!/usr/bin/env node
// A headless, cookie-keeping stand-in for the user's browser, for the proxy's $BROWSER:
//
//   browser.mjs <authorization URL>
//
// GETs the URL and follows every redirect by hand (at most 20), keeping cookies the way a browser
// does (RFC 6265: Path, Max-Age, Expires; host-only), because oidc-provider's interaction and
// resume steps are bound to the cookies it sets along the way (/auth -> /interaction/:uid ->
// /auth/:uid -> ... -> the proxy's loopback redirect_uri with ?code&state&iss).
//
// Every hop is appended to $OIDC_BROWSER_LOG (default: stderr, which the proxy discards) as
// "GET <origin><path>?<parameter names> -> <status> <next origin+path>": query values (the
// authorization code, state, PKCE challenge) and cookie values are never written.
// Exit status 0 when the last response is a 2xx, else 1.

import { appendFileSync } from 'node:fs';

import { CookieJar } from './cookie-jar.mjs';

const MAX_HOPS = 20;
const TIMEOUT_MS = 15000;

const log = line => {
    const text = `[oidc-browser] ${line}\n`;
    if (process.env.OIDC_BROWSER_LOG) appendFileSync(process.env.OIDC_BROWSER_LOG, text);
    else process.stderr.write(text);
};

/** origin + path + the names (not the values) of the query parameters */
const describe = url => {
    const u = new URL(url);
    const names = [...new Set(u.searchParams.keys())];
    return `${u.origin}${u.pathname}${names.length ? `?${names.join('&')}` : ''}`;
};

const jar = new CookieJar();
let url = process.argv[2];
if (!url) {
    log('usage: browser.mjs <url>');
    process.exit(2);
}
try {
    for (let hop = 0; ; ++hop) {
        if (hop >= MAX_HOPS) throw new Error(`more than ${MAX_HOPS} redirects`);
        const cookie = jar.header(url);
        const sent = jar.names(url);
        const response = await fetch(url, {
            redirect: 'manual',
            headers: { ...(cookie ? { Cookie: cookie } : {}), Accept: 'text/html' },
            signal: AbortSignal.timeout(TIMEOUT_MS),
        });
        jar.store(url, response.headers.getSetCookie());
        const location = response.headers.get('location');
        const next = response.status >= 300 && response.status < 400 && location ? new URL(location, url).toString() : undefined;
        log(
            `GET ${describe(url)}${sent.length ? ` [cookies ${sent.join(',')}]` : ''} -> ${response.status}` +
                `${next ? ` ${describe(next)}` : ''}`,
        );
        if (!next) {
            const body = await response.text();
            if (response.status < 200 || response.status >= 300) {
                // error pages of oidc-provider and of the proxy carry no credentials
                log(`final page: ${body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 300)}`);
                process.exit(1);
            }
            break;
        }
        url = next;
    }
} catch (e) {
    log(`failed: ${e.message}`);
    process.exit(1);
}
