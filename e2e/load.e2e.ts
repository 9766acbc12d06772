import { describe } from 'vitest';
import { launchWebApp } from './fixtures/app-under-test.js';
import { useApp } from './fixtures/use-app.js';
import { LOAD_SETUP, loadScenarios } from './scenarios/load.scenarios.js';

describe('many agents in the browser, against amk serve', () => {
  loadScenarios(useApp(launchWebApp, LOAD_SETUP));
});
