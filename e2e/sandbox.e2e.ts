import { describe } from 'vitest';
import { launchWebApp } from './fixtures/app-under-test.js';
import { useApp } from './fixtures/use-app.js';
import { sandboxScenarios } from './scenarios/sandbox.scenarios.js';

describe('sandbox in the browser, against amk serve', () => {
  sandboxScenarios(useApp(launchWebApp, { slots: 2 }));
});
