/**
 * REC-IN-3: only the camt message versions listed in docs/reconciliation.md (CAMT_VERSIONS) are
 * read; a Document of any other version is rejected with the file named, never parsed silently
 * (the reported case was camt.053.001.99).
 */
import * as fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseStatementFile } from '../../../src/recon/parsers';
import { CAMT_VERSIONS } from '../../../src/recon/parsers/limits';
import { asBadInput, BadInputError } from '../../../src/recon/run/errors';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';
import { parseError, tempDir } from './support/fixtures';
import { camt } from './support/statements';

const TYPES = ['camt.052', 'camt.053', 'camt.054'] as const;
const tmp = tempDir('camt-versions');
afterAll(() => tmp.cleanup());
let counter = 0;

describe('camt versions', () => {
  it.each(TYPES.flatMap((type) => CAMT_VERSIONS.map((version) => [type, version] as const)))('%s.%s is read', async (type, version) => {
    const file = await parseStatementFile(tmp.write(`ok-${counter++}.xml`, camt({ type, version })));
    expect(file.format).toBe(type);
    expect(file.statements[0]!.lines.map((l) => l.amount)).toEqual(['12.34', '-5.00']);
  });

  it('camt.053.001.99 is rejected naming the file, the Document and its line', async () => {
    const path = tmp.write('v99.xml', camt({ version: '001.99' }));
    const error = await parseError(() => parseStatementFile(path));
    expect(error.position).toEqual({ file: path, line: 2, element: 'Document' });
    expect(error.fault).toBe('camt.053.001.99 is not a supported camt version (supported: camt.053.001.01 to camt.053.001.08)');
    const bad = asBadInput(error, path) as BadInputError;
    expect(bad).toBeInstanceOf(BadInputError);
    expect(bad.kind).toBe('unknown-format');
    expect(bad.message).toContain(path);
  });

  it('any other version number is rejected the same way, for every camt type', async () => {
    const unsupported = fc
      .tuple(fc.constantFrom(...TYPES), fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 99 }))
      .map(([type, major, minor]) => ({ type, version: `${String(major).padStart(3, '0')}.${String(minor).padStart(2, '0')}` }))
      .filter(({ version }) => !CAMT_VERSIONS.includes(version));
    await fc.assert(
      fc.asyncProperty(unsupported, async ({ type, version }) => {
        const path = tmp.write(`bad-${counter++}.xml`, camt({ type, version }));
        const error = await parseError(() => parseStatementFile(path));
        expect(error.position.file).toBe(path);
        expect(error.position.element).toBe('Document');
        expect(error.fault).toMatch(new RegExp(`^${type.replace('.', '\\.')}\\.${version.replace('.', '\\.')} is not a supported camt version`));
      }),
      { numRuns: fuzzRuns(40), seed: fuzzSeed(5301) },
    );
  });

  it('the version list is the one docs/reconciliation.md gives', () => {
    const doc = readFileSync(join(resolve(__dirname, '../../..'), 'docs', 'reconciliation.md'), 'utf8');
    const line = doc.split('\n').find((l) => l.includes('REC-IN-3') && l.includes('versions'));
    expect(line).toBeDefined();
    for (const version of CAMT_VERSIONS) expect(line).toContain(version);
  });
});
