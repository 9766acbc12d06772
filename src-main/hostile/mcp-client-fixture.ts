import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { KernelClient } from '../../src-shared/index.js';
import type { Kernel } from '../kernel/index.js';
import { connectKernel, startKernelServer, type KernelServer } from '../server/index.js';
import { bootTestKernel, tempDir } from '../test-support/fixtures.js';

/** What a test file runs after each test, newest first. */
export type Cleanups = (() => unknown)[];

export interface ServedWithModel {
  kernel: Kernel;
  server: KernelServer;
  /** The administrator's API client. */
  api: KernelClient;
  port: number;
  /** What the server logged (failed requests, cut-off clients). */
  logs: string[];
  dir: string;
}

/**
 * A real kernel with the test model behind a real `startKernelServer`, for the attacks of MCP
 * clients (which need agents to run); everything it opens is registered in `cleanups`.
 */
export async function serveWithModel(cleanups: Cleanups, dir = tempDir()): Promise<ServedWithModel> {
  const renderer = tempDir();
  cleanups.push(dir.dispose, renderer.dispose);
  const kernel = await bootTestKernel(dir.path);
  cleanups.push(() => kernel.dispose());
  const logs: string[] = [];
  const server = await startKernelServer({ kernel, port: 0, rendererDir: renderer.path, log: (line) => logs.push(line) });
  cleanups.push(() => server.close());
  const api = await connectKernel(server.url, server.token);
  cleanups.push(() => api.close());
  return { kernel, server, api, port: Number(new URL(server.url).port), logs, dir: dir.path };
}

/** An MCP client over Streamable HTTP with this bearer token, calling itself `claims`. */
export async function connectMcpClient(cleanups: Cleanups, server: KernelServer, token: string, claims: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', server.url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
  const client = new Client({ name: claims, version: '1.0.0' });
  cleanups.push(() => client.close());
  await client.connect(transport);
  return { client, transport };
}
