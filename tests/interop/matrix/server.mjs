#!/usr/bin/env node
// The upstream MCP servers of the interop matrix (matrix.test.mjs), one per era, each built with an
// official TypeScript SDK and none of them written for this project's wire:
//
//   node matrix/server.mjs --era 2026-07-28   @modelcontextprotocol/server 2.x: McpServer behind
//                                              createMcpHandler (stateless, modern-only: the
//                                              2025-era `initialize` is rejected)
//   node matrix/server.mjs --era 2025-11-25   @modelcontextprotocol/sdk 1.x: McpServer +
//                                              StreamableHTTPServerTransport with sessions
//   node matrix/server.mjs --era 2024-11-05   @modelcontextprotocol/sdk 1.x: McpServer +
//                                              SSEServerTransport (HTTP+SSE: GET /sse, then POST to
//                                              the `endpoint` event's URL)
//
// Listens on 127.0.0.1 (ephemeral port) and prints the URL a client is given as the first line of
// stdout (…/mcp, or …/sse for 2024-11-05). Logs go to stderr.
//
// The same tools in every era (the matrix's cells):
//   echo {text}            returns text (5 MB requests, 200 concurrent calls)
//   big {bytes, seed?}     returns makePayload(bytes, seed) (5 MB results)
//   progress {steps}       sends `steps` notifications/progress for the call's progressToken
//   elicit {message}       asks the client for a form elicitation {answer: string}; returns it
//   sample {prompt}        asks the client for sampling/createMessage; returns its text
//   add_tool {name}        registers a tool `name` and tells the clients the tool list changed
// 2025 eras ask the client with server→client requests on the call's stream; 2026-07-28 answers
// with `resultType: input_required` (multi-round-trip requests) and reads `inputResponses` on
// the retry; list changes reach a 2026-07-28 client through `subscriptions/listen`.

import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';

import * as z from 'zod';

import { makePayload } from '../lib/payload.mjs';

const { values: opts } = parseArgs({
    options: { era: { type: 'string', default: '2025-11-25' }, verbose: { type: 'boolean', default: false } },
});
const MAX_BODY = 64 * 1024 * 1024;
const log = (...args) => process.stderr.write(`[matrix-server ${opts.era}] ${args.join(' ')}\n`);
const debug = opts.verbose ? log : () => {};

