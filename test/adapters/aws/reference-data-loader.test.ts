import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteItemCommand, GetItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { fuzzRuns, fuzzScale } from '../../support/fuzz';
import { DynamoReferenceData, referenceItem } from '../../../src/adapters/aws/dynamo-reference-data';
import { BATCH_SIZE, loadReferenceSet, prepareReferenceSet, ReferenceDataLoadError, runReferenceDataLoad } from '../../../src/adapters/aws/reference-data-loader';
import type { LoadOptions, PreparedReferenceSet } from '../../../src/adapters/aws/reference-data-loader';
import { createTableInput, TABLES } from '../../../src/adapters/aws/tables';
import { DEFAULT_REFERENCE_DATA_DIR, EmbeddedReferenceData } from '../../../src/adapters/embedded/reference-data';
import { main } from '../../../src/cli/main';
import { REFERENCE_FILES } from '../../../src/domain/reference-data-set';
import type { ReferenceData } from '../../../src/ports';
import { run as runScript } from '../../../scripts/load-reference-data';
import type { Dynalite } from './support/dynalite';
import { closedPortClient, createActiveTable, startDynalite } from './support/dynalite';

const SHIPPED = DEFAULT_REFERENCE_DATA_DIR;
/** A Luhn-valid test card number (Visa), the kind of value that must never be loaded (PCI-3). */
const PAN = '4111111111111111';

let db: Dynalite;
const scratch = mkdtempSync(path.join(tmpdir(), 'refload-'));
let tableCount = 0;
let setCount = 0;

beforeAll(async () => {
  db = await startDynalite();
});

afterAll(async () => {
  await db.stop();
  rmSync(scratch, { recursive: true, force: true });
});

async function freshTable(): Promise<string> {
  tableCount += 1;
  const name = `reference-${tableCount}`;
  await createActiveTable(db.client, createTableInput(TABLES.reference, name));
  return name;
}

type Files = Record<string, string>;

/** A shipped file's text, read once per file (smallFiles is the base of most sets written here). */
const shippedTexts = new Map<string, string>();
function readShipped(name: string): string {
  let text = shippedTexts.get(name);
  if (text === undefined) shippedTexts.set(name, (text = readFileSync(path.join(SHIPPED, name), 'utf8')));
  return text;
}

let smallSet: Readonly<Files> | undefined;

/** A small valid set cut from the shipped one: every product, FX rate, settlement account and merchant; the first 30 customer accounts and their cards. A new object each call (callers edit it). */
function smallFiles(): Files {
  smallSet ??= cutSmallFiles();
  return { ...smallSet };
}

function cutSmallFiles(): Files {
  const read = readShipped;
  const accountLines = read('accounts.csv').split('\n').slice(0, 31);
  const accountIds = new Set(accountLines.slice(1).map((line) => line.split(',')[0]));
  const cardLines = read('cards.csv')
    .split('\n')
    .filter((line, i) => i === 0 || (line.length > 0 && accountIds.has(line.split(',')[1])));
  return {
    'products.json': read('products.json'),
    'fx-rates.json': read('fx-rates.json'),
    'settlement-accounts.csv': read('settlement-accounts.csv'),
    'accounts.csv': `${accountLines.join('\n')}\n`,
    'merchants.csv': read('merchants.csv'),
    'cards.csv': `${cardLines.join('\n')}\n`,
  };
}

interface SetOptions {
  version: string;
  effectiveDate: string;
  edit?: (files: Files) => void;
  /** Leave the manifest's hashes as they were before `edit` (a manifest that does not match its files). */
  staleHashes?: boolean;
  counts?: Record<string, number>;
  /** The files to start from (default: smallFiles). */
  base?: () => Files;
}

/** Writes a set (files + a manifest with their SHA-256) to a new directory. */
function writeSet(options: SetOptions): string {
  setCount += 1;
  const dir = path.join(scratch, `set-${setCount}`);
  mkdirSync(dir);
  const files = (options.base ?? smallFiles)();
  const hash = (text: string): string => createHash('sha256').update(text).digest('hex');
  const before = Object.fromEntries(Object.entries(files).map(([name, text]) => [name, hash(text)]));
  options.edit?.(files);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  const hashes = options.staleHashes ? before : Object.fromEntries(Object.entries(files).map(([name, text]) => [name, hash(text)]));
  const manifest = { version: options.version, effectiveDate: options.effectiveDate, generatedBy: 'test', ...(options.counts ? { counts: options.counts } : {}), files: hashes };
  writeFileSync(path.join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return dir;
}

let tinySet: Readonly<Files> | undefined;

/**
 * A tiny valid set (about 80 items, 4 batches): every product, 20 FX rates, the first 10 merchants
 * and their settlement accounts, the first 15 customer accounts and their cards.
 */
function tinyFiles(): Files {
  tinySet ??= cutTinyFiles();
  return { ...tinySet };
}

function cutTinyFiles(): Files {
  const files = smallFiles();
  const csv = (name: string) => (files[name] as string).split('\n').filter((line) => line.length > 0);
  const merchants = csv('merchants.csv').slice(0, 11);
  const settlementIds = new Set(merchants.slice(1).map((line) => line.split(',')[7]));
  const settlement = csv('settlement-accounts.csv').filter((line, i) => i === 0 || settlementIds.has(line.split(',')[0]));
  const accounts = csv('accounts.csv').slice(0, 16);
  const accountIds = new Set(accounts.slice(1).map((line) => line.split(',')[0]));
  const cards = csv('cards.csv').filter((line, i) => i === 0 || accountIds.has(line.split(',')[1]));
  const rates = (files['fx-rates.json'] as string)
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .slice(0, 20)
    .map((line) => `  ${line.trim().replace(/,$/, '')}`);
  const lines = (list: string[]) => `${list.join('\n')}\n`;
  return {
    ...files,
    'fx-rates.json': `[\n${rates.join(',\n')}\n]\n`,
    'merchants.csv': lines(merchants),
    'settlement-accounts.csv': lines(settlement),
    'accounts.csv': lines(accounts),
    'cards.csv': lines(cards),
  };
}

/** Changes one cell of every data row of a CSV file. */
function editColumn(files: Files, name: string, column: number, change: (cell: string) => string): void {
  files[name] = (files[name] as string)
    .split('\n')
    .map((line, i) => {
      if (i === 0 || line.length === 0) return line;
      const cells = line.split(',');
      cells[column] = change(cells[column] as string);
      return cells.join(',');
    })
    .join('\n');
}

function replaceLine(files: Files, name: string, lineNumber: number, change: (line: string) => string): void {
  const lines = (files[name] as string).split('\n');
  lines[lineNumber - 1] = change(lines[lineNumber - 1] as string);
  files[name] = lines.join('\n');
}

function setCell(files: Files, name: string, lineNumber: number, column: number, value: string): void {
  replaceLine(files, name, lineNumber, (line) => {
    const cells = line.split(',');
    cells[column] = value;
    return cells.join(',');
  });
}

/** A client that passes calls to `inner` and records each command's name; `fail` decides (by call number and command) to fail one instead. */
function recordingClient(inner: Pick<DynamoDBClient, 'send'>, fail?: (call: number, command: object) => boolean): { client: Pick<DynamoDBClient, 'send'>; calls: string[]; batchSizes: number[] } {
  const calls: string[] = [];
  const batchSizes: number[] = [];
  const client = {
    send: (command: object) => {
      calls.push(command.constructor.name);
      if (command instanceof BatchWriteItemCommand) batchSizes.push(Object.values(command.input.RequestItems ?? {}).reduce((n, requests) => n + requests.length, 0));
      if (fail?.(calls.length, command)) return Promise.reject(Object.assign(new Error('injected failure'), { name: 'AccessDeniedException' }));
      return (inner.send as (command: object) => Promise<unknown>)(command);
    },
  } as Pick<DynamoDBClient, 'send'>;
  return { client, calls, batchSizes };
}

async function pointerOf(tableName: string): Promise<Record<string, unknown> | undefined> {
  const result = await db.client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: 'META#VERSION' } }, ConsistentRead: true }));
  return result.Item ? unmarshall(result.Item) : undefined;
}

