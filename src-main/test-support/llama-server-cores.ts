import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findLlamaServer, LlamaServer } from '../../bench/peers/llama-server.js';
import { testModelPath } from './fixtures.js';

/** llama.cpp's server for the cores tests; not built, the tests fail with how to build it (never skip). */
export function requireLlamaServer(): NonNullable<ReturnType<typeof findLlamaServer>> {
  const peer = findLlamaServer();
  if (!peer) throw new Error('llama-server is not built: run npm run peers:build');
  return peer;
}

export interface TestMachine {
  server: LlamaServer;
  url: string;
  port: number;
  saveDir: string;
  dispose: () => Promise<void>;
}

/**
 * One "machine": llama-server on loopback with the tiny test model, 1 thread, `slots` slots of
 * `slotContext` tokens each, and a slot-save directory (swap on the remote side). `port` brings a
 * machine back at the address it had.
 */
export async function startMachine(slotContext: number, options: { slots?: number; port?: number; saveDir?: string } = {}): Promise<TestMachine> {
  const saveDir = options.saveDir ?? mkdtempSync(join(tmpdir(), 'amk-core-slots-'));
  const server = await LlamaServer.start(requireLlamaServer(), {
    modelPath: testModelPath(),
    slots: options.slots ?? 2,
    threads: 1,
    slotContext,
    extraArgs: ['--slot-save-path', `${saveDir}/`, ...(options.port ? ['--port', String(options.port)] : [])],
  });
  return {
    server,
    port: server.port,
    url: `http://127.0.0.1:${server.port}`,
    saveDir,
    dispose: async () => {
      await server.stop();
      if (!options.saveDir) rmSync(saveDir, { recursive: true, force: true });
    },
  };
}
