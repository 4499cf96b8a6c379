/**
 * PCI-3: a card number in an uploaded file's NAME never reaches the name of its quarantine copy,
 * its reason file, or the inbox's processed/ archive: names are masked, and two names that mask
 * alike never overwrite each other.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadInputError } from '../../../src/recon/run/errors';
import { freeName, quarantine } from '../../../src/recon/run/quarantine';
import { containsDigitsOf, SAMPLE_PANS, spellPan } from '../../support/pan-spellings';
import { tempDir } from '../../support/runtime';

// Characters a file name can hold: no '/', and the separators PCI-1 knows.
const NAME_SEPARATORS = [' ', '-', '.', '_', ',', '\u00a0', '\u2013'];

describe('quarantine and archive names (PCI-3)', () => {
  it('masks every file-name spelling of every sample PAN in the copy, the reason file and its text', () => {
    const incoming = tempDir('qn-in-');
    const dir = tempDir('qn-q-');
    let n = 0;
    for (const pan of SAMPLE_PANS) {
      for (const separator of NAME_SEPARATORS) {
        for (const digits of ['ascii', 'fullwidth'] as const) {
          n += 1;
          const spelled = spellPan(pan, { groups: pan.length === 15 ? [4, 6, 5] : undefined, separator, digits });
          const source = join(incoming, `stmt ${spelled} ${n}.sta`);
          writeFileSync(source, `bad content ${n}\n`);
          const quarantined = quarantine(new BadInputError(source, { file: source, line: 1 }, 'line 1 is not MT940'), dir);
          expect(containsDigitsOf(quarantined.file.slice(dir.length), pan)).toBe(false);
          expect(containsDigitsOf(readFileSync(quarantined.reasonFile, 'utf8'), pan)).toBe(false);
        }
      }
    }
    const names = readdirSync(dir);
    // Every upload kept its own copy (plus its reason file): nothing masked into another's name.
    expect(names.length).toBe(2 * n);
    for (const pan of SAMPLE_PANS) expect(names.filter((name) => containsDigitsOf(name, pan))).toEqual([]);
  });

  it('two different files whose names mask alike get different names', () => {
    const incoming = tempDir('qn-in2-');
    const dir = tempDir('qn-q2-');
    const [a, b] = [SAMPLE_PANS[0]!, SAMPLE_PANS[1]!].map((pan, i) => {
      const path = join(incoming, `card ${pan}.csv`);
      writeFileSync(path, `content ${i}\n`);
      return path;
    });
    const first = freeName(dir, a!, 'a'.repeat(64));
    writeFileSync(join(dir, first), 'content 0\n');
    const second = freeName(dir, b!, 'b'.repeat(64));
    expect(first).toBe('card [REDACTED-PAN].csv');
    expect(second).not.toBe(first);
  });
});
