import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateXML } from 'xmllint-wasm';
import type { Authorisation } from '../../../src/domain/events';
import { findPan } from '../../../src/domain/pan';
import { Pacs008Error, PACS008_NAMESPACE, baseOneRate, pacs008MessageId, pacs008Uetr, toPacs008, type Pacs008Document } from '../../../src/domain/iso20022/pacs008';
import { pacs008ToXml } from '../../support/pacs008-xml';

const XSD_PATH = join(process.cwd(), '../shared/fixtures/iso20022/pacs.008.001.09.xsd');
const XSD = readFileSync(XSD_PATH, 'utf8');
const UUID_V4 = /^[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}$/;

async function validate(xml: string): Promise<{ valid: boolean; messages: string[] }> {
  const result = await validateXML({
    xml: [{ fileName: 'pacs008.xml', contents: xml }],
    schema: [{ fileName: 'pacs.008.001.09.xsd', contents: XSD }],
  });
  return { valid: result.valid, messages: result.errors.map((error) => error.message) };
}

async function expectValid(xml: string): Promise<void> {
  const result = await validate(xml);
  expect(result.messages).toEqual([]);
  expect(result.valid).toBe(true);
}

function authorisation(overrides: Partial<Authorisation> = {}): Authorisation {
  return {
    authorizationId: 'auth-20240301-000001',
    network: 'VISA',
    stan: '004211',
    rrn: '406110004211',
    transmittedAt: '2024-03-01T10:15:30Z',
    panToken: 'tok_9fQ2xLm7Pa81Zr',
    responseCode: '00',
    amount: { value: '42.50', currency: 'GBP' },
    merchant: { id: 'mch-000123', name: 'Corner Grocer Ltd', mcc: '5411', country: 'GB' },
    authCode: 'A1B2C3',
    terminalId: 'T0001',
    ...overrides,
  };
}

function optsFor(eventId: string, correlationId: string, createdAt = '2024-03-01T10:15:30Z') {
  return { messageId: pacs008MessageId(eventId), createdAt, uetr: pacs008Uetr(correlationId) };
}

const domesticGbp = authorisation();
const crossCurrency = authorisation({
  authorizationId: 'auth-xccy-1',
  amount: { value: '100.00', currency: 'EUR' },
  billingAmount: { value: '85.12', currency: 'GBP' },
  conversionRate: '0.851200000000',
  merchant: { id: 'mch-fr-77', name: 'Boulangerie du Coin', mcc: '5462', country: 'FR' },
});
const jpy = authorisation({
  authorizationId: 'auth-jpy-1',
  network: 'MASTERCARD',
  amount: { value: '1500', currency: 'JPY' },
  merchant: { id: 'mch-jp-5', name: 'Tokyo Ramen 東京ラーメン', mcc: '5812', country: 'JP' },
});
const awkwardName = authorisation({
  authorizationId: 'auth-esc-1',
  merchant: { id: 'mch-esc', name: `Fish & Chips <Bros> "Ltd" 'n' ]]> Co`, mcc: '5812', country: 'GB' },
});

