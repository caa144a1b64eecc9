/**
 * The console's static files, served by Outpost itself (no CDN: the console
 * works with no Internet at run time): its own stylesheet and script, and the
 * chart library from node_modules. Only the files named in ASSETS can be
 * asked for; a request names an entry of the table, never a path, so nothing
 * else on the disk can be reached. Each is read once, at start.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** URL name → the file it serves and its type. */
const ASSETS: Readonly<Record<string, { file: string; type: string }>> = {
  'console.css': { file: path.join(here, 'static', 'console.css'), type: 'text/css; charset=utf-8' },
  'console.js': { file: path.join(here, 'static', 'console.js'), type: 'text/javascript; charset=utf-8' },
  'uPlot.esm.js': { file: require.resolve('uplot/dist/uPlot.esm.js'), type: 'text/javascript; charset=utf-8' },
  'uPlot.min.css': { file: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

export interface Asset {
  body: Buffer;
  type: string;
  /** Strong ETag from the content, for conditional requests. */
  etag: string;
}

/** Every asset, read now, by its URL name. */
export function loadAssets(): ReadonlyMap<string, Asset> {
  return new Map(
    Object.entries(ASSETS).map(([name, { file, type }]) => {
      const body = readFileSync(file);
      return [name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` }];
    }),
  );
}
