// A real, OpenID-certified authorization server for the interop tests: `oidc-provider` (pinned in
// ../package.json) on http://127.0.0.1:<ephemeral>, configured the way an MCP deployment would:
//
//  - RFC 8707 resource indicators: the only resource is the MCP server's URL (also the default);
//    its access tokens are JWTs (typ at+jwt, RS256) with aud = that URL and scope "mcp:tools";
//    a refresh or code exchange without `resource` gets the granted one (useGrantedResource).
//  - authorization_code with PKCE S256 required for every client. Refresh tokens (rotated for
//    public clients): with refreshTokens 'always' (default) for every client allowed the
//    refresh_token grant; with 'oidc-default' oidc-provider's own policy: only with the
//    offline_access scope, which it drops from an authorization request without prompt=consent
//    (OpenID Connect Core section 11).
//  - open dynamic client registration (RFC 7591, no initial access token); http loopback redirect
//    URIs are accepted for `application_type: native` clients.
//  - client_credentials, with pre-registered confidential clients (client_secret_basic and
//    client_secret_post).
//  - interactions 'automatic' (default): no devInteractions; GET /interaction/:uid is answered by
//    `autoInteraction` below, which logs in TEST_ACCOUNT and grants exactly what is missing,
//    without a human. A browser stand-in that follows redirects and keeps cookies (./browser.mjs)
//    completes the login.
//    interactions 'pages': oidc-provider's own devInteractions pages instead, for a real browser
//    (../chromium.test.mjs): GET /interaction/:uid renders the login form (any login and
//    password; the login becomes the account ID) or the consent form ("Continue"), POST
//    /interaction/:uid submits it, and GET /interaction/:uid/abort (the "[ Cancel ]" link on both)
//    ends the request with access_denied ("End-User aborted interaction").
//
//  - deviceFlow (option): the RFC 8628 device authorization grant (device_authorization_endpoint
//    /device/auth, the device pages at /device; no `interval` in its answers, so clients poll every
//    5 s). `slowDowns` answers that many device_code token requests with slow_down (RFC 8628
//    section 3.5), as a rate-limiting gateway in front of the provider would: oidc-provider itself
//    never sends it. `ttl` is the device code's lifetime (expires_in). Every device_code poll is
//    recorded (counts.devicePolls: { at, answer }). The user's side is ./device-user.mjs.
//
// Both well-known documents are served: /.well-known/oauth-authorization-server and
// /.well-known/openid-configuration (code_challenge_methods_supported: ["S256"]).
//
// startProvider() runs it in the calling process, so that a test can count what happened through
// the provider's events (`counts`) and learn every credential it issued (`secrets`, never printed:
// only used to check that no log shows one).

import { randomBytes } from 'node:crypto';
import http from 'node:http';

import { exportJWK, generateKeyPair } from 'jose';
import Provider, { errors } from 'oidc-provider';
// the provider's own in-memory store, one per instance (the default one warns on every start)
import { createMemoryAdapter } from 'oidc-provider/lib/adapters/memory_adapter.js';

export const TEST_ACCOUNT = 'interop-user';
export const MCP_SCOPE = 'mcp:tools';

/** Listens on 127.0.0.1:0 with a handler installed later; resolves with the server and port. */
async function listenLoopback(handler) {
    const server = http.createServer((req, res) => handler.current(req, res));
    await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
    });
    return { server, port: server.address().port };
}

/**
 * @param {object} options
 * @param {string} options.resource            the MCP server URL: the only resource indicator
 * @param {number} [options.accessTokenTTL=300] seconds
 * @param {'always' | 'oidc-default'} [options.refreshTokens='always']
 * @param {'automatic' | 'pages'} [options.interactions='automatic'] who answers /interaction/:uid
 * @param {{ ttl?: number, slowDowns?: number }} [options.deviceFlow] enables the device grant
 * @param {(line: string) => void} [options.log]
 */
