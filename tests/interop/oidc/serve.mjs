#!/usr/bin/env node
// Starts the oidc-provider and the protected MCP server of this directory for manual runs:
//
//   node oidc/serve.mjs [--access-token-ttl SECONDS]
//
// Prints the MCP URL, the issuer and the pre-registered client_credentials client IDs on stdout
// (first line: the MCP URL), logs provider events and token verification on stderr, runs until
// SIGINT/SIGTERM. The client secrets are written only to the file named by $OIDC_SECRETS_FILE
// (mode 0600), if set. Then, e.g.:
//
//   BROWSER=oidc/browser.mjs LOG_LEVEL=debug mcp-oauth2-proxy <MCP URL>

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { startMcpServer } from './mcp-server.mjs';
import { startProvider } from './provider.mjs';

const { values: opts } = parseArgs({ options: { 'access-token-ttl': { type: 'string', default: '300' } } });
const log = line => process.stderr.write(`${line}\n`);

const mcp = await startMcpServer({ log: line => log(`[mcp-server] ${line}`) });
const provider = await startProvider({
    resource: mcp.url,
    accessTokenTTL: Number(opts['access-token-ttl']),
    log: line => log(`[oidc-provider] ${line}`),
});
await mcp.setAuthorizationServer(provider.issuer);

process.stdout.write(`${mcp.url}\n`);
process.stdout.write(`issuer ${provider.issuer}\n`);
for (const [method, client] of Object.entries(provider.serviceClients)) {
    process.stdout.write(`client_credentials client (client_secret_${method}): ${client.clientId}\n`);
}
if (process.env.OIDC_SECRETS_FILE) {
    writeFileSync(process.env.OIDC_SECRETS_FILE, `${JSON.stringify(provider.serviceClients, null, 2)}\n`, { mode: 0o600 });
}

const shutdown = async () => {
    await mcp.close();
    await provider.close();
    process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
