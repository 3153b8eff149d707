// A real browser through a real authorization server's pages to the proxy's loopback callback:
// headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core, which never downloads
// a browser of its own) fills oidc-provider's login form and clicks through its consent page
// (provider.mjs with interactions 'pages': oidc-provider's devInteractions), then lands on the
// proxy's http://127.0.0.1:<port>/callback and its success or failure page. Upstream is the
// SDK-built MCP server of oidc/mcp-server.mjs; the MCP host is the SDK Client over stdio.
//
// The proxy opens the browser with `$BROWSER <url>`: $BROWSER is oidc/chromium-browser.mjs, which
// POSTs the URL to a loopback endpoint of this test; the test opens it in a page of its Chromium
// and drives it. Every launch is counted there. Requests from Chromium to anything but 127.0.0.1
// are aborted (oidc-provider's dev pages @import a web font).
//
//   PROXY_BIN=/path/to/mcp-oauth2-proxy node --test --test-concurrency=1 chromium.test.mjs
//
// Skipped (with a message) when /usr/bin/chromium is missing, except under CI=true, where a
// missing Chromium is a failure. The token-store tests (second start, silent refresh, revoked
// refresh token, three instances at once) run only with CHROMIUM_STORE_TESTS=1.
// Optional: PROXY_ARGS, PROXY_LOG_LEVEL (default debug), KEEP_LOGS=1 (keep each test's temp dir).
// No credential is printed: failure reports redact every credential the provider issued, and
// URLs are shown as origin + path + parameter names.

import assert from 'node:assert/strict';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { chromium } from 'playwright-core';

import { startMcpServer } from './oidc/mcp-server.mjs';
import { MCP_SCOPE, startProvider, TEST_ACCOUNT } from './oidc/provider.mjs';
import { readText, redact, sleep, withTimeout } from './lib/test-helpers.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BROWSER_SCRIPT = path.join(HERE, 'oidc', 'chromium-browser.mjs');
const CHROMIUM = '/usr/bin/chromium'; // Debian's package
const IN_CI = process.env.CI === 'true';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const STORE_TESTS = process.env.CHROMIUM_STORE_TESTS !== '0'; // the token store is wired
const PROXY_BIN = process.env.PROXY_BIN;
const PROXY_ARGS = (process.env.PROXY_ARGS ?? '').split(' ').filter(Boolean);
const PROXY_LOG_LEVEL = process.env.PROXY_LOG_LEVEL ?? 'debug';
const KEEP_LOGS = process.env.KEEP_LOGS === '1';
// The configuration style (scripts/interop.sh runs both): "configured" sets OAUTH2_GRANT like the
// npm reference's users (authorization at start-up); "on-demand" sets nothing (the first 401).
const AUTH_STYLE = process.env.PROXY_AUTH_STYLE === 'configured' ? 'configured' : 'on-demand';
const STYLE_ENV = AUTH_STYLE === 'configured' ? { OAUTH2_GRANT: 'authorization_code' } : {};
const TEST_TIMEOUT_MS = 60000;
const CONNECT_TIMEOUT_MS = 30000; // initialize includes discovery, DCR, the browser login, the code exchange
const REQUEST_TIMEOUT_MS = 20000;
const PAGE_TIMEOUT_MS = 15000; // each navigation in Chromium
const CALLBACK_TIMEOUT_SECONDS = '45'; // the proxy gives up on a login after this

if (!PROXY_BIN) throw new Error('set PROXY_BIN to the mcp-oauth2-proxy binary');

const skipNoChromium =
    !HAVE_CHROMIUM && !IN_CI ? `${CHROMIUM} not found: apt-get install chromium (or scripts/deps.sh test)` : false;
const skipStore = skipNoChromium || (STORE_TESTS ? false : 'token store not wired yet');


const tailOf = (text, maxChars) =>
    text.length > maxChars ? `[... ${text.length - maxChars} chars cut ...]\n${text.slice(-maxChars)}` : text;

/** origin + path + the names (not the values) of the query parameters */
function describeUrl(url) {
    try {
        const u = new URL(url);
        const names = [...new Set(u.searchParams.keys())];
        return `${u.origin}${u.pathname}${names.length ? `?${names.join('&')}` : ''}`;
    } catch {
        return '(not a URL)';
    }
}

const htmlEscaped = text =>
    text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** A free TCP port on 127.0.0.1 (for a fixed OAUTH2_CALLBACK_PORT shared by several starts). */
