/** Shared builders of the workbench tests: cases, actors, and an in-memory SQLite store. */
import { openMemoryDatabase } from '../../support/memory-database';
import { SqliteWorkbenchStore } from '../../../src/adapters/embedded/workbench-store';
import { type Actor, type CaseEvent, type ExceptionCase } from '../../../src/recon/workbench/cases';
import { AuthenticationError, type Authenticator, type Clock } from '../../../src/recon/workbench/ports';
import type { UploadEnv } from '../../../src/recon/workbench/upload';
import type { MiddlewareHandler } from 'hono';
import { SqliteLedgerStore } from '../../../src/adapters/embedded/ledger-store';
import type { PostingRecord } from '../../../src/ports';
import type { WorkbenchLedgerDeps } from '../../../src/use-cases/post-adjustment/post-adjustment';

export const T0 = '2025-03-01T09:00:00.000Z';

export const reconciler: Actor = { user: 'rita@bank.example', roles: ['reconciler'] };
export const approver: Actor = { user: 'anna@bank.example', roles: ['approver'] };
export const viewer: Actor = { user: 'victor@bank.example', roles: ['viewer'] };

export function exceptionCase(overrides: Partial<ExceptionCase> = {}): ExceptionCase {
  return {
    caseId: 'exception:statement:abc123def456:0:1',
    kind: 'exception',
    runId: 'run-1',
    side: 'statement',
    reason: 'UNMATCHED',
    accountId: 'NL26VAYB8060476890',
    currency: 'EUR',
    amount: '-7.00',
    ageDays: 3,
    statementLineId: 'abc123def456:0:1',
    ledgerEntryIds: [],
    status: 'OPEN',
    version: 1,
    updatedAt: T0,
    ...overrides,
  };
}

export function proposedMatch(overrides: Partial<ExceptionCase> = {}): ExceptionCase {
  return exceptionCase({
    caseId: 'match:m-1',
    kind: 'proposed-match',
    side: 'both',
    reason: 'PROPOSED_MATCH',
    ledgerEntryIds: ['L-1', 'L-2'],
    ruleId: 'batch-by-amount',
    confidence: '0.7500',
    amount: '115.00',
    currency: 'CAD',
    accountId: '10200123456',
    ...overrides,
  });
}

export function raisedEvent(c: ExceptionCase, at = T0): CaseEvent {
  return { caseId: c.caseId, version: 1, action: 'import', actor: 'ledgerline', at, to: 'OPEN', detail: `raised by run ${c.runId}` };
}

/** A clock that moves one second per reading (distinct, ordered timestamps). */
export function steppingClock(start = T0): Clock {
  let ms = Date.parse(start);
  return {
    now: () => {
      const now = new Date(ms);
      ms += 1000;
      return now;
    },
  };
}

export function memoryStore(): SqliteWorkbenchStore {
  return new SqliteWorkbenchStore(openMemoryDatabase(), steppingClock());
}

/** ADJ-1: an in-memory ledger for the workbench (SQLite ledger, a recording outbox, accounts by id or IBAN). */
export function memoryLedger(accounts: Record<string, { accountId: string; currency: string }> = { NL26VAYB8060476890: { accountId: 'SETTLE-EUR-001', currency: 'EUR' } }) {
  const store = new SqliteLedgerStore(openMemoryDatabase());
  const written: PostingRecord[] = [];
  const deps: WorkbenchLedgerDeps = {
    ledger: store,
    records: {
      writeBatch: async (records) => {
        for (const record of records) if (!written.some((known) => known.recordId === record.recordId)) written.push(record);
      },
    },
    accounts: { ledgerAccount: async (accountId) => accounts[accountId] },
  };
  return { deps, store, written };
}

/** Signs in `actor` when the request names `x-test-user: rita` (what the tests send), and refuses any other request as the app's sign-in would. */
export function headerAuthenticator(actor: Actor = reconciler, message = 'no session: sign in first'): Authenticator {
  return {
    authenticate: async (request) => {
      if (request.headers['x-test-user'] !== 'rita') throw new AuthenticationError(message);
      return actor;
    },
  };
}

/** An open STALE case on ACC-1 as an import raises it, with its raise event (what the bulk job tests act on). */
export function staleOpenCase(caseId: string, at: string): { next: ExceptionCase; event: CaseEvent } {
  const next = {
    caseId,
    kind: 'exception',
    runId: 'run-1',
    asOf: '2026-03-09',
    side: 'statement',
    reason: 'STALE',
    accountId: 'ACC-1',
    currency: 'EUR',
    amount: '10.00',
    ageDays: 3,
    ledgerEntryIds: [],
    status: 'OPEN',
    version: 1,
    updatedAt: at,
  } as ExceptionCase;
  return { next, event: { caseId, version: 1, action: 'import', actor: 'import', at, to: 'OPEN' } };
}

/** The upload routes' sign-in as the tests stand it in: the actor named by `x-test-user`, else 401 (UPLOAD_PATHS sit behind the app's own). */
export function headerSignedIn(actors: Record<string, Actor>): MiddlewareHandler<UploadEnv> {
  return async (c, next) => {
    const actor = actors[c.req.header('x-test-user') ?? ''];
    if (!actor) return c.text('sign in first', 401);
    c.set('actor', actor);
    c.set('csrfSubject', actor.user);
    await next();
  };
}
