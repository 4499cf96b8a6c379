import { LineSplitter } from '../../src/recon/parsers/common';
import { StatementParseError } from '../../src/recon/types';
import { FIELD_START } from '../../src/recon/parsers/mt940';

/** Reads the fields of an MT940 fragment (any tags, no sequence rules): for checking field grammar on snippets. */
export function readMt940Fields(text: string): { tag: string; lines: string[]; line: number }[] {
  const fields: { tag: string; lines: string[]; line: number }[] = [];
  const splitter = new LineSplitter((raw, n) => {
    // eslint-disable-next-line no-control-regex -- SOH/ETX framing bytes
    const line = raw.replace(/^[\x01\x03]+|[\x01\x03 ]+$/g, '');
    if (line.length === 0 || line === '-') return;
    const match = FIELD_START.exec(line);
    if (match) fields.push({ tag: match[1]!, lines: [line.slice(match[0].length)], line: n });
    else if (fields.length > 0) fields[fields.length - 1]!.lines.push(line);
    else throw new StatementParseError({ file: '<fragment>', line: n }, 'text before the first field');
  });
  splitter.push(text);
  splitter.end();
  return fields;
}