async function freePort() {
    const server = net.createServer();
    await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address();
    await new Promise(resolve => server.close(resolve));
    return port;
}

// One Chromium for the whole file, launched on first use; every test gets its own context
// (a fresh profile: no cookies, no cache). playwright-core's launch() makes its own empty
// --user-data-dir.
let browserPromise;
function getBrowser() {
    if (!HAVE_CHROMIUM) {
        // only reached under CI=true (otherwise the tests are skipped)
        throw new Error(`${CHROMIUM} is missing and CI=true: install Debian's chromium (scripts/deps.sh test)`);
    }
    browserPromise ??= chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        timeout: 30000,
        chromiumSandbox: false, // as root Chromium needs --no-sandbox
        args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
        ],
    });
    return browserPromise;
}
after(async () => {
    if (browserPromise) await (await browserPromise.catch(() => null))?.close();
});

/**
 * Drives one authorization request in a new page of `context`: the login form (any password
 * works in oidc-provider's dev pages; the login becomes the account), then the consent page:
 * "Continue", or the "[ Cancel ]" link with action 'cancel'. Ends when the page has loaded the
 * redirect_uri of the request (the proxy's callback) and returns what it showed.
 * @param {import('playwright-core').BrowserContext} context
 * @param {string} url the authorization URL the proxy launched
 * @param {object} options
 * @param {'consent' | 'cancel' | 'refuse'} options.action 'refuse': the test answers the
 *        authorization request itself, as an authorization server that refuses at once would:
 *        a 303 to the redirect_uri with error=access_denied, `errorDescription`, the request's
 *        state and iss = `issuer` (Playwright does not intercept redirect hops, so the real
 *        provider's own redirect to the callback cannot be altered on its way)
 * @param {string} [options.errorDescription]
 * @param {string} [options.issuer]
 */
async function driveLogin(context, url, { action, errorDescription, issuer }) {
    const request = new URL(url);
    const redirectUri = request.searchParams.get('redirect_uri');
    assert.ok(redirectUri, `the authorization URL has no redirect_uri: ${describeUrl(url)}`);
    const steps = [];
    const page = await context.newPage();
    try {
        if (action === 'refuse') {
            await page.route(
                u => u.origin === request.origin && u.pathname === request.pathname,
                route => {
                    const location = new URL(redirectUri);
                    location.searchParams.set('error', 'access_denied');
                    location.searchParams.set('error_description', errorDescription);
                    location.searchParams.set('state', request.searchParams.get('state'));
                    location.searchParams.set('iss', issuer);
                    steps.push('refused');
                    return route.fulfill({ status: 303, headers: { Location: location.toString(), 'Cache-Control': 'no-store' } });
                },
            );
        }
        const callbackResponse = page.waitForResponse(r => r.url().startsWith(`${redirectUri}?`), {
            timeout: PAGE_TIMEOUT_MS * 4,
        });
        callbackResponse.catch(() => {}); // awaited below; a navigation error is the one reported
        await page.goto(url, { timeout: PAGE_TIMEOUT_MS });
        for (let i = 0; !page.url().startsWith(`${redirectUri}?`); ++i) {
            if (i >= 6) throw new Error(`no callback after ${steps.join(', ')}`);
            const before = page.url();
            let target;
            if (await page.locator('form input[name="prompt"][value="login"]').count()) {
                steps.push('login');
                await page.locator('input[name="login"]').fill(TEST_ACCOUNT);
                await page.locator('input[name="password"]').fill('any password will do');
                target = page.getByRole('button', { name: 'Sign-in' });
            } else if (await page.locator('form input[name="prompt"][value="consent"]').count()) {
                steps.push(action === 'cancel' ? 'consent:cancel' : 'consent');
                target =
                    action === 'cancel'
                        ? page.getByRole('link', { name: '[ Cancel ]' })
                        : page.getByRole('button', { name: 'Continue' });
            } else {
                const text = (await page.locator('body').innerText().catch(() => '')).replace(/\s+/g, ' ').slice(0, 300);
                throw new Error(`unexpected page ${describeUrl(before)} (${await page.title()}): ${text}`);
            }
            await Promise.all([
                page.waitForURL(u => u.href !== before, { timeout: PAGE_TIMEOUT_MS }),
                target.click({ timeout: PAGE_TIMEOUT_MS }),
            ]);
        }
        const response = await callbackResponse;
        return {
            steps,
            status: response.status(),
            headers: await response.allHeaders(),
            html: await response.text(),
            title: await page.title(),
            heading: await page.locator('h1').innerText(),
            message: await page.locator('main p').innerText(),
            elements: await page.evaluate(() => [...document.querySelectorAll('*')].map(e => e.localName)),
            url: describeUrl(page.url()),
        };
    } catch (e) {
        e.message = `Chromium after [${steps.join(', ')}] at ${describeUrl(page.url())}: ${e.message}`;
        throw e;
    } finally {
        await page.close().catch(() => {});
    }
}

