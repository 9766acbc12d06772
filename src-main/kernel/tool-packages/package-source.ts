import { constants, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { PACKAGE_LIMITS, capOf, packageError } from './package-limits.js';
import { gunzipPackage, readTar } from './tar-reader.js';
import { readZip } from './zip-reader.js';

/** The three files of a package, read and bounded; nothing else of it is kept. */
export interface PackageFiles {
  toolJson: Buffer;
  wasm: Buffer;
  sig: Buffer | null;
}

const DOWNLOAD_TIMEOUT_MS = 60_000;
const MAX_REDIRECTS = 5;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Opens without following a final symlink, checks what was opened, reads at most `cap` bytes. */
async function readCapped(path: string, cap: number, followLink: boolean): Promise<Buffer | null> {
  let handle;
  try {
    // O_NONBLOCK: a FIFO in place of a file must not hang the kernel on open; a regular file ignores it.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | (followLink ? 0 : constants.O_NOFOLLOW));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') throw packageError(`${path} is a symbolic link; a package holds plain files only`);
    throw packageError(`cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    const info: Stats = await handle.stat();
    if (!info.isFile()) throw packageError(`${path} is not a plain file`);
    if (info.size > cap) throw packageError(`${path} is ${info.size} bytes, over its cap of ${cap}`);
    // One byte more than stat said: a file that grows while being read fills it, and is refused.
    const buffer = Buffer.alloc(info.size + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > info.size) throw packageError(`${path} changed while it was read`);
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

/** The package's files out of an archive's entries: at its root or in one top folder. */
export function pickPackageFiles(entries: Map<string, Buffer>): PackageFiles {
  const manifests = [...entries.keys()].filter((name) => name === 'tool.json' || name.endsWith('/tool.json'));
  if (manifests.length === 0) throw packageError('the package has no tool.json');
  if (manifests.length > 1) throw packageError(`the package has ${manifests.length} tool.json files (${manifests.slice(0, 3).join(', ')})`);
  const folder = manifests[0]!.slice(0, -'tool.json'.length);
  if (folder.split('/').length > 2) throw packageError('tool.json must be at the root of the package or in one top folder');
  const wasm = entries.get(`${folder}plugin.wasm`);
  if (!wasm) throw packageError(`the package has no ${folder}plugin.wasm beside its tool.json`);
  return { toolJson: entries.get(manifests[0]!)!, wasm, sig: entries.get(`${folder}plugin.sig`) ?? null };
}

/** An archive's bytes, by what they start with (gzip'd tar or zip), never by a name someone chose. */
export async function readArchive(bytes: Buffer): Promise<PackageFiles> {
  if (bytes.length > PACKAGE_LIMITS.archiveBytes) throw packageError(`the archive is ${bytes.length} bytes, over ${PACKAGE_LIMITS.archiveBytes}`);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return pickPackageFiles(readTar(await gunzipPackage(bytes)));
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) return pickPackageFiles(await readZip(bytes));
  throw packageError('not a tool package: expected a folder, a .tar.gz or a .zip');
}

/** A folder holding tool.json, plugin.wasm and maybe plugin.sig (each opened without following links), or an archive file. */
export async function readPackagePath(path: string): Promise<PackageFiles> {
  if (!isAbsolute(path)) throw packageError(`a package path must be absolute (the kernel does not share your working folder): ${path.slice(0, 200)}`);
  let info: Stats;
  try {
    info = await stat(path);
  } catch (error) {
    throw packageError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (error as Error).message}`);
  }
  if (info.isFile()) return readArchive((await readCapped(path, PACKAGE_LIMITS.archiveBytes, true))!);
  if (!info.isDirectory()) throw packageError(`${path} is neither a folder nor an archive`);
  const read = (name: string): Promise<Buffer | null> => readCapped(join(path, name), capOf(name), false);
  const [toolJson, wasm, sig] = await Promise.all([read('tool.json'), read('plugin.wasm'), read('plugin.sig')]);
  if (!toolJson) throw packageError(`${path} has no tool.json`);
  if (!wasm) throw packageError(`${path} has no plugin.wasm`);
  return { toolJson, wasm, sig };
}

/** A body (an upload, a download) gathered up to `limit` bytes; past it, refused without reading on. */
export async function gatherCapped(body: AsyncIterable<Uint8Array>, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > limit) throw packageError(`${what} is over ${limit} bytes`, 'too-large');
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

function allowedUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw packageError(`not a URL: ${raw.slice(0, 200)}`);
  }
  if (url.protocol === 'https:') return url;
  // Plain http only to this machine (a local build server, the tests): anything else could be altered on the way.
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return url;
  throw packageError(`a package is downloaded over https only (http only from this machine), not ${url.protocol}//${url.hostname}`);
}

/** Downloads a package: https only, redirects followed under the same rule, the size capped while streaming, a time limit on it all. */
export async function downloadPackage(raw: string): Promise<PackageFiles> {
  const signal = AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS);
  let url = allowedUrl(raw);
  try {
    for (let hop = 0; ; hop++) {
      const response = await fetch(url, { redirect: 'manual', signal });
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        if (hop >= MAX_REDIRECTS) throw packageError(`more than ${MAX_REDIRECTS} redirects from ${raw.slice(0, 200)}`);
        url = allowedUrl(new URL(location, url).toString());
        continue;
      }
      if (!response.ok || !response.body) {
        await response.body?.cancel();
        throw packageError(`downloading ${url.toString().slice(0, 200)} failed: HTTP ${response.status}`);
      }
      const declared = Number(response.headers.get('content-length'));
      if (Number.isSafeInteger(declared) && declared > PACKAGE_LIMITS.archiveBytes) {
        await response.body.cancel();
        throw packageError(`the package at ${url.toString().slice(0, 200)} is ${declared} bytes, over ${PACKAGE_LIMITS.archiveBytes}`, 'too-large');
      }
      const body = response.body as unknown as AsyncIterable<Uint8Array>;
      return await readArchive(await gatherCapped(body, PACKAGE_LIMITS.archiveBytes, `the package at ${url.toString().slice(0, 200)}`));
    }
  } catch (error) {
    if (signal.aborted) throw packageError(`downloading ${raw.slice(0, 200)} took longer than ${DOWNLOAD_TIMEOUT_MS / 1000} s`, 'timeout');
    if ((error as { code?: string }).code === 'INVALID_REQUEST') throw error;
    throw packageError(`downloading ${raw.slice(0, 200)} failed: ${(error as Error).message}`);
  }
}
