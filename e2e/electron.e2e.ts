import { describe } from 'vitest';
import { launchElectronApp } from './fixtures/app-under-test.js';
import { electronUnavailable } from './fixtures/paths.js';
import { useApp } from './fixtures/use-app.js';
import { KV_MEMORY_SETUP, kvMemoryScenarios } from './scenarios/kv-memory.scenarios.js';
import { LOAD_SETUP, loadScenarios } from './scenarios/load.scenarios.js';
import { MODELS_SETUP, modelsScenarios } from './scenarios/models.scenarios.js';
import { sandboxScenarios } from './scenarios/sandbox.scenarios.js';
import { taskManagerScenarios } from './scenarios/task-manager.scenarios.js';
import { TOOLS_SETUP, toolsScenarios } from './scenarios/tools.scenarios.js';

/** The same scenarios in the Electron app (kernel in the main process, `window.amk` preload). */
const unavailable = electronUnavailable();
if (unavailable) console.warn(`e2e: skipping the Electron variant: ${unavailable}`);

describe.skipIf(unavailable !== null)(`Electron app${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  describe('task manager', () => taskManagerScenarios(useApp(launchElectronApp, { slots: 2 })));
  describe('sandbox', () => sandboxScenarios(useApp(launchElectronApp, { slots: 2 })));
  describe('KV memory, one slot and a small context', () => kvMemoryScenarios(useApp(launchElectronApp, KV_MEMORY_SETUP)));
  describe('models, first run without one', () => modelsScenarios(useApp(launchElectronApp, MODELS_SETUP)));
  describe('many agents', () => loadScenarios(useApp(launchElectronApp, LOAD_SETUP)));
  describe('third-party tools', () => toolsScenarios(useApp(launchElectronApp, TOOLS_SETUP)));
});