async function scanTable(tableName: string): Promise<Map<string, Record<string, unknown>>> {
  const items = new Map<string, Record<string, unknown>>();
  let start: Record<string, never> | undefined;
  do {
    const page = await db.client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) items.set(item.pk?.S as string, unmarshall(item));
    start = page.LastEvaluatedKey as typeof start;
  } while (start);
  return items;
}

const FAST: Partial<LoadOptions> = { retry: { attempts: 4, baseMs: 1, capMs: 2 } };

function load(prepared: PreparedReferenceSet, tableName: string, client: Pick<DynamoDBClient, 'send'> = db.client, extra: Partial<LoadOptions> = {}) {
  return loadReferenceSet(prepared, { client, tableName, ...FAST, ...extra });
}

async function refusal(promise: Promise<unknown>): Promise<ReferenceDataLoadError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof ReferenceDataLoadError)) throw new Error(`expected a ReferenceDataLoadError, got ${String(error)}`);
  return error;
}

// ---------------------------------------------------------------------------

/** mulberry32: a small seeded generator, so a sample is the same on every run with the same seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The shipped set with every product, FX rate, settlement account and merchant, and a seeded
 * twentieth of the customer accounts with their cards (~1,400 items); the whole set (~21,800)
 * under `npm run fuzz`. Same version and date as the shipped manifest.
 */
function shippedSample(): string {
  if (fuzzScale() > 1) return SHIPPED;
  const manifest = JSON.parse(readFileSync(path.join(SHIPPED, 'manifest.json'), 'utf8')) as { version: string; effectiveDate: string };
  const random = seededRandom(20261206);
  return writeSet({
    version: manifest.version,
    effectiveDate: manifest.effectiveDate,
    base: () => {
      const read = readShipped;
      const rows = (name: string) =>
        read(name)
          .split('\n')
          .filter((line) => line.length > 0);
      const accounts = rows('accounts.csv').filter((_, i) => i === 0 || random() < 0.05);
      const accountIds = new Set(accounts.slice(1).map((line) => line.split(',')[0]));
      const cards = rows('cards.csv').filter((line, i) => i === 0 || accountIds.has(line.split(',')[1]));
      return {
        'products.json': read('products.json'),
        'fx-rates.json': read('fx-rates.json'),
        'settlement-accounts.csv': read('settlement-accounts.csv'),
        'accounts.csv': `${accounts.join('\n')}\n`,
        'merchants.csv': read('merchants.csv'),
        'cards.csv': `${cards.join('\n')}\n`,
      };
    },
  });
}

describe('loading the shipped reference data', () => {
  // Writing all ~21,800 shipped records to dynalite cost ~25 s of CPU, the most of any step of this
  // suite. What a load of the shipped data proves beyond the loader tests below is that its records
  // are valid (prepareReferenceSet of the whole set, here and in 'accepts the shipped set'), distinct
  // items (checked on the whole set in process), and read back through DynamoReferenceData as the
  // embedded adapter answers them: that is checked for EVERY record of every kind actually loaded, a
  // seeded sample of the customer accounts and all of everything else (every kind and every
  // product, FX pair, settlement account and merchant), in 25-item batches as before.
  it('reads back through DynamoReferenceData exactly what the embedded adapter answers, for every record of every kind (the shipped set, its customer accounts sampled; all of it under npm run fuzz)', async () => {
    const shipped = prepareReferenceSet(SHIPPED);
    expect(new Set(shipped.items.map((item) => item.pk)).size).toBe(shipped.items.length);
    const set = shippedSample();
    const tableName = await freshTable();
    const prepared = prepareReferenceSet(set);
    const { client, batchSizes } = recordingClient(db.client);
    const result = await load(prepared, tableName, client);
    const embedded = new EmbeddedReferenceData(set);
    expect(embedded.version).toBe(new EmbeddedReferenceData(SHIPPED).version);
    expect(embedded.accounts.length).toBeGreaterThan(100);
    expect(embedded.cards.length).toBeGreaterThan(100);

    const expectedItems = embedded.cards.length + embedded.accounts.length + embedded.settlementAccounts.length + embedded.merchants.length + embedded.products.length + embedded.fxRates.length;
    expect(result).toMatchObject({ version: embedded.version, written: expectedItems, deleted: 0, previousVersion: undefined });
    // BatchWriteItem, 25 a request.
    expect(batchSizes.length).toBe(Math.ceil(expectedItems / BATCH_SIZE));
    expect(Math.max(...batchSizes)).toBe(BATCH_SIZE);
    expect((await scanTable(tableName)).size).toBe(expectedItems + 1);

    const dynamo = await DynamoReferenceData.open({ client: db.client, tableName });
    expect(dynamo.version).toBe(embedded.version);
    const lookups: Array<[string, () => Promise<unknown>, () => Promise<unknown>]> = [
      ...embedded.cards.map((c): [string, () => Promise<unknown>, () => Promise<unknown>] => [`card ${c.panToken}`, () => dynamo.card(c.panToken), () => embedded.card(c.panToken)]),
      ...[...embedded.accounts, ...embedded.settlementAccounts].map((a): [string, () => Promise<unknown>, () => Promise<unknown>] => [
        `account ${a.accountId}`,
        () => dynamo.account(a.accountId),
        () => embedded.account(a.accountId),
      ]),
      ...embedded.merchants.map((m): [string, () => Promise<unknown>, () => Promise<unknown>] => [`merchant ${m.id}`, () => dynamo.merchant(m.id), () => embedded.merchant(m.id)]),
      ...embedded.products.map((p): [string, () => Promise<unknown>, () => Promise<unknown>] => [
        `product ${p.productType}`,
        () => dynamo.product(p.productType),
        () => embedded.product(p.productType),
      ]),
      ...embedded.fxRates.map((r): [string, () => Promise<unknown>, () => Promise<unknown>] => [`fx ${r.from}>${r.to}`, () => dynamo.fxRate(r.from, r.to), () => embedded.fxRate(r.from, r.to)]),
    ];
    expect(lookups.length).toBe(expectedItems);
    // Every record loaded, read back.
    const mismatches: string[] = [];
    for (let i = 0; i < lookups.length; i += 100) {
      await Promise.all(
        lookups.slice(i, i + 100).map(async ([what, fromDynamo, fromEmbedded]) => {
          const [actual, expected] = await Promise.all([fromDynamo(), fromEmbedded()]);
          if (expected === undefined || !strictlyEqual(actual, expected)) mismatches.push(what);
        }),
      );
    }
    expect(mismatches).toEqual([]);

    // Keys that are not in the files: both adapters answer alike (nothing), whatever the key.
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 24 }), fc.constantFrom('card', 'account', 'merchant', 'product'), async (key, kind) => {
        const method = kind as 'card' | 'account' | 'merchant' | 'product';
        expect(await dynamo[method](`x${key}`)).toStrictEqual(await embedded[method](`x${key}`));
      }),
      { numRuns: fuzzRuns(40) },
    );
    await expect(dynamo.fxRate('GBP', 'GBP')).resolves.toBeUndefined();
  }, 240_000);
});

