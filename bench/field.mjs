#!/usr/bin/env node
// Field bench: the proxies in front of the official MCP SDK server over TLS, through a relay that
// adds round-trip time, on HTTP/1.1 and HTTP/2, with SSE and with JSON replies.
//
//   node field.mjs --proxy PATH [--floor PATH] [--baseline PATH] [--rtt 0,20,80] [--servers h1-sse,h1-json,h2-sse]
//                  [--only ours,reference,mcp-remote,direct,floor] [--spawns N] [--calls N] [--quick]
//   node field.mjs --proxy PATH --floor PATH --callgrind 100,300 [--servers ...]
//
// Upstream: McpServer + StreamableHTTPServerTransport (@modelcontextprotocol/sdk, pinned in
// package-lock.json), one `echo` tool, behind node:https (HTTP/1.1) or node:http2 (ALPN h2, HTTP/1.1
// allowed), with the test certificate of tests/support/tls (127.0.0.1, test-only keys); clients trust
// its CA (ours: --ca-bundle; Node: NODE_EXTRA_CA_CERTS). Between client and server a TCP relay on
// 127.0.0.1 holds every chunk for half the RTT in each direction (this kernel has no netem).
// The server counts TCP connections, TLS handshakes and resumed TLS sessions.
//
// Per server kind and RTT, for every contender:
//   ready      spawn -> initialize answered (median of --spawns fresh processes)
//   first      first tools/call after initialize (the host sends notifications/initialized and the
//              call at once, as SDK clients do), same processes
//   burst32    32 tools/call sent at once right after initialize, until all are answered
//   seq p50/95 sequential tools/call, same process as burst32
//   CPU/call   utime+stime of the proxy (all threads) over --calls calls, 8 in flight (smallest RTT)
//   RSS, PSS   VmHWM and Pss (smaps_rollup) at the end (smallest RTT)
//   conns      TCP connections / TLS handshakes / resumed, seen by the server for that process
// The direct SDK client (Client + StreamableHTTPClientTransport, in this process; HTTP/1.1 through
// undici's fetch) and the bare-QNAM floor (bench/floor, --floor) have no stdio hop. --baseline: an
// earlier build of ours as its own row (before/after a change, same run).
//
// --callgrind N1,N2: instead of the above, the CPU per call as instructions (load-independent):
// ours and the floor under `valgrind --tool=callgrind` (every thread), straight to the server
// (no relay), once with N1 and once with N2 calls at 8 in flight; Ir per call = (Ir(N2) - Ir(N1)) /
// (N2 - N1), so start-up, initialize and exit cancel out. Then, natively, ours' VmHWM and PSS
// with 256 calls in flight (and the floor's, at its 8 in flight), for memory.
//
// Ours runs with a static --header "Authorization: Bearer t" (the bytes a stored token gives; the
// store's own start-up cost, a few ms, is not in it); the reference needs its client_credentials
// grant (token endpoint on loopback, no added RTT); mcp-remote --header.
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const tlsDir = path.join(repo, 'tests', 'support', 'tls');
const TOKEN = 't';
const PROTOCOL_VERSION = '2025-11-25';
const now = () => Number(process.hrtime.bigint()) / 1e6;
const log = (s) => process.stderr.write(`[field] ${s}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function parseArgs(argv) {
    const o = { proxy: null, floor: null, rtts: [0, 20, 80], servers: ['h1-sse', 'h1-json', 'h2-sse'],
        only: null, spawns: 3, calls: 500, seq: 30, out: path.join(here, 'results') };
    for (let i = 0; i < argv.length; ++i) {
        const a = argv[i];
        const v = () => argv[++i];
        if (a === '--proxy') o.proxy = path.resolve(v());
        else if (a === '--floor') o.floor = path.resolve(v());
        else if (a === '--baseline') o.baseline = path.resolve(v());
        else if (a === '--rtt') o.rtts = v().split(',').map(Number);
        else if (a === '--servers') o.servers = v().split(',');
        else if (a === '--only') o.only = v().split(',');
        else if (a === '--spawns') o.spawns = Number(v());
        else if (a === '--calls') o.calls = Number(v());
        else if (a === '--seq') o.seq = Number(v());
        else if (a === '--callgrind') o.callgrind = v().split(',').map(Number);
        else if (a === '--attach') o.attach = Number(v());
        else if (a === '--quick') { o.spawns = 2; o.calls = 200; o.seq = 30; o.rtts = [0, 80]; o.servers = ['h1-sse', 'h2-sse']; }
        else throw new Error(`unknown argument ${a}`);
    }
    if (!o.proxy) throw new Error('usage: field.mjs --proxy PATH [--floor PATH] [options]');
    return o;
}
const opts = parseArgs(process.argv.slice(2));
const caPath = path.join(tlsDir, 'ca.pem');
// The direct SDK client runs in this process: Node reads NODE_EXTRA_CA_CERTS only at start-up.
if (process.env.NODE_EXTRA_CA_CERTS !== caPath) {
    const again = spawnSync(process.execPath, process.argv.slice(1),
        { stdio: 'inherit', env: { ...process.env, NODE_EXTRA_CA_CERTS: caPath } });
    process.exit(again.status ?? 1);
}

// ---------------------------------------------------------------------------------------------
// Upstream: the SDK server, counting connections and handshakes

async function startUpstream(kind) {
    const { McpServer } = await import('@modelcontextprotocol/sdk/server/mcp.js');
    const { StreamableHTTPServerTransport } = await import('@modelcontextprotocol/sdk/server/streamableHttp.js');
    const { isInitializeRequest } = await import('@modelcontextprotocol/sdk/types.js');
    const z = await import('zod');
    const json = kind.endsWith('-json');
    const sessions = new Map();
    const counts = { tcp: 0, tls: 0, resumed: 0, requests: 0 };

    function newServer() {
        const server = new McpServer({ name: 'field-bench', version: '1.0.0' });
        server.registerTool('echo', { description: 'echo', inputSchema: { text: z.string() } },
            async ({ text }) => ({ content: [{ type: 'text', text }] }));
        return server;
    }
    async function readJson(req) {
        const chunks = [];
        for await (const c of req) chunks.push(c);
        const text = Buffer.concat(chunks).toString('utf8');
        return text ? JSON.parse(text) : undefined;
    }
    const trace = process.env.FIELD_TRACE === '1';
    async function handle(req, res) {
        ++counts.requests;
        if (trace) log(`conn ${req.socket?.remotePort ?? req.stream?.session?.socket?.remotePort} ${req.method} ${req.headers['content-length'] ?? ''}`);
        try {
            if (new URL(req.url, 'https://x').pathname !== '/mcp') { res.writeHead(404).end(); return; }
            if (req.headers.authorization !== `Bearer ${TOKEN}`) {
                res.writeHead(401, { 'www-authenticate': 'Bearer' }).end();
                return;
            }
            const sid = req.headers['mcp-session-id'];
            const body = req.method === 'POST' ? await readJson(req) : undefined;
            let transport = sid ? sessions.get(sid) : undefined;
            if (!transport) {
                if (sid || !(req.method === 'POST' && isInitializeRequest(body))) {
                    res.writeHead(sid ? 404 : 400, { 'content-type': 'application/json' })
                        .end('{"jsonrpc":"2.0","error":{"code":-32000,"message":"no session"},"id":null}');
                    return;
                }
                transport = new StreamableHTTPServerTransport({
                    sessionIdGenerator: () => randomUUID(),
                    enableJsonResponse: json,
                    onsessioninitialized: (id) => sessions.set(id, transport),
                });
                transport.onclose = () => { if (transport.sessionId) sessions.delete(transport.sessionId); };
                await newServer().connect(transport);
            }
            await transport.handleRequest(req, res, body);
        } catch (err) {
            log(`upstream: ${err.stack ?? err}`);
            if (!res.headersSent) res.writeHead(500).end();
        }
    }
    const tls = { key: fs.readFileSync(path.join(tlsDir, 'server-key.pem')), cert: fs.readFileSync(path.join(tlsDir, 'server.pem')) };
    const server = kind.startsWith('h2')
        ? http2.createSecureServer({ ...tls, allowHTTP1: true }, handle)
        : https.createServer({ ...tls, keepAliveTimeout: 60_000 }, handle);
    server.on('connection', () => ++counts.tcp);
    server.on('secureConnection', (socket) => { ++counts.tls; if (socket.isSessionReused()) ++counts.resumed; });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    return {
        port: server.address().port,
        counts,
        reset() { Object.assign(counts, { tcp: 0, tls: 0, resumed: 0, requests: 0 }); },
        async stop() {
            for (const t of sessions.values()) await t.close().catch(() => {});
            server.closeAllConnections?.();
            await new Promise((r) => server.close(r));
        },
    };
}

// A relay on 127.0.0.1 holding each chunk for half the RTT in each direction (order kept: timers
// of equal delay fire in order).
async function startRelay(targetPort, rttMs) {
    const half = rttMs / 2;
    const sockets = new Set();
    const forward = (from, to) => {
        from.on('data', (chunk) => {
            if (half <= 0) to.write(chunk);
            else setTimeout(() => { if (!to.destroyed) to.write(chunk); }, half);
        });
        from.on('end', () => (half <= 0 ? to.end() : setTimeout(() => to.end(), half)));
        from.on('error', () => to.destroy());
        from.on('close', () => setTimeout(() => to.destroy(), half + 5));
    };
    const server = net.createServer((client) => {
        client.setNoDelay(true);
        const upstream = net.connect(targetPort, '127.0.0.1');
        upstream.setNoDelay(true);
        sockets.add(client); sockets.add(upstream);
        client.on('close', () => sockets.delete(client));
        upstream.on('close', () => sockets.delete(upstream));
        forward(client, upstream);
        forward(upstream, client);
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    return {
        url: `https://127.0.0.1:${server.address().port}/mcp`,
        rtt: rttMs,
        async stop() { for (const s of sockets) s.destroy(); await new Promise((r) => server.close(r)); },
    };
}

