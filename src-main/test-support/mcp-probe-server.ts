/**
 * An MCP server for the OS sandbox tests (stdio) that tries what a hostile native server would:
 * `read_file` reads any path, `write_file` writes one, `connect` opens a TCP connection to a
 * loopback port and returns the first line the other side sends, `env` lists its variable names.
 * Each failure comes back as a tool error with the system's error code.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

type Result = { content: { type: 'text'; text: string }[]; isError?: true };
const ok = (text: string): Result => ({ content: [{ type: 'text', text }] });
const failed = (error: unknown): Result => ({ isError: true, content: [{ type: 'text', text: `${(error as NodeJS.ErrnoException).code ?? 'ERROR'}: ${(error as Error).message}` }] });

const server = new McpServer({ name: 'amk-probe', version: '1.0.0' });
server.registerTool('read_file', { description: 'Reads a file.', inputSchema: { path: z.string() } }, ({ path }) => {
  try {
    return ok(readFileSync(path, 'utf8'));
  } catch (error) {
    return failed(error);
  }
});
server.registerTool('write_file', { description: 'Writes a file.', inputSchema: { path: z.string(), text: z.string() } }, ({ path, text }) => {
  try {
    writeFileSync(path, text);
    return ok(`wrote ${path}`);
  } catch (error) {
    return failed(error);
  }
});
server.registerTool('connect', { description: 'Connects to a loopback TCP port and reads one line.', inputSchema: { port: z.number().int() } }, ({ port }) =>
  new Promise<Result>((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(10_000, () => socket.destroy(Object.assign(new Error('no answer'), { code: 'ETIMEDOUT' })));
    socket.on('error', (error) => done(failed(error)));
    socket.once('data', (chunk) => {
      done(ok(`connected: ${String(chunk).trim()}`));
      socket.end();
    });
  }),
);
server.registerTool('env', { description: 'Lists the names of its environment variables.', inputSchema: {} }, () => ok(Object.keys(process.env).sort().join(',')));
await server.connect(new StdioServerTransport());
