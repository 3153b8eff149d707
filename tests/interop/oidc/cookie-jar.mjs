// The cookie jar of the browser stand-ins (browser.mjs, device-user.mjs): oidc-provider binds its
// interaction, resume and device-form steps to the cookies it sets along the way.

/** A minimal RFC 6265 cookie jar for one host family (every URL here is http://127.0.0.1:*). */
export class CookieJar {
    #cookies = []; // { host, name, value, path, expires }

    static #defaultPath(pathname) {
        const slash = pathname.lastIndexOf('/');
        return slash <= 0 ? '/' : pathname.slice(0, slash);
    }

    static #pathMatches(requestPath, cookiePath) {
        if (requestPath === cookiePath) return true;
        if (!requestPath.startsWith(cookiePath)) return false;
        return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
    }

    store(url, setCookieHeaders) {
        const { hostname, pathname } = new URL(url);
        for (const header of setCookieHeaders) {
            const [pair, ...attributes] = header.split(';');
            const eq = pair.indexOf('=');
            if (eq <= 0) continue;
            const name = pair.slice(0, eq).trim();
            const value = pair.slice(eq + 1).trim();
            let path = CookieJar.#defaultPath(pathname);
            let expires = Infinity;
            for (const attribute of attributes) {
                const [k, ...rest] = attribute.split('=');
                const key = k.trim().toLowerCase();
                const v = rest.join('=').trim();
                if (key === 'path' && v.startsWith('/')) path = v;
                else if (key === 'max-age' && /^-?\d+$/.test(v)) expires = Date.now() + Number(v) * 1000;
                else if (key === 'expires' && expires === Infinity && !Number.isNaN(Date.parse(v))) expires = Date.parse(v);
            }
            this.#cookies = this.#cookies.filter(c => !(c.host === hostname && c.name === name && c.path === path));
            if (expires > Date.now()) this.#cookies.push({ host: hostname, name, value, path, expires });
        }
    }

    header(url) {
        const { hostname, pathname } = new URL(url);
        const now = Date.now();
        this.#cookies = this.#cookies.filter(c => c.expires > now);
        const matching = this.#cookies
            .filter(c => c.host === hostname && CookieJar.#pathMatches(pathname, c.path))
            .sort((a, b) => b.path.length - a.path.length);
        return matching.map(c => `${c.name}=${c.value}`).join('; ');
    }

    names(url) {
        const { hostname, pathname } = new URL(url);
        return this.#cookies.filter(c => c.host === hostname && CookieJar.#pathMatches(pathname, c.path)).map(c => c.name);
    }
}
