import { afterAll, beforeAll, describe } from 'vitest';
import { findLlamaServer, LlamaServer } from '../bench/peers/llama-server.js';
import { launchWebApp } from './fixtures/app-under-test.js';
import { testModel } from './fixtures/paths.js';
import { useApp } from './fixtures/use-app.js';
import { CORES_SETUP, coresScenarios } from './scenarios/cores.scenarios.js';

/** llama.cpp's server, built by `npm run peers:build` (cached outside the repository). */
const peer = findLlamaServer();

describe.skipIf(!peer)('cores in the browser: a llama-server on loopback as a second machine', () => {
  let server: LlamaServer | null = null;
  beforeAll(async () => {
    server = await LlamaServer.start(peer!, { modelPath: testModel, slots: 2, threads: 1, slotContext: 2048 });
  });
  afterAll(async () => {
    await server?.stop();
  });
  coresScenarios(useApp(launchWebApp, CORES_SETUP), () => {
    if (!server) throw new Error('the llama-server did not start (see the beforeAll error)');
    return `http://127.0.0.1:${server.port}`;
  });
});
