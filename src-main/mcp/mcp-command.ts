import { resolve } from 'node:path';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { isInitializeRequest, type RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { KernelClient, McpServerConfigInput, McpServerStatus } from '../../src-shared/index.js';
import { ADMIN_IDENTITY, Kernel, KernelError, tokenIdentity, type ClientIdentity } from '../kernel/index.js';
import { connectionFilePath, connectKernel, readConnectionFile, serveKernel, type ServedKernel } from '../server/index.js';
import { defaultDataDir, resolveKernelConfig, type SettingsFlags } from '../settings.js';
import { EXIT, UsageError } from '../cli/cli-io.js';
import { installLastResort } from '../process-guard.js';
import { splitCommandLine } from './command-line.js';
import { createKernelMcpSession } from './kernel-mcp-session.js';


/** The kernel `amk mcp` booted itself (none when it relays): its journal is what the last-resort handler syncs. */
let kernelOfThisProcess: Kernel | null = null;

/** Resolves on the first of: stdin ends (the client went away), SIGINT, SIGTERM, or `also`. */
function untilDone(also?: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    process.stdin.once('end', () => resolve());
    process.stdin.once('close', () => resolve());
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    void also?.then(resolve);
  });
}

/** A kernel already serving (`amk serve`, another `amk mcp`): from --url/--token, AMK_URL/AMK_TOKEN, or its serve.json. */
async function runningKernel(flags: { url?: string; token?: string; dataDir?: string }): Promise<{ url: string; token: string } | null> {
  const url = flags.url ?? process.env.AMK_URL;
  const token = flags.token ?? process.env.AMK_TOKEN;
  const found = url && token ? { url, token } : readConnectionFile(flags.dataDir ?? defaultDataDir());
  if (!found) return null;
  try {
    (await connectKernel(found.url, found.token)).close();
    return { url: found.url, token: found.token };
  } catch (error) {
    if (url && token) throw error;
    return null; // a stale serve.json: nobody is serving
  }
}

/** The environment variable `amk mcp` reads an MCP client token from, unless `--token-env` names another. */
export const CLIENT_TOKEN_ENV = 'AMK_MCP_TOKEN';

/** The client token this `amk mcp` presents: from `--token-env VAR`, else AMK_MCP_TOKEN; null without one. */
function clientToken(tokenEnv: string | undefined): string | null {
  const name = tokenEnv ?? CLIENT_TOKEN_ENV;
  const value = process.env[name]?.trim();
  if (tokenEnv !== undefined && !value) throw new UsageError(`--token-env ${tokenEnv}: that environment variable is empty or unset`);
  return value || null;
}

/**
 * `amk mcp`: the kernel as an MCP server on stdin/stdout. With a kernel already serving this data
 * directory (`amk serve`), it relays to that kernel's `/mcp` endpoint, so the client shares its
 * processes, its approvers (the UI, `amk grants watch`) and its audit log. Otherwise it boots a kernel of its own
 * and serves its API on loopback too (serve.json), so `amk grants watch` can answer grant requests.
 *
 * Identity: with a client token (AMK_MCP_TOKEN, or `--token-env VAR`) the session is that token's
 * client (`mcp-client-NAME`, its grants). Without one it is the administrator's client
 * (`mcp-client-admin`): `amk mcp` runs as the user, who can read serve.json and its token anyway.
 */
export async function mcpStdio(flags: SettingsFlags & { url?: string; token?: string; tokenEnv?: string }): Promise<number> {
  // stdout carries the protocol: anything else this process prints goes to stderr.
  console.log = console.info = console.debug = (...args: unknown[]) => console.error(...args);
  // A relay or a kernel of its own: a bug that escapes the session's handling is logged, not a silent exit.
  installLastResort('amk mcp', () => kernelOfThisProcess?.flushJournal());
  const client = clientToken(flags.tokenEnv);
  const url = flags.url ?? process.env.AMK_URL;
  // A client token and an address are all a relay needs: the administrator's token is not.
  if (client && url) return relay(url, client);
  const running = await runningKernel(flags);
  return running ? relay(running.url, client ?? running.token) : serveInProcess(flags, client);
}

