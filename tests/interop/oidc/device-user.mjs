// The user of an RFC 8628 device login, without a browser: opens the verification_uri_complete
// the proxy printed, submits oidc-provider's device forms (the user-code form it posts by itself,
// then the confirmation form: confirm=yes, or abort=yes to deny), and follows every redirect
// through the login and consent interaction (answered by provider.mjs without a human) to the
// success page, keeping cookies as a browser does.
//
//   await confirmDevice(verificationUriComplete, { deny: false, log });
//
// Resolves with the final status and the page's text; nothing is logged but origin + path and
// the names of form fields (never the xsrf token or the user code).

import { CookieJar } from './cookie-jar.mjs';

const MAX_HOPS = 20;
const TIMEOUT_MS = 15000;

/** The hidden fields and the action of the first form of an oidc-provider page. */
function formOf(html, base) {
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    if (!action) throw new Error(`no form on the page: ${html.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').slice(0, 200)}`);
    const fields = new URLSearchParams();
    for (const [, name, value] of html.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) {
        fields.append(name, value.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>'));
    }
    return { action: new URL(action.replace(/&amp;/g, '&'), base).toString(), fields };
}

export async function confirmDevice(url, { deny = false, log = () => {} } = {}) {
    const jar = new CookieJar();
    const describe = u => `${new URL(u).origin}${new URL(u).pathname}`;
    /** One request; then GETs along the redirects. Resolves with the last response's URL, status and body. */
    const visit = async (first, init) => {
        let target = first;
        let options = init;
        for (let hop = 0; hop < MAX_HOPS; ++hop) {
            const cookie = jar.header(target);
            const response = await fetch(target, {
                ...options,
                redirect: 'manual',
                headers: { ...(options?.headers ?? {}), ...(cookie ? { Cookie: cookie } : {}), Accept: 'text/html' },
                signal: AbortSignal.timeout(TIMEOUT_MS),
            });
            jar.store(target, response.headers.getSetCookie());
            const location = response.headers.get('location');
            log(`${options?.method ?? 'GET'} ${describe(target)} -> ${response.status}`);
            if (response.status >= 300 && response.status < 400 && location) {
                target = new URL(location, target).toString();
                options = undefined;
                continue;
            }
            return { url: target, status: response.status, body: await response.text() };
        }
        throw new Error(`more than ${MAX_HOPS} redirects`);
    };
    const post = (form, extra) => {
        const body = new URLSearchParams(form.fields);
        for (const [k, v] of Object.entries(extra ?? {})) body.set(k, v);
        log(`form fields: ${[...new Set(body.keys())].join(',')}`);
        return visit(form.action, {
            method: 'POST',
            headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
            body: body.toString(),
        });
    };

    // verification_uri_complete: a page that posts the user code with the form's xsrf token
    const entry = await visit(url);
    if (entry.status !== 200) throw new Error(`the verification page answered ${entry.status}`);
    const confirmation = await post(formOf(entry.body, entry.url));
    if (confirmation.status !== 200) throw new Error(`submitting the user code answered ${confirmation.status}`);
    // the confirmation form: confirm=yes, or abort
    const form = formOf(confirmation.body, confirmation.url);
    if (deny) {
        form.fields.delete('confirm');
        return post(form, { abort: 'yes' });
    }
    return post(form);
}
