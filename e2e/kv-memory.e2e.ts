import { describe } from 'vitest';
import { launchWebApp } from './fixtures/app-under-test.js';
import { useApp } from './fixtures/use-app.js';
import { KV_MEMORY_SETUP, kvMemoryScenarios } from './scenarios/kv-memory.scenarios.js';

describe('KV memory in the browser, against amk serve, with one slot and a small context', () => {
  kvMemoryScenarios(useApp(launchWebApp, KV_MEMORY_SETUP));
});
