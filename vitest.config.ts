import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Native addons (llama.cpp, LanceDB) want processes, not worker threads.
    pool: 'forks',
    globalSetup: ['./vitest.global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: 'node', environment: 'node', include: ['src-main/**/*.test.ts', 'src-shared/**/*.test.ts', 'bench/**/*.test.ts'] },
      },
      {
        extends: true,
        test: { name: 'renderer', environment: 'jsdom', include: ['src-renderer/**/*.test.{ts,tsx}'] },
      },
    ],
  },
});
