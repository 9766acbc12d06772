import type { ParsedCapability, SyscallRequest, SyscallResponse } from '../../../src-shared/index.js';
import type { AuditEntry } from '../core/audit-log.js';
import { covers, fsCapability, insideAny, netCapabilityForUrl, type NeededCapability } from './capability-check.js';
import { listFolder, readFileCapped, writeFileContained, type Permit } from './fs-access.js';
import { checkedAddress, readCapped, sendPinned, systemResolver } from './net-access.js';

/** What one tool call may touch: exactly the capabilities authorized for it, nothing else. */
export interface CallScope {
  pid: number;
  agentId: string;
  tool: string;
  granted: readonly NeededCapability[];
  deadline: number;
  maxBytes: number;
  audit: (entry: Pick<AuditEntry, 'capability' | 'outcome' | 'reason' | 'name'>) => void;
  /** Real paths no grant reaches (the kernel's data directory): refused whatever the grants say. */
  protectedRoots: readonly string[];
  /** Kernel services behind syscalls (memory); absent outside an agent's call. */
  syscall?: (request: SyscallRequest) => Promise<SyscallResponse>;
}

type Reply = { ok: true; value: unknown } | { ok: false; error: string };

const MAX_FILE_BYTES = 256 * 1024;
const MAX_REDIRECTS = 3;

function allowed(scope: CallScope, need: ParsedCapability, capability: string, what: string): Reply | null {
  if (scope.granted.some((granted) => covers(granted.parsed, need))) {
    scope.audit({ name: what, capability, outcome: 'allowed', reason: 'within the capabilities authorized for this call' });
    return null;
  }
  scope.audit({ name: what, capability, outcome: 'denied', reason: `${scope.tool} was not granted ${capability}` });
  return { ok: false, error: `denied: ${scope.tool} was not granted ${capability}` };
}

/** A plugin's arguments are untrusted: a wrong type is refused, never coerced (NaN would disable a cap). */
function optionalString(request: Record<string, unknown>, key: string): string | undefined {
  const value = request[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new Error(`${key} must be a string, not ${typeof value}`);
  return value;
}

function byteCap(value: unknown, limit: number): number {
  if (value === undefined || value === null) return limit;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw new Error(`maxBytes must be a whole number of bytes from 1 to ${limit}, not ${JSON.stringify(value)?.slice(0, 40)}`);
  return Math.min(value, limit);
}

async function http(scope: CallScope, request: Record<string, unknown>): Promise<Reply> {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) return { ok: false, error: 'invalid request: expected a JSON object' };
  let url: string;
  let method: 'GET' | 'POST';
  let maxBytes: number;
  let body: string | undefined;
  let contentType: string | undefined;
  try {
    url = optionalString(request, 'url') ?? '';
    const asked = optionalString(request, 'method') ?? 'GET';
    if (asked !== 'GET' && asked !== 'POST') throw new Error(`method must be GET or POST, not ${asked.slice(0, 20)}`);
    method = asked;
    maxBytes = byteCap(request.maxBytes, scope.maxBytes);
    body = optionalString(request, 'body');
    contentType = optionalString(request, 'contentType');
  } catch (error) {
    return { ok: false, error: `invalid request: ${(error as Error).message}` };
  }
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    let need;
    try {
      need = netCapabilityForUrl(url);
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
    const denied = allowed(scope, need.parsed, need.capability, `http ${method}`);
    if (denied) return denied;
    const remaining = scope.deadline - Date.now();
    if (remaining <= 0) return { ok: false, error: 'the time budget ran out before the request' };
    const target = new URL(url);
    const host = (need.parsed as { host: string }).host;
    const port = (need.parsed as { port: number }).port;
    let address;
    try {
      // Resolved once and checked; the connection goes to this address (no second lookup to rebind).
      address = await checkedAddress(host, port, systemResolver);
    } catch (error) {
      scope.audit({ name: `http ${method}`, capability: need.capability, outcome: 'denied', reason: (error as Error).message });
      return { ok: false, error: `denied: ${(error as Error).message}` };
    }
    let status: number;
    let location: string | undefined;
    let text: string;
    let truncated: boolean;
    let responseType: string;
    try {
      const response = await sendPinned({ url: target, address, method, ...(body === undefined ? {} : { body }), ...(contentType === undefined ? {} : { contentType }), signal: AbortSignal.timeout(remaining) });
      status = response.statusCode ?? 0;
      location = response.headers.location;
      responseType = response.headers['content-type'] ?? '';
      if (status >= 300 && status < 400 && location && method === 'GET') {
        response.destroy();
        // Each hop is checked again: a granted host cannot redirect the tool somewhere else.
        url = new URL(location, url).toString();
        continue;
      }
      ({ text, truncated } = await readCapped(response, maxBytes));
    } catch (error) {
      return { ok: false, error: `request to ${need.summary.replace('connect to ', '')} failed: ${(error as Error).message}` };
    }
    return { ok: true, value: { status, body: text, truncated, contentType: responseType } };
  }
  return { ok: false, error: `more than ${MAX_REDIRECTS} redirects` };
}

