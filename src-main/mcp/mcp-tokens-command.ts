import type { KernelClient } from '../../src-shared/index.js';
import { EXIT, table, UsageError } from '../cli/cli-io.js';

function when(at: number | null): string {
  return at === null ? 'never' : new Date(at).toISOString().replace('T', ' ').slice(0, 19);
}

/**
 * `amk mcp token NAME` | `amk mcp tokens [list]` | `amk mcp tokens revoke NAME`: MCP clients' own
 * tokens, made and revoked through the running kernel (with the administrator's token of serve.json).
 * A new token is printed once, alone on the last line, so a script can take it with `tail -n 1`.
 */
export async function mcpTokens(client: KernelClient, [command, action, name]: string[], flags: { json?: boolean } = {}): Promise<number> {
  if (command === 'token') {
    if (!action || name !== undefined) throw new UsageError('usage: amk mcp token NAME');
    const { token, secret } = await client.call('mcp.tokens.create', { name: action });
    console.log(`MCP client token "${token.name}": its sessions run as ${token.agentId}, under that agent's grants; it is accepted on /mcp only.`);
    console.log('Give it to the client as the header `Authorization: Bearer <token>` on the kernel\'s /mcp endpoint, or as AMK_MCP_TOKEN for `amk mcp`.');
    console.log(`It is shown this once (the kernel keeps a keyed digest only); revoke it with \`amk mcp tokens revoke ${token.name}\`.`);
    console.log(secret);
    return EXIT.ok;
  }
  switch (action) {
    case undefined:
    case 'list': {
      const tokens = await client.call('mcp.tokens.list', {});
      if (flags.json) console.log(JSON.stringify(tokens, null, 2));
      else if (tokens.length === 0) console.log('no MCP client tokens: make one with `amk mcp token NAME`');
      else console.log(table([['NAME', 'AGENT', 'CREATED', 'LAST USED'], ...tokens.map((t) => [t.name, t.agentId, when(t.createdAt), when(t.lastUsedAt)])]));
      return EXIT.ok;
    }
    case 'revoke':
      if (!name) throw new UsageError('usage: amk mcp tokens revoke NAME');
      await client.call('mcp.tokens.revoke', { name });
      console.log(`revoked ${name}: its sessions ended, and it is refused from now on`);
      return EXIT.ok;
    default:
      throw new UsageError(`unknown mcp tokens action "${action}" (list, revoke NAME)`);
  }
}
