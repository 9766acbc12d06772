import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Layering (VS Code's rooms): shared imports nothing; main and renderer import only shared; the kernel never imports electron. */
const noElectron = { name: 'electron', message: 'the kernel runs under plain Node: no electron imports below src-main/kernel' };

export default tseslint.config(
  // wasm-tools/**/*.ts is AssemblyScript: the asc compiler checks it, not typescript-eslint.
  { ignores: ['dist/**', 'release/**', 'node_modules/**', 'e2e/artifacts/**', 'wasm-tools/tools/**', 'wasm-tools/fixtures/**', 'wasm-tools/lib/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    files: ['src-shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/src-main/**', '**/src-renderer/**', 'node:*', 'electron'], message: 'src-shared imports nothing from other trees or Node' }] },
      ],
    },
  },
  {
    files: ['src-renderer/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/src-main/**', 'node:*', 'electron'], message: 'the renderer imports only src-shared' }] },
      ],
    },
  },
  {
    files: ['src-main/kernel/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron],
          patterns: [
            { group: ['**/src-renderer/**'], message: 'main imports only src-shared' },
            {
              // A subsystem is reached through its index.ts only.
              group: ['../llm/*', '!../llm/index.js', './llm/*', '!./llm/index.js', '../scheduler/*', '!../scheduler/index.js', './scheduler/*', '!./scheduler/index.js', '../tools/*', '!../tools/index.js', './tools/*', '!./tools/index.js', '../runtime/*', '!../runtime/index.js', './runtime/*', '!./runtime/index.js', '../sandbox/*', '!../sandbox/index.js', './sandbox/*', '!./sandbox/index.js', '../interrupts/*', '!../interrupts/index.js', './interrupts/*', '!./interrupts/index.js', '../ipc/*', '!../ipc/index.js', './ipc/*', '!./ipc/index.js', '../memory/*', '!../memory/index.js', './memory/*', '!./memory/index.js', '../mcp/*', '!../mcp/index.js', './mcp/*', '!./mcp/index.js', '../process/*', '!../process/index.js', './process/*', '!./process/index.js', '../tool-packages/*', '!../tool-packages/index.js', './tool-packages/*', '!./tool-packages/index.js', '../access/*', '!../access/index.js', './access/*', '!./access/index.js', '../models/*', '!../models/index.js', './models/*', '!./models/index.js'],
              message: 'import a subsystem through its index.ts',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src-main/**/*.ts'],
    ignores: ['src-main/kernel/**', 'src-main/app/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [noElectron], patterns: [{ group: ['**/src-renderer/**'], message: 'main imports only src-shared' }] }],
    },
  },
  {
    files: ['bin/**/*.js', 'scripts/**/*.{js,mjs}', 'wasm-tools/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', performance: 'readonly' } },
  },
);
