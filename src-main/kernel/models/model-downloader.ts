import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { DownloadProgress } from '../../../src-shared/index.js';
import { KernelError } from '../core/kernel-error.js';
import { describeModelFile } from '../llm/index.js';

export interface DownloadOptions {
  id: string;
  url: string;
  /** Where the verified file ends up; `<target>.partial` holds the bytes so far, across restarts. */
  target: string;
  expectedBytes?: number;
  sha256: string | null;
  /** Attempts in a row that may fail without a byte arriving; an attempt that made progress does not count. */
  retries?: number;
  backoffMs?: number;
  /** An attempt that receives nothing for this long is dropped and resumed (a dead link after sleep). */
  stallTimeoutMs?: number;
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
}

interface PartialMeta {
  url: string;
  expectedBytes: number | null;
  sha256: string | null;
  /** The server's ETag (or Last-Modified) for the bytes in the partial: sent as If-Range on resume. */
  validator?: string | null;
}

async function readMeta(path: string): Promise<PartialMeta | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as PartialMeta;
  } catch {
    // Missing, or torn by a crash mid-write: the partial cannot be trusted to continue.
    return null;
  }
}

async function writeMeta(path: string, meta: PartialMeta): Promise<void> {
  await writeFile(`${path}.tmp`, JSON.stringify(meta));
  await rename(`${path}.tmp`, path);
}

/** Errors of the disk, not the network: retrying will not help, and the user has to act. */
const DISK_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EIO']);

/**
 * Bytes per second over the last few seconds: recent enough to follow a changing link, long
 * enough not to jump, and 0 (unknown) for the first second rather than a wild first guess.
 */
class SpeedMeter {
  private readonly samples: { at: number; bytes: number }[];
  private readonly began = performance.now();

  constructor(startBytes: number) {
    this.samples = [{ at: this.began, bytes: startBytes }];
  }

  sample(now: number, bytes: number): number {
    this.samples.push({ at: now, bytes });
    while (this.samples.length > 2 && now - this.samples[0]!.at > 5_000) this.samples.shift();
    if (now - this.began < 1_000) return 0;
    const oldest = this.samples[0]!;
    return ((bytes - oldest.bytes) * 1000) / Math.max(1, now - oldest.at);
  }
}

const MAX_BACKOFF_MS = 30_000;