async function startTokenEndpoint() {
    const server = http.createServer((req, res) => {
        req.resume();
        req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ access_token: TOKEN, token_type: 'Bearer', expires_in: 3600 })));
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${server.address().port}/token`, stop: () => new Promise((r) => server.close(r)) };
}

// ---------------------------------------------------------------------------------------------
// /proc

function processTree(pid) {
    const all = [pid];
    for (let i = 0; i < all.length; ++i) {
        try {
            for (const tid of fs.readdirSync(`/proc/${all[i]}/task`)) {
                const children = fs.readFileSync(`/proc/${all[i]}/task/${tid}/children`, 'utf8').trim();
                if (children) all.push(...children.split(/\s+/).map(Number));
            }
        } catch { /* gone */ }
    }
    return all;
}
function cpuMs(pid) {
    let ticks = 0;
    for (const p of processTree(pid)) {
        try {
            const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
            const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
            ticks += Number(f[11]) + Number(f[12]);
        } catch { /* gone */ }
    }
    return ticks * 10; // CLK_TCK 100 (run.sh checks)
}
function memoryMb(pid) {
    const read = (file, key) => {
        try {
            const m = fs.readFileSync(file, 'utf8').match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'));
            return m ? Number(m[1]) / 1024 : null;
        } catch { return null; }
    };
    return { hwm: read(`/proc/${pid}/status`, 'VmHWM'), pss: read(`/proc/${pid}/smaps_rollup`, 'Pss') };
}

// ---------------------------------------------------------------------------------------------
// Clients

class StdioClient {
    constructor(name, spec) {
        this.name = name;
        this.nextId = 1;
        this.pending = new Map();
        this.stderr = '';
        this.t0 = now();
        this.child = spawn(spec.command, spec.args, { env: spec.env, stdio: ['pipe', 'pipe', 'pipe'] });
        this.pid = this.child.pid;
        this.cleanup = spec.cleanup;
        let buffer = '';
        this.child.stdout.on('data', (c) => {
            buffer += c.toString('utf8');
            let nl;
            while ((nl = buffer.indexOf('\n')) >= 0) {
                const line = buffer.slice(0, nl);
                buffer = buffer.slice(nl + 1);
                this.onLine(line);
            }
        });
        this.child.stderr.on('data', (c) => { if (this.stderr.length < 20000) this.stderr += c; });
        this.child.stdin.on('error', () => {});
        this.exit = new Promise((r) => this.child.on('exit', (code, signal) => {
            for (const p of this.pending.values()) p.reject(new Error(`${name} exited (${code ?? signal}): ${this.stderr.slice(-1500)}`));
            this.pending.clear();
            this.exited = true;
            r();
        }));
    }
    onLine(line) {
        let msg;
        try { msg = JSON.parse(line); } catch { return; }
        if (msg.id === undefined || msg.method !== undefined) return;
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.error) p.reject(new Error(`${this.name}: ${JSON.stringify(msg.error).slice(0, 400)}`));
        else p.resolve(msg);
    }
    request(method, params) {
        const id = this.nextId++;
        return new Promise((resolve, reject) => {
            if (this.exited) { reject(new Error(`${this.name} exited: ${this.stderr.slice(-1500)}`)); return; }
            this.pending.set(id, { resolve, reject });
            this.child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
        });
    }
    notify(method) { this.child.stdin.write(JSON.stringify({ jsonrpc: '2.0', method }) + '\n'); }
    async close() {
        if (!this.exited) {
            this.child.stdin.end();
            const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
            await this.exit;
            clearTimeout(t);
        }
        this.cleanup?.();
    }
}

// The official SDK client in this process (no spawn: "ready" is connect(), i.e. initialize).
class SdkClient {
    constructor(url) { this.name = 'direct'; this.url = url; this.pid = null; }
    async connect() {
        const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
        const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
        this.t0 = now();
        this.client = new Client({ name: 'field-bench', version: '1.0.0' });
        this.transport = new StreamableHTTPClientTransport(new URL(this.url),
            { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } });
        await this.client.connect(this.transport); // initialize + notifications/initialized
        return now() - this.t0;
    }
    call() { return this.client.callTool({ name: 'echo', arguments: { text: 'hello' } }); }
    async close() { await this.client?.close().catch(() => {}); }
}

const INIT = { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'field-bench', version: '1.0.0' } };
const withTimeout = (p, ms, what) => Promise.race([p, sleep(ms).then(() => { throw new Error(`${what}: no answer in ${ms} ms`); })]);

// ---------------------------------------------------------------------------------------------
// Contenders

function contenders(relay, token) {
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: path.join(tlsDir, 'ca.pem') };
    delete env.NODE_OPTIONS;
    const nm = path.join(here, 'node_modules');
    const ours = (name, binary) => ({ name, spec: () => ({ command: binary,
        args: ['--log-level', 'error', '--ca-bundle', caPath, '--header', `Authorization: Bearer ${TOKEN}`, relay.url], env }) });
    const all = [
        ours('ours', opts.proxy),
        ...(opts.baseline ? [ours('baseline', opts.baseline)] : []),
        { name: 'reference', spec: () => ({ command: process.execPath, args: [path.join(nm, 'mcp-oauth2-proxy', 'dist', 'index.js')],
            env: { ...env, UPSTREAM_URL: relay.url, LOG_LEVEL: 'error', OAUTH2_GRANT: 'client_credentials', OAUTH2_TOKEN_URL: token.url,
                OAUTH2_CLIENT_ID: 'bench', OAUTH2_CLIENT_SECRET: 'bench-secret', DISCOVERY_ENABLED: 'false' } }) },
        { name: 'mcp-remote', spec: () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'field-mcp-remote-'));
            return { command: process.execPath,
                args: [path.join(nm, 'mcp-remote', 'dist', 'proxy.js'), relay.url, '--transport', 'http-only', '--silent', '--header', `Authorization: Bearer ${TOKEN}`],
                env: { ...env, MCP_REMOTE_CONFIG_DIR: dir }, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
        } },
        { name: 'direct', direct: true },
        ...(opts.floor ? [{ name: 'floor', floor: true }] : []),
    ];
    return all.filter((c) => !opts.only || opts.only.includes(c.name));
}

const median = (v) => { const s = [...v].sort((a, b) => a - b); return s.length ? s[Math.floor((s.length - 1) / 2)] : null; };
const pct = (v, p) => { const s = [...v].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]; };

async function stdioInitialize(client) {
    const msg = await withTimeout(client.request('initialize', INIT), 60_000, `${client.name} initialize`);
    const ready = now() - client.t0;
    if (!msg.result) throw new Error(`${client.name}: initialize ${JSON.stringify(msg).slice(0, 300)}`);
    client.notify('notifications/initialized');
    return ready;
}
const echo = (c) => (c.call ? c.call() : c.request('tools/call', { name: 'echo', arguments: { text: 'hello' } }));

async function pool(c, total, inFlight) {
    let next = 0;
    const worker = async () => { while (next++ < total) await echo(c); };
    await Promise.all(Array.from({ length: inFlight }, worker));
}

async function benchStdioOrDirect(c, upstream, relay) {
    const open = async () => {
        if (c.direct) { const d = new SdkClient(relay.url); return { client: d, ready: await d.connect() }; }
        const s = new StdioClient(c.name, c.spec());
        return { client: s, ready: await stdioInitialize(s) };
    };
    const r = { ready: [], first: [] };
    for (let i = 0; i < opts.spawns; ++i) {
        upstream.reset();
        const { client, ready } = await open();
        try {
            const t = now();
            await withTimeout(echo(client), 60_000, `${c.name} first call`);
            r.first.push(now() - t);
            r.ready.push(ready);
            r.firstConns = { ...upstream.counts }; // initialize + first call, last spawn
        } finally { await client.close(); }
    }
    upstream.reset();
    const { client } = await open();
    try {
        let t = now();
        await withTimeout(Promise.all(Array.from({ length: 32 }, () => echo(client))), 120_000, `${c.name} burst`);
        r.burst32 = now() - t;
        r.conns = { ...upstream.counts };
        const seq = [];
        for (let i = 0; i < opts.seq; ++i) { t = now(); await echo(client); seq.push(now() - t); }
        r.p50 = pct(seq, 50); r.p95 = pct(seq, 95);
        // CPU and memory at the run's smallest RTT only (the work per call does not depend on it).
        if (client.pid && relay.rtt === Math.min(...opts.rtts)) {
            const before = cpuMs(client.pid);
            await pool(client, opts.calls, 8);
            r.cpuPerCall = (cpuMs(client.pid) - before) / opts.calls;
            Object.assign(r, memoryMb(client.pid));
        }
    } finally { await client.close(); }
    r.ready = median(r.ready); r.first = median(r.first);
    return r;
}

// The bare-QNAM floor: bench/floor does the same phases itself and prints JSON.
async function benchFloor(upstream, relay) {
    upstream.reset();
    // Not spawnSync: the upstream and the relay live in this process's event loop.
    const child = spawn(opts.floor, ['--url', relay.url, '--ca-bundle', caPath, '--token', TOKEN,
        '--seq', String(opts.seq), '--calls', String(opts.calls)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => { stdout += c; });
    child.stderr.on('data', (c) => { stderr += c; });
    const killer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    const code = await new Promise((r) => child.on('exit', r));
    clearTimeout(killer);
    if (code !== 0) throw new Error(`floor exited ${code}: ${stderr.slice(-500)}`);
    const r = JSON.parse(stdout.trim().split('\n').pop());
    r.conns = { ...upstream.counts };
    return r;
}

// ---------------------------------------------------------------------------------------------
// --callgrind

function callgrindIr(file) {
    const text = fs.readFileSync(file, 'utf8');
    const m = text.match(/^(?:summary|totals):\s+(\d+)/m);
    if (!m) throw new Error(`no totals in ${file}`);
    return Number(m[1]);
}

// FIELD_TOOL=strace: system calls (all threads) instead of instructions, by the same subtraction,
// with the count of each system call. FIELD_TOOL=perf: `perf stat` of every thread (task-clock,
// user and system time, context switches, wake-ups, system calls; software events and
// tracepoints, no hardware counters needed), natively, by the same subtraction.
const tool = process.env.FIELD_TOOL ?? 'callgrind';
const straceMode = tool === 'strace';
const perfMode = tool === 'perf';
const recordMode = tool === 'record';
const memoryOnly = tool === 'memory'; // only the 256-in-flight memory of ours and floor-stdio // perf record -g: profiles only (perf report -i FILE)
const PERF_EVENTS = ['task-clock', 'user_time', 'system_time', 'context-switches', 'cpu-migrations',
    'page-faults', 'raw_syscalls:sys_enter', 'sched:sched_wakeup', 'sched:sched_switch'];

// strace -c: { total, byName: { read: n, ... } }
function syscallCounts(file) {
    const text = fs.readFileSync(file, 'utf8');
    const m = text.match(/^100\.00\s+\S+\s+\S+\s+(\d+)\s+(?:\d+\s+)?total/m);
    if (!m) throw new Error(`no total in ${file}`);
    const byName = {};
    for (const row of text.matchAll(/^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?([a-z_0-9]+)\s*$/gm))
        if (row[2] !== 'total') byName[row[2]] = Number(row[1]);
    return { total: Number(m[1]), byName };
}

// perf stat -x,: { event: value } (task-clock in ms, user/system_time in ns)
function perfCounts(file) {
    const values = {};
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        const f = line.split(',');
        if (f.length > 3 && PERF_EVENTS.includes(f[2])) values[f[2]] = Number(f[0]);
    }
    return values;
}

// Who runs in the --callgrind modes: ours, the floor (its own driver, no stdio), floor-stdio (the
// floor as a minimal stdio proxy: qnam-floor --stdio) and echo (only the stdio hop: qnam-floor
// --echo, no network; measured once).
const MEASURED = ['ours', 'floor', 'floor-stdio', 'echo'];
// NAME+noglib: the same with QT_NO_GLIB=1 (Qt's own poll dispatcher instead of GLib's in every
// thread); NAME+glib: with QT_NO_GLIB set empty (GLib's in every thread: ours keeps a user's
// setting, and Qt takes an empty one as unset).
const baseName = (name) => name.split('+')[0];
const variantEnv = (name) => ({ ...process.env, ...(name.includes('+noglib') ? { QT_NO_GLIB: '1' } : {}),
    ...(name.includes('+glib') ? { QT_NO_GLIB: '' } : {}) });
function stdioCommand(name, url) {
    name = baseName(name);
    if (name === 'ours') {
        return [opts.proxy, '--log-level', 'error', '--ca-bundle', caPath, '--header', `Authorization: Bearer ${TOKEN}`, url];
    }
    if (name === 'floor-stdio') return [opts.floor, '--stdio', '--url', url, '--ca-bundle', caPath, '--token', TOKEN];
    return [opts.floor, '--echo'];
}

async function irOf(name, kind, url, calls, dir) {
    const out = path.join(dir, `${kind}-${name}-${calls}.${tool}`);
    const command = straceMode ? 'strace' : perfMode || recordMode ? 'perf' : 'valgrind';
    const valgrind = straceMode ? ['-f', '-qq', '-c', '-o', out]
        : perfMode ? ['stat', '-x', ',', '-o', out, '-e', PERF_EVENTS.join(','), '--']
        : recordMode ? ['record', '-q', '-F', process.env.FIELD_RECORD_HZ ?? '4000', '--call-graph', process.env.FIELD_RECORD_GRAPH ?? 'fp', '-o', out, '--']
            : ['--tool=callgrind', `--callgrind-out-file=${out}`];
    if (name === 'floor') {
        const child = spawn(command, [...valgrind, opts.floor, '--url', url, '--ca-bundle', caPath,
            '--token', TOKEN, '--seq', '1', '--calls', String(calls)], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (c) => { stderr += c; });
        const code = await new Promise((r) => child.on('exit', r));
        if (code !== 0) throw new Error(`floor under ${command} exited ${code}: ${stderr.slice(-500)}`);
    } else {
        const env = { ...process.env };
        const client = new StdioClient(name, { command, args: [...valgrind, ...stdioCommand(name, url)], env });
        try {
            await stdioInitialize(client);
            await withTimeout(pool(client, calls, 8), 600_000, `${name} calls`);
        } finally { await client.close(); }
    }
    return straceMode ? syscallCounts(out) : perfMode ? perfCounts(out) : recordMode ? 0 : callgrindIr(out);
}

// (b - a) / n, field by field, for the strace and perf records.
function perCall(a, b, n) {
    if (typeof a === 'number') return (b - a) / n;
    const r = {};
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
        if (typeof (a[k] ?? b[k]) === 'object') r[k] = perCall(a[k] ?? {}, b[k] ?? {}, n);
        else r[k] = ((b[k] ?? 0) - (a[k] ?? 0)) / n;
    }
    return r;
}

// Memory of a process (MB): VmHWM, smaps_rollup, and its resident pages by kind of mapping
// (smaps): shared libraries and the executable (file-backed), heap ([heap] and anonymous maps:
// malloc arenas, Qt's allocations), thread stacks, other.
function memoryDetail(pid) {
    const r = memoryMb(pid);
    try {
        const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
        for (const key of ['Rss', 'Pss', 'Shared_Clean', 'Shared_Dirty', 'Private_Clean', 'Private_Dirty', 'Anonymous', 'Pss_Anon', 'Pss_File']) {
            const m = rollup.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'));
            if (m) r[key] = Number(m[1]) / 1024;
        }
        const kinds = {};
        const files = {};
        let name = null;
        for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
            const head = line.match(/^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/);
            if (head) { name = head[1]; continue; }
            const rss = line.match(/^Rss:\s+(\d+) kB/);
            if (!rss) continue;
            const mb = Number(rss[1]) / 1024;
            const kind = name.startsWith('/') ? 'files' : name === '[stack]' ? 'stack' : name === '' || name === '[heap]' ? 'anonymous' : 'other';
            kinds[kind] = (kinds[kind] ?? 0) + mb;
            if (kind === 'files') files[path.basename(name)] = (files[path.basename(name)] ?? 0) + mb;
        }
        r.kinds = kinds;
        r.files = Object.fromEntries(Object.entries(files).sort((x, y) => y[1] - x[1]).slice(0, 15));
        r.threads = fs.readdirSync(`/proc/${pid}/task`).length;
    } catch { /* gone */ }
    return r;
}

async function memoryAt256(name, url) {
    const env = { ...variantEnv(name), ...(process.env.FIELD_MALLOC_ARENA_MAX ? { MALLOC_ARENA_MAX: process.env.FIELD_MALLOC_ARENA_MAX } : {}) };
    // FIELD_WRAP="heaptrack -o FILE": run it under that tool (its numbers, not the table's, count).
    const [command, ...args] = [...(process.env.FIELD_WRAP?.split(' ') ?? []), ...stdioCommand(name, url)];
    const client = new StdioClient(name, { command, args, env });
    try {
        await stdioInitialize(client);
        const afterInit = memoryDetail(client.pid);
        await withTimeout(pool(client, 2048, 256), 300_000, `${name} 256 in flight`);
        return { afterInit, at256: memoryDetail(client.pid) };
    } finally { await client.close(); }
}

async function mainCallgrind() {
    const [n1, n2] = opts.callgrind;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `field-${tool}-`));
    const names = opts.only ?? MEASURED;
    const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
    const what = straceMode ? 'system calls (strace -c -f)' : perfMode ? 'perf stat (all threads)' : 'instructions (callgrind, all threads)';
    const lines = [`${what}, ${new Date().toISOString()}: per call = (value(${n2} calls) - value(${n1} calls)) / ${n2 - n1}, ` +
        `8 in flight, no relay; load average ${load}.`, ''];
    if (perfMode) {
        lines.push('| server | contender | task-clock ms | user ms | sys ms | context switches | wake-ups | system calls | migrations | page faults |',
            '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    } else if (straceMode) {
        lines.push('| server | contender | system calls | the most frequent (per call) |', '|---|---|---:|---|');
    } else {
        lines.push('| server | contender | Ir/call |', '|---|---|---:|');
    }
    const results = [];
    let echoDone = false;
    for (const kind of opts.servers) {
        const upstream = await startUpstream(kind);
        const url = `https://127.0.0.1:${upstream.port}/mcp`;
        for (const name of memoryOnly ? [] : names) {
            if (name === 'echo' && echoDone) continue;
            if (name === 'echo') echoDone = true;
            log(`${kind}: ${name} under ${tool}`);
            const a = await irOf(name, kind, url, n1, dir);
            const b = await irOf(name, kind, url, n2, dir);
            const v = perCall(a, b, n2 - n1);
            const row = name === 'echo' ? '(none)' : kind;
            results.push({ kind: row, name, perCall: v });
            if (perfMode) {
                lines.push(`| ${row} | ${name} | ${fmt(v['task-clock'], 3)} | ${fmt(v.user_time / 1e6, 3)} | ${fmt(v.system_time / 1e6, 3)} | ` +
                    `${fmt(v['context-switches'], 2)} | ${fmt(v['sched:sched_wakeup'], 2)} | ${fmt(v['raw_syscalls:sys_enter'], 1)} | ` +
                    `${fmt(v['cpu-migrations'], 2)} | ${fmt(v['page-faults'], 2)} |`);
            } else if (straceMode) {
                const top = Object.entries(v.byName).filter(([, n]) => Math.abs(n) >= 0.05).sort((x, y) => y[1] - x[1])
                    .map(([k, n]) => `${k} ${n.toFixed(2)}`).join(', ');
                lines.push(`| ${row} | ${name} | ${fmt(v.total, 1)} | ${top} |`);
            } else {
                lines.push(`| ${row} | ${name} | ${fmt(v, 0)} |`);
            }
        }
        if (!straceMode && !perfMode && process.env.FIELD_MEMORY !== '0') {
            for (const name of names.filter((n) => ['ours', 'floor-stdio'].includes(baseName(n)))) {
                log(`${kind}: ${name} natively, 256 in flight`);
                results.push({ kind, name, memory: await memoryAt256(name, url) });
            }
        }
        await Promise.race([upstream.stop(), sleep(3000)]); // the SDK's session close may linger
    }
    const memory = results.filter((r) => r.memory);
    if (memory.length) {
        lines.push('', '256 calls in flight (2048 calls), natively, MB: VmHWM, then at the end Rss, Pss, private dirty, and Rss by kind of mapping (after initialize → at the end)',
            '', '| server | contender | threads | VmHWM | Rss | Pss | Private_Dirty | files (libraries) | anonymous (heap, arenas) | stacks |',
            '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
        for (const r of memory) {
            const m0 = r.memory.afterInit;
            const m = r.memory.at256;
            const k = (x, key) => fmt(x.kinds?.[key] ?? 0);
            lines.push(`| ${r.kind} | ${r.name} | ${m.threads} | ${fmt(m.hwm)} | ${fmt(m.Rss)} | ${fmt(m.Pss)} | ${fmt(m.Private_Dirty)} | ` +
                `${k(m0, 'files')} → ${k(m, 'files')} | ${k(m0, 'anonymous')} → ${k(m, 'anonymous')} | ${k(m0, 'stack')} → ${k(m, 'stack')} |`);
        }
    }
    lines.push('', `Raw files: ${dir}.`);
    const text = lines.join('\n');
    fs.mkdirSync(opts.out, { recursive: true });
    const base = straceMode ? 'syscalls' : perfMode ? 'perfstat' : 'callgrind';
    fs.writeFileSync(path.join(opts.out, `${base}.md`), text + '\n');
    fs.writeFileSync(path.join(opts.out, `${base}.json`), JSON.stringify({ opts, load, results }, null, 2));
    process.stdout.write(text + '\n');
    process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// --attach N: where the CPU time per call goes, without start-up in the numbers. Each contender
// runs natively, gets initialize and 300 warm-up calls, then `perf stat -p PID --per-thread`
// (software events and tracepoints) is attached for N calls with 8 in flight; /proc per thread
// (utime, stime, voluntary and involuntary context switches, schedstat run time) is read before and
// after. The floor (no stdio) waits for the tool before its CPU phase (qnam-floor --pause).

const ATTACH_EVENTS = ['task-clock', 'context-switches', 'cpu-migrations', 'page-faults',
    'raw_syscalls:sys_enter', 'sched:sched_wakeup'];

function threadSnapshot(pid) {
    const threads = {};
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
        try {
            const base = `/proc/${pid}/task/${tid}`;
            const stat = fs.readFileSync(`${base}/stat`, 'utf8');
            const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
            const status = fs.readFileSync(`${base}/status`, 'utf8');
            const num = (key) => Number(status.match(new RegExp(`^${key}:\\s+(\\d+)`, 'm'))[1]);
            const sched = fs.readFileSync(`${base}/schedstat`, 'utf8').trim().split(' ').map(Number);
            threads[tid] = { comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
                utime: Number(f[11]) * 10, stime: Number(f[12]) * 10, runNs: sched[0], slices: sched[2],
                voluntary: num('voluntary_ctxt_switches'), involuntary: num('nonvoluntary_ctxt_switches') };
        } catch { /* gone */ }
    }
    return threads;
}

