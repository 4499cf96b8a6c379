const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

/** Test-only tooling (the IAM evaluator is AGPL-3.0; pg and the stand-ins are devDependencies): never in shipped code. */
const TEST_ONLY = {
  group: ['@cloud-copilot/*', 'pg', 'dynalite', 's3rver', 'aws-local-stepfunctions', '**/rehearsal/**', '**/test/**'],
  message: 'Shipped code (src, functions, stacks, main.ts) never imports test/rehearsal tooling: the IAM evaluator is AGPL-3.0 and must not reach a bundle.',
};
const PURE_CORE = { group: ['@aws-sdk/*', '@middy/*', 'better-sqlite3', 'cdktf', '@cdktf/*', 'node:fs', 'fs'], message: 'The domain core is pure: no AWS, storage or I/O imports.' };
const PROVIDER_ROOT = { name: '@cdktf/provider-aws', message: 'Import provider resources by submodule (@cdktf/provider-aws/lib/<resource>): the root costs ~6 s and 700 MB.' };

function boundaries() {
  return [
    { files: ['src/**/*.ts', 'functions/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [TEST_ONLY] }] } },
    { files: ['src/domain/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [PURE_CORE, TEST_ONLY] }] } },
    { files: ['stacks/**/*.ts', 'main.ts'], rules: { 'no-restricted-imports': ['error', { paths: [PROVIDER_ROOT], patterns: [TEST_ONLY] }] } },
    { files: ['test/**/*.ts', 'rehearsal/**/*.ts'], rules: { 'no-restricted-imports': ['error', { paths: [PROVIDER_ROOT] }] } },
  ];
}

module.exports = tseslint.config(
  { ignores: ['node_modules/**', 'cdktf.out/**', 'dist/**', 'coverage/**', '.tmp/**', 'reports/**', '**/*.js', '!bin/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: "CallExpression[callee.name='parseFloat']", message: 'Money is exact: use src/domain/money.ts, never floats.' }],
    },
  },
  {
    files: ['bin/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', process: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // Layer boundaries. One no-restricted-imports per file set (flat config replaces, never merges, a rule's options).
  ...boundaries(),
);
