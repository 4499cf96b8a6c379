/**
 * CHAOS-1's validity guards: a run whose restarted children read an edited checkout, or whose
 * decisions were made under two rule sets, is void and says so.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync, unlinkSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { changedFiles, checkoutFingerprint } from '../../chaos/checkout';
import type { StateContents } from '../../chaos/inspect';
import { mixedRuleSets } from '../../chaos/inspect';

function stateWith(ruleSets: [string, number][]): StateContents {
  return { ruleSets: new Map(ruleSets) } as StateContents;
}

describe('the checkout fingerprint', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'chaos-guard-'));
    mkdirSync(join(root, 'src', 'domain'), { recursive: true });
    mkdirSync(join(root, 'config', 'rules'), { recursive: true });
    mkdirSync(join(root, 'elsewhere'), { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('names every file edited, added or removed under what a child reads, and nothing else', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.stringMatching(/^[a-z]{1,8}$/), { minLength: 2, maxLength: 8 }), fc.nat(), (names, pick) => {
        rmSync(join(root, 'src', 'domain'), { recursive: true, force: true });
        mkdirSync(join(root, 'src', 'domain'), { recursive: true });
        for (const name of names) writeFileSync(join(root, 'src', 'domain', `${name}.ts`), name);
        const before = checkoutFingerprint(root);
        expect(changedFiles(before, checkoutFingerprint(root))).toEqual([]);

        const edited = names[pick % names.length]!;
        const path = join(root, 'src', 'domain', `${edited}.ts`);
        writeFileSync(path, `${edited} edited`);
        expect(changedFiles(before, checkoutFingerprint(root))).toEqual([join('src', 'domain', `${edited}.ts`)]);

        writeFileSync(join(root, 'elsewhere', 'notes.txt'), 'not read by a child');
        unlinkSync(path);
        expect(changedFiles(before, checkoutFingerprint(root))).toEqual([join('src', 'domain', `${edited}.ts`)]);
      }),
      { numRuns: 25 },
    );
  });

  it('sees a rule set touched with the same size (the modification time alone)', () => {
    const file = join(root, 'config', 'rules', 'card-posting.v1.json');
    writeFileSync(file, '{"version":"1"}');
    utimesSync(file, 1_000, 1_000);
    const before = checkoutFingerprint(root);
    writeFileSync(file, '{"version":"2"}');
    utimesSync(file, 2_000, 2_000);
    expect(changedFiles(before, checkoutFingerprint(root))).toEqual([join('config', 'rules', 'card-posting.v1.json')]);
  });
});

describe('mixed rule sets', () => {
  it('passes states whose decisions share one rule set, however they are split', () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.nat(1000), (clean, killed) => {
        expect(mixedRuleSets(stateWith([['card-posting v1', clean]]), stateWith([['card-posting v1', killed]]))).toBeUndefined();
      }),
    );
  });

  it('voids states whose decisions name two rule sets, in either state, and counts each', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 10_000 }), fc.boolean(), (a, b, inClean) => {
        const other = stateWith([['card-posting v1', a]]);
        const mixed = stateWith([
          ['card-posting v1', a],
          ['card-posting v2', b],
        ]);
        const verdict = inClean ? mixedRuleSets(mixed, other) : mixedRuleSets(other, mixed);
        expect(verdict).toMatch(/^void run: decisions were made under 2 rule sets/);
        expect(verdict).toContain(`card-posting v1: ${2 * a} decisions`);
        expect(verdict).toContain(`card-posting v2: ${b} decisions`);
      }),
    );
  });
});
