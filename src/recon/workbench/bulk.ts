/**
 * Bulk actions (WB-BULK-1): every case a list filter selects gets one action (assign, comment, or
 * a resolution other than a manual match), run as a job that records a result per case: each case
 * goes through applyCaseAction at its own current version (role, status, PCI-3, one history event),
 * so a case that cannot take the action is listed as a failure with the reason and the others go on.
 *
 * Jobs are durable (BulkJobStore): the job and its per-case results are stored, and the job is
 * advanced a chunk at a time under a short lease, so any process can continue it: locally the
 * serving process keeps advancing it in the background and resumes unfinished jobs when it starts;
 * on AWS (a Lambda, frozen after each response) the job page advances the next chunk on each GET
 * before rendering, whichever container answers, and a schedule runs `advanceUnfinished` every
 * minute, which works every running job's free chunks through the same `advance` within a time
 * budget, so a job finishes with no page open. Exactly once per case: applying the action is one
 * version-conditioned case save whose history event carries the job id; an advancer that finds the
 * case's event of this job (a retried chunk, or one that lost the save to another advancer) records
 * the item as done without applying the action again.
 */
import { randomBytes } from 'node:crypto';
import { type Actor, applyCaseAction, type CaseAction, type CaseEvent, type ExceptionCase, parseCaseAction, WorkbenchError } from './cases';
import { caseHref, html, page, type SafeHtml } from './html';
import { type BulkItem, type BulkJob, type BulkJobStore, type BulkLease, CaseVersionConflict, type CaseFilter, type WorkbenchStore } from './ports';

export type { BulkItem, BulkJob } from './ports';

/** At most this many cases a job (the list's own maximum page). */
export const MAX_BULK_CASES = 1000;
export const BULK_ACTIONS = ['assign', 'comment', 'resolve'] as const;
/** Cases advanced per lease: what one job-page request works on AWS. */
export const BULK_CHUNK_SIZE = 50;
/** How long a chunk's lease lasts: a crashed or frozen advancer's chunk is taken again after it. */
export const BULK_LEASE_MS = 60_000;

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

export interface BulkJobsOptions {
  /** Keep advancing started and unfinished jobs in this process (a long-running server; not a Lambda). */
  background?: boolean;
  chunkSize?: number;
  leaseMs?: number;
  /** How long the background waits before trying again a chunk another advancer holds (default 1 s). */
  retryMs?: number;
}

const okItem = (caseId: string, event: CaseEvent): BulkItem => ({ caseId, ok: true, message: `${event.from ?? ''} → ${event.to}, version ${event.version}` });

/** What one chunk's work recorded: the cases this advancer gave a result (a result another advancer recorded first is not counted). */
export interface BulkChunkWork {
  done: number;
  failed: number;
}

/** How a scheduled advance ends: the budget is spent, or no running job had a free chunk left. */
export interface BulkAdvanceSummary {
  /** Running jobs listed. */
  jobsSeen: number;
  /** Chunks leased and worked. */
  chunksWorked: number;
  /** Cases given a result in this run: taken the action (done) or listed with the reason (failed). */
  casesDone: number;
  casesFailed: number;
  /** Chunks a store failure cut short (taken again once their lease ends). */
  chunksFailed: number;
  /** Jobs listed that are done at the end of this run. */
  jobsFinished: number;
  /** True when the run stopped with chunks still free (the next run goes on). */
  outOfTime: boolean;
}

export interface AdvanceUnfinishedOptions {
  /** Milliseconds this process may still run (on AWS the context's getRemainingTimeInMillis). */
  timeLeftMs: () => number;
  /** No chunk is started with less time than this left (a chunk cut off by the end of the run waits out its lease). */
  reserveMs: number;
  /** At most this many running jobs a run, oldest first (default 100). */
  maxJobs?: number;
}

export class BulkJobs {
  /** Who this process is, as a lease holder. */
  private readonly owner = randomBytes(8).toString('hex');
  private readonly running = new Set<string>();
  private readonly chunkSize: number;
  private readonly leaseMs: number;

  constructor(
    private readonly store: WorkbenchStore,
    private readonly jobs: BulkJobStore,
    private readonly now: () => Date,
    private readonly options: BulkJobsOptions = {},
  ) {
    this.chunkSize = options.chunkSize ?? BULK_CHUNK_SIZE;
    this.leaseMs = options.leaseMs ?? BULK_LEASE_MS;
  }

  get(jobId: string): Promise<BulkJob | undefined> {
    return this.jobs.get(jobId);
  }

  /** Stores a job over `caseIds` and returns its id at once; in the background it is advanced until done. */
  async start(actor: Actor, action: CaseAction, caseIds: readonly string[], filter: string): Promise<string> {
    const jobId = randomBytes(12).toString('hex');
    await this.jobs.create({ jobId, actor: { ...actor, roles: [...actor.roles] }, action, filter, caseIds: [...caseIds], startedAt: this.now().toISOString() }, this.chunkSize);
    if (this.options.background) this.runInBackground(jobId);
    return jobId;
  }

