/**
 * WB-1 / REC-MATCH-1: undo of a match that resolved several cases, generated through the app (JSON
 * API), shared by both adapters of the store (WorkbenchStore and CandidateSource): a runner calls
 * `undoMatchContract` with a factory of empty stores (the embedded one: undo-match.property.test.ts;
 * DynamoWorkbenchStore on dynalite: undo-match.dynamo.test.ts).
 *
 * Random sequences of match (a case with one of the candidates it is offered), undo and comment over
 * lone statement lines, lone ledger entries and a grouped case. After every step every row is either
 * in exactly one RESOLVED match (the cases of a match all RESOLVED by it, each naming the same cases)
 * or a candidate (its case OPEN and the store offers it), never both; each history only grows, one
 * event per version; a match resolves every case it names and nothing else; an undo reopens every
 * case of the match and restores each exactly as it was before the match (but for version, time and
 * the undo record); a refused action changes nothing.
 */
import fc from 'fast-check';
import { createWorkbenchApp } from '../../../src/recon/workbench/app';
import { type CaseEvent, type ExceptionCase } from '../../../src/recon/workbench/cases';
import { type Candidate, minorOf, openRowsOf } from '../../../src/recon/workbench/candidates';
import type { CandidateSource, WorkbenchStore } from '../../../src/recon/workbench/ports';
import { exceptionCase, raisedEvent, reconciler, steppingClock } from './helpers';

export const ACCOUNT = 'ACC-P';
export const AS_OF = '2025-03-04';

export const lone = (side: 'statement' | 'ledger', id: string, amount: string, bankReference?: string) =>
  exceptionCase({
    caseId: `exception:${side}:${id}`,
    side,
    accountId: ACCOUNT,
    amount,
    asOf: AS_OF,
    ageDays: 1,
    ...(side === 'statement' ? { statementLineId: id } : { statementLineId: undefined }),
    ...(bankReference ? { bankReference } : {}),
  });
const member = (side: 'statement' | 'ledger', id: string, amount: string, bankReference?: string) => ({
  side,
  id,
  reason: 'AMOUNT_MISMATCH',
  ageDays: 2,
  accountId: ACCOUNT,
  currency: 'EUR',
  amount,
  ...(bankReference ? { bankReference } : {}),
});
/** A batch line and two of its items, one case (REC-CASE-1): another line may be offered one item, and is refused (a case is matched whole). */
const grouped = exceptionCase({
  caseId: 'group:grp-p',
  group: 'grp-p',
  asOf: AS_OF,
  side: 'both',
  reason: 'AMOUNT_MISMATCH',
  accountId: ACCOUNT,
  amount: '300.00',
  statementLineId: 'GL',
  ledgerEntryIds: ['GI1', 'GI2'],
  members: [member('statement', 'GL', '300.00', 'R-G'), member('ledger', 'GI1', '200.00'), member('ledger', 'GI2', '100.00')],
});
const CASES: readonly ExceptionCase[] = [
  lone('statement', 'SA', '100.00', 'R-A'),
  lone('statement', 'SB', '100.00', 'R-B'),
  lone('statement', 'SC', '250.00', 'R-C'),
  lone('ledger', 'EA', '100.00'),
  lone('ledger', 'EB', '100.00'),
  lone('ledger', 'EC', '250.00'),
  lone('ledger', 'ED', '99.99'),
  grouped,
];
/** Every row of every case: fixed by the import (an action changes a case's status, never its rows). */
const ROWS = CASES.flatMap(openRowsOf);

type Step = { kind: 'match'; c: number; k: number } | { kind: 'undo'; c: number } | { kind: 'comment'; c: number };
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('match' as const), c: fc.nat(), k: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('undo' as const), c: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('comment' as const), c: fc.nat() }) },
);

interface Answer {
  case?: ExceptionCase;
  candidates?: { candidates: Candidate[] };
  error?: { code: string; message: string };
}

type State = Map<string, { case: ExceptionCase; history: CaseEvent[] }>;

