/**
 * The one place the run layer calls the statement parsers (src/recon/parsers, owned by the
 * parsers' authors). Everything here is a thin wrapper: if their API moves, only this changes.
 */
import type { ParsedStatementFile, StatementFormat } from '../types';
import { parseStatementFile } from '../parsers';

export async function parseStatement(path: string, options: { profile?: string; format?: StatementFormat; contentHash?: string } = {}): Promise<ParsedStatementFile> {
  return parseStatementFile(path, { profile: options.profile, format: options.format });
}
