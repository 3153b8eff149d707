#!/usr/bin/env node
// The "client under test" that `conformance client --command` runs: an MCP host (an official SDK
// Client) that spawns the proxy over stdio with the conformance test server's URL, and does what
// a desktop host does with whatever the scenario's server offers. Everything the scenario checks
// on the HTTP side (era, headers, _meta, session, SSE reconnection, OAuth) is the proxy's doing.
//
//   PROXY_BIN=/path/to/mcp-oauth2-proxy node conformance-host.mjs <server-url>
//
// The conformance runner appends <server-url> to the command and sets MCP_CONFORMANCE_SCENARIO,
// MCP_CONFORMANCE_PROTOCOL_VERSION and, for scenarios with one, MCP_CONFORMANCE_CONTEXT (JSON:
// credentials, or `toolCalls` — the exact calls the scenario wants made); the proxy inherits the
// environment.
//
// What the host does, for every scenario alike:
//  - declares the sampling, elicitation (form, with schema defaults applied) and roots
//    capabilities, and answers the server's requests: elicitation/create accepts with the
//    requested schema's defaults (then a value of the right type for required fields without
//    one), sampling/createMessage answers a fixed text, roots/list one root;
//  - lists the tools and calls them: the context's `toolCalls` when the scenario gives them,
//    otherwise every listed tool once, in list order, with arguments built from its inputSchema
//    (defaults, const, enums, types; same-document `$ref`s only — a network `$ref` is never
//    fetched, JSON Schema 2020-12 / SEP-2106);
//  - lists and reads the resources and lists and gets the prompts when the server has them.
// Scenario-specific checks of the results: tools_call (the sum), sse-retry (the resumed result).
//
// Env: PROXY_ARGS (extra proxy arguments before the URL, split on spaces), PROXY_LOG_LEVEL
// (default debug), PROXY_AUTH_STYLE (configured | on-demand, for the auth/* scenarios),
// HOST_DEADLINE_MS (default 40000: the host then exits with status 3), HOST_SDK: v1 (default:
// `@modelcontextprotocol/sdk` 1.x Client, a 2025-era host that sends `initialize`) or v2
// (`@modelcontextprotocol/client` 2.x with version negotiation `auto`: a 2026-07-28 host,
// `server/discover` first). DIRECT=1: no proxy, the SDK's own Streamable HTTP
// transport (validates this driver; with HOST_SDK=v2 for the 2026-07-28 scenarios).
// Exit code 0 = the host-side steps succeeded; the runner judges the HTTP side itself.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const serverUrl = process.argv.at(-1);
const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '';
const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT ?? '{}');
const proxyBin = process.env.PROXY_BIN;
const proxyArgs = (process.env.PROXY_ARGS ?? '').split(' ').filter(Boolean);
const direct = process.env.DIRECT === '1';
const hostSdk = process.env.HOST_SDK ?? 'v1';
const here = path.dirname(fileURLToPath(import.meta.url));
const TIMEOUT = { timeout: Number(process.env.HOST_REQUEST_TIMEOUT_MS ?? 20000) };
const SAMPLING_TEXT = 'conformance-host sampled text';
const ROOTS = [{ uri: 'file:///tmp/conformance-host-root', name: 'conformance-host root' }];

const log = (...args) => process.stderr.write(`[conformance-host] ${args.join(' ')}\n`);

/**
 * For the auth/* scenarios: the proxy's OAuth settings from the scenario's context (its env names
 * follow ProxyConfig), a fresh token cache, and lib/fake-browser as the browser so that the
 * proxy's authorization URL is followed headlessly. CONFORMANCE_AUTH_ENV=0 turns this off.
 */
