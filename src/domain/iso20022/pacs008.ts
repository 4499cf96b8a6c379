/**
 * FR5: a card authorisation as an ISO 20022 pacs.008.001.09 FIToFICstmrCdtTrf (FI-to-FI
 * customer credit transfer), in JSON form (element names exactly as the XSD) and as XML.
 *
 * The JSON form is the content of `<FIToFICstmrCdtTrf>`: `{ GrpHdr, CdtTrfTxInf }`. Amounts
 * are `{ Ccy, value }` with `value` an exact decimal string. The XSD (the XML contract) is
 * `shared/fixtures/iso20022/pacs.008.001.09.xsd`.
 *
 * Mapping (one authorisation = one message = one transaction):
 * - GrpHdr: MsgId (given, ≤35), CreDtTm (given, normalised to UTC), NbOfTxs "1",
 *   SttlmInf: SttlmMtd CLRG through the card network (ClrSys/Prtry = network).
 * - PmtId: InstrId = MsgId, EndToEndId = authorizationId, TxId = network/S<STAN>/R<RRN>, UETR (given, UUIDv4).
 * - Amounts: without a cross-currency billing amount, IntrBkSttlmAmt = amount. With a
 *   billingAmount in another currency, the interbank settlement is in the cardholder's
 *   billing currency: IntrBkSttlmAmt = billingAmount, InstdAmt = amount (what the merchant is
 *   paid) and XchgRate = conversionRate (ISO 8583 DE10: billing = amount × rate, i.e.
 *   IntrBkSttlmAmt = InstdAmt × XchgRate).
 * - IntrBkSttlmDt = the UTC date of transmittedAt; ChrgBr SLEV (scheme rules).
 * - Dbtr / DbtrAcct: the card token (never a PAN); Cdtr: merchant name + country;
 *   CdtrAcct: merchant id. DbtrAgt: the issuer (Ledgerline); CdtrAgt: the acquirer, which the
 *   authorisation does not name, so `Othr/Id NOTPROVIDED` (the usual no-BIC form).
 * - RmtInf/Ustrd: network, STAN, RRN, MCC (+ auth code, terminal id).
 *
 * Ids longer than an XSD max length are replaced by a deterministic digest (`h:` + hex); the
 * full values remain in the event's `authorisation`. Derived ids are checked never to look
 * like a PAN.
 */
import { hash } from 'node:crypto';
import type { Authorisation } from '../events';
import type { Money } from '../money';
import { canonical, isKnownCurrency } from '../money';
import { containsPan } from '../pan';

export const PACS008_NAMESPACE = 'urn:iso:std:iso:20022:tech:xsd:pacs.008.001.09';

export class Pacs008Error extends Error {
  override name = 'Pacs008Error';
}

// ---------------------------------------------------------------------------
// JSON form (type aliases, so a document is assignable to events.ts `Pacs008Document`)

/** A choice of an external code or a proprietary value. */
export type CodeOrProprietary = { Cd: string } | { Prtry: string };
export type CurrencyAndAmount = { Ccy: string; value: string };

export type PostalAddress = {
  Dept?: string;
  SubDept?: string;
  StrtNm?: string;
  BldgNb?: string;
  BldgNm?: string;
  Flr?: string;
  PstBx?: string;
  Room?: string;
  PstCd?: string;
  TwnNm?: string;
  TwnLctnNm?: string;
  DstrctNm?: string;
  CtrySubDvsn?: string;
  Ctry?: string;
  AdrLine?: string[];
};

export type GenericIdentification = { Id: string; SchmeNm?: CodeOrProprietary; Issr?: string };

export type FinancialInstitutionIdentification = {
  BICFI?: string;
  ClrSysMmbId?: { ClrSysId?: CodeOrProprietary; MmbId: string };
  LEI?: string;
  Nm?: string;
  PstlAdr?: PostalAddress;
  Othr?: GenericIdentification;
};

export type Agent = { FinInstnId: FinancialInstitutionIdentification };