/**
 * The loopback endpoint behind $BROWSER: counts launches and drives each URL in Chromium with
 * the current `behaviour`. `failed` rejects at the first login that could not be driven (so that
 * a waiting host fails at once instead of at its timeout).
 */
async function startOpener(context) {
    const launches = []; // { url (never printed), result | error }
    let behaviour = { action: 'consent' };
    let rejectFailed;
    const failed = new Promise((_, reject) => {
        rejectFailed = reject;
    });
    failed.catch(() => {});
    const pending = new Set();
    const server = http.createServer((req, res) => {
        if (req.method !== 'POST' || req.url !== '/open') {
            res.writeHead(404).end();
            return;
        }
        let body = '';
        req.setEncoding('utf8');
        req.on('data', chunk => {
            body += chunk;
        });
        req.on('end', () => {
            const launch = { url: body, at: Date.now() };
            launches.push(launch);
            res.writeHead(204).end();
            const run = driveLogin(context, body, behaviour).then(
                result => {
                    launch.result = result;
                },
                error => {
                    launch.error = error;
                    rejectFailed(error);
                },
            );
            pending.add(run);
            run.finally(() => pending.delete(run));
        });
    });
    await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
    });
    return {
        endpoint: `http://127.0.0.1:${server.address().port}/open`,
        launches,
        failed,
        setBehaviour(b) {
            behaviour = b;
        },
        /** waits for the drives in progress (they end at the callback page) */
        async settle() {
            await withTimeout(Promise.all([...pending]), PAGE_TIMEOUT_MS * 4, 'the browser logins in progress');
        },
        async close() {
            server.closeAllConnections?.();
            await new Promise(resolve => server.close(resolve));
        },
    };
}

/**
 * One test's world: the MCP server, oidc-provider with its real pages, a Chromium context and the
 * $BROWSER endpoint, and a home for the proxies (HOME, XDG_*, the token store) shared by every
 * proxy started in the test. `fn` gets `startProxy(label)`, which spawns a proxy under an SDK
 * host. At the end, every proxy must exit by itself on stdin EOF with status 0, no proxy log may
 * contain a credential the provider issued, and the provider must have reported no error other
 * than those the test expects (`expectedProviderErrors`: regexps; each error event must match one).
 */
