import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync, gzipSync } from 'node:zlib';
import type { InstalledTool, ToolPackageReview } from '../../src-shared/index.js';
import { handleKernelRequest, signPackage, type Kernel } from '../kernel/index.js';
import { crc32 } from '../kernel/tool-packages/index.js';
import { packageRoot } from '../settings.js';

const BUILT = join(packageRoot(), 'dist', 'wasm-tools');

/**
 * A built tool's package files, renamed: its tool.json as a publisher writes it (no runtime,
 * sha256 or file) and its plugin. `folder` 'fixtures' takes one of the hostile test plugins.
 */
export function builtToolPackage(source: string, name: string, folder: 'tools' | 'fixtures' = 'tools'): { toolJson: Buffer; wasm: Buffer } {
  const TOOLS = join(BUILT, folder);
  const catalog = JSON.parse(readFileSync(join(TOOLS, 'catalog.json'), 'utf8')) as { tools: Record<string, unknown>[] };
  const entry = catalog.tools.find((tool) => tool.name === source);
  if (!entry) throw new Error(`no built tool ${source} in ${TOOLS}`);
  const { sha256: _sha, file, runtime: _runtime, ...manifest } = entry;
  const wasm = readFileSync(join(TOOLS, typeof file === 'string' ? file : `${source}.wasm`));
  return { toolJson: Buffer.from(JSON.stringify({ ...manifest, name }, null, 2)), wasm };
}

/** Writes a package folder (tool.json, plugin.wasm, and plugin.sig when a private key is given). */
export function writeToolPackage(dir: string, files: { toolJson: Buffer; wasm: Buffer }, signer?: { privateKeyPem: string; publisher: string }): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'tool.json'), files.toolJson);
  writeFileSync(join(dir, 'plugin.wasm'), files.wasm);
  if (signer) writeFileSync(join(dir, 'plugin.sig'), JSON.stringify(signPackage(files.toolJson, files.wasm, signer.privateKeyPem, signer.publisher)));
  return dir;
}

/** Stages and installs a package through the kernel API in one call (what the UI and `amk tools install --yes` do). */
export async function installToolPackage(kernel: Kernel, source: { path: string } | { url: string }, allowUnsigned = true): Promise<{ review: ToolPackageReview; installed: InstalledTool }> {
  const review = (await handleKernelRequest(kernel, 'tools.stage', source)) as ToolPackageReview;
  const installed = (await handleKernelRequest(kernel, 'tools.install', { reviewId: review.reviewId, allowUnsigned })) as InstalledTool;
  return { review, installed };
}

export interface TarEntry {
  name: string;
  data?: Buffer;
  /** The tar type flag: '0' file, '5' folder, '1' hard link, '2' symlink, '3' device… */
  type?: string;
  /** What the header announces, when it should lie. */
  size?: number;
}

function tarHeader(name: string, size: number, type: string): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  header.write('00000000000\0', 136);
  header.write(type, 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return header;
}

/** A ustar archive of these entries, with its two end blocks unless `end` is false. */
export function buildTar(entries: readonly TarEntry[], end = true): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = entry.data ?? Buffer.alloc(0);
    parts.push(tarHeader(entry.name, entry.size ?? data.length, entry.type ?? '0'), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  if (end) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export function buildTarGz(entries: readonly TarEntry[]): Buffer {
  return gzipSync(buildTar(entries));
}

export interface ZipEntry {
  name: string;
  data?: Buffer;
  /** 0 stored, 8 deflate (the default). */
  method?: 0 | 8;
  /** Unix mode in the external attributes (a symlink is 0o120777). */
  mode?: number;
  /** What the central directory announces, when it should lie. */
  announcedSize?: number;
  crc?: number;
  flags?: number;
}

/** A zip of these entries (local headers, central directory, end record). */
export function buildZip(entries: readonly ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const data = entry.data ?? Buffer.alloc(0);
    const method = entry.method ?? 8;
    const stored = method === 8 ? deflateRawSync(data) : data;
    const name = Buffer.from(entry.name, 'utf8');
    const crc = entry.crc ?? crc32(data);
    const size = entry.announcedSize ?? data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(entry.flags ?? 0, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(stored.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(entry.flags ?? 0, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(stored.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((entry.mode ?? (entry.name.endsWith('/') ? 0o040755 : 0o100644)) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, stored);
    centrals.push(central, name);
    offset += local.length + name.length + stored.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
