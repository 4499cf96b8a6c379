/**
 * The one place the run layer calls the statement parsers (src/recon/parsers, owned by the
 * parsers' authors). Everything here is a thin wrapper: if their API moves, only this changes.
 */
import type { ParsedStatementFile, StatementFormat } from '../types';

type ParseStatementFile = (path: string, options: { profile?: string; format?: StatementFormat }) => Promise<ParsedStatementFile> | ParsedStatementFile;

function parsers(): { parseStatementFile: ParseStatementFile } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../parsers') as { parseStatementFile: ParseStatementFile };
}

export async function parseStatement(path: string, options: { profile?: string; format?: StatementFormat; contentHash?: string } = {}): Promise<ParsedStatementFile> {
  return parsers().parseStatementFile(path, { profile: options.profile, format: options.format });
}
