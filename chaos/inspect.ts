/**
 * CHAOS-1: what a posting state holds, read straight from its SQLite files (read-only, every
 * partition), and how two states compare: nothing lost, nothing posted twice, the same ledger and
 * the same posting records.
 *
 * The outcome of every authorisation is read from the store that records it, never from a run's
 * printed summary (a killed run prints none):
 * - ingested: the `authorisations` table (authorisation id → response code);
 * - parked duplicates (FR3): `parked_duplicates`;
 * - declined / review: `rules_decisions` (first writer wins);
 * - posted (FR7, LEDGER-1): the distinct sequences of `ledger_legs`, with their authorisation id;
 * - failed / pending (SWEEP-1): `transactions` by status;
 * - rejected: an approved, unique authorisation with none of the above (enrichment's rejections
 *   cross the bus and are not stored). The derivation is checked against the uninterrupted run's
 *   own summary, so a lost payment cannot hide there.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STATE_DB_FILE } from '../src/adapters/embedded/database';
import { partitionDirs } from '../src/runtime/state-layout';
import { businessKey } from '../src/domain/dedup';
import type { Authorisation } from '../src/domain/events';
import { correlationIdFor } from '../src/domain/events';

export interface StateCounts {
  ingested: number;
  notApproved: number;
  duplicates: number;
  declined: number;
  review: number;
  posted: number;
  failed: number;
  pending: number;
  /** Approved, unique, and with no other outcome: enrichment's rejections. */
  rejected: number;
}

export interface StateContents {
  counts: StateCounts;
  /** authorisation id → response code, of every ingested authorisation. */
  ingested: Map<string, string>;
  /** authorisation ids of parked duplicates. */
  parked: Set<string>;
  /** correlation id → decision outcome. */
  decisions: Map<string, string>;
  /** `<rule set id> v<version>` → decisions made under it (a valid comparison has one rule set). */
  ruleSets: Map<string, number>;
  /** authorisation id → its posted sequence id. */
  posted: Map<string, string>;
  /** Authorisation ids posted under more than one sequence, and sequences recorded in more than one partition. */
  postedTwice: string[];
  /** Ledger balances summed over partitions and shards: accountId|currency → balance (minor units) and version. */
  balances: Map<string, { balance: bigint; version: bigint }>;
  /** Every posting-record line of every outbox file, sorted (the canonical order). */
  outboxLines: string[];
  /** Lines found more than once across the outbox files (a record written twice). */
  duplicateOutboxLines: number;
  /** SHA-256 of the sorted outbox lines. */
  outboxDigest: string;
  /** Messages the runtime gave up on (dead letters of a queue, not of an input line). */
  deadLetteredMessages: number;
}

function tableExists(db: Database.Database, table: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
}

function openReadOnly(dir: string): Database.Database | undefined {
  const file = join(dir, STATE_DB_FILE);
  if (!existsSync(file)) return undefined;
  return new Database(file, { readonly: true, fileMustExist: true });
}

