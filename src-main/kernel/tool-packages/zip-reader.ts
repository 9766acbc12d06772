import { promisify } from 'node:util';
import { inflateRaw } from 'node:zlib';
import { EntryLedger, PACKAGE_LIMITS, packageError, refuseBombRatio } from './package-limits.js';

const inflateRawAsync = promisify(inflateRaw);
const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 as zip uses it (Node 20's zlib does not export one). */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

interface CentralEntry {
  name: string;
  method: number;
  crc: number;
  compressed: number;
  size: number;
  localOffset: number;
  nameBytes: Buffer;
}

function findEndRecord(zip: Buffer): number {
  if (zip.length < 22) throw packageError('the zip archive is truncated (no end of central directory)');
  // The record sits at the end, after a comment of at most 65535 bytes.
  for (let at = zip.length - 22; at >= Math.max(0, zip.length - 22 - 0xffff); at--) {
    if (zip.readUInt32LE(at) === EOCD) return at;
  }
  throw packageError('the zip archive is truncated (no end of central directory)');
}

function centralEntries(zip: Buffer, ledger: EntryLedger): { entries: CentralEntry[]; directoryStart: number } {
  const end = findEndRecord(zip);
  const [disk, cdDisk, onDisk, total] = [zip.readUInt16LE(end + 4), zip.readUInt16LE(end + 6), zip.readUInt16LE(end + 8), zip.readUInt16LE(end + 10)];
  const [cdSize, cdOffset] = [zip.readUInt32LE(end + 12), zip.readUInt32LE(end + 16)];
  if (total === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) throw packageError('ZIP64 archives are not accepted (a package is far below 4 GiB)');
  if (disk !== 0 || cdDisk !== 0 || onDisk !== total) throw packageError('multi-part zip archives are not accepted');
  if (total > PACKAGE_LIMITS.maxEntries) throw packageError(`more than ${PACKAGE_LIMITS.maxEntries} entries in the archive (it announces ${total})`);
  if (cdOffset + cdSize > end) throw packageError('the zip central directory runs past its end record (truncated or damaged)');
  const entries: CentralEntry[] = [];
  let at = cdOffset;
  for (let i = 0; i < total; i++) {
    if (at + 46 > end || zip.readUInt32LE(at) !== CENTRAL) throw packageError(`zip central directory entry ${i} is damaged`);
    const [madeBy, flags, method] = [zip.readUInt16LE(at + 4), zip.readUInt16LE(at + 8), zip.readUInt16LE(at + 10)];
    const [crc, compressed, size] = [zip.readUInt32LE(at + 16), zip.readUInt32LE(at + 20), zip.readUInt32LE(at + 24)];
    const [nameLength, extraLength, commentLength] = [zip.readUInt16LE(at + 28), zip.readUInt16LE(at + 30), zip.readUInt16LE(at + 32)];
    const [external, localOffset] = [zip.readUInt32LE(at + 38), zip.readUInt32LE(at + 42)];
    const next = at + 46 + nameLength + extraLength + commentLength;
    if (next > end) throw packageError(`zip central directory entry ${i} runs past the directory`);
    const nameBytes = zip.subarray(at + 46, at + 46 + nameLength);
    let name: string;
    try {
      name = new TextDecoder('utf-8', { fatal: true }).decode(nameBytes);
    } catch {
      throw packageError(`zip entry ${i} has a name that is not UTF-8`);
    }
    at = next;
    const shown = JSON.stringify(name.slice(0, 80));
    if (flags & 0x1) throw packageError(`the entry ${shown} is encrypted`);
    // Unix attributes sit in the high half when the archive was made on Unix (host 3).
    const mode = madeBy >> 8 === 3 ? external >>> 16 : 0;
    const kind = mode & 0o170000;
    if (kind === 0o120000) throw packageError(`the entry ${shown} is a symbolic link; a package holds plain files only`);
    if (kind !== 0 && kind !== 0o100000 && kind !== 0o040000) throw packageError(`the entry ${shown} is a device or FIFO; a package holds plain files only`);
    if (name.endsWith('/') || kind === 0o040000) {
      ledger.admit(name, null);
      continue;
    }
    if (method !== 0 && method !== 8) throw packageError(`the entry ${shown} uses compression method ${method} (only stored and deflate are read)`);
    if (method === 0 && compressed !== size) throw packageError(`the stored entry ${shown} announces ${compressed} bytes stored but ${size} uncompressed`);
    refuseBombRatio(`the entry ${shown}`, compressed, size);
    entries.push({ name: ledger.admit(name, size), method, crc, compressed, size, localOffset, nameBytes });
  }
  return { entries, directoryStart: cdOffset };
}

/**
 * Reads a zip by its central directory: at most `maxEntries`, every name checked, every file's
 * announced size within its cap before it is inflated (and inflated no further than that), its
 * CRC checked, no two entries sharing bytes (overlapping entries are the classic zip bomb).
 */
export async function readZip(zip: Buffer): Promise<Map<string, Buffer>> {
  const { entries, directoryStart } = centralEntries(zip, new EntryLedger());
  const spans: [number, number][] = [];
  const files = new Map<string, Buffer>();
  for (const entry of entries) {
    const shown = JSON.stringify(entry.name.slice(0, 80));
    const at = entry.localOffset;
    if (at + 30 > directoryStart || zip.readUInt32LE(at) !== LOCAL) throw packageError(`the local header of ${shown} is missing or damaged`);
    const [nameLength, extraLength] = [zip.readUInt16LE(at + 26), zip.readUInt16LE(at + 28)];
    const start = at + 30 + nameLength + extraLength;
    const end = start + entry.compressed;
    if (end > directoryStart) throw packageError(`the data of ${shown} runs into the central directory (truncated or damaged)`);
    if (!zip.subarray(at + 30, at + 30 + nameLength).equals(entry.nameBytes)) throw packageError(`the local header of ${shown} names another file`);
    spans.push([at, end]);
    const raw = zip.subarray(start, end);
    let data: Buffer;
    if (entry.method === 0) data = raw;
    else {
      try {
        data = await inflateRawAsync(raw, { maxOutputLength: Math.max(1, entry.size) });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ERR_BUFFER_TOO_LARGE') throw packageError(`${shown} inflates past the ${entry.size} bytes it announces: refused as a compression bomb`);
        throw packageError(`${shown} is not valid deflate data: ${(error as Error).message}`);
      }
    }
    if (data.length !== entry.size) throw packageError(`${shown} holds ${data.length} bytes, not the ${entry.size} it announces`);
    if (crc32(data) !== entry.crc) throw packageError(`${shown} fails its CRC check`);
    files.set(entry.name, data);
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i]![0] < spans[i - 1]![1]) throw packageError('two zip entries share bytes (an overlapping-entry bomb)');
  }
  return files;
}