/** Bytes in a file, or 0 when there is none yet. */
function sizeOf(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

/** Waits, or stops waiting as soon as the download is cancelled. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

const RETRYABLE = (status: number): boolean => status === 408 || status === 429 || status >= 500;

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Downloads a model so that it survives what users run into: an interrupted transfer resumes
 * from the partial file with an HTTP Range request (also after an app restart), failures are
 * retried with backoff, and the file is checked (size, sha256) before an atomic rename puts it
 * in place. A file that fails its check is removed, never used.
 */
export async function downloadModel(options: DownloadOptions): Promise<{ path: string; bytes: number; sha256: string; resumedFrom: number }> {
  const partial = `${options.target}.partial`;
  const metaPath = `${partial}.json`;
  const retries = options.retries ?? 5;
  const meta: PartialMeta = { url: options.url, expectedBytes: options.expectedBytes ?? null, sha256: options.sha256, validator: null };
  // A partial from another URL or checksum is not ours to continue.
  if (existsSync(partial)) {
    const saved = await readMeta(metaPath);
    if (!saved || saved.url !== meta.url || saved.sha256 !== meta.sha256) await rm(partial, { force: true });
    else meta.validator = saved.validator ?? null;
  }
  await writeMeta(metaPath, meta);
  const resumedFrom = sizeOf(partial);
  let total = options.expectedBytes ?? 0;
  const report = (state: DownloadProgress['state'], received: number, speed: number, attempt: number, error?: string): void => {
    options.onProgress?.({
      id: options.id,
      file: basename(options.target),
      receivedBytes: received,
      totalBytes: total,
      bytesPerSecond: speed,
      secondsLeft: speed > 0 && total > 0 ? Math.max(0, (total - received) / speed) : null,
      state,
      attempt,
      ...(error ? { error } : {}),
    });
  };

  let lastError = 'no attempt made';
  let failuresInARow = 0;
  const stallMs = options.stallTimeoutMs ?? 30_000;
  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) throw new KernelError('INVALID_STATE', `download of ${options.id} was cancelled; ${partial} is kept to resume`);
    const start = sizeOf(partial);
    if (total > 0 && start === total) break;
    // Each attempt has its own abort: the user's cancel, or the watchdog when data stops coming.
    const attemptAbort = new AbortController();
    const cancel = (): void => attemptAbort.abort();
    options.signal?.addEventListener('abort', cancel, { once: true });
    let stalled = false;
    let watchdog: NodeJS.Timeout | undefined;
    const rearm = (): void => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        stalled = true;
        attemptAbort.abort();
      }, stallMs);
    };
    let received = start;
    try {
      rearm();
      // If-Range: should the file have changed upstream since the partial began, the server sends it whole.
      const headers: Record<string, string> = start > 0 ? { range: `bytes=${start}-`, ...(meta.validator ? { 'if-range': meta.validator } : {}) } : {};
      const response = await fetch(options.url, { headers, signal: attemptAbort.signal });
      if (response.status === 416 && start > 0) {
        // Longer than the file: start over. Otherwise it is as long as the file: go and check it.
        if (total > 0 && start > total) {
          await truncate(partial, 0);
          continue;
        }
        break;
      }
      if (!response.ok) {
        lastError = `HTTP ${response.status} from ${new URL(options.url).host}`;
        if (!RETRYABLE(response.status)) throw new KernelError('MODEL_NOT_FOUND', `cannot download ${options.id}: ${lastError}`);
        throw new Error(lastError);
      }
      const appending = response.status === 206 && start > 0;
      if (!appending && start > 0) await truncate(partial, 0);
      const validator = response.headers.get('etag') ?? response.headers.get('last-modified');
      if (!appending && validator !== meta.validator) {
        meta.validator = validator;
        await writeMeta(metaPath, meta);
      }
      const length = Number(response.headers.get('content-length') ?? 0);
      if (length > 0) total = (appending ? start : 0) + length;
      received = appending ? start : 0;
      const out = createWriteStream(partial, { flags: appending ? 'a' : 'w' });
      // A write error (a full disk) must end this attempt, not the process: it is kept and rethrown here.
      let writeError: NodeJS.ErrnoException | null = null;
      out.on('error', (error) => (writeError = error));
      const meter = new SpeedMeter(received);
      let lastReport = 0;
      try {
        for await (const chunk of response.body ?? []) {
          const bytes = chunk as Uint8Array;
          rearm();
          received += bytes.length;
          if (writeError) throw writeError;
          if (!out.write(bytes)) {
            // Both listeners go once either fires: one wait per full buffer would otherwise leave an
            // 'error' listener behind each time (MaxListenersExceededWarning past ten).
            await new Promise<void>((resolve) => {
              const done = (): void => {
                out.off('drain', done);
                out.off('error', done);
                resolve();
              };
              out.once('drain', done);
              out.once('error', done);
            });
          }
          const now = performance.now();
          if (now - lastReport > 250) {
            lastReport = now;
            report('downloading', received, meter.sample(now, received), attempt);
          }
        }
      } finally {
        await new Promise<void>((resolve) => {
          if (out.destroyed) return resolve();
          out.end(() => resolve());
          out.once('error', () => resolve());
        });
      }
      if (writeError) throw writeError;
      if (total > 0 && received < total) throw new Error(`the connection ended after ${received} of ${total} bytes`);
      break;
    } catch (error) {
      if (error instanceof KernelError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code && DISK_ERRORS.has(code)) {
        throw new KernelError('INTERNAL', `cannot write ${partial}: ${(error as Error).message}; free some space (or fix the folder's permissions) and download again: it resumes`);
      }
      if (options.signal?.aborted) throw new KernelError('INVALID_STATE', `download of ${options.id} was cancelled; ${partial} is kept to resume`);
      lastError = stalled ? `no data for ${Math.round(stallMs / 1000)} s (stalled)` : (error as Error).message;
      failuresInARow = received > start ? 0 : failuresInARow + 1;
      if (failuresInARow > retries) throw new KernelError('MODEL_NOT_FOUND', `download of ${options.id} failed after ${attempt} attempts: ${lastError}; ${partial} is kept to resume`);
      const got = sizeOf(partial);
      report('retrying', got, 0, attempt, lastError);
      await pause(Math.min(MAX_BACKOFF_MS, (options.backoffMs ?? 500) * 2 ** Math.max(0, failuresInARow - 1)), options.signal);
    } finally {
      clearTimeout(watchdog);
      options.signal?.removeEventListener('abort', cancel);
    }
  }

  const size = statSync(partial).size;
  report('verifying', size, 0, 0);
  const fail = async (reason: string): Promise<never> => {
    await rm(partial, { force: true });
    await rm(metaPath, { force: true });
    const error = new KernelError('MODEL_INVALID', `downloaded ${options.id} is not the expected file (${reason}); it was removed`);
    report('failed', size, 0, 0, error.message);
    throw error;
  };
  if (options.expectedBytes !== undefined && size !== options.expectedBytes) await fail(`${size} bytes instead of ${options.expectedBytes}`);
  const digest = await sha256Of(partial);
  if (options.sha256 && digest !== options.sha256) await fail(`sha256 ${digest.slice(0, 12)}… instead of ${options.sha256.slice(0, 12)}…`);
  // Without a pinned checksum, the GGUF header is the last line of defence against a broken file.
  await describeModelFile(partial).catch((error: unknown) => fail((error as Error).message.replace(`${partial} `, '')));
  await rename(partial, options.target);
  await rm(metaPath, { force: true });
  report('done', size, 0, 0);
  return { path: options.target, bytes: size, sha256: digest, resumedFrom };
}