async function readBody(req) {
    const chunks = [];
    let size = 0;
    for await (const chunk of req) {
        size += chunk.length;
        if (size > MAX_BODY) throw new Error('body too large');
        chunks.push(chunk);
    }
    return Buffer.concat(chunks);
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
// Between progress notifications, and before the result: the SDK 1.x Client dispatches
// notifications a microtask later than responses, so a notification read in the same chunk as the
// result would find its progress handler gone.
const STEP_MS = 20;
const text = t => ({ content: [{ type: 'text', text: t }] });
const ELICIT_SCHEMA = { type: 'object', properties: { answer: { type: 'string', description: 'Your answer' } }, required: ['answer'] };
const addedTools = []; // names registered by add_tool, in order

/** Tools every era shares; `era` hooks supply how to ask the client and how to announce changes. */
function registerTools(server, era) {
    server.registerTool('echo', { description: 'Returns its text argument', inputSchema: { text: z.string() } }, async ({ text: t }) =>
        text(t),
    );
    server.registerTool(
        'big',
        {
            description: 'Returns a text of exactly `bytes` UTF-8 bytes',
            inputSchema: { bytes: z.number().int().min(0).max(MAX_BODY), seed: z.number().int().optional() },
        },
        async ({ bytes, seed = 1 }) => text(makePayload(bytes, seed)),
    );
    server.registerTool(
        'progress',
        { description: 'Sends `steps` progress notifications, then returns', inputSchema: { steps: z.number().int().min(0).max(100) } },
        async ({ steps }, ctx) => {
            const sent = await era.progress(ctx, steps);
            return text(`progress done: ${sent} notifications`);
        },
    );
    server.registerTool(
        'elicit',
        { description: 'Asks the client for a form elicitation and returns its answer', inputSchema: { message: z.string() } },
        async ({ message }, ctx) => era.elicit(ctx, message),
    );
    server.registerTool(
        'sample',
        { description: 'Asks the client for sampling/createMessage and returns its text', inputSchema: { prompt: z.string() } },
        async ({ prompt }, ctx) => era.sample(ctx, prompt),
    );
    server.registerTool(
        'add_tool',
        { description: 'Registers a tool `name` and announces the changed tool list', inputSchema: { name: z.string() } },
        async ({ name }) => {
            if (!addedTools.includes(name)) addedTools.push(name);
            await era.toolsChanged(name);
            return text(`added ${name}`);
        },
    );
    for (const name of addedTools) registerAdded(server, name);
}
function registerAdded(server, name) {
    return server.registerTool(name, { description: 'Added by add_tool', inputSchema: {} }, async () => text(`${name} called`));
}

const sampledText = result => (result?.content?.type === 'text' ? result.content.text : JSON.stringify(result?.content));

// --- 2025-11-25 and 2024-11-05: SDK 1.x ------------------------------------------------------------

async function serveSdk1(httpServer, era) {
    const { McpServer } = await import('@modelcontextprotocol/sdk/server/mcp.js');
    const { CreateMessageResultSchema, ElicitResultSchema, isInitializeRequest } = await import('@modelcontextprotocol/sdk/types.js');
    const servers = new Set();
    const hooks = server => ({
        async progress(extra, steps) {
            const token = extra._meta?.progressToken;
            let sent = 0;
            for (let i = 1; i <= steps && token !== undefined; ++i, ++sent) {
                await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: i, total: steps } });
                await sleep(STEP_MS);
            }
            return sent;
        },
        async elicit(extra, message) {
            const result = await extra.sendRequest(
                { method: 'elicitation/create', params: { mode: 'form', message, requestedSchema: ELICIT_SCHEMA } },
                ElicitResultSchema,
            );
            return text(`elicited: ${result.action} ${JSON.stringify(result.content ?? {})}`);
        },
        async sample(extra, prompt) {
            const result = await extra.sendRequest(
                { method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 50 } },
                CreateMessageResultSchema,
            );
            return text(`sampled: ${sampledText(result)}`);
        },
        async toolsChanged(name) {
            // every connected session gets the tool (McpServer sends notifications/tools/list_changed)
            for (const s of servers) if (!s._registeredTools?.[name]) registerAdded(s, name);
        },
    });
    const newServer = () => {
        const server = new McpServer({ name: `matrix-${era}`, version: '1.0.0' }, { capabilities: { tools: { listChanged: true } } });
        registerTools(server, hooks(server));
        servers.add(server);
        return server;
    };

    if (era === '2024-11-05') {
        const { SSEServerTransport } = await import('@modelcontextprotocol/sdk/server/sse.js');
        const transports = new Map();
        httpServer.on('request', async (req, res) => {
            const url = new URL(req.url, 'http://127.0.0.1');
            try {
                if (req.method === 'GET' && url.pathname === '/sse') {
                    const transport = new SSEServerTransport('/messages', res);
                    const server = newServer();
                    transports.set(transport.sessionId, transport);
                    res.on('close', () => {
                        transports.delete(transport.sessionId);
                        servers.delete(server);
                        server.close().catch(() => {});
                    });
                    debug('GET /sse: session', transport.sessionId);
                    await server.connect(transport);
                } else if (req.method === 'POST' && url.pathname === '/messages') {
                    const transport = transports.get(url.searchParams.get('sessionId') ?? '');
                    if (!transport) {
                        res.writeHead(404).end('unknown session');
                        return;
                    }
                    // parsed here: the transport's own body limit is 4 MB
                    await transport.handlePostMessage(req, res, JSON.parse((await readBody(req)).toString('utf8')));
                } else {
                    // a Streamable HTTP client's POST to the SSE URL gets 405, as the legacy transport allows
                    res.writeHead(req.url.startsWith('/sse') ? 405 : 404).end();
                }
            } catch (e) {
                log('error:', e.message);
                if (!res.headersSent) res.writeHead(500).end(String(e.message));
            }
        });
        return '/sse';
    }

    const { StreamableHTTPServerTransport } = await import('@modelcontextprotocol/sdk/server/streamableHttp.js');
    const sessions = new Map();
    httpServer.on('request', async (req, res) => {
        try {
            const url = new URL(req.url, 'http://127.0.0.1');
            if (url.pathname !== '/mcp') {
                res.writeHead(404).end();
                return;
            }
            const sessionId = req.headers['mcp-session-id'];
            const body = req.method === 'POST' ? JSON.parse((await readBody(req)).toString('utf8')) : undefined;
            let transport = sessionId ? sessions.get(sessionId) : undefined;
            if (!transport) {
                if (sessionId || req.method !== 'POST' || !isInitializeRequest(body)) {
                    res.writeHead(sessionId ? 404 : 400, { 'content-type': 'application/json' }).end(
                        JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32000, message: sessionId ? 'Session not found' : 'Bad Request: no session' } }),
                    );
                    return;
                }
                const server = newServer();
                transport = new StreamableHTTPServerTransport({
                    sessionIdGenerator: () => randomUUID(),
                    onsessioninitialized: id => sessions.set(id, transport),
                });
                transport.onclose = () => {
                    if (transport.sessionId) sessions.delete(transport.sessionId);
                    servers.delete(server);
                };
                await server.connect(transport);
            }
            await transport.handleRequest(req, res, body);
        } catch (e) {
            log('error:', e.message);
            if (!res.headersSent) res.writeHead(500).end(String(e.message));
        }
    });
    return '/mcp';
}

