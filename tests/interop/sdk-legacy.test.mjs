// Interop tests of the HTTP with SSE transport (MCP 2024-11-05): the official MCP TypeScript SDK
// Client, as an MCP host, spawns the proxy over stdio; upstream is sdk-legacy-server.mjs, built
// with the same SDK's SSEServerTransport. Each test runs with the default transport setting
// (http-first: the Streamable HTTP POST is refused, the proxy falls back) and with sse-only.
//
//   PROXY_BIN=/path/to/mcp-oauth2-proxy node --test sdk-legacy.test.mjs
// Optional: PROXY_LOG_LEVEL (LOG_LEVEL of the proxy, default debug), KEEP_LOGS=1.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema, LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

import { makePayload } from './lib/payload.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SERVER_SCRIPT = path.join(HERE, 'sdk-legacy-server.mjs');
const PROXY_BIN = process.env.PROXY_BIN;
const PROXY_LOG_LEVEL = process.env.PROXY_LOG_LEVEL ?? 'debug';
const KEEP_LOGS = process.env.KEEP_LOGS === '1';
const MB = 1024 * 1024;
const REQUEST_TIMEOUT_MS = 60000;

if (!PROXY_BIN) throw new Error('set PROXY_BIN to the mcp-oauth2-proxy binary');

