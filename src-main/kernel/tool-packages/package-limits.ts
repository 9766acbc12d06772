import { KernelError } from '../core/kernel-error.js';

/**
 * What a tool package may hold. Every reader checks these where it reads (an entry's announced
 * size before its bytes are copied or inflated, the count before the next header), so a hostile
 * archive costs at most these bounds in memory and time.
 */
export const PACKAGE_LIMITS = {
  maxEntries: 16,
  /** Per file; any other file in an archive is counted and dropped. */
  caps: { 'tool.json': 64 * 1024, 'plugin.wasm': 32 * 1024 * 1024, 'plugin.sig': 4 * 1024 } as Record<string, number>,
  otherFileBytes: 1024 * 1024,
  totalBytes: 40 * 1024 * 1024,
  /** The archive (or download, or upload) itself. */
  archiveBytes: 41 * 1024 * 1024,
  /** An entry inflating to more than this many times its compressed size (past 1 MiB) announces a bomb. */
  maxRatio: 100,
  ratioFloorBytes: 1024 * 1024,
  maxNameBytes: 255,
} as const;

export function packageError(message: string, reason = 'invalid-package'): KernelError {
  return new KernelError('INVALID_REQUEST', message, { reason });
}

/** The cap of one file, by its base name. */
export function capOf(path: string): number {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return PACKAGE_LIMITS.caps[base] ?? PACKAGE_LIMITS.otherFileBytes;
}

/**
 * An entry's name as a relative path with no `.` or empty segments, or a refusal: absolute paths,
 * drive letters, backslashes, NUL and `..` never name anything in a package.
 */
export function normalizeEntryName(raw: string): string {
  const shown = JSON.stringify(raw.slice(0, 80));
  if (Buffer.byteLength(raw) > PACKAGE_LIMITS.maxNameBytes) throw packageError(`an entry name of ${Buffer.byteLength(raw)} bytes (the limit is ${PACKAGE_LIMITS.maxNameBytes})`);
  if (raw.includes('\0') || raw.includes('\\')) throw packageError(`the entry ${shown} has a NUL or a backslash in its name`);
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) throw packageError(`the entry ${shown} has an absolute path`);
  const segments = raw.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) throw packageError(`the entry ${shown} climbs out of the package with ".."`);
  return segments.join('/');
}

/** Counts entries, refuses duplicates and adds up sizes, for either reader. */
export class EntryLedger {
  private readonly names = new Set<string>();
  private total = 0;

  /** Records one entry (a file with its size, or a folder with null); returns its normalized name. */
  admit(raw: string, size: number | null): string {
    const name = normalizeEntryName(raw);
    if (this.names.size >= PACKAGE_LIMITS.maxEntries) throw packageError(`more than ${PACKAGE_LIMITS.maxEntries} entries in the archive`);
    if (this.names.has(name)) throw packageError(`the entry ${JSON.stringify(name.slice(0, 80))} appears twice`);
    this.names.add(name);
    if (size === null) return name;
    const cap = capOf(name);
    if (size > cap) throw packageError(`${name.slice(0, 80)} is ${size} bytes, over its cap of ${cap}`);
    this.total += size;
    if (this.total > PACKAGE_LIMITS.totalBytes) throw packageError(`the archive holds more than ${PACKAGE_LIMITS.totalBytes} bytes uncompressed`);
    return name;
  }
}

/** The compression ratio check: a small entry may compress well, a large one that compresses absurdly is a bomb. */
export function refuseBombRatio(what: string, compressed: number, uncompressed: number): void {
  if (uncompressed > PACKAGE_LIMITS.ratioFloorBytes && uncompressed > compressed * PACKAGE_LIMITS.maxRatio) {
    throw packageError(`${what} announces ${uncompressed} bytes from ${compressed} compressed (a ratio over ${PACKAGE_LIMITS.maxRatio}:1): refused as a compression bomb`);
  }
}
