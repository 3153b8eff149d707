// The interop matrix: every server era × every host era, through the proxy over stdio.
//
//   servers (matrix/server.mjs): 2026-07-28  @modelcontextprotocol/server 2.x (stateless)
//                                2025-11-25  @modelcontextprotocol/sdk 1.x Streamable HTTP
//                                2024-11-05  @modelcontextprotocol/sdk 1.x HTTP+SSE
//   hosts on stdio:              sdk-1       @modelcontextprotocol/sdk 1.x Client (a 2025-era
//                                            desktop host: `initialize`)
//                                sdk-2       @modelcontextprotocol/client 2.x Client with version
//                                            negotiation `auto` (a 2026-07-28 host: `server/discover`
//                                            first, `initialize` when that fails)
//   cells per pair: tools, progress, elicitation, sampling, list-changed, 5 MB payload,
//                   200 concurrent calls — one node:test test (one TAP line) per cell, named
//                   "<server era> server, <host> host: <cell>".
// A 2026 host in front of a 2026-07-28 server must get the 2026-07-28 wire end to end (the proxy
// passes it through); every other pair works in whatever era the host negotiates.
//
//   PROXY_BIN=/path/to/mcp-oauth2-proxy node --test --test-concurrency=1 matrix.test.mjs
//   DIRECT=1 node --test matrix.test.mjs   # no proxy: each host on the SDK's own HTTP transport,
//                                          # only the pairs it can serve (validates the tests)
// Env: MATRIX_ERAS / MATRIX_HOSTS (space-separated subsets), PROXY_ARGS, PROXY_LOG_LEVEL
// (default info), KEEP_LOGS=1 (keep the proxy's and servers' stderr).

import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { makePayload } from './lib/payload.mjs';
import { startMatrixServer, textOf } from './matrix/start.mjs';
import { readText, sleep, withTimeout } from './lib/test-helpers.mjs';

const DIRECT = process.env.DIRECT === '1';
const PROXY_BIN = process.env.PROXY_BIN;
const PROXY_ARGS = (process.env.PROXY_ARGS ?? '').split(' ').filter(Boolean);
const KEEP_LOGS = process.env.KEEP_LOGS === '1';
const ERAS = (process.env.MATRIX_ERAS ?? '2026-07-28 2025-11-25 2024-11-05').split(' ').filter(Boolean);
const HOSTS = (process.env.MATRIX_HOSTS ?? 'sdk-1 sdk-2').split(' ').filter(Boolean);
const MB = 1024 * 1024;
const CALL = { timeout: 180000 };
const SAMPLED = 'matrix host sampled text';
const ANSWER = 'matrix host answer';

if (!DIRECT && !PROXY_BIN) throw new Error('set PROXY_BIN to the mcp-oauth2-proxy binary (or DIRECT=1)');

