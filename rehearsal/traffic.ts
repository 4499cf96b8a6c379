/**
 * The rehearsal's inputs (REH-1), shared by the embedded run and the rehearsed deployment so both see
 * exactly the same thing:
 * - the authorisations (src/generator/authorisations.ts, same seed and duplicate rate as the
 *   embedded run) plus ONE poisoned record (a zero amount, ING-3): the embedded run dead-letters
 *   it, the deployment's ingest enrichment rejects it and the Pipe parks it on its DLQ;
 * - the authorisation table item of a line: the authorisation object itself, marshalled (ingest
 *   unmarshalls the stream's NewImage and reads it back as the line, src/domain/ingest.ts);
 * - a bank statement (camt.053.001.02) generated from the posted ledger: one account's legs,
 *   a few left off (unmatched ledger), a few that are not in the ledger (unmatched statement)
 *   and one off by a cent (a tolerance match);
 * - the ledger export the reconciliation workflow reads (Parameter Store `ledger`), in the shape
 *   of the embedded `--state` ledger side (src/recon/run/ledger-state.ts): one entry per leg,
 *   signed, the account named by its IBAN, the authorisation id as reference.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { authorisationLines } from '../src/generator/authorisations';
import { loadReferenceData } from '../src/adapters/embedded/reference-data';
import { fromMinorUnits } from '../src/domain/money';
import { parsePostingLines, type ParsedPostingLine } from '../src/domain/posting-record';

export const POISON_AUTHORISATION_ID = 'AUTH-REHEARSAL-POISON-1';

export interface RehearsalInput {
  lines: string[];
  /** Index of the poisoned line in `lines`. */
  poisonIndex: number;
}

export function generateInput(count: number, seed: number, duplicateRate: number): RehearsalInput {
  const lines = [...authorisationLines({ count, seed, duplicateRate, referenceData: loadReferenceData() })];
  const template = JSON.parse(lines.find((line) => JSON.parse(line).responseCode === '00') ?? lines[0]!) as Record<string, unknown> & { amount: { value: string; currency: string } };
  // ING-3: a zero amount is not a posting. Valid JSON, valid schema: only the domain rejects it.
  const decimals = template.amount.value.split('.')[1]?.length ?? 0;
  const zero = decimals > 0 ? `0.${'0'.repeat(decimals)}` : '0';
  const poison = { ...template, authorizationId: POISON_AUTHORISATION_ID, stan: '999999', rrn: '999999999999', amount: { ...template.amount, value: zero } };
  const poisonIndex = Math.floor(lines.length / 2);
  lines.splice(poisonIndex, 0, JSON.stringify(poison));
  return { lines, poisonIndex };
}

/** The authorisation table item of one input line. */
export function authorisationItem(line: string): Record<string, AttributeValue> {
  return marshall(JSON.parse(line) as Record<string, unknown>, { removeUndefinedValues: true });
}

/** One leg of a posting record, as the comparison needs it (the record format's own parsed line). */
export type PostingLegLine = Pick<ParsedPostingLine, 'sequenceId' | 'accountId' | 'debitCredit' | 'amountMinor' | 'currency' | 'valueDate' | 'authorizationId'>;

