/**
 * The one place the run layer calls the statement parsers (src/recon/parsers, owned by the
 * parsers' authors). A thin wrapper: if their API moves, only this changes.
 * parseStatementFile streams the file in chunks (two passes: hash + truncation check, then
 * parse) and hands back every statement with its lines and balance proof.
 */
import type { ParsedStatementFile, StatementFormat } from '../types';
import { parseStatementFile } from '../parsers';

export async function parseStatement(path: string, options: { profile?: string; format?: StatementFormat; contentHash?: string } = {}): Promise<ParsedStatementFile> {
  return parseStatementFile(path, { ...(options.profile !== undefined ? { profile: options.profile } : {}), ...(options.format ? { format: options.format } : {}) });
}
