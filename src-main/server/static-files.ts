import { readFile, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** The renderer may talk only to its own origin, and loads nothing remote. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws://127.0.0.1:* ws://localhost:*; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/**
 * Serves the built renderer at `path` (already decoded and checked by the front door, see
 * parseTarget); anything outside its folder is a 404, whatever the path says.
 */
export async function serveStatic(root: string, path: string, response: ServerResponse): Promise<void> {
  const relative = path === '/' ? 'index.html' : path.slice(1);
  const file = normalize(join(root, relative));
  const headers = {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  };
  if (!file.startsWith(root + sep) && file !== root) {
    response.writeHead(404, headers).end('not found');
    return;
  }
  try {
    const facts = await stat(file);
    if (!facts.isFile()) throw new Error('not a file');
    const body = await readFile(file);
    response.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
  } catch {
    if (relative === 'index.html') {
      response
        .writeHead(503, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' })
        .end('The renderer is not built: run `npm run build`. The kernel API is up at /api.');
      return;
    }
    response.writeHead(404, headers).end('not found');
  }
}
