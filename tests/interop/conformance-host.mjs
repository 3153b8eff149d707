#!/usr/bin/env node
// The "client under test" that `conformance client --command` runs: an MCP host (the official SDK
// Client) that spawns the proxy over stdio with the conformance test server's URL, and performs
// what the scenario (env MCP_CONFORMANCE_SCENARIO) expects a client to do. Everything the scenario
// checks on the HTTP side (headers, session, SSE reconnection, OAuth) is the proxy's doing.
//
//   PROXY_BIN=/path/to/mcp-oauth2-proxy node conformance-host.mjs <server-url>
//
// The conformance runner appends <server-url> to the command and sets MCP_CONFORMANCE_SCENARIO
// (and MCP_CONFORMANCE_CONTEXT for scenarios with credentials; the proxy inherits the environment).
// PROXY_ARGS: extra proxy arguments placed before the URL (split on spaces).
// DIRECT=1: no proxy, the SDK's own StreamableHTTPClientTransport (to validate this driver).
// Exit code 0 = the host-side steps succeeded; the runner judges the HTTP side itself.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const serverUrl = process.argv.at(-1);
const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '';
const proxyBin = process.env.PROXY_BIN;
const proxyArgs = (process.env.PROXY_ARGS ?? '').split(' ').filter(Boolean);
const direct = process.env.DIRECT === '1';
const here = path.dirname(fileURLToPath(import.meta.url));
const TIMEOUT = { timeout: 20000 };

const log = (...args) => process.stderr.write(`[conformance-host] ${args.join(' ')}\n`);

/**
 * For the auth/* scenarios: the proxy's OAuth settings from the scenario's context (its env names
 * follow ProxyConfig), a fresh token cache, and lib/fake-browser first in PATH so that the
 * proxy's `xdg-open <authorization URL>` completes the authorization_code flow headlessly.
 * CONFORMANCE_AUTH_ENV=0 turns this off.
 */
function authEnvironment() {
    if (!scenario.startsWith('auth/') || process.env.CONFORMANCE_AUTH_ENV === '0') return {};
    const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT ?? '{}');
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

async function main() {
    if (!proxyBin && !direct) throw new Error('PROXY_BIN is not set (or DIRECT=1 to run the SDK client without the proxy)');
    if (!serverUrl?.startsWith('http')) throw new Error(`usage: conformance-host.mjs <server-url> (got ${serverUrl})`);
    log(`scenario ${scenario || '(none)'}: ${direct ? 'DIRECT' : proxyBin} ${[...proxyArgs, serverUrl].join(' ')}`);

    const capabilities = scenario.startsWith('elicitation') ? { elicitation: { form: { applyDefaults: true } } } : {};
    const client = new Client({ name: 'conformance-host', version: '1.0.0' }, { capabilities });
    if (capabilities.elicitation) {
        // accept with empty content: the SDK client fills in the schema's defaults (applyDefaults)
        client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: {} }));
    }
    client.onerror = e => log('host error:', e.message);

    const transport = direct
        ? new StreamableHTTPClientTransport(new URL(serverUrl))
        : new StdioClientTransport({
              command: proxyBin,
              args: [...proxyArgs, serverUrl],
              env: { ...process.env, LOG_LEVEL: process.env.PROXY_LOG_LEVEL ?? 'debug', ...authEnvironment() },
              stderr: 'inherit',
          });

    try {
        await client.connect(transport, TIMEOUT);
        log('initialized; server', JSON.stringify(client.getServerVersion()));
        const { tools } = await client.listTools(undefined, TIMEOUT);
        const names = tools.map(t => t.name);
        log('tools:', names.join(', ') || '(none)');

        const callIfListed = async (name, args) => {
            if (!names.includes(name)) throw new Error(`tool ${name} not listed`);
            const result = await client.callTool({ name, arguments: args }, undefined, TIMEOUT);
            log(`${name} ->`, JSON.stringify(result).slice(0, 300));
            if (result.isError) throw new Error(`${name} returned an error`);
            return result;
        };

        if (scenario === 'tools_call') {
            const result = await callIfListed('add_numbers', { a: 5, b: 3 });
            if (result.content?.[0]?.text !== 'The sum of 5 and 3 is 8') throw new Error('wrong add_numbers result');
        } else if (scenario === 'sse-retry') {
            // the server closes this call's SSE stream after a priming event with retry: 500;
            // the result only arrives on a GET that resumes it (Last-Event-ID)
            const result = await callIfListed('test_reconnection', {});
            if (!String(result.content?.[0]?.text).includes('Reconnection test completed')) throw new Error('wrong result');
        } else if (scenario === 'elicitation-sep1034-client-defaults') {
            await callIfListed('test_client_elicitation_defaults', {});
        } else if (scenario.startsWith('auth/')) {
            if (names.includes('test-tool')) await callIfListed('test-tool', {});
        }
    } finally {
        await client.close();
    }
    log('done');
}

main().then(
    () => process.exit(0),
    e => {
        log('FAILED:', e?.stack ?? e);
        process.exit(1);
    },
);
