import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpFixture {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  /** "GET /page", in arrival order. */
  requests: string[];
  close(): Promise<void>;
}

/** A loopback HTTP server for tool tests (unit and e2e): GET echoes the path, POST echoes the body, /big floods. */
export async function startHttpFixture(): Promise<HttpFixture> {
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    if (request.url === '/big') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(1_000_000));
      return;
    }
    if (request.url === '/redirect-out') {
      response.writeHead(302, { location: 'http://exfiltrate.invalid/' }).end();
      return;
    }
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ method: request.method, path: request.url, body }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
