/**
 * The exceptions workbench's server-rendered HTML: plain template functions and one stylesheet
 * (served at /static/workbench.css; the CSP allows no inline style or script, and no script is
 * needed). Every interpolated value goes through `html`, which escapes it unless it is already
 * rendered HTML, so a value can never become markup.
 */
import { type Actor, type CaseActionType, type CaseEvent, CASE_REASONS, type CaseStatus, CASE_STATUSES, type ExceptionCase, RESOLVE_KINDS } from './cases';
import { MAX_FILTER_LENGTH } from './query';
import type { Candidate, CaseCandidates } from './candidates';
import { ACTION_KEYS, KEYS, SCRIPT_PATH } from './keys';
import type { SlaBucket } from './sla';
import type { CaseCounts } from './ports';

/** Markup that is already escaped. */
export class SafeHtml {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function renderValue(value: unknown): string {
  if (value instanceof SafeHtml) return value.text;
  if (Array.isArray(value)) return value.map(renderValue).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(String(value));
}

/** Tagged template: interpolations are escaped; SafeHtml and arrays of it are inserted as they are. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i += 1) out += renderValue(values[i]) + strings[i + 1]!;
  return new SafeHtml(out);
}

export const STYLESHEET_PATH = '/static/workbench.css';
/** GET: the sign-out form; POST: signs out. */
export const SIGN_OUT_PATH = '/logout';

export const WORKBENCH_CSS = `/* Ledgerline exceptions workbench */
:root {
  --ink: #1d2733;
  --muted: #5b6776;
  --line: #d8dee6;
  --panel: #ffffff;
  --page: #f3f5f8;
  --brand: #0b3d62;
  --accent: #1565c0;
  --ok: #1b7a3d;
  --warn: #a15c00;
  --bad: #b3261e;
}
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: var(--ink); background: var(--page); }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
header.top { display: flex; align-items: center; justify-content: space-between; padding: 10px 24px; background: var(--brand); color: #fff; }
header.top .brand { font-weight: 600; font-size: 16px; color: #fff; }
header.top .who { font-size: 13px; }
header.top .signout { margin-left: 10px; color: #fff; text-decoration: underline; }
header.top .role { display: inline-block; margin-left: 6px; padding: 1px 8px; border-radius: 10px; background: rgba(255, 255, 255, 0.18); }
main { max-width: 1280px; margin: 0 auto; padding: 20px 24px 48px; }
h1 { font-size: 20px; margin: 0 0 14px; }
h2 { font-size: 16px; margin: 24px 0 10px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 14px 16px; margin-bottom: 16px; }
.counts { display: flex; flex-wrap: wrap; gap: 8px; margin-bottom: 16px; }
.count { display: inline-flex; gap: 6px; align-items: baseline; padding: 6px 12px; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; color: var(--ink); }
.count strong { font-size: 16px; }
.count.reason { border-style: dashed; }
.filters { display: flex; flex-wrap: wrap; gap: 10px; align-items: flex-end; }
.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
input, select, textarea { font: inherit; padding: 5px 8px; border: 1px solid #b9c2cd; border-radius: 4px; background: #fff; color: var(--ink); }
textarea { width: 100%; min-height: 56px; resize: vertical; }
button { font: inherit; padding: 6px 14px; border: 1px solid var(--accent); border-radius: 4px; background: var(--accent); color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
table { width: 100%; border-collapse: collapse; background: var(--panel); border: 1px solid var(--line); }
th, td { padding: 7px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: #e9edf2; font-size: 12px; text-transform: uppercase; letter-spacing: 0.03em; color: var(--muted); }
tbody tr:hover { background: #f7f9fc; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.id { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12px; word-break: break-all; }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; border: 1px solid currentColor; white-space: nowrap; }
.status-OPEN { color: var(--accent); }
.status-PENDING_APPROVAL { color: var(--warn); }
.status-RESOLVED, .status-WRITTEN_OFF { color: var(--ok); }
.status-CLEARED { color: var(--muted); }
.muted { color: var(--muted); }
.empty { padding: 24px; text-align: center; color: var(--muted); }
.flash { padding: 10px 14px; border-radius: 6px; margin-bottom: 16px; border: 1px solid; }
.flash.ok { color: var(--ok); background: #eef8f1; }
.flash.error { color: var(--bad); background: #fdf0ef; }
.detail { display: grid; grid-template-columns: 2fr 1fr; gap: 16px; align-items: start; }
dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: 6px 16px; margin: 0; }
dl.fields dt { color: var(--muted); }
dl.fields dd { margin: 0; word-break: break-word; }
.actions form { border-top: 1px solid var(--line); padding: 12px 0; }
.actions form:first-of-type { border-top: 0; padding-top: 0; }
.actions h3 { font-size: 14px; margin: 0 0 6px; }
.actions label { display: block; font-size: 12px; color: var(--muted); margin: 6px 0 2px; }
.actions input, .actions select { width: 100%; }
.actions button { margin-top: 8px; }
@media (max-width: 900px) { .detail { grid-template-columns: 1fr; } }
header.top nav.links { display: flex; gap: 16px; margin-left: 24px; margin-right: auto; }
header.top nav.links a { color: #fff; opacity: 0.9; }
/* Dashboards (REC-DASH-1): inline SVG charts, each with the table of its numbers. */
.charts { display: grid; grid-template-columns: 1fr; gap: 16px; }
figure.chart { margin: 0; }
figure.chart figcaption { font-weight: 600; margin-bottom: 8px; }
figure.chart svg { display: block; width: 100%; max-width: 760px; height: auto; background: #fff; }
figure.chart table { margin-top: 10px; }
svg .axis { stroke: var(--muted); stroke-width: 1; }
svg .grid { stroke: var(--line); stroke-width: 1; }
svg .label { fill: var(--muted); font-size: 11px; }
svg .value { fill: var(--ink); font-size: 11px; }
svg .rate-line { fill: none; stroke: var(--accent); stroke-width: 2; }
svg .rate-point { fill: var(--accent); }
svg .bar { fill: var(--accent); }
svg .bar.age-old { fill: var(--bad); }
svg .bar.age-mid { fill: var(--warn); }
ul.reasons { margin: 0; padding-left: 18px; }
.sla { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; border: 1px solid currentColor; white-space: nowrap; }
.sla-overdue { color: #fff; background: var(--bad); border-color: var(--bad); }
.sla-due-today { color: var(--bad); }
.sla-due-soon { color: var(--warn); }
.sla-on-track { color: var(--ok); }
.keys-hint { font-size: 12px; opacity: 0.85; margin-right: 16px; }
aside.keys { position: fixed; right: 24px; bottom: 24px; max-width: 420px; max-height: 80vh; overflow: auto; box-shadow: 0 4px 18px rgba(0, 0, 0, 0.18); z-index: 10; }
kbd { display: inline-block; padding: 0 5px; border: 1px solid var(--line); border-bottom-width: 2px; border-radius: 3px; font: 12px ui-monospace, Menlo, Consolas, monospace; background: #fff; color: var(--ink); }
nav.case-nav { display: flex; gap: 16px; margin-bottom: 10px; }
nav.pager { display: flex; gap: 16px; margin-top: 10px; }
form.match { margin: 0; }
tr.candidate.selected, tbody tr.selected { outline: 2px solid var(--accent); outline-offset: -2px; background: #eef4fc; }
`;

const STATUS_LABELS: Record<CaseStatus, string> = {
  OPEN: 'Open',
  PENDING_APPROVAL: 'Pending approval',
  RESOLVED: 'Resolved',
  WRITTEN_OFF: 'Written off',
  CLEARED: 'Cleared',
};

const ACTION_LABELS: Record<CaseActionType | 'import' | 'clear', string> = {
  comment: 'Comment',
  assign: 'Assign',
  resolve: 'Resolve',
  'confirm-match': 'Confirm match',
  'reject-match': 'Reject match',
  'propose-write-off': 'Propose write-off',
  'approve-write-off': 'Approve write-off',
  'reject-write-off': 'Reject write-off',
  reopen: 'Reopen',
  undo: 'Undo resolution',
  import: 'Raised by run',
  clear: 'Cleared by run',
};

const RESOLVE_LABELS: Record<(typeof RESOLVE_KINDS)[number], string> = {
  MATCHED_MANUALLY: 'Matched manually (give the ledger entries)',
  TIMING_DIFFERENCE: 'Timing difference',
  BANK_ERROR: 'Bank error',
  DUPLICATE_CONFIRMED: 'Duplicate confirmed',
};

export function caseHref(caseId: string): string {
  return `/cases/${encodeURIComponent(caseId)}`;
}

function statusBadge(status: CaseStatus): SafeHtml {
  return html`<span class="status status-${status}">${STATUS_LABELS[status]}</span>`;
}

/** The statement upload's page (upload.ts serves it, REC-RUN-1). */
export const UPLOAD_PATH = '/uploads';
/** Who may upload a statement: a reconciler or an approver (upload.ts refuses anyone else; the navigation offers it to them only). */
export const mayUpload = (actor: Actor): boolean => actor.roles.some((role) => role === 'reconciler' || role === 'approver');

/** What the workbench a page is served by offers besides the cases and the dashboard (its options), kept with the actor the page is for. */
const OFFERS = Symbol('workbench offers');
/** The signed-in person as the pages see them: the actor, and what this workbench offers (set by the app, pageActor). */
export interface PageActor extends Actor {
  readonly [OFFERS]?: { uploads: boolean };
}
/** The actor the app renders its pages for: `uploads` when it has an upload page (started with an inbox; never on AWS). */
export function pageActor(actor: Actor, offers: { uploads: boolean }): PageActor {
  return { ...actor, [OFFERS]: offers };
}
/** The navigation links the upload page only when the workbench has one and the person may upload: never a link to a 404. */
export const linksUpload = (actor: PageActor | undefined): boolean => actor?.[OFFERS]?.uploads === true && mayUpload(actor);

/** A whole page: the header (who is signed in, the navigation) around `content`. */
export function page(title: string, actor: PageActor | undefined, content: SafeHtml): string {
  const who = actor
    ? html`<span class="who">Signed in as <strong>${actor.name ?? actor.user}</strong>${actor.name !== undefined && actor.name !== actor.user ? html` (${actor.user})` : ''}${actor.roles.map((role) => html`<span class="role">${role}</span>`)} <a class="signout" href="${SIGN_OUT_PATH}">Sign out</a></span>`
    : html`<span class="who">Not signed in</span>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Ledgerline workbench</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
<script src="${SCRIPT_PATH}" defer></script>
</head>
<body>
<header class="top"><a class="brand" href="/cases">Ledgerline · Reconciliation exceptions</a><nav class="links"><a href="/cases">Cases</a><a href="/dashboard">Dashboard</a>${linksUpload(actor) ? html`<a href="${UPLOAD_PATH}">Upload</a>` : ''}</nav><span id="keys-hint" class="keys-hint" hidden>Press ? for keys</span>${who}</header>
<main>
${content}
</main>
<aside id="keys" class="keys panel" hidden aria-label="Keyboard keys"><h2>Keys</h2><dl class="fields">${KEYS.map((k) => html`<dt><kbd>${k.key}</kbd></dt><dd>${k.does}</dd>`)}</dl></aside>
</body>
</html>
`.text;
}

/** The values of the list page's filter form, as the person typed them. */
export interface ListFilterForm {
  status: string;
  reason: string;
  account: string;
  assignee: string;
  q: string;
  /** urgency (default: by SLA due date, overdue first) or age (oldest first). */
  sort?: string;
}

/** A case's SLA as the list and the case page show it. */
export interface CaseSla {
  due: string;
  bucket: SlaBucket;
  /** Days to the due date: negative when overdue. */
  daysLeft: number;
}

const SLA_LABELS: Record<SlaBucket, string> = { overdue: 'Overdue', 'due-today': 'Due today', 'due-soon': 'Due soon', 'on-track': 'On track' };

function slaBadge(sla: CaseSla | undefined): SafeHtml {
  if (!sla) return html``;
  const when = sla.daysLeft < 0 ? `${-sla.daysLeft} d overdue` : sla.daysLeft === 0 ? 'today' : `in ${sla.daysLeft} d`;
  return html`<span class="sla sla-${sla.bucket}" title="due ${sla.due}">${SLA_LABELS[sla.bucket]}</span> <span class="muted">${sla.due} (${when})</span>`;
}

/** The list's filter as a query string (the CSV export takes the same filter). */
function exportQuery(form: ListFilterForm): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(form)) if (value) params.set(name, value);
  return params.toString();
}

