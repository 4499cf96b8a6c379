/**
 * REC-IN-1: an entry holds at most CAMT_NODES_PER_CHILD elements. A batch's 2nd and later TxDtls
 * stop counting once each is reduced to its item; the 1st keeps counting (its tree is emptied, not
 * given back), however its reduction is scheduled, and whatever the chunking.
 */
import { CamtParser } from '../../../src/recon/parsers/camt';
import { CAMT_NODES_PER_CHILD } from '../../../src/recon/parsers/limits';
import { StatementParseError } from '../../../src/recon/types';
import { camt, camtEntry } from './support/statements';

function fault(text: string, size: number): string | undefined {
  const parser = new CamtParser({ file: 'statement.xml', hashPrefix: 'abcdef012345', format: 'camt.053' }, { line: () => undefined, statement: () => undefined });
  try {
    for (let at = 0; at < text.length; at += size) parser.push(text.slice(at, at + size));
    parser.end();
    return undefined;
  } catch (error) {
    if (error instanceof StatementParseError) return error.fault;
    throw error;
  }
}

/** `count` elements the mapping does not read (TxId), inside one Refs. */
const filler = (count: number): string => `<Refs>${'<TxId>x</TxId>'.repeat(count)}</Refs>`;
const tx = (amount: string, inner = ''): string => `<TxDtls><Amt Ccy="EUR">${amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd>${inner}</TxDtls>`;

describe('camt batch entries and the element bound', () => {
  const first = Math.ceil(CAMT_NODES_PER_CHILD * 0.6);
  const rest = Math.ceil(CAMT_NODES_PER_CHILD * 0.45);
  const entry = (firstItems: number, after: number): string =>
    camtEntry('3.00', 'CRDT', `<NtryDtls>${tx('1.00', filler(firstItems))}${tx('2.00')}</NtryDtls>${'<AddtlNtryInf>x</AddtlNtryInf>'.repeat(after)}`);

  it.each([1, 997, 1 << 20])('the 1st TxDtls still counts after a 2nd one opens (chunks of %i)', (size) => {
    expect(fault(camt({ entries: [entry(first, rest)] }), size)).toBe(`<Ntry> holds more than ${CAMT_NODES_PER_CHILD} elements`);
  });

  it.each([1, 997, 1 << 20])('later TxDtls do not (chunks of %i)', (size) => {
    const many = camtEntry('3.00', 'CRDT', `<NtryDtls>${tx('1.00')}${tx('1.00', filler(first))}${tx('1.00', filler(first))}</NtryDtls>`);
    expect(fault(camt({ entries: [many] }), size)).toBeUndefined();
  });

  it('under the bound, the same batch reads', () => {
    expect(fault(camt({ entries: [entry(first, 10)] }), 4096)).toBeUndefined();
  });
});