describe('toPacs008 → pacs008ToXml validates against the pacs.008.001.09 XSD', () => {
  it.each([
    ['domestic GBP', domesticGbp],
    ['cross-currency with billingAmount + conversionRate', crossCurrency],
    ['JPY (zero decimals)', jpy],
    ['merchant name with & < > " \' ]]>', awkwardName],
  ])('%s', async (_label, auth) => {
    const xml = pacs008ToXml(toPacs008(auth, optsFor(`evt-${auth.authorizationId}`, `cor-${auth.authorizationId}`)));
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
    expect(xml).toContain(`<Document xmlns="${PACS008_NAMESPACE}">`);
    await expectValid(xml);
  });

  it('ids longer than the XSD allows are digested and still validate', async () => {
    const long = authorisation({
      authorizationId: `auth-${'x'.repeat(120)}`,
      network: 'MASTERCARD',
      panToken: `tok_${'Ab3'.repeat(21)}Z`,
      merchant: { id: `merchant-${'m'.repeat(100)}`, name: 'N'.repeat(140), mcc: '5999', country: 'US' },
    });
    const doc = toPacs008(long, optsFor('evt-long', 'cor-long'));
    const tx = doc.CdtTrfTxInf;
    expect(tx.PmtId.EndToEndId).toMatch(/^h:[0-9a-f]{32}$/);
    expect(tx.CdtrAcct).toEqual({ Id: { Othr: { Id: expect.stringMatching(/^h:[0-9a-f]{32}$/), SchmeNm: { Prtry: 'MERCHANT_ID' } } } });
    // The token is too long for Othr/Id (Max34Text): a digest there, the whole token as the proxy.
    expect(tx.DbtrAcct).toEqual({
      Id: { Othr: { Id: expect.stringMatching(/^h:[0-9a-f]{32}$/), SchmeNm: { Prtry: 'CARD_TOKEN_DIGEST' } } },
      Prxy: { Tp: { Prtry: 'CARD_TOKEN' }, Id: long.panToken },
    });
    await expectValid(pacs008ToXml(doc));
  });

  it('a rate beyond BaseOneRate precision and an unknown billing currency still validate', async () => {
    const auth = authorisation({
      amount: { value: '10.00', currency: 'USD' },
      billingAmount: { value: '123.456', currency: 'XTS' },
      conversionRate: '12.345600000001',
    });
    const doc = toPacs008(auth, optsFor('evt-r', 'cor-r'));
    expect(doc.CdtTrfTxInf.IntrBkSttlmAmt).toEqual({ Ccy: 'XTS', value: '123.456' });
    expect(doc.CdtTrfTxInf.XchgRate).toBe('12.3456');
    await expectValid(pacs008ToXml(doc));
  });

  it('control characters in free text are replaced, so the XML stays well-formed and valid', async () => {
    const auth = authorisation({ merchant: { id: 'm1', name: 'Bad\u0001Name\u0008', mcc: '5411', country: 'GB' } });
    const doc = toPacs008(auth, optsFor('evt-c', 'cor-c'));
    expect(doc.CdtTrfTxInf.Cdtr.Nm).toBe('Bad\uFFFDName\uFFFD');
    await expectValid(pacs008ToXml(doc));
  });

  it('other agent identifications (BIC, clearing member, LEI, address) serialise in XSD order and validate', async () => {
    const doc = toPacs008(domesticGbp, optsFor('evt-a', 'cor-a'));
    const withAgents: Pacs008Document = {
      ...doc,
      CdtTrfTxInf: {
        ...doc.CdtTrfTxInf,
        // Deliberately out of XSD order in the JSON.
        DbtrAgt: { FinInstnId: { Nm: 'Issuer Bank', LEI: '5493001KJTIIGC8Y1R12', BICFI: 'LDGRGB2LXXX' } },
        CdtrAgt: {
          FinInstnId: {
            PstlAdr: { AdrLine: ['1 Acquirer Street', 'London'], Ctry: 'GB', TwnNm: 'London' },
            ClrSysMmbId: { MmbId: '401234', ClrSysId: { Cd: 'GBDSC' } },
          },
        },
        Purp: { Cd: 'GDDS' },
      },
    };
    const xml = pacs008ToXml(withAgents);
    expect(xml.indexOf('<BICFI>')).toBeLessThan(xml.indexOf('<LEI>'));
    expect(xml.indexOf('<ClrSysMmbId>')).toBeLessThan(xml.indexOf('<PstlAdr>'));
    expect(xml.indexOf('<TwnNm>')).toBeLessThan(xml.indexOf('<AdrLine>1 Acquirer Street'));
    await expectValid(xml);
  });
});