/** The host side of one SDK generation, behind one interface. */
async function loadHost(kind) {
    if (kind === 'sdk-2') {
        const sdk = await import('@modelcontextprotocol/client');
        const { StdioClientTransport } = await import('@modelcontextprotocol/client/stdio');
        return {
            make(onToolsChanged) {
                const client = new sdk.Client(
                    { name: 'matrix-host-sdk-2', version: '1.0.0' },
                    {
                        capabilities: { sampling: {}, elicitation: { form: {} }, roots: { listChanged: true } },
                        versionNegotiation: { mode: 'auto' },
                        listChanged: { tools: { autoRefresh: false, debounceMs: 0, onChanged: () => onToolsChanged() } },
                    },
                );
                client.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { answer: ANSWER } }));
                client.setRequestHandler('sampling/createMessage', async () => ({
                    role: 'assistant',
                    content: { type: 'text', text: SAMPLED },
                    model: 'matrix-host',
                    stopReason: 'endTurn',
                }));
                client.setRequestHandler('roots/list', async () => ({ roots: [] }));
                return client;
            },
            callTool: (client, params, options = {}) => client.callTool(params, { ...CALL, ...options }),
            stdio: options => new StdioClientTransport(options),
            http: url => (url.endsWith('/sse') ? new sdk.SSEClientTransport(new URL(url)) : new sdk.StreamableHTTPClientTransport(new URL(url))),
            version: client => client.getNegotiatedProtocolVersion?.(),
            canDirect: () => true,
        };
    }
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
    const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
    const { SSEClientTransport } = await import('@modelcontextprotocol/sdk/client/sse.js');
    const types = await import('@modelcontextprotocol/sdk/types.js');
    return {
        make(onToolsChanged) {
            const client = new Client(
                { name: 'matrix-host-sdk-1', version: '1.0.0' },
                { capabilities: { sampling: {}, elicitation: { form: {} }, roots: { listChanged: true } } },
            );
            client.setRequestHandler(types.ElicitRequestSchema, async () => ({ action: 'accept', content: { answer: ANSWER } }));
            client.setRequestHandler(types.CreateMessageRequestSchema, async () => ({
                role: 'assistant',
                content: { type: 'text', text: SAMPLED },
                model: 'matrix-host',
                stopReason: 'endTurn',
            }));
            client.setRequestHandler(types.ListRootsRequestSchema, async () => ({ roots: [] }));
            client.setNotificationHandler(types.ToolListChangedNotificationSchema, async () => onToolsChanged());
            return client;
        },
        callTool: (client, params, options = {}) => client.callTool(params, undefined, { ...CALL, ...options }),
        stdio: options => new StdioClientTransport(options),
        http: url => (url.endsWith('/sse') ? new SSEClientTransport(new URL(url)) : new StreamableHTTPClientTransport(new URL(url))),
        version: () => undefined,
        canDirect: era => era !== '2026-07-28',
    };
}


