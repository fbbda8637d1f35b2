// Lint: typescript-eslint's recommended rules, and its type-aware rules for promises
// (which is why TypeScript is pinned to 5.9: typescript-eslint needs the compiler API that
// TypeScript 7's native port does not have).
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
  {
    // Type-aware, on every file a package's tsconfig.json holds: a promise nobody awaits
    // loses its rejection, and one passed where a void callback is expected runs unawaited.
    files: ['packages/*/{src,test,bench,page}/**/*.ts', 'conformance/{src,test}/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    // A loss file reads its config and detail with the types the spec gives them
    // (CallPlan<L>); a cast there would hide a typo such as `detail.fromLogit`.
    files: ['packages/backend-*/src/**/*.ts', 'packages/tfjs/src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...['TSAsExpression', 'TSTypeAssertion'].flatMap((assertion) =>
          [
            `${assertion} > MemberExpression.expression[property.name=/^(detail|config)$/]`,
            `${assertion} > MemberExpression.expression > MemberExpression.object[property.name=/^(detail|config)$/]`,
            `${assertion} > Identifier.expression[name=/^(detail|config)$/]`,
          ].map((selector) => ({
            selector,
            message: "No type assertion on a plan's detail or config: CallPlan<L> types them from the spec.",
          })),
        ),
      ],
    },
  },
);