function threadDelta(before, after, calls) {
    const rows = {};
    for (const [tid, b] of Object.entries(after)) {
        const a = before[tid] ?? { utime: 0, stime: 0, runNs: 0, slices: 0, voluntary: 0, involuntary: 0 };
        const name = b.comm.replace(/[0-9]+$/, '');
        const r = rows[name] ?? (rows[name] = { threads: 0, utime: 0, stime: 0, runMs: 0, voluntary: 0, involuntary: 0 });
        ++r.threads;
        r.utime += (b.utime - a.utime) / calls;
        r.stime += (b.stime - a.stime) / calls;
        r.runMs += (b.runNs - a.runNs) / 1e6 / calls;
        r.voluntary += (b.voluntary - a.voluntary) / calls;
        r.involuntary += (b.involuntary - a.involuntary) / calls;
    }
    return rows;
}

// FIELD_ATTACH_TRACE=1: also `perf trace -s` (system calls per thread, by name) into FILE.trace.
function startPerfStat(pid, out) {
    const perf = spawn('perf', ['stat', '-p', String(pid), '--per-thread', '-x', ',', '-o', out, '-e', ATTACH_EVENTS.join(',')],
        { stdio: 'ignore' });
    const trace = process.env.FIELD_ATTACH_TRACE === '1'
        ? spawn('perf', ['trace', '-s', '-p', String(pid), '-o', `${out}.trace`], { stdio: 'ignore' }) : null;
    const traced = trace ? new Promise((r) => trace.on('exit', r)) : null;
    // FIELD_ATTACH_RECORD=1: also `perf record` (cpu-clock samples, all threads) into FILE.record.
    const record = process.env.FIELD_ATTACH_RECORD === '1'
        ? spawn('perf', ['record', '-q', '-F', '2000', '-p', String(pid), '-o', `${out}.record`], { stdio: 'ignore' }) : null;
    const recorded = record ? new Promise((r) => record.on('exit', r)) : null;
    const exited = new Promise((r) => perf.on('exit', r));
    return { async stop() { perf.kill('SIGINT'); trace?.kill('SIGINT'); record?.kill('SIGINT'); await exited; await traced; await recorded; } };
}

