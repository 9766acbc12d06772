/**
 * A small MCP server for the tests (stdio): `echo` answers, `hang` never does, `crash` exits the
 * process mid-call, `fail` reports a tool error. With FIXTURE_HANG_ON_START=1 it never answers
 * `initialize` at all.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

if (process.env.FIXTURE_HANG_ON_START === '1') {
  process.stdin.resume();
} else {
  const server = new McpServer({ name: 'amk-fixture', version: '1.0.0' });
  server.registerTool('echo', { description: 'Echoes the text back.', inputSchema: { text: z.string() } }, ({ text }) => ({
    content: [{ type: 'text', text: `echo: ${text}` }],
  }));
  server.registerTool('hang', { description: 'Never answers.', inputSchema: {} }, () => new Promise<never>(() => {}));
  server.registerTool('crash', { description: 'Exits the server process.', inputSchema: {} }, () => {
    process.stderr.write('fixture: crashing on purpose\n');
    process.exit(3);
  });
  server.registerTool('fail', { description: 'Reports a tool error.', inputSchema: {} }, () => ({
    isError: true,
    content: [{ type: 'text', text: 'the fixture failed on purpose' }],
  }));
  // A name no grant can express: the kernel leaves it out and says why.
  server.registerTool('bad/name', { description: 'Unreachable.', inputSchema: {} }, () => ({ content: [] }));
  await server.connect(new StdioServerTransport());
}
