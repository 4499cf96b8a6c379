/**
 * MODE-4 on AWS: functions/authorise over the same stages as the hot path (here on the embedded
 * adapters): one authorisation in, its outcome out; the same authorisation again posts nothing
 * twice and answers the same; with answer claims (as deployed), a repeat is answered as the
 * embedded mode answers it (a duplicate), concurrent calls included; a failure is raised and the
 * retry completes without a double posting; an invalid or issuer-declined authorisation writes
 * nothing.
 */
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { createAuthoriseHandler, AuthoriseFailedError } from '../../functions/authorise/authorise';
import { createDedupStage } from '../../functions/dedup/dedup';
import { createStandardiseStage } from '../../functions/standardise/standardise';
import { createEnrichStage } from '../../functions/enrich/enrich';
import { createRulesStage } from '../../functions/rules/rules';
import { createPostingStage } from '../../functions/posting/posting';
import { createAssemblerStage } from '../../functions/assembler/assembler';
import { DEFAULT_DEDUP_CONFIG } from '../../src/domain/dedup';
import type { LedgerEvent } from '../../src/domain/events';
import { openStateDatabase } from '../../src/adapters/embedded/database';
import { SqliteDedupStore, SqliteParkedDuplicateStore } from '../../src/adapters/embedded/dedup-store';
import { SqliteTransactionStateStore } from '../../src/adapters/embedded/transaction-state-store';
import { SqliteLedgerStore } from '../../src/adapters/embedded/ledger-store';
import { SqliteFileOutbox } from '../../src/adapters/embedded/outbox';
import { loadRuleSetFile } from '../../src/adapters/embedded/rule-set-file';
import { SqliteDecisionStore, SqliteVelocityStore } from '../../src/adapters/embedded/rules-state';
import type { EventPublisher } from '../../src/ports';
import type { RealTimeOutcome } from '../../src/modes/outcome';
import type { AnswerClaims } from '../../functions/authorise/authorise';
import { referenceData, sampleLines, tempDir } from '../support/runtime';

const context = {} as Context;
const clock = { now: () => new Date('2026-12-06T10:00:00Z') };

/** The claims' semantics (first claim per id wins) over a Set; the DynamoDB adapter's are tested in test/flow/flow-facts.dynamo.test.ts. */
function memoryClaims(): AnswerClaims {
  const answered = new Set<string>();
  return { claimAnswer: async (id) => !answered.has(id) && Boolean(answered.add(id)) };
}

function setUp(publishFault?: () => boolean, answers?: AnswerClaims) {
  const dir = tempDir();
  const db = openStateDatabase(dir);
  const transactions = new SqliteTransactionStateStore(db);
  const ledger = new SqliteLedgerStore(db, { hotAccountShards: {} });
  const outbox = new SqliteFileOutbox(db, join(dir, 'outbox'));
  const published: LedgerEvent[] = [];
  const publisher: EventPublisher = {
    publish: async (events) => {
      if (publishFault?.()) throw new Error('bus unavailable (injected)');
      published.push(...events);
    },
  };
  const handler = createAuthoriseHandler({
    stages: {
      dedup: createDedupStage({ store: new SqliteDedupStore(db), parking: new SqliteParkedDuplicateStore(db), transactions, clock, config: DEFAULT_DEDUP_CONFIG }),
      standardise: createStandardiseStage({ clock }),
      enrich: createEnrichStage({ referenceData: referenceData(), clock, transactions }),
      rules: createRulesStage({ ruleSet: loadRuleSetFile(), velocity: new SqliteVelocityStore(db), decisions: new SqliteDecisionStore(db), transactions, clock }),
      posting: createPostingStage({ ledger, clock }),
      assembler: createAssemblerStage({ outbox, transactions, clock }),
    },
    publisher,
    clock,
    ...(answers ? { answers } : {}),
  });
  const invoke = (request: unknown) => handler(request as Record<string, unknown>, context) as Promise<RealTimeOutcome>;
  return { db, ledger, published, invoke };
}

