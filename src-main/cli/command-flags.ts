import { UsageError } from './cli-io.js';

/** Where a remote command finds the kernel: serve.json in the data directory, or --url and --token. */
const REMOTE = ['data-dir', 'url', 'token'] as const;
/** The kernel's settings, for the commands that boot a kernel of their own. */
const SETTINGS = ['data-dir', 'model', 'gpu', 'threads', 'slots', 'context', 'quantum', 'kv', 'embedding-model', 'gpu-layers', 'swap'] as const;

/**
 * The flags each command takes (besides --help, which every command takes). parseArgs reads one
 * option table for all of them, so without this a flag meant for another command (`amk ps --task`)
 * would be accepted and silently ignored.
 */
const COMMAND_FLAGS: Record<string, readonly string[]> = {
  serve: [...SETTINGS, 'port', 'host', 'no-resume'],
  run: [...SETTINGS, 'task', 'grant', 'json'],
  ps: [...REMOTE, 'all', 'json'],
  top: [...REMOTE, 'interval', 'once'],
  reap: REMOTE,
  kill: REMOTE,
  suspend: REMOTE,
  resume: REMOTE,
  wait: REMOTE,
  renice: [...REMOTE, 'class'],
  spawn: [...REMOTE, 'task'],
  input: REMOTE,
  irq: [...REMOTE, 'every', 'cron', 'folder', 'route'],
  models: ['data-dir'],
  mcp: [...SETTINGS, 'url', 'token', 'token-env'],
  'mcp tokens': [...REMOTE, 'json'],
  // Here --url is the MCP server's address; the kernel is found through serve.json or AMK_URL / AMK_TOKEN.
  'mcp-servers': [...REMOTE, 'command', 'env', 'allow-network', 'allow-folder', 'timeout', 'yes', 'json'],
  tools: [...REMOTE, 'allow-unsigned', 'yes', 'json', 'key', 'publisher'],
  grants: [...REMOTE, 'scope', 'tool'],
  audit: [...REMOTE, 'pid', 'agent', 'denied', 'verify', 'json'],
  cores: [...REMOTE, 'kind', 'token-env', 'model', 'json'],
  gallery: REMOTE,
  info: REMOTE,
};

/** Refuses (exit 2) a flag the command does not take, naming both; an unknown command is left to the caller. */
export function checkCommandFlags(command: string, rest: readonly string[], given: readonly string[]): void {
  const name = command === 'mcp' && (rest[0] === 'token' || rest[0] === 'tokens') ? 'mcp tokens' : command;
  const allowed = COMMAND_FLAGS[name];
  if (!allowed) return;
  const refused = given.filter((flag) => flag !== 'help' && !allowed.includes(flag));
  if (refused.length === 0) return;
  const takes = allowed.length === 0 ? 'no flags' : allowed.map((flag) => `--${flag}`).join(' ');
  throw new UsageError(`amk ${name} does not take ${refused.map((flag) => `--${flag}`).join(', ')} (it takes ${takes})`);
}
