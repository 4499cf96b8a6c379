/**
 * No card number anywhere (PCI-3), the class test of the reconciliation side: generated PAN
 * spellings (test/support/pan-spellings.ts: every separator, digit script, escape and context) go
 * in through every entry point — `reconcile` for camt, MT940, BAI2 and CSV statements and a
 * ledger file (in-process and through the CLI), `inbox`, a quarantined file, and the workbench API
 * — and afterwards the whole --out directory (results, audit, quarantine reasons), the captured
 * logs and stdout, and every database (registry.db, workbench.db, DuckDB, the Parquet copies,
 * read back through their own readers) are scanned for the digits.
 *
 * Free-text fields (remittance information, :86:, BAI2 text, descriptions, notes) get any spelling
 * (PCI-1; in a statement, REC-PAN-1 keeps 20+ digit runs as account numbers unless a card word is
 * near, so those spellings carry one); identifier fields (bank and customer references, end-to-end ids, ledger entry ids,
 * account ids) get what PCI-2 calls a card number there: a standalone scheme-shaped number. The
 * input files themselves (inbox/processed, a quarantined copy) are the bank's and not scanned.
 */
import Database from 'better-sqlite3';
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openWorkbenchDatabase, SqliteWorkbenchStore } from '../../../src/adapters/embedded/workbench-store';
import { runInbox } from '../../../src/recon/run/inbox';
import { reconcile, RejectedInputError } from '../../../src/recon/run/reconcile';
import { createWorkbenchApp } from '../../../src/recon/workbench/app';
import { importNewRuns } from '../../../src/recon/workbench/import-run';
import type { WorkbenchRequest } from '../../../src/recon/workbench/ports';
import { runCli } from '../../support/cli-in-process';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';
import { cardPanArb, digitsScanner, normaliseDigits, panSpellingArb, spellPan, type PanSpelling } from '../../support/pan-spellings';
import { tempDir } from '../../support/runtime';
import { steppingClock } from '../workbench/helpers';

const root = tempDir('recon-pci-');
const LINES = fuzzRuns(6);

interface Line {
  amount: number;
  /** Free text (any spelling). */
  text: PanSpelling;
  /** Identifier spellings: PCI-2's standalone card numbers. */
  bankReference: string;
  customerReference: string;
}

const freeText = (seed: number, n: number) => fc.sample(panSpellingArb(), { numRuns: n, seed: fuzzSeed(seed) ?? Date.now() });
const identifiers = (seed: number, n: number, lengths?: readonly number[]) =>
  fc.sample(
    fc
      .tuple(cardPanArb(lengths), fc.boolean())
      .map(([pan, grouped]) => ({ pan, text: grouped ? spellPan(pan, { groups: pan.length === 15 ? [4, 6, 5] : [4, 4, 4, pan.length - 12], separator: ' ' }) : pan })),
    {
      numRuns: n,
      seed: fuzzSeed(seed) ?? Date.now(),
    },
  );

/** Every PAN that went in, to scan for. */
const PANS = new Set<string>();

/**
 * REC-PAN-1: in a statement's free text, digits inside an unseparated run of 20 or more are an
 * account number, not a card number, unless a card word is near: those spellings get one.
 */
const statementText = (spelling: PanSpelling): PanSpelling => (spelling.form.startsWith('longRun') ? { ...spelling, text: `card ${spelling.text}` } : spelling);

function lines(seed: number, identifierLengths?: readonly number[]): Line[] {
  const texts = freeText(seed, LINES).map(statementText);
  const banks = identifiers(seed + 1, LINES, identifierLengths);
  const customers = identifiers(seed + 2, LINES, identifierLengths);
  return texts.map((text, i) => {
    for (const pan of [text.pan, banks[i]!.pan, customers[i]!.pan]) PANS.add(pan);
    return { amount: i + 1, text, bankReference: banks[i]!.text, customerReference: customers[i]!.text };
  });
}

const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const oneLine = (text: string) => text.replace(/[\r\n]+/g, ' ');
const csvCell = (text: string) => `"${text.replace(/"/g, '""')}"`;