/** Where a list page is (keyset paging, cursor.ts): whether it is after the first page, and the cursor of the next page if there is one. */
export interface ListPage {
  later: boolean;
  next?: string;
}

/** The first and next page links: the filter kept, the next page by its cursor (`after`); no page numbers. */
function pager(form: ListFilterForm, page: ListPage): SafeHtml {
  if (!page.later && !page.next) return html``;
  const query = exportQuery(form);
  const first = page.later ? html`<a href="/cases${query ? `?${query}` : ''}" rel="first">First page</a>` : '';
  const next = page.next ? html`<a href="/cases?${query ? `${query}&` : ''}after=${encodeURIComponent(page.next)}" rel="next">Next page</a>` : '';
  return html`<nav class="pager" aria-label="Pages">${first} ${next}</nav>`;
}

export function renderCaseList(view: {
  actor: Actor;
  cases: readonly ExceptionCase[];
  counts: CaseCounts;
  form: ListFilterForm;
  limit: number;
  sla?: ReadonlyMap<string, CaseSla>;
  page?: ListPage;
}): string {
  const { actor, cases, counts, form, limit } = view;
  const at = view.page ?? { later: false };
  const statusCounts = CASE_STATUSES.map((status) => html`<a class="count" href="/cases?status=${status}"><span>${STATUS_LABELS[status]}</span><strong>${counts.byStatus[status] ?? 0}</strong></a>`);
  const reasonCounts = Object.entries(counts.openByReason)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([reason, n]) => html`<a class="count reason" href="/cases?reason=${encodeURIComponent(reason)}"><span>Open ${reason}</span><strong>${n}</strong></a>`);
  const statusOptions = [
    { value: '', label: 'Open + pending approval' },
    ...CASE_STATUSES.map((status) => ({ value: status, label: STATUS_LABELS[status] })),
    { value: 'ALL', label: 'All statuses' },
  ].map((option) => html`<option value="${option.value}"${option.value === form.status ? new SafeHtml(' selected') : ''}>${option.label}</option>`);
  const rows = cases.map(
    (c) => html`<tr data-href="${caseHref(c.caseId)}">
<td class="id"><a href="${caseHref(c.caseId)}">${c.caseId}</a></td>
<td>${slaBadge(view.sla?.get(c.caseId))}</td>
<td>${c.reason}</td>
<td>${c.accountId}</td>
<td>${c.currency}</td>
<td class="num">${c.amount}</td>
<td class="num">${c.ageDays}</td>
<td>${statusBadge(c.status)}</td>
<td>${c.assignee ?? html`<span class="muted">unassigned</span>`}</td>
</tr>`,
  );
  const table = cases.length
    ? html`<table>
<thead><tr><th>Case</th><th>Due</th><th>Reason</th><th>Account</th><th>Currency</th><th class="num">Amount</th><th class="num">Age (days)</th><th>Status</th><th>Assignee</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
${at.next ? html`<p class="muted">${limit} cases a page, ${form.sort === 'age' ? 'oldest' : 'most urgent'} first.</p>` : ''}
${pager(form, at)}`
    : html`<div class="panel empty">No cases match this filter${at.later ? ' after this point' : ''}.</div>
${pager(form, at)}`;
  return page(
    'Cases',
    actor,
    html`<h1>Exceptions and proposed matches</h1>
<nav class="counts" aria-label="Cases by status">${statusCounts}${reasonCounts}</nav>
<form class="panel filters" method="get" action="/cases">
<label>Status <select name="status">${statusOptions}</select></label>
<label>Reason <input name="reason" value="${form.reason}" list="reasons" pattern="${CASE_REASONS.join('|')}" title="one of ${CASE_REASONS.join(', ')}" placeholder="e.g. STALE"></label>
<datalist id="reasons">${CASE_REASONS.map((reason) => html`<option value="${reason}"></option>`)}</datalist>
<label>Account <input name="account" value="${form.account}" maxlength="${MAX_FILTER_LENGTH}"></label>
<label>Assignee <input name="assignee" value="${form.assignee}" maxlength="${MAX_FILTER_LENGTH}"></label>
<label>Search <input name="q" value="${form.q}" maxlength="${MAX_FILTER_LENGTH}" placeholder="case, statement line, bank ref, ledger entry"></label>
<label>Order <select name="sort"><option value="urgency"${form.sort !== 'age' ? new SafeHtml(' selected') : ''}>Most urgent first (SLA)</option><option value="age"${form.sort === 'age' ? new SafeHtml(' selected') : ''}>Oldest first</option></select></label>
<button type="submit">Filter</button>
<a href="/cases">Reset</a>
<a href="/cases.csv?${exportQuery(form)}" download>Export CSV</a>
<a href="/bulk?${exportQuery(form)}" class="bulk">Bulk action…</a>
</form>
${table}`,
  );
}

