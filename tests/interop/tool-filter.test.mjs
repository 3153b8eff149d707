// Tool filtering end to end: the official SDK 1.x Client (a 2025-era host) spawns the proxy with
// --allow-tool / --ignore-tool in front of a server of every era (matrix/server.mjs: SDK 2.x
// stateless 2026-07-28, SDK 1.x Streamable HTTP 2025-11-25, SDK 1.x HTTP+SSE 2024-11-05). The host
// must see only the visible tools, a call of a hidden tool must fail with -32602 without running
// (the server would have run it: every tool named here exists there), and
// notifications/tools/list_changed must still reach the host, with the new list filtered too.
//
//   PROXY_BIN=/path/to/mcp-oauth2-proxy node --test --test-concurrency=1 tool-filter.test.mjs
// Env: MATRIX_ERAS (space-separated subset), PROXY_LOG_LEVEL (default info), KEEP_LOGS=1.

import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

import { startMatrixServer, textOf } from './matrix/start.mjs';
import { readText, withTimeout } from './lib/test-helpers.mjs';

const PROXY_BIN = process.env.PROXY_BIN;
const KEEP_LOGS = process.env.KEEP_LOGS === '1';
const ERAS = (process.env.MATRIX_ERAS ?? '2026-07-28 2025-11-25 2024-11-05').split(' ').filter(Boolean);
const CALL = { timeout: 60000 };

if (!PROXY_BIN) throw new Error('set PROXY_BIN to the mcp-oauth2-proxy binary');

const namesOf = async client => (await client.listTools(undefined, CALL)).tools.map(t => t.name).sort();

/** What the host sees with `filterArgs`, against one server: the tool list, a visible call, refused calls. */
const CASES = [
    {
        name: 'deny (--ignore-tool, mcp-remote style)',
        args: ['--ignore-tool', 'big', '--ignore-tool', 'S*'], // case-insensitive: hides "sample"
        visible: ['add_tool', 'echo', 'elicit', 'progress'],
        hidden: ['big', 'sample'],
        added: { name: 'plain_added', shown: true },
    },
    {
        name: 'allow (--allow-tool)',
        args: ['--allow-tool', 'echo', '--allow-tool', 'add*'],
        visible: ['add_tool', 'echo'],
        hidden: ['big', 'progress', 'sample', 'elicit'],
        added: { name: 'added_by_allow', shown: true },
    },
    {
        name: 'allow and deny (deny wins)',
        args: ['--allow-tool', '*', '--ignore-tool', 'added_*', '--ignore-tool', 'elicit'],
        visible: ['add_tool', 'big', 'echo', 'progress', 'sample'],
        hidden: ['elicit'],
        added: { name: 'added_but_denied', shown: false },
    },
];

for (const era of ERAS) {
    describe(`${era} server`, () => {
        let dir;
        let server;
        before(async () => {
            dir = await mkdtemp(path.join(tmpdir(), `mcp-toolfilter-${era}-`));
            server = await startMatrixServer(era, dir);
        });
        after(async () => {
            server?.stop();
            if (!KEEP_LOGS) await rm(dir, { recursive: true, force: true });
            else process.stderr.write(`tool-filter logs: ${dir}\n`);
        });

        for (const [index, c] of CASES.entries()) {
            test(`${era} server: ${c.name}`, async () => {
                const proxyLog = path.join(dir, `proxy-${index}.stderr`);
                const client = new Client({ name: 'tool-filter-host', version: '1.0.0' }, { capabilities: {} });
                let changed = 0;
                let wake;
                client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
                    changed += 1;
                    wake?.();
                });
                const transport = new StdioClientTransport({
                    command: PROXY_BIN,
                    args: [...c.args, server.url],
                    env: { ...process.env, LOG_LEVEL: process.env.PROXY_LOG_LEVEL ?? 'info' },
                    stderr: 'pipe',
                });
                transport.stderr?.pipe(createWriteStream(proxyLog));
                try {
                    await withTimeout(client.connect(transport), 30000, 'connect');
                    const names = await namesOf(client);
                    // tools added by earlier cases (add_tool is server-wide) are judged by the filter too
                    assert.deepEqual(
                        names.filter(n => c.visible.includes(n)),
                        c.visible,
                        `visible tools: ${names}`,
                    );
                    for (const hidden of c.hidden) assert.ok(!names.includes(hidden), `${hidden} is listed: ${names}`);
                    assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: 'visible' } }, undefined, CALL)), 'visible');
                    for (const hidden of c.hidden) {
                        await assert.rejects(
                            client.callTool({ name: hidden, arguments: {} }, undefined, CALL),
                            // answered by the proxy (its reason), not by the server
                            e => e.code === -32602 && /Unknown tool/.test(e.message) && /tool filter/.test(e.data?.reason ?? ''),
                            `calling ${hidden}`,
                        );
                    }
                    // list_changed flows, and the new list is filtered as well
                    const arrived = new Promise(resolve => (wake = resolve));
                    await client.callTool({ name: 'add_tool', arguments: { name: c.added.name } }, undefined, CALL);
                    await withTimeout(arrived, 15000, 'notifications/tools/list_changed');
                    assert.ok(changed > 0);
                    assert.equal((await namesOf(client)).includes(c.added.name), c.added.shown, `${c.added.name} listed?`);
                    if (!c.added.shown) {
                        await assert.rejects(
                            client.callTool({ name: c.added.name, arguments: {} }, undefined, CALL),
                            e => e.code === -32602 && /tool filter/.test(e.data?.reason ?? ''),
                        );
                    }
                } catch (e) {
                    e.message += `\n--- proxy stderr ---\n${(await readText(proxyLog)).slice(-6000)}`;
                    e.message += `\n--- server stderr ---\n${(await readText(server.logFile)).slice(-3000)}`;
                    throw e;
                } finally {
                    await client.close().catch(() => {});
                }
            });
        }
    });
}
