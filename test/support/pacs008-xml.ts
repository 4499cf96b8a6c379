/**
 * Test support: the pacs.008.001.09 XML of a `toPacs008` document, so tests can validate what
 * FR5 produces against the XSD (`shared/fixtures/iso20022/pacs.008.001.09.xsd`). Production
 * carries the JSON form only; this serialiser restates the XSD's facets on its own (amount
 * digits, UUID v4) so it is an independent reading of the contract, not a copy of the mapper's.
 */
import { Pacs008Error, PACS008_NAMESPACE, type Pacs008Document } from '../../src/domain/iso20022/pacs008';

/** ActiveCurrencyAndAmount: totalDigits 18, fractionDigits 5 (the XSD). */
const XSD_AMOUNT_TOTAL_DIGITS = 18;
const XSD_AMOUNT_FRACTION_DIGITS = 5;
/** BaseOneRate: totalDigits 11, fractionDigits 10; Max34Text, Max35Text, Max140Text. */
const RATE_TOTAL_DIGITS = 11;
const RATE_FRACTION_DIGITS = 10;
const MAX34 = 34;
const MAX35 = 35;
const MAX140 = 140;
const UUID_V4 = /^[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}$/;

function codePointLength(text: string): number {
  let length = 0;
  for (const _ of text) length += 1;
  return length;
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