/** A case as it was before the match that resolved it, but for what any action changes. */
export function restorable(c: ExceptionCase): Omit<ExceptionCase, 'version' | 'updatedAt' | 'undone' | 'resolution'> {
  const { version: _v, updatedAt: _u, undone: _d, resolution: _r, ...rest } = c;
  return rest;
}

/** The cases one resolution resolved together (itself alone when it resolved only itself). */
const groupOf = (c: ExceptionCase): string[] => c.resolution?.matchedCases ?? [c.caseId];

const counted = { matches: 0, twoCaseMatches: 0, undos: 0, twoCaseUndos: 0, refused: 0 };

async function run(makeStore: () => Promise<WorkbenchStore & CandidateSource>, steps: readonly Step[]): Promise<void> {
  const store = await makeStore();
  await store.applyImport('run-p', { raised: CASES.map((c) => ({ next: c, event: raisedEvent(c) })), refreshed: [], reopened: [], cleared: [] });
  const app = createWorkbenchApp({
    store,
    authenticator: { authenticate: async () => reconciler },
    clock: steppingClock('2025-03-05T12:00:00.000Z'),
    csrfSecret: 'undo-match-secret',
  });
  const call = async (caseId: string, body?: Record<string, unknown>) => {
    const response = await app({
      method: body ? 'POST' : 'GET',
      path: `/api/cases/${encodeURIComponent(caseId)}${body ? '/actions' : ''}`,
      query: {},
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : '',
    });
    return { status: response.status, body: JSON.parse(response.body) as Answer };
  };
  const read = async (): Promise<State> => {
    const state: State = new Map();
    for (const c of CASES) state.set(c.caseId, { case: (await store.get(c.caseId))!, history: await store.history(c.caseId) });
    return state;
  };
  /** Rows the store offers as candidates now: each row looked up at its own amount. */
  const offered = async (): Promise<Set<string>> => {
    const found = new Set<string>();
    for (const row of ROWS) {
      const rows = await store.candidateRows({ accountId: ACCOUNT, currency: 'EUR', side: row.side, references: [], amountMinor: minorOf(row.amount, row.currency)!, caseId: 'none', limit: 10 });
      if (rows.some((other) => other.id === row.id && other.caseId === row.caseId)) found.add(`${row.side}:${row.id}`);
    }
    return found;
  };

  let state = await read();
  /** Each RESOLVED case as it was just before the match that resolved it. */
  const beforeMatch = new Map<string, ExceptionCase>();
  for (const s of steps) {
    const subject = CASES[s.c % CASES.length]!.caseId;
    const current = state.get(subject)!.case;
    let answer: { status: number; body: Answer } | undefined;
    let chosen: Candidate | undefined;
    if (s.kind === 'match') {
      const candidates = (await call(subject)).body.candidates?.candidates ?? [];
      if (candidates.length === 0) continue;
      chosen = candidates[s.k % candidates.length]!;
      answer = await call(subject, { type: 'match-candidate', candidate: chosen.key, expectedVersion: current.version });
    } else if (s.kind === 'undo') {
      answer = await call(subject, { type: 'undo', note: 'generated undo', expectedVersion: current.version });
    } else {
      answer = await call(subject, { type: 'comment', note: 'generated comment', expectedVersion: current.version });
    }
    expect([200, 409]).toContain(answer.status);
    const next = await read();

    // Every history only grows: the old one is its start; one event per version, the last one the case's status.
    for (const [caseId, { case: c, history }] of next) {
      const old = state.get(caseId)!.history;
      expect(history.slice(0, old.length)).toEqual(old);
      expect(history.map((event) => event.version)).toEqual(history.map((_, i) => i + 1));
      expect([c.version, history[history.length - 1]!.to]).toEqual([history.length, c.status]);
    }
    const changed = [...next.keys()].filter((caseId) => next.get(caseId)!.case.version !== state.get(caseId)!.case.version).sort();
    if (answer.status !== 200) {
      // Refused: nothing changed anywhere.
      counted.refused += 1;
      expect(next).toEqual(state);
    } else if (s.kind === 'match') {
      // Every case the candidate names (and the subject) RESOLVED by this one match, nothing else changed.
      const group = [...new Set([subject, ...chosen!.caseIds])].sort();
      expect(changed).toEqual(group);
      for (const caseId of group) {
        const c = next.get(caseId)!.case;
        expect([c.status, c.version, groupOf(c)]).toEqual(['RESOLVED', state.get(caseId)!.case.version + 1, group]);
        beforeMatch.set(caseId, state.get(caseId)!.case);
      }
      counted.matches += 1;
      if (group.length > 1) counted.twoCaseMatches += 1;
    } else if (s.kind === 'undo') {
      // Every case of the match OPEN again, exactly as before the match; nothing else changed.
      const group = groupOf(current);
      expect(changed).toEqual([...group].sort());
      for (const caseId of group) {
        const c = next.get(caseId)!.case;
        expect([c.status, c.version, c.undone?.undoneBy]).toEqual(['OPEN', state.get(caseId)!.case.version + 1, reconciler.user]);
        expect(restorable(c)).toEqual(restorable(beforeMatch.get(caseId)!));
        const event = next.get(caseId)!.history.at(-1)!;
        expect([event.action, event.from, event.to]).toEqual(['undo', 'RESOLVED', 'OPEN']);
        for (const other of group) if (other !== caseId) expect(event.detail).toContain(`case ${other}`);
      }
      counted.undos += 1;
      if (group.length > 1) counted.twoCaseUndos += 1;
    } else {
      expect(changed).toEqual([subject]);
    }

    // Every row is in exactly one RESOLVED match or a candidate, never both.
    const offeredNow = await offered();
    for (const row of ROWS) {
      const c = next.get(row.caseId)!.case;
      const key = `${row.side}:${row.id}`;
      if (c.status === 'OPEN') {
        expect([key, offeredNow.has(key)]).toEqual([key, true]);
      } else {
        expect([key, c.status, offeredNow.has(key)]).toEqual([key, 'RESOLVED', false]);
        // Its match: every case it names RESOLVED by the same resolution, naming the same cases.
        for (const other of groupOf(c)) {
          const partner = next.get(other)!.case;
          expect([other, partner.status, groupOf(partner), partner.resolution?.at]).toEqual([other, 'RESOLVED', groupOf(c), c.resolution?.at]);
        }
      }
    }
    state = next;
  }
}

