// Deterministic payloads shared by sdk-server.mjs and the tests. They mix 1-, 2-, 3- and 4-byte
// UTF-8 sequences so that a proxy splitting or re-joining the stream at a byte boundary that is not
// a character boundary corrupts the text visibly.

const PIECES = ['abcdefghij', 'é', 'ü', 'ß', '日本', '€', '😀', ' \\"quoted\\" ', '\t', '\u2028', '0123456789'];

/** A string of exactly `bytes` UTF-8 bytes (padded with ASCII), identical for the same (bytes, seed). */
export function makePayload(bytes, seed = 1) {
    const parts = [];
    let size = 0;
    let x = seed >>> 0 || 1;
    for (;;) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        const piece = PIECES[(x >>> 16) % PIECES.length];
        const pieceBytes = Buffer.byteLength(piece, 'utf8');
        if (size + pieceBytes > bytes) break;
        parts.push(piece);
        size += pieceBytes;
    }
    parts.push('x'.repeat(bytes - size));
    return parts.join('');
}
