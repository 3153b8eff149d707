#!/usr/bin/env node
// Benchmark driver: the same upstream (mcp-demo-server, a fast C++ Streamable HTTP MCP server),
// the same token endpoint and the same client for every contender:
//   direct      this driver's HTTP client POSTing straight to the upstream (the floor)
//   ours        mcp-oauth2-proxy (this repository, C++/Qt)
//   reference   mcp-oauth2-proxy 0.2.0 from npm (Node)
//   mcp-remote  mcp-remote 0.15.1 from npm (Node)
// Node builtins only. Usage:
//   node driver.mjs --proxy PATH --demo PATH [--out FILE] [--only a,b] [--quick] [--wait-idle SECONDS]
//   --only takes: direct, direct-http, ours, baseline, reference, mcp-remote
//   --baseline PATH adds an earlier build of mcp-oauth2-proxy as the contender 'baseline'
// Paths are resolved against the current directory; see run.sh.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------------------------------------
// Options

function parseArgs(argv) {
    const opts = { out: path.join(here, 'results', 'latest.md'), only: null, quick: false };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = () => {
            if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
            return argv[++i];
        };
        if (a === '--proxy') opts.proxy = path.resolve(value());
        else if (a === '--demo') opts.demo = path.resolve(value());
        else if (a === '--baseline') opts.baseline = path.resolve(value());
        else if (a === '--out') opts.out = path.resolve(value());
        else if (a === '--only') opts.only = value().split(',');
        else if (a === '--quick') opts.quick = true;
        else if (a === '--wait-idle') opts.waitIdleS = Number(value());
        else throw new Error(`unknown argument ${a}`);
    }
    if (!opts.proxy || !opts.demo) throw new Error('usage: driver.mjs --proxy PATH --demo PATH [--baseline PATH] [--out FILE] [--only a,b] [--quick] [--wait-idle SECONDS]');
    return opts;
}

const opts = parseArgs(process.argv.slice(2));
const Q = opts.quick;
const CFG = {
    readySpawns: Q ? 3 : 9,
    warmup: Q ? 200 : 2000, // V8 needs a few thousand calls before its optimizing JIT settles
    latencyCalls: Q ? 300 : 2000,
    throughputCalls: Q ? 1000 : 5000,
    inFlight: [1, 32, 256],
    bigBytes: 8 * 1024 * 1024,
    bigRepeats: Q ? 1 : 3,
    perfCalls: Q ? 1000 : 5000,
    phaseTimeoutMs: 120_000,
    rssSampleMs: 5,
};

const TOKEN = 't';
const CLIENT_ID = 'bench-client';
const CLIENT_SECRET = 'bench-secret';
const PROTOCOL_VERSION = '2025-06-18';
// Connections of the raw floor client: as many as Qt's QNetworkAccessManager opens per host (6).
const RAW_CONNECTIONS = 6;

// ---------------------------------------------------------------------------------------------
// Small helpers

const now = () => Number(process.hrtime.bigint()) / 1e6; // ms
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const CLK_TCK = 100; // sysconf(_SC_CLK_TCK) on Linux, checked by run.sh

function withTimeout(promise, ms, what) {
    let timer;
    return Promise.race([
        promise.finally(() => clearTimeout(timer)),
        new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms); }),
    ]);
}

function percentile(sorted, p) {
    if (sorted.length === 0) return NaN;
    const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return sorted[idx];
}

function median(values) {
    const s = [...values].sort((a, b) => a - b);
    return s.length ? percentile(s, 50) : NaN;
}

// The pid and all its descendants, from /proc/<pid>/task/<tid>/children.
function processTree(pid) {
    const out = [];
    const stack = [pid];
    while (stack.length) {
        const p = stack.pop();
        out.push(p);
        let tasks = [];
        try { tasks = fs.readdirSync(`/proc/${p}/task`); } catch { continue; }
        for (const t of tasks) {
            try {
                const kids = fs.readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').trim();
                if (kids) stack.push(...kids.split(/\s+/).map(Number));
            } catch { /* gone */ }
        }
    }
    return out;
}

// utime+stime of a process tree in ms (includes threads that have exited; 10 ms ticks).
function cpuMs(pid) {
    let ticks = 0;
    for (const p of processTree(pid)) {
        try {
            const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
            const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
            ticks += Number(f[11]) + Number(f[12]); // fields 14 and 15 of proc(5)
        } catch { /* gone */ }
    }
    return (ticks * 1000) / CLK_TCK;
}

// CPU of this driver and everything it started (live descendants plus reaped children), in ms.
function ownCpuMs() {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return cpuMs(process.pid) + ((Number(f[13]) + Number(f[14])) * 1000) / CLK_TCK; // cutime, cstime
}

// Busy CPU time of the whole machine, in ms, from /proc/stat.
function machineBusyMs() {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0); // guest time is already in user
    return ((total - f[3] - f[4]) * 1000) / CLK_TCK;
}

