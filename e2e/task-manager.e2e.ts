import { describe } from 'vitest';
import { launchWebApp } from './fixtures/app-under-test.js';
import { useApp } from './fixtures/use-app.js';
import { taskManagerScenarios } from './scenarios/task-manager.scenarios.js';

describe('task manager in the browser, against amk serve', () => {
  taskManagerScenarios(useApp(launchWebApp, { slots: 2 }));
});