function camt(statementLines: Line[]): string {
  const entries = statementLines.map(
    (l) =>
      `<Ntry><Amt Ccy="EUR">${l.amount}.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2025-02-01</Dt></BookgDt><ValDt><Dt>2025-02-01</Dt></ValDt>` +
      `<AcctSvcrRef>${xml(l.bankReference)}</AcctSvcrRef><NtryDtls><TxDtls><Refs><EndToEndId>${xml(l.customerReference)}</EndToEndId></Refs></TxDtls></NtryDtls>` +
      `<AddtlNtryInf>${xml(l.text.text)}</AddtlNtryInf></Ntry>`,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr><MsgId>PCI-CAMT-1</MsgId><CreDtTm>2025-02-01T10:00:00</CreDtTm></GrpHdr>
<Stmt><Id>PCI-STMT-1</Id><CreDtTm>2025-02-01T10:00:00</CreDtTm><Acct><Id><IBAN>NL26VAYB8060476890</IBAN></Id><Ccy>EUR</Ccy></Acct>
${entries.join('\n')}
</Stmt></BkToCstmrStmt></Document>
`;
}

function mt940(statementLines: Line[]): string {
  const body = statementLines.flatMap((l) => [`:61:2502010201CN${l.amount},00NTRF${l.customerReference.replace(/ /g, '')}//${l.bankReference.replace(/ /g, '')}`, `:86:${oneLine(l.text.text)}`]);
  const total = statementLines.reduce((n, l) => n + l.amount, 0);
  return [':20:PCI-MT940-1', ':25:PL29114010810000267002001002', ':28C:7/1', ':60F:C250201PLN0,00', ...body, `:62F:C250201PLN${total},00`, '-', ''].join('\r\n');
}

function bai2(statementLines: Line[]): string {
  const details = statementLines.map((l) => `16,108,${String(l.amount * 100).padStart(15, '0')},V,250201,,${l.bankReference},${l.customerReference},${oneLine(l.text.text).replace(/\//g, ' ')}/`);
  const total = statementLines.reduce((n, l) => n + l.amount * 100, 0);
  const sum = `+${String(total).padStart(17, '0')}`;
  const n = statementLines.length;
  return [
    '01,0004,12345,250201,0829,001,80,1,2/',
    '02,12345,0004,1,250201,,CAD,/',
    '03,10200123456,CAD,040,+000000000000,,,045,+000000000000,,/',
    ...details,
    `49,${sum},${n + 2}/`,
    `98,${sum},1,${n + 4}/`,
    `99,${sum},1,${n + 6}/`,
    '',
  ].join('\n');
}

const CSV_ACCOUNT = 'GB29NWBK60161331926819';

function csvStatement(statementLines: Line[], account = CSV_ACCOUNT): string {
  const rows = statementLines.map((l) =>
    [account, 'GBP', `${l.amount}.00`, '2025-02-01', '2025-02-01', csvCell(l.customerReference), csvCell(l.bankReference), '', csvCell(l.text.text), csvCell(l.text.text.slice(0, 60))].join(','),
  );
  return `account,currency,amount,booking_date,value_date,end_to_end_id,bank_reference,customer_reference,description,counterparty\n${rows.join('\n')}\n`;
}

const FORMATS = {
  camt: { account: 'NL26VAYB8060476890', currency: 'EUR', name: 'statement.xml', build: camt, seed: 9301, lengths: undefined as number[] | undefined },
  mt940: { account: 'PL29114010810000267002001002', currency: 'PLN', name: 'statement.sta', build: mt940, seed: 9311, lengths: [13, 14, 15, 16] },
  bai2: { account: '10200123456', currency: 'CAD', name: 'statement.bai', build: bai2, seed: 9321, lengths: undefined },
  csv: { account: CSV_ACCOUNT, currency: 'GBP', name: 'statement.csv', build: (l: Line[]) => csvStatement(l), seed: 9331, lengths: undefined },
} as const;
type Format = keyof typeof FORMATS;

/** Ledger rows: one matching every other statement line (amount and date), plus unmatched ones; ids, references and descriptions carry PANs. */
function ledgerRows(format: Format, statementLines: Line[], seed: number): string[] {
  const { account, currency } = FORMATS[format];
  const ids = identifiers(seed + 5, statementLines.length + 2);
  const refs = identifiers(seed + 6, statementLines.length + 2);
  const texts = freeText(seed + 7, statementLines.length + 2);
  const amounts = [...statementLines.filter((_, i) => i % 2 === 0).map((l) => l.amount), 900, 901];
  return amounts.map((amount, i) => {
    for (const pan of [ids[i]!.pan, refs[i]!.pan, texts[i]!.pan]) PANS.add(pan);
    return [csvCell(ids[i]!.text), csvCell(account), currency, `${amount}.00`, '2025-02-01', '2025-02-01', csvCell(refs[i]!.text), csvCell(texts[i]!.text)].join(',');
  });
}

const statements = Object.fromEntries(
  (Object.keys(FORMATS) as Format[]).map((format) => {
    const spec = FORMATS[format];
    const l = lines(spec.seed, spec.lengths);
    const dir = join(root, 'in', format);
    mkdirSync(dir, { recursive: true });
    const path = join(dir, spec.name);
    writeFileSync(path, spec.build(l));
    return [format, { path, lines: l, ledger: ledgerRows(format, l, spec.seed) }];
  }),
) as Record<Format, { path: string; lines: Line[]; ledger: string[] }>;

const ledger = join(root, 'in', 'ledger.csv');
writeFileSync(
  ledger,
  `entryId,accountId,currency,amount,bookingDate,valueDate,reference,description\n${Object.values(statements)
    .flatMap((s) => s.ledger)
    .join('\n')}\n`,
);
const pans = (): string[] => [...PANS];

/**
 * The digit chains of a text, as containsDigitsOf reads them (escapes, character references and
 * every digit script normalised; digits joined across up to 3 characters that are neither letters
 * nor digits), computed once for all the PANs.
 */
function digitChains(text: string): string[] {
  const normal = normaliseDigits(text);
  const chains: string[] = [];
  let chain = '';
  let gap = 0;
  for (const char of normal) {
    if (char >= '0' && char <= '9') {
      chain += char;
      gap = 0;
      continue;
    }
    gap += 1;
    if (gap > 3 || /[\p{L}\p{N}]/u.test(char)) {
      if (chain.length >= 13) chains.push(chain);
      chain = '';
    }
  }
  if (chain.length >= 13) chains.push(chain);
  return chains;
}

/** "<label>: <pan>" for every PAN whose digits the text holds. */
function leaks(label: string, text: string | Buffer): string[] {
  const chains = digitChains(typeof text === 'string' ? text : text.toString('utf8'));
  const found = pans().filter((pan) => chains.some((chain) => chain.includes(pan)));
  // Small binary files also get the full check (integers, UTF-16, gzip).
  if (typeof text !== 'string' && text.length < 1 << 20) {
    const holds = digitsScanner(text); // containsDigitsOf for each PAN, decoding the file once
    for (const pan of pans()) if (!found.includes(pan) && holds(pan)) found.push(pan);
  }
  return found.map((pan) => `${label}: ${pan}`);
}

/** Each cell on its own line (a JSON rendering would escape the backslashes of a stored escape). */
const cells = (rows: readonly Record<string, unknown>[]): string => rows.flatMap((row) => Object.values(row).map((value) => (value === null || value === undefined ? '' : String(value)))).join('\n');

/** Every file under `dir` except the bank's own input files (inbox/processed, quarantined copies). */
function scanFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'processed' ? [] : scanFiles(path);
    if (/[\\/]quarantine$/.test(dir) && !/\.reason\.(txt|json)$/.test(name)) return [];
    return leaks(path, readFileSync(path));
  });
}

