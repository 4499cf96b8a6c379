/**
 * ARCH-1: the layer boundaries in eslint.config.js bite. Each rule is shown a fixture import it
 * must refuse (at a file path of the layer it guards) and one it must allow, through ESLint's own
 * API and the repository's config — so a config change that silently drops a rule fails here.
 */
import { ESLint } from 'eslint';
import { join } from 'node:path';

const ROOT = join(__dirname, '../../..');
// The repository's own flat config (CommonJS), passed in directly: jest cannot run ESLint's dynamic config import.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const config = require(join(ROOT, 'eslint.config.js')) as ESLint.Options['overrideConfig'];
const eslint = new ESLint({ cwd: ROOT, overrideConfigFile: true, overrideConfig: config });

async function restricted(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${source}\nexport const used = [x];\n`, { filePath: join(ROOT, file) });
  return result!.messages.filter((message) => message.ruleId === 'no-restricted-imports').map((message) => message.message);
}

/** [layer file, import specifier, refused?] */
const CASES: [string, string, boolean][] = [
  // The pure core: domain, matching, recon types.
  ...['src/domain/fixture.ts', 'src/recon/matching/fixture.ts', 'src/recon/types.ts'].flatMap((file): [string, string, boolean][] => [
    [file, 'node:fs', true],
    [file, 'fs', true],
    [file, '@aws-sdk/client-s3', true],
    [file, 'better-sqlite3', true],
    [file, '@duckdb/node-api', true],
    [file, file.startsWith('src/domain') ? '../adapters/embedded/database' : '../../adapters/aws/recon-s3', true],
    [file, file.startsWith('src/domain') ? '../runtime/embedded-runtime' : '../../runtime/embedded-runtime', true],
    [file, 'node:crypto', false],
    [file, file.startsWith('src/domain') ? './money' : '../../domain/money', false],
  ]),
  // Use cases: ports, domain, matching; never adapters, the AWS SDK or a database driver.
  ['src/use-cases/reconcile-run/fixture.ts', '../../adapters/embedded/recon-results', true],
  ['src/use-cases/reconcile-run/fixture.ts', '../../adapters/aws/recon-registry', true],
  ['src/use-cases/reconcile-run/fixture.ts', '@aws-sdk/client-s3', true],
  ['src/use-cases/reconcile-run/fixture.ts', 'better-sqlite3', true],
  ['src/use-cases/reconcile-run/fixture.ts', '../../ports/reconciliation', false],
  ['src/use-cases/reconcile-run/fixture.ts', '../../recon/matching/partition', false],
  // The AWS SDK: only the AWS adapters and the handlers.
  ['src/recon/run/aws/fixture.ts', '@aws-sdk/client-s3', true],
  ['src/lambda/fixture.ts', '@aws-sdk/client-sqs', true],
  ['src/adapters/embedded/fixture.ts', '@aws-sdk/client-s3', true],
  ['src/adapters/aws/fixture.ts', '@aws-sdk/client-s3', false],
  ['functions/reconcile-normalise/fixture.ts', '@aws-sdk/client-s3', false],
  // Reconciliation reaches embedded adapters only through its own, and never the runtime.
  ['src/recon/run/fixture.ts', '../../adapters/embedded/dir-lock', true],
  ['src/recon/workbench/fixture.ts', '../../adapters/embedded/workbench-store', true],
  ['src/recon/run/fixture.ts', '../../runtime/state-layout', true],
  ['src/recon/run/fixture.ts', '../../adapters/embedded/recon-results', false],
  // Test tooling never reaches shipped code (kept from before).
  ['src/recon/run/fixture.ts', 's3rver', true],
  ['src/use-cases/reconcile-run/fixture.ts', 'dynalite', true],
  ['src/domain/fixture.ts', '../../test/support/random', true],
];

describe('ARCH-1 import boundaries (eslint.config.js)', () => {
  it.each(CASES)('%s importing %s: refused = %s', async (file, specifier, refused) => {
    const messages = await restricted(file, `import * as x from '${specifier}';`);
    expect({ file, specifier, refused: messages.length > 0 }).toEqual({ file, specifier, refused });
    // Type-only imports are imports too: a layer never depends on what it must not reach.
    const typeOnly = await restricted(file, `import type * as x from '${specifier}';`);
    expect({ file, specifier, typeOnly: typeOnly.length > 0 }).toEqual({ file, specifier, typeOnly: refused });
  });

  it('every refusal says which layer rule it is', async () => {
    expect((await restricted('src/domain/fixture.ts', "import * as x from 'node:fs';"))[0]).toContain('ARCH-1');
    expect((await restricted('src/use-cases/reconcile-run/fixture.ts', "import * as x from '../../adapters/aws/recon-s3';"))[0]).toContain('use case');
    expect((await restricted('src/recon/run/fixture.ts', "import * as x from '@aws-sdk/client-s3';"))[0]).toContain('AWS SDK');
    expect((await restricted('src/recon/run/fixture.ts', "import * as x from '../../runtime/state-layout';"))[0]).toContain('recon-*');
  });
});