describe('the XSD check is real', () => {
  const validXml = pacs008ToXml(toPacs008(domesticGbp, optsFor('evt-b', 'cor-b')));

  it('the unbroken document validates', async () => {
    await expectValid(validXml);
  });

  it.each([
    ['element order (ChrgBr before IntrBkSttlmAmt)', (xml: string) => xml.replace('      <ChrgBr>SLEV</ChrgBr>\n', '').replace('<IntrBkSttlmAmt', '<ChrgBr>SLEV</ChrgBr><IntrBkSttlmAmt'), 'ChrgBr'],
    ['a missing required element (ChrgBr)', (xml: string) => xml.replace('<ChrgBr>SLEV</ChrgBr>', ''), 'Dbtr'],
    ['a version-5 UETR', (xml: string) => xml.replace(/<UETR>([0-9a-f]{8}-[0-9a-f]{4}-)4/, '<UETR>$15'), 'UETR'],
    ['a 36-character MsgId', (xml: string) => xml.replace(/<MsgId>[^<]*<\/MsgId>/, `<MsgId>${'M'.repeat(36)}</MsgId>`), 'MsgId'],
    ['an amount with 6 decimals', (xml: string) => xml.replace('>42.50<', '>42.500001<'), 'IntrBkSttlmAmt'],
    ['a lowercase currency', (xml: string) => xml.replace('Ccy="GBP"', 'Ccy="gbp"'), 'Ccy'],
    ['the wrong namespace', (xml: string) => xml.replace(PACS008_NAMESPACE, 'urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08'), 'Document'],
  ])('%s fails validation', async (_label, breakIt, mentioned) => {
    const broken = breakIt(validXml);
    expect(broken).not.toBe(validXml);
    const result = await validate(broken);
    expect(result.valid).toBe(false);
    expect(result.messages.join('\n')).toContain(mentioned);
  });
});

describe('toPacs008 mapping', () => {
  it('builds the group header and a single transaction from the authorisation', () => {
    const opts = optsFor('evt-1', 'cor-1', '2024-03-01T11:15:30+01:00');
    const doc = toPacs008(domesticGbp, opts);
    expect(doc.GrpHdr).toEqual({
      MsgId: opts.messageId,
      CreDtTm: '2024-03-01T10:15:30.000Z',
      NbOfTxs: '1',
      SttlmInf: { SttlmMtd: 'CLRG', ClrSys: { Prtry: 'VISA' } },
    });
    expect(doc.CdtTrfTxInf).toEqual({
      PmtId: { InstrId: opts.messageId, EndToEndId: 'auth-20240301-000001', TxId: 'VISA/S004211/R406110004211', UETR: opts.uetr },
      IntrBkSttlmAmt: { Ccy: 'GBP', value: '42.50' },
      IntrBkSttlmDt: '2024-03-01',
      ChrgBr: 'SLEV',
      Dbtr: { Id: { PrvtId: { Othr: [{ Id: 'tok_9fQ2xLm7Pa81Zr', SchmeNm: { Prtry: 'CARD_TOKEN' } }] } } },
      DbtrAcct: { Id: { Othr: { Id: 'tok_9fQ2xLm7Pa81Zr', SchmeNm: { Prtry: 'CARD_TOKEN' } } } },
      DbtrAgt: { FinInstnId: { Nm: 'Ledgerline', Othr: { Id: 'LEDGERLINE', SchmeNm: { Prtry: 'CARD_ISSUER' } } } },
      CdtrAgt: { FinInstnId: { Othr: { Id: 'NOTPROVIDED' } } },
      Cdtr: { Nm: 'Corner Grocer Ltd', PstlAdr: { Ctry: 'GB' } },
      CdtrAcct: { Id: { Othr: { Id: 'mch-000123', SchmeNm: { Prtry: 'MERCHANT_ID' } } } },
      RmtInf: { Ustrd: ['CARD VISA STAN 004211 RRN 406110004211 MCC 5411 AUTH A1B2C3 TID T0001'] },
    });
  });

  it('cross-currency: settles in the billing currency, instructed amount in the merchant currency, exact rate', () => {
    const tx = toPacs008(crossCurrency, optsFor('e', 'c')).CdtTrfTxInf;
    expect(tx.IntrBkSttlmAmt).toEqual({ Ccy: 'GBP', value: '85.12' });
    expect(tx.InstdAmt).toEqual({ Ccy: 'EUR', value: '100.00' });
    expect(tx.XchgRate).toBe('0.8512');
  });

  it('a billing amount in the same currency adds no InstdAmt / XchgRate', () => {
    const tx = toPacs008(authorisation({ billingAmount: { value: '42.50', currency: 'GBP' }, conversionRate: '1' }), optsFor('e', 'c')).CdtTrfTxInf;
    expect(tx.IntrBkSttlmAmt).toEqual({ Ccy: 'GBP', value: '42.50' });
    expect(tx).not.toHaveProperty('InstdAmt');
    expect(tx).not.toHaveProperty('XchgRate');
  });

  it('amounts are exact canonical decimal strings (never numbers)', () => {
    const gbp = toPacs008(authorisation({ amount: { value: '12.3', currency: 'GBP' } }), optsFor('e', 'c'));
    expect(gbp.CdtTrfTxInf.IntrBkSttlmAmt).toEqual({ Ccy: 'GBP', value: '12.30' });
    const big = toPacs008(authorisation({ amount: { value: '9999999999999999.99', currency: 'USD' } }), optsFor('e', 'c'));
    expect(big.CdtTrfTxInf.IntrBkSttlmAmt.value).toBe('9999999999999999.99');
    const yen = toPacs008(jpy, optsFor('e', 'c'));
    expect(yen.CdtTrfTxInf.IntrBkSttlmAmt).toEqual({ Ccy: 'JPY', value: '1500' });
    expect(pacs008ToXml(yen)).toContain('<IntrBkSttlmAmt Ccy="JPY">1500</IntrBkSttlmAmt>');
  });

  it('rejects money the XSD or ISO 4217 cannot carry', () => {
    expect(() => toPacs008(authorisation({ amount: { value: '1500.5', currency: 'JPY' } }), optsFor('e', 'c'))).toThrow(/JPY allows 0/);
    expect(() => toPacs008(authorisation({ amount: { value: '9999999999999999.999', currency: 'BHD' } }), optsFor('e', 'c'))).toThrow(Pacs008Error);
  });

  it('the settlement date is the UTC date of transmission', () => {
    const doc = toPacs008(authorisation({ transmittedAt: '2024-03-01T00:30:00+01:00' }), optsFor('e', 'c'));
    expect(doc.CdtTrfTxInf.IntrBkSttlmDt).toBe('2024-02-29');
  });

  it('checks the caller-supplied ids against the XSD', () => {
    expect(() => toPacs008(domesticGbp, { ...optsFor('e', 'c'), messageId: 'M'.repeat(36) })).toThrow(/Max35Text/);
    expect(() => toPacs008(domesticGbp, { ...optsFor('e', 'c'), messageId: '' })).toThrow(/Max35Text/);
    expect(() => toPacs008(domesticGbp, { ...optsFor('e', 'c'), uetr: '5a1f7a1e-8b1c-5c1d-9e1f-0a1b2c3d4e5f' })).toThrow(/UUID v4/);
    expect(() => toPacs008(domesticGbp, { ...optsFor('e', 'c'), createdAt: 'yesterday' })).toThrow(/createdAt/);
  });

  it('puts nothing PAN-like into the document', () => {
    for (const auth of [domesticGbp, crossCurrency, jpy, awkwardName]) {
      expect(findPan(toPacs008(auth, optsFor(auth.authorizationId, auth.rrn)))).toBeUndefined();
    }
  });
});