for (const era of ERAS) {
    describe(`${era} server`, () => {
        let dir;
        let server;
        before(async () => {
            dir = await mkdtemp(path.join(tmpdir(), `mcp-matrix-${era}-`));
            server = await startMatrixServer(era, dir);
        });
        after(async () => {
            server?.stop();
            if (!KEEP_LOGS) await rm(dir, { recursive: true, force: true });
            else process.stderr.write(`matrix logs: ${dir}\n`);
        });

        for (const hostKind of HOSTS) {
            describe(`${era} server, ${hostKind} host`, () => {
                let host;
                let client;
                let connectError;
                let proxyLog;
                const changes = { count: 0, waiters: [] };
                const progressSeen = [];
                const onToolsChanged = () => {
                    changes.count += 1;
                    for (const wake of changes.waiters.splice(0)) wake();
                };
                const skip = () => (DIRECT && host && !host.canDirect(era) ? 'DIRECT: this host cannot speak to this server without the proxy' : false);

                before(async () => {
                    host = await loadHost(hostKind);
                    if (skip()) return;
                    client = host.make(onToolsChanged);
                    proxyLog = path.join(dir, `proxy-${hostKind}.stderr`);
                    let transport;
                    if (DIRECT) transport = host.http(server.url);
                    else {
                        transport = host.stdio({
                            command: PROXY_BIN,
                            args: [...PROXY_ARGS, server.url],
                            env: { ...process.env, LOG_LEVEL: process.env.PROXY_LOG_LEVEL ?? 'info' },
                            stderr: 'pipe',
                        });
                        transport.stderr?.pipe(createWriteStream(proxyLog));
                    }
                    try {
                        await withTimeout(client.connect(transport), 30000, 'connect');
                        // What reached the host, seen before the SDK dispatches it: the SDK 1.x
                        // Client runs notification handlers a microtask after response handlers, so
                        // a progress notification read in the same chunk as the result never reaches
                        // its onprogress callback although it arrived in time.
                        const dispatch = transport.onmessage;
                        transport.onmessage = (message, extra) => {
                            if (message?.method === 'notifications/progress') progressSeen.push(message.params);
                            return dispatch?.call(transport, message, extra);
                        };
                    } catch (e) {
                        connectError = e;
                    }
                });
                after(async () => {
                    await client?.close().catch(() => {});
                });

                /** One matrix cell: fails with the connect error, or with the cell's own error plus the logs' tails. */
                const cell = (name, body) =>
                    test(`${era} server, ${hostKind} host: ${name}`, async t => {
                        if (skip()) {
                            t.skip(skip());
                            return;
                        }
                        try {
                            if (connectError) throw new Error(`connect failed: ${connectError.message}`);
                            await withTimeout(body(), 420000, name);
                        } catch (e) {
                            const proxyTail = DIRECT ? '' : `\n--- proxy stderr ---\n${(await readText(proxyLog)).slice(-6000)}`;
                            const serverTail = `\n--- server stderr ---\n${(await readText(server.logFile)).slice(-3000)}`;
                            const cause = e.cause ? ` (cause: ${e.cause.message ?? e.cause})` : '';
                            e.message = `${e.message}${cause}${proxyTail}${serverTail}`;
                            throw e;
                        }
                    });

                cell('tools', async () => {
                    const { tools } = await client.listTools(undefined, CALL);
                    const names = tools.map(t => t.name);
                    for (const name of ['echo', 'big', 'progress', 'elicit', 'sample', 'add_tool']) assert.ok(names.includes(name), `tools/list lacks ${name}: ${names}`);
                    const result = await host.callTool(client, { name: 'echo', arguments: { text: 'hello, 世界' } });
                    assert.equal(textOf(result), 'hello, 世界');
                    if (hostKind === 'sdk-2' && era === '2026-07-28') {
                        // a 2026-07-28 host reaches a 2026-07-28 server on that wire, through the proxy
                        assert.equal(host.version(client), '2026-07-28', 'the 2026 host did not negotiate 2026-07-28');
                    }
                });

                cell('progress', async () => {
                    progressSeen.length = 0;
                    const result = await host.callTool(client, { name: 'progress', arguments: { steps: 5 } }, { onprogress: () => {} });
                    assert.equal(textOf(result), 'progress done: 5 notifications');
                    // all five, in order, before the result, with the token the host chose
                    assert.deepEqual(progressSeen.map(p => p.progress), [1, 2, 3, 4, 5]);
                    assert.equal(new Set(progressSeen.map(p => p.progressToken)).size, 1);
                });

                cell('elicitation', async () => {
                    const result = await host.callTool(client, { name: 'elicit', arguments: { message: 'Your answer?' } });
                    assert.match(String(textOf(result)), /^elicited: accept /);
                    assert.ok(String(textOf(result)).includes(ANSWER), textOf(result));
                });

                cell('sampling', async () => {
                    const result = await host.callTool(client, { name: 'sample', arguments: { prompt: 'Say something' } });
                    assert.equal(textOf(result), `sampled: ${SAMPLED}`);
                });

                cell('list-changed', async () => {
                    const name = `added_${hostKind.replace('-', '_')}_${Date.now()}`;
                    const before = changes.count;
                    const arrived = new Promise(resolve => changes.waiters.push(resolve));
                    // the 2026 host's subscriptions/listen stream may still be opening: give it a moment
                    await sleep(200);
                    await host.callTool(client, { name: 'add_tool', arguments: { name } });
                    await withTimeout(arrived, 15000, 'notifications/tools/list_changed');
                    assert.ok(changes.count > before);
                    const { tools } = await client.listTools(undefined, CALL);
                    assert.ok(tools.some(t => t.name === name), `${name} not in the new tool list`);
                    assert.equal(textOf(await host.callTool(client, { name, arguments: {} })), `${name} called`);
                });

                cell('5 MB payload', async () => {
                    const payload = makePayload(5 * MB, 9);
                    const result = await host.callTool(client, { name: 'big', arguments: { bytes: 5 * MB, seed: 9 } });
                    assert.ok(textOf(result) === payload, `5 MB result differs (length ${textOf(result)?.length} vs ${payload.length})`);
                    const echoed = await host.callTool(client, { name: 'echo', arguments: { text: payload } });
                    assert.ok(textOf(echoed) === payload, `5 MB request echo differs (length ${textOf(echoed)?.length} vs ${payload.length})`);
                });

                cell('200 concurrent calls', async () => {
                    const texts = Array.from({ length: 200 }, (_, i) => `call ${i} ${'·'.repeat(i % 17)}`);
                    const results = await Promise.all(texts.map(text => host.callTool(client, { name: 'echo', arguments: { text } })));
                    assert.deepEqual(results.map(textOf), texts);
                });
            });
        }
    });
}
