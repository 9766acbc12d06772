import { describe } from 'vitest';
import { launchWebApp } from './fixtures/app-under-test.js';
import { useApp } from './fixtures/use-app.js';
import { TOOLS_SETUP, toolsScenarios } from './scenarios/tools.scenarios.js';

describe('third-party tools in the browser, against amk serve', () => {
  toolsScenarios(useApp(launchWebApp, TOOLS_SETUP));
});
