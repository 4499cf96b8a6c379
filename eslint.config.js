const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

/** Test-only tooling (the IAM evaluator is AGPL-3.0; pg and the stand-ins are devDependencies): never in shipped code. */
const TEST_ONLY = {
  group: ['@cloud-copilot/*', 'pg', 'dynalite', 's3rver', 'aws-local-stepfunctions', '**/rehearsal/**', '**/test/**'],
  message: 'Shipped code (src, functions, stacks, main.ts) never imports test/rehearsal tooling: the IAM evaluator is AGPL-3.0 and must not reach a bundle.',
};
/** The PostgreSQL driver is shipped only where the audit trail speaks to its database (AUDIT-1). */
const TEST_ONLY_BUT_PG = { ...TEST_ONLY, group: TEST_ONLY.group.filter((name) => name !== 'pg') };
/** ARCH-1: the pure core (domain, matching, recon types) reaches no AWS, storage, I/O, adapter or runtime. */
const PURE_CORE = {
  group: ['@aws-sdk/*', '@middy/*', 'better-sqlite3', 'pg', '@duckdb/*', 'duckdb', 'cdktf', '@cdktf/*', 'node:fs', 'fs', 'node:fs/*', 'fs/*', '**/adapters/**', '**/runtime/**'],
  message: 'The core is pure (ARCH-1): no AWS, storage, file-system, adapter or runtime imports.',
};
/** ARCH-1: only the AWS adapters and the Lambda handlers speak to AWS. */
const NO_AWS_SDK = { group: ['@aws-sdk/*'], message: 'Only src/adapters/aws/** and functions/** import the AWS SDK (ARCH-1): go through a port and its AWS adapter.' };
/** ARCH-1: use cases work over ports, never adapters or storage. */
const USE_CASE = {
  group: ['**/adapters/**', 'better-sqlite3', 'pg', '@duckdb/*', '@aws-sdk/*'],
  message: 'A use case imports ports, domain and matching (ARCH-1), never an adapter, the AWS SDK or a database driver.',
};
/** ARCH-1: reconciliation reaches embedded adapters only through its own (src/adapters/embedded/recon-*.ts), and never the posting runtime. */
const RECON_EMBEDDED = {
  group: ['**/adapters/embedded/*', '!**/adapters/embedded/recon-*', '**/runtime/**'],
  message: 'Reconciliation imports embedded adapters only through src/adapters/embedded/recon-*.ts, and never src/runtime/** (ARCH-1).',
};
const PROVIDER_ROOT = { name: '@cdktf/provider-aws', message: 'Import provider resources by submodule (@cdktf/provider-aws/lib/<resource>): the root costs ~6 s and 700 MB.' };

/** Pure-core files (ARCH-1). */
const CORE_FILES = ['src/domain/**/*.ts', 'src/recon/matching/**/*.ts', 'src/recon/types.ts', 'src/recon/ledger-rows.ts', 'src/notify/**/*.ts', 'src/api/**/*.ts', 'src/audit-trail/**/*.ts'];

/**
 * Layer boundaries. Flat config gives a file the options of the LAST object that matches it
 * (replaced, never merged), so each file set lists every pattern that applies to it.
 */
function boundaries() {
  const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
  return [
    { files: ['src/**/*.ts'], ignores: ['src/adapters/aws/**'], rules: restrict(TEST_ONLY, NO_AWS_SDK) },
    { files: ['src/adapters/aws/**/*.ts', 'functions/**/*.ts'], rules: restrict(TEST_ONLY) },
    { files: ['src/recon/**/*.ts'], rules: restrict(TEST_ONLY, NO_AWS_SDK, RECON_EMBEDDED) },
    { files: ['src/use-cases/**/*.ts'], rules: restrict(TEST_ONLY, USE_CASE) },
    { files: CORE_FILES, rules: restrict(PURE_CORE, TEST_ONLY) },
    { files: ['src/adapters/postgres/**/*.ts', 'src/cli/audit-command.ts'], rules: restrict(TEST_ONLY_BUT_PG, NO_AWS_SDK) },
    { files: ['functions/audit-stream/**/*.ts'], rules: restrict(TEST_ONLY_BUT_PG) },
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
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', process: 'readonly', __dirname: 'readonly', __filename: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // Layer boundaries (ARCH-1). One no-restricted-imports per file set (flat config replaces, never merges, a rule's options).
  ...boundaries(),
);