export type Party = {
  Nm?: string;
  PstlAdr?: PostalAddress;
  Id?: { OrgId: { AnyBIC?: string; LEI?: string; Othr?: GenericIdentification[] } } | { PrvtId: { Othr?: GenericIdentification[] } };
  CtryOfRes?: string;
};

export type CashAccount = {
  Id: { IBAN: string } | { Othr: GenericIdentification };
  Tp?: CodeOrProprietary;
  Ccy?: string;
  Nm?: string;
  Prxy?: { Tp?: CodeOrProprietary; Id: string };
};

export type GroupHeader = {
  MsgId: string;
  CreDtTm: string;
  NbOfTxs: string;
  TtlIntrBkSttlmAmt?: CurrencyAndAmount;
  IntrBkSttlmDt?: string;
  SttlmInf: { SttlmMtd: 'INDA' | 'INGA' | 'COVE' | 'CLRG'; ClrSys?: CodeOrProprietary };
  InstgAgt?: Agent;
  InstdAgt?: Agent;
};

export type CreditTransferTransaction = {
  PmtId: { InstrId?: string; EndToEndId: string; TxId?: string; UETR?: string };
  IntrBkSttlmAmt: CurrencyAndAmount;
  IntrBkSttlmDt?: string;
  AccptncDtTm?: string;
  InstdAmt?: CurrencyAndAmount;
  XchgRate?: string;
  ChrgBr: 'DEBT' | 'CRED' | 'SHAR' | 'SLEV';
  InstgAgt?: Agent;
  InstdAgt?: Agent;
  Dbtr: Party;
  DbtrAcct?: CashAccount;
  DbtrAgt: Agent;
  CdtrAgt: Agent;
  Cdtr: Party;
  CdtrAcct?: CashAccount;
  Purp?: CodeOrProprietary;
  RmtInf?: { Ustrd: string[] };
};

/** The content of `<FIToFICstmrCdtTrf>`. */
export type Pacs008Document = {
  GrpHdr: GroupHeader;
  CdtTrfTxInf: CreditTransferTransaction;
};

export interface Pacs008Options {
  /** GrpHdr/MsgId: Max35Text. */
  messageId: string;
  /** GrpHdr/CreDtTm: any parseable timestamp; written as UTC ISO 8601. */
  createdAt: string;
  /** PmtId/UETR: a lowercase UUID v4. */
  uetr: string;
}

/** The card issuer: this bank (no BIC configured, so a proprietary identification). */
export function issuerAgent(): Agent {
  return { FinInstnId: { Nm: 'Ledgerline', Othr: { Id: 'LEDGERLINE', SchmeNm: { Prtry: 'CARD_ISSUER' } } } };
}

/** The acquirer is not in the authorisation record: the XSD-valid "no BIC, not provided" form. */
export function unknownAcquirerAgent(): Agent {
  return { FinInstnId: { Othr: { Id: 'NOTPROVIDED' } } };
}

// ---------------------------------------------------------------------------
// Deterministic ids

const MAX_DERIVATION_ATTEMPTS = 64;

/** Derives a value from a SHA-256 of `parts`, re-deriving (deterministically) while it looks like a PAN. */
function panSafeDigest(parts: readonly string[], shape: (hex: string) => string): string {
  for (let attempt = 0; attempt < MAX_DERIVATION_ATTEMPTS; attempt += 1) {
    const hex = hash('sha256', [...parts, String(attempt)].join('\u001f'), 'hex');
    const value = shape(hex);
    if (!containsPan(value)) return value;
  }
  throw new Pacs008Error(`could not derive a PAN-safe id for ${parts[0] ?? ''}`);
}

/** GrpHdr/MsgId for the message standardising event `eventId`: `LL` + 32 hex digits (34 chars). */
export function pacs008MessageId(eventId: string): string {
  return panSafeDigest(['ledgerline.pacs008.MsgId', eventId], (hex) => `LL${hex.slice(0, 32)}`);
}

