// Switching from mcp-remote by changing one word: the host configurations of mcp-remote's README
// (npm mcp-remote 0.15.1), run once with `mcp-remote` and once with mcp-oauth2-proxy in its
// place, same arguments and environment, against the same MCP server (built with the official
// TypeScript SDK, stateless Streamable HTTP). The host is the SDK's Client over stdio; both must
// give the same tools and the same answers, and the server must see the same headers (static
// headers, the cookie it set for a sticky load balancer).
//
//   PROXY_BIN=/path/to/mcp-oauth2-proxy node --test mcp-remote.test.mjs
// Optional: KEEP_LOGS=1.

import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import * as z from 'zod';

const PROXY_BIN = process.env.PROXY_BIN;
const KEEP_LOGS = process.env.KEEP_LOGS === '1';
if (!PROXY_BIN) throw new Error('set PROXY_BIN to the mcp-oauth2-proxy binary');
const require = createRequire(import.meta.url);
const MCP_REMOTE = path.join(path.dirname(require.resolve('mcp-remote/package.json')), 'dist', 'proxy.js');

// The headers a tool reports back: what a static header or a cookie jar would change.
const REPORTED = ['authorization', 'x-custom-header', 'cookie'];

// One stateless SDK server per request (the SDK's stateless Streamable HTTP pattern); it sets a
// load balancer's stickiness cookie on every answer and its `whoami` tool reports what it saw.
function startServer() {
    const server = http.createServer(async (req, res) => {
        if (req.url !== '/mcp') {
            res.writeHead(404).end();
            return;
        }
        if (req.method !== 'POST') {
            res.writeHead(405, { Allow: 'POST' }).end();
            return;
        }
        const seen = Object.fromEntries(REPORTED.map(name => [name, req.headers[name] ?? null]));
        const mcp = new McpServer({ name: 'side-by-side', version: '1.0.0' });
        mcp.registerTool('echo', { description: 'echo', inputSchema: { text: z.string() } },
            async ({ text }) => ({ content: [{ type: 'text', text }] }));
        mcp.registerTool('whoami', { description: 'the request headers the server saw' },
            async () => ({ content: [{ type: 'text', text: JSON.stringify(seen) }] }));
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
        res.on('close', () => { transport.close(); mcp.close(); });
        res.setHeader('Set-Cookie', 'lb=node-1; Path=/; HttpOnly');
        await mcp.connect(transport);
        let body = '';
        for await (const chunk of req) body += chunk;
        await transport.handleRequest(req, res, JSON.parse(body));
    });
    return new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function runHost(command, args, env, logFile) {
    const transport = new StdioClientTransport({ command, args, env: { ...process.env, ...env }, stderr: 'pipe' });
    let log = '';
    transport.stderr?.on('data', chunk => { log += chunk; });
    const client = new Client({ name: 'host', version: '1.0.0' });
    try {
        await client.connect(transport);
        const tools = (await client.listTools()).tools.map(t => t.name).sort();
        const echo = (await client.callTool({ name: 'echo', arguments: { text: 'same' } })).content[0].text;
        const whoami = JSON.parse((await client.callTool({ name: 'whoami', arguments: {} })).content[0].text);
        return { tools, echo, whoami };
    } catch (e) {
        throw new Error(`${path.basename(command)} ${args.join(' ')}: ${e.message}\n${log.slice(-4000)}`);
    } finally {
        await client.close().catch(() => {});
        if (KEEP_LOGS) await writeFile(logFile, log);
    }
}

describe('mcp-remote replaced by mcp-oauth2-proxy, same arguments', () => {
    let server;
    let url;
    let dir;
    before(async () => {
        server = await startServer();
        url = `http://127.0.0.1:${server.address().port}/mcp`;
        dir = await mkdtemp(path.join(tmpdir(), 'mcp-remote-side-by-side-'));
        await writeFile(path.join(dir, 'headers.txt'),
            '# credentials for the example server\nAuthorization: Bearer my-token\nX-Custom-Header: custom-value\n');
    });
    after(async () => {
        server.close();
        if (!KEEP_LOGS) await rm(dir, { recursive: true, force: true });
    });

    // The README's host configurations ("args" after "mcp-remote"), with its environment.
    const configurations = [
        { name: 'plain URL', args: u => [u] },
        { name: 'custom header with ${VAR}', args: u => [u, '--header', 'Authorization: Bearer ${AUTH_TOKEN}'], env: { AUTH_TOKEN: 'tok-123' },
            seen: { authorization: 'Bearer tok-123' } },
        { name: 'header without spaces', args: u => [u, '--header', 'Authorization:${AUTH_HEADER}'], env: { AUTH_HEADER: 'Bearer tok-456' },
            seen: { authorization: 'Bearer tok-456' } },
        { name: 'header file', args: (u, d) => [u, '--header-file', path.join(d, 'headers.txt')],
            seen: { authorization: 'Bearer my-token', 'x-custom-header': 'custom-value' } },
        { name: 'allow http', args: u => [u, '--allow-http'] },
        { name: 'transport http-only', args: u => [u, '--transport', 'http-only'] },
        { name: 'protocol legacy', args: u => [u, '--protocol', 'legacy'] },
        { name: 'timeouts and proxy flag', args: u => [u, '--body-timeout', '0', '--enable-proxy'] },
        { name: 'README: network timeouts', args: u => [u, '--connect-timeout', '30', '--body-timeout', '0', '--headers-timeout', '300'] },
        { name: 'README: keep-alive', args: u => [u, '--keep-alive', '--ping-interval', '60'] },
        { name: 'auth timeout and resource', args: u => [u, '--auth-timeout', '60', '--resource', 'https://tenant1.example.net/'] },
        { name: 'callback port, host and path', args: u => [u, '9696', '--host', '127.0.0.1', '--callback-path', '/custom/callback'] },
        { name: 'authorize params', args: u => [u, '--authorize-param', 'access_type=offline', '--authorize-param', 'prompt=consent'] },
        { name: 'silent', args: u => [u, '--silent'] },
        { name: 'cookies disabled', args: u => [u, '--disable-cookies'], seen: { cookie: null } },
    ];
    for (const configuration of configurations) {
        test(configuration.name, async () => {
            const args = configuration.args(url, dir);
            const env = { ...(configuration.env ?? {}), MCP_REMOTE_CONFIG_DIR: path.join(dir, 'mcp-auth'),
                XDG_CONFIG_HOME: path.join(dir, 'config'), BROWSER: 'false' };
            const slug = configuration.name.replace(/\W+/g, '-');
            const theirs = await runHost(process.execPath, [MCP_REMOTE, ...args], env, path.join(dir, `${slug}.mcp-remote.log`));
            const ours = await runHost(PROXY_BIN, args, { ...env, LOG_LEVEL: 'debug' }, path.join(dir, `${slug}.proxy.log`));
            assert.deepEqual(ours.tools, ['echo', 'whoami']);
            assert.deepEqual(ours.tools, theirs.tools);
            assert.equal(ours.echo, 'same');
            assert.equal(ours.echo, theirs.echo);
            assert.deepEqual(ours.whoami, theirs.whoami);
            // What the server saw, stated (the cookie it set comes back unless disabled).
            const seen = { authorization: null, 'x-custom-header': null, cookie: 'lb=node-1', ...(configuration.seen ?? {}) };
            assert.deepEqual(ours.whoami, seen);
        });
    }
});