function perfPerThread(out, calls) {
    const rows = {};
    for (const line of fs.readFileSync(out, 'utf8').split('\n')) {
        const f = line.split(',');
        if (f.length < 4 || !ATTACH_EVENTS.includes(f[3]) || !/^[\d.]+$/.test(f[1])) continue; // <not counted>: idle
        const name = f[0].replace(/-\d+$/, '').replace(/[0-9]+$/, '');
        const r = rows[name] ?? (rows[name] = {});
        r[f[3]] = (r[f[3]] ?? 0) + Number(f[1]) / calls;
    }
    return rows;
}

async function attachOne(name, url, calls, out) {
    if (baseName(name) === 'floor') {
        const child = spawn(opts.floor, ['--url', url, '--ca-bundle', caPath, '--token', TOKEN, '--seq', '1',
            '--calls', String(calls), '--pause'], { stdio: ['pipe', 'pipe', 'pipe'], env: variantEnv(name) });
        let stdout = '';
        let stderr = '';
        const phase = new Promise((r) => child.stderr.on('data', (c) => { stderr += c; if (stderr.includes('cpu phase')) r(); }));
        const result = new Promise((r) => child.stdout.on('data', (c) => { stdout += c; if (stdout.includes('\n')) r(); }));
        await withTimeout(phase, 120_000, 'floor cpu phase');
        const before = threadSnapshot(child.pid);
        const perf = startPerfStat(child.pid, out);
        await sleep(500);
        child.stdin.write('\n');
        await withTimeout(result, 300_000, 'floor calls');
        const after = threadSnapshot(child.pid);
        await perf.stop();
        child.stdin.end();
        await new Promise((r) => child.on('exit', r));
        return { proc: threadDelta(before, after, calls), perf: perfPerThread(out, calls) };
    }
    const [command, ...args] = stdioCommand(name, url);
    const client = new StdioClient(name, { command, args, env: variantEnv(name) });
    try {
        await stdioInitialize(client);
        await withTimeout(pool(client, 300, 8), 120_000, `${name} warm-up`);
        const before = threadSnapshot(client.pid);
        const perf = startPerfStat(client.pid, out);
        await sleep(500);
        await withTimeout(pool(client, calls, 8), 300_000, `${name} calls`);
        const after = threadSnapshot(client.pid);
        await perf.stop();
        return { proc: threadDelta(before, after, calls), perf: perfPerThread(out, calls) };
    } finally { await client.close(); }
}

