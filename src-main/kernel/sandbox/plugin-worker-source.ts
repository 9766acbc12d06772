import { WASI_SUBSET_SOURCE } from './wasi-subset.js';

/**
 * The code of a plugin's worker thread, as a string (it runs as a `data:` module, so it is the same
 * under the TypeScript sources and the built `dist/`). It runs the Extism plugin in the foreground
 * of this worker, so the plugin's memory, its host blocks and its output stay in the worker:
 *
 * - `alloc` (host blocks) is checked against the call's budget BEFORE it allocates; the SDK's own
 *   check runs after allocating, and keeps the block.
 * - a host call's argument length is checked before its bytes are read; the call then waits here
 *   (Atomics.wait) while the kernel's main thread answers it on a MessagePort.
 * - the output's length is checked here; only output within the cap is copied to the main thread.
 * - a plugin that imports the WASI subset gets the kernel's `SubsetWasi` (wasi-subset.ts) where the
 *   SDK would construct `node:wasi`'s WASI: this worker replaces that export before it loads the
 *   SDK, so no real descriptor, folder or environment variable is ever behind a plugin's WASI call.
 *
 * Any failure is posted as a message; an exception nobody caught ends the thread, which the main
 * thread sees as an 'error' or 'exit' event (never an uncaught exception of the kernel).
 */
export const PLUGIN_WORKER_SOURCE = String.raw`
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { randomFillSync } from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
${WASI_SUBSET_SOURCE}

const { limits, replies } = workerData;
const flag = new Int32Array(workerData.signal);
const clip = (text) => (text.length > 2000 ? text.slice(0, 2000) + '… (' + (text.length - 2000) + ' more characters)' : text);
const describe = (error) => clip(String(error && error.message !== undefined ? error.message : error));
let left = 0;

function alloc(context, size) {
  const bytes = Number(size);
  if (!(bytes >= 0) || bytes > left) {
    throw new Error('the plugin asked for ' + bytes + ' bytes of host memory, over what is left (' + left + ') of its ' + limits.hostBytes + '-byte budget for one call');
  }
  left -= bytes;
  return context.alloc(bytes);
}

function hostFunction(name) {
  return (context, offset) => {
    const length = Number(context.length(offset));
    if (length > limits.argBytes) {
      throw new Error(name + ' was passed ' + length + ' bytes, over the ' + limits.argBytes + '-byte limit for one host call');
    }
    const text = length === 0 ? '' : context.read(offset).text();
    Atomics.store(flag, 0, 0);
    parentPort.postMessage({ type: 'host', name, text });
    for (;;) {
      Atomics.wait(flag, 0, 0);
      const reply = receiveMessageOnPort(replies);
      if (reply) return context.store(reply.message);
    }
  };
}

const silent = { log() {}, info() {}, debug() {}, warn() {}, error() {}, trace() {} };
let plugin;
try {
  if (workerData.wasi) {
    const nodeWasi = await import('node:wasi');
    nodeWasi.default.WASI = SubsetWasi;
    syncBuiltinESMExports();
  }
  const sdk = await import(workerData.extismUrl);
  const createPlugin = sdk.createPlugin ?? sdk.default.createPlugin;
  plugin = await createPlugin(
    { wasm: [{ data: workerData.wasm }], memory: { maxVarBytes: limits.varBytes, maxHttpResponseBytes: 0 } },
    {
      useWasi: workerData.wasi,
      allowedPaths: {},
      enableWasiOutput: false,
      runInWorker: false,
      allowedHosts: [],
      config: {},
      logger: silent,
      logLevel: 'silent',
      functions: {
        'extism:host/env': { alloc },
        'extism:host/user': Object.fromEntries(workerData.hostNames.map((name) => [name, hostFunction(name)])),
      },
    },
  );
} catch (error) {
  parentPort.postMessage({ type: 'failed', message: describe(error) });
}

if (plugin) {
  parentPort.on('message', async (message) => {
    if (message.type !== 'call') return;
    left = limits.hostBytes;
    stderrTail = new Uint8Array(0);
    let result;
    try {
      const output = await plugin.call('run', message.input);
      const size = output ? output.byteLength : 0;
      result = size > limits.outputBytes
        ? { type: 'done', ok: false, output: size }
        : { type: 'done', ok: true, text: output ? output.text() : '' };
    } catch (error) {
      result = { type: 'done', ok: false, message: describe(error) + stderrSaid() };
    }
    parentPort.postMessage(result);
  });
  parentPort.postMessage({ type: 'ready' });
}
`;