function field(label: string, value: unknown): SafeHtml {
  if (value === undefined || value === null || value === '') return html``;
  return html`<dt>${label}</dt><dd>${value}</dd>`;
}

/** The confirming actions (c), after which the browser goes on to the next case. */
const MOVES_ON: readonly string[] = ['confirm-match', 'match-candidate'];

function nextField(action: string, next: string | undefined): SafeHtml {
  return next && MOVES_ON.includes(action) ? html`<input type="hidden" name="next" value="${next}">` : html``;
}

function actionForm(c: ExceptionCase, action: CaseActionType, csrf: string, actor: Actor, next?: string): SafeHtml {
  const hidden = html`<input type="hidden" name="type" value="${action}"><input type="hidden" name="expectedVersion" value="${c.version}"><input type="hidden" name="csrf" value="${csrf}">${nextField(action, next)}`;
  const note = (required: boolean) =>
    html`<label for="note-${action}">Note${required ? '' : ' (optional)'}</label><textarea id="note-${action}" name="note"${required ? new SafeHtml(' required') : ''} maxlength="2000"></textarea>`;
  let fields: SafeHtml;
  switch (action) {
    case 'assign':
      fields = html`<label for="assignee">Assignee</label><input id="assignee" name="assignee" value="${c.assignee ?? actor.user}" required>`;
      break;
    case 'resolve':
      fields = html`<label for="resolution">Resolution</label><select id="resolution" name="resolution">${RESOLVE_KINDS.map((kind) => html`<option value="${kind}">${RESOLVE_LABELS[kind]}</option>`)}</select>
<label for="ledgerEntryIds">Ledger entries (comma separated; needed for a manual match)</label><input id="ledgerEntryIds" name="ledgerEntryIds" value="${c.ledgerEntryIds.join(', ')}">
${note(true)}`;
      break;
    case 'propose-write-off':
      // ADJ-1: what the approval books the difference to.
      fields = html`<label for="target">Book to</label><select id="target" name="target"><option value="WRITE_OFF">Write-off account (the difference is written off)</option><option value="SUSPENSE">Suspense account (a bank error, until the bank corrects it)</option></select>
${note(true)}`;
      break;
    case 'undo': {
      // WB-1: a match that resolved several cases is undone as one: say which cases come back with it.
      const partners = (c.resolution?.matchedCases ?? []).filter((id) => id !== c.caseId);
      fields = html`${partners.length ? html`<p class="muted">Matched in one action with case ${partners.join(', case ')}: undo reopens ${partners.length === 1 ? 'it' : 'them'} too.</p>` : ''}${note(false)}`;
      break;
    }
    case 'confirm-match':
    case 'approve-write-off':
      fields = note(false);
      break;
    default:
      fields = note(true);
  }
  const key = ACTION_KEYS[action];
  return html`<form method="post" action="${caseHref(c.caseId)}/actions"${key ? html` data-key="${key}"` : ''}>
<h3>${ACTION_LABELS[action]}${key ? html` <kbd class="key">${key}</kbd>` : ''}</h3>
${hidden}
${fields}
<button type="submit"${action === 'comment' ? new SafeHtml(' class="secondary"') : ''}>${ACTION_LABELS[action]}</button>
</form>`;
}