async function serveInProcess(flags: SettingsFlags, client: string | null): Promise<number> {
  const config = resolveKernelConfig(flags);
  const kernel = await Kernel.boot(config);
  kernelOfThisProcess = kernel;
  let identity: ClientIdentity = ADMIN_IDENTITY;
  if (client) {
    const token = kernel.access.tokens.verify(client);
    if (!token) {
      await kernel.dispose();
      throw new KernelError('UNAUTHORIZED', 'the MCP client token is unknown or revoked: make one with `amk mcp token NAME`');
    }
    identity = tokenIdentity(token);
  }
  let served: ServedKernel;
  try {
    served = await serveKernel({ name: 'amk mcp', kernel, port: 0 });
  } catch (error) {
    await kernel.dispose();
    throw error;
  }
  const { server } = served;
  const info = kernel.info();
  console.error(`amk mcp: kernel ${info.version} on stdio (${info.model ? info.model.name : `no model: ${info.modelError}`})`);
  console.error(`amk mcp: answer grant requests with \`amk grants watch --data-dir ${config.dataDir}\` or at ${server.url} (its token is in ${connectionFilePath(config.dataDir)})`);
  console.error(`amk mcp: this session runs as ${identity.agentId}`);
  const session = createKernelMcpSession(kernel, 'stdio', identity);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => (transport.onclose = resolve));
  try {
    await session.server.connect(transport);
    await untilDone(closed);
  } finally {
    await session.close().catch(() => {});
    await served.close();
    await kernel.dispose();
  }
  return EXIT.ok;
}