test('each authorisation is answered with its outcome; the same one again answers the same and posts nothing twice', async () => {
  const { db, ledger, invoke } = setUp();
  try {
    const lines = sampleLines(300, 71, 0.1).map((line) => JSON.parse(line) as Record<string, unknown>);
    const first: RealTimeOutcome[] = [];
    for (const [index, auth] of lines.entries()) first.push(await invoke(index % 2 === 0 ? auth : { authorisation: auth }));
    expect(first.map((o) => o.outcome)).toEqual(expect.arrayContaining(['posted', 'duplicate', 'declined']));
    const balances = await ledger.balances();
    const again: RealTimeOutcome[] = [];
    for (const auth of lines) again.push(await invoke(auth));
    expect(again).toEqual(first);
    expect(await ledger.balances()).toEqual(balances);
  } finally {
    db.close();
  }
});

test('a failure is raised; the retry completes it without posting twice', async () => {
  let fail = true;
  const { db, ledger, invoke } = setUp(() => fail);
  try {
    const auth = JSON.parse(sampleLines(5, 73, 0).find((line) => JSON.parse(line).responseCode === '00')!) as Record<string, unknown>;
    await expect(invoke(auth)).rejects.toThrow(AuthoriseFailedError);
    await expect(invoke(auth)).rejects.toThrow(/bus unavailable \(injected\) \(retry: nothing is posted twice\)/);
    fail = false;
    const answer = await invoke(auth);
    expect(answer.outcome).toBe('posted');
    const legs = answer.outcome === 'posted' ? answer.legs.length : 0;
    const updates = (await ledger.balances()).reduce((n, b) => n + b.version, 0);
    expect(updates).toBe(legs);
  } finally {
    db.close();
  }
});

test.each([
  ['not an authorisation', { hello: 'world' }, /missing required field "authorizationId"/],
  ['null', null, /schema|object/],
  ['a PAN in a field', 'pan', /PAN-like/],
])('refuses %s with its reason, writing nothing', async (_name, request, message) => {
  const { db, ledger, published, invoke } = setUp();
  try {
    const base = JSON.parse(sampleLines(1, 75, 0)[0]!) as Record<string, unknown>;
    const answer = await invoke(request === 'pan' ? { ...base, terminalId: '4111111111111111' } : request);
    expect(answer.outcome).toBe('rejected');
    expect(answer.outcome === 'rejected' && answer.reason).toMatch(message);
    expect(JSON.stringify(answer)).not.toContain('4111111111111111');
    expect(await ledger.balances()).toEqual([]);
    expect(published).toEqual([]);
  } finally {
    db.close();
  }
});

test('with answer claims, a repeat of any settled authorisation is answered as a duplicate, as the embedded mode answers it; racing calls get one first answer', async () => {
  const { db, ledger, invoke } = setUp(undefined, memoryClaims());
  try {
    const lines = sampleLines(120, 77, 0.1).map((line) => JSON.parse(line) as Record<string, unknown>);
    const first: RealTimeOutcome[] = [];
    for (const auth of lines) first.push(await invoke(auth));
    expect(first.map((o) => o.outcome)).toEqual(expect.arrayContaining(['posted', 'declined']));
    const balances = await ledger.balances();
    const again = await Promise.all(lines.map((auth) => invoke(auth)));
    expect(again).toEqual(
      lines.map((auth) => ({ outcome: 'duplicate', authorizationId: auth.authorizationId, reason: `authorisation ${String(auth.authorizationId)} was received before: nothing posted again` })),
    );
    expect(await ledger.balances()).toEqual(balances);
    // A new approved authorisation sent by three racing calls: one posted answer, two duplicates.
    const fresh = JSON.parse(sampleLines(40, 79, 0).find((line) => JSON.parse(line).responseCode === '00')!) as Record<string, unknown>;
    const raced = await Promise.all([0, 1, 2].map(() => invoke(fresh)));
    expect(raced.map((o) => o.outcome).sort()).toEqual(['duplicate', 'duplicate', 'posted']);
  } finally {
    db.close();
  }
});

test('with answer claims, a call that failed claimed nothing: its retry gets the first answer', async () => {
  let fail = true;
  const { db, invoke } = setUp(() => fail, memoryClaims());
  try {
    const auth = JSON.parse(sampleLines(5, 81, 0).find((line) => JSON.parse(line).responseCode === '00')!) as Record<string, unknown>;
    await expect(invoke(auth)).rejects.toThrow(AuthoriseFailedError);
    fail = false;
    expect((await invoke(auth)).outcome).toBe('posted');
    expect((await invoke(auth)).outcome).toBe('duplicate');
  } finally {
    db.close();
  }
});