async function files(scope: CallScope, request: Record<string, unknown>): Promise<Reply> {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) return { ok: false, error: 'invalid request: expected a JSON object' };
  const op = request.op;
  if (op !== 'read' && op !== 'write' && op !== 'list') return { ok: false, error: `unknown file operation "${String(op).slice(0, 40)}"` };
  const mode = op === 'write' ? 'write' : 'read';
  let need;
  try {
    need = await fsCapability(mode, request.path as string);
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
  if (insideAny(need.parsed.kind === 'fs' ? need.parsed.path : '', scope.protectedRoots)) return protectedRefusal(scope, need.capability, `fs ${op}`);
  const denied = allowed(scope, need.parsed, need.capability, `fs ${op}`);
  if (denied) return denied;
  // What was opened is checked again by its real path: the path checked above may have changed since.
  const permit: Permit = (wanted, real) => {
    const capability = `fs:${wanted}:${real}`;
    if (insideAny(real, scope.protectedRoots)) return (protectedRefusal(scope, capability, `fs ${op}`) as { error: string }).error;
    if (scope.granted.some((granted) => covers(granted.parsed, { kind: 'fs', mode: wanted, path: real }))) return null;
    scope.audit({ name: `fs ${op}`, capability, outcome: 'denied', reason: `what was opened is outside the grants: ${real}` });
    return `denied: ${scope.tool} was not granted ${capability} (the path led there when it was opened)`;
  };
  try {
    if (op === 'read') return { ok: true, value: await readFileCapped(request.path, MAX_FILE_BYTES, permit) };
    if (op === 'write') {
      const content = request.content ?? '';
      if (typeof content !== 'string') return { ok: false, error: 'content must be a string' };
      if (request.append !== undefined && typeof request.append !== 'boolean') return { ok: false, error: 'append must be true or false' };
      return { ok: true, value: { bytes: await writeFileContained(request.path, content, request.append === true, permit) } };
    }
    return { ok: true, value: await listFolder(request.path, permit) };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

function protectedRefusal(scope: CallScope, capability: string, what: string): Reply {
  scope.audit({ name: what, capability, outcome: 'denied', reason: "the kernel's data directory is never reachable from a tool" });
  return { ok: false, error: `denied: ${capability.replace(/^fs:\w+:/, '')} is inside the kernel's data directory, which no grant reaches` };
}

/** One environment variable, named by an `env:KEY` grant: the sandbox never sees the rest. */
function environment(scope: CallScope, request: { key?: string }): Reply {
  const key = String(request.key ?? '');
  const denied = allowed(scope, { kind: 'env', key }, `env:${key}`, 'environment');
  if (denied) return denied;
  const value = process.env[key];
  return { ok: true, value: { key, value: value ?? null, set: value !== undefined } };
}

function clock(scope: CallScope): Reply {
  const denied = allowed(scope, { kind: 'clock' }, 'clock', 'clock');
  if (denied) return denied;
  const now = new Date();
  return { ok: true, value: { iso: now.toISOString(), epochMs: now.getTime(), timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone } };
}

/** Memory tools go through the dispatcher as `memory.*` syscalls: validated, audited, and private per agent. */
async function memory(scope: CallScope, request: { op?: string; query?: string; k?: number; agent?: string; text?: string }): Promise<Reply> {
  if (!scope.syscall) return { ok: false, error: 'no kernel services in this call' };
  const agent = request.agent && request.agent !== scope.agentId ? request.agent : undefined;
  if (agent && !scope.granted.some((need) => need.parsed.kind === 'memory' && need.parsed.agent === agent)) {
    scope.audit({ name: 'memory search', capability: `memory:${agent}`, outcome: 'denied', reason: `${scope.tool} was not granted memory:${agent}` });
    return { ok: false, error: `denied: ${scope.tool} was not granted memory:${agent}` };
  }
  const response =
    request.op === 'pin'
      ? await scope.syscall({ call: 'memory.pin', text: String(request.text ?? '') })
      : await scope.syscall({ call: 'memory.search', query: String(request.query ?? ''), k: Math.min(20, Math.max(1, Number(request.k ?? 5))), ...(agent ? { agent } : {}) });
  return response.ok ? { ok: true, value: response.value } : { ok: false, error: response.error.message };
}

/** A message to another agent goes through the dispatcher as an `ipc.send` syscall, behind an `ipc:AGENT` grant. */
async function message(scope: CallScope, request: { to?: string; text?: string }): Promise<Reply> {
  if (!scope.syscall) return { ok: false, error: 'no kernel services in this call' };
  const to = String(request.to ?? '');
  if (!scope.granted.some((need) => need.parsed.kind === 'ipc' && need.parsed.agent === to)) {
    scope.audit({ name: 'message', capability: `ipc:${to}`, outcome: 'denied', reason: `${scope.tool} was not granted ipc:${to}` });
    return { ok: false, error: `denied: ${scope.tool} was not granted ipc:${to}` };
  }
  const response = await scope.syscall({ call: 'ipc.send', to, text: String(request.text ?? '') });
  return response.ok ? { ok: true, value: response.value } : { ok: false, error: response.error.message };
}

type HostFunction = (scope: CallScope, request: Record<string, unknown>) => Reply | Promise<Reply>;

/** The host functions a plugin may import (module `extism:host/user`); each checks its call's scope. */
const HOST_FUNCTIONS: Record<string, HostFunction> = {
  kernel_http: http,
  kernel_fs: files,
  kernel_clock: (scope) => clock(scope),
  kernel_memory: memory,
  kernel_env: environment,
  kernel_ipc: message,
};
export const HOST_FUNCTION_NAMES: readonly string[] = Object.keys(HOST_FUNCTIONS);

/**
 * The most one host call may pass. The plugin's worker checks the length before it reads the
 * plugin's memory, so an oversized argument is never copied, parsed, audited or journaled.
 */
export const MAX_HOST_ARG_BYTES = 1024 * 1024;
/** The most one reply may hold; the plugin's worker stores it outside the plugin's own budget. */
const MAX_HOST_REPLY_CHARS = 4 * 1024 * 1024;

/**
 * Per-field limits (UTF-16 units), checked before any function sees the request: these strings end
 * up in capabilities, audit records and error messages, so a plugin may not choose their size.
 * Bulk data (an HTTP body, a file's content) is bounded by MAX_HOST_ARG_BYTES alone.
 */
const FIELD_LIMITS: Record<string, number> = {
  url: 8192,
  path: 4096,
  key: 256,
  agent: 256,
  to: 256,
  op: 16,
  method: 16,
  contentType: 256,
  query: 16_384,
  text: 65_536,
};
const MAX_K = 20;

function invalidField(request: Record<string, unknown>): string | null {
  for (const [key, limit] of Object.entries(FIELD_LIMITS)) {
    const value = request[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') return `${key} must be a string, not ${typeof value}`;
    if (value.length > limit) return `${key} is ${value.length} characters long, over the limit of ${limit}`;
  }
  const k = request.k;
  if (k !== undefined && k !== null && (typeof k !== 'number' || !Number.isSafeInteger(k) || k < 1 || k > MAX_K)) {
    return `k must be a whole number from 1 to ${MAX_K}, not ${JSON.stringify(k)?.slice(0, 40)}`;
  }
  return null;
}

/** Runs one host call the plugin's worker forwarded (`text` is its JSON argument); answers JSON. */
export async function callHostFunction(name: string, text: string, scope: CallScope): Promise<string> {
  const run = Object.hasOwn(HOST_FUNCTIONS, name) ? HOST_FUNCTIONS[name] : undefined;
  if (!run) return JSON.stringify({ ok: false, error: `there is no host function "${name.slice(0, 64)}"` });
  const refuse = (problem: string): string => {
    scope.audit({ name, capability: null, outcome: 'denied', reason: `invalid host call: ${problem}` });
    return JSON.stringify({ ok: false, error: `${name}: invalid request: ${problem}` });
  };
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_HOST_ARG_BYTES) return refuse(`${bytes} bytes, over the ${MAX_HOST_ARG_BYTES}-byte limit for one call`);
  let request: unknown;
  try {
    request = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    return refuse('the argument is not JSON');
  }
  if (typeof request !== 'object' || request === null || Array.isArray(request)) return refuse('the argument is not a JSON object');
  const problem = invalidField(request as Record<string, unknown>);
  if (problem) return refuse(problem);
  const reply = JSON.stringify(await run(scope, request as Record<string, unknown>));
  // Every reply is bounded by its function (maxBytes, the file cap); this is the backstop.
  if (reply.length > MAX_HOST_REPLY_CHARS) return JSON.stringify({ ok: false, error: `${name}: the reply was ${reply.length} characters, over the ${MAX_HOST_REPLY_CHARS} limit` });
  return reply;
}