/** PmtId/UETR for a transaction: a UUID v4 layout (as the XSD's UUIDv4Identifier requires). */
export function pacs008Uetr(correlationId: string): string {
  return panSafeDigest(['ledgerline.pacs008.UETR', correlationId], (hex) => {
    const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  });
}

function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/** `value` when it fits `max` characters, else a deterministic `h:` + hex digest of it. */
function fitId(value: string, max: number): string {
  if (value.length > 0 && codePointLength(value) <= max) return value;
  return panSafeDigest(['ledgerline.pacs008.id', value], (hex) => `h:${hex.slice(0, Math.min(32, max - 2))}`);
}

const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Free text made XML-representable (disallowed characters → U+FFFD) and cut to `max` characters. */
function text(value: string, max: number): string {
  const safe = Array.from(value.replace(NOT_XML_CHAR, '\uFFFD'));
  return safe.slice(0, max).join('');
}

// ---------------------------------------------------------------------------
// Amounts and rates

const XSD_AMOUNT_TOTAL_DIGITS = 18;
const XSD_AMOUNT_FRACTION_DIGITS = 5;
const DECIMAL = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

/** An amount as `{ Ccy, value }`: canonical (ISO 4217 exponent) for known currencies, verbatim otherwise. */
function amountOf(amount: Money, field: string): CurrencyAndAmount {
  if (!/^[A-Z]{3}$/.test(amount.currency)) throw new Pacs008Error(`${field}: currency "${amount.currency}" is not ISO 4217`);
  const value = isKnownCurrency(amount.currency) ? canonical(amount).value : amount.value;
  const match = DECIMAL.exec(value);
  if (!match) throw new Pacs008Error(`${field}: "${value}" is not a non-negative decimal`);
  const [, whole = '', fraction = ''] = match;
  const digits = (whole === '0' ? 0 : whole.length) + fraction.length;
  if (fraction.length > XSD_AMOUNT_FRACTION_DIGITS || digits > XSD_AMOUNT_TOTAL_DIGITS) {
    throw new Pacs008Error(`${field}: "${value}" exceeds the XSD's 18 total / 5 fraction digits`);
  }
  return { Ccy: amount.currency, value };
}

const RATE_TOTAL_DIGITS = 11;
const RATE_FRACTION_DIGITS = 10;

/**
 * A conversion rate as an XSD BaseOneRate (≤11 total, ≤10 fraction digits): exact when it
 * fits (trailing zeros dropped), else rounded half-even to the digits allowed. Undefined for 0.
 */
export function baseOneRate(rate: string): string | undefined {
  const match = DECIMAL.exec(rate);
  if (!match) throw new Pacs008Error(`conversionRate "${rate}" is not a non-negative decimal`);
  const [, whole = '0', rawFraction = ''] = match;
  const fraction = rawFraction.replace(/0+$/, '');
  /** The rate × 10^fraction.length. */
  const exact = BigInt(whole + fraction);
  if (exact === 0n) return undefined;
  const wholeDigits = whole === '0' ? 0 : whole.length;
  let places = Math.min(fraction.length, RATE_FRACTION_DIGITS, RATE_TOTAL_DIGITS - wholeDigits);
  let units = roundHalfEven(exact, fraction.length - places);
  // Rounding can carry into a new integer digit (e.g. 999999999.999 → 1000000000.00).
  while (places > 0 && totalDigits(units) > RATE_TOTAL_DIGITS) {
    places -= 1;
    units = roundHalfEven(exact, fraction.length - places);
  }
  if (totalDigits(units) > RATE_TOTAL_DIGITS) throw new Pacs008Error(`conversionRate "${rate}" does not fit a BaseOneRate`);
  if (units === 0n) return undefined;
  while (places > 0 && units % 10n === 0n) {
    units /= 10n;
    places -= 1;
  }
  const digits = units.toString().padStart(places + 1, '0');
  return places === 0 ? digits : `${digits.slice(0, -places)}.${digits.slice(-places)}`;
}

function totalDigits(units: bigint): number {
  return units === 0n ? 1 : units.toString().length;
}