function candidateRow(c: ExceptionCase, candidate: Candidate, index: number, csrf: string, canMatch: boolean, next: string | undefined): SafeHtml {
  const digit = index + 1;
  return html`<tr class="candidate" id="candidate-${digit}" data-candidate="${digit}">
<td class="num">${digit}</td>
<td>${candidate.kind === 'group' ? html`<strong>group of ${candidate.rows.length}</strong><br>` : ''}${candidate.side}: <span class="id">${candidate.rows.map((row) => row.id).join(', ')}</span>${
    candidate.caseIds.some((id) => id !== c.caseId) ? html`<br><span class="muted">case ${candidate.caseIds.filter((id) => id !== c.caseId).join(', ')}</span>` : ''
  }</td>
<td class="num">${candidate.total}</td>
<td><ul class="reasons">${candidate.reasons.map((reason) => html`<li class="reason-${reason.field}">${reason.text}</li>`)}</ul></td>
<td>${
    canMatch
      ? html`<form method="post" action="${caseHref(c.caseId)}/actions" class="match">
<input type="hidden" name="type" value="match-candidate"><input type="hidden" name="candidate" value="${candidate.key}"><input type="hidden" name="expectedVersion" value="${c.version}"><input type="hidden" name="csrf" value="${csrf}">${nextField('match-candidate', next)}
<button type="submit" data-match="${digit}">Match${candidate.rows.length > 1 ? ` all ${candidate.rows.length}` : ''}</button>
</form>`
      : ''
  }</td>
</tr>`;
}