/** Every leg of a set of posting records (record content, one leg per line). */
export function legsOfRecords(contents: Iterable<string>): PostingLegLine[] {
  const legs: PostingLegLine[] = [];
  for (const content of contents) {
    for (const line of parsePostingLines(content)) {
      legs.push({
        sequenceId: line.sequenceId,
        accountId: line.accountId.trimEnd(),
        debitCredit: line.debitCredit,
        amountMinor: line.amountMinor,
        currency: line.currency,
        valueDate: `${line.valueDate.slice(0, 4)}-${line.valueDate.slice(4, 6)}-${line.valueDate.slice(6, 8)}`,
        authorizationId: line.authorizationId.trimEnd(),
      });
    }
  }
  return legs;
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export interface GeneratedStatement {
  fileName: string;
  content: string;
  accountId: string;
  iban: string;
  currency: string;
  entries: number;
  leftOff: number;
  extra: number;
}

/**
 * A camt.053.001.02 statement of the account with most legs among accounts with an IBAN, in a
 * currency with minor units (deterministic from the legs).
 */
export function generateStatement(legs: readonly PostingLegLine[]): GeneratedStatement {
  const reference = loadReferenceData();
  const ibans = new Map<string, string>();
  for (const account of [...reference.accounts, ...reference.settlementAccounts]) ibans.set(account.accountId, account.iban);
  const byAccount = new Map<string, PostingLegLine[]>();
  for (const leg of legs) {
    if (!ibans.has(leg.accountId)) continue;
    const list = byAccount.get(leg.accountId) ?? [];
    list.push(leg);
    byAccount.set(leg.accountId, list);
  }
  const ranked = [...byAccount.entries()].filter(([, list]) => list[0]!.currency !== 'JPY').sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1));
  if (ranked.length === 0) throw new Error('no posted leg is on an account with an IBAN: nothing to put on a statement');
  const [accountId, accountLegs] = ranked[0]!;
  const iban = ibans.get(accountId)!;
  const currency = accountLegs[0]!.currency;
  const sorted = [...accountLegs].sort((a, b) => (a.valueDate < b.valueDate ? -1 : a.valueDate > b.valueDate ? 1 : a.sequenceId < b.sequenceId ? -1 : 1));
  const entries: { amountMinor: bigint; credit: boolean; date: string; endToEndId: string; info: string }[] = [];
  let leftOff = 0;
  sorted.forEach((leg, index) => {
    if (index % 25 === 7) {
      leftOff += 1; // the bank has not booked it yet: an unmatched ledger entry
      return;
    }
    const amountMinor = index === 3 ? leg.amountMinor + 1n : leg.amountMinor; // a cent off: tolerance
    entries.push({ amountMinor, credit: leg.debitCredit === 'C', date: leg.valueDate, endToEndId: leg.authorizationId, info: `card payment ${leg.authorizationId}` });
  });
  const last = sorted[sorted.length - 1]!.valueDate;
  // Two bookings the ledger does not know (bank charges, an unexpected receipt).
  entries.push({ amountMinor: 250n, credit: false, date: last, endToEndId: 'NOTPROVIDED', info: 'BANK CHARGES' });
  entries.push({ amountMinor: 12345n, credit: true, date: last, endToEndId: 'REHEARSAL-UNKNOWN-RECEIPT', info: 'UNEXPECTED RECEIPT' });
  const first = sorted[0]!.valueDate;
  const amount = (minor: bigint) => fromMinorUnits(minor, currency);
  const ntry = entries
    .map(
      (entry, index) => `      <Ntry>
        <NtryRef>${index + 1}</NtryRef>
        <Amt Ccy="${currency}">${amount(entry.amountMinor)}</Amt>
        <CdtDbtInd>${entry.credit ? 'CRDT' : 'DBIT'}</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>${entry.date}</Dt></BookgDt>
        <ValDt><Dt>${entry.date}</Dt></ValDt>
        <AcctSvcrRef>BK${String(index + 1).padStart(8, '0')}</AcctSvcrRef>
        <BkTxCd><Prtry><Cd>CARD</Cd></Prtry></BkTxCd>
        <NtryDtls><TxDtls><Refs><EndToEndId>${xml(entry.endToEndId)}</EndToEndId></Refs><RmtInf><Ustrd>${xml(entry.info)}</Ustrd></RmtInf></TxDtls></NtryDtls>
      </Ntry>`,
    )
    .join('\n');
  const content = `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>${`RH-${accountId}-${last.replace(/-/g, '')}`.slice(0, 35)}</MsgId><CreDtTm>${last}T23:59:00Z</CreDtTm></GrpHdr>
    <Stmt>
      <Id>${`${accountId}-${first.replace(/-/g, '')}-${last.replace(/-/g, '')}`.slice(0, 35)}</Id>
      <ElctrncSeqNb>1</ElctrncSeqNb>
      <CreDtTm>${last}T23:59:00Z</CreDtTm>
      <FrToDt><FrDtTm>${first}T00:00:00Z</FrDtTm><ToDtTm>${last}T23:59:59Z</ToDtTm></FrToDt>
      <Acct><Id><IBAN>${iban}</IBAN></Id><Ccy>${currency}</Ccy></Acct>
${ntry}
    </Stmt>
  </BkToCstmrStmt>
</Document>
`;
  return { fileName: `camt053-${accountId}-${last}.xml`, content, accountId, iban, currency, entries: entries.length, leftOff, extra: 2 };
}

export interface ExportLeg {
  legId: string;
  sequenceId: string;
  accountId: string;
  direction: string;
  amountMinor: bigint;
  currency: string;
  valueDate: string;
  authorizationId: string;
}

/**
 * The ledger export NDJSON (entryId, accountId, currency, amount, bookingDate, valueDate,
 * reference, description) of every leg: accounts with an IBAN are named by it (the identifier
 * statements carry), as the embedded `--state` ledger side names them.
 */
export function ledgerExport(legs: readonly ExportLeg[], ibanOf: (accountId: string) => string | undefined): string {
  const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const sorted = [...legs].sort((a, b) => compare(a.accountId, b.accountId) || compare(a.valueDate, b.valueDate) || compare(a.legId, b.legId));
  return sorted
    .map((leg) =>
      JSON.stringify({
        entryId: leg.legId,
        accountId: ibanOf(leg.accountId) ?? leg.accountId,
        currency: leg.currency,
        amount: fromMinorUnits(leg.direction === 'CREDIT' ? leg.amountMinor : -leg.amountMinor, leg.currency),
        bookingDate: leg.valueDate,
        valueDate: leg.valueDate,
        reference: leg.authorizationId || leg.sequenceId,
        description: `${leg.direction === 'CREDIT' ? 'credit' : 'debit'} ${leg.accountId} posting ${leg.sequenceId}`,
      }),
    )
    .map((line) => `${line}\n`)
    .join('');
}