describe('determinism', () => {
  it('the same input gives identical XML', () => {
    for (const auth of [domesticGbp, crossCurrency, jpy, awkwardName]) {
      const first = pacs008ToXml(toPacs008(auth, optsFor('evt-d', 'cor-d')));
      const second = pacs008ToXml(toPacs008(structuredClone(auth), optsFor('evt-d', 'cor-d')));
      expect(second).toBe(first);
    }
  });

  it('JSON key order does not change the XML: the XSD order is imposed', () => {
    const doc = toPacs008(crossCurrency, optsFor('evt-o', 'cor-o'));
    const reverse = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(reverse)
        : value !== null && typeof value === 'object'
          ? Object.fromEntries(
              Object.entries(value)
                .reverse()
                .map(([key, child]) => [key, reverse(child)]),
            )
          : value;
    expect(pacs008ToXml(reverse(doc) as Record<string, unknown>)).toBe(pacs008ToXml(doc));
  });

  it('MsgId and UETR are deterministic, distinct per input and XSD-shaped', () => {
    expect(pacs008MessageId('evt-1')).toBe(pacs008MessageId('evt-1'));
    expect(pacs008MessageId('evt-1')).not.toBe(pacs008MessageId('evt-2'));
    expect(pacs008Uetr('cor-1')).toBe(pacs008Uetr('cor-1'));
    const uetrs = new Set<string>();
    for (let i = 0; i < 2000; i += 1) {
      const messageId = pacs008MessageId(`evt-${i}`);
      const uetr = pacs008Uetr(`cor-${i}`);
      expect(messageId).toMatch(/^LL[0-9a-f]{32}$/);
      expect(uetr).toMatch(UUID_V4);
      expect(findPan({ messageId, uetr })).toBeUndefined();
      uetrs.add(uetr);
    }
    expect(uetrs.size).toBe(2000);
  });

  it('re-derives an id whose first digest would look like a PAN (dash-separated digit runs count)', () => {
    // The first SHA-256 derivations for these inputs are PAN-like, e.g. the UETR for cor-1057
    // would be 154df1e3-bc47-4587-8290-65864b770424 ("4587-8290-65864" passes Luhn).
    expect(pacs008Uetr('cor-1057')).not.toBe('154df1e3-bc47-4587-8290-65864b770424');
    expect(pacs008MessageId('evt-553')).not.toBe('LLc746c052cff968160660325731ac01a8');
    for (const id of [pacs008Uetr('cor-1057'), pacs008Uetr('cor-1106'), pacs008MessageId('evt-553'), pacs008MessageId('evt-693')]) {
      expect(findPan(id)).toBeUndefined();
    }
    expect(pacs008Uetr('cor-1057')).toMatch(UUID_V4);
  });
});

