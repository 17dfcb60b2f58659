// Lint rules for the whole project: type-aware typescript-eslint, with the size limits that keep
// lib/ readable (docs/architecture.md says why). Formatting is Prettier's job (prettier.config.js).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'reports/',
      'test-output/',
      'fixtures/**/*.js',
      'fixtures/**/*.mjs',
      'servers/**/*.js',
      'servers/**/*.mjs',
      '**/*.py',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
  },
  {
    files: ['lib/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 500, skipBlankLines: false, skipComments: false }],
      'max-lines-per-function': ['error', { max: 100, skipBlankLines: false, skipComments: false, IIFEs: true }],
    },
  },
  {
    // Case tables are data: one long array per group, read entry by entry, never as a whole.
    files: ['lib/conformance/cases/**/*.ts'],
    rules: { 'max-lines': 'off' },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  prettier,
);
