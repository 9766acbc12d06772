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
      {
        // End-to-end: `amk serve` (or the Electron app) driven through Chromium. Needs `npm run build`.
        // One file at a time, after the other projects, so the kernel and the browser have the machine.
        extends: true,
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['e2e/**/*.e2e.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
