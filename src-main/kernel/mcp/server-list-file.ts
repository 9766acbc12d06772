import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { McpServerConfig } from '../../../src-shared/index.js';
import { McpServerConfig as McpServerConfigSchema } from '../../../src-shared/index.js';

/**
 * `<data dir>/mcp-servers.json`: the external servers the user registered. Readable by the user
 * alone (it may hold API keys in environment variables or headers). A file that does not parse
 * registers nothing and is kept aside for the user to inspect.
 */
export class ServerListFile {
  readonly loadProblem: string | null = null;
  private readonly loaded: McpServerConfig[] = [];

  constructor(private readonly path: string) {
    if (!existsSync(path)) return;
    try {
      this.loaded = McpServerConfigSchema.array().parse(JSON.parse(readFileSync(path, 'utf8')));
    } catch (error) {
      const kept = `${path}.unreadable-${Date.now()}`;
      renameSync(path, kept);
      this.loadProblem = `MCP server list was unreadable (${(error as Error).message.slice(0, 300)}); kept as ${kept}, no servers registered`;
    }
  }

  read(): McpServerConfig[] {
    return this.loaded.map((config) => structuredClone(config));
  }

  write(configs: readonly McpServerConfig[]): void {
    const temporary = `${this.path}.tmp`;
    writeFileSync(temporary, JSON.stringify(configs, null, 2), { mode: 0o600 });
    renameSync(temporary, this.path);
  }
}
