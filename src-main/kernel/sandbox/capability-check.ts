import { lstat, realpath } from 'node:fs/promises';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import type { CapabilityRequirement, ParsedCapability, RiskLevel } from '../../../src-shared/index.js';
import { formatNetCapability, parseCapability } from '../../../src-shared/index.js';
import { KernelError } from '../core/kernel-error.js';

/** A capability one call needs, resolved from its arguments. */
export interface NeededCapability {
  capability: string;
  parsed: ParsedCapability;
  summary: string;
  risk: RiskLevel;
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

export function netCapabilityForUrl(text: string): NeededCapability {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new KernelError('INVALID_TOOL_ARGS', `"${text.slice(0, 200)}" is not a URL`);
  }
  if (!(url.protocol in DEFAULT_PORTS)) throw new KernelError('INVALID_TOOL_ARGS', `only http and https URLs are allowed, not ${url.protocol}`);
  // The URL parser has already canonicalized the host (IPv4 dotted, IPv6 compressed, lower case).
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port === '' ? DEFAULT_PORTS[url.protocol]! : Number(url.port);
  const capability = formatNetCapability(host, port === DEFAULT_PORTS[url.protocol] ? null : port);
  const parsed = parseCapability(capability);
  if (typeof parsed === 'string') throw new KernelError('INVALID_TOOL_ARGS', parsed);
  if (parsed.kind !== 'net') throw new KernelError('INTERNAL', `${capability} did not parse as a net capability`);
  return { capability, parsed: { kind: 'net', host: parsed.host, port }, summary: `connect to ${host} on port ${port}`, risk: 'medium' };
}

/** Past these a path is refused before any file system call: resolving it costs time per component. */
export const MAX_PATH_BYTES = 4096;
export const MAX_PATH_COMPONENTS = 64;

/** An absolute path of bounded length and depth, `.` and `..` resolved as text; throws otherwise. */
export function checkPathShape(path: unknown): string {
  if (typeof path !== 'string' || path === '') throw new KernelError('INVALID_TOOL_ARGS', 'a path must be a non-empty string');
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) throw new KernelError('INVALID_TOOL_ARGS', `a path is limited to ${MAX_PATH_BYTES} bytes; this one has ${Buffer.byteLength(path)}`);
  if (path.includes('\0')) throw new KernelError('INVALID_TOOL_ARGS', 'a path cannot contain a NUL character');
  if (!isAbsolute(path)) throw new KernelError('INVALID_TOOL_ARGS', `paths must be absolute: "${path.slice(0, 200)}"`);
  const absolute = resolve(path);
  const components = absolute.split(sep).filter(Boolean).length;
  if (components > MAX_PATH_COMPONENTS) throw new KernelError('INVALID_TOOL_ARGS', `a path is limited to ${MAX_PATH_COMPONENTS} components; this one has ${components}`);
  return absolute;
}

/**
 * The real path a file operation would touch: symlinks resolved (so a link cannot lead out of a
 * granted folder) and `..` gone. A file that does not exist yet resolves through its folder; a
 * symlink whose target does not exist is refused, since creating the file would follow it anywhere.
 * This names what to ask a grant for; the host functions check again what they actually opened.
 */
