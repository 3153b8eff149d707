#!/usr/bin/env node
// A naive stdio -> Streamable HTTP bridge made of the SDK's own transports. NOT the product: a
// stand-in with the proxy's command line (`sdk-bridge.mjs URL`) to check the interop harness itself
// (scripts/interop.sh lib/sdk-bridge.mjs). It forwards messages both ways, sets the negotiated
// MCP-Protocol-Version and DELETEs the session on stdin EOF, but does not re-initialize after a 404,
// so the session-expiry test is expected to fail with it.

import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

const url = process.argv.at(-1);
const log = (...args) => process.stderr.write(`[sdk-bridge] ${args.join(' ')}\n`);

const upstream = new StreamableHTTPClientTransport(new URL(url));
const downstream = new StdioServerTransport();
const initializeIds = new Set();

downstream.onmessage = message => {
    if (message.method === 'initialize') initializeIds.add(message.id);
    upstream.send(message).catch(e => {
        log('upstream send failed:', e.message);
        if (message.id !== undefined && message.method !== undefined) {
            downstream.send({ jsonrpc: '2.0', id: message.id, error: { code: -32603, message: e.message } }).catch(() => {});
        }
    });
};
upstream.onmessage = message => {
    if (initializeIds.has(message.id) && message.result?.protocolVersion) {
        initializeIds.delete(message.id);
        upstream.setProtocolVersion(message.result.protocolVersion);
    }
    downstream.send(message).catch(e => log('stdout write failed:', e.message));
};
upstream.onerror = e => log('upstream error:', e.message);

let closing = false;
async function shutdown() {
    if (closing) return;
    closing = true;
    try {
        await upstream.terminateSession();
    } catch (e) {
        log('DELETE failed:', e.message);
    }
    await upstream.close().catch(() => {});
    process.exit(0);
}
process.stdin.on('end', shutdown);
process.on('SIGTERM', shutdown);

await upstream.start();
await downstream.start();
log('bridging stdio to', url);