/** The ranked candidates of a case, each with its reasons and one action that matches it whole. */
function renderCandidates(c: ExceptionCase, found: CaseCandidates, csrf: string, canMatch: boolean, next: string | undefined): SafeHtml {
  const { subject, candidates } = found;
  return html`<h2>Candidates for ${subject.side} ${subject.id} (${subject.amount} ${subject.currency})</h2>
${
  candidates.length
    ? html`<table aria-label="Candidates">
<thead><tr><th class="num">Key</th><th>Candidate</th><th class="num">Total</th><th>Why</th><th></th></tr></thead>
<tbody>
${candidates.map((candidate, i) => candidateRow(c, candidate, i, csrf, canMatch, next))}
</tbody>
</table>
<p id="picked" class="muted" role="status"></p>`
    : html`<div class="panel empty">No open ${subject.side === 'statement' ? 'ledger entries' : 'statement lines'} of this account and currency come near it.</div>`
}`;
}

export function renderCaseDetail(view: {
  actor: Actor;
  case: ExceptionCase;
  history: readonly CaseEvent[];
  allowed: readonly CaseActionType[];
  csrf: string;
  flash?: { kind: 'ok' | 'error'; message: string };
  candidates?: CaseCandidates;
  /** The cases before and after this one in the list's default order (n / p). */
  nav?: { previous?: string; next?: string };
  sla?: CaseSla;
}): string {
  const { actor, history, allowed, csrf, flash } = view;
  const next = view.nav?.next;
  const c = view.case;
  const resolution = c.resolution
    ? html`<h2>Resolution</h2><dl class="fields">${field('Kind', c.resolution.kind)}${field('Note', c.resolution.note)}${field('Ledger entries', c.resolution.ledgerEntryIds?.join(', '))}${field('By', c.resolution.by)}${field('At', c.resolution.at)}${
        c.resolution.adjustment
          ? html`${field('Booked as', c.resolution.adjustment.adjustmentId)}${field('Ledger', `${c.resolution.adjustment.amount} ${c.resolution.adjustment.currency} on ${c.resolution.adjustment.accountId} against ${c.resolution.adjustment.contraAccountId}`)}${field('Posting record', c.resolution.adjustment.recordId)}`
          : ''
      }</dl>`
    : '';
  const writeOff = c.writeOff
    ? html`<h2>Write-off proposal</h2><dl class="fields">${field('Proposed by', c.writeOff.proposedBy)}${field('Book to', c.writeOff.target === 'SUSPENSE' ? 'suspense (bank error)' : 'write-off')}${field('Note', c.writeOff.note)}${field('At', c.writeOff.at)}</dl>`
    : '';
  const members = c.members?.length
    ? html`<h2>Exceptions in this case (${c.members.length})</h2>
<p class="muted">Worked as one case (REC-CASE-1): every action applies to all of them.</p>
<table aria-label="Exceptions in this case">
<thead><tr><th>Side</th><th>Item</th><th>Reason</th><th>Account</th><th>Currency</th><th class="num">Amount</th><th class="num">Age (days)</th><th>Bank reference</th><th>Candidate</th><th>Detail</th></tr></thead>
<tbody>
${c.members.map(
  (member) => html`<tr>
<td>${member.side}</td>
<td class="id">${member.id}</td>
<td>${member.reason}</td>
<td>${member.accountId}</td>
<td>${member.currency}</td>
<td class="num">${member.amount}</td>
<td class="num">${member.ageDays}</td>
<td>${member.bankReference ?? ''}</td>
<td class="id">${member.candidateId ?? ''}</td>
<td>${member.detail ?? ''}</td>
</tr>`,
)}
</tbody>
</table>
${
  c.totals?.length
    ? html`<table aria-label="Case totals">
<thead><tr><th>Currency</th><th class="num">Statement total</th><th class="num">Ledger total</th><th class="num">Difference</th></tr></thead>
<tbody>
${c.totals.map((total) => html`<tr><td>${total.currency}</td><td class="num">${total.statement}</td><td class="num">${total.ledger}</td><td class="num">${total.difference}</td></tr>`)}
</tbody>
</table>`
    : ''
}`
    : '';
  const events = history.map(
    (event) => html`<tr>
<td class="num">${event.version}</td>
<td>${event.at}</td>
<td>${event.actor}</td>
<td>${ACTION_LABELS[event.action]}</td>
<td>${event.from ? html`${statusBadge(event.from)} → ` : ''}${statusBadge(event.to)}</td>
<td>${event.note ?? ''}${event.note && event.detail ? html`<br>` : ''}${event.detail ? html`<span class="muted">${event.detail}</span>` : ''}</td>
</tr>`,
  );
  const actions = allowed.length
    ? html`<section class="panel actions" aria-label="Actions">${allowed.map((action) => actionForm(c, action, csrf, actor, next))}</section>`
    : html`<section class="panel muted">No actions available to you on this case.</section>`;
  return page(
    c.caseId,
    actor,
    html`<nav class="case-nav" aria-label="Cases"><a href="/cases">← All cases</a>${view.nav?.previous ? html` <a rel="prev" href="${caseHref(view.nav.previous)}">Previous case</a>` : ''}${
      next ? html` <a rel="next" href="${caseHref(next)}">Next case</a>` : ''
    }</nav>
<h1>Case ${c.caseId} ${statusBadge(c.status)}</h1>
${flash ? html`<div class="flash ${flash.kind}" role="${flash.kind === 'error' ? 'alert' : 'status'}">${flash.message}</div>` : ''}
<div class="detail">
<section class="panel">
<dl class="fields">
${field('Kind', c.kind === 'exception' ? 'Exception' : 'Proposed match')}
${field('Status', statusBadge(c.status))}
${field('Reason', c.reason)}
${field('Account', c.accountId)}
${field('Currency', c.currency)}
${field('Amount', c.amount)}
${field('Age (days)', c.ageDays)}
${view.sla && (c.status === 'OPEN' || c.status === 'PENDING_APPROVAL') ? field('Due', slaBadge(view.sla)) : ''}
${field('Side', c.side)}
${field('Statement line', c.statementLineId)}
${field('Bank reference', c.bankReference)}
${field('Ledger entries', c.ledgerEntryIds.join(', '))}
${field('Rule', c.ruleId)}
${field('Confidence', c.confidence)}
${field('Detail', c.detail)}
${field('Case group', c.group)}
${field('Assignee', c.assignee ?? 'unassigned')}
${field('Latest run', c.runId)}
${field('Version', c.version)}
${field('Updated', c.updatedAt)}
</dl>
${resolution}
${writeOff}
</section>
${actions}
</div>
${view.candidates ? renderCandidates(c, view.candidates, csrf, allowed.includes('resolve'), next) : ''}
${members}
<h2>History</h2>
<table>
<thead><tr><th class="num">#</th><th>When</th><th>Who</th><th>What</th><th>From → to</th><th>Note</th></tr></thead>
<tbody>
${events}
</tbody>
</table>`,
  );
}

export function renderMessagePage(view: { title: string; message: string; actor?: Actor }): string {
  return page(
    view.title,
    view.actor,
    html`<h1>${view.title}</h1>
<div class="panel">${view.message}</div>
${view.actor ? html`<p><a href="/cases">← All cases</a></p>` : ''}`,
  );
}

/** A page a signed-out person sees, with the link that signs them in. */
export function renderSignInPage(view: { title: string; message: string; signInHref: string }): string {
  return page(
    view.title,
    undefined,
    html`<h1>${view.title}</h1>
<div class="panel">${view.message}</div>
<p><a class="signin" href="${view.signInHref}">Sign in</a></p>`,
  );
}

/** The sign-out form (a POST with the session's CSRF token). */
export function renderSignOutPage(view: { actor: Actor; csrf: string }): string {
  return page(
    'Sign out',
    view.actor,
    html`<h1>Sign out</h1>
<form class="panel" method="post" action="${SIGN_OUT_PATH}">
<input type="hidden" name="csrf" value="${view.csrf}">
<p>Sign out of the workbench${view.actor.name ? html` as ${view.actor.name}` : ''}?</p>
<button type="submit">Sign out</button>
</form>
<p><a href="/cases">← All cases</a></p>`,
  );
}