/** Drops `places` decimal places from `units`, rounding half to even. */
function roundHalfEven(units: bigint, places: number): bigint {
  if (places <= 0) return units;
  const divisor = 10n ** BigInt(places);
  let quotient = units / divisor;
  const twice = (units % divisor) * 2n;
  if (twice > divisor || (twice === divisor && quotient % 2n === 1n)) quotient += 1n;
  return quotient;
}

// ---------------------------------------------------------------------------
// Authorisation → pacs.008

const MAX35 = 35;
const MAX34 = 34;
const MAX140 = 140;
const UUID_V4 = /^[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}$/;

function utcTimestamp(value: string, field: string): Date {
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw new Pacs008Error(`${field}: "${value}" is not a timestamp`);
  return at;
}

/** The card token as an identification of at most `max` characters (else its digest, so named). */
function cardTokenId(panToken: string, max: number): GenericIdentification {
  return codePointLength(panToken) <= max ? { Id: panToken, SchmeNm: { Prtry: 'CARD_TOKEN' } } : { Id: fitId(panToken, max), SchmeNm: { Prtry: 'CARD_TOKEN_DIGEST' } };
}

/** The card account (Othr/Id is Max34Text; a longer token also travels whole as the proxy, Max2048Text). */
function cardTokenAccount(panToken: string): CashAccount {
  const othr = cardTokenId(panToken, MAX34);
  return codePointLength(panToken) <= MAX34 ? { Id: { Othr: othr } } : { Id: { Othr: othr }, Prxy: { Tp: { Prtry: 'CARD_TOKEN' }, Id: panToken } };
}

function remittanceText(authorisation: Authorisation): string {
  // Words between the numbers: no two numeric fields can join into a PAN-like run.
  const words = ['CARD', authorisation.network, 'STAN', authorisation.stan, 'RRN', authorisation.rrn, 'MCC', authorisation.merchant.mcc];
  if (authorisation.authCode) words.push('AUTH', authorisation.authCode);
  if (authorisation.terminalId) words.push('TID', authorisation.terminalId);
  return text(words.join(' '), MAX140);
}

export function toPacs008(authorisation: Authorisation, opts: Pacs008Options): Pacs008Document {
  const messageId = opts.messageId;
  if (messageId.length === 0 || codePointLength(messageId) > MAX35) {
    throw new Pacs008Error(`messageId "${messageId}" must be 1-35 characters (Max35Text)`);
  }
  if (!UUID_V4.test(opts.uetr)) throw new Pacs008Error(`uetr "${opts.uetr}" is not a lowercase UUID v4`);
  const createdAt = utcTimestamp(opts.createdAt, 'createdAt').toISOString();
  const settlementDate = utcTimestamp(authorisation.transmittedAt, 'transmittedAt').toISOString().slice(0, 10);

  const amount = amountOf(authorisation.amount, 'amount');
  const billing = authorisation.billingAmount ? amountOf(authorisation.billingAmount, 'billingAmount') : undefined;
  const crossCurrency = billing !== undefined && billing.Ccy !== amount.Ccy;
  const rate = crossCurrency && authorisation.conversionRate ? baseOneRate(authorisation.conversionRate) : undefined;

  const { merchant } = authorisation;
  const tokenAccount = cardTokenAccount(authorisation.panToken);
  const network = text(authorisation.network, MAX35);

  const transaction: CreditTransferTransaction = {
    PmtId: {
      InstrId: messageId,
      EndToEndId: fitId(authorisation.authorizationId, MAX35),
      // A letter before each number keeps STAN and RRN from joining into one PAN-like chain (PCI-1).
      TxId: fitId(`${authorisation.network}/S${authorisation.stan}/R${authorisation.rrn}`, MAX35),
      UETR: opts.uetr,
    },
    IntrBkSttlmAmt: crossCurrency ? billing : amount,
    IntrBkSttlmDt: settlementDate,
    ...(crossCurrency ? { InstdAmt: amount } : {}),
    ...(rate !== undefined ? { XchgRate: rate } : {}),
    ChrgBr: 'SLEV',
    Dbtr: { Id: { PrvtId: { Othr: [cardTokenId(authorisation.panToken, MAX35)] } } },
    DbtrAcct: tokenAccount,
    DbtrAgt: issuerAgent(),
    CdtrAgt: unknownAcquirerAgent(),
    Cdtr: { Nm: text(merchant.name, MAX140), PstlAdr: { Ctry: merchant.country } },
    CdtrAcct: { Id: { Othr: { Id: fitId(merchant.id, MAX34), SchmeNm: { Prtry: 'MERCHANT_ID' } } } },
    RmtInf: { Ustrd: [remittanceText(authorisation)] },
  };
  return {
    GrpHdr: {
      MsgId: messageId,
      CreDtTm: createdAt,
      NbOfTxs: '1',
      SttlmInf: { SttlmMtd: 'CLRG', ClrSys: { Prtry: network } },
    },
    CdtTrfTxInf: transaction,
  };
}

