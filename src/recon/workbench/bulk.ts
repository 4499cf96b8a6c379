/**
 * Bulk actions: every case a list filter selects gets one action (assign, comment, or a resolution
 * other than a manual match), run as a background job that records a result per case: each case
 * goes through applyCaseAction at its own current version (role, status, PCI-3, one history event),
 * so a case that cannot take the action is listed as a failure with the reason and the others go
 * on. Jobs live in the process that runs them (the embedded workbench); a job is never lost while
 * it runs and its results stay until the process ends.
 */
import { randomBytes } from 'node:crypto';
import { type Actor, applyCaseAction, type CaseAction, type ExceptionCase, parseCaseAction, WorkbenchError } from './cases';
import { caseHref, html, page, type SafeHtml } from './html';
import { CaseVersionConflict, type CaseFilter, type WorkbenchStore } from './ports';

/** At most this many cases a job (the list's own maximum page). */
export const MAX_BULK_CASES = 1000;
export const BULK_ACTIONS = ['assign', 'comment', 'resolve'] as const;

export interface BulkItem {
  caseId: string;
  ok: boolean;
  /** The new version, or why the case did not take the action. */
  message: string;
}

export interface BulkJob {
  jobId: string;
  by: string;
  action: CaseAction;
  /** The filter as the person saw it (a query string). */
  filter: string;
  caseIds: string[];
  items: BulkItem[];
  state: 'running' | 'done';
  startedAt: string;
  finishedAt?: string;
}

/** Reads the bulk action from a form: only assign, comment and resolve (not a manual match: that needs its entries per case). */
export function parseBulkAction(fields: Record<string, unknown>): CaseAction {
  if (!(BULK_ACTIONS as readonly unknown[]).includes(fields.type)) {
    throw new WorkbenchError('INVALID', `field "type" must be one of ${BULK_ACTIONS.join(', ')} for a bulk action; got ${JSON.stringify(fields.type ?? null)}`);
  }
  const action = parseCaseAction(fields);
  if (action.type === 'resolve' && action.resolution === 'MATCHED_MANUALLY') {
    throw new WorkbenchError('INVALID', 'field "resolution" MATCHED_MANUALLY needs the ledger entries of each case: match cases one by one');
  }
  return action;
}

/** Every case the filter selects (at most MAX_BULK_CASES; more is refused, naming how to narrow it). */
export async function selectCases(store: WorkbenchStore, filter: CaseFilter): Promise<ExceptionCase[]> {
  const cases = await store.list({ ...filter, limit: MAX_BULK_CASES, offset: 0 });
  if (cases.length >= MAX_BULK_CASES) {
    const more = await store.list({ ...filter, limit: 1, offset: MAX_BULK_CASES });
    if (more.length) throw new WorkbenchError('INVALID', `the filter selects more than ${MAX_BULK_CASES} cases; narrow it (status, reason, account, assignee or search) and try again`);
  }
  return cases;
}

export class BulkJobs {
  private readonly jobs = new Map<string, BulkJob>();

  constructor(
    private readonly store: WorkbenchStore,
    private readonly now: () => string,
  ) {}

  get(jobId: string): BulkJob | undefined {
    return this.jobs.get(jobId);
  }

  /** Starts a job over `caseIds` and returns it at once; the cases are worked one by one in the background. */
  start(actor: Actor, action: CaseAction, caseIds: readonly string[], filter: string): BulkJob {
    const job: BulkJob = { jobId: randomBytes(12).toString('hex'), by: actor.user, action, filter, caseIds: [...caseIds], items: [], state: 'running', startedAt: this.now() };
    this.jobs.set(job.jobId, job);
    void this.run(job, actor);
    return job;
  }

  private async run(job: BulkJob, actor: Actor): Promise<void> {
    for (const caseId of job.caseIds) {
      // One case a turn of the event loop: the workbench answers its pages meanwhile.
      await new Promise<void>((resolve) => setImmediate(resolve));
      job.items.push(await this.one(caseId, job.action, actor));
    }
    job.state = 'done';
    job.finishedAt = this.now();
  }

  private async one(caseId: string, action: CaseAction, actor: Actor): Promise<BulkItem> {
    try {
      const current = await this.store.get(caseId);
      if (!current) return { caseId, ok: false, message: 'the case no longer exists' };
      const { next, event } = applyCaseAction(current, action, actor, this.now(), current.version);
      await this.store.save(next, event);
      return { caseId, ok: true, message: `${event.from ?? ''} → ${event.to}, version ${next.version}` };
    } catch (error) {
      if (error instanceof WorkbenchError) return { caseId, ok: false, message: error.message };
      if (error instanceof CaseVersionConflict) return { caseId, ok: false, message: 'changed by someone else meanwhile; not changed' };
      return { caseId, ok: false, message: 'the workbench could not save it; not changed' };
    }
  }
}