async function withChromium(options, fn) {
    const browser = await getBrowser();
    const dir = await mkdtemp(path.join(tmpdir(), 'mcp-chromium-'));
    const serverEvents = [];
    const eventLog = prefix => line => serverEvents.push(`${new Date().toISOString()} [${prefix}] ${line}`);
    const proxies = []; // { label, client, transport, stderrFile, closed }
    const blocked = new Set(); // origins Chromium was not allowed to reach
    let mcp;
    let provider;
    let context;
    let opener;
    let failed = false;
    try {
        mcp = await startMcpServer({ log: eventLog('mcp-server') });
        provider = await startProvider({
            resource: mcp.url,
            accessTokenTTL: options.accessTokenTTL,
            interactions: 'pages',
            log: eventLog('oidc-provider'),
        });
        await mcp.setAuthorizationServer(provider.issuer);

        context = await browser.newContext();
        await context.route(
            u => u.hostname !== '127.0.0.1',
            route => {
                blocked.add(new URL(route.request().url()).origin);
                return route.abort('blockedbyclient');
            },
        );
        opener = await startOpener(context);

        const callbackPort = options.callbackPort ?? '0';
        const baseEnv = { ...process.env };
        const inherited = /^(UPSTREAM_|OAUTH2_|MCP_PROXY_|DISCOVERY_|LOG_|LC_|BROWSER$|ALLOW_INSECURE_HTTP$|LANGUAGE$)/;
        for (const k of Object.keys(baseEnv)) {
            // no D-Bus session: the store's key goes to its 0600 file, never to a desktop keychain
            if (inherited.test(k) || k === 'DBUS_SESSION_BUS_ADDRESS') delete baseEnv[k];
        }
        Object.assign(baseEnv, {
            LANG: 'C.UTF-8', // the default English pages
            LOG_LEVEL: PROXY_LOG_LEVEL,
            HOME: dir,
            XDG_CONFIG_HOME: path.join(dir, 'config'),
            XDG_CACHE_HOME: path.join(dir, 'cache'),
            XDG_DATA_HOME: path.join(dir, 'data'),
            XDG_STATE_HOME: path.join(dir, 'state'),
            OAUTH2_TOKEN_CACHE_DIR: path.join(dir, 'tokens'),
            OAUTH2_CALLBACK_PORT: String(callbackPort),
            OAUTH2_CALLBACK_TIMEOUT_SECONDS: CALLBACK_TIMEOUT_SECONDS,
            // the $BROWSER script runs with this very node (its shebang is /usr/bin/env node)
            PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`,
            BROWSER: BROWSER_SCRIPT,
            CHROMIUM_OPEN_URL: opener.endpoint,
            ...STYLE_ENV, // a test's own OAUTH2_GRANT wins
            ...(options.env ?? {}),
        });

        /** Spawns a proxy under an SDK host; `connect()` sends initialize (which may log in). */
        const startProxy = label => {
            const stderrFile = path.join(dir, `proxy-${label}.stderr`);
            const transport = new StdioClientTransport({
                command: PROXY_BIN,
                args: [...PROXY_ARGS, mcp.url],
                env: baseEnv,
                stderr: 'pipe',
            });
            transport.stderr.pipe(createWriteStream(stderrFile));
            const client = new Client({ name: `interop-chromium-host-${label}`, version: '1.0.0' }, { capabilities: {} });
            const errors = [];
            client.onerror = e => errors.push(e);
            const entry = { label, client, transport, stderrFile, errors, closed: false };
            proxies.push(entry);
            entry.connect = () =>
                Promise.race([
                    withTimeout(
                        client.connect(transport, { timeout: CONNECT_TIMEOUT_MS }),
                        CONNECT_TIMEOUT_MS + 5000,
                        `initialize through proxy ${label}`,
                    ),
                    opener.failed,
                ]);
            entry.whoami = () => whoami(client, opener);
            /** closes stdin and checks that the proxy exits by itself, with status 0 */
            entry.close = async () => {
                entry.closed = true;
                await closeHost(client, transport, label);
            };
            return entry;
        };

        await fn({ startProxy, provider, mcp, opener, dir, blocked });

        await opener.settle();
        for (const p of proxies) {
            if (!p.closed) await p.close();
            assert.deepEqual(
                p.errors.map(e => e.message),
                [],
                `the host of proxy ${p.label} saw transport/protocol errors`,
            );
        }
        // the check below is only meaningful if the provider's credentials were collected
        assert.ok(provider.counts.accessTokensIssued === 0 || provider.secrets.size > 2, 'no issued credential was collected');
        for (const p of proxies) {
            const log = await readText(p.stderrFile);
            const leaked = [...provider.secrets].filter(s => s && log.includes(s));
            const what = `proxy ${p.label}'s log contains ${leaked.length} credential(s) issued by the provider (not shown)`;
            assert.equal(leaked.length, 0, what);
        }
        const errorEvents = provider.events.filter(l =>
            /^(server_error|(authorization|grant|registration_create|discovery|jwks|revocation)\.error) /.test(l),
        );
        const expected = options.expectedProviderErrors ?? [];
        const unexpected = errorEvents.filter(l => !expected.some(re => re.test(l)));
        assert.deepEqual(unexpected, [], 'the provider reported unexpected errors');
        assert.equal(provider.counts.errors, errorEvents.length, `provider errors:\n${provider.events.join('\n')}`);
    } catch (e) {
        failed = true;
        const secrets = provider?.secrets ?? new Set();
        let report = '';
        for (const p of proxies) {
            report +=
                `\n--- proxy ${p.label} stderr (tail, credentials redacted; ${p.stderrFile}) ---\n` +
                `${tailOf(redact(await readText(p.stderrFile), secrets), 8000)}`;
        }
        const outcome = l =>
            l.result
                ? `${l.result.steps.join(' -> ')} -> ${l.result.status} ${l.result.url}`
                : l.error
                  ? `failed: ${l.error.message}`
                  : 'in progress';
        const launches = (opener?.launches ?? []).map((l, i) => `#${i + 1} ${describeUrl(l.url)}: ${outcome(l)}`);
        report +=
            `\n--- browser launches ---\n${redact(launches.join('\n'), secrets) || '(none)'}` +
            `\n--- origins blocked in Chromium: ${[...blocked].join(' ') || '(none)'}` +
            `\n--- provider and MCP server events ---\n${tailOf(redact(serverEvents.join('\n'), secrets), 6000)}`;
        if (e instanceof Error) {
            // node:test prints the stack, which holds the message as it was at construction
            const original = e.message;
            e.message += report;
            if (typeof e.stack === 'string') {
                e.stack = e.stack.includes(original) ? e.stack.replace(original, () => e.message) : `${e.stack}\n${report}`;
            }
            throw e;
        }
        throw new Error(`${String(e)}${report}`);
    } finally {
        for (const p of proxies) if (!p.closed) await p.client.close().catch(() => {});
        await context?.close().catch(() => {});
        await opener?.close().catch(() => {});
        await mcp?.close().catch(() => {});
        await provider?.close().catch(() => {});
        if (KEEP_LOGS || failed) {
            const events = redact(serverEvents.join('\n'), provider?.secrets ?? new Set());
            await writeFile(path.join(dir, 'events.log'), `${events}\n`).catch(() => {});
        }
        if (!KEEP_LOGS && !failed) await rm(dir, { recursive: true, force: true });
    }
}

/** Closes the host's stdin and waits for the proxy to exit by itself (close() SIGTERMs after 2 s). */
async function closeHost(client, transport, label) {
    const child = transport._process;
    const exit =
        child && child.exitCode === null
            ? new Promise(resolve => child.once('exit', (code, signal) => resolve({ code, signal })))
            : null;
    await client.close();
    if (exit) {
        const { code, signal } = await withTimeout(exit, 10000, `proxy ${label} exit`);
        assert.equal(signal, null, `proxy ${label} did not exit by itself on stdin EOF (killed by ${signal})`);
        assert.equal(code, 0, `proxy ${label} exit code`);
    }
}

async function whoami(client, opener) {
    const call = client.callTool({ name: 'whoami', arguments: {} }, undefined, { timeout: REQUEST_TIMEOUT_MS });
    const result = await Promise.race([call, opener.failed]);
    assert.ok(!result.isError, `whoami failed: ${JSON.stringify(result).slice(0, 500)}`);
    return JSON.parse(result.content[0].text);
}

function assertMcpToken(claims, { provider, mcp }) {
    assert.equal(claims.typ, 'at+jwt', 'a JWT access token (RFC 9068 typ)');
    assert.equal(claims.iss, provider.issuer, 'issuer');
    assert.equal(claims.aud, mcp.url, 'audience = the MCP server URL (RFC 8707 resource)');
    assert.equal(claims.scope, MCP_SCOPE, 'scope');
    assert.equal(claims.sub, TEST_ACCOUNT, 'the account typed into the login form');
}

/** The proxy's callback page: its headers and its body, the template filled with escaped text. */
function assertCallbackPage(page, { status, heading, message }) {
    assert.equal(page.status, status, `callback status (${page.url})`);
    assert.match(page.headers['content-type'] ?? '', /^text\/html; charset=utf-8$/i);
    const csp = page.headers['content-security-policy'] ?? '';
    assert.match(csp, /default-src 'none'/, `Content-Security-Policy: ${csp}`);
    assert.doesNotMatch(csp, /script-src/, 'no script is allowed');
    assert.match(page.headers['cache-control'] ?? '', /(^|,\s*)no-store(\s*,|$)/, 'Cache-Control: no-store');
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    assert.equal(page.title, heading, 'page title');
    assert.equal(page.heading, heading, 'page heading');
    assert.equal(page.message, message, 'page message');
    // the text arrives escaped in the template's only <h1> and <p>, and adds no element
    assert.ok(page.html.includes(`<h1>${htmlEscaped(heading)}</h1>`), 'the heading, HTML-escaped, in the body');
    assert.ok(page.html.includes(`<p>${htmlEscaped(message)}</p>`), 'the message, HTML-escaped, in the body');
    const allowed = new Set(['html', 'head', 'meta', 'title', 'style', 'body', 'main', 'h1', 'p']);
    assert.deepEqual(page.elements.filter(e => !allowed.has(e)), [], 'the page holds only the template elements');
    assert.equal(page.elements.filter(e => e === 'h1').length, 1);
    assert.equal(page.elements.filter(e => e === 'p').length, 1);
    assert.doesNotMatch(page.html, /<(script|img|link|iframe)\b/i, 'no external asset and no script');
}

const SUCCESS_PAGE = {
    status: 200,
    heading: 'Login complete',
    message: 'Login complete. You can close this tab and return to your MCP client.',
};

const failurePage = shown => ({ status: 400, heading: 'Login failed', message: `Login failed: ${shown}` });

describe(`mcp-oauth2-proxy, headless Chromium and the login and consent pages of oidc-provider [${AUTH_STYLE}]`, () => {
    test('(a) first login through the real login and consent pages, then whoami', { timeout: TEST_TIMEOUT_MS, skip: skipNoChromium }, () =>
        withChromium({}, async ({ startProxy, provider, mcp, opener }) => {
            const proxy = startProxy('a');
            await proxy.connect(); // initialize: 401, discovery, DCR, the browser login, the code exchange
            const claims = await proxy.whoami();
            assertMcpToken(claims, { provider, mcp });

            assert.equal(opener.launches.length, 1, 'exactly one browser launch');
            const [launch] = opener.launches;
            await opener.settle();
            assert.ifError(launch.error);
            assert.deepEqual(launch.result.steps, ['login', 'consent'], 'the login form, then the consent page');
            assertCallbackPage(launch.result, SUCCESS_PAGE);
            assert.match(launch.result.url, /^http:\/\/127\.0\.0\.1:\d+\/callback\?code&state&iss$/);

            const { counts, registeredClients } = provider;
            assert.equal(counts.registrations, 1, 'one dynamic client registration');
            assert.equal(claims.client_id, registeredClients[0].clientId);
            assert.deepEqual(counts.interactions, { login: 1, consent: 1 });
            assert.equal(counts.authorizations, 1, 'exactly one authorization');
            assert.deepEqual(counts.grants, { authorization_code: 1 }, 'exactly one code exchange, nothing else');
            assert.ok(mcp.stats.missingAuthorization >= 1, 'the login followed a 401 challenge');

            // more calls: the same token, no new login
            for (let i = 0; i < 2; ++i) assert.equal((await proxy.whoami()).exp, claims.exp);
            assert.equal(opener.launches.length, 1);
            assert.equal(mcp.stats.tokens.length, 1, 'one access token used');
            assert.deepEqual(mcp.stats.rejectedTokens, []);
        }));

    const cancelTitle = '(b) "[ Cancel ]" on the consent page: access_denied, the failure page, a JSON-RPC error';
    test(cancelTitle, { timeout: TEST_TIMEOUT_MS, skip: skipNoChromium }, () =>
        withChromium(
            { expectedProviderErrors: [/^authorization\.error .*access_denied/] },
            async ({ startProxy, provider, mcp, opener }) => {
                opener.setBehaviour({ action: 'cancel' });
                const proxy = startProxy('b');
                const started = Date.now();
                const error = await proxy.connect().then(
                    () => assert.fail('initialize succeeded although the login was cancelled'),
                    e => e,
                );
                assert.ok(Date.now() - started < 20000, 'the pending request was answered at once, not at a timeout');
                // the SDK's McpError: "MCP error <code>: <the proxy's message>"
                assert.match(error.message, /authorization failed/i, `the JSON-RPC error: ${error.message}`);
                assert.match(error.message, /access_denied/);
                assert.equal(typeof error.code, 'number', 'a JSON-RPC error object');

                await opener.settle();
                assert.equal(opener.launches.length, 1, 'exactly one browser launch');
                const [launch] = opener.launches;
                assert.ifError(launch.error);
                assert.deepEqual(launch.result.steps, ['login', 'consent:cancel']);
                assertCallbackPage(launch.result, failurePage('access_denied (End-User aborted interaction)'));
                assert.match(launch.result.url, /^http:\/\/127\.0\.0\.1:\d+\/callback\?error&error_description&state&iss$/);

                const { counts } = provider;
                assert.equal(counts.authorizations, 0, 'no code was issued');
                assert.deepEqual(counts.grants, {}, 'no token request');
                assert.equal(mcp.stats.acceptedRequests, 0);
                await proxy.close(); // and the proxy still exits cleanly on stdin EOF
            },
        ));

    const escapeTitle = '(b2) an error text with HTML metacharacters from the authorization server is shown escaped';
    test(escapeTitle, { timeout: TEST_TIMEOUT_MS, skip: skipNoChromium }, () =>
        withChromium({}, async ({ startProxy, provider, opener }) => {
            const hostile = `<img src=x onerror="alert(1)"> & <script>document.title='owned'</script> 'quoted'`;
            opener.setBehaviour({ action: 'refuse', errorDescription: hostile, issuer: provider.issuer });
            const proxy = startProxy('b2');
            const error = await proxy.connect().then(
                () => assert.fail('initialize succeeded although the authorization server refused'),
                e => e,
            );
            assert.match(error.message, /authorization failed/i, `the JSON-RPC error: ${error.message}`);
            await opener.settle();
            assert.equal(opener.launches.length, 1);
            const [launch] = opener.launches;
            assert.ifError(launch.error);
            assert.deepEqual(launch.result.steps, ['refused']);
            assertCallbackPage(launch.result, failurePage(`access_denied (${hostile})`));
            assert.equal(provider.counts.authorizations, 0);
            await proxy.close();
        }));

    // ---- with the token store; CHROMIUM_STORE_TESTS=1 ----

    const storeTest = { timeout: TEST_TIMEOUT_MS, skip: skipStore };

    test('(store) a second start with the same store opens no browser and requests no token', storeTest, async () => {
        const callbackPort = await freePort();
        await withChromium({ callbackPort }, async ({ startProxy, provider, mcp, opener }) => {
            const first = startProxy('first');
            await first.connect();
            const claims = await first.whoami();
            assertMcpToken(claims, { provider, mcp });
            await first.close();
            assert.equal(opener.launches.length, 1);
            const grantsAfterLogin = { ...provider.counts.grants };
            assert.deepEqual(grantsAfterLogin, { authorization_code: 1 });
            const challengesAfterLogin = mcp.stats.missingAuthorization;

            const second = startProxy('second');
            await second.connect();
            const again = await second.whoami();
            assertMcpToken(again, { provider, mcp });
            assert.equal(opener.launches.length, 1, 'no browser launch on the second start');
            assert.deepEqual(provider.counts.grants, grantsAfterLogin, 'no token request on the second start');
            assert.equal(provider.counts.registrations, 1, 'no second registration');
            assert.equal(again.client_id, claims.client_id, 'the stored client registration');
            assert.equal(again.exp, claims.exp, 'the stored access token');
            // the stored token goes out with the first request: no 401, no discovery round first
            assert.equal(mcp.stats.missingAuthorization, challengesAfterLogin, 'no request without a token on the second start');
            assert.equal(provider.counts.authorizations, 1);
            assert.equal(mcp.stats.tokens.length, 1, 'one access token across both starts');
            assert.deepEqual(mcp.stats.rejectedTokens, []);
        });
    });

    test('(store) an expired stored access token is refreshed silently at the next start', storeTest, async () => {
        const callbackPort = await freePort();
        await withChromium(
            { callbackPort, accessTokenTTL: 8, env: { OAUTH2_REFRESH_SKEW_SECONDS: '2' } },
            async ({ startProxy, provider, mcp, opener }) => {
                const first = startProxy('first');
                await first.connect();
                const claims = await first.whoami();
                assertMcpToken(claims, { provider, mcp });
                await first.close(); // before its own proactive refresh (TTL 8 s, skew 2 s)
                assert.deepEqual(provider.counts.grants, { authorization_code: 1 }, 'precondition: no refresh while the first ran');

                // well past its expiry: the JWT's exp is whole seconds, while the proxy's stored
                // expiry is its receipt time + expires_in, up to a second or so later
                await sleep(Math.max(0, claims.exp * 1000 - Date.now()) + 2500);

                const second = startProxy('second');
                await second.connect();
                const renewed = await second.whoami();
                assertMcpToken(renewed, { provider, mcp });
                assert.equal(opener.launches.length, 1, 'no browser launch: the refresh was silent');
                assert.deepEqual(provider.counts.grants, { authorization_code: 1, refresh_token: 1 }, 'exactly one refresh');
                assert.equal(provider.counts.authorizations, 1);
                assert.equal(provider.counts.registrations, 1);
                assert.equal(renewed.client_id, claims.client_id, 'the stored client registration');
                assert.ok(renewed.exp > claims.exp, 'a newer access token');
                assert.deepEqual(mcp.stats.rejectedTokens, [], 'the expired token was never presented (its expiry is stored)');
            },
        );
    });

    test('(store) a revoked refresh token leads to exactly one new browser login', storeTest, async () => {
        const callbackPort = await freePort();
        await withChromium(
            {
                callbackPort,
                accessTokenTTL: 8,
                env: { OAUTH2_REFRESH_SKEW_SECONDS: '2' },
                expectedProviderErrors: [/^grant\.error .*invalid_grant/],
            },
            async ({ startProxy, provider, mcp, opener }) => {
                // the refresh token the code exchange issued (kept in memory, never printed)
                let refreshToken;
                provider.provider.on('grant.success', ctx => {
                    if (ctx.body?.refresh_token) refreshToken = ctx.body.refresh_token;
                });
                const first = startProxy('first');
                await first.connect();
                const claims = await first.whoami();
                assertMcpToken(claims, { provider, mcp });
                await first.close();
                assert.ok(refreshToken, 'precondition: a refresh token was issued');

                // RFC 7009 revocation at the provider, as the user or an admin would
                const revoked = await fetch(new URL('/token/revocation', provider.issuer), {
                    method: 'POST',
                    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
                    body: new URLSearchParams({ token: refreshToken, token_type_hint: 'refresh_token', client_id: claims.client_id }),
                });
                assert.equal(revoked.status, 200, 'revocation accepted');
                assert.equal(await provider.provider.RefreshToken.find(refreshToken), undefined, 'the refresh token is gone');

                await sleep(Math.max(0, claims.exp * 1000 - Date.now()) + 2500); // the access token expired too

                const second = startProxy('second');
                await second.connect();
                const relogged = await second.whoami();
                assertMcpToken(relogged, { provider, mcp });
                assert.ok(relogged.exp > claims.exp);

                await opener.settle();
                assert.equal(opener.launches.length, 2, 'exactly one new browser launch');
                assert.ifError(opener.launches[1].error);
                // the IdP session in the browser is still there: at most the consent page again
                assert.ok(
                    ['consent', 'login,consent'].includes(opener.launches[1].result.steps.join(',')),
                    `second login: ${opener.launches[1].result.steps}`,
                );
                assertCallbackPage(opener.launches[1].result, SUCCESS_PAGE);
                const { counts } = provider;
                assert.equal(counts.grants.refresh_token ?? 0, 0, 'no refresh succeeded');
                assert.equal(
                    provider.events.filter(l => l.startsWith('grant.error')).length,
                    1,
                    'the revoked refresh token was tried exactly once',
                );
                assert.equal(counts.authorizations, 2, 'exactly one new authorization');
                assert.equal(counts.grants.authorization_code, 2, 'exactly one new code exchange');
            },
        );
    });

    // at the default (fixed) callback port: the siblings must wait for the port, not fail on it
    const threeTitle = '(store) three instances started at once: one browser login, one code exchange, all serve';
    test(threeTitle, storeTest, async () => {
        const callbackPort = await freePort();
        await withChromium({ callbackPort }, async ({ startProxy, provider, mcp, opener }) => {
            const proxies = ['one', 'two', 'three'].map(label => startProxy(label));
            await Promise.all(proxies.map(p => p.connect()));
            const claims = await Promise.all(proxies.map(p => p.whoami()));
            for (const c of claims) assertMcpToken(c, { provider, mcp });

            await opener.settle();
            assert.equal(opener.launches.length, 1, 'exactly one browser launch');
            assert.ifError(opener.launches[0].error);
            assertCallbackPage(opener.launches[0].result, SUCCESS_PAGE);
            assert.equal(provider.counts.authorizations, 1, 'exactly one authorization');
            assert.equal(provider.counts.grants.authorization_code, 1, 'exactly one code exchange');
            assert.equal(provider.counts.grants.refresh_token ?? 0, 0, 'no refresh');
            assert.equal(new Set(claims.map(c => c.client_id)).size, 1, 'one client registration used by all');
            assert.equal(mcp.stats.tokens.length, 1, 'one access token shared by all three');
            assert.deepEqual(mcp.stats.rejectedTokens, []);
        });
    });
});
