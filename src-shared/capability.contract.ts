import { z } from 'zod';

/**
 * A capability is a string an agent manifest requests and the user grants:
 * `net:HOST[:PORT]` (`*.example.com` for subdomains, `net:[::1]:8080` for an IPv6 address), `fs:read:PATH`, `fs:write:PATH`,
 * `clock`, `env:KEY`, `mcp:SERVER/TOOL`, `memory:AGENT`, `ipc:AGENT`, `proc:read:PID|AGENT`,
 * `mcp-server:NAME`.
 */
export type ParsedCapability =
  | { kind: 'net'; host: string; port: number | null }
  | { kind: 'fs'; mode: 'read' | 'write'; path: string }
  | { kind: 'clock' }
  | { kind: 'env'; key: string }
  | { kind: 'mcp'; server: string; tool: string }
  /** Read another agent's paged-out memory. */
  | { kind: 'memory'; agent: string }
  /** Send messages to another agent's mailbox. */
  | { kind: 'ipc'; agent: string }
  /**
   * Read another process's results and transcript (MCP clients): one process by pid, or every
   * process of an agent. A need names both; a grant names one (all digits is a pid).
   */
  | { kind: 'proc'; pid: number | null; agent: string | null }
  /** Register an external MCP server: a native command run with the user's rights. Asked, never stored. */
  | { kind: 'mcp-server'; name: string };

const HOST = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;

/**
 * A host as the URL parser spells it (lower case, IPv4 in dotted decimal, IPv6 compressed, without
 * brackets), so that a grant and a URL naming the same address compare equal whatever their spelling.
 */
function canonicalHost(host: string): string | null {
  if (host.startsWith('*.')) return host.toLowerCase();
  try {
    return new URL(`http://${host}/`).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return null;
  }
}

/** The canonical text of a net capability: `net:HOST[:PORT]`, an IPv6 address in brackets. */
export function formatNetCapability(host: string, port: number | null): string {
  const name = host.includes(':') ? `[${host}]` : host;
  return port === null ? `net:${name}` : `net:${name}:${port}`;
}

export function parseCapability(text: string): ParsedCapability | string {
  if (text === 'clock') return { kind: 'clock' };
  const [head, ...rest] = text.split(':');
  const tail = rest.join(':');
  switch (head) {
    case 'net': {
      // An IPv6 address is written in brackets, as in a URL: net:[::1]:8080.
      const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(tail);
      if (!match || !(match[1]!.startsWith('[') || HOST.test(match[1]!))) return `"${text}" is not net:HOST[:PORT] (an IPv6 address in brackets: net:[::1]:8080)`;
      const port = match[2] === undefined ? null : Number(match[2]);
      if (port !== null && (port < 1 || port > 65535)) return `"${text}" has a port outside 1-65535`;
      const host = canonicalHost(match[1]!);
      return host === null ? `"${text}" does not name a valid host` : { kind: 'net', host, port };
    }
    case 'fs': {
      const match = /^(read|write):(.+)$/.exec(tail);
      if (!match) return `"${text}" is not fs:read:PATH or fs:write:PATH`;
      return { kind: 'fs', mode: match[1] as 'read' | 'write', path: match[2]! };
    }
    case 'env':
      return /^[A-Za-z_][A-Za-z0-9_]*$/.test(tail) ? { kind: 'env', key: tail } : `"${text}" is not env:KEY`;
    case 'memory':
      return /^[a-z0-9][a-z0-9-]{0,63}$/.test(tail) ? { kind: 'memory', agent: tail } : `"${text}" is not memory:AGENT-ID`;
    case 'ipc':
      return /^[a-z0-9][a-z0-9-]{0,63}$/.test(tail) ? { kind: 'ipc', agent: tail } : `"${text}" is not ipc:AGENT-ID`;
    case 'proc': {
      const match = /^read:(?:(\d{1,15})|([a-z0-9][a-z0-9-]{0,63}))$/.exec(tail);
      if (!match) return `"${text}" is not proc:read:PID or proc:read:AGENT-ID`;
      return match[1] !== undefined ? { kind: 'proc', pid: Number(match[1]), agent: null } : { kind: 'proc', pid: null, agent: match[2]! };
    }
    case 'mcp-server':
      return /^[a-z][a-z0-9-]{0,31}$/.test(tail) ? { kind: 'mcp-server', name: tail } : `"${text}" is not mcp-server:NAME`;
    case 'mcp': {
      const match = /^([\w.-]+)\/([\w.-]+)$/.exec(tail);
      return match ? { kind: 'mcp', server: match[1]!, tool: match[2]! } : `"${text}" is not mcp:SERVER/TOOL`;
    }
    default:
      return `"${text}" is not a known capability (net:, fs:read:, fs:write:, clock, env:, memory:, ipc:, proc:read:, mcp:, mcp-server:)`;
  }
}

export const Capability = z.string().superRefine((value, ctx) => {
  const parsed = parseCapability(value);
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
});
export type Capability = z.infer<typeof Capability>;
