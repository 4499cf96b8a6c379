/**
 * Contracts of the reconciliation run's ports (src/ports/reconciliation.ts), run against the
 * embedded adapters (registry.db, the quarantine folder, a ledger file) and the AWS adapters (S3
 * claims, quarantine/ objects, the ledger export object) on s3rver: what the run use case relies on.
 *
 * - RunRegistry: nothing is visible before commit, and a rolled-back run leaves nothing; a
 *   committed run's contents and statement identities are found by every later run (generated
 *   sequences of runs, some rolled back); a second run of committed content cannot record it.
 * - Quarantine: the quarantined file holds the input's bytes and its reason names the fault.
 * - LedgerSource: knows exactly the accounts of its ledger; entries are those of the accounts
 *   asked, in a stable order, exact amounts; the digest tells scopes and contents apart.
 */
import fc from 'fast-check';
import type { LedgerSource, Quarantine, RunRecord, RunRegistry } from '../../../src/ports/reconciliation';
import { BadInputError } from '../../../src/recon/run/errors';
import type { LedgerEntry } from '../../../src/recon/types';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';

export interface RegistryAdapter {
  name: string;
  /** A fresh, empty registry store; `as(runId)` is the registry as that run sees it. */
  open(): Promise<{ as(runId: string): Promise<RunRegistry & { close?(): void }> }>;
}

const hex = (n: number, salt: string): string => (salt + n.toString(16)).padStart(64, '0').slice(-64);

function record(runId: string, contents: readonly string[], identities: readonly string[]): RunRecord {
  return {
    runId,
    asOf: '2026-01-31',
    recordedAt: '2026-02-01T00:00:00.000Z',
    files: contents.map((contentHash) => ({ contentHash, runId, file: `${contentHash.slice(0, 8)}.xml`, format: 'camt.053', statementLines: 1 })),
    statements: identities.map((key, i) => ({
      key,
      format: 'camt.053',
      accountId: 'NL26VAYB8060476890',
      statementId: `S-${key.slice(0, 6)}`,
      period: '2026-01-01..2026-01-31',
      file: `${contents[0]!.slice(0, 8)}.xml`,
      contentHash: contents[i % contents.length]!,
    })),
    matchedLedger: [],
  };
}

export function registryContract(adapter: RegistryAdapter): void {
  describe(`RunRegistry contract: ${adapter.name}`, () => {
    it('a staged run is invisible to other runs until commit; a rolled-back run leaves nothing', async () => {
      const store = await adapter.open();
      const a = await store.as('run-a');
      const other = await store.as('run-b');
      const content = hex(1, 'c');
      const identity = hex(1, 'i');
      expect(await other.lookupContent(content)).toBeUndefined();
      await a.stage(record('run-a', [content], [identity]));
      expect(await other.lookupContent(content)).toBeUndefined();
      expect(await other.lookupStatement(identity)).toBeUndefined();
      await a.rollback();
      expect(await other.lookupContent(content)).toBeUndefined();
      expect(await other.lookupStatement(identity)).toBeUndefined();
      await a.stage(record('run-a', [content], [identity]));
      await a.commit();
      const later = await store.as('run-c');
      expect(await later.lookupContent(content)).toMatchObject({ runId: 'run-a' });
      expect(await later.lookupStatement(identity)).toMatchObject({ runId: 'run-a' });
      for (const registry of [a, other, later]) registry.close?.();
    });

    it('generated sequences of runs, committed or rolled back: later runs find exactly the committed contents and identities', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.record({ files: fc.integer({ min: 1, max: 3 }), commit: fc.boolean() }), { minLength: 1, maxLength: 5 }), async (runs) => {
          const store = await adapter.open();
          const committed = new Map<string, string>();
          const all: string[] = [];
          let n = 0;
          for (const [index, run] of runs.entries()) {
            const runId = `run-${index}`;
            const contents = Array.from({ length: run.files }, () => hex((n += 1), 'c'));
            const identities = contents.map((_, i) => hex(n * 10 + i, 'i'));
            all.push(...contents, ...identities);
            const registry = await store.as(runId);
            await registry.stage(record(runId, contents, identities));
            if (run.commit) {
              await registry.commit();
              for (const key of [...contents, ...identities]) committed.set(key, runId);
            } else {
              await registry.rollback();
            }
            registry.close?.();
          }
          const reader = await store.as('run-reader');
          for (const key of all) {
            const byContent = await reader.lookupContent(key);
            const byIdentity = await reader.lookupStatement(key);
            const owner = committed.get(key);
            expect({ key, runId: (byContent ?? byIdentity)?.runId }).toEqual({ key, runId: owner });
          }
          reader.close?.();
        }),
        { numRuns: fuzzRuns(6), seed: fuzzSeed(11) },
      );
    });

    it('a second run cannot record content a committed run holds; the first stays the holder', async () => {
      const store = await adapter.open();
      const content = hex(7, 'c');
      const first = await store.as('run-first');
      await first.stage(record('run-first', [content], [hex(7, 'i')]));
      await first.commit();
      first.close?.();
      const second = await store.as('run-second');
      const attempt = async (): Promise<void> => {
        await second.stage(record('run-second', [content], [hex(8, 'i')]));
        await second.commit();
      };
      // Refused, whatever the adapter's error class (better-sqlite3's SqliteError comes from the realm
      // that loaded the native module first, so toThrow() would not recognise it in a shared worker).
      expect(
        await attempt().then(
          () => 'recorded',
          () => 'refused',
        ),
      ).toBe('refused');
      await second.rollback();
      second.close?.();
      const reader = await store.as('run-reader');
      expect(await reader.lookupContent(content)).toMatchObject({ runId: 'run-first' });
      reader.close?.();
    });
  });
}

