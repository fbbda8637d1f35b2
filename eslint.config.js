// Lint: typescript-eslint's recommended rules (which is why TypeScript is pinned to 5.9:
// typescript-eslint needs the compiler API that TypeScript 7's native port does not have).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/dist-page/**',
      '.venv/**',
      '**/dashboard-out/**',
      '**/node_modules/**',
      '**/.turbo/**',
      'bench-results/**',
      'dashboard-out/**',
      '**/test-output/**',
      'conformance/golden/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        globalThis: 'readonly',
        performance: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        navigator: 'readonly',
        window: 'readonly',
        document: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
);
