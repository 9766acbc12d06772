import { join } from 'node:path';
import type { KernelEvent } from '../../src-shared/index.js';
import { Kernel, type KernelConfig } from '../kernel/index.js';
import { installLastResort } from '../process-guard.js';
import { packageRoot } from '../settings.js';
import { removeConnectionFile, writeConnectionFile } from './connection-file.js';
import { startKernelServer, type KernelServer } from './kernel-server.js';

export interface ServeKernelOptions {
  /** The process's name in the last-resort handler's lines (`amk serve`, `amk mcp`, `app main`). */
  name: string;
  /** A kernel already booted, or the configuration to boot one with (and what to tell while it boots). */
  kernel: Kernel | { config: KernelConfig; observe?: (event: KernelEvent) => void };
  /** 0 picks a free port. */
  port: number;
  host?: string;
}

/** A kernel behind the loopback API with its serve.json written; `close` removes the file and closes the server. */
export interface ServedKernel {
  readonly kernel: Kernel;
  readonly server: KernelServer;
  /** Removes serve.json and closes the server, once; the kernel is the caller's to dispose. */
  close(): Promise<void>;
}

/**
 * The one way a long-running process (`amk serve`, `amk mcp` with a kernel of its own, the desktop
 * app) puts a kernel on loopback: boot it (unless given), install the last-resort handler with its
 * journal's flush, start the server, and write serve.json so `amk ps` and friends find it. When the
 * server cannot start (a port in use) nothing is written, a kernel booted here is disposed, and the
 * error is thrown for the caller to word.
 */
export async function serveKernel(options: ServeKernelOptions): Promise<ServedKernel> {
  const booted = !(options.kernel instanceof Kernel);
  const kernel = options.kernel instanceof Kernel ? options.kernel : await Kernel.boot(options.kernel.config, options.kernel.observe);
  // A bug that escapes every boundary's own handling is logged; a rejection does not stop the kernel.
  installLastResort(options.name, () => kernel.flushJournal());
  let server: KernelServer;
  try {
    server = await startKernelServer({
      kernel,
      port: options.port,
      rendererDir: join(packageRoot(), 'dist', 'renderer'),
      ...(options.host ? { host: options.host } : {}),
    });
  } catch (error) {
    if (booted) await kernel.dispose();
    throw error;
  }
  const { dataDir } = kernel.config;
  writeConnectionFile(dataDir, { url: server.url, token: server.token, pid: process.pid });
  let closing: Promise<void> | null = null;
  return {
    kernel,
    server,
    close: () => {
      // The file goes first: a client that reads it from now on finds no kernel rather than a closing one.
      closing ??= (async () => {
        removeConnectionFile(dataDir);
        await server.close();
      })();
      return closing;
    },
  };
}