function authEnvironment() {
    if (!scenario.startsWith('auth/') || process.env.CONFORMANCE_AUTH_ENV === '0') return {};
    const cache = mkdtempSync(path.join(tmpdir(), 'mcp-conformance-tokens-'));
    const env = {
        PATH: `${path.join(here, 'lib', 'fake-browser')}${path.delimiter}${process.env.PATH ?? ''}`,
        OAUTH2_TOKEN_CACHE_DIR: cache,
        OAUTH2_CALLBACK_TIMEOUT_SECONDS: '20',
        // An ephemeral callback port: scenarios run in parallel (run-conformance.sh).
        OAUTH2_CALLBACK_PORT: '0',
        // A user who hosts a Client ID Metadata Document configures its URL (used only when the
        // authorization server advertises client_id_metadata_document_supported).
        OAUTH2_CLIENT_METADATA_URL: 'https://conformance-test.local/client-metadata.json',
    };
    // PROXY_AUTH_STYLE (run-conformance.sh runs both): "configured" sets OAUTH2_GRANT as users of
    // the npm reference do (authorization at start-up); "on-demand" leaves it unset (the browser
    // login on the first 401). client_credentials is always configured explicitly.
    if (scenario.startsWith('auth/client-credentials')) env.OAUTH2_GRANT = 'client_credentials';
    else if (process.env.PROXY_AUTH_STYLE === 'configured') env.OAUTH2_GRANT = 'authorization_code';
    // The proxy opens the browser through $BROWSER first (then xdg-open when a display exists).
    env.BROWSER = path.join(here, 'lib', 'fake-browser', 'xdg-open');
    if (context.private_key_pem) {
        const keyFile = path.join(cache, 'client-key.pem');
        writeFileSync(keyFile, context.private_key_pem, { mode: 0o600 });
        env.OAUTH2_PRIVATE_KEY_FILE = keyFile;
        env.OAUTH2_TOKEN_ENDPOINT_AUTH_METHOD = 'private_key_jwt';
        if (context.signing_algorithm) env.OAUTH2_SIGNING_ALGORITHM = context.signing_algorithm;
    }
    if (context.client_id) env.OAUTH2_CLIENT_ID = context.client_id;
    if (context.client_secret) env.OAUTH2_CLIENT_SECRET = context.client_secret;
    // the scenarios with credentials in the context only accept HTTP Basic client authentication
    if (context.client_secret) env.OAUTH2_AUTH_STYLE = 'header';
    log('auth environment:', JSON.stringify({ ...env, OAUTH2_CLIENT_SECRET: env.OAUTH2_CLIENT_SECRET && '***' }));
    return env;
}

/** Resolves a same-document `$ref` (`#/...`); any other `$ref` is left alone (never fetched). */
function resolveRef(schema, root) {
    let current = schema;
    for (let depth = 0; current?.$ref !== undefined && depth < 16; ++depth) {
        const ref = String(current.$ref);
        if (!ref.startsWith('#')) return {};
        let target = root;
        for (const part of ref.slice(1).split('/').filter(Boolean)) {
            target = target?.[decodeURIComponent(part).replaceAll('~1', '/').replaceAll('~0', '~')];
        }
        current = target ?? {};
    }
    return current ?? {};
}

/**
 * A value that satisfies `schema` as far as a host filling in a form would: the default, the
 * const, the first enum member, else a value of the declared type (objects: their required
 * properties and the ones with defaults).
 */
export function valueFor(schemaIn, root = schemaIn, depth = 0) {
    const schema = resolveRef(schemaIn, root);
    if (depth > 8 || typeof schema !== 'object' || schema === null) return 'conformance';
    if ('default' in schema) return schema.default;
    if ('const' in schema) return schema.const;
    if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
    for (const key of ['oneOf', 'anyOf']) {
        if (Array.isArray(schema[key]) && schema[key].length) {
            const choice = schema[key].find(s => resolveRef(s, root).type !== 'null') ?? schema[key][0];
            return valueFor(choice, root, depth + 1);
        }
    }
    if (Array.isArray(schema.allOf) && schema.allOf.length) {
        return valueFor(Object.assign({}, ...schema.allOf.map(s => resolveRef(s, root))), root, depth + 1);
    }
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    const type = types.find(t => t && t !== 'null') ?? (schema.properties ? 'object' : types[0]);
    switch (type) {
        case 'object':
            return argumentsFor(schema, root, depth + 1);
        case 'array': {
            const count = Math.max(0, Number(schema.minItems ?? 0));
            return Array.from({ length: count }, () => valueFor(schema.items ?? {}, root, depth + 1));
        }
        case 'integer':
            return Math.max(Number(schema.minimum ?? 1), 1);
        case 'number':
            return Math.max(Number(schema.minimum ?? 1), 1);
        case 'boolean':
            return true;
        case 'null':
            return null;
        case 'string':
        default:
            if (schema.format === 'email') return 'host@example.com';
            if (schema.format === 'uri') return 'https://example.com/';
            if (schema.format === 'date') return '2026-01-01';
            if (schema.format === 'date-time') return '2026-01-01T00:00:00Z';
            return 'conformance';
    }
}

