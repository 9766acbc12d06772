import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { EntryLedger, PACKAGE_LIMITS, packageError, refuseBombRatio } from './package-limits.js';

const gunzipAsync = promisify(gunzip);
const BLOCK = 512;
/** Headers of any kind (pax, GNU long names included) before the reader gives up. */
const MAX_HEADERS = PACKAGE_LIMITS.maxEntries * 3;
const MAX_META_BYTES = 8 * 1024;
/** The largest tar a package can be: its files, a header and padding for each, the end blocks. */
const MAX_TAR_BYTES = PACKAGE_LIMITS.totalBytes + MAX_HEADERS * (BLOCK + MAX_META_BYTES + BLOCK) + 2 * BLOCK;

/** Inflates a `.tar.gz`, never past what a package can hold, and refuses a trailer announcing a bomb. */
export async function gunzipPackage(gz: Buffer): Promise<Buffer> {
  if (gz.length < 18 || gz[0] !== 0x1f || gz[1] !== 0x8b) throw packageError('not a gzip file');
  // The trailer's ISIZE is the size mod 2^32: a hint to refuse early, while maxOutputLength is the bound.
  const announced = gz.readUInt32LE(gz.length - 4);
  if (announced > MAX_TAR_BYTES) throw packageError(`the archive announces ${announced} bytes uncompressed, over ${MAX_TAR_BYTES}`);
  refuseBombRatio('the archive', gz.length, announced);
  let tar: Buffer;
  try {
    tar = await gunzipAsync(gz, { maxOutputLength: MAX_TAR_BYTES });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') throw packageError(`the archive inflates past ${MAX_TAR_BYTES} bytes: refused as a compression bomb`);
    throw packageError(`the archive is not valid gzip: ${(error as Error).message}`);
  }
  refuseBombRatio('the archive', gz.length, tar.length);
  return tar;
}

function text(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? length : end).toString('utf8');
}

function octal(block: Buffer, start: number, length: number, what: string): number {
  if ((block[start]! & 0x80) !== 0) throw packageError(`a tar header's ${what} is in base-256 (only archives under 8 GiB exist here)`);
  const digits = text(block, start, length).trim();
  if (!/^[0-7]*$/.test(digits)) throw packageError(`a tar header's ${what} is not octal`);
  return digits === '' ? 0 : parseInt(digits, 8);
}

function checksumHolds(block: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return octal(block, 148, 8, 'checksum') === sum;
}

/** pax records: `LEN key=value\n`; only `path` and `size` matter here, the rest is ignored. */
function paxRecords(data: Buffer): { path?: string; size?: number } {
  const result: { path?: string; size?: number } = {};
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const length = Number(data.subarray(at, space).toString('ascii'));
    if (space === -1 || !Number.isSafeInteger(length) || length <= space - at || at + length > data.length) throw packageError('a malformed pax header');
    const record = data.subarray(space + 1, at + length - 1).toString('utf8');
    const equals = record.indexOf('=');
    const [key, value] = [record.slice(0, equals), record.slice(equals + 1)];
    if (key === 'path') result.path = value;
    if (key === 'size') {
      if (!/^\d{1,12}$/.test(value)) throw packageError('a pax size that is not a number');
      result.size = Number(value);
    }
    at += length;
  }
  return result;
}

/**
 * Reads an (uncompressed) tar: regular files and folders only, each name checked, at most
 * `maxEntries`, every file within its cap. Links, devices, FIFOs and unknown kinds are refused,
 * as is an archive that ends before its end-of-archive block. Returns each file by its name.
 */
export function readTar(tar: Buffer): Map<string, Buffer> {
  const ledger = new EntryLedger();
  const files = new Map<string, Buffer>();
  let offset = 0;
  let headers = 0;
  let pending: { path?: string; size?: number } = {};
  for (;;) {
    if (offset + BLOCK > tar.length) throw packageError('the tar archive is truncated (no end-of-archive block)');
    const block = tar.subarray(offset, offset + BLOCK);
    if (block.every((byte) => byte === 0)) return files;
    if (++headers > MAX_HEADERS) throw packageError(`more than ${MAX_HEADERS} tar headers`);
    if (!checksumHolds(block)) throw packageError(`a tar header at byte ${offset} fails its checksum`);
    const type = String.fromCharCode(block[156]!);
    const size = pending.size ?? octal(block, 124, 12, 'size');
    const start = offset + BLOCK;
    if (start + size > tar.length) throw packageError('the tar archive is truncated (an entry runs past its end)');
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
    const data = tar.subarray(start, start + size);
    const ustar = text(block, 257, 6) === 'ustar';
    const prefix = ustar ? text(block, 345, 155) : '';
    const name = pending.path ?? (prefix ? `${prefix}/${text(block, 0, 100)}` : text(block, 0, 100));
    if (type === 'x' || type === 'g' || type === 'L') {
      if (size > MAX_META_BYTES) throw packageError(`a tar metadata header of ${size} bytes (the limit is ${MAX_META_BYTES})`);
      // A global header sets defaults for the rest of the archive: nothing here depends on them.
      if (type === 'x') pending = paxRecords(data);
      if (type === 'L') pending = { ...pending, path: text(data, 0, data.length) };
      continue;
    }
    pending = {};
    if (type === '1' || type === '2' || type === 'K') throw packageError(`the entry ${JSON.stringify(name.slice(0, 80))} is a link; a package holds plain files only`);
    if (type === '3' || type === '4' || type === '6') throw packageError(`the entry ${JSON.stringify(name.slice(0, 80))} is a device or FIFO; a package holds plain files only`);
    if (type === '5') {
      ledger.admit(name, null);
      continue;
    }
    if (type !== '0' && type !== '\0' && type !== '7') throw packageError(`the entry ${JSON.stringify(name.slice(0, 80))} has the unknown tar type ${JSON.stringify(type)}`);
    files.set(ledger.admit(name, size), data);
  }
}