// ---------------------------------------------------------------------------
// XML: a serialiser driven by the subset of the XSD that Ledgerline emits. Element order
// comes from the table, not from the JSON's key order; an unknown element, a missing
// required one, a broken facet (length, pattern, digits) or a bad choice is an error.

type SimpleCheck = (value: string) => string | undefined;

interface ElementSpec {
  name: string;
  type: string;
  min: number;
  max: number;
}

type TypeSpec = { kind: 'sequence' | 'choice'; elements: ElementSpec[] } | { kind: 'simple'; check: SimpleCheck } | { kind: 'amount' };

/** `Name:Type` (1..1), `Name?:Type` (0..1), `Name*:Type` (0..n), `Name*7:Type` (0..7), `Name+:Type` (1..n). */
function elements(...specs: string[]): ElementSpec[] {
  return specs.map((spec) => {
    const match = /^([A-Za-z0-9]+)([?*+]?)([0-9]*):([A-Za-z0-9]+)$/.exec(spec);
    if (!match) throw new Error(`bad element spec ${spec}`);
    const [, name = '', occurs = '', bound = '', type = ''] = match;
    const min = occurs === '?' || occurs === '*' ? 0 : 1;
    const max = occurs === '*' || occurs === '+' ? (bound ? Number(bound) : Infinity) : 1;
    return { name, type, min, max };
  });
}

const sequence = (...specs: string[]): TypeSpec => ({ kind: 'sequence', elements: elements(...specs) });
const choice = (...specs: string[]): TypeSpec => ({ kind: 'choice', elements: elements(...specs) });
const simple = (check: SimpleCheck): TypeSpec => ({ kind: 'simple', check });

const maxText = (max: number): TypeSpec =>
  simple((value) => {
    const length = codePointLength(value);
    return length >= 1 && length <= max ? undefined : `must be 1-${max} characters`;
  });
const pattern = (regex: RegExp, label: string): TypeSpec => simple((value) => (regex.test(value) ? undefined : `must match ${label}`));
const enumeration = (...values: string[]): TypeSpec => simple((value) => (values.includes(value) ? undefined : `must be one of ${values.join(', ')}`));
const decimal =
  (maxTotal: number, maxFraction: number): SimpleCheck =>
  (value) => {
    const match = /^([0-9]+)(?:\.([0-9]+))?$/.exec(value);
    if (!match) return 'must be a non-negative decimal';
    const whole = (match[1] ?? '').replace(/^0+/, '');
    const fraction = match[2] ?? '';
    if (fraction.length > maxFraction) return `must have at most ${maxFraction} fraction digits`;
    if (whole.length + fraction.length > maxTotal) return `must have at most ${maxTotal} digits`;
    return undefined;
  };

