import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ConnectionInfo {
  url: string;
  token: string;
  pid: number;
}

const FILE = 'serve.json';

/** Lets `amk ps` and friends find a running `amk serve`; readable by the user alone. */
export function writeConnectionFile(dataDir: string, info: ConnectionInfo): void {
  writeFileSync(join(dataDir, FILE), JSON.stringify(info), { mode: 0o600 });
}

export function readConnectionFile(dataDir: string): ConnectionInfo | null {
  try {
    return JSON.parse(readFileSync(join(dataDir, FILE), 'utf8')) as ConnectionInfo;
  } catch {
    return null;
  }
}

export function removeConnectionFile(dataDir: string): void {
  rmSync(join(dataDir, FILE), { force: true });
}
