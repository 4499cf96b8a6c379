/**
 * API-2: writes docs/openapi.json from the route table and the schemas (src/api/openapi.ts);
 * `--check` exits 1 when the checked-in document is stale instead.
 *
 *   npx tsx scripts/openapi.ts [--check]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApiText } from '../src/api/openapi';

const file = join(__dirname, '..', 'docs', 'openapi.json');
const text = openApiText();
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    // missing: stale
  }
  if (current !== text) {
    process.stderr.write(`${file} is stale: run npx tsx scripts/openapi.ts\n`);
    process.exitCode = 1;
  }
} else {
  writeFileSync(file, text);
  process.stderr.write(`wrote ${file}\n`);
}
