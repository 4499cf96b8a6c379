/**
 * Small valid statements of every format, built from parts, for the boundary, hostile-input and
 * card-number tests: each builder returns text that parses, and lets a test swap one field.
 */
import type { CsvProfile } from '../../../../src/recon/parsers';

/** 1-based number of the first line of `text` that starts with `prefix`. */
export function lineOf(text: string, prefix: string): number {
  const index = text.split('\n').findIndex((line) => line.startsWith(prefix));
  if (index === -1) throw new Error(`no line starts with ${JSON.stringify(prefix)}`);
  return index + 1;
}

/** A SWIFT 15d amount of exactly `length` characters ("111…1,00"). */
export function swiftAmount(length: number): string {
  return `${'1'.repeat(length - 3)},00`;
}

// ---------------------------------------------------------------------------------------------
// MT940 / MT942

export interface Mt940Parts {
  ref: string;
  related?: string;
  account: string;
  number: string;
  opening: string;
  /** Each entry: the :61: lines, then the :86: lines (none: no :86:). */
  entries: { l61: string[]; l86?: string[] }[];
  closing: string;
  available?: string;
  forward?: string;
  info?: string[];
}

export const MT940_DEFAULTS: Mt940Parts = {
  ref: 'STMT1',
  account: 'DE89370400440532013000',
  number: '1/1',
  opening: 'C240101EUR100,00',
  entries: [
    { l61: ['2401020102C1,00NTRFCREF//BREF'], l86: ['166?00GUTSCHRIFT?20EREF+E2E1?21SVWZ+Invoice 1?32Customer'] },
    { l61: ['2401030103D2,00NTRFNONREF//BREF2'], l86: ['Plain narrative'] },
  ],
  closing: 'C240103EUR99,00',
  available: 'C240103EUR99,00',
  forward: 'C240104EUR99,00',
  info: ['statement information'],
};

export function mt940(parts: Partial<Mt940Parts> = {}): string {
  const p = { ...MT940_DEFAULTS, ...parts };
  const lines = [`:20:${p.ref}`];
  if (p.related !== undefined) lines.push(`:21:${p.related}`);
  lines.push(`:25:${p.account}`, `:28C:${p.number}`, `:60F:${p.opening}`);
  for (const entry of p.entries) {
    lines.push(`:61:${entry.l61[0]}`, ...entry.l61.slice(1));
    if (entry.l86) lines.push(`:86:${entry.l86[0]}`, ...entry.l86.slice(1));
  }
  lines.push(`:62F:${p.closing}`);
  if (p.available !== undefined) lines.push(`:64:${p.available}`);
  if (p.forward !== undefined) lines.push(`:65:${p.forward}`);
  if (p.info) lines.push(`:86:${p.info[0]}`, ...p.info.slice(1));
  lines.push('-');
  return `${lines.join('\n')}\n`;
}

export interface Mt942Parts {
  floor: string;
  dateTime: string;
  entries: string[];
  debits: string;
  credits: string;
}

export const MT942_DEFAULTS: Mt942Parts = {
  floor: 'EUR0,',
  dateTime: '2401021200+0100',
  entries: ['240102C1,00NTRFX', '240102D2,00NTRFY'],
  debits: '1EUR2,00',
  credits: '1EUR1,00',
};