/** Deep equality, strict about missing or extra fields (a merchant's city included). */
function strictlyEqual(actual: unknown, expected: unknown): boolean {
  try {
    expect(actual).toStrictEqual(expected);
    return true;
  } catch {
    return false;
  }
}

describe('load semantics', () => {
  const v1 = (): string => writeSet({ version: '2026-11-01.v1', effectiveDate: '2026-11-01' });
  /** v2: a later set that withdraws the first card, adds one, and renames an account holder. */
  const v2 = (): string =>
    writeSet({
      version: '2026-12-01.v2',
      effectiveDate: '2026-12-01',
      edit: (files) => {
        const cards = (files['cards.csv'] as string).split('\n');
        const [header, withdrawn, ...rest] = cards;
        const added = `tok_NewCardAddedInV2,${(withdrawn as string).split(',')[1]},VISA,ACTIVE`;
        files['cards.csv'] = [header, ...rest.slice(0, -1), added, ''].join('\n');
        setCell(files, 'accounts.csv', 2, 4, 'Renamed Holder');
      },
    });
  const firstCard = (dir: string): string => (readFileSync(path.join(dir, 'cards.csv'), 'utf8').split('\n')[1] as string).split(',')[0] as string;

  it('re-running the same version rewrites the same items and leaves the pointer as it was', async () => {
    const tableName = await freshTable();
    const prepared = prepareReferenceSet(v1());
    const first = await load(prepared, tableName, db.client, { now: () => new Date('2026-11-01T06:00:00Z') });
    const before = await scanTable(tableName);
    const second = await load(prepared, tableName, db.client, { now: () => new Date('2026-11-01T07:00:00Z') });
    const after = await scanTable(tableName);
    expect(first).toMatchObject({ previousVersion: undefined, written: prepared.items.length, deleted: 0 });
    expect(second).toMatchObject({ previousVersion: '2026-11-01.v1', written: prepared.items.length, deleted: 0 });
    expect(after.size).toBe(prepared.items.length + 1);
    const withoutLoadTime = (items: Map<string, Record<string, unknown>>) => [...items].map(([key, item]) => [key, { ...item, loadedAt: undefined }]).sort();
    expect(withoutLoadTime(after)).toEqual(withoutLoadTime(before));
    expect(await pointerOf(tableName)).toMatchObject({ version: '2026-11-01.v1', effectiveDate: '2026-11-01', kind: 'meta', loadedAt: '2026-11-01T07:00:00.000Z' });
  });

  it('a failure midway leaves the old version named, says which file lines failed, and a re-run completes the load', async () => {
    const tableName = await freshTable();
    const oldDir = v1();
    const newDir = v2();
    await load(prepareReferenceSet(oldDir), tableName);
    const withdrawnCard = firstCard(oldDir);
    const next = prepareReferenceSet(newDir);

    // Call 1 reads the pointer; call 2 puts the load marker; calls 3–5 write batches 1–3; call 6 (batch 4) fails.
    const { client, calls } = recordingClient(db.client, (call) => call === 6);
    const error = await refusal(load(next, tableName, client, { concurrency: 1 }));
    const batch = next.items.slice(3 * BATCH_SIZE, 4 * BATCH_SIZE);
    const [first, last] = [batch[0], batch[batch.length - 1]];
    expect(first?.file).toBe(last?.file);
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain(`writing ${first?.file} lines ${first?.line}–${last?.line} failed: AccessDeniedException: injected failure`);
    expect(error.message).toContain('META#VERSION pointer still names 2026-11-01.v1 (effective 2026-11-01)');
    expect(calls).toEqual(['GetItemCommand', 'PutItemCommand', 'BatchWriteItemCommand', 'BatchWriteItemCommand', 'BatchWriteItemCommand', 'BatchWriteItemCommand']);

    const oldAccount = new EmbeddedReferenceData(oldDir).accounts[0];
    const during = await DynamoReferenceData.open({ client: db.client, tableName });
    expect(during.version).toBe('2026-11-01.v1');
    await expect(during.card(withdrawnCard)).resolves.toMatchObject({ panToken: withdrawnCard });
    await expect(during.card('tok_NewCardAddedInV2')).resolves.toBeUndefined();
    await expect(during.account(oldAccount?.accountId as string)).resolves.toStrictEqual(oldAccount);

    // A failure of the flip itself: every item is written, the pointer still names v1.
    const flipFails = recordingClient(db.client, (_call, command) => command instanceof PutItemCommand && command.input.Item?.pk?.S === 'META#VERSION');
    const flipError = await refusal(load(next, tableName, flipFails.client));
    expect(flipError.message).toContain('flipping META#VERSION failed');
    expect((await pointerOf(tableName))?.version).toBe('2026-11-01.v1');
    // Every item of v2 is written, beside v1: v1 still answers as v1 for every record.
    const pinned = new DynamoReferenceData({ client: db.client, tableName, version: '2026-11-01.v1' });
    await expect(pinned.card(withdrawnCard)).resolves.toMatchObject({ panToken: withdrawnCard });
    await expect(pinned.account(oldAccount?.accountId as string)).resolves.toStrictEqual(oldAccount);

    const result = await load(next, tableName);
    // v1 is kept as the previous version (readers that resolved the pointer before the flip), nothing deleted.
    expect(result).toMatchObject({ previousVersion: '2026-11-01.v1', retainedVersion: '2026-11-01.v1', version: '2026-12-01.v2', deleted: 0, deletedVersions: [] });
    const after = await DynamoReferenceData.open({ client: db.client, tableName });
    expect(after.version).toBe('2026-12-01.v2');
    await expect(after.card(withdrawnCard)).resolves.toBeUndefined();
    await expect(after.card('tok_NewCardAddedInV2')).resolves.toMatchObject({ network: 'VISA' });
    const renamed = new EmbeddedReferenceData(newDir).accounts[0];
    await expect(after.account(renamed?.accountId as string)).resolves.toStrictEqual(renamed);
    expect(renamed?.holderName).toBe('Renamed Holder');
    await expect(pinned.card(withdrawnCard)).resolves.toMatchObject({ panToken: withdrawnCard });
    // v1's items, v2's items and the pointer; no load marker left.
    expect((await scanTable(tableName)).size).toBe(prepareReferenceSet(oldDir).items.length + next.items.length + 1);
  });

  it('never moves the pointer to an earlier effective date: refused before any write', async () => {
    const tableName = await freshTable();
    await load(prepareReferenceSet(v2()), tableName);
    const { client, calls } = recordingClient(db.client);
    const error = await refusal(load(prepareReferenceSet(v1()), tableName, client));
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain('the table holds a later set, 2026-12-01.v2 (effective 2026-12-01)');
    expect(calls).toEqual(['GetItemCommand']);
    expect((await pointerOf(tableName))?.version).toBe('2026-12-01.v2');
  });

  it('an older load that started before a newer one was made live cannot move the pointer back', async () => {
    const tableName = await freshTable();
    await load(prepareReferenceSet(writeSet({ version: '2026-10-01.v0', effectiveDate: '2026-10-01' })), tableName);
    const older = prepareReferenceSet(v1());
    const newerDir = v2();
    const newer = prepareReferenceSet(newerDir);
    // The older load reads the pointer (v0: fine), then the newer load runs to completion before the older one writes.
    let raced = false;
    const { client } = recordingClient({
      send: async (command: object) => {
        if (command instanceof BatchWriteItemCommand && !raced) {
          raced = true;
          await load(newer, tableName);
        }
        return (db.client.send as (command: object) => Promise<unknown>)(command);
      },
    } as Pick<DynamoDBClient, 'send'>);
    const error = await refusal(load(older, tableName, client));
    expect(raced).toBe(true);
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain('another load moved the META#VERSION pointer to 2026-12-01.v2 (effective 2026-12-01)');
    expect(error.message).toContain("this load's items are keyed by version 2026-11-01.v1, which nothing reads");
    expect((await pointerOf(tableName))?.version).toBe('2026-12-01.v2');
    // The older load wrote its items after the newer one was live: v2 still answers as v2.
    const live = await DynamoReferenceData.open({ client: db.client, tableName });
    const renamed = new EmbeddedReferenceData(newerDir).accounts[0];
    await expect(live.account(renamed?.accountId as string)).resolves.toStrictEqual(renamed);
    await expect(live.card('tok_NewCardAddedInV2')).resolves.toMatchObject({ status: 'ACTIVE' });
  });

  it('a corrected set of the same date replaces the version it saw, but not one made live while it ran', async () => {
    const tableName = await freshTable();
    const a = prepareReferenceSet(writeSet({ version: '2026-11-01.a', effectiveDate: '2026-11-01' }));
    const b = prepareReferenceSet(writeSet({ version: '2026-11-01.b', effectiveDate: '2026-11-01', edit: (files) => setCell(files, 'accounts.csv', 3, 4, 'Corrected Name') }));
    const c = prepareReferenceSet(writeSet({ version: '2026-11-01.c', effectiveDate: '2026-11-01', edit: (files) => setCell(files, 'accounts.csv', 3, 4, 'Other Name') }));
    await load(a, tableName);
    await expect(load(b, tableName)).resolves.toMatchObject({ previousVersion: '2026-11-01.a' });
    expect((await pointerOf(tableName))?.version).toBe('2026-11-01.b');

    // c starts while b is live; before c writes, a is loaded again (it starts after b is live, so it
    // replaces b). c's flip must then fail: the pointer moved since c started.
    let raced = false;
    const racing = {
      send: async (command: object) => {
        if (command instanceof BatchWriteItemCommand && !raced) {
          raced = true;
          await load(a, tableName);
        }
        return (db.client.send as (command: object) => Promise<unknown>)(command);
      },
    } as Pick<DynamoDBClient, 'send'>;
    const error = await refusal(load(c, tableName, racing));
    expect(error.message).toContain('moved the META#VERSION pointer to 2026-11-01.a');
    expect((await pointerOf(tableName))?.version).toBe('2026-11-01.a');
  });

  it('retries unprocessed items with backoff, and gives up after the bounded attempts naming the lines', async () => {
    const tableName = await freshTable();
    const prepared = prepareReferenceSet(v1());
    // DynamoDB returns some items unprocessed when throttled: the first two requests write nothing.
    let throttled = 0;
    const flaky = {
      send: async (command: object) => {
        if (command instanceof BatchWriteItemCommand && throttled < 2) {
          throttled += 1;
          return { UnprocessedItems: command.input.RequestItems };
        }
        return (db.client.send as (command: object) => Promise<unknown>)(command);
      },
    } as Pick<DynamoDBClient, 'send'>;
    const result = await load(prepared, tableName, flaky, { concurrency: 1 });
    expect(result.retries).toBe(2);
    expect((await scanTable(tableName)).size).toBe(prepared.items.length + 1);

    const other = await freshTable();
    const alwaysThrottled = {
      send: async (command: object) => {
        if (command instanceof BatchWriteItemCommand) return { UnprocessedItems: command.input.RequestItems };
        return (db.client.send as (command: object) => Promise<unknown>)(command);
      },
    } as Pick<DynamoDBClient, 'send'>;
    const error = await refusal(load(prepared, other, alwaysThrottled, { concurrency: 1 }));
    expect(error.message).toContain(`writing products.json lines ${prepared.items[0]?.line}–`);
    expect(error.message).toContain('25 items still unprocessed (throttled) after 4 attempts');
    expect(error.message).toContain('The table still has no META#VERSION pointer');
    expect(await pointerOf(other)).toBeUndefined();
  });

  it('a clean-up that fails after the flip says the new version is live, and a re-run finishes it', async () => {
    const tableName = await freshTable();
    await load(prepareReferenceSet(v1()), tableName);
    const foreign = { pk: { S: 'NOTE#ops' }, kind: { S: 'note' } };
    // A record of an older version, v0 (older than the previous one once v2 is live).
    const stray = referenceItem('2026-10-01.v0', 'card', { panToken: 'tok_StrayCardNotInSet', accountId: 'ACC-0000001', network: 'VISA', status: 'ACTIVE' });
    await db.client.send(new PutItemCommand({ TableName: tableName, Item: foreign }));
    await db.client.send(new PutItemCommand({ TableName: tableName, Item: stray }));

    const scanFails = recordingClient(db.client, (_call, command) => command instanceof ScanCommand);
    const error = await refusal(load(prepareReferenceSet(v2()), tableName, scanFails.client));
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain('reference data 2026-12-01.v2 is live in');
    expect(error.message).toContain('scanning for the versions to delete failed: AccessDeniedException: injected failure');
    expect((await pointerOf(tableName))?.version).toBe('2026-12-01.v2');
    expect((await scanTable(tableName)).has('2026-10-01.v0#CARD#tok_StrayCardNotInSet')).toBe(true);

    const deleteFails = recordingClient(db.client, (_call, command) => command instanceof BatchWriteItemCommand && Boolean(Object.values(command.input.RequestItems ?? {})[0]?.[0]?.DeleteRequest));
    const deleteError = await refusal(load(prepareReferenceSet(v2()), tableName, deleteFails.client));
    expect(deleteError.message).toMatch(/is live in .*, but deleting stale item 2026-10-01\.v0#CARD#tok_StrayCardNotInSet failed: AccessDeniedException/);

    const result = await load(prepareReferenceSet(v2()), tableName);
    expect(result).toMatchObject({ deleted: 1, deletedVersions: ['2026-10-01.v0'], retainedVersion: '2026-11-01.v1' });
    const items = await scanTable(tableName);
    expect(items.has('NOTE#ops')).toBe(true);
    expect(items.has('2026-10-01.v0#CARD#tok_StrayCardNotInSet')).toBe(false);
  });

  it('maps an unreachable endpoint to an AWS failure that wrote nothing', async () => {
    const client = await closedPortClient();
    const error = await refusal(load(prepareReferenceSet(v1()), 'whatever', client));
    client.destroy();
    expect(error.exitCode).toBe(1);
    expect(error.message).toMatch(/reading META#VERSION failed: .*Nothing was written/);
  });
});

// ---------------------------------------------------------------------------

/** Every key of the given sets (a union: a key only one set has is asked of both). */
interface SetKeys {
  cards: string[];
  accounts: string[];
  merchants: string[];
  products: string[];
  fx: Array<[string, string]>;
}

function keysOf(...dirs: string[]): SetKeys {
  const sets = dirs.map((dir) => new EmbeddedReferenceData(dir));
  const union = (pick: (set: EmbeddedReferenceData) => string[]) => [...new Set(sets.flatMap(pick))].sort();
  return {
    cards: union((set) => set.cards.map((c) => c.panToken)),
    accounts: union((set) => [...set.accounts, ...set.settlementAccounts].map((a) => a.accountId)),
    merchants: union((set) => set.merchants.map((m) => m.id)),
    products: union((set) => set.products.map((p) => p.productType)),
    fx: union((set) => set.fxRates.map((r) => `${r.from}>${r.to}`)).map((pair) => pair.split('>') as [string, string]),
  };
}

/** What `reference` answers for every key: `{ 'card tok_…': record | undefined, … }`. */
async function answersOf(reference: ReferenceData, keys: SetKeys): Promise<Record<string, unknown>> {
  const entries = await Promise.all([
    ...keys.cards.map(async (k) => [`card ${k}`, await reference.card(k)] as const),
    ...keys.accounts.map(async (k) => [`account ${k}`, await reference.account(k)] as const),
    ...keys.merchants.map(async (k) => [`merchant ${k}`, await reference.merchant(k)] as const),
    ...keys.products.map(async (k) => [`product ${k}`, await reference.product(k)] as const),
    ...keys.fx.map(async ([from, to]) => [`fx ${from}>${to}`, await reference.fxRate(from, to)] as const),
  ]);
  return Object.fromEntries(entries);
}

/** The keys where two answer sets differ. */
function differences(actual: Record<string, unknown>, expected: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(actual), ...Object.keys(expected)])].filter((key) => !strictlyEqual(actual[key], expected[key]));
}