/** Relays JSON-RPC messages between this process's stdio and the running kernel's Streamable HTTP endpoint. */
async function relay(url: string, token: string): Promise<number> {
  const upstream = new StreamableHTTPClientTransport(new URL('/mcp', url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
  const downstream = new StdioServerTransport();
  let initialize: RequestId | null = null;
  downstream.onmessage = (message) => {
    if ('id' in message && message.id !== undefined && isInitializeRequest(message)) initialize = message.id;
    upstream.send(message).catch((error: Error) => {
      if ('id' in message && 'method' in message) {
        void downstream.send({ jsonrpc: '2.0', id: message.id, error: { code: -32603, message: `amk mcp: the kernel at ${url} did not take the request: ${error.message}` } });
      }
    });
  };
  upstream.onmessage = (message) => {
    if (initialize !== null && 'id' in message && message.id === initialize && 'result' in message) {
      upstream.setProtocolVersion(String(message.result.protocolVersion));
    }
    void downstream.send(message);
  };
  upstream.onerror = (error) => console.error(`amk mcp: ${error.message}`);
  const closed = new Promise<void>((resolve) => (upstream.onclose = resolve));
  console.error(`amk mcp: relaying stdio to the kernel at ${url}/mcp`);
  await upstream.start();
  await downstream.start();
  await untilDone(closed);
  await upstream.terminateSession().catch(() => {});
  await upstream.close();
  await downstream.close();
  return EXIT.ok;
}

function row(cells: string[], widths: number[]): string {
  return cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
}

/** How a server runs, in words: a native one is never inside the Wasm sandbox. */
export function describeRunning(status: McpServerStatus): string {
  if (status.transport.kind === 'http') return 'a remote endpoint: tool arguments are sent to it';
  if (status.sandbox === 'none') return `runs outside the sandbox, with your rights; NOT confined: ${status.sandboxWarning ?? 'no OS sandbox'}`;
  const folders = status.transport.folders.length > 0 ? `, read-write: ${status.transport.folders.join(', ')}` : '';
  return `runs outside the sandbox, with your rights; confined by bubblewrap: no home, ${status.network ? 'network allowed' : 'no network'}${folders}`;
}

function printStatus(status: McpServerStatus): void {
  const where = status.transport.kind === 'stdio' ? [status.transport.command, ...status.transport.args].join(' ') : status.transport.url;
  console.log(`${status.name} ${status.health}: ${where}`);
  console.log(`  ${describeRunning(status)}`);
  if (status.error) console.log(`  error: ${status.error}`);
  for (const tool of status.tools) console.log(`  ${tool.name}  (grant: mcp:${status.name}/${tool.serverTool})`);
  for (const reason of status.skipped) console.log(`  skipped: ${reason}`);
}

/** `amk mcp-servers list | add NAME --command "..." [--allow-network] [--allow-folder DIR] | --url URL [--env K=V ...] [--timeout MS] | remove NAME` */
export async function mcpServers(
  client: KernelClient,
  [action, name]: string[],
  flags: { command?: string; url?: string; env?: string[]; allowNetwork?: boolean; allowFolder?: string[]; timeout?: string; yes?: boolean; json?: boolean },
): Promise<number> {
  switch (action) {
    case 'list':
    case undefined: {
      const servers = await client.call('mcp.servers.list', {});
      if (flags.json) console.log(JSON.stringify(servers, null, 2));
      else {
        const confinement = (s: McpServerStatus): string => (s.transport.kind === 'http' ? 'remote' : s.sandbox === 'bubblewrap' ? `bubblewrap${s.network ? '+net' : ''}` : 'NONE');
        const rows = [
          ['NAME', 'HEALTH', 'SANDBOX', 'TOOLS', 'RESTARTS', 'ERROR'],
          ...servers.map((s) => [s.name, s.health, confinement(s), String(s.tools.length), String(s.restarts), s.error ?? '']),
        ];
        const widths = rows[0]!.map((_, column) => Math.max(...rows.map((r) => r[column]!.length)));
        console.log(rows.map((r) => row(r, widths)).join('\n'));
        // Native servers run with the user's rights; say so, and say when nothing confines them.
        if (servers.some((s) => s.transport.kind === 'stdio')) console.log('\nNative (--command) servers run outside the Wasm sandbox, with your rights.');
        const warning = servers.find((s) => s.sandboxWarning)?.sandboxWarning;
        if (warning) console.log(`warning: ${warning}`);
      }
      return EXIT.ok;
    }
    case 'add': {
      if (!name || (flags.command === undefined) === (flags.url === undefined)) {
        throw new UsageError('usage: amk mcp-servers add NAME --command "CMD ARG..." [--env KEY=VALUE ...] [--allow-network] [--allow-folder DIR ...] | --url URL  [--timeout MS] [--yes]');
      }
      const env = Object.fromEntries(
        (flags.env ?? []).map((pair) => {
          const at = pair.indexOf('=');
          if (at < 1) throw new UsageError(`--env takes KEY=VALUE, got "${pair}"`);
          return [pair.slice(0, at), pair.slice(at + 1)];
        }),
      );
      let transport: McpServerConfigInput['transport'];
      if (flags.command !== undefined) {
        const [command, ...args] = splitCommandLine(flags.command);
        if (!command) throw new UsageError('--command is empty');
        const folders = (flags.allowFolder ?? []).map((folder) => resolve(folder));
        // The command line is read where it was typed: relative paths in it resolve here, and under
        // bubblewrap this folder is what the server sees (read-only), not the kernel's working folder.
        transport = { kind: 'stdio', command, args, env, cwd: process.cwd(), network: flags.allowNetwork ?? false, folders };
      } else if (flags.allowNetwork || flags.allowFolder) throw new UsageError('--allow-network and --allow-folder are for --command servers');
      else transport = { kind: 'http', url: flags.url! };
      const timeoutMs = flags.timeout === undefined ? undefined : Number(flags.timeout);
      if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || timeoutMs < 1)) throw new UsageError('--timeout takes milliseconds');
      // The server runs with the user's rights: the kernel asks the user (UI, `amk grants watch`) unless --yes says they typed this.
      if (!flags.yes) console.error(`amk: registering ${name} waits for your approval in the UI or \`amk grants watch\` (or pass --yes)`);
      const status = await client.call('mcp.servers.add', { name, transport, ...(timeoutMs === undefined ? {} : { timeoutMs }), ...(flags.yes ? { approved: true as const } : {}) });
      printStatus(status);
      return status.health === 'healthy' ? EXIT.ok : EXIT.failed;
    }
    case 'remove':
      if (!name) throw new UsageError('usage: amk mcp-servers remove NAME');
      await client.call('mcp.servers.remove', { name });
      return EXIT.ok;
    default:
      throw new UsageError(`unknown mcp-servers action "${action}" (list, add, remove)`);
  }
}
