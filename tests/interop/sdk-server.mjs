#!/usr/bin/env node
// A stateful Streamable HTTP MCP server built with the official TypeScript SDK
// (McpServer + StreamableHTTPServerTransport), used as the upstream of the interop tests.
//
//   node sdk-server.mjs [--port N] [--retry-ms N] [--keepalive-ms N] [--verbose]
//
// Listens on 127.0.0.1 (port 0 = ephemeral) and prints its MCP endpoint URL as the first line of
// stdout, e.g. http://127.0.0.1:41234/mcp. Logs go to stderr.
//
// MCP endpoint /mcp: one McpServer + transport per session (Mcp-Session-Id), resumable through an
// in-memory event store, SSE priming events with a retry field, keep-alive comments.
// Unknown session id -> 404 (so a client must re-initialize), missing one -> 400.
//
// Tools: echo, progress, sample, elicit, notify, drop_get_stream, big, resumable (see their
// descriptions).
//
// Admin endpoints (plain JSON, not MCP):
//   POST /admin/expire  forget every session and close its transport (its GET stream ends);
//                       the next request with an old Mcp-Session-Id gets 404.
//   GET  /admin/stats   counters of what the server saw (see `stats` below).

import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { parseArgs } from 'node:util';

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
    CreateMessageResultSchema,
    ElicitResultSchema,
    isInitializeRequest,
    LATEST_PROTOCOL_VERSION,
} from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';

import { makePayload } from './lib/payload.mjs';

const { values: opts } = parseArgs({
    options: {
        port: { type: 'string', default: '0' },
        'retry-ms': { type: 'string', default: '300' },
        'keepalive-ms': { type: 'string', default: '1000' },
        verbose: { type: 'boolean', default: false },
    },
});