const ACTION_TEXT: Record<(typeof BULK_ACTIONS)[number], string> = { assign: 'Assign', comment: 'Comment', resolve: 'Resolve' };

function describe(action: CaseAction): string {
  if (action.type === 'assign') return `assign to ${action.assignee}`;
  if (action.type === 'resolve') return `resolve as ${action.resolution}: ${action.note}`;
  if (action.type === 'comment') return `comment: ${action.note}`;
  return action.type;
}

/** The preview: what the filter selects, and the form that starts the job. */
export function renderBulkPreview(view: { actor: Actor; cases: readonly ExceptionCase[]; query: string; csrf: string }): string {
  const { actor, cases, query, csrf } = view;
  const shown = cases.slice(0, 50);
  const form: SafeHtml = html`<form class="panel actions" method="post" action="/bulk?${query}" id="bulk-form">
<input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="expectedCount" value="${cases.length}">
<label for="bulk-type">Action</label><select id="bulk-type" name="type">${BULK_ACTIONS.map((type) => html`<option value="${type}">${ACTION_TEXT[type]}</option>`)}</select>
<label for="bulk-assignee">Assignee (assign)</label><input id="bulk-assignee" name="assignee" value="${actor.user}">
<label for="bulk-resolution">Resolution (resolve)</label><select id="bulk-resolution" name="resolution"><option value="TIMING_DIFFERENCE">Timing difference</option><option value="BANK_ERROR">Bank error</option><option value="DUPLICATE_CONFIRMED">Duplicate confirmed</option></select>
<label for="bulk-note">Note (comment, resolve)</label><textarea id="bulk-note" name="note" maxlength="2000"></textarea>
<button type="submit">Run on ${cases.length} case${cases.length === 1 ? '' : 's'}</button>
</form>`;
  return page(
    'Bulk action',
    actor,
    html`<p><a href="/cases?${query}">← Back to the list</a></p>
<h1>Bulk action on ${cases.length} case${cases.length === 1 ? '' : 's'}</h1>
<p class="muted">Every case the filter selects gets the action, each at its own current version; a case that cannot take it is listed with the reason and the others go on.</p>
${cases.length ? form : html`<div class="panel empty">The filter selects no case.</div>`}
<table aria-label="Selected cases">
<thead><tr><th>Case</th><th>Status</th><th>Reason</th><th class="num">Amount</th></tr></thead>
<tbody>${shown.map((c) => html`<tr><td class="id"><a href="${caseHref(c.caseId)}">${c.caseId}</a></td><td>${c.status}</td><td>${c.reason}</td><td class="num">${c.amount}</td></tr>`)}</tbody>
</table>
${cases.length > shown.length ? html`<p class="muted">… and ${cases.length - shown.length} more.</p>` : ''}`,
  );
}

/** A job's page: its progress, then every case's result (failures first). */
export function renderBulkJob(view: { actor: Actor; job: BulkJob }): string {
  const { actor, job } = view;
  const failed = job.items.filter((item) => !item.ok);
  const done = job.items.filter((item) => item.ok);
  const row = (item: BulkItem) =>
    html`<tr class="${item.ok ? 'ok' : 'failed'}"><td class="id"><a href="${caseHref(item.caseId)}">${item.caseId}</a></td><td>${item.ok ? 'done' : 'failed'}</td><td>${item.message}</td></tr>`;
  const body = page(
    'Bulk job',
    actor,
    html`<p><a href="/cases?${job.filter}">← Back to the list</a></p>
<h1>Bulk job: ${describe(job.action)}</h1>
<p class="job-state" data-state="${job.state}">${job.state === 'running' ? `Running: ${job.items.length} of ${job.caseIds.length} cases worked` : `Done: ${done.length} of ${job.caseIds.length} cases changed, ${failed.length} failed`}</p>
<table aria-label="Results">
<thead><tr><th>Case</th><th>Result</th><th>Detail</th></tr></thead>
<tbody>${[...failed, ...done].map(row)}</tbody>
</table>`,
  );
  // While it runs the page reloads itself (no script needed).
  return job.state === 'running' ? body.replace('<meta charset="utf-8">', '<meta charset="utf-8">\n<meta http-equiv="refresh" content="1">') : body;
}
