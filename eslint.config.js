import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      'dist',
      'dist-test',
      'dist-test-*',
      'test-results-*',
      'node_modules',
      'public',
      'reports',
      'test-results',
      'playwright-report',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      // Hooks that take an effect and its deps: their deps are checked as useEffect's.
      'react-hooks/exhaustive-deps': ['warn', { additionalHooks: '^useDrawAfterCommit$' }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/core/**/*.ts'],
    ignores: ['src/core/**/*.test.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        'window',
        'document',
        'self',
        'localStorage',
        'postMessage',
      ],
      'no-restricted-imports': [
        'error',
        { patterns: ['**/ui/**', '**/store/**', 'react', 'react-dom'] },
      ],
    },
  },
);
