import { lstat, readFile, readdir, stat, appendFile, writeFile } from 'node:fs/promises';
import type { CallContext } from '@extism/extism';
import type { ParsedCapability, SyscallRequest, SyscallResponse } from '../../../src-shared/index.js';
import type { AuditEntry } from '../core/audit-log.js';
import { covers, fsCapability, netCapabilityForUrl, type NeededCapability } from './capability-check.js';

/** What one tool call may touch: exactly the capabilities authorized for it, nothing else. */
export interface CallScope {
  pid: number;
  agentId: string;
  tool: string;
  granted: readonly NeededCapability[];
  deadline: number;
  maxBytes: number;
  audit: (entry: Pick<AuditEntry, 'capability' | 'outcome' | 'reason' | 'name'>) => void;
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

async function readCapped(response: Response, maxBytes: number): Promise<{ text: string; truncated: boolean }> {
  const reader = response.body?.getReader();
  if (!reader) return { text: '', truncated: false };
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
    if (size > maxBytes) {
      truncated = true;
      await reader.cancel();
      break;
    }
  }
  const bytes = Buffer.concat(chunks).subarray(0, maxBytes);
  return { text: bytes.toString('utf8'), truncated };
}

async function http(scope: CallScope, request: { method?: string; url?: string; body?: string; contentType?: string; maxBytes?: number }): Promise<Reply> {
  let url = String(request.url ?? '');
  const method = request.method === 'POST' ? 'POST' : 'GET';
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
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        redirect: 'manual',
        signal: AbortSignal.timeout(remaining),
        ...(method === 'POST' ? { body: String(request.body ?? ''), headers: { 'content-type': String(request.contentType ?? 'application/json') } } : {}),
      });
    } catch (error) {
      return { ok: false, error: `request to ${need.summary.replace('connect to ', '')} failed: ${(error as Error).message}` };
    }
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location && method === 'GET') {
      // Each hop is checked again: a granted host cannot redirect the tool somewhere else.
      url = new URL(location, url).toString();
      continue;
    }
    const { text, truncated } = await readCapped(response, Math.min(Number(request.maxBytes ?? scope.maxBytes), scope.maxBytes));
    return { ok: true, value: { status: response.status, body: text, truncated, contentType: response.headers.get('content-type') ?? '' } };
  }
  return { ok: false, error: `more than ${MAX_REDIRECTS} redirects` };
}

async function files(scope: CallScope, request: { op?: string; path?: string; content?: string; append?: boolean }): Promise<Reply> {
  const op = String(request.op);
  const mode = op === 'write' ? 'write' : 'read';
  let need;
  try {
    need = await fsCapability(mode, String(request.path ?? ''));
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
  const denied = allowed(scope, need.parsed, need.capability, `fs ${op}`);
  if (denied) return denied;
  const path = (need.parsed as { path: string }).path;
  try {
    if (op === 'read') {
      const facts = await stat(path);
      if (!facts.isFile()) return { ok: false, error: `${path} is not a file` };
      const handle = await readFile(path);
      const truncated = handle.length > MAX_FILE_BYTES;
      return { ok: true, value: { content: handle.subarray(0, MAX_FILE_BYTES).toString('utf8'), bytes: facts.size, truncated } };
    }
    if (op === 'write') {
      const content = String(request.content ?? '');
      if (request.append) await appendFile(path, content);
      else await writeFile(path, content);
      return { ok: true, value: { bytes: Buffer.byteLength(content) } };
    }
    if (op === 'list') {
      const entries = await readdir(path, { withFileTypes: true });
      const listed = await Promise.all(
        entries.slice(0, 1000).map(async (entry) => {
          const kind = entry.isDirectory() ? 'dir' : entry.isFile() ? 'file' : entry.isSymbolicLink() ? 'link' : 'other';
          const size = kind === 'file' ? (await lstat(`${path}/${entry.name}`)).size : 0;
          return { name: entry.name, kind, size };
        }),
      );
      return { ok: true, value: { entries: listed, truncated: entries.length > 1000 } };
    }
    return { ok: false, error: `unknown file operation "${op}"` };
  } catch (error) {
    return { ok: false, error: (error as NodeJS.ErrnoException).code === 'ENOENT' ? `${path} does not exist` : (error as Error).message };
  }
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

function parse(context: CallContext, offset: bigint): Record<string, unknown> {
  try {
    return JSON.parse(context.read(offset)?.text() ?? '{}') as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** The host functions every plugin may import; each reads its call's scope and checks it. */
export function hostFunctions(): Record<string, Record<string, (context: CallContext, offset: bigint) => Promise<bigint>>> {
  const reply = (context: CallContext, value: Reply): bigint => context.store(JSON.stringify(value));
  return {
    'extism:host/user': {
      async kernel_http(context, offset) {
        return reply(context, await http(context.hostContext<CallScope>(), parse(context, offset)));
      },
      async kernel_fs(context, offset) {
        return reply(context, await files(context.hostContext<CallScope>(), parse(context, offset)));
      },
      async kernel_clock(context) {
        return reply(context, clock(context.hostContext<CallScope>()));
      },
      async kernel_memory(context, offset) {
        return reply(context, await memory(context.hostContext<CallScope>(), parse(context, offset)));
      },
      async kernel_env(context, offset) {
        return Promise.resolve(reply(context, environment(context.hostContext<CallScope>(), parse(context, offset))));
      },
      async kernel_ipc(context, offset) {
        return reply(context, await message(context.hostContext<CallScope>(), parse(context, offset)));
      },
    },
  };
}
