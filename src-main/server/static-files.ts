import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
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

/** Serves the built renderer; anything outside its folder is a 404, whatever the path says. */
export async function serveStatic(root: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const relative = decodeURIComponent(url.pathname) === '/' ? 'index.html' : decodeURIComponent(url.pathname).slice(1);
  const path = normalize(join(root, relative));
  const headers = {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  };
  if (!path.startsWith(root + sep) && path !== root) {
    response.writeHead(404, headers).end('not found');
    return;
  }
  try {
    const facts = await stat(path);
    if (!facts.isFile()) throw new Error('not a file');
    const body = await readFile(path);
    response.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(body);
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