// Measures how much CPU processes other than the bench took while fn ran (% of all cores).
async function watchingOthers(r, fn) {
    const m0 = machineBusyMs();
    const o0 = ownCpuMs();
    const t0 = now();
    try {
        return await fn();
    } finally {
        const wall = now() - t0;
        const others = machineBusyMs() - m0 - (ownCpuMs() - o0);
        r.othersPct = Math.max(0, (100 * others) / (wall * os.cpus().length));
        r.wallS = wall / 1000;
    }
}

function statusKb(pid, key) {
    let kb = 0;
    for (const p of processTree(pid)) {
        try {
            const m = fs.readFileSync(`/proc/${p}/status`, 'utf8').match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'));
            if (m) kb += Number(m[1]);
        } catch { /* gone */ }
    }
    return kb;
}

// Samples VmRSS and RssAnon of a process tree until stopped; returns the maxima in kB.
function rssSampler(pid) {
    let rss = 0;
    let anon = 0;
    const sample = () => {
        rss = Math.max(rss, statusKb(pid, 'VmRSS'));
        anon = Math.max(anon, statusKb(pid, 'RssAnon'));
    };
    sample();
    const timer = setInterval(sample, CFG.rssSampleMs);
    return { stop() { clearInterval(timer); sample(); return { rss, anon }; } };
}

// ---------------------------------------------------------------------------------------------
// Line splitting without quadratic string growth on 8 MB lines

class LineSplitter {
    constructor(onLine) { this.onLine = onLine; this.parts = []; }
    push(chunk) {
        let start = 0;
        let nl;
        while ((nl = chunk.indexOf(10, start)) !== -1) {
            const piece = chunk.subarray(start, nl);
            let line;
            if (this.parts.length) {
                this.parts.push(piece);
                line = Buffer.concat(this.parts).toString('utf8');
                this.parts = [];
            } else {
                line = piece.toString('utf8');
            }
            start = nl + 1;
            if (line.trim()) this.onLine(line);
        }
        if (start < chunk.length) this.parts.push(chunk.subarray(start));
    }
}

// ---------------------------------------------------------------------------------------------
// Clients: one interface, request(method, params) -> message, for a stdio proxy and for HTTP

class StdioClient {
    constructor(name, command, args, env) {
        this.name = name;
        this.nextId = 1;
        this.pending = new Map();
        this.stderr = '';
        this.exited = null;
        this.t0 = now();
        this.child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
        this.pid = this.child.pid;
        const splitter = new LineSplitter((line) => this.onLine(line));
        this.child.stdout.on('data', (c) => splitter.push(c));
        this.child.stderr.on('data', (c) => { if (this.stderr.length < 20000) this.stderr += c.toString(); });
        this.child.stdin.on('error', () => {});
        this.exitPromise = new Promise((resolve) => this.child.on('exit', (code, signal) => {
            this.exited = { code, signal };
            for (const { reject } of this.pending.values()) reject(new Error(`${name} exited (${code ?? signal}): ${this.stderr.slice(-2000)}`));
            this.pending.clear();
            resolve(this.exited);
        }));
        this.child.on('error', (err) => { this.stderr += String(err); });
    }
    onLine(line) {
        let msg;
        try { msg = JSON.parse(line); } catch { return; }
        if (msg.id === undefined || msg.id === null || msg.method !== undefined) return; // notifications, server requests
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.error) p.reject(new Error(`${this.name}: error ${JSON.stringify(msg.error).slice(0, 500)}`));
        else p.resolve(msg);
    }
    request(method, params) {
        const id = this.nextId++;
        return new Promise((resolve, reject) => {
            if (this.exited) return reject(new Error(`${this.name} has exited: ${this.stderr.slice(-2000)}`));
            this.pending.set(id, { resolve, reject });
            this.child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
        });
    }
    notify(method, params) {
        this.child.stdin.write(JSON.stringify({ jsonrpc: '2.0', method, ...(params ? { params } : {}) }) + '\n');
    }
    async close() {
        if (this.exited) return;
        this.child.stdin.end();
        const t = setTimeout(() => this.child.kill('SIGTERM'), 3000);
        const k = setTimeout(() => this.child.kill('SIGKILL'), 6000);
        await this.exitPromise;
        clearTimeout(t);
        clearTimeout(k);
    }
}