export async function resolveRealPath(path: string): Promise<string> {
  const absolute = checkPathShape(path);
  try {
    return await realpath(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw new KernelError('INVALID_TOOL_ARGS', `${absolute} cannot be resolved (${code ?? (error as Error).message})`);
  }
  const facts = await lstat(absolute).catch(() => null);
  if (facts?.isSymbolicLink()) throw new KernelError('INVALID_TOOL_ARGS', `${absolute} is a dangling symbolic link (its target does not exist): refused, a write through it could land anywhere`);
  const parent = dirname(absolute);
  if (parent === absolute) return absolute;
  return join(await resolveRealPath(parent), basename(absolute));
}

/** Is this real path one of these roots or inside one? */
export function insideAny(path: string, roots: readonly string[]): boolean {
  return roots.some((root) => path === root || path.startsWith(root.endsWith(sep) ? root : root + sep));
}

export async function fsCapability(mode: 'read' | 'write', path: string): Promise<NeededCapability> {
  const real = await resolveRealPath(path);
  return {
    capability: `fs:${mode}:${real}`,
    parsed: { kind: 'fs', mode, path: real },
    summary: `${mode === 'read' ? 'read' : 'write'} ${real}`,
    risk: mode === 'write' ? 'high' : 'medium',
  };
}

/** What a call needs, from the tool's requirements and the call's arguments. */
export async function neededCapabilities(requires: readonly CapabilityRequirement[], args: Record<string, unknown>, agentId: string): Promise<NeededCapability[]> {
  const needed: NeededCapability[] = [];
  for (const requirement of requires) {
    if (requirement.kind === 'clock') {
      needed.push({ capability: 'clock', parsed: { kind: 'clock' }, summary: 'read the clock', risk: 'low' });
      continue;
    }
    if (requirement.kind === 'mcp') {
      // An external server runs outside the sandbox, with the user's rights: every tool of it is asked for by name.
      const { server, tool } = requirement;
      needed.push({ capability: `mcp:${server}/${tool}`, parsed: { kind: 'mcp', server, tool }, summary: `use the tool ${tool} of the MCP server ${server}`, risk: 'high' });
      continue;
    }
    const value = args[requirement.arg];
    if (requirement.kind === 'memory') {
      // An agent's own memory is its own; another agent's needs that agent's grant.
      if (value === undefined || value === agentId) continue;
      if (typeof value !== 'string') throw new KernelError('INVALID_TOOL_ARGS', `argument ${requirement.arg} must be an agent id`);
      needed.push({ capability: `memory:${value}`, parsed: { kind: 'memory', agent: value }, summary: `read the long-term memory of agent ${value}`, risk: 'medium' });
      continue;
    }
    if (requirement.kind === 'ipc') {
      if (typeof value !== 'string') throw new KernelError('INVALID_TOOL_ARGS', `argument ${requirement.arg} must be an agent id`);
      needed.push({ capability: `ipc:${value}`, parsed: { kind: 'ipc', agent: value }, summary: `send messages to agent ${value}`, risk: 'low' });
      continue;
    }
    if (typeof value !== 'string') throw new KernelError('INVALID_TOOL_ARGS', `argument ${requirement.arg} must be a string`);
    if (requirement.kind === 'net') needed.push(netCapabilityForUrl(value));
    else if (requirement.kind === 'env') needed.push({ capability: `env:${value}`, parsed: { kind: 'env', key: value }, summary: `read the environment variable ${value}`, risk: 'high' });
    else needed.push(await fsCapability(requirement.kind === 'fs:read' ? 'read' : 'write', value));
  }
  return needed;
}

function hostCovers(granted: string, host: string): boolean {
  // A wildcard names subdomains, never addresses (`*.0.0.1` must not cover 127.0.0.1).
  if (granted.startsWith('*.')) return !isIP(host) && host.endsWith(granted.slice(1)) && host.length > granted.length - 1;
  return granted === host;
}

/** Does a granted capability cover a needed one? Paths in grants are stored resolved. */
export function covers(grant: ParsedCapability, need: ParsedCapability): boolean {
  switch (need.kind) {
    case 'net':
      if (grant.kind !== 'net' || !hostCovers(grant.host, need.host)) return false;
      // A grant without a port covers the standard web ports only.
      return grant.port === null ? need.port === 80 || need.port === 443 : grant.port === need.port;
    case 'fs':
      return grant.kind === 'fs' && grant.mode === need.mode && (need.path === grant.path || need.path.startsWith(grant.path.endsWith(sep) ? grant.path : grant.path + sep));
    case 'clock':
      return grant.kind === 'clock';
    case 'env':
      return grant.kind === 'env' && grant.key === need.key;
    case 'mcp':
      return grant.kind === 'mcp' && grant.server === need.server && grant.tool === need.tool;
    case 'memory':
      return grant.kind === 'memory' && grant.agent === need.agent;
    case 'ipc':
      return grant.kind === 'ipc' && grant.agent === need.agent;
    case 'proc':
      // A grant names one process or one agent; the need names the process and its agent.
      return grant.kind === 'proc' && ((grant.pid !== null && grant.pid === need.pid) || (grant.agent !== null && grant.agent === need.agent));
    case 'mcp-server':
      return grant.kind === 'mcp-server' && grant.name === need.name;
  }
}

/** Grants of folders are stored by their real path, so a symlinked grant cannot widen later. */
export async function normalizeGrantCapability(capability: string): Promise<string> {
  const parsed = parseCapability(capability);
  if (typeof parsed === 'string') throw new KernelError('INVALID_REQUEST', parsed);
  if (parsed.kind === 'net') return formatNetCapability(parsed.host, parsed.port);
  if (parsed.kind !== 'fs') return capability;
  const path = parsed.path === '~' || parsed.path.startsWith('~/') ? join(homedir(), parsed.path.slice(1)) : parsed.path;
  try {
    return `fs:${parsed.mode}:${await resolveRealPath(path)}`;
  } catch (error) {
    throw error instanceof KernelError ? new KernelError('INVALID_REQUEST', `cannot grant ${capability.slice(0, 300)}: ${error.message}`) : error;
  }
}