describe('baseOneRate (XSD BaseOneRate: ≤11 digits, ≤10 decimals)', () => {
  it.each([
    ['0.851200000000', '0.8512'],
    ['1', '1'],
    ['1.000', '1'],
    ['1.123456789012', '1.123456789'],
    ['0.123456789049', '0.123456789'],
    ['123456789.123', '123456789.12'],
    ['999999999.999', '1000000000'],
    ['1.00000000005', '1'],
    ['1.00000000015', '1.0000000002'],
  ])('%s → %s', (input, expected) => {
    expect(baseOneRate(input)).toBe(expected);
  });

  it('a zero rate (or one that rounds to zero) gives no XchgRate', () => {
    expect(baseOneRate('0')).toBeUndefined();
    expect(baseOneRate('0.00000000001')).toBeUndefined();
  });
});

describe('pacs008ToXml guards the structure', () => {
  const doc = toPacs008(domesticGbp, optsFor('evt-g', 'cor-g'));

  it('escapes text and attributes', () => {
    const xml = pacs008ToXml(toPacs008(awkwardName, optsFor('e', 'c')));
    expect(xml).toContain(`<Nm>Fish &amp; Chips &lt;Bros&gt; "Ltd" 'n' ]]&gt; Co</Nm>`);
  });

  it.each([
    ['an unknown element', { ...doc, CdtTrfTxInf: { ...doc.CdtTrfTxInf, Foo: 'bar' } }, /unexpected element\(s\) Foo/],
    ['a missing required element', { ...doc, CdtTrfTxInf: { ...doc.CdtTrfTxInf, ChrgBr: undefined } }, /ChrgBr: missing required/],
    ['a too-long MsgId', { ...doc, GrpHdr: { ...doc.GrpHdr, MsgId: 'M'.repeat(36) } }, /MsgId.*1-35 characters/],
    ['a numeric amount', { ...doc, CdtTrfTxInf: { ...doc.CdtTrfTxInf, IntrBkSttlmAmt: { Ccy: 'GBP', value: 42.5 } } }, /decimal string/],
    ['a two-way choice', { ...doc, CdtTrfTxInf: { ...doc.CdtTrfTxInf, Purp: { Cd: 'GDDS', Prtry: 'x' } } }, /exactly one of Cd \| Prtry/],
    ['a bad code', { ...doc, CdtTrfTxInf: { ...doc.CdtTrfTxInf, ChrgBr: 'NONE' } }, /ChrgBr.*one of/],
    ['a control character', { ...doc, CdtTrfTxInf: { ...doc.CdtTrfTxInf, Cdtr: { Nm: 'a\u0000b' } } }, /XML 1.0/],
  ])('rejects %s', (_label, broken, message) => {
    expect(() => pacs008ToXml(broken as Record<string, unknown>)).toThrow(message);
  });
});
