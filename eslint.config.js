const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

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
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@aws-sdk/*', '@middy/*', 'better-sqlite3', 'cdktf', '@cdktf/*', 'node:fs', 'fs'], message: 'The domain core is pure: no AWS, storage or I/O imports.' }] },
      ],
    },
  },
  {
    files: ['stacks/**/*.ts', 'main.ts', 'test/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: '@cdktf/provider-aws', message: 'Import provider resources by submodule (@cdktf/provider-aws/lib/<resource>): the root costs ~6 s and 700 MB.' }] },
      ],
    },
  },
);
