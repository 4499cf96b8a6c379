/**
 * WB-BULK-1 on AWS: the schedule that keeps bulk jobs moving with no page open. One definition,
 * read by the app stack (the EventBridge Scheduler schedule and the input it sends) and by the
 * handler (which tells this event from an ALB request by its shape and how long it may work).
 */

/** How often the scheduled advance runs: a job started with no page open waits at most this long for its first chunk. */
export const BULK_ADVANCE_SCHEDULE = 'rate(1 minute)';

/** The input the schedule sends the workbench function (an ALB request always has an httpMethod and a path; this has neither). */
export const BULK_ADVANCE_EVENT = Object.freeze({ source: 'ledgerline.workbench', 'detail-type': 'Advance bulk jobs' });
export type BulkAdvanceEvent = typeof BULK_ADVANCE_EVENT;

/**
 * No chunk is started with less than this left before the function's timeout: a chunk (50 cases,
 * about four DynamoDB calls each) takes a few seconds; one cut off by the timeout waits out its
 * 60 s lease and is taken again by the next run.
 */
export const BULK_ADVANCE_RESERVE_MS = 10_000;

/** A run works at most this long whatever the timeout, so it ends before the next scheduled one starts. */
export const BULK_ADVANCE_MAX_RUN_MS = 45_000;

/** The scheduled advance's event, by shape: exactly the schedule's input. */
export function isBulkAdvanceEvent(event: unknown): event is BulkAdvanceEvent {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return false;
  const fields = event as Record<string, unknown>;
  return Object.keys(fields).length === 2 && fields.source === BULK_ADVANCE_EVENT.source && fields['detail-type'] === BULK_ADVANCE_EVENT['detail-type'];
}