async function mainAttach() {
    const calls = opts.attach;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'field-attach-'));
    const names = opts.only ?? MEASURED;
    const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
    const lines = [`Per call over ${calls} calls (8 in flight, no relay, after 300 warm-up calls), ${new Date().toISOString()}, load average ${load}: ` +
        'run time (schedstat), user and system time (/proc, 10 ms ticks), voluntary and involuntary context switches (/proc), ' +
        'and from `perf stat -p --per-thread`: wake-ups issued (sched:sched_wakeup), system calls (raw_syscalls:sys_enter).', '',
        '| server | contender | thread | run ms | user ms | sys ms | voluntary cs | involuntary cs | wake-ups issued | system calls |',
        '|---|---|---|---:|---:|---:|---:|---:|---:|---:|'];
    const results = [];
    let echoDone = false;
    for (const kind of opts.servers) {
        const upstream = await startUpstream(kind);
        const url = `https://127.0.0.1:${upstream.port}/mcp`;
        for (const name of names) {
            if (name === 'echo' && echoDone) continue;
            if (name === 'echo') echoDone = true;
            log(`${kind}: ${name}, perf stat attached`);
            const r = await attachOne(name, url, calls, path.join(dir, `${kind}-${name}.perf`));
            const row = name === 'echo' ? '(none)' : kind;
            results.push({ kind: row, name, ...r });
            const total = { runMs: 0, utime: 0, stime: 0, voluntary: 0, involuntary: 0, wake: 0, sys: 0 };
            for (const [thread, p] of Object.entries(r.proc)) {
                const q = r.perf[thread] ?? {};
                const wake = q['sched:sched_wakeup'] ?? 0;
                const sys = q['raw_syscalls:sys_enter'] ?? 0;
                for (const [k, v] of Object.entries({ runMs: p.runMs, utime: p.utime, stime: p.stime, voluntary: p.voluntary, involuntary: p.involuntary, wake, sys })) total[k] += v;
                if (p.runMs < 0.001 && sys < 0.01) continue;
                lines.push(`| ${row} | ${name} | ${thread}${p.threads > 1 ? ` (${p.threads})` : ''} | ${fmt(p.runMs, 3)} | ${fmt(p.utime, 3)} | ${fmt(p.stime, 3)} | ` +
                    `${fmt(p.voluntary, 2)} | ${fmt(p.involuntary, 2)} | ${fmt(wake, 2)} | ${fmt(sys, 1)} |`);
            }
            lines.push(`| ${row} | **${name}** | all | **${fmt(total.runMs, 3)}** | ${fmt(total.utime, 3)} | ${fmt(total.stime, 3)} | ` +
                `${fmt(total.voluntary, 2)} | ${fmt(total.involuntary, 2)} | ${fmt(total.wake, 2)} | ${fmt(total.sys, 1)} |`);
        }
        await Promise.race([upstream.stop(), sleep(3000)]);
    }
    lines.push('', `Raw files: ${dir}.`);
    const text = lines.join('\n');
    fs.mkdirSync(opts.out, { recursive: true });
    fs.writeFileSync(path.join(opts.out, 'attach.md'), text + '\n');
    fs.writeFileSync(path.join(opts.out, 'attach.json'), JSON.stringify({ opts, load, results }, null, 2));
    process.stdout.write(text + '\n');
    process.exit(0);
}

