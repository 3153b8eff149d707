#!/usr/bin/env node
// An MCP server of the HTTP with SSE transport (MCP 2024-11-05) built with the official
// TypeScript SDK (McpServer + SSEServerTransport), the upstream of sdk-legacy.test.mjs.
//
//   node sdk-legacy-server.mjs [--port N] [--verbose]
//
// Listens on 127.0.0.1 (port 0 = ephemeral) and prints its SSE URL as the first line of stdout,
// e.g. http://127.0.0.1:41234/sse. Logs go to stderr.
//
//   GET  /sse                       a new session: the event stream, first event `endpoint`
//   POST /messages?sessionId=<id>   one JSON-RPC message of that session (202; the response goes
//                                   on the stream)
// Anything else is 404, as in the SDK's examples: a Streamable HTTP POST to /sse gets 404.
//
// Tools: echo, elicit (elicitation/create to the client), notify (notifications/message, then
// the result), progress (notifications/progress), big (a result of `bytes` characters).
// Admin endpoint (plain JSON, not MCP): GET /admin/stats (counters of what the server saw).

import http from 'node:http';
import { parseArgs } from 'node:util';

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { ElicitResultSchema } from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';

import { makePayload } from './lib/payload.mjs';

const { values: opts } = parseArgs({
    options: {
        port: { type: 'string', default: '0' },
        verbose: { type: 'boolean', default: false },
    },
});

const log = (...args) => process.stderr.write(`[sdk-legacy-server] ${args.join(' ')}\n`);
const debug = opts.verbose ? log : () => {};
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

const stats = { streams: 0, posts: 0, otherRequests: [], initializes: 0, missingAuthorization: 0 };
/** sessionId -> SSEServerTransport */
const transports = new Map();

function createMcpServer() {
    const server = new McpServer({ name: 'interop-sdk-legacy-server', version: '1.0.0' }, { capabilities: { logging: {} } });

    server.registerTool('echo', { description: 'Returns its text argument', inputSchema: { text: z.string() } }, async ({ text }) => ({
        content: [{ type: 'text', text }],
    }));

    server.registerTool(
        'elicit',
        { description: 'Asks the client for an elicitation/create and returns its answer', inputSchema: { message: z.string() } },
        async ({ message }, extra) => {
            const result = await extra.sendRequest(
                {
                    method: 'elicitation/create',
                    params: {
                        message,
                        requestedSchema: { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] },
                    },
                },
                ElicitResultSchema,
            );
            return { content: [{ type: 'text', text: `elicited: ${JSON.stringify(result)}` }] };
        },
    );

    server.registerTool(
        'notify',
        { description: 'Sends a notifications/message, then returns', inputSchema: { text: z.string() } },
        async ({ text }) => {
            await server.server.notification({ method: 'notifications/message', params: { level: 'info', logger: 'notify', data: text } });
            return { content: [{ type: 'text', text: 'notified' }] };
        },
    );

    server.registerTool(
        'progress',
        { description: 'Sends `steps` progress notifications, then returns', inputSchema: { steps: z.number().int().min(0).max(1000) } },
        async ({ steps }, extra) => {
            const token = extra._meta?.progressToken;
            for (let i = 1; i <= steps; ++i) {
                if (token !== undefined) {
                    await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: i, total: steps } });
                }
                await sleep(20);
            }
            return { content: [{ type: 'text', text: `progress done: ${steps}` }] };
        },
    );

    server.registerTool(
        'big',
        { description: 'Returns a text of `bytes` characters', inputSchema: { bytes: z.number().int().min(0).max(64 * 1024 * 1024) } },
        async ({ bytes }) => ({ content: [{ type: 'text', text: makePayload(bytes) }] }),
    );

    return server;
}

const httpServer = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    try {
        if (url.pathname === '/admin/stats' && req.method === 'GET') {
            res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(stats));
            return;
        }
        if (url.pathname === '/sse' && req.method === 'GET') {
            ++stats.streams;
            const transport = new SSEServerTransport('/messages', res);
            transports.set(transport.sessionId, transport);
            res.on('close', () => transports.delete(transport.sessionId));
            debug('stream', transport.sessionId);
            await createMcpServer().connect(transport);
            return;
        }
        if (url.pathname === '/messages' && req.method === 'POST') {
            ++stats.posts;
            const transport = transports.get(url.searchParams.get('sessionId') ?? '');
            if (!transport) {
                res.writeHead(404).end('Session not found');
                return;
            }
            const chunks = [];
            for await (const chunk of req) chunks.push(chunk);
            const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            if (body.method === 'initialize') ++stats.initializes;
            debug('message', body.method ?? 'response', body.id ?? '');
            await transport.handlePostMessage(req, res, body);
            return;
        }
        stats.otherRequests.push(`${req.method} ${url.pathname}`);
        res.writeHead(404).end(`Cannot ${req.method} ${url.pathname}`);
    } catch (e) {
        log('request failed:', e.stack ?? e);
        if (!res.headersSent) res.writeHead(500).end();
        else res.end();
    }
});

httpServer.listen(Number(opts.port), '127.0.0.1', () => {
    const { port } = httpServer.address();
    process.stdout.write(`http://127.0.0.1:${port}/sse\n`);
    log(`listening on port ${port}`);
});

const shutdown = () => {
    for (const transport of transports.values()) transport.close().catch(() => {});
    httpServer.closeAllConnections?.();
    httpServer.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