/** Sequences that certainly match two cases, undo them from either side, and are refused (a grouped case offered in part). */
const EXAMPLES: Step[][] = [
  [
    { kind: 'match', c: 0, k: 0 },
    { kind: 'comment', c: 3 },
    { kind: 'undo', c: 3 },
    { kind: 'match', c: 0, k: 2 },
    { kind: 'match', c: 0, k: 0 },
    { kind: 'undo', c: 0 },
    { kind: 'undo', c: 0 },
  ],
];

export function undoMatchContract(name: string, makeStore: () => Promise<WorkbenchStore & CandidateSource>, options: { runs?: number; maxSteps?: number } = {}): void {
  describe(`undo of a match over several cases, generated through the app over ${name} (WB-1, REC-MATCH-1)`, () => {
    it('every row is in exactly one RESOLVED match or a candidate; undo after match restores every case of it; histories only grow', async () => {
      Object.assign(counted, { matches: 0, twoCaseMatches: 0, undos: 0, twoCaseUndos: 0, refused: 0 });
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: options.maxSteps ?? 14 }), (steps) => run(makeStore, steps)),
        { numRuns: options.runs ?? 60, examples: EXAMPLES.map((steps) => [steps]) },
      );
      // The sequences did exercise what is claimed: matches and undos of two cases, and refusals.
      expect(counted.twoCaseMatches).toBeGreaterThan(0);
      expect(counted.twoCaseUndos).toBeGreaterThan(0);
      expect(counted.refused).toBeGreaterThan(0);
    }, 300_000);
  });
}
