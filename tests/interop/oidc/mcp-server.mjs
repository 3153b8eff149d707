// An MCP server protected by the oidc-provider of ./provider.mjs, built from the official
// TypeScript SDK's own pieces: createMcpExpressApp (DNS-rebinding protection for 127.0.0.1),
// requireBearerAuth (401/403 with `WWW-Authenticate: Bearer ... resource_metadata="..."`),
// metadataHandler (RFC 9728 protected resource metadata), McpServer and
// StreamableHTTPServerTransport (stateful sessions).
//
// Access tokens are verified with `jose` against the provider's JWKS: signature (RS256),
// typ at+jwt, issuer, audience = this server's URL, expiry; then scope "mcp:tools" is required.
// Only /.well-known/oauth-protected-resource/mcp is served as metadata (no AS metadata mirror,
// so a client has to follow the PRM's authorization_servers to the provider).
//
// Tool `whoami` returns the verified token's claims (never the token): sub, client_id, scope,
// aud, iss, typ, alg, exp.
//
// startMcpServer() listens first (the provider needs the URL as its resource indicator), then
// setAuthorizationServer(issuer) arms it; until then every request gets 503.
//
// With { legacy: true } the same server speaks the HTTP with SSE transport of MCP 2024-11-05
// (SSEServerTransport): the URL is /sse (GET: the event stream, first event `endpoint`), messages
// go to POST /messages?sessionId=…; both are behind requireBearerAuth, and so is any other
// request to /sse (a Streamable HTTP POST gets 401 without a token, 405 with one).

import { randomUUID } from 'node:crypto';
import http from 'node:http';

import { createRemoteJWKSet, jwtVerify } from 'jose';

import { InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { metadataHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/metadata.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { getOAuthProtectedResourceMetadataUrl } from '@modelcontextprotocol/sdk/server/auth/router.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';

import { MCP_SCOPE } from './provider.mjs';

/** @param {{ log?: (line: string) => void, legacy?: boolean }} [options] */
export async function startMcpServer({ log = () => {}, legacy = false } = {}) {
    const handler = { current: (_req, res) => res.writeHead(503).end() };
    const server = http.createServer((req, res) => handler.current(req, res));
    await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
    });
    const url = `http://127.0.0.1:${server.address().port}${legacy ? '/sse' : '/mcp'}`;
    const prmUrl = getOAuthProtectedResourceMetadataUrl(new URL(url));

    const stats = {
        missingAuthorization: 0, // requests without an Authorization header (401)
        rejectedTokens: [], // why a presented token was refused (jose error codes), in order
        acceptedRequests: 0,
        tokens: [], // one entry per distinct access token seen: { jti, sub, client_id, exp }
        prmRequests: 0,
        sessionsCreated: 0,
        legacyStreams: 0, // GET /sse streams opened (legacy)
        legacyPosts: 0, // POST /messages accepted (legacy)
        refusedTransports: [], // "<method> <path>" of authorized requests no transport serves
    };
    const seenTokens = new Map(); // token -> entry in stats.tokens (the value never leaves here)
    const sessions = new Map(); // Mcp-Session-Id -> transport
    const legacySessions = new Map(); // sessionId -> SSEServerTransport

    function createServer() {
        const mcp = new McpServer({ name: 'interop-oidc-mcp-server', version: '1.0.0' });
        mcp.registerTool(
            'whoami',
            { description: 'Returns the claims of the verified access token (never the token itself)' },
            async extra => {
                const { claims, header } = extra.authInfo?.extra ?? {};
                const out = {
                    sub: claims?.sub,
                    client_id: claims?.client_id,
                    scope: claims?.scope,
                    aud: claims?.aud,
                    iss: claims?.iss,
                    exp: claims?.exp,
                    typ: header?.typ,
                    alg: header?.alg,
                };
                return { content: [{ type: 'text', text: JSON.stringify(out) }] };
            },
        );
        return mcp;
    }

    /**
     * Arms the server: metadata, token verification against the provider's JWKS, the MCP endpoint.
     * @param {string} issuer the oidc-provider issuer (its RFC 8414 metadata gives the jwks_uri)
     */
    async function setAuthorizationServer(issuer) {
        const res = await fetch(new URL('/.well-known/oauth-authorization-server', issuer));
        if (!res.ok) throw new Error(`AS metadata: HTTP ${res.status}`);
        const asMetadata = await res.json();
        const jwks = createRemoteJWKSet(new URL(asMetadata.jwks_uri));

        const verifier = {
            async verifyAccessToken(token) {
                let verified;
                try {
                    verified = await jwtVerify(token, jwks, {
                        issuer,
                        audience: url,
                        typ: 'at+jwt',
                        algorithms: ['RS256'],
                    });
                } catch (e) {
                    stats.rejectedTokens.push(e.code ?? e.name);
                    log(`token rejected: ${e.code ?? e.name}`);
                    throw new InvalidTokenError(`token rejected (${e.code ?? e.name})`);
                }
                const { payload, protectedHeader } = verified;
                if (!seenTokens.has(token)) {
                    const entry = { jti: payload.jti, sub: payload.sub, client_id: payload.client_id, exp: payload.exp };
                    seenTokens.set(token, entry);
                    stats.tokens.push(entry);
                    const { sub, client_id: clientId, scope, exp } = payload;
                    log(`new access token: sub=${sub} client_id=${clientId} scope=${scope} exp=${exp}`);
                }
                return {
                    token,
                    clientId: payload.client_id,
                    scopes: typeof payload.scope === 'string' ? payload.scope.split(' ') : [],
                    expiresAt: payload.exp,
                    resource: new URL(url),
                    extra: { claims: payload, header: protectedHeader },
                };
            },
        };

        const app = createMcpExpressApp({ host: '127.0.0.1' });
        const prmPath = new URL(prmUrl).pathname;
        app.use(prmPath, (req, _res, next) => {
            ++stats.prmRequests;
            next();
        });
        app.use(
            prmPath,
            metadataHandler({
                resource: url,
                authorization_servers: [issuer],
                scopes_supported: [MCP_SCOPE],
                bearer_methods_supported: ['header'],
                resource_name: 'interop oidc MCP server',
            }),
        );
        const auth = requireBearerAuth({
            verifier,
            requiredScopes: [MCP_SCOPE],
            resourceMetadataUrl: prmUrl,
            expectedResource: new URL(url),
        });
        const countMissing = (req, _res, next) => {
            if (!req.headers.authorization) ++stats.missingAuthorization;
            next();
        };
        if (legacy) {
            app.all('/sse', countMissing, auth, async (req, res) => {
                if (req.method !== 'GET') {
                    stats.refusedTransports.push(`${req.method} /sse`);
                    res.status(405).set('Allow', 'GET').end();
                    return;
                }
                ++stats.acceptedRequests;
                ++stats.legacyStreams;
                const transport = new SSEServerTransport('/messages', res);
                legacySessions.set(transport.sessionId, transport);
                res.on('close', () => legacySessions.delete(transport.sessionId));
                await createServer().connect(transport);
            });
            app.post('/messages', countMissing, auth, async (req, res) => {
                const transport = legacySessions.get(String(req.query.sessionId ?? ''));
                if (!transport) {
                    res.status(404).end('Session not found');
                    return;
                }
                ++stats.acceptedRequests;
                ++stats.legacyPosts;
                await transport.handlePostMessage(req, res, req.body);
            });
            handler.current = app;
            log(`armed (HTTP+SSE): issuer ${issuer}, protected resource metadata ${prmUrl}`);
            return;
        }
        app.all(
            '/mcp',
            (req, _res, next) => {
                if (!req.headers.authorization) ++stats.missingAuthorization;
                next();
            },
            auth,
            async (req, res) => {
                ++stats.acceptedRequests;
                const sessionId = req.headers['mcp-session-id'];
                let transport = sessionId ? sessions.get(sessionId) : undefined;
                if (!transport) {
                    if (sessionId) {
                        res.status(404).json({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
                        return;
                    }
                    if (req.method !== 'POST' || !isInitializeRequest(req.body)) {
                        const error = { code: -32000, message: 'Bad Request: no session' };
                        res.status(400).json({ jsonrpc: '2.0', error, id: null });
                        return;
                    }
                    transport = new StreamableHTTPServerTransport({
                        sessionIdGenerator: () => randomUUID(),
                        onsessioninitialized: id => {
                            sessions.set(id, transport);
                            ++stats.sessionsCreated;
                        },
                        onsessionclosed: id => {
                            sessions.delete(id);
                        },
                    });
                    await createServer().connect(transport);
                }
                await transport.handleRequest(req, res, req.body);
            },
        );
        handler.current = app;
        log(`armed: issuer ${issuer}, protected resource metadata ${prmUrl}`);
    }

    return {
        url,
        prmUrl,
        stats,
        setAuthorizationServer,
        async close() {
            for (const transport of sessions.values()) await transport.close().catch(() => {});
            sessions.clear();
            for (const transport of legacySessions.values()) await transport.close().catch(() => {});
            legacySessions.clear();
            server.closeAllConnections?.();
            await new Promise(resolve => server.close(resolve));
        },
    };
}