class HttpClient {
    constructor(url) {
        this.name = 'direct';
        this.url = new URL(url);
        this.agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
        this.nextId = 1;
        this.sessionId = null;
        this.pid = null;
    }
    post(body) {
        return new Promise((resolve, reject) => {
            const headers = {
                'content-type': 'application/json',
                accept: 'application/json, text/event-stream',
                authorization: `Bearer ${TOKEN}`,
                'content-length': Buffer.byteLength(body),
            };
            if (this.sessionId) {
                headers['mcp-session-id'] = this.sessionId;
                headers['mcp-protocol-version'] = PROTOCOL_VERSION;
            }
            const req = http.request({ host: this.url.hostname, port: this.url.port, path: this.url.pathname, method: 'POST', agent: this.agent, headers }, (res) => {
                const chunks = [];
                res.on('data', (c) => chunks.push(c));
                res.on('end', () => {
                    const sid = res.headers['mcp-session-id'];
                    if (sid && !this.sessionId) this.sessionId = sid;
                    resolve({ status: res.statusCode, type: res.headers['content-type'] ?? '', body: Buffer.concat(chunks).toString('utf8') });
                });
                res.on('error', reject);
            });
            req.on('error', reject);
            req.end(body);
        });
    }
    async request(method, params) {
        const id = this.nextId++;
        const res = await this.post(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
        if (res.status !== 200) throw new Error(`direct: HTTP ${res.status} ${res.body.slice(0, 300)}`);
        let msg;
        if (res.type.includes('text/event-stream')) {
            for (const line of res.body.split('\n')) {
                if (!line.startsWith('data:')) continue;
                const m = JSON.parse(line.slice(5));
                if (m.id === id) msg = m;
            }
        } else {
            msg = JSON.parse(res.body);
        }
        if (!msg || msg.error) throw new Error(`direct: bad reply ${res.body.slice(0, 300)}`);
        return msg;
    }
    notify(method, params) {
        return this.post(JSON.stringify({ jsonrpc: '2.0', method, ...(params ? { params } : {}) }));
    }
    async close() { this.agent.destroy(); }
}

// The floor: HTTP/1.1 over raw keep-alive sockets, requests preformatted, responses framed by
// Content-Length only (the demo server answers JSON with Content-Length when not in --sse mode).
// One request at a time per connection; up to maxConnections, then requests wait for a free one.
class RawHttpClient {
    constructor(url, maxConnections = Infinity) {
        this.name = 'direct-raw';
        this.url = new URL(url);
        this.maxConnections = maxConnections;
        this.idle = [];
        this.all = [];
        this.queue = [];
        this.nextId = 1;
        this.sessionId = null;
        this.pid = null;
    }
    connection() {
        const idle = this.idle.pop();
        if (idle) return Promise.resolve(idle);
        if (this.all.length >= this.maxConnections) return new Promise((resolve) => this.queue.push(resolve));
        return new Promise((resolve, reject) => {
            const sock = net.connect({ host: this.url.hostname, port: Number(this.url.port), noDelay: true }, () => resolve(conn));
            const conn = { sock, chunks: [], size: 0, total: -1, head: null, waiter: null };
            sock.on('data', (c) => this.onData(conn, c));
            sock.on('error', (err) => { if (conn.waiter) conn.waiter.reject(err); else reject(err); });
            sock.on('close', () => { if (conn.waiter) conn.waiter.reject(new Error('direct-raw: connection closed')); });
            this.all.push(conn);
        });
    }
    release(conn) {
        const next = this.queue.shift();
        if (next) next(conn);
        else this.idle.push(conn);
    }
    onData(conn, chunk) {
        conn.chunks.push(chunk);
        conn.size += chunk.length;
        if (conn.total < 0) {
            const buf = conn.chunks.length === 1 ? conn.chunks[0] : Buffer.concat(conn.chunks);
            conn.chunks = [buf];
            const headEnd = buf.indexOf('\r\n\r\n');
            if (headEnd === -1) return;
            const head = buf.subarray(0, headEnd).toString('latin1');
            const m = head.match(/\r\ncontent-length:\s*(\d+)/i);
            if (!m) { conn.waiter?.reject(new Error(`direct-raw: no Content-Length in ${head.slice(0, 200)}`)); return; }
            conn.head = head;
            conn.bodyStart = headEnd + 4;
            conn.total = headEnd + 4 + Number(m[1]);
        }
        if (conn.size < conn.total) return;
        const buf = conn.chunks.length === 1 ? conn.chunks[0] : Buffer.concat(conn.chunks);
        const body = buf.subarray(conn.bodyStart, conn.total).toString('utf8');
        const head = conn.head;
        conn.chunks = buf.length > conn.total ? [buf.subarray(conn.total)] : [];
        conn.size = buf.length - conn.total;
        conn.total = -1;
        const status = Number(head.slice(9, 12));
        const sid = head.match(/\r\nmcp-session-id:\s*(\S+)/i);
        if (sid && !this.sessionId) this.sessionId = sid[1];
        const w = conn.waiter;
        conn.waiter = null;
        this.release(conn);
        w?.resolve({ status, body });
    }
    async post(body) {
        const conn = await this.connection();
        const payload = Buffer.from(body, 'utf8');
        const head = `POST ${this.url.pathname} HTTP/1.1\r\nHost: ${this.url.host}\r\nContent-Type: application/json\r\n`
            + `Accept: application/json, text/event-stream\r\nAuthorization: Bearer ${TOKEN}\r\n`
            + (this.sessionId ? `Mcp-Session-Id: ${this.sessionId}\r\nMCP-Protocol-Version: ${PROTOCOL_VERSION}\r\n` : '')
            + `Content-Length: ${payload.length}\r\n\r\n`;
        return new Promise((resolve, reject) => {
            conn.waiter = { resolve, reject };
            conn.sock.write(payload.length < 65536 ? Buffer.concat([Buffer.from(head, 'latin1'), payload]) : head);
            if (payload.length >= 65536) conn.sock.write(payload);
        });
    }
    async request(method, params) {
        const id = this.nextId++;
        const res = await this.post(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
        if (res.status !== 200) throw new Error(`direct-raw: HTTP ${res.status} ${res.body.slice(0, 300)}`);
        const msg = JSON.parse(res.body);
        if (msg.error) throw new Error(`direct-raw: ${res.body.slice(0, 300)}`);
        return msg;
    }
    notify(method, params) {
        return this.post(JSON.stringify({ jsonrpc: '2.0', method, ...(params ? { params } : {}) }));
    }
    async close() { for (const c of this.all) c.sock.destroy(); }
}

// ---------------------------------------------------------------------------------------------
// Fixtures: upstream and token endpoint

async function startUpstream(demo) {
    const child = spawn(demo, ['--port', '0', '--quiet', '--exit-on-stdin-eof', '--require-header', `Authorization: Bearer ${TOKEN}`],
        { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => { stderr += c; });
    const url = await withTimeout(new Promise((resolve, reject) => {
        let buf = '';
        child.stdout.on('data', (c) => {
            buf += c;
            const nl = buf.indexOf('\n');
            if (nl !== -1) resolve(buf.slice(0, nl).trim());
        });
        child.on('exit', (code) => reject(new Error(`mcp-demo-server exited ${code}: ${stderr}`)));
    }), 10_000, 'mcp-demo-server start');
    return { url, pid: child.pid, stop: () => new Promise((r) => { child.on('exit', r); child.stdin.end(); setTimeout(() => child.kill(), 2000); }) };
}

async function startTokenEndpoint() {
    let requests = 0;
    const server = http.createServer((req, res) => {
        let body = '';
        req.on('data', (c) => { body += c; });
        req.on('end', () => {
            requests++;
            const payload = JSON.stringify({ access_token: TOKEN, expires_in: 3600, token_type: 'Bearer' });
            res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
            res.end(payload);
        });
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address();
    return { url: `http://127.0.0.1:${port}/token`, requests: () => requests, stop: () => new Promise((r) => server.close(r)) };
}

// ---------------------------------------------------------------------------------------------
// Contenders

function contenders(upstream, token) {
    const baseEnv = { ...process.env };
    delete baseEnv.NODE_OPTIONS;
    const oauthEnv = {
        OAUTH2_GRANT: 'client_credentials', OAUTH2_TOKEN_URL: token.url,
        OAUTH2_CLIENT_ID: CLIENT_ID, OAUTH2_CLIENT_SECRET: CLIENT_SECRET, DISCOVERY_ENABLED: 'false',
    };
    const nm = path.join(here, 'node_modules');
    // Ours, and with --baseline an earlier build of ours in the same run (before/after a change).
    const ours = (name, label, binary) => ({
        name,
        label,
        // 'oauth': the same client_credentials settings as the reference. 'header': a static
        // `--header "Authorization: Bearer t"`, for a build without the OAuth grant (chosen by
        // probeOursAuth()); the upstream then sees the same bytes, only the token request is missing.
        auth: 'oauth',
        cmd() {
            return this.auth === 'oauth'
                ? { command: binary, args: ['--log-level', 'error', upstream.url], env: { ...baseEnv, ...oauthEnv } }
                : { command: binary, args: ['--log-level', 'error', '--header', `Authorization: Bearer ${TOKEN}`, upstream.url], env: baseEnv };
        },
    });
    const list = [
        ours('ours', 'ours (C++/Qt)', opts.proxy),
        ...(opts.baseline ? [ours('baseline', 'ours, baseline build', opts.baseline)] : []),
        {
            name: 'reference',
            label: 'reference 0.2.0 (Node)',
            authNote: 'client_credentials (OAUTH2_* environment, DISCOVERY_ENABLED=false, LOG_LEVEL=error)',
            cmd: () => ({ command: process.execPath, args: [path.join(nm, 'mcp-oauth2-proxy', 'dist', 'index.js')],
                env: { ...baseEnv, ...oauthEnv, UPSTREAM_URL: upstream.url, LOG_LEVEL: 'error' } }),
        },
        {
            name: 'mcp-remote',
            label: 'mcp-remote 0.15.1 (Node)',
            authNote: '--client-credentials --token-endpoint --static-oauth-client-info, --transport http-only --silent, fresh MCP_REMOTE_CONFIG_DIR per process',
            cmd: () => {
                // A fresh config dir per process, so that no cached token skips the token request.
                const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-mcp-remote-'));
                return {
                    command: process.execPath,
                    args: [path.join(nm, 'mcp-remote', 'dist', 'proxy.js'), upstream.url, '--transport', 'http-only', '--silent',
                        '--client-credentials', '--token-endpoint', token.url,
                        '--static-oauth-client-info', JSON.stringify({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET })],
                    env: { ...baseEnv, MCP_REMOTE_CONFIG_DIR: dir },
                    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
                };
            },
        },
    ];
    return list;
}

// Does this build of ours fetch a client_credentials token? If initialize fails and the token
// endpoint saw no request, fall back to a static Authorization header.
async function probeOursAuth(c, token) {
    const before = token.requests();
    const client = launch(c);
    try {
        await initialize(client);
        c.authNote = 'client_credentials, token from the bench token endpoint';
    } catch (err) {
        if (token.requests() !== before) throw err;
        c.auth = 'header';
        c.authNote = 'this build makes no token request with OAUTH2_GRANT=client_credentials, so it ran with a static --header "Authorization: Bearer t"';
        log(`ours: ${c.authNote}`);
    } finally {
        await client.close();
    }
}

function launch(c) {
    const spec = c.cmd();
    const client = new StdioClient(c.name, spec.command, spec.args, spec.env);
    const close = client.close.bind(client);
    client.close = async () => { await close(); spec.cleanup?.(); };
    return client;
}

const INIT_PARAMS = { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'bench', version: '1.0.0' } };

async function initialize(client) {
    const t0 = client.t0 ?? now();
    const msg = await withTimeout(client.request('initialize', INIT_PARAMS), 30_000, `${client.name} initialize`);
    const ms = now() - t0;
    if (!msg.result) throw new Error(`${client.name}: initialize failed ${JSON.stringify(msg)}`);
    await client.notify('notifications/initialized');
    return ms;
}

const echo = (client, text = 'hello') => client.request('tools/call', { name: 'echo', arguments: { text } });

// ---------------------------------------------------------------------------------------------
// Phases

async function measureReady(c) {
    const times = [];
    for (let i = 0; i < CFG.readySpawns; i++) {
        const client = launch(c);
        try {
            times.push(await initialize(client));
        } finally {
            await client.close();
        }
    }
    return times;
}

async function measureLatency(client) {
    for (let i = 0; i < CFG.warmup; i++) await echo(client);
    const samples = [];
    for (let i = 0; i < CFG.latencyCalls; i++) {
        const t0 = now();
        await echo(client);
        samples.push(now() - t0);
    }
    samples.sort((a, b) => a - b);
    return { p50: percentile(samples, 50), p95: percentile(samples, 95), p99: percentile(samples, 99), n: samples.length };
}

async function runPool(client, total, inFlight) {
    let sent = 0;
    const worker = async () => {
        while (sent < total) {
            sent++;
            await echo(client);
        }
    };
    await Promise.all(Array.from({ length: Math.min(inFlight, total) }, worker));
}

async function measureThroughput(client, inFlight, upstreamPid, sampleRss) {
    const sampler = sampleRss && client.pid ? rssSampler(client.pid) : null;
    const cpu0 = client.pid ? cpuMs(client.pid) : NaN;
    const up0 = cpuMs(upstreamPid);
    const drv0 = process.cpuUsage();
    const t0 = now();
    await withTimeout(runPool(client, CFG.throughputCalls, inFlight), CFG.phaseTimeoutMs, `${client.name} ${inFlight} in flight`);
    const wall = now() - t0;
    const drv = process.cpuUsage(drv0);
    const res = {
        callsPerS: (CFG.throughputCalls * 1000) / wall,
        proxyCpuMsPerCall: client.pid ? (cpuMs(client.pid) - cpu0) / CFG.throughputCalls : NaN,
        upstreamCpuMsPerCall: (cpuMs(upstreamPid) - up0) / CFG.throughputCalls,
        driverCpuMsPerCall: (drv.user + drv.system) / 1000 / CFG.throughputCalls,
    };
    if (sampler) {
        const { rss, anon } = sampler.stop();
        res.sampledRssKb = rss;
        res.sampledAnonKb = anon;
    }
    return res;
}

async function measureBig(client) {
    const sampler = client.pid ? rssSampler(client.pid) : null;
    const result = [];
    const argument = [];
    const text = 'x'.repeat(CFG.bigBytes);
    for (let i = 0; i < CFG.bigRepeats; i++) {
        let t0 = now();
        const r = await withTimeout(client.request('tools/call', { name: 'big', arguments: { bytes: CFG.bigBytes } }), CFG.phaseTimeoutMs, `${client.name} 8 MB result`);
        result.push(now() - t0);
        const got = r.result?.content?.[0]?.text?.length;
        if (got !== CFG.bigBytes) throw new Error(`${client.name}: 8 MB result came back with ${got} characters`);
        t0 = now();
        const e = await withTimeout(echo(client, text), CFG.phaseTimeoutMs, `${client.name} 8 MB argument`);
        argument.push(now() - t0);
        if (e.result?.content?.[0]?.text?.length !== CFG.bigBytes) throw new Error(`${client.name}: 8 MB echo came back wrong`);
    }
    const sampled = sampler ? sampler.stop() : { rss: NaN, anon: NaN };
    return { resultMs: median(result), argumentMs: median(argument), sampledRssKb: sampled.rss, sampledAnonKb: sampled.anon,
        hwmKb: client.pid ? statusKb(client.pid, 'VmHWM') : NaN };
}

// The lighter CPU measurement: the proxy alone under `perf stat -e task-clock` (all its threads,
// nothing of the driver or upstream), once with no calls and once with N calls; the difference
// divided by N is the CPU per call. Startup and shutdown cancel out.
function perfAvailable() {
    const r = spawnSync('perf', ['stat', '-x,', '-e', 'task-clock', 'true'], { encoding: 'utf8' });
    return r.status === 0 && /task-clock/.test(r.stderr);
}

async function perfTaskClockMs(c, calls, inFlight) {
    const spec = c.cmd();
    const outFile = path.join(os.tmpdir(), `bench-perf-${process.pid}-${c.name}.txt`);
    const client = new StdioClient(c.name, 'perf', ['stat', '-x,', '-e', 'task-clock,context-switches', '-o', outFile, '--', spec.command, ...spec.args], spec.env);
    try {
        await initialize(client);
        if (calls) await withTimeout(runPool(client, calls, inFlight), CFG.phaseTimeoutMs, `${c.name} perf run`);
    } catch (err) {
        await client.close();
        spec.cleanup?.();
        fs.rmSync(outFile, { force: true });
        throw err;
    }
    await client.close();
    spec.cleanup?.();
    const text = fs.readFileSync(outFile, 'utf8');
    fs.rmSync(outFile, { force: true });
    const value = (event) => Number(text.split('\n').find((l) => l.includes(event)).split(',')[0]);
    return { ms: value('task-clock'), switches: value('context-switches') };
}

async function measurePerf(c) {
    const base = [];
    for (let i = 0; i < 3; i++) base.push(await perfTaskClockMs(c, 0, 1));
    const res = { baseMs: median(base.map((b) => b.ms)), baseSwitches: median(base.map((b) => b.switches)), switches: {} };
    for (const k of [1, 32]) {
        const runs = [];
        for (let i = 0; i < 2; i++) runs.push(await perfTaskClockMs(c, CFG.perfCalls, k));
        res[k] = (median(runs.map((r) => r.ms)) - res.baseMs) / CFG.perfCalls;
        res.switches[k] = (median(runs.map((r) => r.switches)) - res.baseSwitches) / CFG.perfCalls;
    }
    return res;
}

// ---------------------------------------------------------------------------------------------
// Run

async function benchContender(c, upstream, token, withPerf) {
    const r = { name: c.name, label: c.label, authNote: c.authNote, errors: [] };
    const step = async (what, fn) => {
        try { return await fn(); } catch (err) { r.errors.push(`${what}: ${err.message.split('\n')[0].slice(0, 400)}`); log(`  ${what} FAILED: ${err.message.slice(0, 600)}`); return undefined; }
    };
    log(`${c.label}: ready`);
    const ready = await step('ready', () => measureReady(c));
    if (ready) r.ready = { median: median(ready), min: Math.min(...ready), max: Math.max(...ready), n: ready.length };

    // Process A: latency, then the throughput runs; its VmHWM is the peak with up to 256 in flight.
    log(`${c.label}: latency and throughput`);
    const tokensBefore = token.requests();
    const a = launch(c);
    await step('small calls', async () => {
        await initialize(a);
        r.idleRssKb = statusKb(a.pid, 'VmRSS');
        r.idleRssAnonKb = statusKb(a.pid, 'RssAnon');
        r.idleRssFileKb = statusKb(a.pid, 'RssFile');
        r.latency = await measureLatency(a);
        r.throughput = {};
        for (const k of CFG.inFlight) r.throughput[k] = await measureThroughput(a, k, upstream.pid, k === 256);
        r.hwmSmallKb = statusKb(a.pid, 'VmHWM');
    });
    await a.close();
    r.tokenRequests = token.requests() - tokensBefore;

    // Process B: only 8 MB messages, so its VmHWM is attributable to them.
    log(`${c.label}: 8 MB messages`);
    const b = launch(c);
    await step('8 MB', async () => {
        await initialize(b);
        r.big = await measureBig(b);
    });
    await b.close();

    if (withPerf) {
        log(`${c.label}: perf stat`);
        r.perf = await step('perf', () => measurePerf(c));
    }
    return r;
}

async function benchDirect(upstream, kind) {
    const r = kind === 'raw'
        ? { name: 'direct', label: 'direct, raw socket (floor)', errors: [] }
        : { name: 'direct-http', label: 'direct, node:http', errors: [] };
    log(`${r.label}: latency, throughput, 8 MB`);
    const client = kind === 'raw' ? new RawHttpClient(upstream.url, RAW_CONNECTIONS) : new HttpClient(upstream.url);
    try {
        const t0 = now();
        await client.request('initialize', INIT_PARAMS);
        r.ready = { median: now() - t0, min: NaN, max: NaN, n: 1, http: true };
        await client.notify('notifications/initialized');
        r.latency = await measureLatency(client);
        r.throughput = {};
        for (const k of CFG.inFlight) r.throughput[k] = await measureThroughput(client, k, upstream.pid, false);
        r.big = await measureBig(client);
    } catch (err) {
        r.errors.push(err.message);
    } finally {
        await client.close();
    }
    return r;
}

// Share of both cores that was busy over `ms` (from /proc/stat): what else runs on the machine.
async function machineBusy(ms) {
    const read = () => {
        const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
        const idle = f[3] + (f[4] || 0);
        return { idle, total: f.reduce((a, b) => a + b, 0) };
    };
    const a = read();
    await sleep(ms);
    const b = read();
    return 1 - (b.idle - a.idle) / Math.max(1, b.total - a.total);
}

function log(s) { process.stderr.write(`[bench] ${s}\n`); }

function sh(cmd, args) {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : '';
}

function machineInfo() {
    const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
    const model = (cpuinfo.match(/^model name\s*:\s*(.*)$/m) ?? [])[1] ?? os.cpus()[0]?.model ?? 'unknown';
    const qt = process.env.BENCH_QT_VERSION || sh('qmake6', ['-query', 'QT_VERSION']) || sh('qtpaths6', ['--qt-query', 'QT_VERSION']) || 'unknown';
    return {
        nproc: os.availableParallelism ? os.availableParallelism() : os.cpus().length,
        cpu: model,
        memGiB: (os.totalmem() / 2 ** 30).toFixed(1),
        kernel: os.release(),
        qt,
        node: process.version,
        perf: perfAvailable(),
        nice: os.getPriority(),
    };
}

// ---------------------------------------------------------------------------------------------
// Report

const f = (v, d = 2) => (v === undefined || v === null || Number.isNaN(v) ? '–' : v.toFixed(d));
const mb = (kb) => (kb === undefined || Number.isNaN(kb) ? '–' : (kb / 1024).toFixed(1));
const isDirect = (r) => r.name.startsWith('direct');
const fi = (v) => (v === undefined || Number.isNaN(v) ? '–' : Math.round(v).toLocaleString('en-US'));

function report(info, results, elapsedS) {
    const cols = results;
    const row = (label, fn) => `| ${label} | ${cols.map((r) => { try { return fn(r) ?? '–'; } catch { return '–'; } }).join(' | ')} |`;
    const lines = [];
    lines.push(`Machine: ${info.nproc} cores, ${info.cpu}, ${info.memGiB} GiB, Linux ${info.kernel}; Qt ${info.qt}; Node ${info.node}.`);
    lines.push(`Upstream: mcp-demo-server (C++/Qt, JSON replies, requires \`Authorization: Bearer t\`); token endpoint: node http in the driver.`);
    if (info.nice) lines.push(`The bench ran at nice ${info.nice} (BENCH_NICE), ahead of other work on the machine.`);
    lines.push(`Machine busy before the run (other processes, 2 s sample): ${(info.busyBefore * 100).toFixed(0)} %; load average at the end: ${info.loadEnd}.${info.busyBefore > 0.1 ? ' **The machine was not idle: numbers are noisy.**' : ''}`);
    lines.push(`Counts: ${CFG.readySpawns} spawns for ready, ${CFG.warmup} warm-up + ${CFG.latencyCalls} sequential calls for latency, ${CFG.throughputCalls} calls per throughput run, ${CFG.bigRepeats}× each 8 MB message${opts.quick ? ' (--quick)' : ''}. Whole run: ${elapsedS.toFixed(0)} s.`);
    lines.push('');
    lines.push(`| metric | ${cols.map((r) => r.label).join(' | ')} |`);
    lines.push(`|---|${cols.map(() => '---:').join('|')}|`);
    lines.push(row('ready: spawn → initialize answered, ms (median; min–max)', (r) => r.ready ? (r.ready.http ? `${f(r.ready.median)} (HTTP only)` : `${f(r.ready.median, 1)} (${f(r.ready.min, 1)}–${f(r.ready.max, 1)})`) : undefined));
    lines.push(row('small tools/call round trip p50, ms', (r) => f(r.latency?.p50, 3)));
    lines.push(row('small tools/call round trip p95, ms', (r) => f(r.latency?.p95, 3)));
    lines.push(row('small tools/call round trip p99, ms', (r) => f(r.latency?.p99, 3)));
    lines.push(row('p50 minus the p50 of the floor (raw socket), ms', (r) => r.name === 'direct' ? '0' : f(r.latency?.p50 - results.find((x) => x.name === 'direct')?.latency?.p50, 3)));
    for (const k of CFG.inFlight) lines.push(row(`throughput, ${k} in flight, calls/s`, (r) => fi(r.throughput?.[k]?.callsPerS)));
    for (const k of CFG.inFlight) lines.push(row(`proxy CPU per call, ${k} in flight, ms`, (r) => isDirect(r) ? 'n/a' : f(r.throughput?.[k]?.proxyCpuMsPerCall, 3)));
    lines.push(row('proxy CPU per call, `perf stat` of the proxy alone, 1 in flight, ms', (r) => isDirect(r) ? 'n/a' : f(r.perf?.[1], 3)));
    lines.push(row('proxy CPU per call, `perf stat` of the proxy alone, 32 in flight, ms', (r) => isDirect(r) ? 'n/a' : f(r.perf?.[32], 3)));
    lines.push(row('proxy context switches per call, `perf stat`, 1 / 32 in flight', (r) => isDirect(r) ? 'n/a' : `${f(r.perf?.switches?.[1], 1)} / ${f(r.perf?.switches?.[32], 2)}`));
    lines.push(row('proxy CPU from spawn to exit with no calls (`perf stat`), ms', (r) => isDirect(r) ? 'n/a' : f(r.perf?.baseMs, 1)));
    for (const k of CFG.inFlight) lines.push(row(`upstream CPU per call, ${k} in flight, ms`, (r) => f(r.throughput?.[k]?.upstreamCpuMsPerCall, 3)));
    for (const k of CFG.inFlight) lines.push(row(`driver (Node client) CPU per call, ${k} in flight, ms`, (r) => f(r.throughput?.[k]?.driverCpuMsPerCall, 3)));
    lines.push(row('8 MB result (`big`) round trip, ms (median)', (r) => f(r.big?.resultMs, 1)));
    lines.push(row('8 MB argument (`echo`, 8 MB back too) round trip, ms (median)', (r) => f(r.big?.argumentMs, 1)));
    lines.push(row('RSS after initialize, MB', (r) => isDirect(r) ? 'n/a' : mb(r.idleRssKb)));
    lines.push(row('  of which anonymous (heap, stacks) / file-backed (code, shared libraries), MB', (r) => isDirect(r) ? 'n/a' : `${mb(r.idleRssAnonKb)} / ${mb(r.idleRssFileKb)}`));
    lines.push(row('peak RSS, small calls up to 256 in flight (VmHWM), MB', (r) => isDirect(r) ? 'n/a' : mb(r.hwmSmallKb)));
    lines.push(row('max sampled RSS during the 256-in-flight run (all / anonymous), MB', (r) => isDirect(r) ? 'n/a' : `${mb(r.throughput?.[256]?.sampledRssKb)} / ${mb(r.throughput?.[256]?.sampledAnonKb)}`));
    lines.push(row('peak RSS, process moving only 8 MB messages (VmHWM), MB', (r) => isDirect(r) ? 'n/a' : mb(r.big?.hwmKb)));
    lines.push(row('max sampled RSS during the 8 MB run (all / anonymous), MB', (r) => isDirect(r) ? 'n/a' : `${mb(r.big?.sampledRssKb)} / ${mb(r.big?.sampledAnonKb)}`));
    lines.push('');
    lines.push('How each proxy authenticated:');
    for (const r of results) lines.push(`- ${r.label}: ${r.name === 'direct' ? `static Authorization: Bearer t header; preformatted HTTP/1.1 on net.Socket, keep-alive, up to ${RAW_CONNECTIONS} connections (as QNAM), requests queue beyond that` : r.name === 'direct-http' ? 'static Authorization: Bearer t header; node:http keep-alive Agent (maxSockets Infinity)' : `${r.authNote}; token requests by the latency/throughput process: ${r.tokenRequests ?? '–'}`}`);
    lines.push('');
    lines.push(`CPU taken by processes outside the bench while each column ran (share of all ${info.nproc} cores; above a few % the column is disturbed): ${results.map((r) => `${r.label} ${f(r.othersPct, 0)} % over ${f(r.wallS, 0)} s`).join('; ')}.`);
    const errs = results.flatMap((r) => r.errors.map((e) => `- ${r.label}: ${e}`));
    if (errs.length) { lines.push(''); lines.push('Errors:'); lines.push(...errs); }
    return lines.join('\n') + '\n';
}

async function main() {
    const info = machineInfo();
    info.busyBefore = await machineBusy(2000);
    // --wait-idle S: wait up to S seconds for the machine to be quiet (< 15 % busy) first.
    for (const deadline = now() + (opts.waitIdleS ?? 0) * 1000; info.busyBefore >= 0.15 && now() < deadline;) {
        log(`machine ${(info.busyBefore * 100).toFixed(0)} % busy, waiting for it to be idle`);
        await sleep(3000);
        info.busyBefore = await machineBusy(2000);
    }
    log(`machine busy before the run: ${(info.busyBefore * 100).toFixed(0)} %`);
    const benchStarted = now();
    const upstream = await startUpstream(opts.demo);
    const token = await startTokenEndpoint();
    log(`upstream ${upstream.url}, token endpoint ${token.url}`);
    const results = [];
    try {
        if (!opts.only || opts.only.includes('direct')) { const r = {}; const x = await watchingOthers(r, () => benchDirect(upstream, 'raw')); results.push(Object.assign(x, r)); }
        if (!opts.only || opts.only.includes('direct-http')) { const r = {}; const x = await watchingOthers(r, () => benchDirect(upstream, 'http')); results.push(Object.assign(x, r)); }
        for (const c of contenders(upstream, token)) {
            if (opts.only && !opts.only.includes(c.name)) continue;
            if (c.name === 'ours' || c.name === 'baseline') await probeOursAuth(c, token);
            { const r = {}; const x = await watchingOthers(r, () => benchContender(c, upstream, token, info.perf)); results.push(Object.assign(x, r)); }
        }
    } finally {
        await token.stop();
        await upstream.stop();
    }
    info.loadEnd = os.loadavg().map((x) => x.toFixed(2)).join(' ');
    const md = report(info, results, (now() - benchStarted) / 1000);
    fs.mkdirSync(path.dirname(opts.out), { recursive: true });
    fs.writeFileSync(opts.out, md);
    fs.writeFileSync(opts.out.replace(/\.md$/, '') + '.json', JSON.stringify({ info, cfg: CFG, results }, null, 2));
    process.stdout.write(md);
    process.exit(0);
}

main().catch((err) => { console.error(err); process.exit(1); });