export async function startProvider({
    resource,
    accessTokenTTL = 300,
    refreshTokens = 'always',
    interactions = 'automatic',
    deviceFlow,
    log = () => {},
}) {
    if (interactions !== 'automatic' && interactions !== 'pages') throw new Error(`unknown interactions ${interactions}`);
    const pages = interactions === 'pages';
    const handler = { current: (_req, res) => res.writeHead(503).end() };
    const { server, port } = await listenLoopback(handler);
    const issuer = `http://127.0.0.1:${port}`;

    const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    const kid = `interop-${randomBytes(4).toString('hex')}`;
    const signingKey = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };

    // Pre-registered confidential clients for client_credentials (the secrets stay in memory).
    const serviceClients = {
        basic: { clientId: 'interop-service-basic', clientSecret: randomBytes(24).toString('base64url') },
        post: { clientId: 'interop-service-post', clientSecret: randomBytes(24).toString('base64url') },
    };

    const registeredClients = []; // { clientId, applicationType, authMethod, redirectUris, grantTypes, scope }
    const counts = {
        registrations: 0,
        interactions: { login: 0, consent: 0 },
        authorizations: 0, // authorization.success: a code was issued
        grants: {}, // grant.success by grant_type
        grantRequests: [], // each grant.success: { type, resource (the request's), clientAuth, refreshToken }
        accessTokensIssued: 0,
        errors: 0,
        deviceAuthorizations: 0,
        devicePolls: [], // { at (ms since the epoch), answer: tokens | the error }
    };
    const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
    let slowDownsLeft = deviceFlow?.slowDowns ?? 0;
    // Every credential the provider hands out; only ever compared, never printed.
    const secrets = new Set([serviceClients.basic.clientSecret, serviceClients.post.clientSecret]);
    const events = []; // one line each, without any credential, for failure reports
    const note = line => {
        events.push(line);
        log(line);
    };

    const provider = new Provider(issuer, {
        adapter: createMemoryAdapter(),
        responseTypes: ['code'],
        clients: [
            {
                client_id: serviceClients.basic.clientId,
                client_secret: serviceClients.basic.clientSecret,
                grant_types: ['client_credentials'],
                response_types: [],
                redirect_uris: [],
                token_endpoint_auth_method: 'client_secret_basic',
                scope: MCP_SCOPE,
            },
            {
                client_id: serviceClients.post.clientId,
                client_secret: serviceClients.post.clientSecret,
                grant_types: ['client_credentials'],
                response_types: [],
                redirect_uris: [],
                token_endpoint_auth_method: 'client_secret_post',
                scope: MCP_SCOPE,
            },
        ],
        jwks: { keys: [signingKey] },
        cookies: { keys: [randomBytes(32).toString('base64url')] },
        scopes: ['openid', 'offline_access', MCP_SCOPE],
        claims: { openid: ['sub'] },
        findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
        pkce: { required: () => true },
        // 'always': whenever the client may use them (the default wants offline_access)
        ...(refreshTokens === 'always' ? { issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token') } : {}),
        // devInteractions sets its own URL (the same path) and warns if another one is configured
        ...(pages ? {} : { interactions: { url: async (_ctx, interaction) => `/interaction/${interaction.uid}` } }),
        features: {
            devInteractions: { enabled: pages },
            clientCredentials: { enabled: true },
            deviceFlow: {
                enabled: Boolean(deviceFlow),
                // the default pages warn that they should be customised; these carry the same forms
                userCodeInputSource: async (ctx, form) => {
                    ctx.body = `<!DOCTYPE html><title>Device login</title>${form}`;
                },
                userCodeConfirmSource: async (ctx, form) => {
                    ctx.body = `<!DOCTYPE html><title>Confirm the device login</title>${form}`;
                },
                successSource: async ctx => {
                    ctx.body = '<!DOCTYPE html><title>Device login</title><p>Signed in. You may close this page.</p>';
                },
            },
            registration: { enabled: true }, // open DCR
            revocation: { enabled: true },
            resourceIndicators: {
                enabled: true,
                defaultResource: async () => resource,
                useGrantedResource: async () => true,
                getResourceServerInfo: async (_ctx, indicator) => {
                    if (indicator !== resource) throw new errors.InvalidTarget(`unknown resource ${indicator}`);
                    return {
                        scope: MCP_SCOPE,
                        audience: resource,
                        accessTokenTTL,
                        accessTokenFormat: 'jwt',
                        jwt: { sign: { alg: 'RS256' } },
                    };
                },
            },
        },
        ttl: {
            AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? accessTokenTTL,
            ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? accessTokenTTL,
            AuthorizationCode: 60,
            DeviceCode: deviceFlow?.ttl ?? 600,
            IdToken: 3600,
            Interaction: 600,
            Session: 3600,
            Grant: 3600,
            RefreshToken: 3600,
        },
    });
    provider.proxy = false;

    provider.on('registration_create.success', (ctx, client) => {
        ++counts.registrations;
        registeredClients.push({
            clientId: client.clientId,
            applicationType: client.applicationType,
            authMethod: client.clientAuthMethod,
            redirectUris: [...client.redirectUris],
            grantTypes: [...client.grantTypes],
            scope: client.scope,
        });
        for (const k of ['client_secret', 'registration_access_token']) if (ctx.body?.[k]) secrets.add(ctx.body[k]);
        note(
            `registration_create.success application_type=${client.applicationType} ` +
                `auth=${client.clientAuthMethod} grant_types=${client.grantTypes.join(',')} ` +
                `redirect_uris=${client.redirectUris.join(',')} scope=${client.scope ?? '-'}`,
        );
    });
    provider.on('interaction.started', (_ctx, prompt) => {
        if (prompt.name in counts.interactions) ++counts.interactions[prompt.name];
        note(`interaction.started ${prompt.name} (${prompt.reasons.join(',')})`);
    });
    provider.on('authorization.success', (ctx, out) => {
        ++counts.authorizations;
        if (out?.code) secrets.add(out.code);
        const p = ctx.oidc.params;
        note(
            `authorization.success scope=${p.scope ?? '-'} resource=${p.resource ?? '-'} ` +
                `code_challenge_method=${p.code_challenge_method ?? '-'} redirect_uri=${p.redirect_uri}`,
        );
    });
    provider.on('grant.success', ctx => {
        const type = ctx.oidc.params.grant_type;
        counts.grants[type] = (counts.grants[type] ?? 0) + 1;
        for (const k of ['access_token', 'refresh_token', 'id_token']) if (ctx.body?.[k]) secrets.add(ctx.body[k]);
        if (ctx.body?.access_token) ++counts.accessTokensIssued;
        counts.grantRequests.push({
            type,
            resource: ctx.oidc.params.resource,
            clientAuth: ctx.oidc.client?.clientAuthMethod,
            refreshToken: Boolean(ctx.body?.refresh_token),
        });
        note(
            `grant.success ${type} client_auth=${ctx.oidc.client?.clientAuthMethod} ` +
                `resource=${ctx.oidc.params.resource ?? '-'} scope=${ctx.body?.scope ?? '-'} ` +
                `expires_in=${ctx.body?.expires_in} refresh_token=${ctx.body?.refresh_token ? 'yes' : 'no'}`,
        );
    });
    provider.on('device_authorization.success', (_ctx, body) => {
        ++counts.deviceAuthorizations;
        secrets.add(body.device_code);
        note(`device_authorization.success expires_in=${body.expires_in}`);
    });
    provider.on('grant.success', ctx => {
        if (ctx.oidc.params.grant_type === DEVICE_GRANT) counts.devicePolls.push({ at: Date.now(), answer: 'tokens' });
    });
    const onError = name => (ctx, err) => {
        if (name === 'grant.error' && ctx?.oidc?.params?.grant_type === DEVICE_GRANT) {
            // RFC 8628 section 3.5: the answers of a poll, not failures
            counts.devicePolls.push({ at: Date.now(), answer: err.error });
            if (['authorization_pending', 'expired_token', 'access_denied'].includes(err.error)) {
                note(`device poll: ${err.error}`);
                return;
            }
        }
        ++counts.errors;
        note(`${name} ${ctx?.method ?? ''} ${ctx?.path ?? ''}: ${err.error ?? err.name}: ${err.error_description ?? err.message}`);
    };
    for (const name of [
        'server_error',
        'authorization.error',
        'grant.error',
        'registration_create.error',
        'discovery.error',
        'jwks.error',
        'revocation.error',
    ]) {
        provider.on(name, onError(name));
    }

    /** GET /interaction/:uid without a human: log in TEST_ACCOUNT, then consent to what is missing. */
    async function autoInteraction(req, res) {
        let details;
        try {
            details = await provider.interactionDetails(req, res);
        } catch (e) {
            note(`interaction failed: ${e.name}: ${e.error_description ?? e.message}`);
            res.writeHead(400, { 'Content-Type': 'text/plain' }).end(`interaction failed: ${e.message}\n`);
            return;
        }
        const { prompt, params, session } = details;
        if (prompt.name === 'login') {
            await provider.interactionFinished(req, res, { login: { accountId: TEST_ACCOUNT } }, { mergeWithLastSubmission: false });
            return;
        }
        if (prompt.name === 'consent') {
            const grant = details.grantId
                ? await provider.Grant.find(details.grantId)
                : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
            const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = prompt.details;
            if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
            if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
            for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) {
                grant.addResourceScope(indicator, scopes.join(' '));
            }
            note(
                `consent granted: oidc scope=${missingOIDCScope?.join(' ') ?? '-'} resource scopes=` +
                    `${JSON.stringify(missingResourceScopes ?? {})}`,
            );
            const grantId = await grant.save();
            await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
            return;
        }
        note(`interaction: unexpected prompt ${prompt.name}`);
        res.writeHead(400, { 'Content-Type': 'text/plain' }).end(`unexpected prompt ${prompt.name}\n`);
    }

    const callback = provider.callback();
    /** slow_down for the next device_code poll(s); the body, once read, goes on as req.body. */
    const slowDownGate = (req, res) => {
        const chunks = [];
        req.on('data', chunk => chunks.push(chunk));
        req.on('end', () => {
            const body = Buffer.concat(chunks).toString();
            const params = new URLSearchParams(body);
            if (params.get('grant_type') === DEVICE_GRANT && slowDownsLeft > 0) {
                --slowDownsLeft;
                counts.devicePolls.push({ at: Date.now(), answer: 'slow_down' });
                note('device poll: slow_down (gateway)');
                res.writeHead(400, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
                res.end(JSON.stringify({ error: 'slow_down', error_description: 'polling too fast' }));
                return;
            }
            // selective_body.js: an already-read request's body is taken from req.body
            req.body = Object.fromEntries(params);
            callback(req, res);
        });
    };
    handler.current = (req, res) => {
        const { pathname } = new URL(req.url, issuer);
        if (deviceFlow && req.method === 'POST' && pathname === '/token') {
            slowDownGate(req, res);
            return;
        }
        if (!pages && req.method === 'GET' && /^\/interaction\/[^/]+$/.test(pathname)) {
            autoInteraction(req, res).catch(e => {
                note(`interaction handler crashed: ${e.stack ?? e}`);
                if (!res.headersSent) res.writeHead(500).end();
                else res.end();
            });
            return;
        }
        callback(req, res);
    };

    return {
        issuer,
        provider,
        serviceClients,
        registeredClients,
        counts,
        secrets,
        events,
        async close() {
            server.closeAllConnections?.();
            await new Promise(resolve => server.close(resolve));
        },
    };
}