// --- 2026-07-28: SDK 2.x ---------------------------------------------------------------------------

async function serveSdk2(httpServer) {
    const { McpServer, createMcpHandler, inputRequired, acceptedContent, inputResponse } = await import('@modelcontextprotocol/server');
    let handler;
    const hooks = {
        async progress(ctx, steps) {
            const token = ctx.mcpReq._meta?.progressToken;
            let sent = 0;
            for (let i = 1; i <= steps && token !== undefined; ++i, ++sent) {
                await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken: token, progress: i, total: steps } });
                await sleep(STEP_MS);
            }
            return sent;
        },
        async elicit(ctx, message) {
            const answer = acceptedContent(ctx.mcpReq.inputResponses, 'answer');
            if (answer === undefined) {
                return inputRequired({ inputRequests: { answer: inputRequired.elicit({ message, requestedSchema: ELICIT_SCHEMA }) } });
            }
            return text(`elicited: accept ${JSON.stringify(answer)}`);
        },
        async sample(ctx, prompt) {
            const view = inputResponse(ctx.mcpReq.inputResponses, 'sample');
            if (view.kind !== 'sampling') {
                return inputRequired({
                    inputRequests: {
                        sample: inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 50 }),
                    },
                });
            }
            return text(`sampled: ${sampledText(view.result)}`);
        },
        async toolsChanged() {
            handler.notify.toolsChanged();
        },
    };
    handler = createMcpHandler(
        () => {
            const server = new McpServer({ name: 'matrix-2026-07-28', version: '1.0.0' }, { capabilities: { tools: { listChanged: true } } });
            registerTools(server, hooks);
            return server;
        },
        { legacy: 'reject', maxRequestBodySize: MAX_BODY, onerror: e => debug('handler:', e.message) },
    );
    // node:http <-> the handler's web-standard fetch face
    httpServer.on('request', async (req, res) => {
        try {
            const url = new URL(req.url, `http://${req.headers.host ?? '127.0.0.1'}`);
            if (url.pathname !== '/mcp') {
                res.writeHead(404).end();
                return;
            }
            const body = req.method === 'POST' ? await readBody(req) : undefined;
            const abort = new AbortController();
            res.on('close', () => abort.abort());
            const request = new Request(url, { method: req.method, headers: req.headers, body, signal: abort.signal });
            const response = await handler.fetch(request);
            res.writeHead(response.status, Object.fromEntries(response.headers));
            if (!response.body) {
                res.end();
                return;
            }
            for await (const chunk of response.body) {
                if (!res.write(chunk)) await new Promise(resolve => res.once('drain', resolve));
            }
            res.end();
        } catch (e) {
            if (e.name !== 'AbortError') log('error:', e.message);
            if (!res.headersSent) res.writeHead(500).end(String(e.message));
            else res.end();
        }
    });
    return '/mcp';
}

const httpServer = http.createServer();
httpServer.keepAliveTimeout = 30000;
const path = opts.era === '2026-07-28' ? await serveSdk2(httpServer) : await serveSdk1(httpServer, opts.era);
httpServer.listen(0, '127.0.0.1', () => {
    const { port } = httpServer.address();
    process.stdout.write(`http://127.0.0.1:${port}${path}\n`);
    log(`listening on port ${port}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
