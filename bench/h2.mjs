#!/usr/bin/env node
// HTTP/2 over TLS row: the proxy in front of an MCP server behind Node's `http2` (TLS, ALPN h2),
// as most production MCP servers sit behind HTTP/2 front ends. Sequential tools/call latency and
// the gap between the HEADERS and the DATA frame of each request as the server sees it: with
// Nagle's algorithm on the proxy's socket the DATA frame waits for the server's delayed ACK
// (about 40 ms on Linux), without it the gap is well under a millisecond.
//
//   node h2.mjs --proxy PATH [--proxy PATH ...] [--calls N] [--check]
//
// Each --proxy is measured in turn (e.g. a build before and after a change). --check exits 1
// when a proxy's median HEADERS-to-DATA gap reaches 20 ms (the regression check of TCP_NODELAY).
// Node builtins only, plus the `openssl` command for a throw-away self-signed certificate.
// The server is a minimal Streamable HTTP endpoint (JSON responses, one session), enough for
// initialize, notifications and tools/call echo.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http2 from 'node:http2';
import os from 'node:os';
import path from 'node:path';

function parseArgs(argv) {
    const opts = { proxies: [], calls: 200, check: false };
    for (let i = 0; i < argv.length; ++i) {
        const a = argv[i];
        if (a === '--proxy') opts.proxies.push(path.resolve(argv[++i]));
        else if (a === '--calls') opts.calls = Number(argv[++i]);
        else if (a === '--check') opts.check = true;
        else throw new Error(`unknown argument ${a}`);
    }
    if (!opts.proxies.length) throw new Error('usage: h2.mjs --proxy PATH [--proxy PATH ...] [--calls N] [--check]');
    return opts;
}

const now = () => Number(process.hrtime.bigint()) / 1e6; // ms
const log = (s) => process.stderr.write(`[h2] ${s}\n`);

function percentile(values, p) {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function makeCertificate(dir) {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
        '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1',
        '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
    return { key: fs.readFileSync(key), cert: fs.readFileSync(cert), certPath: cert };
}

// The server: records, per tools/call, the time from the request's HEADERS to its first DATA.
function startServer(tls) {
    const gaps = [];
    const server = http2.createSecureServer({ key: tls.key, cert: tls.cert });
    server.on('stream', (stream, headers) => {
        const headersAt = now();
        if (headers[':method'] !== 'POST') {
            stream.respond({ ':status': 405 });
            stream.end();
            return;
        }
        const chunks = [];
        let firstDataAt = 0;
        stream.on('data', (c) => { if (!firstDataAt) firstDataAt = now(); chunks.push(c); });
        stream.on('end', () => {
            let message;
            try { message = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { message = null; }
            if (!message || message.id === undefined) {
                stream.respond({ ':status': 202 });
                stream.end();
                return;
            }
            let result;
            if (message.method === 'initialize') {
                result = { protocolVersion: message.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'h2-bench', version: '1' } };
            } else if (message.method === 'tools/call') {
                gaps.push(firstDataAt - headersAt);
                result = { content: [{ type: 'text', text: String(message.params?.arguments?.text ?? '') }] };
            } else {
                result = {};
            }
            stream.respond({ ':status': 200, 'content-type': 'application/json', 'mcp-session-id': 'h2-bench-session' });
            stream.end(JSON.stringify({ jsonrpc: '2.0', id: message.id, result }));
        });
    });
    return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, gaps, port: server.address().port })));
}

// A host on the proxy's stdio: one request at a time.
function startProxy(proxy, url, caBundle) {
    const child = spawn(proxy, ['--log-level', 'error', '--ca-bundle', caBundle, url], {
        stdio: ['pipe', 'pipe', 'inherit'],
        env: { PATH: process.env.PATH, HOME: os.tmpdir(), UPSTREAM_OPEN_SERVER_STREAM: 'false' },
    });
    let buffer = '';
    const waiting = new Map();
    child.stdout.on('data', (d) => {
        buffer += d;
        let nl;
        while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl);
            buffer = buffer.slice(nl + 1);
            const m = JSON.parse(line);
            waiting.get(m.id)?.(m);
            waiting.delete(m.id);
        }
    });
    let nextId = 1;
    const request = (method, params) => new Promise((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(() => reject(new Error(`${method} timed out`)), 10000);
        waiting.set(id, (m) => { clearTimeout(timer); m.error ? reject(new Error(JSON.stringify(m.error))) : resolve(m.result); });
        child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    });
    const notify = (method) => child.stdin.write(JSON.stringify({ jsonrpc: '2.0', method }) + '\n');
    const stop = () => new Promise((resolve) => { child.once('exit', resolve); child.stdin.end(); });
    return { request, notify, stop };
}

const opts = parseArgs(process.argv.slice(2));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'h2-bench-'));
let failed = false;
try {
    const tls = makeCertificate(dir);
    const rows = [];
    for (const proxy of opts.proxies) {
        const { server, gaps, port } = await startServer(tls);
        const client = startProxy(proxy, `https://127.0.0.1:${port}/mcp`, tls.certPath);
        await client.request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'h2-bench', version: '1' } });
        client.notify('notifications/initialized');
        for (let i = 0; i < 10; ++i) await client.request('tools/call', { name: 'echo', arguments: { text: 'warm-up' } });
        gaps.length = 0;
        const latencies = [];
        for (let i = 0; i < opts.calls; ++i) {
            const t0 = now();
            const result = await client.request('tools/call', { name: 'echo', arguments: { text: `call ${i}` } });
            latencies.push(now() - t0);
            if (result.content[0].text !== `call ${i}`) throw new Error('wrong result');
        }
        await client.stop();
        await new Promise((resolve) => server.close(resolve));
        const row = {
            proxy,
            p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99),
            gap50: percentile(gaps, 50), gap90: percentile(gaps, 90),
        };
        rows.push(row);
        if (opts.check && row.gap50 >= 20) failed = true;
    }
    const f = (v) => v.toFixed(2);
    process.stdout.write(`| HTTP/2 over TLS, sequential tools/call (${opts.calls}) | p50 ms | p90 ms | p99 ms | HEADERS→DATA p50 ms | p90 ms |\n|---|---|---|---|---|---|\n`);
    for (const r of rows)
        process.stdout.write(`| ${r.proxy} | ${f(r.p50)} | ${f(r.p90)} | ${f(r.p99)} | ${f(r.gap50)} | ${f(r.gap90)} |\n`);
    if (failed) log('FAILED: a median HEADERS-to-DATA gap of 20 ms or more means Nagle\'s algorithm holds the request (TCP_NODELAY missing)');
} finally {
    fs.rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