  /** Resumes every unfinished job in the background (a process starting after a restart). */
  async resume(): Promise<string[]> {
    if (!this.options.background) return [];
    const unfinished = await this.jobs.unfinished();
    for (const jobId of unfinished) this.runInBackground(jobId);
    return unfinished;
  }

  /** Works the next free chunk of the job, if any (what a job page does before rendering); false when none was free. */
  async advance(jobId: string): Promise<boolean> {
    return (await this.advanceChunk(jobId)) !== undefined;
  }

  /**
   * WB-BULK-1 on AWS: works the running jobs' free chunks, one chunk of each job in turn (oldest
   * first), each through `advance`'s own path, until none is free or less than `reserveMs` is left.
   * Several runs at once (or with job pages) share the chunks through their leases.
   */
  async advanceUnfinished(options: AdvanceUnfinishedOptions): Promise<BulkAdvanceSummary> {
    const listed = await this.jobs.unfinished(options.maxJobs ?? 100);
    const summary: BulkAdvanceSummary = { jobsSeen: listed.length, chunksWorked: 0, chunksFailed: 0, casesDone: 0, casesFailed: 0, jobsFinished: 0, outOfTime: false };
    let turn = [...listed];
    while (turn.length > 0) {
      const next: string[] = [];
      for (const jobId of turn) {
        if (options.timeLeftMs() < options.reserveMs) {
          summary.outOfTime = true;
          break;
        }
        let worked: BulkChunkWork | undefined;
        try {
          worked = await this.advanceChunk(jobId);
        } catch {
          // The store failed part way: the chunk stays leased until its lease ends; the other jobs go on.
          summary.chunksFailed += 1;
          continue;
        }
        if (!worked) continue; // done, or every chunk left is under another advancer's lease
        summary.chunksWorked += 1;
        summary.casesDone += worked.done;
        summary.casesFailed += worked.failed;
        next.push(jobId);
      }
      if (summary.outOfTime) break;
      turn = next;
    }
    for (const jobId of listed) if ((await this.jobs.get(jobId))?.state === 'done') summary.jobsFinished += 1;
    return summary;
  }

  /** The one way a chunk is worked (a job page, the background, the scheduled run): undefined when the job had no free chunk. */
  private async advanceChunk(jobId: string): Promise<BulkChunkWork | undefined> {
    const job = await this.jobs.get(jobId);
    if (!job || job.state === 'done') return undefined;
    const lease = await this.jobs.lease(jobId, this.owner, this.now().getTime(), this.leaseMs);
    if (!lease) return undefined;
    return this.work(job, lease);
  }

  private runInBackground(jobId: string): void {
    if (this.running.has(jobId)) return;
    this.running.add(jobId);
    const loop = async (): Promise<void> => {
      for (;;) {
        const job = await this.jobs.get(jobId);
        if (!job || job.state === 'done') return;
        if (!(await this.advance(jobId))) {
          // Another advancer holds the remaining chunks (or a crashed one's lease has not expired yet).
          await new Promise<void>((resolve) => setTimeout(resolve, this.options.retryMs ?? 1000).unref());
        }
      }
    };
    loop()
      .catch(() => undefined) // the job stays unfinished: its page (or the next start) advances it
      .finally(() => this.running.delete(jobId));
  }

  private async work(job: BulkJob, lease: BulkLease): Promise<BulkChunkWork> {
    const counted: BulkChunkWork = { done: 0, failed: 0 };
    for (const { index, caseId } of lease.pending) {
      // One case a turn of the event loop: the workbench answers its pages meanwhile.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const result = await this.one(job, caseId);
      if (await this.jobs.record(lease, index, result)) counted[result.ok ? 'done' : 'failed'] += 1;
    }
    await this.jobs.complete(lease, this.now().toISOString());
    return counted;
  }

  /** The case's history event this job wrote, if any. */
  private async applied(jobId: string, caseId: string): Promise<CaseEvent | undefined> {
    return (await this.store.history(caseId)).find((event) => event.bulkJobId === jobId);
  }

  private async one(job: BulkJob, caseId: string): Promise<BulkItem> {
    try {
      const current = await this.store.get(caseId);
      if (!current) return { caseId, ok: false, message: 'the case no longer exists' };
      // Read after the case: an advancer that applied this job's action before (a crashed, slow or
      // concurrent one) left its event, or saves after this read and makes our save conflict.
      const before = await this.applied(job.jobId, caseId);
      if (before) return okItem(caseId, before);
      const { next, event } = applyCaseAction(current, job.action, job.actor, this.now().toISOString(), current.version);
      const tagged: CaseEvent = { ...event, bulkJobId: job.jobId };
      try {
        await this.store.save(next, tagged);
      } catch (error) {
        // Lost the save: if it was to another advancer of this job, the case took the action once.
        const won = error instanceof CaseVersionConflict ? await this.applied(job.jobId, caseId) : undefined;
        if (won) return okItem(caseId, won);
        throw error;
      }
      return okItem(caseId, tagged);
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
