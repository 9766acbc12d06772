import { describe } from 'vitest';
import { launchWebApp } from './fixtures/app-under-test.js';
import { useApp } from './fixtures/use-app.js';
import { MODELS_SETUP, modelsScenarios } from './scenarios/models.scenarios.js';

describe('models in the browser, against amk serve started without a model', () => {
  modelsScenarios(useApp(launchWebApp, MODELS_SETUP));
});
