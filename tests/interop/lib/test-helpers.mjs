// Small helpers shared by the node:test suites that drive the proxy (oidc, chromium).
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

export function withTimeout(promise, ms, what) {
    let timer;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A file's text for a failure report, or why there is none. */
export async function readText(file) {
    try {
        return await readFile(file, 'utf8');
    } catch (e) {
        return `(no ${path.basename(file)}: ${e.code ?? e.message})`;
    }
}

/** Every credential the provider issued, and the values of state, code and PKCE parameters. */
export const redact = (text, secrets) => {
    let out = text;
    for (const s of secrets) if (s && s.length >= 8) out = out.split(s).join('«redacted credential»');
    return out.replace(/([?&](?:state|code|code_challenge|code_verifier)=)[^&\s]+/g, '$1«redacted»');
};
