import { z } from 'zod';

/**
 * A capability is a string an agent manifest requests and the user grants:
 * `net:HOST[:PORT]` (`*.example.com` for subdomains), `fs:read:PATH`, `fs:write:PATH`,
 * `clock`, `env:KEY`, `mcp:SERVER/TOOL`, `memory:AGENT`, `ipc:AGENT`.
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
  | { kind: 'ipc'; agent: string };

const HOST = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;

export function parseCapability(text: string): ParsedCapability | string {
  if (text === 'clock') return { kind: 'clock' };
  const [head, ...rest] = text.split(':');
  const tail = rest.join(':');
  switch (head) {
    case 'net': {
      const match = /^([^:]+)(?::(\d{1,5}))?$/.exec(tail);
      if (!match || !HOST.test(match[1]!)) return `"${text}" is not net:HOST[:PORT]`;
      const port = match[2] === undefined ? null : Number(match[2]);
      if (port !== null && (port < 1 || port > 65535)) return `"${text}" has a port outside 1-65535`;
      return { kind: 'net', host: match[1]!.toLowerCase(), port };
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
    case 'mcp': {
      const match = /^([\w.-]+)\/([\w.-]+)$/.exec(tail);
      return match ? { kind: 'mcp', server: match[1]!, tool: match[2]! } : `"${text}" is not mcp:SERVER/TOOL`;
    }
    default:
      return `"${text}" is not a known capability (net:, fs:read:, fs:write:, clock, env:, memory:, ipc:, mcp:)`;
  }
}

export const Capability = z.string().superRefine((value, ctx) => {
  const parsed = parseCapability(value);
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
});
export type Capability = z.infer<typeof Capability>;
