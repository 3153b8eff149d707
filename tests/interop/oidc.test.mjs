// Interop with a real, OpenID-certified authorization server: `oidc-provider` (oidc/provider.mjs:
// JWT access tokens with RFC 8707 resource indicators, PKCE S256, refresh tokens, open DCR,
// client_credentials) in front of an MCP server built from the official SDK's pieces
// (oidc/mcp-server.mjs: requireBearerAuth, RFC 9728 metadata, JWKS verification with jose).
// The SDK Client, as MCP host, spawns the proxy over stdio (StdioClientTransport) with only the
// MCP server's URL and some OAUTH2_* variables; the proxy does discovery, registration, login
// (through oidc/browser.mjs as $BROWSER: a redirect-following, cookie-keeping browser stand-in),
// code exchange and refresh by itself.
//
//   PROXY_BIN=/path/to/mcp-oauth2-proxy node --test --test-concurrency=1 oidc.test.mjs
//
// Optional: PROXY_ARGS (extra arguments before the URL, split on spaces), PROXY_LOG_LEVEL
// (default debug), KEEP_LOGS=1 (keep each test's temp dir: proxy
// stderr, browser log, provider and MCP server events). No credential is ever printed: on a
// failure the proxy's stderr tail is shown with every credential the provider issued redacted,
// and every test checks that the proxy's log contains none of them.

import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

import { confirmDevice } from './oidc/device-user.mjs';
import { startMcpServer } from './oidc/mcp-server.mjs';
import { MCP_SCOPE, startProvider, TEST_ACCOUNT } from './oidc/provider.mjs';
import { readText, redact, sleep, withTimeout } from './lib/test-helpers.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BROWSER = path.join(HERE, 'oidc', 'browser.mjs');
const PROXY_BIN = process.env.PROXY_BIN;
const PROXY_ARGS = (process.env.PROXY_ARGS ?? '').split(' ').filter(Boolean);
const PROXY_LOG_LEVEL = process.env.PROXY_LOG_LEVEL ?? 'debug';
const KEEP_LOGS = process.env.KEEP_LOGS === '1';
// The configuration style (scripts/interop.sh runs both): "configured" sets OAUTH2_GRANT like the
// npm reference's users (authorization at start-up); "on-demand" sets nothing (the first 401).
const AUTH_STYLE = process.env.PROXY_AUTH_STYLE === 'configured' ? 'configured' : 'on-demand';
const STYLE_ENV = AUTH_STYLE === 'configured' ? { OAUTH2_GRANT: 'authorization_code' } : {};
const REQUEST_TIMEOUT_MS = 30000;
const CONNECT_TIMEOUT_MS = 30000; // initialize includes discovery, DCR, login and code exchange

if (!PROXY_BIN) throw new Error('set PROXY_BIN to the mcp-oauth2-proxy binary');


const tailOf = (text, maxChars) =>
    text.length > maxChars ? `[... ${text.length - maxChars} chars cut ...]\n${text.slice(-maxChars)}` : text;

/**
 * Starts the MCP server, the provider and (through the SDK host) the proxy, runs `fn`, then checks
 * that the host saw no transport error and that the proxy's log holds no credential.
 * @param {object} options
 * @param {number} [options.accessTokenTTL]
 * @param {'always' | 'oidc-default'} [options.refreshTokens]
 * @param {(provider) => Record<string, string>} [options.env] the proxy's OAUTH2_* settings
 * @param {boolean} [options.legacy] the MCP server speaks HTTP with SSE (MCP 2024-11-05)
 * @param {string[]} [options.args] proxy arguments before the URL (after PROXY_ARGS)
 * @param {{ ttl?: number, slowDowns?: number }} [options.deviceFlow] the provider's device grant
 * @param {boolean} [options.headless] no $BROWSER and no display: no browser can be opened
 * @param {(context) => Promise} [options.user] runs while the host connects (a device login's user)
 * @param {boolean} [options.connectFails] initialize must fail: its error is handed to `fn` as
 *     `connectError` (with no client)
 */
