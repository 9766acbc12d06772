import { describe } from 'vitest';
import { testChatModelPath } from '../src-main/test-support/fixtures.js';
import { launchWebApp, type LaunchOptions } from './fixtures/app-under-test.js';
import { useApp } from './fixtures/use-app.js';
import { REAL_MODEL_SETUP, realModelScenarios } from './scenarios/real-model.scenarios.js';

/** Missing, the real model fails the launch with the one line that says how to get it (`npm run models:test`). */
const launchWithRealModel = (options: LaunchOptions) => launchWebApp({ ...options, modelPath: testChatModelPath() });

describe('an agent doing its job on the real instruct model, in the browser against amk serve', () => {
  realModelScenarios(useApp(launchWithRealModel, REAL_MODEL_SETUP));
});