function isCalendarDate(value: string): boolean {
  const match = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

const BIC = /^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/;

const TYPES: Readonly<Record<string, TypeSpec>> = {
  FIToFICustomerCreditTransferV09: sequence('GrpHdr:GroupHeader93', 'CdtTrfTxInf+:CreditTransferTransaction43'),
  GroupHeader93: sequence(
    'MsgId:Max35Text',
    'CreDtTm:ISODateTime',
    'NbOfTxs:Max15NumericText',
    'TtlIntrBkSttlmAmt?:ActiveCurrencyAndAmount',
    'IntrBkSttlmDt?:ISODate',
    'SttlmInf:SettlementInstruction7',
    'InstgAgt?:BranchAndFinancialInstitutionIdentification6',
    'InstdAgt?:BranchAndFinancialInstitutionIdentification6',
  ),
  SettlementInstruction7: sequence('SttlmMtd:SettlementMethod1Code', 'ClrSys?:ClearingSystemIdentification3Choice'),
  ClearingSystemIdentification3Choice: choice('Cd:Max3Code', 'Prtry:Max35Text'),
  CreditTransferTransaction43: sequence(
    'PmtId:PaymentIdentification13',
    'IntrBkSttlmAmt:ActiveCurrencyAndAmount',
    'IntrBkSttlmDt?:ISODate',
    'AccptncDtTm?:ISODateTime',
    'InstdAmt?:ActiveOrHistoricCurrencyAndAmount',
    'XchgRate?:BaseOneRate',
    'ChrgBr:ChargeBearerType1Code',
    'InstgAgt?:BranchAndFinancialInstitutionIdentification6',
    'InstdAgt?:BranchAndFinancialInstitutionIdentification6',
    'Dbtr:PartyIdentification135',
    'DbtrAcct?:CashAccount38',
    'DbtrAgt:BranchAndFinancialInstitutionIdentification6',
    'CdtrAgt:BranchAndFinancialInstitutionIdentification6',
    'Cdtr:PartyIdentification135',
    'CdtrAcct?:CashAccount38',
    'Purp?:Purpose2Choice',
    'RmtInf?:RemittanceInformation16',
  ),
  PaymentIdentification13: sequence('InstrId?:Max35Text', 'EndToEndId:Max35Text', 'TxId?:Max35Text', 'UETR?:UUIDv4Identifier'),
  BranchAndFinancialInstitutionIdentification6: sequence('FinInstnId:FinancialInstitutionIdentification18'),
  FinancialInstitutionIdentification18: sequence(
    'BICFI?:BICFIDec2014Identifier',
    'ClrSysMmbId?:ClearingSystemMemberIdentification2',
    'LEI?:LEIIdentifier',
    'Nm?:Max140Text',
    'PstlAdr?:PostalAddress24',
    'Othr?:GenericFinancialIdentification1',
  ),
  ClearingSystemMemberIdentification2: sequence('ClrSysId?:ClearingSystemIdentification2Choice', 'MmbId:Max35Text'),
  ClearingSystemIdentification2Choice: choice('Cd:Max5Code', 'Prtry:Max35Text'),
  GenericFinancialIdentification1: sequence('Id:Max35Text', 'SchmeNm?:CodeOrProprietary4', 'Issr?:Max35Text'),
  PostalAddress24: sequence(
    'Dept?:Max70Text',
    'SubDept?:Max70Text',
    'StrtNm?:Max70Text',
    'BldgNb?:Max16Text',
    'BldgNm?:Max35Text',
    'Flr?:Max70Text',
    'PstBx?:Max16Text',
    'Room?:Max70Text',
    'PstCd?:Max16Text',
    'TwnNm?:Max35Text',
    'TwnLctnNm?:Max35Text',
    'DstrctNm?:Max35Text',
    'CtrySubDvsn?:Max35Text',
    'Ctry?:CountryCode',
    'AdrLine*7:Max70Text',
  ),
  PartyIdentification135: sequence('Nm?:Max140Text', 'PstlAdr?:PostalAddress24', 'Id?:Party38Choice', 'CtryOfRes?:CountryCode'),
  Party38Choice: choice('OrgId:OrganisationIdentification29', 'PrvtId:PersonIdentification13'),
  OrganisationIdentification29: sequence('AnyBIC?:AnyBICDec2014Identifier', 'LEI?:LEIIdentifier', 'Othr*:GenericIdentification1'),
  PersonIdentification13: sequence('Othr*:GenericIdentification1'),
  // GenericOrganisationIdentification1 and GenericPersonIdentification1 have the same shape.
  GenericIdentification1: sequence('Id:Max35Text', 'SchmeNm?:CodeOrProprietary4', 'Issr?:Max35Text'),
  CashAccount38: sequence('Id:AccountIdentification4Choice', 'Tp?:CodeOrProprietary4', 'Ccy?:ActiveOrHistoricCurrencyCode', 'Nm?:Max70Text', 'Prxy?:ProxyAccountIdentification1'),
  AccountIdentification4Choice: choice('IBAN:IBAN2007Identifier', 'Othr:GenericAccountIdentification1'),
  GenericAccountIdentification1: sequence('Id:Max34Text', 'SchmeNm?:CodeOrProprietary4', 'Issr?:Max35Text'),
  ProxyAccountIdentification1: sequence('Tp?:CodeOrProprietary4', 'Id:Max2048Text'),
  Purpose2Choice: choice('Cd:Max4Code', 'Prtry:Max35Text'),
  RemittanceInformation16: sequence('Ustrd*:Max140Text'),
  /** The many External…1Code (1-4 chars) / Max35Text choices of the XSD. */
  CodeOrProprietary4: choice('Cd:Max4Code', 'Prtry:Max35Text'),

  ActiveCurrencyAndAmount: { kind: 'amount' },
  ActiveOrHistoricCurrencyAndAmount: { kind: 'amount' },
  BaseOneRate: simple(decimal(RATE_TOTAL_DIGITS, RATE_FRACTION_DIGITS)),
  Max3Code: maxText(3),
  Max4Code: maxText(4),
  Max5Code: maxText(5),
  Max16Text: maxText(16),
  Max34Text: maxText(MAX34),
  Max35Text: maxText(MAX35),
  Max70Text: maxText(70),
  Max140Text: maxText(MAX140),
  Max2048Text: maxText(2048),
  Max15NumericText: pattern(/^[0-9]{1,15}$/, '[0-9]{1,15}'),
  ISODate: simple((value) => (isCalendarDate(value) ? undefined : 'must be a date YYYY-MM-DD')),
  ISODateTime: simple((value) =>
    /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?$/.test(value) && isCalendarDate(value.slice(0, 10)) ? undefined : 'must be an ISO 8601 date-time',
  ),
  CountryCode: pattern(/^[A-Z]{2}$/, '[A-Z]{2}'),
  ActiveOrHistoricCurrencyCode: pattern(/^[A-Z]{3}$/, '[A-Z]{3}'),
  UUIDv4Identifier: pattern(UUID_V4, 'a lowercase UUID v4'),
  BICFIDec2014Identifier: pattern(BIC, 'a BIC'),
  AnyBICDec2014Identifier: pattern(BIC, 'a BIC'),
  LEIIdentifier: pattern(/^[A-Z0-9]{18}[0-9]{2}$/, 'an LEI'),
  IBAN2007Identifier: pattern(/^[A-Z]{2}[0-9]{2}[a-zA-Z0-9]{1,30}$/, 'an IBAN'),
  ChargeBearerType1Code: enumeration('DEBT', 'CRED', 'SHAR', 'SLEV'),
  SettlementMethod1Code: enumeration('INDA', 'INGA', 'COVE', 'CLRG'),
};

const INVALID_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function checkChars(value: string, path: string): void {
  if (INVALID_XML_CHAR.test(value)) throw new Pacs008Error(`${path}: contains a character XML 1.0 cannot carry`);
}

function escapeText(value: string): string {
  return value.replace(/[&<>\r]/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' })[char] ?? char);
}

function escapeAttribute(value: string): string {
  return value.replace(/[&<>"\t\n\r]/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' })[char] ?? char);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const AMOUNT_CHECK = decimal(XSD_AMOUNT_TOTAL_DIGITS, XSD_AMOUNT_FRACTION_DIGITS);
const CURRENCY = /^[A-Z]{3}$/;

function writeElement(out: string[], name: string, typeName: string, value: unknown, depth: number, path: string): void {
  const spec = TYPES[typeName];
  if (!spec) throw new Error(`pacs008 serialiser: no type ${typeName}`);
  const indent = '  '.repeat(depth);
  switch (spec.kind) {
    case 'simple': {
      if (typeof value !== 'string') throw new Pacs008Error(`${path}: must be a string`);
      checkChars(value, path);
      const fault = spec.check(value);
      if (fault) throw new Pacs008Error(`${path}: "${value}" ${fault}`);
      out.push(`${indent}<${name}>${escapeText(value)}</${name}>`);
      return;
    }
    case 'amount': {
      if (!isPlainObject(value)) throw new Pacs008Error(`${path}: must be { Ccy, value }`);
      const extra = Object.keys(value).find((key) => key !== 'Ccy' && key !== 'value');
      if (extra) throw new Pacs008Error(`${path}: unexpected field "${extra}"`);
      const { Ccy: currency, value: amount } = value;
      if (typeof currency !== 'string' || !CURRENCY.test(currency)) throw new Pacs008Error(`${path}/@Ccy: must match [A-Z]{3}`);
      if (typeof amount !== 'string') throw new Pacs008Error(`${path}: value must be a decimal string`);
      const fault = AMOUNT_CHECK(amount);
      if (fault) throw new Pacs008Error(`${path}: "${amount}" ${fault}`);
      out.push(`${indent}<${name} Ccy="${escapeAttribute(currency)}">${amount}</${name}>`);
      return;
    }
    default: {
      if (!isPlainObject(value)) throw new Pacs008Error(`${path}: must be an object`);
      const known = new Set(spec.elements.map((element) => element.name));
      const unknown = Object.keys(value).filter((key) => value[key] !== undefined && !known.has(key));
      if (unknown.length > 0) throw new Pacs008Error(`${path}: unexpected element(s) ${unknown.join(', ')}`);
      if (spec.kind === 'choice') {
        const present = spec.elements.filter((element) => value[element.name] !== undefined);
        if (present.length !== 1) {
          throw new Pacs008Error(`${path}: exactly one of ${spec.elements.map((element) => element.name).join(' | ')} is required`);
        }
      }
      const children: string[] = [];
      for (const element of spec.elements) {
        const child = value[element.name];
        const childPath = `${path}/${element.name}`;
        if (child === undefined) {
          if (spec.kind === 'sequence' && element.min > 0) throw new Pacs008Error(`${childPath}: missing required element`);
          continue;
        }
        if (Array.isArray(child) && element.max === 1) throw new Pacs008Error(`${childPath}: occurs at most once`);
        const items: unknown[] = Array.isArray(child) ? child : [child];
        if (items.length < element.min || items.length > element.max) {
          throw new Pacs008Error(`${childPath}: occurs ${items.length} times; allowed ${element.min}..${element.max}`);
        }
        items.forEach((item, index) => writeElement(children, element.name, element.type, item, depth + 1, items.length > 1 ? `${childPath}[${index}]` : childPath));
      }
      if (children.length === 0) out.push(`${indent}<${name}/>`);
      else out.push(`${indent}<${name}>`, ...children, `${indent}</${name}>`);
    }
  }
}

/** The pacs.008.001.09 XML of `doc` (UTF-8, 2-space indented, elements in XSD order). */
export function pacs008ToXml(doc: Pacs008Document | Record<string, unknown>): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>', `<Document xmlns="${PACS008_NAMESPACE}">`];
  writeElement(out, 'FIToFICstmrCdtTrf', 'FIToFICustomerCreditTransferV09', doc, 1, '/Document/FIToFICstmrCdtTrf');
  out.push('</Document>');
  return `${out.join('\n')}\n`;
}