/** The version of every record item in the table (count per version; `(none)` for the unversioned layout) and the load markers. */
async function versionsIn(tableName: string): Promise<{ records: Record<string, number>; markers: string[] }> {
  const records: Record<string, number> = {};
  const markers: string[] = [];
  for (const [pk, item] of await scanTable(tableName)) {
    if (item.kind === 'load') markers.push(pk);
    else if (['card', 'account', 'merchant', 'product', 'fx'].includes(String(item.kind))) {
      const version = typeof item.version === 'string' ? item.version : '(none)';
      records[version] = (records[version] ?? 0) + 1;
    }
  }
  return { records, markers: markers.sort() };
}

async function putAll(tableName: string, items: Array<Record<string, AttributeValue>>): Promise<void> {
  for (const Item of items) await db.client.send(new PutItemCommand({ TableName: tableName, Item }));
}

describe('versions never mix (records keyed by version)', () => {
  const V0 = '2026-10-01.t0';
  const V1 = '2026-11-01.t1';
  const V2 = '2026-12-01.t2';
  const V3 = '2027-01-01.t3';
  const v0 = (): string => writeSet({ version: V0, effectiveDate: '2026-10-01', base: tinyFiles, edit: (files) => editColumn(files, 'accounts.csv', 4, (name) => `${name} Earlier`) });
  const v1 = (): string => writeSet({ version: V1, effectiveDate: '2026-11-01', base: tinyFiles });
  /** v2 changes EVERY record of v1 (so any v2 record read in v1's place shows), withdraws the first card and adds one. */
  const v2 = (): string =>
    writeSet({
      version: V2,
      effectiveDate: '2026-12-01',
      base: tinyFiles,
      edit: (files) => {
        files['products.json'] = (files['products.json'] as string).replace(/"name": "/g, '"name": "Revised ');
        files['fx-rates.json'] = (files['fx-rates.json'] as string).replace(/"rate":"([0-9.]+)"/g, '"rate":"$11"');
        editColumn(files, 'settlement-accounts.csv', 4, (name) => `${name} Revised`);
        editColumn(files, 'accounts.csv', 4, (name) => `${name} Revised`);
        editColumn(files, 'merchants.csv', 1, (name) => `${name} Revised`);
        editColumn(files, 'cards.csv', 3, (status) => (status === 'ACTIVE' ? 'BLOCKED' : 'ACTIVE'));
        const [header, withdrawn, ...rest] = (files['cards.csv'] as string).split('\n');
        files['cards.csv'] = [header, ...rest.slice(0, -1), `tok_NewCardAddedInV2,${(withdrawn as string).split(',')[1]},VISA,ACTIVE`, ''].join('\n');
      },
    });
  const v3 = (): string => writeSet({ version: V3, effectiveDate: '2027-01-01', base: tinyFiles, edit: (files) => editColumn(files, 'accounts.csv', 4, (name) => `${name} Third`) });

  it('a load failing at ANY call leaves every key answering as the old version (or, after the flip, all as the new one); a re-run completes it', async () => {
    const [dir0, dir1, dir2] = [v0(), v1(), v2()];
    const [set0, set1, set2] = [prepareReferenceSet(dir0), prepareReferenceSet(dir1), prepareReferenceSet(dir2)];
    const keys = keysOf(dir1, dir2);
    const expected1 = await answersOf(new EmbeddedReferenceData(dir1), keys);
    const expected2 = await answersOf(new EmbeddedReferenceData(dir2), keys);
    // The two versions differ on every key (so a mix cannot pass for either).
    expect(differences(expected1, expected2)).toHaveLength(Object.keys(expected1).length);
    const start = async (): Promise<string> => {
      const tableName = await freshTable();
      await load(set0, tableName);
      await load(set1, tableName);
      return tableName;
    };

    // The calls of a load that succeeds, from the same start (v0 and v1 loaded, v1 live).
    let flipCall = 0;
    const observed = recordingClient(db.client, (call, command) => {
      if (command instanceof PutItemCommand && command.input.Item?.pk?.S === 'META#VERSION') flipCall = call;
      return false;
    });
    await load(set2, await start(), observed.client, { concurrency: 1 });
    const calls = observed.calls.length;
    // Pointer, marker, 4 batches, flip, marker, scan, 2 marker reads, pointer, the deletes of v0.
    expect(observed.calls.filter((name) => name === 'BatchWriteItemCommand').length).toBeGreaterThanOrEqual(2 * Math.ceil(set2.items.length / BATCH_SIZE));
    expect(flipCall).toBeGreaterThan(4);

    const problems: string[] = [];
    for (let k = 1; k <= calls; k += 1) {
      const tableName = await start();
      const before = await DynamoReferenceData.open({ client: db.client, tableName, cacheTtlMs: 0 });
      const failing = recordingClient(db.client, (call) => call === k);
      const error = await load(set2, tableName, failing.client, { concurrency: 1 }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      if (!(error instanceof ReferenceDataLoadError)) problems.push(`call ${k}: the load did not fail`);
      const live = k <= flipCall ? V1 : V2;
      const reader = await DynamoReferenceData.open({ client: db.client, tableName });
      if (reader.version !== live) problems.push(`call ${k} (${failing.calls[k - 1]}): the pointer names ${reader.version}, expected ${live}`);
      const mixed = differences(await answersOf(reader, keys), live === V1 ? expected1 : expected2);
      if (mixed.length > 0) problems.push(`call ${k} (${failing.calls[k - 1]}): ${mixed.length} keys do not answer as ${live}, e.g. ${mixed[0]}`);
      // A reader that resolved v1 before the load still reads all of v1.
      const stale = differences(await answersOf(before, keys), expected1);
      if (stale.length > 0) problems.push(`call ${k}: the reader of ${V1} lost ${stale.length} keys, e.g. ${stale[0]}`);

      await load(set2, tableName);
      const rerun = await DynamoReferenceData.open({ client: db.client, tableName });
      const after = differences(await answersOf(rerun, keys), expected2);
      if (rerun.version !== V2 || after.length > 0) problems.push(`call ${k}: the re-run left ${rerun.version} with ${after.length} keys not answering as ${V2}`);
      const { records, markers } = await versionsIn(tableName);
      if (!strictlyEqual(records, { [V1]: set1.items.length, [V2]: set2.items.length }) || markers.length > 0) {
        problems.push(`call ${k}: after the re-run the table holds ${JSON.stringify(records)} and markers ${markers.join(', ')}`);
      }
    }
    expect(problems).toEqual([]);
  }, 240_000);

  it('a reader that resolved v1 reads complete v1 after every call of the load that makes v2 live (v1 is kept as the previous version)', async () => {
    const [dir1, dir2] = [v1(), v2()];
    const keys = keysOf(dir1, dir2);
    const expected1 = await answersOf(new EmbeddedReferenceData(dir1), keys);
    const tableName = await freshTable();
    await load(prepareReferenceSet(dir1), tableName);
    // Resolved before the load, no cache: every lookup below reads the table.
    const reader = await DynamoReferenceData.open({ client: db.client, tableName, cacheTtlMs: 0 });
    expect(reader.version).toBe(V1);

    const seen: string[] = [];
    const problems: string[] = [];
    const watching = {
      send: async (command: object) => {
        const result = await (db.client.send as (command: object) => Promise<unknown>)(command);
        const pointer = (await pointerOf(tableName))?.version as string;
        seen.push(`${command.constructor.name} (pointer ${pointer})`);
        const lost = differences(await answersOf(reader, keys), expected1);
        if (lost.length > 0) problems.push(`after ${command.constructor.name} (pointer ${pointer}): ${lost.length} keys differ, e.g. ${lost[0]}`);
        return result;
      },
    } as Pick<DynamoDBClient, 'send'>;
    const result = await load(prepareReferenceSet(dir2), tableName, watching);
    expect(result).toMatchObject({ version: V2, retainedVersion: V1, deleted: 0 });
    expect(problems).toEqual([]);
    // The reader was checked before and after the flip, and after the clean-up.
    expect(seen).toContain(`PutItemCommand (pointer ${V2})`);
    expect(seen[seen.length - 1]).toBe(`GetItemCommand (pointer ${V2})`);
    const fresh = await DynamoReferenceData.open({ client: db.client, tableName });
    expect(differences(await answersOf(fresh, keys), await answersOf(new EmbeddedReferenceData(dir2), keys))).toEqual([]);
  });

  it('the clean-up deletes the versions older than the previous one (and dead loads), and nothing else', async () => {
    const [dir1, dir2, dir3] = [v1(), v2(), v3()];
    const [set1, set2, set3] = [prepareReferenceSet(dir1), prepareReferenceSet(dir2), prepareReferenceSet(dir3)];
    const tableName = await freshTable();
    await load(set1, tableName);
    await load(set2, tableName);
    const now = new Date('2027-01-01T12:00:00.000Z');
    // Items of other versions: v9 a load that died two hours ago (its marker expired), v8 a load
    // writing now (fresh marker), v7 items with no marker; and items that are not records.
    const partial = (version: string) => writeSet({ version, effectiveDate: '2027-01-02', base: tinyFiles });
    const v9 = prepareReferenceSet(partial('2027-01-02.t9')).items.slice(0, 30);
    const v8 = prepareReferenceSet(partial('2027-01-02.t8')).items.slice(0, 20);
    const v7 = prepareReferenceSet(partial('2027-01-02.t7')).items.slice(0, 10);
    const marker = (version: string, startedAt: string) => ({ pk: { S: `META#LOAD#${version}` }, kind: { S: 'load' }, version: { S: version }, startedAt: { S: startedAt } });
    const others = [
      { pk: { S: 'NOTE#ops' }, kind: { S: 'note' } },
      { pk: { S: 'AUDIT#2027-01-01' }, kind: { S: 'audit' }, version: { S: V1 } },
      marker('2027-01-02.t9', '2027-01-01T10:00:00.000Z'),
      marker('2027-01-02.t8', '2027-01-01T11:50:00.000Z'),
    ];
    await putAll(tableName, [...[...v9, ...v8, ...v7].map((item) => item.item), ...(others as Array<Record<string, AttributeValue>>)]);
    const before = await scanTable(tableName);

    const result = await load(set3, tableName, db.client, { now: () => now });
    expect(result).toMatchObject({ version: V3, previousVersion: V2, retainedVersion: V2, deleted: set1.items.length + 30 + 10 });
    expect(result.deletedVersions).toEqual(['2026-11-01.t1', '2027-01-02.t7', '2027-01-02.t9']);
    expect(await versionsIn(tableName)).toEqual({ records: { [V2]: set2.items.length, [V3]: set3.items.length, '2027-01-02.t8': 20 }, markers: ['META#LOAD#2027-01-02.t8'] });
    expect(await pointerOf(tableName)).toMatchObject({ version: V3, previousVersion: V2 });

    // Everything that stays is exactly as it was.
    const after = await scanTable(tableName);
    const gone = [...before.keys()].filter((pk) => !after.has(pk));
    expect(gone.sort()).toEqual([...set1.items.map((item) => item.pk), ...v9.map((item) => item.pk), ...v7.map((item) => item.pk), 'META#LOAD#2027-01-02.t9'].sort());
    for (const [pk, item] of after) {
      if (pk === 'META#VERSION' || pk.startsWith(`${V3}#`)) continue;
      expect([pk, item]).toEqual([pk, before.get(pk)]);
    }
    expect(after.get('NOTE#ops')).toEqual({ pk: 'NOTE#ops', kind: 'note' });
  });

  it('records of the unversioned layout are kept while their version is live or the previous one', async () => {
    const [dir1, dir2, dir3] = [v1(), v2(), v3()];
    const set1 = prepareReferenceSet(dir1);
    const tableName = await freshTable();
    // As the earlier loader left the table: records keyed CARD#<token>, ... with no version, and a pointer without a key layout.
    const legacy = set1.items.map(({ key, item }) => {
      const { version: _version, ...rest } = item;
      return { ...rest, pk: { S: key } };
    });
    await putAll(tableName, [...legacy, { pk: { S: 'META#VERSION' }, kind: { S: 'meta' }, version: { S: V1 }, effectiveDate: { S: '2026-11-01' }, loadedAt: { S: '2026-11-01T06:00:00.000Z' } }]);

    await expect(load(set1, tableName)).resolves.toMatchObject({ deleted: 0, retainedVersion: undefined });
    expect(await pointerOf(tableName)).toMatchObject({ version: V1, legacyVersion: V1, keyLayout: 'version#record' });
    expect((await versionsIn(tableName)).records).toEqual({ '(none)': legacy.length, [V1]: set1.items.length });

    await expect(load(prepareReferenceSet(dir2), tableName)).resolves.toMatchObject({ deleted: 0, retainedVersion: V1 });
    expect((await versionsIn(tableName)).records['(none)']).toBe(legacy.length);

    const third = await load(prepareReferenceSet(dir3), tableName);
    expect(third).toMatchObject({ deleted: 2 * set1.items.length, retainedVersion: V2 });
    expect(third.deletedVersions).toEqual(['(unversioned layout)', V1]);
    expect((await pointerOf(tableName))?.legacyVersion).toBeUndefined();
    expect(Object.keys((await versionsIn(tableName)).records).sort()).toEqual([V2, V3]);
  });

  it("a clean-up running while another load writes a later version spares it; that load's flip records the version it really replaced", async () => {
    const [dir1, dir2, dir3] = [v1(), v2(), v3()];
    const [set1, set2, set3] = [prepareReferenceSet(dir1), prepareReferenceSet(dir2), prepareReferenceSet(dir3)];
    const tableName = await freshTable();
    await load(set1, tableName);
    // v3's load writes its first batch; then v2's load runs to the end (flip and clean-up); then v3's load goes on.
    let inner: Awaited<ReturnType<typeof loadReferenceSet>> | undefined;
    let batches = 0;
    const racing = {
      send: async (command: object) => {
        const result = await (db.client.send as (command: object) => Promise<unknown>)(command);
        if (command instanceof BatchWriteItemCommand && ++batches === 1) inner = await load(set2, tableName);
        return result;
      },
    } as Pick<DynamoDBClient, 'send'>;
    const outer = await load(set3, tableName, racing, { concurrency: 1 });
    expect(inner).toMatchObject({ version: V2, retainedVersion: V1, deleted: 0, deletedVersions: [] });
    expect(outer).toMatchObject({ version: V3, previousVersion: V1, retainedVersion: V2, deletedVersions: [V1] });
    expect(await pointerOf(tableName)).toMatchObject({ version: V3, previousVersion: V2 });
    const keys = keysOf(dir1, dir2, dir3);
    const live = await DynamoReferenceData.open({ client: db.client, tableName });
    expect(differences(await answersOf(live, keys), await answersOf(new EmbeddedReferenceData(dir3), keys))).toEqual([]);
    const previous = new DynamoReferenceData({ client: db.client, tableName, version: V2 });
    expect(differences(await answersOf(previous, keys), await answersOf(new EmbeddedReferenceData(dir2), keys))).toEqual([]);
    expect(await versionsIn(tableName)).toEqual({ records: { [V2]: set2.items.length, [V3]: set3.items.length }, markers: [] });
  });
});

// ---------------------------------------------------------------------------

interface BadCase {
  name: string;
  edit: (files: Files) => void;
  /** The file, line and fault the refusal must name. */
  expected: string;
}

const BAD_FILES: BadCase[] = [
  { name: 'a missing column (header)', edit: (f) => replaceLine(f, 'accounts.csv', 1, (line) => line.replace(',currency', '')), expected: 'accounts.csv line 1: header' },
  { name: 'a missing column (row)', edit: (f) => replaceLine(f, 'cards.csv', 4, (line) => line.split(',').slice(0, 3).join(',')), expected: 'cards.csv line 4: 3 cells, expected 4' },
  { name: 'an unknown currency', edit: (f) => setCell(f, 'accounts.csv', 3, 7, 'GBX'), expected: 'accounts.csv line 3: field currency: unknown ISO 4217 currency "GBX"' },
  { name: 'a currency that is not a code', edit: (f) => setCell(f, 'merchants.csv', 5, 6, 'gbp'), expected: 'merchants.csv line 5: field currency: must match pattern' },
  {
    name: 'an amount with more decimals than its currency has',
    edit: (f) => (f['products.json'] = (f['products.json'] as string).replace('"2500.00"', '"2500.001"')),
    expected: 'products.json line 2: field perTransactionLimit.value: amount "2500.001" has 3 decimal places; GBP allows 2',
  },
  {
    name: 'an amount written as a JSON number',
    edit: (f) => (f['products.json'] = (f['products.json'] as string).replace('"10000.00"', '10000')),
    expected: 'products.json line 13: field perTransactionLimit.value: must be string',
  },
  {
    name: 'an FX rate that is not a decimal',
    edit: (f) => (f['fx-rates.json'] = (f['fx-rates.json'] as string).replace('"0.10238257"', '"1e-1"')),
    expected: 'fx-rates.json line 2: field rate: rate "1e-1"',
  },
  {
    name: 'a duplicate card token',
    edit: (f) => replaceLine(f, 'cards.csv', 5, () => (f['cards.csv'] as string).split('\n')[1] as string),
    expected: 'cards.csv line 5: duplicate panToken',
  },
  {
    name: 'an account id in both account files',
    edit: (f) => setCell(f, 'accounts.csv', 6, 0, 'SETTLE-GBP-001'),
    expected: 'accounts.csv line 6: duplicate accountId "SETTLE-GBP-001" (first at settlement-accounts.csv line',
  },
  {
    name: 'a duplicate member name in a JSON record',
    edit: (f) => (f['fx-rates.json'] = (f['fx-rates.json'] as string).replace('{"from":"AED","to":"CHF"', '{"from":"AED","to":"EUR","to":"CHF"')),
    expected: 'fx-rates.json line 3: element 2: duplicate member name',
  },
  { name: 'a card number as the card token', edit: (f) => setCell(f, 'cards.csv', 3, 0, PAN), expected: 'cards.csv line 3: column 1 (panToken) holds a card number' },
  {
    name: 'a card number in a holder name',
    edit: (f) => setCell(f, 'accounts.csv', 7, 4, `Card ${PAN.replace(/(\d{4})/g, '$1 ').trim()}`),
    expected: 'accounts.csv line 7: column 5 (holderName) holds a card number',
  },
  {
    name: 'a card number in a JSON file',
    edit: (f) => (f['products.json'] = (f['products.json'] as string).replace('Student Account', `Student ${PAN}`)),
    expected: 'products.json line 26: holds a card number',
  },
  { name: 'a byte-order mark', edit: (f) => (f['merchants.csv'] = `\uFEFF${f['merchants.csv'] as string}`), expected: 'merchants.csv line 1: starts with a UTF-8 byte-order mark' },
  { name: 'CRLF line endings', edit: (f) => (f['cards.csv'] = (f['cards.csv'] as string).replace(/\n/g, '\r\n')), expected: 'cards.csv line 1: has a carriage return (CRLF line ending)' },
  { name: 'an unknown card status', edit: (f) => setCell(f, 'cards.csv', 2, 3, 'LOST'), expected: 'cards.csv line 2: unknown card status "LOST"' },
  { name: 'a card of an account not in the set', edit: (f) => setCell(f, 'cards.csv', 6, 1, 'ACC-9999999'), expected: 'cards.csv line 6: accountId "ACC-9999999" is not in accounts.csv' },
  { name: 'a malformed card token', edit: (f) => setCell(f, 'cards.csv', 2, 0, 'tok_short'), expected: 'cards.csv line 2: field panToken: must match pattern' },
];

describe('a bad set is refused before any write, naming the file and line', () => {
  it.each(BAD_FILES)('$name', async ({ edit, expected }) => {
    const dir = writeSet({ version: '2026-11-01.bad', effectiveDate: '2026-11-01', edit });
    const { client, calls } = recordingClient(db.client);
    const error = await refusal(runReferenceDataLoad({ dir, table: 'never-touched' }, { stdout: () => undefined, stderr: () => undefined }, client));
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(expected);
    expect(error.message).toContain('nothing written');
    expect(error.message).not.toContain(PAN);
    expect(error.message).not.toMatch(/4111[ ,]?1111/);
    expect(calls).toEqual([]);
  });

  it('refuses a manifest that does not match its files, or whose counts are wrong', async () => {
    const stale = writeSet({ version: '2026-11-01.stale', effectiveDate: '2026-11-01', staleHashes: true, edit: (f) => setCell(f, 'accounts.csv', 2, 4, 'Edited By Hand') });
    expect(() => prepareReferenceSet(stale)).toThrow(/manifest\.json: files\.accounts\.csv: SHA-256 [0-9a-f]{64} does not match the file's [0-9a-f]{64}/);
    const counted = writeSet({ version: '2026-11-01.counts', effectiveDate: '2026-11-01', counts: { cards: 1 } });
    expect(() => prepareReferenceSet(counted)).toThrow(/manifest\.json: counts\.cards is 1 but cards\.csv holds \d+ records/);
    const badDate = writeSet({ version: '2026-02-30.x', effectiveDate: '2026-02-30' });
    expect(() => prepareReferenceSet(badDate)).toThrow('manifest.json: effectiveDate "2026-02-30" is not a real date');
  });

  it('accepts the shipped set and every file of it', () => {
    const prepared = prepareReferenceSet(SHIPPED);
    const embedded = new EmbeddedReferenceData(SHIPPED);
    expect(prepared.version).toBe(embedded.version);
    expect(REFERENCE_FILES.map(({ file }) => prepared.counts[file])).toEqual([
      embedded.products.length,
      embedded.fxRates.length,
      embedded.settlementAccounts.length,
      embedded.accounts.length,
      embedded.merchants.length,
      embedded.cards.length,
    ]);
    // Every item carries the line of its record: the first card is on cards.csv line 2.
    expect(prepared.items.find((item) => item.file === 'cards.csv')).toMatchObject({ line: 2, key: `CARD#${embedded.cards[0]?.panToken}` });
  });
});

// ---------------------------------------------------------------------------

describe('the command', () => {
  const saved = { ...process.env };
  beforeAll(() => {
    process.env.AWS_ACCESS_KEY_ID = 'x';
    process.env.AWS_SECRET_ACCESS_KEY = 'x';
  });
  afterAll(() => {
    process.env = saved;
  });

  async function cli(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const previous = process.exitCode;
    process.exitCode = 0;
    await main(['node', 'ledgerline', 'load-reference-data', ...args], { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
    const status = Number(process.exitCode ?? 0);
    process.exitCode = previous;
    return { status, stdout, stderr };
  }

  it('`ledgerline load-reference-data` loads a set, with progress on stderr and the summary on stdout', async () => {
    const tableName = await freshTable();
    const dir = writeSet({ version: '2026-11-01.cli', effectiveDate: '2026-11-01' });
    const out = await cli(['--table', tableName, '--dir', dir, '--endpoint', db.endpoint, '--region', 'eu-west-2', '--json']);
    expect(out.status).toBe(0);
    const summary = JSON.parse(out.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({ dryRun: false, version: '2026-11-01.cli', table: tableName, deleted: 0 });
    expect(out.stderr).toContain('META#VERSION → 2026-11-01.cli');
    expect((await pointerOf(tableName))?.version).toBe('2026-11-01.cli');
  });

  it('--dry-run validates and counts with no table and no AWS call', async () => {
    const out = await cli(['--dry-run', '--json']);
    expect(out.status).toBe(0);
    const embedded = new EmbeddedReferenceData(SHIPPED);
    expect(JSON.parse(out.stdout)).toMatchObject({ dryRun: true, version: embedded.version, counts: { 'cards.csv': embedded.cards.length, 'accounts.csv': embedded.accounts.length } });
  });

  it('exits 2 on bad input and on a missing --table, 1 on an AWS failure', async () => {
    const bad = writeSet({ version: '2026-11-01.bad', effectiveDate: '2026-11-01', edit: (f) => setCell(f, 'cards.csv', 3, 0, PAN) });
    const refused = await cli(['--table', 'x', '--dir', bad, '--endpoint', db.endpoint, '--region', 'eu-west-2']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('cards.csv line 3: column 1 (panToken) holds a card number');
    expect(refused.stderr).not.toContain(PAN);
    expect((await cli(['--dir', bad])).status).toBe(2);

    const missingTable = await cli(['--table', 'no-such-table', '--endpoint', db.endpoint, '--region', 'eu-west-2', '--dir', writeSet({ version: '2026-11-01.x', effectiveDate: '2026-11-01' })]);
    expect(missingTable.status).toBe(1);
    expect(missingTable.stderr).toMatch(/reading META#VERSION failed: ResourceNotFoundException/);
  });

  it('scripts/load-reference-data.ts maps the same outcomes to its exit status', async () => {
    const written: string[] = [];
    const out = jest.spyOn(process.stdout, 'write').mockImplementation((text) => written.push(String(text)) > 0);
    const err = jest.spyOn(process.stderr, 'write').mockImplementation((text) => written.push(String(text)) > 0);
    try {
      expect(await runScript(['node', 'load-reference-data.ts', '--dry-run'])).toBe(0);
      expect(await runScript(['node', 'load-reference-data.ts', '--no-such-option'])).toBe(2);
      expect(await runScript(['node', 'load-reference-data.ts', '--dir', path.join(scratch, 'absent'), '--dry-run'])).toBe(2);
      const tableName = await freshTable();
      const dir = writeSet({ version: '2026-11-01.script', effectiveDate: '2026-11-01' });
      expect(await runScript(['node', 'load-reference-data.ts', '--table', tableName, '--dir', dir, '--endpoint', db.endpoint, '--region', 'eu-west-2'])).toBe(0);
      expect(await runScript(['node', 'load-reference-data.ts', '--help'])).toBe(0);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    expect(written.join('')).toContain('reference data 2026-11-01.script loaded into');
    expect(written.join('')).toContain('Exit status: 0 loaded');
  });
});
