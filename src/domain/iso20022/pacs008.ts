/**
 * FR5: a card authorisation as an ISO 20022 pacs.008.001.09 FIToFICstmrCdtTrf (FI-to-FI
 * customer credit transfer), in JSON form (element names exactly as the XSD).
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
