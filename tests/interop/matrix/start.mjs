// Starts matrix/server.mjs for one era in a child process: resolves with the URL it prints, its
// stderr kept in `dir`, and a stop function. Shared by the era matrix and the tool-filter tests.

import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { withTimeout } from '../lib/test-helpers.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export async function startMatrixServer(era, dir) {
    const child = spawn(process.execPath, [path.join(HERE, 'server.mjs'), '--era', era], { stdio: ['ignore', 'pipe', 'pipe'] });
    const logFile = path.join(dir, `server-${era}.stderr`);
    child.stderr.pipe(createWriteStream(logFile));
    const url = await withTimeout(
        new Promise((resolve, reject) => {
            createInterface({ input: child.stdout }).once('line', resolve);
            child.once('exit', code => reject(new Error(`matrix/server.mjs --era ${era} exited with ${code}`)));
        }),
        30000,
        `matrix server ${era} start`,
    );
    return { url, logFile, stop: () => child.kill() };
}

/** The first text content of a tools/call result. */
export const textOf = result => result?.content?.find(c => c.type === 'text')?.text;
