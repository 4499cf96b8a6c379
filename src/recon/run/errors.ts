/**
 * Errors of a reconciliation run.
 *
 * - BadInputError: the input is wrong (malformed / truncated file, unknown format, wrong
 *   precision, unknown account). It names the file and the line or element; the file is
 *   quarantined with the reason and nothing from the run is recorded.
 * - Anything else is an operational failure (disk, DuckDB, ...): nothing is recorded either,
 *   but the input is not blamed.
 *
 * PCI-3: a BadInputError's fault, message and element path go to stderr, the quarantine reason
 * file and `inbox --json`, so the constructor masks card numbers in them. The readers' faults
 * quote no field content at all (they are masked as free text there already); a message built
 * here from an identifier (an unknown account) is masked with identifier evidence (PCI-2), so an
 * IBAN or a Luhn-valid bank reference stays readable and a card number does not.
 */
import { redactPans } from '../../domain/pan';
import type { SourcePosition } from '../types';
import { LineSyntaxError, StatementParseError } from '../types';

/** Masks card numbers in a message that may quote identifier fields (PCI-2, PCI-3). */
export function safeMessage(text: string): string {
  return redactPans(text, 'identifier');
}

/** A path or file name is free text, not an identifier: masked with text evidence (PCI-1, PCI-3). */
export function safePath(path: string): string {
  return redactPans(path);
}

function safePosition(position: SourcePosition): SourcePosition {
  const safe = { ...position, file: position.file ? safePath(position.file) : position.file };
  return position.element ? { ...safe, element: safeMessage(position.element) } : safe;
}

/** Every mention of the given paths in `text`, masked as paths. */
function maskPaths(text: string, paths: readonly (string | undefined)[]): string {
  let out = text;
  for (const path of paths) if (path) out = out.split(path).join(safePath(path));
  return out;
}

export type BadInputKind = 'malformed' | 'truncated' | 'unknown-format' | 'precision' | 'unknown-account' | 'invalid-row';

export class BadInputError extends Error {
  override name = 'BadInputError';
  readonly position: SourcePosition;
  readonly fault: string;
  constructor(
    /** The file to quarantine (as given by the user / the S3 key). */
    readonly file: string,
    position: SourcePosition,
    fault: string,
    readonly kind: BadInputKind = 'malformed',
    /** The whole message when the fault already names the file and position. */
    message?: string,
  ) {
    const safe = safePosition(position);
    const safeFault = safeMessage(maskPaths(fault, [file, position.file]));
    super(safeMessage(maskPaths(message ?? `${describePosition(safe)}: ${safeFault}`, [file, position.file])));
    this.position = safe;
    this.fault = safeFault;
  }
}

/** "file line 12", "file (Document/Stmt[1]/Ntry[3])", "file line 4 field amount". */
export function describePosition(position: SourcePosition & { field?: string }): string {
  const parts = [position.file];
  if (position.line !== undefined) parts.push(`line ${position.line}`);
  if (position.element) parts.push(`element ${position.element}`);
  if (position.field) parts.push(`field ${position.field}`);
  return parts.join(' ');
}

/** The kind of a parser's complaint, from its wording (for the reason file and audit). */
export function classifyFault(fault: string): BadInputKind {
  if (/truncat|unexpected end|premature end|incomplete|unclosed|missing (the )?(closing|trailer|end)/i.test(fault)) return 'truncated';
  if (/unknown (statement )?format|unrecogni[sz]ed format|cannot detect|not a (known|supported)|unsupported format/i.test(fault)) return 'unknown-format';
  if (/decimal places|precision|allows \d/i.test(fault)) return 'precision';
  if (/not in (the )?(ledger|reference data)/i.test(fault)) return 'unknown-account';
  return 'malformed';
}

/** Wraps anything a parser throws about a file into a BadInputError (others pass through). */
export function asBadInput(error: unknown, file: string): unknown {
  if (error instanceof BadInputError) return error;
  if (error instanceof StatementParseError) {
    return new BadInputError(file, { ...error.position, file: error.position.file || file }, error.fault, classifyFault(error.fault));
  }
  // A syntax fault at a line of this file (the XML tokenizer, the CSV record reader).
  if (error instanceof LineSyntaxError) return new BadInputError(file, { file, line: error.line }, error.fault, classifyFault(error.fault));
  const named = error as { name?: string; message?: string; position?: SourcePosition; fault?: string } | null;
  // Parser errors from other modules that carry a position (duck-typed: no import cycle).
  if (named && typeof named === 'object' && named.position && typeof named.position === 'object' && typeof named.fault === 'string') {
    return new BadInputError(file, { ...named.position, file: named.position.file || file }, named.fault, classifyFault(named.fault));
  }
  return error;
}