async function withOidc(options, fn) {
    const dir = await mkdtemp(path.join(tmpdir(), 'mcp-oidc-'));
    const serverEvents = [];
    const eventLog = prefix => line => serverEvents.push(`${new Date().toISOString()} [${prefix}] ${line}`);
    const proxyLog = path.join(dir, 'proxy.stderr');
    const browserLog = path.join(dir, 'browser.log');
    let mcp;
    let provider;
    let client;
    let failed = false;
    try {
        mcp = await startMcpServer({ log: eventLog('mcp-server'), legacy: options.legacy ?? false });
        provider = await startProvider({
            resource: mcp.url,
            accessTokenTTL: options.accessTokenTTL,
            refreshTokens: options.refreshTokens,
            deviceFlow: options.deviceFlow,
            log: eventLog('oidc-provider'),
        });
        await mcp.setAuthorizationServer(provider.issuer);

        const env = { ...process.env };
        for (const k of Object.keys(env)) {
            if (/^(UPSTREAM_|OAUTH2_|MCP_PROXY_|DISCOVERY_|LOG_|BROWSER$|ALLOW_INSECURE_HTTP$)/.test(k)) delete env[k];
        }
        Object.assign(env, {
            LOG_LEVEL: PROXY_LOG_LEVEL,
            HOME: dir,
            XDG_CONFIG_HOME: path.join(dir, 'config'),
            XDG_CACHE_HOME: path.join(dir, 'cache'),
            XDG_DATA_HOME: path.join(dir, 'data'),
            XDG_STATE_HOME: path.join(dir, 'state'),
            OAUTH2_TOKEN_CACHE_DIR: path.join(dir, 'tokens'),
            // the browser stand-in runs with this very node (its shebang is /usr/bin/env node)
            PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`,
            BROWSER,
            OIDC_BROWSER_LOG: browserLog,
            ...STYLE_ENV, // a test's own OAUTH2_GRANT wins
            ...(options.env?.(provider, mcp) ?? {}),
        });
        if (options.headless) for (const k of ['BROWSER', 'DISPLAY', 'WAYLAND_DISPLAY', 'WSL_DISTRO_NAME']) delete env[k];
        const args = [...PROXY_ARGS, ...(options.args ?? []), mcp.url];
        const transport = new StdioClientTransport({ command: PROXY_BIN, args, env, stderr: 'pipe' });
        transport.stderr.pipe(createWriteStream(proxyLog));
        client = new Client({ name: 'interop-oidc-host', version: '1.0.0' }, { capabilities: {} });
        const errors = [];
        client.onerror = e => errors.push(e);
        const connectTimeoutMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
        const user = options.user?.({ provider, mcp, proxyLog });
        let connectError;
        try {
            const connected = client.connect(transport, { timeout: connectTimeoutMs });
            await withTimeout(connected, connectTimeoutMs + 5000, 'initialize through the proxy');
            await user;
        } catch (e) {
            await client.close().catch(() => {});
            client = undefined;
            if (!options.connectFails) throw e;
            connectError = e;
        }
        if (options.connectFails) {
            assert.ok(connectError, 'initialize should have failed');
            await fn({ connectError, provider, mcp, browserLog, proxyLog });
        } else {
            await fn({ client, transport, provider, mcp, browserLog, proxyLog });
            assert.deepEqual(errors.map(e => e.message), [], 'the host saw transport/protocol errors');
            // the proxy exits on stdin EOF; then its whole log is on disk
            await closeHost(client, transport);
            client = undefined;
        }
        const log = await readText(proxyLog);
        // the check below is only meaningful if the provider's credentials were collected
        assert.ok(provider.counts.accessTokensIssued === 0 || provider.secrets.size > 2, 'no issued credential was collected');
        const leaked = [...provider.secrets].filter(s => s && log.includes(s));
        assert.equal(leaked.length, 0, `the proxy's log contains ${leaked.length} credential(s) issued by the provider (not shown)`);
        assert.equal(provider.counts.errors, 0, `the provider reported errors:\n${provider.events.join('\n')}`);
    } catch (e) {
        failed = true;
        const secrets = provider?.secrets ?? new Set();
        const report =
            `\n--- proxy stderr (tail, credentials redacted; ${proxyLog}) ---\n` +
            `${tailOf(redact(await readText(proxyLog), secrets), 12000)}` +
            `\n--- browser stand-in ---\n${tailOf(redact(await readText(browserLog), secrets), 4000)}` +
            `\n--- provider and MCP server events ---\n${tailOf(redact(serverEvents.join('\n'), secrets), 6000)}`;
        if (e instanceof Error) {
            e.message += report;
            throw e;
        }
        throw new Error(`${String(e)}${report}`);
    } finally {
        if (client) await client.close().catch(() => {});
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
async function closeHost(client, transport) {
    const child = transport._process;
    const exit =
        child && child.exitCode === null
            ? new Promise(resolve => child.once('exit', (code, signal) => resolve({ code, signal })))
            : null;
    await client.close();
    if (exit) {
        const { code, signal } = await withTimeout(exit, 10000, 'proxy exit');
        assert.equal(signal, null, `the proxy did not exit by itself on stdin EOF (killed by ${signal})`);
        assert.equal(code, 0, 'proxy exit code');
    }
}

async function whoami(client) {
    const result = await client.callTool({ name: 'whoami', arguments: {} }, undefined, { timeout: REQUEST_TIMEOUT_MS });
    assert.ok(!result.isError, `whoami failed: ${JSON.stringify(result).slice(0, 500)}`);
    return JSON.parse(result.content[0].text);
}

/** The claims every access token for the MCP server must carry. */
function assertMcpToken(claims, { provider, mcp }) {
    assert.equal(claims.typ, 'at+jwt', 'a JWT access token (RFC 9068 typ)');
    assert.equal(claims.alg, 'RS256');
    assert.equal(claims.iss, provider.issuer, 'issuer');
    assert.equal(claims.aud, mcp.url, 'audience = the MCP server URL (RFC 8707 resource)');
    assert.equal(claims.scope, MCP_SCOPE, 'scope');
}

const browserHops = async file =>
    (await readText(file))
        .split('\n')
        .filter(l => l.includes('] GET '))
        .map(l => l.replace(/^\[oidc-browser\] /, ''));

describe(`mcp-oauth2-proxy with oidc-provider (certified AS) in front of an SDK MCP server [${AUTH_STYLE}]`, () => {
    for (const method of ['client_secret_basic', 'client_secret_post']) {
        test(`client_credentials with a pre-registered confidential client (${method})`, { timeout: 60000 }, () =>
            withOidc(
                {
                    env: provider => {
                        const c = method === 'client_secret_basic' ? provider.serviceClients.basic : provider.serviceClients.post;
                        return {
                            OAUTH2_GRANT: 'client_credentials',
                            OAUTH2_CLIENT_ID: c.clientId,
                            OAUTH2_CLIENT_SECRET: c.clientSecret,
                            // post is what the proxy picks by itself (the npm reference's default
                            // authStyle "body", listed by the AS); basic is asked for as in the reference
                            ...(method === 'client_secret_basic' ? { OAUTH2_AUTH_STYLE: 'header' } : {}),
                        };
                    },
                },
                async ({ client, provider, mcp, browserLog }) => {
                    const c = method === 'client_secret_basic' ? provider.serviceClients.basic : provider.serviceClients.post;
                    const claims = await whoami(client);
                    assertMcpToken(claims, { provider, mcp });
                    assert.equal(claims.sub, c.clientId, 'sub of a client_credentials token = the client');
                    assert.equal(claims.client_id, c.clientId);
                    // a second call reuses the token
                    assert.equal((await whoami(client)).exp, claims.exp);

                    const { counts } = provider;
                    assert.deepEqual(counts.grants, { client_credentials: 1 }, 'exactly one token request');
                    assert.equal(counts.grantRequests[0].clientAuth, method, 'the client authenticated as registered');
                    assert.equal(counts.grantRequests[0].resource, mcp.url, 'RFC 8707 resource on the token request');
                    assert.equal(counts.registrations, 0, 'no DCR with OAUTH2_CLIENT_ID');
                    assert.equal(counts.authorizations, 0, 'no browser login');
                    assert.deepEqual(await browserHops(browserLog), [], 'the browser was not opened');
                    assert.equal(mcp.stats.tokens.length, 1, 'one access token used');
                    // the proxy may fetch the token at start-up, found through RFC 9728 metadata
                    assert.ok(mcp.stats.prmRequests >= 1, 'the protected resource metadata was read');
                    assert.deepEqual(mcp.stats.rejectedTokens, [], 'no token was refused by the MCP server');
                },
            ));
    }

    test('authorization_code + PKCE with DCR: login through the browser stand-in at the first 401', { timeout: 60000 }, () =>
        withOidc({ env: () => ({ OAUTH2_CALLBACK_PORT: '0' }) }, async ({ client, provider, mcp, browserLog }) => {
            const claims = await whoami(client);
            assertMcpToken(claims, { provider, mcp });
            assert.equal(claims.sub, TEST_ACCOUNT, 'the logged-in user');

            const { counts, registeredClients } = provider;
            assert.equal(counts.registrations, 1, 'one dynamic client registration');
            const registered = registeredClients[0];
            assert.equal(claims.client_id, registered.clientId, 'the token was issued to the registered client');
            assert.equal(registered.applicationType, 'native');
            assert.equal(registered.authMethod, 'none', 'a public client');
            assert.deepEqual(registered.grantTypes.sort(), ['authorization_code', 'refresh_token']);
            assert.equal(registered.redirectUris.length, 1);
            assert.match(registered.redirectUris[0], /^http:\/\/127\.0\.0\.1:\d+\/callback$/, 'a loopback redirect URI');
            assert.notEqual(registered.redirectUris[0], 'http://127.0.0.1:0/callback', 'OAUTH2_CALLBACK_PORT=0 became a real port');

            assert.ok(mcp.stats.missingAuthorization >= 1, 'the login followed a 401 challenge');
            assert.ok(mcp.stats.prmRequests >= 1, 'the protected resource metadata was read');
            assert.equal(counts.authorizations, 1, 'exactly one authorization');
            assert.deepEqual(counts.interactions, { login: 1, consent: 1 });
            assert.deepEqual(counts.grants, { authorization_code: 1 }, 'exactly one code exchange, nothing else');
            assert.equal(counts.grantRequests[0].resource, mcp.url, 'RFC 8707 resource on the code exchange');
            assert.equal(counts.grantRequests[0].refreshToken, true, 'a refresh token was issued');

            const hops = await browserHops(browserLog);
            const authParams = /\/auth\?(\S*)/.exec(hops[0] ?? '')?.[1]?.split('&') ?? [];
            const expected = ['client_id', 'code_challenge', 'code_challenge_method', 'redirect_uri', 'resource', 'response_type'];
            for (const name of [...expected, 'scope', 'state']) {
                assert.ok(authParams.includes(name), `the authorization request lacks ${name}: ${hops[0]}`);
            }
            assert.match(hops.at(-1) ?? '', /\/callback\?code&state&iss .*-> 200$/, 'the proxy accepted the redirect (iss: RFC 9207)');

            // more calls: same token, no new login
            for (let i = 0; i < 3; ++i) assert.equal((await whoami(client)).exp, claims.exp);
            assert.equal(mcp.stats.tokens.length, 1, 'one access token used');
            assert.equal(counts.authorizations, 1);
            assert.deepEqual(mcp.stats.rejectedTokens, [], 'no token was refused by the MCP server');
        }));

    // The HTTP with SSE transport of MCP 2024-11-05: the same login, and the token on the event
    // stream (GET /sse) and on every message POST. http-first: the Streamable HTTP probes get 401,
    // the login follows, then 405 with the token, and the proxy falls back to the SSE stream.
    for (const transportSetting of ['http-first', 'sse-only']) {
        test(`HTTP+SSE (2024-11-05) server, ${transportSetting}: authorization_code + PKCE with DCR, the token on the stream and every message`, { timeout: 90000 }, () =>
            withOidc(
                {
                    legacy: true,
                    args: transportSetting === 'http-first' ? [] : ['--transport', transportSetting],
                    env: () => ({ OAUTH2_CALLBACK_PORT: '0' }),
                },
                async ({ client, provider, mcp }) => {
                    assert.equal(client.getServerVersion()?.name, 'interop-oidc-mcp-server');
                    const claims = await whoami(client);
                    assertMcpToken(claims, { provider, mcp });
                    assert.equal(claims.sub, TEST_ACCOUNT, 'the logged-in user');
                    for (let i = 0; i < 3; ++i) assert.equal((await whoami(client)).exp, claims.exp);

                    const { counts } = provider;
                    assert.equal(counts.registrations, 1, 'one dynamic client registration');
                    assert.equal(counts.authorizations, 1, 'exactly one authorization');
                    assert.deepEqual(counts.grants, { authorization_code: 1 }, 'exactly one code exchange');
                    assert.equal(counts.grantRequests[0].resource, mcp.url, 'RFC 8707 resource = the SSE URL, as the metadata names it');
                    if (AUTH_STYLE === 'on-demand') assert.ok(mcp.stats.missingAuthorization >= 1, 'the login followed a 401 challenge');
                    assert.ok(mcp.stats.prmRequests >= 1, 'the protected resource metadata was read');
                    assert.equal(mcp.stats.legacyStreams, 1, 'one SSE stream, opened with the token');
                    // initialize, notifications/initialized, 4 tools/call
                    assert.ok(mcp.stats.legacyPosts >= 6, `message POSTs: ${mcp.stats.legacyPosts}`);
                    assert.equal(mcp.stats.tokens.length, 1, 'one access token used');
                    assert.deepEqual(mcp.stats.rejectedTokens, [], 'no token was refused by the MCP server');
                    const probes = transportSetting === 'http-first' ? mcp.stats.refusedTransports.length >= 1 : mcp.stats.refusedTransports.length === 0;
                    assert.ok(probes, `Streamable HTTP POSTs with the token: ${JSON.stringify(mcp.stats.refusedTransports)}`);
                },
            ));
    }

    test('refresh: the expired access token is renewed with the refresh token, without a new login', { timeout: 60000 }, () =>
        withOidc(
            { accessTokenTTL: 5, env: () => ({ OAUTH2_CALLBACK_PORT: '0', OAUTH2_REFRESH_SKEW_SECONDS: '2' }) },
            async ({ client, provider, mcp }) => {
                const first = await whoami(client);
                assertMcpToken(first, { provider, mcp });
                await sleep(6500); // past the first token's expiry
                const second = await whoami(client);
                assertMcpToken(second, { provider, mcp });
                assert.equal(second.sub, TEST_ACCOUNT);
                assert.equal(second.client_id, first.client_id, 'same registered client');
                assert.ok(second.exp > first.exp, 'a newer access token');
                assert.ok(second.exp * 1000 > Date.now(), 'an unexpired access token was used');

                const { counts } = provider;
                assert.ok((counts.grants.refresh_token ?? 0) >= 1, `refresh_token grants: ${JSON.stringify(counts.grants)}`);
                assert.equal(counts.grants.authorization_code, 1, 'one code exchange');
                assert.equal(counts.authorizations, 1, 'no second login');
                assert.equal(counts.registrations, 1, 'no second registration');
                for (const g of counts.grantRequests.filter(r => r.type === 'refresh_token')) {
                    assert.equal(g.resource, mcp.url, 'RFC 8707 resource on every refresh');
                }
                assert.deepEqual(mcp.stats.rejectedTokens, [], 'the proxy never presented an expired token');
            },
        ));

    const defaultPolicyTitle =
        "oidc-provider's default policy (offline_access only with prompt=consent, OpenID Connect Core §11): the proxy asks for consent and refreshes silently";
    test(defaultPolicyTitle, { timeout: 60000 }, () =>
        withOidc(
            {
                accessTokenTTL: 5,
                refreshTokens: 'oidc-default',
                env: () => ({ OAUTH2_CALLBACK_PORT: '0', OAUTH2_REFRESH_SKEW_SECONDS: '2' }),
            },
            async ({ client, provider, mcp }) => {
                const first = await whoami(client);
                assertMcpToken(first, { provider, mcp });
                const { counts } = provider;
                assert.equal(counts.grantRequests[0].refreshToken, true, 'a refresh token was issued');
                await sleep(6500);
                const second = await whoami(client);
                assertMcpToken(second, { provider, mcp });
                assert.equal(second.sub, TEST_ACCOUNT);
                assert.equal(second.client_id, first.client_id, 'the registered client is reused');
                assert.ok(second.exp > first.exp, 'a newer access token');
                assert.equal(counts.registrations, 1, 'no second registration');
                assert.equal(counts.authorizations, 1, 'no second browser login');
                assert.equal(counts.grants.authorization_code, 1);
                assert.ok((counts.grants.refresh_token ?? 0) >= 1, 'refreshed');
            },
        ));
});

// RFC 8628: the proxy prints the verification URI and user code on stderr and polls; the user (this
// test, ./oidc/device-user.mjs) opens the printed verification_uri_complete and confirms the code
// on oidc-provider's device pages. oidc-provider sends no `interval`: the proxy polls every 5 s.
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const DEVICE_CONNECT_TIMEOUT_MS = 120000;

/** The verification_uri_complete the proxy printed, as soon as it is on its stderr. */
async function printedVerificationUri(proxyLog, timeoutMs = 30000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const match = /https?:\/\/\S+\/device\?user_code=\S+/.exec(await readText(proxyLog));
        if (match) return match[0];
        if (Date.now() > deadline) throw new Error('the proxy printed no verification URI');
        await sleep(200);
    }
}

/** Waits until `predicate()` holds (polled every 100 ms). */
async function until(predicate, timeoutMs, what) {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
        await sleep(100);
    }
}

/** The device login chosen in this configuration style: OAUTH2_GRANT, or mcp-remote's flag. */
const chosenDeviceLogin =
    AUTH_STYLE === 'configured' ? { env: () => ({ OAUTH2_GRANT: 'device_code' }) } : { args: ['--device-code'] };

describe(`device authorization grant (RFC 8628) against oidc-provider, headless [${AUTH_STYLE}]`, () => {
    test('chosen: slow_down adds 5 s to the interval, the user confirms on the device page, tokens work and refresh', { timeout: 150000 }, () =>
        withOidc(
            {
                ...chosenDeviceLogin,
                headless: true,
                accessTokenTTL: 300,
                deviceFlow: { slowDowns: 1 },
                connectTimeoutMs: DEVICE_CONNECT_TIMEOUT_MS,
                user: async ({ provider, proxyLog }) => {
                    const uri = await printedVerificationUri(proxyLog);
                    // the first poll gets slow_down, the next one authorization_pending
                    await until(() => provider.counts.devicePolls.length >= 2, 60000, 'two device polls');
                    const page = await confirmDevice(uri);
                    assert.equal(page.status, 200, `the device login did not end on the success page: ${page.body.slice(0, 200)}`);
                    assert.match(page.body, /Signed in/);
                },
            },
            async ({ client, provider, mcp, proxyLog }) => {
                const claims = await whoami(client);
                assertMcpToken(claims, { provider, mcp });
                assert.equal(claims.sub, TEST_ACCOUNT, 'the user who confirmed the code');
                const { counts, registeredClients } = provider;
                assert.equal(counts.deviceAuthorizations, 1);
                assert.equal(counts.grants[DEVICE_GRANT], 1, `grants: ${JSON.stringify(counts.grants)}`);
                assert.equal(counts.grants.authorization_code, undefined, 'no browser login');
                assert.ok(registeredClients[0].grantTypes.includes(DEVICE_GRANT), 'registered for the device grant');
                const polls = counts.devicePolls;
                assert.deepEqual(polls.slice(0, 2).map(p => p.answer), ['slow_down', 'authorization_pending']);
                assert.equal(polls.at(-1).answer, 'tokens');
                // lower bounds only (load can only add): 5 s by default, then 5 + 5 s after slow_down
                // (coarse timers may fire up to 5 % early)
                for (let i = 1; i < polls.length; ++i) {
                    assert.ok(polls[i].at - polls[i - 1].at >= 9500, `poll ${i} came ${polls[i].at - polls[i - 1].at} ms after the previous one`);
                }
                const stderr = await readText(proxyLog);
                assert.ok(!/ssh -L/.test(stderr), 'not the browser login instructions');
                assert.equal(counts.grantRequests.find(r => r.type === DEVICE_GRANT)?.resource, mcp.url, 'RFC 8707 resource');
            },
        ));

    test('headless fallback: no browser can be opened and the AS offers the device grant', { timeout: 150000 }, () =>
        withOidc(
            {
                headless: true,
                deviceFlow: {},
                connectTimeoutMs: DEVICE_CONNECT_TIMEOUT_MS,
                user: async ({ proxyLog }) => {
                    const page = await confirmDevice(await printedVerificationUri(proxyLog));
                    assert.equal(page.status, 200);
                },
            },
            async ({ client, provider, mcp }) => {
                assertMcpToken(await whoami(client), { provider, mcp });
                assert.equal(provider.counts.grants[DEVICE_GRANT], 1, `grants: ${JSON.stringify(provider.counts.grants)}`);
                assert.equal(provider.counts.grants.authorization_code, undefined, 'no browser login');
            },
        ));

    test('denied on the device page: the host gets "denied"', { timeout: 150000 }, () =>
        withOidc(
            {
                ...chosenDeviceLogin,
                headless: true,
                deviceFlow: {},
                connectTimeoutMs: DEVICE_CONNECT_TIMEOUT_MS,
                connectFails: true,
                user: async ({ proxyLog }) => {
                    await confirmDevice(await printedVerificationUri(proxyLog), { deny: true });
                },
            },
            async ({ connectError, provider }) => {
                assert.match(String(connectError?.message), /device login was denied/);
                assert.equal(provider.counts.devicePolls.at(-1).answer, 'access_denied');
                assert.equal(provider.counts.accessTokensIssued, 0);
            },
        ));

    test('expiry: nobody confirms within expires_in; the host gets "expired"', { timeout: 150000 }, () =>
        withOidc(
            {
                ...chosenDeviceLogin,
                headless: true,
                deviceFlow: { ttl: 12 },
                connectTimeoutMs: DEVICE_CONNECT_TIMEOUT_MS,
                connectFails: true,
            },
            async ({ connectError, provider, proxyLog }) => {
                assert.match(String(connectError?.message), /device login code expired/);
                assert.ok(/\/device\?user_code=/.test(await readText(proxyLog)), 'the code was shown');
                assert.equal(provider.counts.accessTokensIssued, 0);
                // polled at 5 and 10 s; nothing after the code expired at 12 s
                assert.ok(provider.counts.devicePolls.length >= 1 && provider.counts.devicePolls.length <= 2);
            },
        ));
});