// ---------------------------------------------------------------------------------------------

const fmt = (v, d = 1) => (v === null || v === undefined || Number.isNaN(v) ? '—' : Number(v).toFixed(d));

async function main() {
    const t0 = now();
    const token = await startTokenEndpoint();
    const results = [];
    for (const kind of opts.servers) {
        const upstream = await startUpstream(kind);
        for (const rtt of opts.rtts) {
            const relay = await startRelay(upstream.port, rtt);
            for (const c of contenders(relay, token)) {
                log(`${kind} rtt ${rtt} ms: ${c.name}`);
                try {
                    const r = c.floor ? await benchFloor(upstream, relay) : await benchStdioOrDirect(c, upstream, relay);
                    results.push({ kind, rtt, name: c.name, ...r });
                } catch (err) {
                    log(`${c.name}: ${err.message}`);
                    results.push({ kind, rtt, name: c.name, error: err.message.slice(0, 300) });
                }
            }
            await relay.stop();
        }
        await upstream.stop();
    }
    await token.stop();

    const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
    const lines = [
        `Field bench (${new Date().toISOString()}): ${os.cpus().length} cores, load average ${load}; Node ${process.version}; ` +
        `spawns ${opts.spawns}, sequential ${opts.seq}, CPU over ${opts.calls} calls (8 in flight).`,
        '',
        '| server | RTT ms | contender | ready ms | first call ms | TCP / TLS / requests to the first call | 32 parallel ms | TCP / TLS / resumed to the 32nd | seq p50 / p95 ms | CPU/call ms | VmHWM / PSS MB |',
        '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ];
    for (const r of results) {
        if (r.error) { lines.push(`| ${r.kind} | ${r.rtt} | ${r.name} | error: ${r.error.replace(/\|/g, '/')} |||||||`); continue; }
        const fc = r.firstConns ? `${r.firstConns.tcp} / ${r.firstConns.tls} / ${r.firstConns.requests}` : '—';
        const bc = r.conns ? `${r.conns.tcp} / ${r.conns.tls} / ${r.conns.resumed}` : '—';
        lines.push(`| ${r.kind} | ${r.rtt} | ${r.name} | ${fmt(r.ready)} | ${fmt(r.first)} | ${fc} | ${fmt(r.burst32)} | ${bc} | ${fmt(r.p50, 2)} / ${fmt(r.p95, 2)} | ${fmt(r.cpuPerCall, 3)} | ${fmt(r.hwm)} / ${fmt(r.pss)} |`);
    }
    lines.push('', `${((now() - t0) / 1000).toFixed(0)} s in all. TCP connections, TLS handshakes, resumed sessions and HTTP requests as the server counted them: for the last "ready" process up to its first call, and for the burst process up to its 32nd answer (requests include the probe, the GET stream and notifications).`);
    const text = lines.join('\n');
    fs.mkdirSync(opts.out, { recursive: true });
    fs.writeFileSync(path.join(opts.out, 'field.md'), text + '\n');
    fs.writeFileSync(path.join(opts.out, 'field.json'), JSON.stringify({ opts, load, results }, null, 2));
    process.stdout.write(text + '\n');
}

if (process.env.NODE_EXTRA_CA_CERTS === caPath) (opts.attach ? mainAttach() : opts.callgrind ? mainCallgrind() : main()).catch((err) => { log(err.stack ?? String(err)); process.exit(1); });
