/**
 * The case list's page cursor (WB-1 at scale: keyset paging, never OFFSET). A cursor is the sort
 * key of the previous page's last case; the next page is the cases strictly after it in the
 * list's order:
 *   - age:     ageDays descending, then case id ascending;
 *   - urgency: due day ascending, then ageDays descending, then case id ascending (a store that
 *              cannot sort by urgency sorts by age: an urgency cursor carries the age key too, so
 *              such a store reads `ageDays` and `caseId` and ignores `dueDay`).
 *
 * Pure: both adapters of the WorkbenchStore port and the app read the same text through
 * `readCursor`. The text is opaque to people but not secret: `<sort>.<fields>.<check>`, the case
 * id base64url-encoded and the check an FNV-1a hash of the rest. The check catches a cut or edited
 * cursor (a copied link that lost its tail); it is not a signature. A forged cursor that passes
 * can only start a page at some position of the same filtered list, which the filter applies
 * again on the server, so it shows nothing the person could not page to.
 */
import type { ExceptionCase } from './cases';
import { caseDueDate, type SlaRules } from './sla';

/** The list's orders, the default first (one list: the type, the query's check and the form read it). */
export const CASE_SORTS = ['urgency', 'age'] as const;
export type CaseSort = (typeof CASE_SORTS)[number];

/** Where a page ends: the sort key of its last case. */
export type CaseSortKey = { sort: 'age'; ageDays: number; caseId: string } | { sort: 'urgency'; dueDay: string; ageDays: number; caseId: string };

/** The query parameter (and CaseFilter field) that carries the cursor. */
export const CURSOR_PARAMETER = 'after';

/** Longest cursor text read (case ids are far shorter; a longer text is refused before decoding). */
export const MAX_CURSOR_LENGTH = 2048;

/** A cursor that is not one of this list: answered 400, naming the parameter, never echoing the text (PCI-3). */
export class CursorError extends Error {
  override name = 'CursorError';
  readonly parameter = CURSOR_PARAMETER;
  constructor(readonly fault: string) {
    super(`parameter "${CURSOR_PARAMETER}" is not a page cursor of this list: ${fault}; start again from the first page`);
  }
}

/** FNV-1a, 32 bits, over UTF-16 code units, as 8 lower-case hex digits. */
function check(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

const INTEGER = /^(?:0|-?[1-9]\d{0,14})$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const CHECK = /^[0-9a-f]{8}$/;

function encodeId(caseId: string): string {
  return Buffer.from(caseId, 'utf8').toString('base64url');
}

/** A real calendar day YYYY-MM-DD. */
function isDay(text: string): boolean {
  if (!DAY.test(text)) return false;
  const time = Date.parse(`${text}T00:00:00.000Z`);
  return Number.isFinite(time) && new Date(time).toISOString().slice(0, 10) === text;
}

/** The cursor text of a key. */
export function cursorOf(key: CaseSortKey): string {
  if (!Number.isSafeInteger(key.ageDays) || !INTEGER.test(String(key.ageDays))) throw new RangeError(`case ${key.caseId}: ageDays ${key.ageDays} is not an integer`);
  if (key.caseId === '') throw new RangeError('a cursor needs a case id');
  if (key.sort === 'urgency' && !isDay(key.dueDay)) throw new RangeError(`case ${key.caseId}: due day "${key.dueDay}" is not a date`);
  const body = key.sort === 'age' ? `age.${key.ageDays}.${encodeId(key.caseId)}` : `urgency.${key.dueDay}.${key.ageDays}.${encodeId(key.caseId)}`;
  return `${body}.${check(body)}`;
}

/** The sort key of `kase` in the `sort` order (the urgency order's due day by `sla`, which must be the store's rules). */
export function sortKeyOf(kase: ExceptionCase, sort: CaseSort, sla?: SlaRules): CaseSortKey {
  return sort === 'age' ? { sort, ageDays: kase.ageDays, caseId: kase.caseId } : { sort, dueDay: caseDueDate(kase, sla), ageDays: kase.ageDays, caseId: kase.caseId };
}

/** The cursor of the page that ends at `kase`: the next page starts just after it in the `sort` order. */
export function pageCursor(kase: ExceptionCase, sort: CaseSort, sla?: SlaRules): string {
  return cursorOf(sortKeyOf(kase, sort, sla));
}

/**
 * Reads a cursor of the `sort` order strictly: the shape, the check, each field (a canonical
 * integer age, a real due day, a non-empty UTF-8 case id in canonical base64url) and the order it
 * was made for. Returns the key, or a CursorError saying what is wrong (never the text itself).
 */
export function readCursor(text: string, sort: CaseSort): CaseSortKey | CursorError {
  if (typeof text !== 'string' || text === '') return new CursorError('it is empty');
  if (text.length > MAX_CURSOR_LENGTH) return new CursorError(`it is longer than ${MAX_CURSOR_LENGTH} characters`);
  const parts = text.split('.');
  const made = parts[0];
  if (made !== 'age' && made !== 'urgency') return new CursorError('it is not a cursor');
  if (parts.length !== (made === 'age' ? 4 : 5)) return new CursorError('it is not a cursor');
  const given = parts[parts.length - 1]!;
  const body = parts.slice(0, -1).join('.');
  if (!CHECK.test(given) || check(body) !== given) return new CursorError('it was cut short or changed');
  if (made !== sort) return new CursorError(`it belongs to the ${made} order, not the ${sort} order`);
  const fields = parts.slice(1, -1);
  const dueDay = made === 'urgency' ? fields.shift()! : '';
  const [age, id] = fields as [string, string];
  if (made === 'urgency' && !isDay(dueDay)) return new CursorError('its due day is not a date');
  if (!INTEGER.test(age) || !Number.isSafeInteger(Number(age))) return new CursorError('its age is not an integer');
  if (!BASE64URL.test(id)) return new CursorError('its case id is not encoded');
  const bytes = Buffer.from(id, 'base64url');
  if (bytes.toString('base64url') !== id) return new CursorError('its case id is not encoded');
  let caseId: string;
  try {
    caseId = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new CursorError('its case id is not UTF-8');
  }
  if (caseId === '') return new CursorError('its case id is empty');
  const ageDays = Number(age);
  return made === 'age' ? { sort: 'age', ageDays, caseId } : { sort: 'urgency', dueDay, ageDays, caseId };
}

/**
 * The key a store pages after: undefined on the first page; a CursorError (thrown) for a cursor
 * that is not one of the filter's order. Stores call this; the app reads the cursor first and
 * answers 400 before the store is asked.
 */
export function afterKey(filter: { after?: string; sort?: CaseSort }): CaseSortKey | undefined {
  if (filter.after === undefined) return undefined;
  const key = readCursor(filter.after, filter.sort ?? 'age');
  if (key instanceof CursorError) throw key;
  return key;
}
