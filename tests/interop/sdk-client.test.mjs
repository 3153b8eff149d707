// Interop tests: the official MCP TypeScript SDK Client, as an MCP host, spawns the proxy over
// stdio (StdioClientTransport); the proxy talks Streamable HTTP to sdk-server.mjs, a server built
// with the same SDK. Neither end was written by this project.
//
//   PROXY_BIN=/path/to/mcp-oauth2-proxy node --test sdk-client.test.mjs
//   DIRECT=1 node --test sdk-client.test.mjs     # no proxy: the SDK's StreamableHTTPClientTransport
//                                                # talks to the server directly (validates the tests)
// Optional: PROXY_ARGS (extra arguments before the URL, split on spaces),
//           PROXY_LOG_LEVEL (LOG_LEVEL of the proxy, default debug),
//           KEEP_LOGS=1 (keep each test's temp dir with the proxy's and the server's stderr).

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
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
    CreateMessageRequestSchema,
    ElicitRequestSchema,
    EmptyResultSchema,
    LATEST_PROTOCOL_VERSION,
    LoggingMessageNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';

import { makePayload } from './lib/payload.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SERVER_SCRIPT = path.join(HERE, 'sdk-server.mjs');
const DIRECT = process.env.DIRECT === '1';
const PROXY_BIN = process.env.PROXY_BIN;
const PROXY_ARGS = (process.env.PROXY_ARGS ?? '').split(' ').filter(Boolean);
const PROXY_LOG_LEVEL = process.env.PROXY_LOG_LEVEL ?? 'debug';
const KEEP_LOGS = process.env.KEEP_LOGS === '1';

const MB = 1024 * 1024;
const REQUEST_TIMEOUT_MS = 60000;

