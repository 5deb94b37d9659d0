// ESLint flat config: typescript-eslint + Svelte, plus the layer boundaries of STYLE.md:
// native/** never imports Electron or the renderer; the renderer imports only native/contract.
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'release/**', 'node_modules/**', 'test-results/**', 'playwright-report/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-empty-pattern': 'off',
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser }, globals: { ...globals.browser } },
    rules: {
      // State classes hold pixel arrays and caches in $state.raw and replace whole values; their
      // private Maps/Sets are deliberately not reactive (a SvelteMap would track every read).
      'svelte/prefer-svelte-reactivity': 'off',
    },
  },
  {
    files: ['renderer/src/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['native/**/*.ts', 'native/**/*.mjs'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'native/** is plain Node: pass what Electron knows in from electron/.' },
          ],
          patterns: [
            { group: ['**/renderer/**', 'electron/*'], message: 'native/** may not import the renderer or Electron.' },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/src/**/*.ts', 'renderer/src/**/*.svelte'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The renderer talks to the core only through the contract.' }],
          patterns: [
            {
              group: ['**/native/**', '!**/native/contract', '!**/native/contract/**'],
              message: 'The renderer may import only native/contract.',
            },
            { group: ['**/electron/**'], message: 'The renderer may import only native/contract.' },
            { group: ['node:*'], message: 'The renderer is browser code.' },
          ],
        },
      ],
    },
  },
  {
    files: ['electron/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/renderer/**'], message: 'The shell loads the built renderer; it never imports it.' },
          ],
        },
      ],
    },
  },
);