/** Posting records committed so far, over every partition (the outbox's autoincrement): a cheap progress gauge. */
export function committedRecords(stateDir: string): number {
  let total = 0;
  for (const dir of partitionDirs(stateDir)) {
    let db: Database.Database | undefined;
    try {
      db = openReadOnly(dir);
      if (!db || !tableExists(db, 'sqlite_sequence')) continue;
      total += (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'posting_outbox'").pluck().get() as number | undefined) ?? 0;
    } catch {
      // A database being created: nothing committed yet.
    } finally {
      db?.close();
    }
  }
  return total;
}

/** Reads every partition of a state. */
export function inspectState(stateDir: string): StateContents {
  const ingested = new Map<string, string>();
  const parked = new Set<string>();
  const decisions = new Map<string, string>();
  const ruleSets = new Map<string, number>();
  const posted = new Map<string, string>();
  const postedTwice: string[] = [];
  const sequencePartition = new Map<string, number>();
  const balances = new Map<string, { balance: bigint; version: bigint }>();
  let failed = 0;
  let pending = 0;
  let deadLetteredMessages = 0;
  const dirs = partitionDirs(stateDir);
  if (dirs.length === 0) throw new Error(`${stateDir}: no posting state (no ${STATE_DB_FILE}, no state.json)`);
  dirs.forEach((dir, partition) => {
    const db = openReadOnly(dir);
    if (!db) return;
    try {
      if (tableExists(db, 'authorisations')) {
        for (const row of db.prepare('SELECT authorization_id AS id, response_code AS code FROM authorisations').iterate() as Iterable<{ id: string; code: string }>) {
          if (ingested.has(row.id)) postedTwice.push(`authorisation ${row.id} ingested in two partitions`);
          ingested.set(row.id, row.code);
        }
      }
      if (tableExists(db, 'parked_duplicates')) {
        for (const id of db.prepare('SELECT authorization_id FROM parked_duplicates').pluck().iterate() as Iterable<string>) parked.add(id);
      }
      if (tableExists(db, 'rules_decisions')) {
        const rows = db.prepare(
          "SELECT correlation_id AS id, json_extract(decision, '$.outcome') AS outcome, json_extract(decision, '$.ruleSetId') || ' v' || json_extract(decision, '$.ruleSetVersion') AS ruleSet FROM rules_decisions",
        );
        for (const row of rows.iterate() as Iterable<{ id: string; outcome: string; ruleSet: string | null }>) {
          decisions.set(row.id, row.outcome);
          const ruleSet = row.ruleSet ?? 'no rule set recorded';
          ruleSets.set(ruleSet, (ruleSets.get(ruleSet) ?? 0) + 1);
        }
      }
      if (tableExists(db, 'ledger_legs')) {
        const rows = db.prepare('SELECT DISTINCT sequence_id AS sequenceId, authorization_id AS authorizationId FROM ledger_legs').iterate() as Iterable<{
          sequenceId: string;
          authorizationId: string | null;
        }>;
        for (const { sequenceId, authorizationId } of rows) {
          const seenIn = sequencePartition.get(sequenceId);
          if (seenIn !== undefined && seenIn !== partition) postedTwice.push(`sequence ${sequenceId} recorded in partitions ${seenIn} and ${partition}`);
          sequencePartition.set(sequenceId, partition);
          const key = authorizationId ?? `sequence:${sequenceId}`;
          const earlier = posted.get(key);
          if (earlier !== undefined && earlier !== sequenceId) postedTwice.push(`authorisation ${key} posted as sequences ${earlier} and ${sequenceId}`);
          posted.set(key, sequenceId);
        }
      }
      if (tableExists(db, 'ledger_balances')) {
        const rows = db
          .prepare('SELECT account_id AS accountId, currency, sum(credit_minor) - sum(debit_minor) AS balance, sum(version) AS version FROM ledger_balances GROUP BY account_id, currency')
          .safeIntegers(true)
          .iterate() as Iterable<{ accountId: string; currency: string; balance: bigint; version: bigint }>;
        for (const row of rows) {
          const key = `${row.accountId}|${row.currency}`;
          const total = balances.get(key) ?? { balance: 0n, version: 0n };
          balances.set(key, { balance: total.balance + row.balance, version: total.version + row.version });
        }
      }
      if (tableExists(db, 'dead_letters')) {
        deadLetteredMessages += db.prepare("SELECT count(*) FROM dead_letters WHERE source LIKE 'queue:%'").pluck().get() as number;
      }
      if (tableExists(db, 'transactions')) {
        failed += db.prepare("SELECT count(*) FROM transactions WHERE status = 'FAILED'").pluck().get() as number;
        pending += db.prepare("SELECT count(*) FROM transactions WHERE status IN ('RETRYING', 'RUNNING')").pluck().get() as number;
      }
    } finally {
      db.close();
    }
  });
  const outbox = readOutbox(stateDir);
  let notApproved = 0;
  let approvedUnique = 0;
  for (const [id, code] of ingested) {
    if (code !== '00') notApproved += 1;
    else if (!parked.has(id)) approvedUnique += 1;
  }
  let declined = 0;
  let review = 0;
  for (const outcome of decisions.values()) {
    if (outcome === 'decline') declined += 1;
    else if (outcome === 'review') review += 1;
  }
  const counts: StateCounts = {
    ingested: ingested.size,
    notApproved,
    duplicates: parked.size,
    declined,
    review,
    posted: posted.size,
    failed,
    pending,
    rejected: approvedUnique - declined - review - posted.size - failed - pending,
  };
  return { counts, ingested, parked, decisions, ruleSets, posted, postedTwice, balances, deadLetteredMessages, ...outbox };
}

function readOutbox(stateDir: string): Pick<StateContents, 'outboxLines' | 'duplicateOutboxLines' | 'outboxDigest'> {
  const lines: string[] = [];
  for (const dir of partitionDirs(stateDir)) {
    const outbox = join(dir, 'outbox');
    if (!existsSync(outbox)) continue;
    for (const file of readdirSync(outbox).filter((name) => name.endsWith('.txt'))) {
      for (const line of readFileSync(join(outbox, file), 'utf8').split('\n')) if (line.length > 0) lines.push(line);
    }
  }
  lines.sort();
  let duplicates = 0;
  const digest = createHash('sha256');
  lines.forEach((line, index) => {
    if (index > 0 && lines[index - 1] === line) duplicates += 1;
    digest.update(line).update('\n');
  });
  return { outboxLines: lines, duplicateOutboxLines: duplicates, outboxDigest: digest.digest('hex') };
}

/** Each authorisation of the input: its business key (FR2) and its correlation id (the rules decision's key). */
export type InputIndex = Map<string, { businessKey: string; correlationId: string }>;

/** Indexes the input's valid lines; other lines are dead letters and have no outcome to compare. */
export function indexInput(input: string): InputIndex {
  const index: InputIndex = new Map();
  for (const line of readFileSync(input, 'utf8').split('\n')) {
    if (line.length === 0) continue;
    let authorisation: Authorisation;
    try {
      authorisation = JSON.parse(line) as Authorisation;
      index.set(authorisation.authorizationId, { businessKey: businessKey(authorisation), correlationId: correlationIdFor(authorisation.authorizationId, authorisation.transmittedAt) });
    } catch {
      continue;
    }
  }
  return index;
}

/** One payment (one business key: the original and its re-sends) as a state recorded it. */
interface Payment {
  ingested: number;
  parked: number;
  posted: string[];
  decisions: string[];
}

function payments(contents: StateContents, index: InputIndex): Map<string, Payment> {
  const byKey = new Map<string, Payment>();
  const keyOf = (authorizationId: string) => index.get(authorizationId)?.businessKey ?? `authorisation:${authorizationId}`;
  const of = (key: string): Payment => {
    let payment = byKey.get(key);
    if (!payment) byKey.set(key, (payment = { ingested: 0, parked: 0, posted: [], decisions: [] }));
    return payment;
  };
  const byCorrelation = new Map<string, string>();
  for (const [authorizationId, { correlationId }] of index) byCorrelation.set(correlationId, authorizationId);
  for (const id of contents.ingested.keys()) of(keyOf(id)).ingested += 1;
  for (const id of contents.parked) of(keyOf(id)).parked += 1;
  for (const id of contents.posted.keys()) of(keyOf(id)).posted.push(id);
  for (const [correlationId, outcome] of contents.decisions) {
    const id = byCorrelation.get(correlationId);
    of(id === undefined ? `correlation:${correlationId}` : keyOf(id)).decisions.push(outcome);
  }
  return byKey;
}

export interface Comparison {
  /**
   * Payments (business keys) the clean run ingested, parked, decided or posted that the faulted
   * run did not: each missing outcome counts once.
   */
  lost: number;
  /**
   * Payments posted more than the clean run posted them, authorisations posted under two
   * sequences, sequences in two partitions, and posting-record lines written twice.
   */
  postedTwice: number;
  /**
   * Payments posted once in both runs, but under the other authorisation of the pair: the clean
   * run posted the original and parked its re-send, the faulted run the reverse (which one claims
   * the business key first follows delivery order, and retries change it). Money is the same;
   * the posting records carry the other authorisation id.
   */
  swapped: { businessKey: string; clean: string; faulted: string }[];
  /** Of `lost`: payments posted in both runs whose posting record the faulted run never wrote (wholly or in part). */
  lostRecords: number;
  /** Balances equal per account and currency (summed over partitions and shards). */
  ledgerEqual: boolean;
  /** Balance versions equal too (the count of conditional balance updates: batch composition, not money). */
  versionsEqual: boolean;
  /** Posting records equal after canonical ordering, byte for byte. */
  recordsEqual: boolean;
  /** Posting records equal once the swapped payments' sequence and authorisation ids are set aside. */
  recordsEqualExceptSwaps: boolean;
  /** The faulted run's store-derived counts equal the clean run's. */
  countsEqual: boolean;
  /** What differs, for the report (at most a few of each kind). */
  differences: string[];
}

/** The posting-record fields (0-based [start, end)) that name the payment's sequence and authorisation. */
const SEQUENCE_ID_FIELD = [2, 38] as const;
const AUTHORIZATION_ID_FIELD = [110, 145] as const;

function outboxDigestExcept(lines: readonly string[], authorisations: ReadonlySet<string>): string {
  const normalised = lines.map((line) => {
    if (!authorisations.has(line.slice(...AUTHORIZATION_ID_FIELD).trim())) return line;
    const blank = (text: string, [start, end]: readonly [number, number]) => text.slice(0, start) + ' '.repeat(end - start) + text.slice(end);
    return blank(blank(line, SEQUENCE_ID_FIELD), AUTHORIZATION_ID_FIELD);
  });
  normalised.sort();
  const digest = createHash('sha256');
  for (const line of normalised) digest.update(line).update('\n');
  return digest.digest('hex');
}

/** Compares a faulted run's state with a clean run's, payment by payment. */
export function compareStates(clean: StateContents, faulted: StateContents, index: InputIndex): Comparison {
  const differences: string[] = [];
  const note = (count: number, text: string) => {
    if (count <= 3) differences.push(text);
  };
  const cleanPayments = payments(clean, index);
  const faultedPayments = payments(faulted, index);
  const none: Payment = { ingested: 0, parked: 0, posted: [], decisions: [] };
  let lost = 0;
  let postedTwice = faulted.postedTwice.length + faulted.duplicateOutboxLines;
  differences.push(...faulted.postedTwice.slice(0, 3));
  if (faulted.duplicateOutboxLines > 0) differences.push(`${faulted.duplicateOutboxLines} posting-record line(s) written twice`);
  const swapped: Comparison['swapped'] = [];
  for (const key of new Set([...cleanPayments.keys(), ...faultedPayments.keys()])) {
    const c = cleanPayments.get(key) ?? none;
    const f = faultedPayments.get(key) ?? none;
    const remaining = [...f.decisions];
    let missingDecisions = 0;
    for (const outcome of c.decisions) {
      const at = remaining.indexOf(outcome);
      if (at >= 0) remaining.splice(at, 1);
      else missingDecisions += 1;
    }
    const missing = Math.max(0, c.ingested - f.ingested) + Math.max(0, c.parked - f.parked) + Math.max(0, c.posted.length - f.posted.length) + missingDecisions;
    if (missing > 0) {
      lost += missing;
      note(lost, `payment ${key}: clean ${JSON.stringify(c)}, faulted ${JSON.stringify(f)}`);
    }
    const extra = Math.max(0, f.posted.length - Math.max(1, c.posted.length));
    if (extra > 0) {
      postedTwice += extra;
      note(postedTwice, `payment ${key} posted ${f.posted.length} times (${f.posted.join(', ')})`);
    }
    if (c.posted.length === 1 && f.posted.length === 1 && c.posted[0] !== f.posted[0]) swapped.push({ businessKey: key, clean: c.posted[0]!, faulted: f.posted[0]! });
  }
  // A payment posted in both runs whose posting record (or a leg of it) the faulted run never wrote.
  const faultedLines = new Set(faulted.outboxLines);
  const swappedIds = new Set(swapped.flatMap((pair) => [pair.clean, pair.faulted]));
  const unwritten = new Set<string>();
  for (const line of clean.outboxLines) {
    if (faultedLines.has(line)) continue;
    const authorizationId = line.slice(...AUTHORIZATION_ID_FIELD).trim();
    if (swappedIds.has(authorizationId) || !faulted.posted.has(authorizationId)) continue;
    unwritten.add(authorizationId);
  }
  const lostRecords = unwritten.size;
  if (lostRecords > 0) {
    lost += lostRecords;
    differences.push(`${lostRecords} payment(s) posted to the ledger without their posting record, e.g. authorisation ${[...unwritten][0]}`);
  }
  if (faulted.deadLetteredMessages > clean.deadLetteredMessages) {
    differences.push(`${faulted.deadLetteredMessages - clean.deadLetteredMessages} message(s) given up on and dead-lettered ("message failed every delivery and could not be parked")`);
  }
  if (swapped.length > 0) {
    const pair = swapped[0]!;
    differences.push(
      `${swapped.length} payment(s) posted under the other authorisation of a duplicate pair, e.g. business key ${pair.businessKey}: clean posted ${pair.clean}, faulted ${pair.faulted}`,
    );
  }

  let ledgerEqual = clean.balances.size === faulted.balances.size;
  let versionsEqual = ledgerEqual;
  for (const [key, { balance, version }] of clean.balances) {
    const other = faulted.balances.get(key);
    if (!other || other.balance !== balance) {
      if (ledgerEqual) differences.push(`balance of ${key}: clean ${balance}, faulted ${other?.balance ?? 'absent'} (minor units)`);
      ledgerEqual = false;
    }
    if (!other || other.version !== version) versionsEqual = false;
  }
  const recordsEqual = clean.outboxDigest === faulted.outboxDigest && clean.outboxLines.length === faulted.outboxLines.length;
  let recordsEqualExceptSwaps = recordsEqual;
  if (!recordsEqual && swapped.length > 0 && clean.outboxLines.length === faulted.outboxLines.length) {
    recordsEqualExceptSwaps = outboxDigestExcept(clean.outboxLines, swappedIds) === outboxDigestExcept(faulted.outboxLines, swappedIds);
  }
  if (!recordsEqual)
    differences.push(
      `posting records differ: clean ${clean.outboxLines.length} lines, faulted ${faulted.outboxLines.length}${recordsEqualExceptSwaps ? " (equal but for the swapped pairs' sequence and authorisation ids)" : ''}`,
    );
  const countsEqual = (Object.keys(clean.counts) as (keyof StateCounts)[]).every((key) => clean.counts[key] === faulted.counts[key]);
  if (!countsEqual) differences.push(`counts: clean ${JSON.stringify(clean.counts)}, faulted ${JSON.stringify(faulted.counts)}`);
  return { lost, lostRecords, postedTwice, swapped, ledgerEqual, versionsEqual, recordsEqual, recordsEqualExceptSwaps, countsEqual, differences };
}

/** The summary fields a store-derived count must equal (the clean, uninterrupted run's own printed summary). */
export function countsMatchSummary(counts: StateCounts, summary: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const expect = (name: string, derived: number, printed: unknown) => {
    if (derived !== printed) problems.push(`${name}: store ${derived}, summary ${String(printed)}`);
  };
  expect('notApproved', counts.notApproved, summary.notApproved);
  expect('duplicates', counts.duplicates, summary.duplicates);
  expect('declined', counts.declined, summary.declined);
  expect('review', counts.review, summary.review);
  expect('posted', counts.posted, summary.posted);
  expect('failed', counts.failed, summary.failed);
  expect('pending', counts.pending, summary.pending);
  expect('rejected', counts.rejected, summary.rejected);
  return problems;
}

/**
 * CHAOS-1's validity guard: every decision of both states made under one rule set. Decisions under
 * two rule sets mean the code or its rule set changed while the run went on (a restarted child
 * read an edited checkout), and the comparison would measure the edit, not the faults: the run is
 * void, and says so.
 */
export function mixedRuleSets(...states: StateContents[]): string | undefined {
  const all = new Map<string, number>();
  for (const state of states) for (const [ruleSet, count] of state.ruleSets) all.set(ruleSet, (all.get(ruleSet) ?? 0) + count);
  if (all.size <= 1) return undefined;
  const listed = [...all].map(([ruleSet, count]) => `${ruleSet}: ${count} decisions`).join('; ');
  return `void run: decisions were made under ${all.size} rule sets (${listed}); the checkout or its rule set changed during the run`;
}
