import { timingSafeEqual } from 'node:crypto';
import { closeSync, constants, existsSync, fstatSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import type { PublisherKey, ToolManifest } from '../../../src-shared/index.js';
import { PublisherKey as PublisherKeySchema, SignatureStatus, ToolName } from '../../../src-shared/index.js';
import { keyedDigest } from '../core/kernel-key.js';
import { KernelError } from '../core/kernel-error.js';
import { capOf } from './package-limits.js';
import { packageDigest, sha256Hex } from './package-signature.js';
import { parsePackageManifest } from './package-review.js';

/** `<data dir>/tools/<name>/install.json`: what was installed, MACed with the kernel key. */
export const InstallRecord = z.object({
  name: ToolName,
  /** The package digest (over tool.json and plugin.wasm). */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  pluginSha256: z.string().regex(/^[0-9a-f]{64}$/),
  publisher: z.string().nullable(),
  keyId: z.string().nullable(),
  signature: SignatureStatus,
  installedAt: z.string(),
});
export type InstallRecord = z.infer<typeof InstallRecord>;
const SavedRecord = z.object({ version: z.literal(1), record: InstallRecord, mac: z.string() });

function recordMac(key: Buffer, record: InstallRecord): string {
  return keyedDigest(key, JSON.stringify(['amk-tool-install/v1', record.name, record.sha256, record.pluginSha256, record.publisher, record.keyId, record.signature, record.installedAt]));
}

function sameMac(expected: string, actual: string): boolean {
  // Both sides hashed to one length first: no early exit on a length difference.
  const [a, b] = [keyedDigest(Buffer.alloc(0), expected), keyedDigest(Buffer.alloc(0), actual)];
  return timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

export function writeInstallRecord(path: string, key: Buffer, record: InstallRecord): void {
  writeFileSync(path, JSON.stringify({ version: 1, record, mac: recordMac(key, record) }, null, 2), { mode: 0o600, flag: 'wx' });
}

export interface LoadedInstall {
  record: InstallRecord;
  manifest: ToolManifest;
  bytes: Uint8Array;
}

/** Opened without following a link, its size checked on the descriptor before a byte is read. */
function readBounded(path: string, name: string): Buffer {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new Error(`${name} is not a plain file`);
    if (info.size > capOf(name)) throw new Error(`${name} is ${info.size} bytes, over its cap`);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads one installed tool and proves it is what was installed: the record's MAC (only this
 * kernel wrote it), the plugin's bytes against the pinned sha256, the manifest against the
 * package digest. Returns the reason when anything differs.
 */
export function loadInstalled(folder: string, name: string, key: Buffer): LoadedInstall | string {
  let saved;
  try {
    saved = SavedRecord.parse(JSON.parse(readBounded(`${folder}/install.json`, 'install.json').toString('utf8')));
  } catch (error) {
    return `its install record is missing or unreadable (${(error as Error).message.slice(0, 200)})`;
  }
  const { record, mac } = saved;
  if (!sameMac(recordMac(key, record), mac)) return 'its install record fails its integrity check (not written by this kernel: forged or edited)';
  if (record.name !== name) return `its install record names another tool (${record.name})`;
  let toolJson: Buffer;
  let bytes: Buffer;
  try {
    toolJson = readBounded(`${folder}/tool.json`, 'tool.json');
    bytes = readBounded(`${folder}/plugin.wasm`, 'plugin.wasm');
  } catch (error) {
    return `its files cannot be read (${(error as Error).message.slice(0, 200)})`;
  }
  const actual = sha256Hex(bytes);
  if (actual !== record.pluginSha256) return `plugin.wasm does not match the sha256 pinned at install (expected ${record.pluginSha256.slice(0, 12)}…, got ${actual.slice(0, 12)}…): altered after install`;
  if (packageDigest(toolJson, bytes).toString('hex') !== record.sha256) return 'tool.json does not match the package installed: altered after install';
  let manifest: ToolManifest;
  try {
    manifest = parsePackageManifest(toolJson);
  } catch (error) {
    return (error as Error).message;
  }
  if (manifest.name !== name) return `its tool.json names another tool (${manifest.name})`;
  return { record, manifest: { ...manifest, sha256: record.pluginSha256 }, bytes: new Uint8Array(bytes) };
}

const SavedKeys = z.object({ version: z.literal(1), keys: z.array(PublisherKeySchema).max(1000), mac: z.string() });

function keysMac(key: Buffer, keys: readonly PublisherKey[]): string {
  return keyedDigest(key, JSON.stringify(['amk-trusted-keys/v1', keys.map((k) => [k.id, k.publisher, k.publicKey, k.addedAt])]));
}

/**
 * `<data dir>/tools/trusted-keys.json`: the publisher keys the user trusts, MACed as a whole. A file
 * that fails the check trusts nothing (it is set aside for the user to look at).
 */
export class TrustedKeys {
  private keys: PublisherKey[] = [];
  readonly loadProblems: string[] = [];

  constructor(
    private readonly path: string,
    private readonly key: Buffer,
  ) {
    if (!existsSync(path)) return;
    try {
      const saved = SavedKeys.parse(JSON.parse(readFileSync(path, 'utf8')));
      if (!sameMac(keysMac(key, saved.keys), saved.mac)) throw new Error('it fails its integrity check (not written by this kernel: forged or edited)');
      this.keys = saved.keys;
    } catch (error) {
      const kept = `${path}.rejected-${Date.now()}`;
      renameSync(path, kept);
      this.loadProblems.push(`trusted publisher keys: ${(error as Error).message.slice(0, 200)}; no key is trusted (the file is kept as ${kept})`);
    }
  }

  list(): PublisherKey[] {
    return [...this.keys];
  }

  add(entry: PublisherKey): PublisherKey {
    const existing = this.keys.find((k) => k.id === entry.id);
    if (existing && existing.publicKey !== entry.publicKey) throw new KernelError('INVALID_STATE', `another key has the id ${entry.id}`);
    this.keys = [...this.keys.filter((k) => k.id !== entry.id), entry];
    this.save();
    return entry;
  }

  remove(id: string): PublisherKey {
    const found = this.keys.find((k) => k.id === id);
    if (!found) throw new KernelError('INVALID_REQUEST', `no trusted key has the id ${id}`);
    this.keys = this.keys.filter((k) => k.id !== id);
    this.save();
    return found;
  }

  private save(): void {
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify({ version: 1, keys: this.keys, mac: keysMac(this.key, this.keys) }, null, 2), { mode: 0o600 });
    renameSync(temporary, this.path);
  }
}