/** Every row of every table of a SQLite database, read through SQLite. */
function scanSqlite(path: string): string[] {
  if (!existsSync(path)) return [];
  const db = new Database(path, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
    return tables.flatMap((table) => leaks(`${path} ${table}`, cells(db.prepare(`SELECT * FROM "${table}"`).all() as Record<string, unknown>[])));
  } finally {
    db.close();
  }
}

/** Every row of the DuckDB store and of every Parquet copy, read through DuckDB (they compress strings). */
async function scanColumnar(out: string): Promise<string[]> {
  const found: string[] = [];
  const instance = await DuckDBInstance.create(join(out, 'recon.duckdb'));
  const connection = await instance.connect();
  try {
    const read = async (label: string, sql: string) => {
      const reader = await connection.runAndReadAll(sql);
      found.push(...leaks(label, cells(reader.getRowObjectsJson() as Record<string, unknown>[])));
    };
    for (const table of ['runs', 'statement_lines', 'ledger_entries', 'matches', 'exceptions']) await read(`recon.duckdb ${table}`, `SELECT * FROM ${table}`);
    for (const run of readdirSync(join(out, 'runs'))) {
      for (const file of readdirSync(join(out, 'runs', run, 'parquet'))) await read(`${run}/${file}`, `SELECT * FROM read_parquet('${join(out, 'runs', run, 'parquet', file)}')`);
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return found;
}

describe('no card number reaches the reconciliation outputs, logs or databases (PCI-3)', () => {
  const out = join(root, 'out');
  const logs: string[] = [];

  beforeAll(async () => {
    for (const format of Object.keys(FORMATS) as Format[]) {
      const outcome = await reconcile({
        statements: [statements[format].path],
        ledger: { file: ledger },
        out,
        profile: format === 'csv' ? 'generic-signed' : undefined,
        progress: (m) => logs.push(m),
      });
      logs.push(JSON.stringify(outcome.json));
      // Every format's file went all the way through: results, registry, DuckDB, Parquet.
      expect([format, outcome.committed, outcome.committed && outcome.summary.statementLines]).toEqual([format, true, LINES]);
    }
  });

  it('reconcile (camt, MT940, BAI2, CSV): results, audit, logs and stdout hold no PAN', async () => {
    expect(PANS.size).toBeGreaterThanOrEqual(LINES * 3 * 4);
    expect([...scanFiles(out), ...leaks('progress and --json', logs.join('\n'))]).toEqual([]);
    // The bank references and ledger ids are there, masked: the outputs were written, not emptied.
    const exceptions = readFileSync(join(out, 'exceptions.csv'), 'utf8');
    expect(exceptions).toContain('[REDACTED-PAN]');
  });

  it('the databases hold no PAN: registry.db, DuckDB and every Parquet copy (read back through their readers)', async () => {
    expect([...scanSqlite(join(out, 'registry.db')), ...(await scanColumnar(out))]).toEqual([]);
  });

  it('the workbench: imported cases hold none, and every action field, filter or path carrying one is refused (422) without echoing it', async () => {
    const db = openWorkbenchDatabase(out);
    try {
      const store = new SqliteWorkbenchStore(db, steppingClock());
      // The runs raised their cases here themselves (the embedded case sink); the catch-up import finds nothing new.
      expect(await importNewRuns(out, store, steppingClock())).toEqual([]);
      expect((await store.list({ limit: 1000 })).length).toBeGreaterThan(0);
      const app = createWorkbenchApp({
        store,
        authenticator: { authenticate: async () => ({ user: 'rita@bank.example', roles: ['reconciler', 'approver'] }) },
        clock: steppingClock(),
        csrfSecret: 'x',
      });
      const call = (request: Partial<WorkbenchRequest>) => app({ method: 'GET', path: '/cases', query: {}, headers: {}, body: '', ...request });
      const [target] = await store.list({ limit: 1 });
      const act = (body: Record<string, unknown>) =>
        call({
          method: 'POST',
          path: `/api/cases/${encodeURIComponent(target!.caseId)}/actions`,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ expectedVersion: target!.version, ...body }),
        });
      const spellings = freeText(9341, fuzzRuns(12));
      const ids = identifiers(9342, fuzzRuns(4));
      for (const s of [...spellings, ...ids]) PANS.add(s.pan);
      const responses: { what: string; status: number; body: string }[] = [];
      for (const s of spellings) {
        for (const body of [
          { type: 'comment', note: s.text },
          { type: 'assign', assignee: s.text },
          { type: 'resolve', resolution: 'MATCHED_MANUALLY', note: 'matched by hand', ledgerEntryIds: s.text },
          { type: 'resolve', resolution: 'BANK_ERROR', note: 'ok', ledgerEntryIds: ['L-1', s.text] },
          { type: s.text },
          { type: 'comment', note: 'ok', expectedVersion: s.text },
        ]) {
          const response = await act(body);
          responses.push({ what: `${JSON.stringify(body).slice(0, 60)} (${s.form})`, status: response.status, body: response.body });
        }
        const form = await call({
          method: 'POST',
          path: `/cases/${encodeURIComponent(target!.caseId)}/actions`,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ type: 'comment', note: s.text, expectedVersion: '1', csrf: 'wrong' }).toString(),
        });
        expect(form.status).toBe(403); // the CSRF check comes first: nothing read
        responses.push({ what: `form (${s.form})`, status: form.status, body: form.body });
      }
      for (const s of ids) {
        for (const query of [{ q: s.text }, { account: s.text }, { assignee: s.text }] as Record<string, string>[]) {
          const response = await call({ query });
          responses.push({ what: `GET /cases ${JSON.stringify(query)}`, status: response.status, body: response.body });
        }
        const detail = await call({ path: `/api/cases/${encodeURIComponent(`exception:ledger:${s.text}`)}` });
        responses.push({ what: 'GET a case id with a PAN', status: detail.status, body: detail.body });
      }
      const accepted = responses.filter((r) => r.status < 400 && r.status !== 303);
      expect(accepted.map((r) => r.what)).toEqual([]);
      expect(responses.filter((r) => r.status === 422).length).toBeGreaterThan(spellings.length * 4);
      expect(responses.flatMap((r) => leaks(r.what, r.body))).toEqual([]);
      // A clean action still goes through (the store is writable), and nothing of the refused ones is in it.
      expect((await act({ type: 'comment', note: 'called the bank, reference to follow' })).status).toBe(200);
    } finally {
      db.close();
    }
    expect(scanSqlite(join(out, 'workbench.db'))).toEqual([]);
    expect(scanFiles(out)).toEqual([]);
  });

  it('inbox: every format through the watched folder; its out, quarantine reasons and events hold no PAN', async () => {
    const inbox = join(root, 'inbox');
    const inboxOut = join(root, 'inbox-out');
    mkdirSync(inbox, { recursive: true });
    for (const format of ['camt', 'mt940', 'bai2'] as const) writeFileSync(join(inbox, `${format}-${FORMATS[format].name}`), readFileSync(statements[format].path));
    // A card number in a file name (the sender chose it): another statement of the MT940 account.
    writeFileSync(join(inbox, 'stmt 4012888888881881.sta'), readFileSync(statements.mt940.path, 'utf8').replace(':28C:7/1', ':28C:8/1'));
    PANS.add('4012888888881881');
    // A bad file: a card number as the account is refused and quarantined with its reason.
    writeFileSync(join(inbox, 'bad.csv'), csvStatement(statements.csv.lines.slice(0, 1), '5555555555554444'));
    PANS.add('5555555555554444');
    const progress: string[] = [];
    const events = await runInbox({ dir: inbox, out: inboxOut, ledger: { file: ledger }, once: true, progress: (m) => progress.push(m), reconcileOverrides: {} });
    expect(events.map((e) => e.outcome).sort()).toEqual(['quarantined', 'reconciled', 'reconciled', 'reconciled', 'reconciled']);
    expect(existsSync(join(inbox, 'quarantine', 'bad.csv.reason.txt'))).toBe(true);
    expect([...scanFiles(inboxOut), ...scanFiles(join(inbox, 'quarantine')), ...leaks('inbox progress', progress.join('\n')), ...leaks('inbox events', JSON.stringify(events))]).toEqual([]);
    expect([...scanSqlite(join(inboxOut, 'registry.db')), ...(await scanColumnar(inboxOut))]).toEqual([]);
  });

  // The command in process (its io and any direct write to process.stdout/stderr captured).
  it("reconcile through the CLI: stderr, stdout, a quarantined file's reason and the --out hold no PAN", async () => {
    const cliOut = join(root, 'cli-out');
    const good = await runCli(['reconcile', '--statement', statements.camt.path, '--statement', statements.mt940.path, '--ledger', ledger, '--out', cliOut, '--json'], { processStreams: true });
    expect(good.status).toBe(0);
    const badFile = join(root, 'in', 'unknown-account.csv');
    writeFileSync(badFile, csvStatement(statements.csv.lines.slice(0, 2), '6011111111111117'));
    PANS.add('6011111111111117');
    const bad = await runCli(['reconcile', '--statement', badFile, '--profile', 'generic-signed', '--ledger', ledger, '--out', cliOut], { processStreams: true });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('the account id is a card number');
    expect([...leaks('stdout', good.stdout + bad.stdout), ...leaks('stderr', good.stderr + bad.stderr), ...scanFiles(cliOut)]).toEqual([]);
  });

  it.each([
    ['a card number as the amount', 'L-1,NL26VAYB8060476890,EUR,4111 1111 1111 1111,2025-02-01,2025-02-01,,', 'line 2: field "amount"'],
    ['a card number as the account', 'L-1,4111111111111111,EUR,1.00,2025-02-01,2025-02-01,,', 'line 2: field "accountId" is a card number'],
    ['a card number as a date', 'L-1,NL26VAYB8060476890,EUR,1.00,4111.1111.1111.1111,2025-02-01,,', 'line 2: field "bookingDate"'],
  ])('a rejected ledger file (%s) names the line and field, never the card number', async (_what, row, says) => {
    PANS.add('4111111111111111');
    const badLedger = join(root, 'in', 'bad-ledger.csv');
    writeFileSync(badLedger, `entryId,accountId,currency,amount,bookingDate,valueDate,reference,description\n${row}\n`);
    const badOut = join(root, `bad-ledger-out-${says.length}`);
    const error = await reconcile({ statements: [statements.camt.path], ledger: { file: badLedger }, out: badOut }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RejectedInputError);
    expect((error as Error).message).toContain(says);
    expect(leaks('message', (error as Error).message)).toEqual([]);
    expect(scanFiles(badOut)).toEqual([]);
  });
});
