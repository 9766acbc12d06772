import { realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import type { CapabilityRequirement, ParsedCapability, RiskLevel } from '../../../src-shared/index.js';
import { parseCapability } from '../../../src-shared/index.js';
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
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port === '' ? DEFAULT_PORTS[url.protocol]! : Number(url.port);
  const capability = port === DEFAULT_PORTS[url.protocol] ? `net:${host}` : `net:${host}:${port}`;
  const parsed = parseCapability(capability);
  if (typeof parsed === 'string') throw new KernelError('INVALID_TOOL_ARGS', parsed);
  return { capability, parsed: { kind: 'net', host, port }, summary: `connect to ${host} on port ${port}`, risk: 'medium' };
}

/**
 * The real path a file operation would touch: symlinks resolved (so a link cannot lead out of a
 * granted folder) and `..` gone. A file that does not exist yet resolves through its folder.
 */
export async function resolveRealPath(path: string): Promise<string> {
  if (!isAbsolute(path)) throw new KernelError('INVALID_TOOL_ARGS', `paths must be absolute: "${path}"`);
  const absolute = resolve(path);
  try {
    return await realpath(absolute);
  } catch {
    const parent = dirname(absolute);
    if (parent === absolute) return absolute;
    return join(await resolveRealPath(parent), basename(absolute));
  }
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
  if (granted.startsWith('*.')) return host.endsWith(granted.slice(1)) && host.length > granted.length - 1;
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
  }
}

/** Grants of folders are stored by their real path, so a symlinked grant cannot widen later. */
export async function normalizeGrantCapability(capability: string): Promise<string> {
  const parsed = parseCapability(capability);
  if (typeof parsed === 'string') throw new KernelError('INVALID_REQUEST', parsed);
  if (parsed.kind !== 'fs') return capability;
  const path = parsed.path === '~' || parsed.path.startsWith('~/') ? join(homedir(), parsed.path.slice(1)) : parsed.path;
  return `fs:${parsed.mode}:${await resolveRealPath(path)}`;
}