export interface QuarantineAdapter<Ref> {
  name: string;
  /** A fresh quarantine and a way to put an input file and read back what the quarantine holds. */
  open(): Promise<{
    quarantine: Quarantine<Ref>;
    put(name: string, bytes: Buffer): Promise<{ ref: Ref; file: string }>;
    read(location: string): Promise<Buffer | undefined>;
  }>;
}

export function quarantineContract<Ref>(adapter: QuarantineAdapter<Ref>): void {
  describe(`Quarantine contract: ${adapter.name}`, () => {
    it('generated inputs: the quarantined file holds the input bytes, the reason names the fault and where', async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.stringMatching(/^[a-z][a-z0-9-]{0,12}\.(xml|sta|txt)$/), fc.integer({ min: 1, max: 9999 }), async (bytes, name, line) => {
          const harness = await adapter.open();
          const input = await harness.put(name, Buffer.from(bytes));
          const error = new BadInputError(input.file, { file: input.file, line }, 'unknown statement format', 'unknown-format');
          const quarantined = await harness.quarantine.quarantine(input.ref, error);
          expect(await harness.read(quarantined.file)).toEqual(Buffer.from(bytes));
          const reason = (await harness.read(quarantined.reasonFile))!.toString('utf8');
          expect(reason).toContain('unknown-format');
          expect(reason).toContain(`line ${line}`);
          expect(reason).toContain('unknown statement format');
        }),
        { numRuns: fuzzRuns(8), seed: fuzzSeed(12) },
      );
    });
  });
}

export interface LedgerSourceAdapter {
  name: string;
  /** The ledger source over a ledger file with these CSV rows (LEDGER_HEADER columns). */
  open(rows: readonly string[]): Promise<LedgerSource>;
}

const ACCOUNTS = ['NL26VAYB8060476890', 'PL29114010810000267002001002', '10200123456', 'GB33BUKB20201555555555'];

export function ledgerSourceContract(adapter: LedgerSourceAdapter): void {
  describe(`LedgerSource contract: ${adapter.name}`, () => {
    const entryArb = fc.record({
      account: fc.integer({ min: 0, max: ACCOUNTS.length - 2 }),
      cents: fc.bigInt({ min: -10_000_000n, max: 10_000_000n }),
      day: fc.integer({ min: 1, max: 28 }),
    });
    it('generated ledgers: knows exactly its accounts; entries of the accounts asked, stable, exact; digests tell scopes apart', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(entryArb, { minLength: 1, maxLength: 12 }), async (generated) => {
          const rows = generated.map((g, i) => {
            const sign = g.cents < 0n ? '-' : '';
            const abs = g.cents < 0n ? -g.cents : g.cents;
            const amount = `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
            return `E-${i},${ACCOUNTS[g.account]},EUR,${amount},2026-01-${String(g.day).padStart(2, '0')},2026-01-${String(g.day).padStart(2, '0')},REF-${i},entry ${i}`;
          });
          const source = await adapter.open(rows);
          const present = new Set(generated.map((g) => ACCOUNTS[g.account]!));
          for (const account of ACCOUNTS) expect({ account, known: await source.knows(account) }).toEqual({ account, known: present.has(account) });
          const [first] = [...present];
          const one = new Set([first!]);
          const entries: LedgerEntry[] = (await source.entries(one)).toArray();
          expect(entries.every((entry) => entry.accountId === first)).toBe(true);
          expect(entries.map((entry) => entry.entryId).sort()).toEqual(
            generated
              .map((g, i) => [g, i] as const)
              .filter(([g]) => ACCOUNTS[g.account] === first)
              .map(([, i]) => `E-${i}`)
              .sort(),
          );
          // Exact amounts: the sum in cents equals the generated sum.
          const cents = entries.reduce((sum, entry) => sum + BigInt(entry.amount.replace('.', '')), 0n);
          expect(cents).toBe(generated.filter((g) => ACCOUNTS[g.account] === first).reduce((sum, g) => sum + g.cents, 0n));
          expect((await source.entries(one)).toArray().map((entry) => entry.entryId)).toEqual(entries.map((entry) => entry.entryId));
          expect((await source.entries(new Set([ACCOUNTS[ACCOUNTS.length - 1]!]))).toArray()).toEqual([]);
          expect(await source.digest(one)).toBe(await source.digest(new Set(one)));
          if (present.size > 1) expect(await source.digest(present)).not.toBe(await source.digest(one));
        }),
        { numRuns: fuzzRuns(6), seed: fuzzSeed(13) },
      );
    });

    it('a changed ledger gives another digest for the same scope', async () => {
      const base = ['E-1,NL26VAYB8060476890,EUR,1.00,2026-01-01,2026-01-01,R1,one'];
      const scope = new Set(['NL26VAYB8060476890']);
      const a = await (await adapter.open(base)).digest(scope);
      const b = await (await adapter.open(['E-1,NL26VAYB8060476890,EUR,1.01,2026-01-01,2026-01-01,R1,one'])).digest(scope);
      expect(a).not.toBe(b);
    });
  });
}