/** The arguments of an object schema: required properties and those with a default. */
export function argumentsFor(schemaIn, root = schemaIn, depth = 0) {
    const schema = resolveRef(schemaIn, root);
    const args = {};
    const required = new Set(Array.isArray(schema?.required) ? schema.required : []);
    for (const [name, property] of Object.entries(schema?.properties ?? {})) {
        const resolved = resolveRef(property, root);
        if (required.has(name) || (resolved && 'default' in resolved)) args[name] = valueFor(property, root, depth);
    }
    return args;
}

async function loadSdk() {
    if (hostSdk === 'v2') {
        const sdk = await import('@modelcontextprotocol/client');
        const { StdioClientTransport } = await import('@modelcontextprotocol/client/stdio');
        return {
            Client: sdk.Client,
            StdioClientTransport,
            StreamableHTTPClientTransport: sdk.StreamableHTTPClientTransport,
            options: { versionNegotiation: { mode: 'auto' } },
            callTool: (client, params) => client.callTool(params, TIMEOUT),
            handle: (client, method) => (handler => client.setRequestHandler(method, handler)),
        };
    }
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
    const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
    const types = await import('@modelcontextprotocol/sdk/types.js');
    const schemas = {
        'elicitation/create': types.ElicitRequestSchema,
        'sampling/createMessage': types.CreateMessageRequestSchema,
        'roots/list': types.ListRootsRequestSchema,
    };
    return {
        Client,
        StdioClientTransport,
        StreamableHTTPClientTransport,
        options: {},
        callTool: (client, params) => client.callTool(params, undefined, TIMEOUT),
        handle: (client, method) => (handler => client.setRequestHandler(schemas[method], handler)),
    };
}

async function listAll(list, key) {
    const items = [];
    let cursor;
    for (let page = 0; page < 20; ++page) {
        const result = await list(cursor ? { cursor } : undefined);
        items.push(...(result[key] ?? []));
        cursor = result.nextCursor;
        if (!cursor) break;
    }
    return items;
}

