/**
 * The workbench's query parameters, read one way on every route (WB-1): which parameters each
 * route reads, and how each is read. A list that silently comes back empty or unfiltered reads as
 * "no exceptions", so nothing here is guessed:
 *   - a parameter the route does not read, or one given twice, is a 400 naming it and the
 *     parameters the route reads;
 *   - an enumerated value (status, reason, sort) outside its set is a 400 naming the parameter and
 *     the allowed values; the value is quoted only when it is shaped like one (a word: letters,
 *     `_` and `-`), never when it could be an amount, a reference or an account;
 *   - a malformed text (too long, a control character) or page cursor is a 400 naming the
 *     parameter and its fault, never the text; a card number in any parameter is a 422 (PCI-3).
 * An empty (or blank) value is the parameter left out: the HTML filter form sends every field.
 * The sets are the domain's own: CASE_STATUSES and CASE_REASONS (cases.ts), the cursor's sorts.
 */
import { CASE_REASONS, CASE_STATUSES, type CaseStatus, refuseCardNumbers, WorkbenchError } from './cases';
import { CASE_SORTS, CURSOR_PARAMETER, type CaseSort, CursorError, readCursor } from './cursor';
import type { CaseFilter } from './ports';
import type { ListFilterForm } from './html';

export { CASE_SORTS };

/** `status=ALL`: every status; empty: OPEN and PENDING_APPROVAL. */
export const ALL_STATUSES = 'ALL';
const DEFAULT_STATUSES: readonly CaseStatus[] = ['OPEN', 'PENDING_APPROVAL'];

/** Longest filter text read (an account, an assignee, a search). */
export const MAX_FILTER_LENGTH = 200;

/** The parameters of the list's filter, in the order the form and its links write them. */
export const FILTER_PARAMETERS = ['status', 'reason', 'account', 'assignee', 'q', 'sort'] as const;
/** The list's filter and its page cursor. */
export const LIST_PARAMETERS = [...FILTER_PARAMETERS, CURSOR_PARAMETER] as const;

/**
 * The parameters each signed-in route reads, by its route pattern; a route not named here reads
 * none. The CSV export reads the cursor only to check it (it exports every matching case); a bulk
 * job takes every case of the filter, so it has no cursor. The case page's `done` and `case` are
 * the notice the workbench's own redirect after an action carries.
 */
export const ROUTE_PARAMETERS: Readonly<Record<string, readonly string[]>> = {
  '/api/cases': LIST_PARAMETERS,
  '/cases': LIST_PARAMETERS,
  '/cases.csv': LIST_PARAMETERS,
  '/bulk': FILTER_PARAMETERS,
  '/cases/:id': ['done', 'case'],
};

/** The parameters a route pattern reads. */
export function parametersOf(route: string): readonly string[] {
  return ROUTE_PARAMETERS[route] ?? [];
}

const invalid = (message: string) => new WorkbenchError('INVALID', message);

/** A parameter's name as a message shows it (a card number in a name was refused before). */
function shownName(name: string, accepted: readonly string[]): string {
  if (name === '') return 'a parameter with no name';
  if (name.length > 40 || /[\p{Cc}\p{Cf}]/u.test(name)) return 'a parameter with a long or unprintable name';
  const like = accepted.find((one) => one.toLowerCase() === name.toLowerCase());
  return `parameter "${name}"${like ? ` (did you mean ${like}?)` : ''}`;
}

/**
 * The query's parameter names against those the route reads (`route`: its pattern, as
 * ROUTE_PARAMETERS names it): each name one the route reads, given once. A card number in a name is
 * refused first (PCI-3); values are read, and checked, by the route.
 */
export function checkParameters(params: URLSearchParams, route: string): void {
  const accepted = parametersOf(route);
  const seen = new Map<string, number>();
  for (const [name] of params) {
    refuseCardNumbers({ [name]: '' }, [], 'identifier');
    seen.set(name, (seen.get(name) ?? 0) + 1);
  }
  const where = route.replace(/:id\b/g, '<id>');
  for (const [name, times] of seen) {
    if (!accepted.includes(name)) throw invalid(`${shownName(name, accepted)} is not read by ${where}: ${accepted.length > 0 ? `it reads ${accepted.join(', ')}` : 'it reads no parameters'}`);
    if (times > 1) throw invalid(`parameter "${name}" is given ${times} times; give it once${name === 'status' ? ' (several statuses as one comma list)' : ''}`);
  }
}

/** A value shaped like an enumerated one (a word), which a message may quote. */
const WORD = /^[A-Za-z][A-Za-z_-]{0,39}$/;

