import { describe } from 'vitest';
import { launchWebApp } from './fixtures/app-under-test.js';
import { useApp } from './fixtures/use-app.js';
import { LAYOUT_SETUP, layoutScenarios } from './scenarios/layout.scenarios.js';

describe('layout at 1400×900, 1024×700 and 800×600 in the browser, against amk serve', () => {
  layoutScenarios(useApp(launchWebApp, LAYOUT_SETUP));
});
