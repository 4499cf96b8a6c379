/**
 * REC-OUT-1, REC-PERF-1: fileOfLineId answers every line id as the plain lookup does (the id's own
 * entry, else its prefix's, else ''), with or without lines whose id does not carry their file's
 * prefix, for any number of files (repeated content included).
 */
import fc from 'fast-check';
import { fileOfLineId } from '../../../src/use-cases/reconcile-run/reconcile-run';

const hash = fc.constantFrom('0a1b2c3d4e5f', 'ffffffffffff', '000000000000');
const id = fc.oneof(
  fc.tuple(hash, fc.nat(3), fc.nat(20)).map(([h, s, l]) => `${h}:${s}:${l}`),
  fc.constantFrom('x', ':', 'a:b', '0a1b2c3d4e5f:', 'ffffffffffff:', 'line-7', ''),
);

describe('fileOfLineId', () => {
  it('property: the same file as the id-then-prefix lookup, for every id', () => {
    fc.assert(
      fc.property(fc.array(hash, { minLength: 1, maxLength: 4 }), fc.array(fc.tuple(id, fc.nat(3)), { maxLength: 6 }), fc.array(id, { maxLength: 20 }), (files, exceptions, probes) => {
        // As scope builds it: each file's prefix, then lines whose id lacks their file's prefix.
        const map = new Map<string, string>();
        files.forEach((h, i) => map.set(`${h}:`, `file-${i}`));
        for (const [lineId, file] of exceptions) if (!lineId.startsWith(`${files[file % files.length]}:`)) map.set(lineId, `file-${file % files.length}`);
        const fileOf = fileOfLineId(map, new Set(files.map((h) => `${h}:`)).size);
        for (const probe of [...probes, ...exceptions.map(([lineId]) => lineId)]) {
          expect(fileOf(probe)).toBe(map.get(probe) ?? map.get(probe.slice(0, probe.indexOf(':') + 1)) ?? '');
        }
      }),
      { numRuns: 1000 },
    );
  });
});