function withTimeout(promise, ms, what) {
    let timer;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function tail(file, maxBytes = 12000) {
    try {
        const text = await readFile(file, 'utf8');
        return text.length > maxBytes ? `[... ${text.length - maxBytes} bytes cut ...]\n${text.slice(-maxBytes)}` : text;
    } catch (e) {
        return `(no ${path.basename(file)}: ${e.code ?? e.message})`;
    }
}

async function startServer(dir) {
    const child = spawn(process.execPath, [SERVER_SCRIPT, '--port', '0', '--verbose'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr.pipe(createWriteStream(path.join(dir, 'server.stderr')));
    const lines = createInterface({ input: child.stdout });
    const url = await withTimeout(
        new Promise((resolve, reject) => {
            lines.once('line', resolve);
            child.once('exit', code => reject(new Error(`sdk-legacy-server exited with ${code} before printing its URL`)));
        }),
        15000,
        'sdk-legacy-server start',
    );
    return {
        url,
        stats: async () => (await fetch(new URL('/admin/stats', url))).json(),
        async stop() {
            if (child.exitCode !== null || child.signalCode !== null) return;
            const exited = new Promise(resolve => child.once('exit', resolve));
            child.kill('SIGTERM');
            await withTimeout(exited, 5000, 'sdk-legacy-server stop').catch(() => child.kill('SIGKILL'));
        },
    };
}

async function connectHost(dir, url, transportSetting) {
    const client = new Client({ name: 'interop-host', version: '1.0.0' }, { capabilities: { elicitation: {} } });
    const errors = [];
    client.onerror = e => errors.push(e);
    const env = { ...process.env };
    for (const k of Object.keys(env)) {
        if (/^(UPSTREAM_|OAUTH2_|MCP_PROXY_|DISCOVERY_|LOG_)/.test(k)) delete env[k];
    }
    Object.assign(env, {
        LOG_LEVEL: PROXY_LOG_LEVEL,
        HOME: dir,
        XDG_CONFIG_HOME: path.join(dir, 'config'),
        XDG_CACHE_HOME: path.join(dir, 'cache'),
        XDG_DATA_HOME: path.join(dir, 'data'),
        XDG_STATE_HOME: path.join(dir, 'state'),
    });
    const args = transportSetting === 'http-first' ? [url] : ['--transport', transportSetting, url];
    const transport = new StdioClientTransport({ command: PROXY_BIN, args, env, stderr: 'pipe', maxBufferSize: 64 * MB });
    transport.stderr.pipe(createWriteStream(path.join(dir, 'proxy.stderr')));
    try {
        await withTimeout(client.connect(transport, { timeout: 20000 }), 25000, 'initialize through the proxy');
    } catch (e) {
        await client.close().catch(() => {});
        throw e;
    }
    return { client, errors };
}

async function withSetup(transportSetting, fn) {
    const dir = await mkdtemp(path.join(tmpdir(), 'mcp-interop-legacy-'));
    let server;
    let host;
    let failed = false;
    try {
        server = await startServer(dir);
        host = await connectHost(dir, server.url, transportSetting);
        await fn({ server, ...host });
        assert.deepEqual(host.errors.map(e => e.message), [], 'the host saw transport/protocol errors');
    } catch (e) {
        failed = true;
        const logs =
            `\n--- proxy stderr ---\n${await tail(path.join(dir, 'proxy.stderr'))}` +
            `\n--- sdk-legacy-server stderr ---\n${await tail(path.join(dir, 'server.stderr'), 4000)}`;
        if (e instanceof Error) {
            e.message += logs;
            throw e;
        }
        throw new Error(`${String(e)}${logs}`);
    } finally {
        await host?.client.close().catch(() => {});
        await server?.stop();
        if (!KEEP_LOGS && !failed) await rm(dir, { recursive: true, force: true });
    }
}

const call = (client, name, args, options = {}) =>
    client.callTool({ name, arguments: args }, undefined, { timeout: REQUEST_TIMEOUT_MS, ...options });

const textOf = result => {
    assert.ok(!result.isError, `tool returned an error: ${JSON.stringify(result).slice(0, 500)}`);
    return result.content[0].text;
};

for (const transportSetting of ['http-first', 'sse-only']) {
    describe(`MCP TypeScript SDK client -> mcp-oauth2-proxy (${transportSetting}) -> SDK SSEServerTransport (2024-11-05)`, () => {
        test('initialize, tools/list, tools/call, one session', { timeout: 60000 }, () =>
            withSetup(transportSetting, async ({ client, server }) => {
                assert.equal(client.getServerVersion()?.name, 'interop-sdk-legacy-server');
                await client.ping({ timeout: REQUEST_TIMEOUT_MS });
                const { tools } = await client.listTools(undefined, { timeout: REQUEST_TIMEOUT_MS });
                assert.deepEqual(tools.map(t => t.name).sort(), ['big', 'echo', 'elicit', 'notify', 'progress']);
                const text = 'hello, wörld ☃ \u2028 "quoted" \\ 😀';
                assert.equal(textOf(await call(client, 'echo', { text })), text);
                const stats = await server.stats();
                assert.equal(stats.streams, 1, 'exactly one SSE stream');
                assert.equal(stats.initializes, 1, 'initialize reached the server once');
                // http-first with upstream.protocol auto: the server/discover probe (MCP
                // 2026-07-28), then the initialize POST, both refused, then HTTP+SSE
                const probes = transportSetting === 'http-first' ? ['POST /sse', 'POST /sse'] : [];
                assert.deepEqual(stats.otherRequests, probes, 'Streamable HTTP is tried only in http-first: the era probe and initialize');
            }));

        test('server->client elicitation/create is answered by the host', { timeout: 60000 }, () =>
            withSetup(transportSetting, async ({ client }) => {
                client.setRequestHandler(ElicitRequestSchema, async request => ({
                    action: 'accept',
                    content: { answer: `yes to ${request.params.message}` },
                }));
                const result = await call(client, 'elicit', { message: 'proceed?' });
                assert.equal(textOf(result), `elicited: ${JSON.stringify({ action: 'accept', content: { answer: 'yes to proceed?' } })}`);
            }));

        test('notifications: logging message and progress reach the host', { timeout: 60000 }, () =>
            withSetup(transportSetting, async ({ client }) => {
                const received = new Promise(resolve => {
                    client.setNotificationHandler(LoggingMessageNotificationSchema, n => resolve(n.params));
                });
                assert.equal(textOf(await call(client, 'notify', { text: 'on the stream' })), 'notified');
                const params = await withTimeout(received, 10000, 'notifications/message');
                assert.equal(params.data, 'on the stream');
                const progress = [];
                const result = await call(client, 'progress', { steps: 5 }, { onprogress: p => progress.push(p.progress) });
                assert.equal(textOf(result), 'progress done: 5');
                assert.deepEqual(progress, [1, 2, 3, 4, 5]);
            }));

        test('a 5 MB result and 50 concurrent calls', { timeout: 120000 }, () =>
            withSetup(transportSetting, async ({ client }) => {
                const expected = makePayload(5 * MB);
                const big = textOf(await call(client, 'big', { bytes: 5 * MB }));
                assert.ok(big === expected, `5 MB result differs (length ${big.length} vs ${expected.length})`);
                const texts = Array.from({ length: 50 }, (_, i) => `call ${i}`);
                const results = await Promise.all(texts.map(text => call(client, 'echo', { text })));
                assert.deepEqual(results.map(textOf), texts);
            }));
    });
}