async function main() {
    if (!proxyBin && !direct) throw new Error('PROXY_BIN is not set (or DIRECT=1 to run the SDK client without the proxy)');
    if (!serverUrl?.startsWith('http')) throw new Error(`usage: conformance-host.mjs <server-url> (got ${serverUrl})`);
    log(`scenario ${scenario || '(none)'} at ${process.env.MCP_CONFORMANCE_PROTOCOL_VERSION ?? '?'}, host ${hostSdk}:`,
        `${direct ? 'DIRECT' : proxyBin} ${[...proxyArgs, serverUrl].join(' ')}`);

    const sdk = await loadSdk();
    const capabilities = {
        sampling: {},
        elicitation: { form: { applyDefaults: true } },
        roots: { listChanged: true },
    };
    const client = new sdk.Client({ name: 'conformance-host', version: '1.0.0' }, { capabilities, ...sdk.options });
    sdk.handle(client, 'elicitation/create')(async request => {
        const schema = request.params?.requestedSchema ?? {};
        const content = argumentsFor(schema);
        log('elicitation/create ->', JSON.stringify(content));
        return { action: 'accept', content };
    });
    sdk.handle(client, 'sampling/createMessage')(async () => {
        log('sampling/createMessage');
        return { role: 'assistant', content: { type: 'text', text: SAMPLING_TEXT }, model: 'conformance-host', stopReason: 'endTurn' };
    });
    sdk.handle(client, 'roots/list')(async () => ({ roots: ROOTS }));
    client.onerror = e => log('host error:', e.message);

    const transport = direct
        ? new sdk.StreamableHTTPClientTransport(new URL(serverUrl))
        : new sdk.StdioClientTransport({
              command: proxyBin,
              args: [...proxyArgs, serverUrl],
              env: { ...process.env, LOG_LEVEL: process.env.PROXY_LOG_LEVEL ?? 'debug', ...authEnvironment() },
              stderr: 'inherit',
          });

    // Where the calls are the point of the scenario, a failed call fails the host; elsewhere the
    // scenario's checks judge (e.g. json-schema-ref-no-deref lists a tool it does not implement).
    const callsMustSucceed =
        scenario.startsWith('auth/') || ['tools_call', 'sse-retry', 'elicitation-sep1034-client-defaults'].includes(scenario);
    const failures = [];
    const step = async (what, run, mustSucceed = true) => {
        try {
            return await run();
        } catch (e) {
            if (mustSucceed) failures.push(`${what}: ${e?.message ?? e}`);
            log(`${what} FAILED:`, e?.message ?? e);
            return undefined;
        }
    };
    try {
        await client.connect(transport, TIMEOUT);
        const serverCapabilities = client.getServerCapabilities() ?? {};
        log('connected; server', JSON.stringify(client.getServerVersion()), 'capabilities', JSON.stringify(serverCapabilities));

        if (serverCapabilities.tools || !Object.keys(serverCapabilities).length) {
            const tools = (await step('tools/list', () => listAll(c => client.listTools(c, TIMEOUT), 'tools'))) ?? [];
            const names = tools.map(t => t.name);
            log('tools:', names.join(', ') || '(none)');
            const calls = Array.isArray(context.toolCalls)
                ? context.toolCalls
                : tools.map(t => ({ name: t.name, arguments: argumentsFor(t.inputSchema ?? {}) }));
            const results = {};
            for (const call of calls) {
                if (!names.includes(call.name)) {
                    log(`tool ${call.name} not listed: not called`);
                    continue;
                }
                results[call.name] = await step(`tools/call ${call.name}`, async () => {
                    log(`tools/call ${call.name}`, JSON.stringify(call.arguments));
                    const result = await sdk.callTool(client, { name: call.name, arguments: call.arguments });
                    log(`${call.name} ->`, JSON.stringify(result).slice(0, 300));
                    return result;
                }, callsMustSucceed);
            }
            if (scenario === 'tools_call' && results.add_numbers?.content?.[0]?.text !== 'The sum of 1 and 1 is 2') {
                failures.push(`add_numbers: unexpected result ${JSON.stringify(results.add_numbers)}`);
            }
            if (scenario === 'sse-retry' && !String(results.test_reconnection?.content?.[0]?.text).includes('Reconnection test completed')) {
                failures.push(`test_reconnection: unexpected result ${JSON.stringify(results.test_reconnection)}`);
            }
        }
        if (serverCapabilities.resources) {
            const resources = (await step('resources/list', () => listAll(c => client.listResources(c, TIMEOUT), 'resources'))) ?? [];
            for (const resource of resources.slice(0, 10)) {
                await step(`resources/read ${resource.uri}`, () => client.readResource({ uri: resource.uri }, TIMEOUT), false);
            }
        }
        if (serverCapabilities.prompts) {
            const prompts = (await step('prompts/list', () => listAll(c => client.listPrompts(c, TIMEOUT), 'prompts'))) ?? [];
            for (const prompt of prompts.slice(0, 10)) {
                const args = Object.fromEntries((prompt.arguments ?? []).filter(a => a.required).map(a => [a.name, 'conformance']));
                await step(`prompts/get ${prompt.name}`, () => client.getPrompt({ name: prompt.name, arguments: args }, TIMEOUT), false);
            }
        }
    } finally {
        await client.close();
    }
    if (failures.length) throw new Error(`host steps failed:\n  ${failures.join('\n  ')}`);
    log('done');
}

// The runner's own timeout kills only the shell it started the host with, and then waits for the
// host's output to end: the host ends itself first, so the run still gets its checks.
const deadlineMs = Number(process.env.HOST_DEADLINE_MS ?? 40000);
setTimeout(() => {
    log(`FAILED: host deadline of ${deadlineMs} ms passed`);
    process.exit(3);
}, deadlineMs).unref();

main().then(
    () => process.exit(0),
    e => {
        log('FAILED:', e?.stack ?? e);
        process.exit(1);
    },
);
