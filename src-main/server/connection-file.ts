import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/** What `amk serve` (or the desktop app) leaves in its data dir so that local clients can find it. */
const ConnectionInfoSchema = z.object({
  url: z.string().regex(/^http:\/\/[^/?#\s]+$/, 'an http:// origin'),
  token: z.string().regex(/^[\x21-\x7e]{1,512}$/, 'a printable token'),
  pid: z.number().int().positive(),
});
export type ConnectionInfo = z.infer<typeof ConnectionInfoSchema>;

/** Where the file is, and what was found there: only a `running` one is trusted. */
export type ConnectionFileState =
  | { state: 'running'; path: string; info: ConnectionInfo }
  | { state: 'missing'; path: string }
  | { state: 'stale'; path: string; pid: number }
  | { state: 'invalid'; path: string; reason: string };

const FILE = 'serve.json';

export function connectionFilePath(dataDir: string): string {
  return join(dataDir, FILE);
}

/**
 * Lets `amk ps` and friends find a running `amk serve`; readable by the user alone (the token is in
 * it). Written beside and renamed into place, so a reader never sees half of it and an old file's
 * wider mode is never kept.
 */
export function writeConnectionFile(dataDir: string, info: ConnectionInfo): void {
  const path = connectionFilePath(dataDir);
  const temporary = `${path}.${process.pid}.tmp`;
  rmSync(temporary, { force: true });
  writeFileSync(temporary, JSON.stringify(info), { mode: 0o600, flag: 'wx' });
  renameSync(temporary, path);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The connection file, validated, and whether the process that wrote it still runs. */
export function inspectConnectionFile(dataDir: string): ConnectionFileState {
  const path = connectionFilePath(dataDir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { state: 'missing', path };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { state: 'invalid', path, reason: 'it is not JSON' };
  }
  const parsed = ConnectionInfoSchema.safeParse(json);
  if (!parsed.success) return { state: 'invalid', path, reason: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ') };
  if (!alive(parsed.data.pid)) return { state: 'stale', path, pid: parsed.data.pid };
  return { state: 'running', path, info: parsed.data };
}

/** The running kernel's address and token; null when there is none, or the file is invalid or left by a process that is gone. */
export function readConnectionFile(dataDir: string): ConnectionInfo | null {
  const found = inspectConnectionFile(dataDir);
  return found.state === 'running' ? found.info : null;
}

/** Why no running kernel was found, for an error message. */
export function describeMissingKernel(found: Exclude<ConnectionFileState, { state: 'running' }>): string {
  switch (found.state) {
    case 'missing':
      return `no running kernel found (no ${found.path})`;
    case 'stale':
      return `no running kernel found (${found.path} was left by process ${found.pid}, which is gone)`;
    case 'invalid':
      return `no running kernel found (${found.path} is not a valid connection file: ${found.reason})`;
  }
}

export function removeConnectionFile(dataDir: string): void {
  rmSync(connectionFilePath(dataDir), { force: true });
}