export function mt942(parts: Partial<Mt942Parts> = {}): string {
  const p = { ...MT942_DEFAULTS, ...parts };
  const lines = [':20:R', ':25:A1', ':28C:1/1', `:34F:${p.floor}`, `:13D:${p.dateTime}`, ...p.entries.map((e) => `:61:${e}`), `:90D:${p.debits}`, `:90C:${p.credits}`, '-'];
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// BAI2: the trailers' totals and counts are computed, so any amount or continuation can change.

export interface Bai2Detail {
  type: string;
  amount: string;
  funds?: string;
  bankRef: string;
  custRef: string;
  text: string;
  /** 88 continuation bodies after the 16 (each its own physical line). */
  more?: string[];
}

export interface Bai2Parts {
  sender: string;
  receiver: string;
  fileId: string;
  groupReceiver: string;
  originator: string;
  account: string;
  /** 03 summaries [type code, signed amount]. */
  summaries: [string, string][];
  /** 88 continuations of the 03 record: bodies such as "400,1,,". */
  accountMore?: string[];
  details: Bai2Detail[];
  /** Overrides the 49 record count field as written (a count of `digits` digits). */
  accountRecordsDigits?: number;
}

export const BAI2_DEFAULTS: Bai2Parts = {
  sender: 'SENDER',
  receiver: 'RECEIVER',
  fileId: '1',
  groupReceiver: 'RECEIVER',
  originator: 'BANK',
  account: 'ACC1',
  summaries: [
    ['010', '+100000'],
    ['015', '+95050'],
  ],
  details: [
    { type: '195', amount: '5050', funds: '0', bankRef: 'REF1', custRef: 'CUST1', text: 'Incoming wire' },
    { type: '475', amount: '10000', funds: 'Z', bankRef: 'CHK1', custRef: '', text: 'Cheque 42' },
  ],
};

/** The trailers' control total (an amount that is no number, put there to be refused, counts 0). */
function sumOf(amounts: string[]): bigint {
  return amounts.reduce((sum, a) => sum + (/^[+-]?[0-9]+$/.test(a) ? BigInt(a) : 0n), 0n);
}

export function bai2(parts: Partial<Bai2Parts> = {}): string {
  const p = { ...BAI2_DEFAULTS, ...parts };
  const summaries = p.summaries.map(([code, amount]) => `${code},${amount},,`).join(',');
  const accountLines = [`03,${p.account},,${summaries}/`, ...(p.accountMore ?? []).map((body) => `88,${body}/`)];
  const moreAmounts = (p.accountMore ?? []).map((body) => body.split(',')[1] ?? '0');
  const detailLines = p.details.flatMap((d) => [`16,${d.type},${d.amount},${d.funds ?? '0'},${d.bankRef},${d.custRef},${d.text}/`, ...(d.more ?? []).map((m) => `88,${m}/`)]);
  const total = sumOf([...p.summaries.map(([, a]) => a), ...moreAmounts, ...p.details.map((d) => d.amount)]);
  const accountRecords = accountLines.length + detailLines.length + 1;
  const count = p.accountRecordsDigits === undefined ? String(accountRecords) : String(accountRecords).padStart(p.accountRecordsDigits, '0');
  const groupRecords = 1 + accountRecords + 1;
  return `${[
    `01,${p.sender},${p.receiver},240301,0800,${p.fileId},,,2/`,
    `02,${p.groupReceiver},${p.originator},1,240229,2400,EUR,2/`,
    ...accountLines,
    ...detailLines,
    `49,${total},${count}/`,
    `98,${total},1,${groupRecords}/`,
    `99,${total},1,${1 + groupRecords + 1}/`,
  ].join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// CSV: a profile that maps every column, plus unmapped extra columns.

export const CSV_COLUMNS = ['account', 'currency', 'booking_date', 'value_date', 'amount', 'e2e', 'bank_ref', 'cust_ref', 'description', 'counterparty', 'type', 'status'] as const;

export function csvProfile(extra = 0): CsvProfile {
  return {
    name: `all-columns-${extra}`,
    delimiter: ',',
    quote: '"',
    header: true,
    encoding: 'utf8',
    dateFormat: 'YYYY-MM-DD',
    decimalSeparator: '.',
    thousandsSeparator: '',
    amount: { kind: 'signed', column: 'amount' },
    columns: {
      account: 'account',
      currency: 'currency',
      bookingDate: 'booking_date',
      valueDate: 'value_date',
      endToEndId: 'e2e',
      bankReference: 'bank_ref',
      customerReference: 'cust_ref',
      description: 'description',
      counterparty: 'counterparty',
      typeCode: 'type',
      status: 'status',
    },
  };
}

export type CsvRow = Record<(typeof CSV_COLUMNS)[number], string> & { extra?: string[] };

export const CSV_ROW: CsvRow = {
  account: 'GB29NWBK60161331926819',
  currency: 'GBP',
  booking_date: '2024-03-01',
  value_date: '2024-03-02',
  amount: '-12.50',
  e2e: 'E2E-1',
  bank_ref: 'BR-1',
  cust_ref: 'INV-1',
  description: 'Rent, March',
  counterparty: 'Acme Ltd',
  type: 'TRF',
  status: 'BOOK',
};

export function csvCell(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A header and the rows (each row's `extra` cells in the extra columns). */
export function csv(rows: Partial<CsvRow>[] = [{}], extra = 0): string {
  const header = [...CSV_COLUMNS, ...Array.from({ length: extra }, (_, i) => `x${i + 1}`)].join(',');
  const body = rows.map((r) => {
    const row = { ...CSV_ROW, ...r };
    const cells = CSV_COLUMNS.map((c) => csvCell(row[c]));
    const extras = Array.from({ length: extra }, (_, i) => csvCell(row.extra?.[i] ?? ''));
    return [...cells, ...extras].join(',');
  });
  return `${[header, ...body].join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// camt

export interface CamtParts {
  type: 'camt.052' | 'camt.053' | 'camt.054';
  version: string;
  /** Inside GrpHdr, after MsgId (the mapping does not read GrpHdr: any element can go there). */
  header: string;
  msgId: string;
  stmtId: string;
  iban: string;
  entries: string[];
}

const ROOTS = { 'camt.052': ['BkToCstmrAcctRpt', 'Rpt'], 'camt.053': ['BkToCstmrStmt', 'Stmt'], 'camt.054': ['BkToCstmrDbtCdtNtfctn', 'Ntfctn'] } as const;

export function camtEntry(amount = '12.34', indicator: 'CRDT' | 'DBIT' = 'CRDT', details = ''): string {
  return `<Ntry><Amt Ccy="EUR">${amount}</Amt><CdtDbtInd>${indicator}</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2024-03-01</Dt></BookgDt>${details}</Ntry>`;
}

export function camtDetails(parts: { e2e?: string; ref?: string; ustrd?: string[]; name?: string; acctSvcrRef?: string }): string {
  const refs = `<Refs>${parts.acctSvcrRef === undefined ? '' : `<AcctSvcrRef>${parts.acctSvcrRef}</AcctSvcrRef>`}${parts.e2e === undefined ? '' : `<EndToEndId>${parts.e2e}</EndToEndId>`}${parts.ref === undefined ? '' : `<InstrId>${parts.ref}</InstrId>`}</Refs>`;
  const parties = parts.name === undefined ? '' : `<RltdPties><Dbtr><Nm>${parts.name}</Nm></Dbtr></RltdPties>`;
  const rmt = parts.ustrd === undefined ? '' : `<RmtInf>${parts.ustrd.map((u) => `<Ustrd>${u}</Ustrd>`).join('')}</RmtInf>`;
  return `<NtryDtls><TxDtls>${refs}${parties}${rmt}</TxDtls></NtryDtls>`;
}

export const CAMT_DEFAULTS: CamtParts = {
  type: 'camt.053',
  version: '001.08',
  header: '',
  msgId: 'MSG1',
  stmtId: 'STMT1',
  iban: 'DE89370400440532013000',
  entries: [camtEntry('12.34', 'CRDT', camtDetails({ e2e: 'E2E1', ref: 'INSTR1', ustrd: ['Invoice 1'], name: 'Customer', acctSvcrRef: 'BANKREF1' })), camtEntry('5.00', 'DBIT')],
};

/** One element per line, so a line number names one element. */
export function camt(parts: Partial<CamtParts> = {}): string {
  const p = { ...CAMT_DEFAULTS, ...parts };
  const [root, stmt] = ROOTS[p.type];
  return `${[
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:${p.type}.${p.version}">`,
    `<${root}>`,
    '<GrpHdr>',
    `<MsgId>${p.msgId}</MsgId>`,
    ...(p.header ? [p.header] : []),
    '</GrpHdr>',
    `<${stmt}>`,
    `<Id>${p.stmtId}</Id>`,
    `<Acct><Id><IBAN>${p.iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>`,
    ...p.entries,
    `</${stmt}>`,
    `</${root}>`,
    '</Document>',
  ].join('\n')}\n`;
}