if (!DIRECT && !PROXY_BIN) {
    throw new Error('set PROXY_BIN to the mcp-oauth2-proxy binary (or DIRECT=1 to test without the proxy)');
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

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

/** Compares two big strings without printing them. */
function assertSameText(actual, expected, what) {
    if (actual === expected) return;
    const a = String(actual);
    let i = 0;
    while (i < a.length && i < expected.length && a[i] === expected[i]) ++i;
    assert.fail(
        `${what}: differs (length ${a.length} vs expected ${expected.length}, ` +
            `bytes ${Buffer.byteLength(a)} vs ${Buffer.byteLength(expected)}), first difference at index ${i}: ` +
            `${JSON.stringify(a.slice(i, i + 40))} vs ${JSON.stringify(expected.slice(i, i + 40))}`,
    );
}

async function startServer(dir, args = []) {
    const child = spawn(process.execPath, [SERVER_SCRIPT, '--port', '0', ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    const logFile = path.join(dir, 'server.stderr');
    child.stderr.pipe(createWriteStream(logFile));
    const lines = createInterface({ input: child.stdout });
    const url = await withTimeout(
        new Promise((resolve, reject) => {
            lines.once('line', resolve);
            child.once('exit', code => reject(new Error(`sdk-server exited with ${code} before printing its URL`)));
        }),
        15000,
        'sdk-server start',
    );
    const base = new URL(url);
    const admin = async (method, p) => {
        const res = await fetch(new URL(p, base), { method });
        assert.equal(res.status, 200, `${method} ${p}`);
        return res.json();
    };
    return {
        url,
        logFile,
        stats: () => admin('GET', '/admin/stats'),
        expire: () => admin('POST', '/admin/expire'),
        async stop() {
            if (child.exitCode !== null || child.signalCode !== null) return;
            const exited = new Promise(resolve => child.once('exit', resolve));
            child.kill('SIGTERM');
            await withTimeout(exited, 5000, 'sdk-server stop').catch(() => child.kill('SIGKILL'));
        },
    };
}

async function connectHost(dir, url, { capabilities = {} } = {}) {
    const client = new Client({ name: 'interop-host', version: '1.0.0' }, { capabilities });
    const errors = [];
    client.onerror = e => errors.push(e);
    let transport;
    const proxyLog = path.join(dir, 'proxy.stderr');
    if (DIRECT) {
        transport = new StreamableHTTPClientTransport(new URL(url));
    } else {
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
        transport = new StdioClientTransport({
            command: PROXY_BIN,
            args: [...PROXY_ARGS, url],
            env,
            stderr: 'pipe',
            maxBufferSize: 64 * MB,
        });
        transport.stderr.pipe(createWriteStream(proxyLog));
    }
    try {
        await withTimeout(client.connect(transport, { timeout: 20000 }), 25000, 'initialize through the proxy');
    } catch (e) {
        await client.close().catch(() => {}); // ends the proxy process
        await transport.close().catch(() => {});
        throw e;
    }
    // Every message the host receives, in wire order (the SDK runs notification handlers a
    // microtask later than response handlers, so onprogress alone cannot tell the wire order).
    const wire = [];
    const dispatch = transport.onmessage;
    transport.onmessage = (message, extra) => {
        wire.push(message);
        dispatch(message, extra);
    };
    return { client, transport, errors, wire, proxyLog };
}

/**
 * Runs `fn` with a fresh sdk-server and a fresh proxy (or direct client). On failure the error
 * carries the tail of the proxy's and the server's stderr.
 */
async function withSetup(options, fn) {
    const dir = await mkdtemp(path.join(tmpdir(), 'mcp-interop-'));
    let server;
    let host;
    let failed = false;
    try {
        server = await startServer(dir, ['--verbose', ...(options.serverArgs ?? [])]);
        host = await connectHost(dir, server.url, options);
        await fn({ server, ...host });
        if (!options.allowClientErrors) {
            assert.deepEqual(
                host.errors.map(e => e.message),
                [],
                'the host saw transport/protocol errors (e.g. a line on stdout that is not JSON-RPC)',
            );
        }
    } catch (e) {
        failed = true;
        const where = DIRECT ? '' : `\n--- proxy stderr (${path.join(dir, 'proxy.stderr')}) ---\n${await tail(path.join(dir, 'proxy.stderr'))}`;
        const serverLog = `\n--- sdk-server stderr ---\n${await tail(path.join(dir, 'server.stderr'), 4000)}`;
        if (e instanceof Error) {
            e.message += `${where}${serverLog}`;
            throw e;
        }
        throw new Error(`${String(e)}${where}${serverLog}`);
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
    assert.equal(result.content?.[0]?.type, 'text', `unexpected content: ${JSON.stringify(result).slice(0, 500)}`);
    return result.content[0].text;
};

describe(`MCP TypeScript SDK client -> ${DIRECT ? 'DIRECT (no proxy)' : 'mcp-oauth2-proxy'} -> SDK server`, () => {
    test('initialize, ping, tools/list, tools/call echo, error pass-through, headers', { timeout: 60000 }, () =>
        withSetup({}, async ({ client, server }) => {
            assert.equal(client.getServerVersion()?.name, 'interop-sdk-server');
            assert.ok(client.getServerCapabilities()?.tools, 'server capabilities lost');
            assert.equal(client.getInstructions(), 'Interop test server of mcp-oauth2-proxy.');

            await client.ping({ timeout: REQUEST_TIMEOUT_MS });

            const { tools } = await client.listTools(undefined, { timeout: REQUEST_TIMEOUT_MS });
            const names = tools.map(t => t.name).sort();
            assert.deepEqual(names, ['big', 'drop_get_stream', 'echo', 'elicit', 'notify', 'progress', 'resumable', 'sample']);

            const text = 'hello, wörld ☃ \u2028 "quoted" \\ 😀';
            assert.equal(textOf(await call(client, 'echo', { text })), text);

            // a JSON-RPC error from the server reaches the host unchanged
            await assert.rejects(
                client.request({ method: 'no/such/method', params: {} }, EmptyResultSchema, {
                    timeout: REQUEST_TIMEOUT_MS,
                }),
                e => e.code === -32601,
                'expected JSON-RPC error -32601 from the server',
            );

            const stats = await server.stats();
            assert.equal(stats.sessionsCreated, 1, 'exactly one session');
            assert.equal(stats.clientInfos[0]?.name, 'interop-host', "the host's clientInfo is forwarded");
            assert.deepEqual(stats.clientProtocolVersions, [LATEST_PROTOCOL_VERSION]);
            assert.equal(stats.missingProtocolVersion, 0, 'every request after initialize carries MCP-Protocol-Version');
            assert.deepEqual(stats.protocolVersions, [LATEST_PROTOCOL_VERSION], 'MCP-Protocol-Version = negotiated version');
            assert.equal(stats.missingAccept, 0, 'every POST accepts text/event-stream');
            assert.equal(stats.badRequests, 0, 'no request without Mcp-Session-Id after initialize');
            // upstream.protocol auto: one server/discover probe (MCP 2026-07-28) before initialize
            assert.equal(stats.discoverProbes, 1, 'one era probe per host initialize');
        }));

    test('progress notifications arrive before the result', { timeout: 60000 }, () =>
        withSetup({}, async ({ client }) => {
            // 8 x 200 ms: the stream also carries the server's keep-alive comments (every 1 s)
            const steps = 8;
            const events = [];
            const result = await call(client, 'progress', { steps, delayMs: 200 }, {
                onprogress: p => events.push(`progress ${p.progress}/${p.total}`),
            });
            events.push('result');
            assert.equal(textOf(result), `progress done: ${steps} notifications`);
            const expected = [...Array.from({ length: steps }, (_, i) => `progress ${i + 1}/${steps}`), 'result'];
            assert.deepEqual(events, expected);
        }));

    test('server->client sampling/createMessage is answered by the host', { timeout: 60000 }, () =>
        withSetup({ capabilities: { sampling: {} } }, async ({ client }) => {
            const seen = [];
            client.setRequestHandler(CreateMessageRequestSchema, async request => {
                const prompt = request.params.messages[0].content.text;
                seen.push(prompt);
                return { role: 'assistant', content: { type: 'text', text: `host answer to ${prompt}` }, model: 'interop-model' };
            });
            const result = await call(client, 'sample', { prompt: 'what is 6*7?' });
            assert.deepEqual(seen, ['what is 6*7?']);
            assert.equal(textOf(result), 'sampled(interop-model): host answer to what is 6*7?');
        }));

    test('server->client elicitation/create is answered by the host', { timeout: 60000 }, () =>
        withSetup({ capabilities: { elicitation: { form: {} } } }, async ({ client }) => {
            client.setRequestHandler(ElicitRequestSchema, async request => ({
                action: 'accept',
                content: { answer: `yes to ${request.params.message}` },
            }));
            const result = await call(client, 'elicit', { message: 'proceed?' });
            assert.equal(textOf(result), `elicited: ${JSON.stringify({ action: 'accept', content: { answer: 'yes to proceed?' } })}`);
        }));

    test('a notification sent on the standalone GET stream reaches the host', { timeout: 60000 }, () =>
        withSetup({}, async ({ client }) => {
            const received = new Promise(resolve => {
                client.setNotificationHandler(LoggingMessageNotificationSchema, n => resolve(n.params));
            });
            const result = JSON.parse(textOf(await call(client, 'notify', { text: 'via the GET stream' })));
            assert.equal(result.getStreamOpen, true, 'no standalone GET stream was open within 10 s of initialize');
            const params = await withTimeout(received, 10000, 'notifications/message from the GET stream');
            assert.equal(params.data, 'via the GET stream');
            assert.equal(params.logger, 'notify');
        }));

    test('the GET stream is resumed with Last-Event-ID: a notification sent while it was down arrives', { timeout: 60000 }, () =>
        withSetup({}, async ({ client, server }) => {
            const data = [];
            const received = new Promise(resolve => {
                client.setNotificationHandler(LoggingMessageNotificationSchema, n => {
                    data.push(n.params.data);
                    if (data.length === 2) resolve();
                });
            });
            const result = JSON.parse(textOf(await call(client, 'drop_get_stream', { text: 'notification' })));
            assert.equal(result.getStreamOpen, true, 'no standalone GET stream was open within 10 s of initialize');
            await withTimeout(received, 10000, `the notification stored while the GET stream was down (got ${JSON.stringify(data)})`);
            assert.deepEqual(data, ['notification 1', 'notification 2']);
            const stats = await server.stats();
            assert.ok(
                stats.lastEventIds.some(id => id.startsWith('_GET_stream|')),
                `the GET stream was not resumed with its Last-Event-ID; Last-Event-IDs seen: ${JSON.stringify(stats.lastEventIds)}`,
            );
        }));

    test('200 concurrent tools/call all succeed with the right results', { timeout: 120000 }, () =>
        withSetup({}, async ({ client }) => {
            const n = 200;
            const results = await Promise.all(
                Array.from({ length: n }, (_, i) => call(client, 'echo', { text: `message #${i} ${'x'.repeat(i)}` })),
            );
            results.forEach((r, i) => assert.equal(textOf(r), `message #${i} ${'x'.repeat(i)}`, `call #${i}`));
        }));

    test('a 5 MB argument and a 5 MB result round-trip intact', { timeout: 120000 }, () =>
        withSetup({}, async ({ client }) => {
            const argument = makePayload(5 * MB, 42);
            assertSameText(textOf(await call(client, 'echo', { text: argument })), argument, '5 MB echo');
            const expected = makePayload(5 * MB, 7);
            assertSameText(textOf(await call(client, 'big', { bytes: 5 * MB, seed: 7 })), expected, '5 MB result');
            // and the session still works afterwards
            assert.equal(textOf(await call(client, 'echo', { text: 'after' })), 'after');
        }));

    test('SSE resumption: the request stream is closed mid-call, resumed with Last-Event-ID', { timeout: 60000 }, () =>
        withSetup({}, async ({ client, server, wire, errors }) => {
            const result = await call(client, 'resumable', { steps: 3, pauseMs: 200 }, { onprogress: () => {} });
            assert.equal(textOf(result), 'resumed after 3 more notifications');
            // The replay delivers progress 2..4 and the result at once; the host may then see the
            // result before it runs the progress handlers (SDK quirk: notification handlers run a
            // microtask later), hence the check on the wire order instead of onprogress.
            const response = wire.findIndex(m => m.result?.content?.[0]?.text === 'resumed after 3 more notifications');
            const progress = wire
                .slice(0, response)
                .filter(m => m.method === 'notifications/progress')
                .map(m => m.params.progress);
            assert.deepEqual(progress, [1, 2, 3, 4], 'progress notifications before the result, each once, in order');
            const late = wire.slice(response + 1).filter(m => m.method === 'notifications/progress');
            assert.deepEqual(late, [], 'no progress notification after the result');
            for (let i = errors.length - 1; i >= 0; --i) {
                if (/progress notification for an unknown token/.test(errors[i].message)) errors.splice(i, 1);
            }
            const stats = await server.stats();
            assert.ok(
                stats.lastEventIds.some(id => !id.startsWith('_GET_stream|')),
                `no GET with the Last-Event-ID of the request stream; Last-Event-IDs seen: ${JSON.stringify(stats.lastEventIds)}`,
            );
        }));

    test('session expiry: the next call re-initializes transparently', { timeout: 60000 }, () =>
        withSetup({}, async ({ client, server, errors }) => {
            assert.equal(textOf(await call(client, 'echo', { text: 'before' })), 'before');
            const { expired } = await server.expire();
            assert.equal(expired.length, 1);
            if (DIRECT) {
                // the plain SDK client does not re-initialize: the server's 404 surfaces
                await assert.rejects(call(client, 'echo', { text: 'after' }), /404|Session not found/);
                errors.length = 0; // those 404s were expected
                return;
            }
            assert.equal(textOf(await call(client, 'echo', { text: 'after' })), 'after');
            const stats = await server.stats();
            assert.equal(stats.sessionsCreated, 2, 'a new session was initialized');
            assert.ok(stats.notFound >= 1, 'the old session id got a 404');
            assert.equal(stats.clientInfos[1]?.name, 'interop-host', "the re-initialize replays the host's clientInfo");

            // the new session gets its own standalone GET stream
            const received = new Promise(resolve => {
                client.setNotificationHandler(LoggingMessageNotificationSchema, n => resolve(n.params));
            });
            const notify = JSON.parse(textOf(await call(client, 'notify', { text: 'after expiry' })));
            assert.equal(notify.getStreamOpen, true, 'no standalone GET stream on the new session');
            assert.equal((await withTimeout(received, 10000, 'notification after expiry')).data, 'after expiry');
        }));

    test('clean shutdown: stdin EOF -> DELETE of the session, exit 0', { timeout: 60000, skip: DIRECT && 'proxy only' }, () =>
        withSetup({}, async ({ client, transport, server }) => {
            assert.equal(textOf(await call(client, 'echo', { text: 'x' })), 'x');
            // StdioClientTransport keeps the child private; watch its exit to tell a clean exit from
            // the SIGTERM that close() sends after 2 s.
            const child = transport._process;
            assert.ok(child, 'no child process');
            const exit = new Promise(resolve => child.once('exit', (code, signal) => resolve({ code, signal })));
            const started = Date.now();
            await client.close();
            const { code, signal } = await withTimeout(exit, 10000, 'proxy exit');
            assert.equal(signal, null, `the proxy did not exit by itself on stdin EOF within 2 s (killed by ${signal})`);
            assert.equal(code, 0, 'exit code');
            let stats = await server.stats();
            for (let i = 0; stats.deletes < 1 && i < 20; ++i) {
                await sleep(100);
                stats = await server.stats();
            }
            assert.equal(stats.deletes, 1, 'the proxy sent DELETE with the session id on shutdown');
            assert.ok(Date.now() - started < 5000, 'shutdown took more than 5 s');
        }));
});