/** What a message says of a value that is not in its set: quoted when it is a word, with the member it differs from only in case. */
function notOneOf(values: readonly string[], allowed: readonly string[]): string {
  const shown = values.filter((value) => WORD.test(value));
  const hidden = values.length - shown.length;
  const parts = shown.map((value) => {
    const like = allowed.find((one) => one.toLowerCase() === value.toLowerCase());
    return like && like !== value ? `"${value}" (did you mean ${like}?)` : `"${value}"`;
  });
  if (hidden > 0) parts.push(`${hidden === 1 ? 'a value' : `${hidden} values`} not shown (only a word is quoted)`);
  return `got ${parts.join(', ')}`;
}

/** One value of an enumerated parameter, or undefined when it is empty. */
export function oneOf<T extends string>(name: string, text: string, allowed: readonly T[]): T | undefined {
  if (text === '') return undefined;
  if ((allowed as readonly string[]).includes(text)) return text as T;
  throw invalid(`parameter "${name}" must be one of ${allowed.join(', ')}; ${notOneOf([text], allowed)}`);
}

/** `status`: ALL, or a comma list of CASE_STATUSES; empty is OPEN and PENDING_APPROVAL. */
export function statusesOf(text: string): readonly CaseStatus[] | undefined {
  if (text === '') return DEFAULT_STATUSES;
  if (text === ALL_STATUSES) return undefined;
  const must = `parameter "status" must be ${ALL_STATUSES} or a comma list of ${CASE_STATUSES.join(', ')}`;
  const wanted = text.split(',').map((s) => s.trim());
  if (wanted.some((s) => s === '')) throw invalid(`${must}; the list has an empty item`);
  const unknown = wanted.filter((s) => !(CASE_STATUSES as readonly string[]).includes(s));
  if (unknown.length > 0) throw invalid(`${must}${unknown.includes(ALL_STATUSES) ? ` (${ALL_STATUSES} stands alone)` : ''}; ${notOneOf(unknown, [ALL_STATUSES, ...CASE_STATUSES])}`);
  return wanted as CaseStatus[];
}

/** A text parameter (an account, an assignee, a search), trimmed: at most MAX_FILTER_LENGTH characters and no control character. */
export function filterText(query: Readonly<Record<string, string>>, name: string): string {
  const value = (query[name] ?? '').trim();
  // PCI-3: a filter is typed too (and shown back in the form): one with a card number is refused, not
  // echoed. Filters name identifiers (accounts, references), so identifier evidence (PCI-2).
  refuseCardNumbers({ [name]: value }, [], 'identifier');
  if (value.length > MAX_FILTER_LENGTH) throw invalid(`parameter "${name}" is longer than ${MAX_FILTER_LENGTH} characters`);
  if (/\p{Cc}/u.test(value)) throw invalid(`parameter "${name}" contains a control character`);
  return value;
}

/** The list's filter as the store reads it, the form as the page shows it, and the page cursor. */
export interface ListQuery {
  filter: CaseFilter & { sort: CaseSort };
  form: ListFilterForm;
  /** The page cursor (`after`), checked against the filter's order; absent on the first page. */
  after?: string;
}

/**
 * Reads the list's filter and cursor from a query whose names were checked (checkParameters). The
 * cursor is checked against the filter's order before the store is asked: a damaged or foreign
 * cursor is a 400 naming the parameter, never a 500 or a page from somewhere else.
 */
export function readListQuery(query: Readonly<Record<string, string>>, limit: number): ListQuery {
  const form: ListFilterForm = {
    status: filterText(query, 'status'),
    reason: filterText(query, 'reason'),
    account: filterText(query, 'account'),
    assignee: filterText(query, 'assignee'),
    q: filterText(query, 'q'),
    sort: filterText(query, 'sort'),
  };
  const status = statusesOf(form.status);
  const reason = oneOf('reason', form.reason, CASE_REASONS);
  const sort = oneOf('sort', form.sort ?? '', CASE_SORTS) ?? CASE_SORTS[0]!;
  const filter: ListQuery['filter'] = {
    ...(status ? { status } : {}),
    ...(reason ? { reason } : {}),
    ...(form.account ? { accountId: form.account } : {}),
    ...(form.assignee ? { assignee: form.assignee } : {}),
    ...(form.q ? { search: form.q } : {}),
    sort,
    limit,
  };
  const cursor = (query[CURSOR_PARAMETER] ?? '').trim();
  if (cursor === '') return { filter, form };
  const key = readCursor(cursor, sort);
  if (key instanceof CursorError) throw invalid(key.message);
  return { filter, form, after: cursor };
}