const MAX_BODY = 64 * 1024 * 1024;
const log = (...args) => process.stderr.write(`[sdk-server] ${args.join(' ')}\n`);
const debug = opts.verbose ? log : () => {};
const describe = m => (m && Object.keys(m).length ? `${m.method ?? 'response'}${m.id !== undefined ? ` #${m.id}` : ''}` : 'priming');
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

/** Event store with strictly ordered ids "<streamId>|<seq>" (the SDK's example store sorts ids of
 *  the same millisecond randomly). */
class OrderedEventStore {
    #seq = 0;
    #events = []; // { id, streamId, message }, in order
    async storeEvent(streamId, message) {
        const id = `${streamId}|${++this.#seq}`;
        this.#events.push({ id, streamId, message });
        debug('event', id, describe(message));
        return id;
    }
    async getStreamIdForEventId(eventId) {
        const cut = eventId.lastIndexOf('|');
        return cut > 0 ? eventId.slice(0, cut) : undefined;
    }
    async replayEventsAfter(lastEventId, { send }) {
        const index = this.#events.findIndex(e => e.id === lastEventId);
        if (index < 0) return '';
        const streamId = this.#events[index].streamId;
        // Walk the live array: an event stored while this replay awaits `send` must be replayed
        // too, since the SDK registers the resumed stream for live writes only after we return.
        for (let i = index + 1; i < this.#events.length; ++i) {
            const e = this.#events[i];
            // the priming events have an empty message: nothing to replay
            if (e.streamId === streamId && e.message && Object.keys(e.message).length > 0) {
                debug('replay', e.id, describe(e.message));
                await send(e.id, e.message);
            }
        }
        return streamId;
    }
}

const stats = {
    sessionsCreated: 0,
    sessionsOpen: 0,
    posts: 0,
    gets: 0,
    getsWithLastEventId: 0,
    lastEventIds: [],
    deletes: 0,
    notFound: 0,
    badRequests: 0,
    discoverProbes: 0, // server/discover (MCP 2026-07-28) without a session: refused as the SDK does
    expired: 0,
    // requests after initialize without an MCP-Protocol-Version header, and the values seen
    missingProtocolVersion: 0,
    protocolVersions: [],
    missingAccept: 0,
    // what the client put in initialize (forwarded by the proxy from the host)
    clientInfos: [],
    clientProtocolVersions: [],
    userAgents: [],
};
const noteValue = (list, value) => {
    if (value !== undefined && !list.includes(value)) list.push(value);
};

/** sessionId -> { transport, server, getOpen } */
const sessions = new Map();

function createMcpServer(session) {
    const server = new McpServer(
        { name: 'interop-sdk-server', version: '1.0.0' },
        {
            capabilities: { logging: {} },
            instructions: 'Interop test server of mcp-oauth2-proxy.',
        },
    );

    server.registerTool(
        'echo',
        { description: 'Returns its text argument', inputSchema: { text: z.string() } },
        async ({ text }) => ({ content: [{ type: 'text', text }] }),
    );

    server.registerTool(
        'progress',
        {
            description: 'Sends `steps` progress notifications on the request stream, then returns',
            inputSchema: { steps: z.number().int().min(0).max(1000), delayMs: z.number().int().min(0).optional() },
        },
        async ({ steps, delayMs = 20 }, extra) => {
            const token = extra._meta?.progressToken;
            let sent = 0;
            for (let i = 1; i <= steps; ++i) {
                if (token !== undefined) {
                    await extra.sendNotification({
                        method: 'notifications/progress',
                        params: { progressToken: token, progress: i, total: steps, message: `step ${i}` },
                    });
                    ++sent;
                }
                await sleep(delayMs);
            }
            return { content: [{ type: 'text', text: `progress done: ${sent} notifications` }] };
        },
    );

    server.registerTool(
        'sample',
        { description: 'Asks the client for a sampling/createMessage and returns its answer', inputSchema: { prompt: z.string() } },
        async ({ prompt }, extra) => {
            const result = await extra.sendRequest(
                {
                    method: 'sampling/createMessage',
                    params: { messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 50 },
                },
                CreateMessageResultSchema,
            );
            const text = result.content?.type === 'text' ? result.content.text : JSON.stringify(result.content);
            return { content: [{ type: 'text', text: `sampled(${result.model}): ${text}` }] };
        },
    );

    server.registerTool(
        'elicit',
        { description: 'Asks the client for an elicitation/create and returns its answer', inputSchema: { message: z.string() } },
        async ({ message }, extra) => {
            const result = await extra.sendRequest(
                {
                    method: 'elicitation/create',
                    params: {
                        mode: 'form',
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
        {
            description:
                'Waits (up to waitMs) for the standalone GET stream of the session, returns, then sends a ' +
                'notifications/message outside any request, so it can only travel on the GET stream',
            inputSchema: { text: z.string(), waitMs: z.number().int().min(0).optional() },
        },
        async ({ text, waitMs = 10000 }) => {
            const deadline = Date.now() + waitMs;
            while (!session.getOpen && Date.now() < deadline) await sleep(20);
            const getStreamOpen = session.getOpen;
            setTimeout(() => {
                server.server
                    .notification({ method: 'notifications/message', params: { level: 'info', logger: 'notify', data: text } })
                    .catch(e => log('notify failed:', e.message));
            }, 100);
            return { content: [{ type: 'text', text: JSON.stringify({ getStreamOpen }) }] };
        },
    );

    server.registerTool(
        'drop_get_stream',
        {
            description:
                'Sends notifications/message "<text> 1" on the standalone GET stream (the SDK sends no ' +
                'priming event there: this gives the client an event id), closes that stream (the client ' +
                'must reconnect after the retry interval, with Last-Event-ID), then at once sends ' +
                '"<text> 2", which is only stored: it reaches the client only by the replay of a resumed ' +
                'GET stream',
            inputSchema: { text: z.string(), waitMs: z.number().int().min(0).optional() },
        },
        async ({ text, waitMs = 10000 }, extra) => {
            const deadline = Date.now() + waitMs;
            while (!session.getOpen && Date.now() < deadline) await sleep(20);
            const getStreamOpen = session.getOpen;
            const notify = data =>
                server.server.notification({ method: 'notifications/message', params: { level: 'info', logger: 'drop_get_stream', data } });
            await notify(`${text} 1`);
            await sleep(200);
            extra.closeStandaloneSSEStream?.();
            await notify(`${text} 2`);
            return { content: [{ type: 'text', text: JSON.stringify({ getStreamOpen }) }] };
        },
    );

    server.registerTool(
        'big',
        {
            description: 'Returns a text of exactly `bytes` UTF-8 bytes (lib/payload.mjs makePayload(bytes, seed))',
            inputSchema: { bytes: z.number().int().min(0).max(MAX_BODY), seed: z.number().int().optional() },
        },
        async ({ bytes, seed = 1 }) => ({ content: [{ type: 'text', text: makePayload(bytes, seed) }] }),
    );

    server.registerTool(
        'resumable',
        {
            description:
                'Sends a progress notification, closes the SSE stream of this request (the client must ' +
                'reconnect with GET + Last-Event-ID after the retry interval), sends more progress, returns',
            inputSchema: { steps: z.number().int().min(1).max(100).optional(), pauseMs: z.number().int().min(0).optional() },
        },
        async ({ steps = 3, pauseMs = 200 }, extra) => {
            const token = extra._meta?.progressToken;
            const progress = async i => {
                if (token !== undefined) {
                    await extra.sendNotification({
                        method: 'notifications/progress',
                        params: { progressToken: token, progress: i, total: steps + 1 },
                    });
                }
            };
            await progress(1);
            if (!extra.closeSSEStream) throw new Error('closeSSEStream unavailable (no event store?)');
            extra.closeSSEStream();
            await sleep(pauseMs);
            for (let i = 2; i <= steps + 1; ++i) await progress(i);
            return { content: [{ type: 'text', text: `resumed after ${steps} more notifications` }] };
        },
    );

    return server;
}

function sendJson(res, status, body, headers = {}) {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
}

function rpcError(res, status, code, message) {
    sendJson(res, status, { jsonrpc: '2.0', error: { code, message }, id: null });
}

async function readBody(req) {
    const chunks = [];
    let size = 0;
    for await (const chunk of req) {
        size += chunk.length;
        if (size > MAX_BODY) throw Object.assign(new Error('body too large'), { status: 413 });
        chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
}

function expireAll() {
    const ids = [...sessions.keys()];
    for (const id of ids) {
        const s = sessions.get(id);
        sessions.delete(id);
        ++stats.expired;
        s.transport.close().catch(() => {});
        s.server.close().catch(() => {});
    }
    stats.sessionsOpen = sessions.size;
    return ids;
}

function noteHeaders(req) {
    noteValue(stats.userAgents, req.headers['user-agent']);
    const pv = req.headers['mcp-protocol-version'];
    if (pv === undefined) ++stats.missingProtocolVersion;
    else noteValue(stats.protocolVersions, pv);
}

async function handleMcp(req, res) {
    const sessionId = req.headers['mcp-session-id'];
    debug(req.method, `session=${sessionId ?? '-'}`, `last-event-id=${req.headers['last-event-id'] ?? '-'}`);

    if (req.method === 'POST') {
        ++stats.posts;
        let body;
        try {
            body = JSON.parse(await readBody(req));
        } catch (e) {
            if (e.status === 413) return rpcError(res, 413, -32000, 'Payload too large');
            return rpcError(res, 400, -32700, `Parse error: ${e.message}`);
        }
        if (!String(req.headers.accept ?? '').includes('text/event-stream')) ++stats.missingAccept;

        if (sessionId === undefined) {
            if (!isInitializeRequest(body)) {
                if (body?.method === 'server/discover') ++stats.discoverProbes;
                else ++stats.badRequests;
                return rpcError(res, 400, -32000, 'Bad Request: no Mcp-Session-Id and not an initialize request');
            }
            noteValue(stats.clientProtocolVersions, body.params.protocolVersion);
            stats.clientInfos.push(body.params.clientInfo);
            const session = { transport: undefined, server: undefined, getOpen: false };
            session.transport = new StreamableHTTPServerTransport({
                sessionIdGenerator: () => randomUUID(),
                eventStore: new OrderedEventStore(),
                retryInterval: Number(opts['retry-ms']),
                keepAliveMs: Number(opts['keepalive-ms']),
                maxRequestBodySize: MAX_BODY,
                onsessioninitialized: id => {
                    sessions.set(id, session);
                    ++stats.sessionsCreated;
                    stats.sessionsOpen = sessions.size;
                    log('session initialized', id);
                },
                onsessionclosed: id => {
                    ++stats.deletes;
                    log('session deleted by client', id);
                },
            });
            session.transport.onclose = () => {
                const id = session.transport.sessionId;
                if (id && sessions.get(id) === session) sessions.delete(id);
                stats.sessionsOpen = sessions.size;
            };
            session.server = createMcpServer(session);
            await session.server.connect(session.transport);
            return session.transport.handleRequest(req, res, body);
        }

        const session = sessions.get(sessionId);
        if (!session) {
            ++stats.notFound;
            return rpcError(res, 404, -32001, 'Session not found');
        }
        noteHeaders(req);
        return session.transport.handleRequest(req, res, body);
    }

    if (req.method === 'GET' || req.method === 'DELETE') {
        if (sessionId === undefined) {
            ++stats.badRequests;
            return rpcError(res, 400, -32000, 'Bad Request: no Mcp-Session-Id');
        }
        const session = sessions.get(sessionId);
        if (!session) {
            ++stats.notFound;
            return rpcError(res, 404, -32001, 'Session not found');
        }
        noteHeaders(req);
        if (req.method === 'GET') {
            ++stats.gets;
            const lastEventId = req.headers['last-event-id'];
            if (lastEventId !== undefined) {
                ++stats.getsWithLastEventId;
                stats.lastEventIds.push(lastEventId);
            }
            // The SDK names the standalone stream '_GET_stream'; a resumption of a POST's stream
            // carries a Last-Event-ID of that POST's stream instead.
            if (lastEventId === undefined || lastEventId.startsWith('_GET_stream|')) {
                // the standalone stream: mark it open while this response lives
                session.getOpen = true;
                res.on('close', () => {
                    session.getOpen = false;
                });
            }
        }
        return session.transport.handleRequest(req, res);
    }

    res.writeHead(405, { Allow: 'GET, POST, DELETE' }).end();
}

const httpServer = http.createServer(async (req, res) => {
    const path = new URL(req.url, 'http://localhost').pathname;
    try {
        if (path === '/mcp') return await handleMcp(req, res);
        if (path === '/admin/expire' && req.method === 'POST') return sendJson(res, 200, { expired: expireAll() });
        if (path === '/admin/stats' && req.method === 'GET') return sendJson(res, 200, stats);
        res.writeHead(404).end();
    } catch (e) {
        log('request failed:', e.stack ?? e);
        if (!res.headersSent) rpcError(res, 500, -32603, 'Internal server error');
        else res.end();
    }
});
httpServer.keepAliveTimeout = 30000;

httpServer.listen(Number(opts.port), '127.0.0.1', () => {
    const { port } = httpServer.address();
    process.stdout.write(`http://127.0.0.1:${port}/mcp\n`);
    log(`listening on port ${port}, SDK protocol ${LATEST_PROTOCOL_VERSION}`);
});

const shutdown = () => {
    expireAll();
    httpServer.closeAllConnections?.();
    httpServer.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
