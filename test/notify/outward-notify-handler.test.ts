/**
 * NOTIFY-1, HOOK-2 on AWS: the notify Lambda (createNotifyHandler, in-memory deps) accepts the two
 * outward events of reconciliation and the workbench as the EventBridge publisher puts them on
 * the bus (src/adapters/aws/notify-outward.ts), delivers each once per recipient (a signed webhook
 * per subscription, an email per operations recipient), nothing new when SQS delivers them again,
 * and refuses every bad shape as a poison record naming the field, delivering nothing for it.
 */
import type { SQSEvent } from 'aws-lambda';
import fc from 'fast-check';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createNotifyHandler, NOTIFY_ACCEPTS } from '../../functions/notify/notify';
import { OUTWARD_SOURCES } from '../../src/adapters/aws/notify-outward';
import { NOTIFYING_EVENT_TYPES } from '../../src/notify/mapping';
import { reconciliationCompletedEvents, writeOffApprovedEvent, type OutwardEvent } from '../../src/notify/outward';
import { statementRowsOf } from '../../src/recon/statement-rows';
import type { StatementLine } from '../../src/recon/types';
import type { WebhookBody } from '../../src/use-cases/notify/notify';
import { validateEvent } from '../../schemas';
import { lambdaContext } from '../support/builders';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';
import { harness, StaticRecipients } from './support/harness';
import { WebhookReceiver } from './support/receiver';

const SECRET = 'whsec_outward_0123456789';
const AT = '2026-12-06T09:00:00.000Z';

function completed(): OutwardEvent {
  const lines = [
    { statementLineId: 'h:0:1', accountId: 'GB93LDGL67874444189555', currency: 'GBP', amount: '-12.34', bookingDate: '2026-12-05' },
    { statementLineId: 'h:0:2', accountId: 'GB93LDGL67874444189555', currency: 'GBP', amount: '7.50', bookingDate: '2026-12-04' },
  ] as unknown as StatementLine[];
  const result = {
    matches: [{ matchId: 'm1', ruleId: 'R', confidence: 1, status: 'confirmed' as const, statementLineIds: ['h:0:1'], ledgerEntryIds: ['SEQ-1:1'] }],
    unmatched: [{ side: 'statement' as const, id: 'h:0:2', reason: 'UNMATCHED' as const, ageDays: 1 }],
  };
  return reconciliationCompletedEvents({ runId: 'run-20261205-a1b2c3d4e5f6a7b8', asOf: '2026-12-05', statementLines: statementRowsOf(lines), result }, AT)[0]!;
}

const writeOff = (): OutwardEvent =>
  writeOffApprovedEvent({ caseId: 'exception:statement:h:0:2', adjustmentId: 'ADJ-1', amount: { value: '7.50', currency: 'GBP' }, approvedBy: 'anna@bank.example', note: 'bank charge', at: AT });

/** An SQS record as the notify queue receives it: the EventBridge event around the published event. */
function records(bodies: readonly unknown[]): SQSEvent {
  return {
    Records: bodies.map((detail, index) => ({
      messageId: `m-${index}`,
      receiptHandle: `r-${index}`,
      body: JSON.stringify({
        version: '0',
        id: `eb-${index}`,
        'detail-type': (detail as { type?: string }).type ?? 'unknown',
        source: OUTWARD_SOURCES[(detail as OutwardEvent).type] ?? 'ledgerline.unknown',
        detail,
      }),
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'test', ApproximateFirstReceiveTimestamp: '0' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-2:123456789012:notify',
      awsRegion: 'eu-west-2',
    })),
  };
}

describe('the notify Lambda and the outward events of reconciliation and the workbench', () => {
  it('accepts exactly the one list of notifying events', () => {
    expect([...NOTIFY_ACCEPTS].sort()).toEqual([...NOTIFYING_EVENT_TYPES].sort());
    expect(NOTIFY_ACCEPTS).toEqual(expect.arrayContaining(['reconciliation.completed', 'workbench.write-off-approved']));
  });

  it('delivers a reconciliation summary and an approved write-off once per recipient, signed; SQS delivering them again sends nothing', async () => {
    const operations = [
      { recipientId: 'ops-1', name: 'Ops', language: 'en', email: 'ops@bank.example', channels: ['email' as const] },
      { recipientId: 'ops-2', name: 'Ops Two', language: 'en', email: 'ops2@bank.example', channels: ['email' as const] },
    ];
    const h = harness({ recipients: new StaticRecipients([], operations) });
    const receiver = new WebhookReceiver({ k1: SECRET }, () => h.clock.now().getTime());
    await receiver.start();
    try {
      await h.keys.put({ keyId: 'k1', secret: SECRET });
      await h.subscriptions.put({ id: 's1', partner: 'p', url: receiver.url, purposes: ['reconciliation.summary', 'write-off.approved'], keyIds: ['k1'], createdAt: AT, enabled: true });
      const batch = records([completed(), writeOff()]);
      expect((await createNotifyHandler(h.deps)(batch, lambdaContext)).batchItemFailures).toEqual([]);
      const bodies = [...receiver.processed.values()].map((body) => JSON.parse(body) as WebhookBody);
      expect(bodies.map((body) => body.type).sort()).toEqual(['reconciliation.summary', 'write-off.approved']);
      expect(receiver.requests.every((request) => request.valid && !request.duplicate)).toBe(true);
      expect(JSON.stringify(bodies)).toContain('run-20261205-a1b2c3d4e5f6a7b8');
      expect(readdirSync(join(h.outboxDir, 'email'))).toHaveLength(2 * operations.length);

      expect((await createNotifyHandler(h.deps)(records([completed(), writeOff()]), lambdaContext)).batchItemFailures).toEqual([]);
      expect(receiver.requests).toHaveLength(2);
      expect(readdirSync(join(h.outboxDir, 'email'))).toHaveLength(2 * operations.length);
    } finally {
      await receiver.stop();
    }
  });

  /** Bad shapes: each a (label, mutation) of a valid event; the validator must name the fault. */
  const MUTATIONS: readonly [string, (event: Record<string, unknown>) => unknown, RegExp][] = [
    ['no id', ({ id: _, ...rest }) => rest, /missing required field "id"/],
    ['an id with a space', (e) => ({ ...e, id: 'a b' }), /\/id/],
    ['no data', ({ data: _, ...rest }) => rest, /missing required field "data"/],
    ['an unexpected envelope field', (e) => ({ ...e, extra: 1 }), /unexpected field "extra"/],
    ['a bad occurredAt', (e) => ({ ...e, occurredAt: 'yesterday' }), /\/occurredAt/],
    ['an unexpected data field', (e) => ({ ...e, data: { ...(e.data as object), pan: '4111111111111111' } }), /unexpected field "pan"/],
    ['an amount as a JSON number', (e) => withMoney(e, 7.5), /must be string|must be object/],
    ['an amount with a float spelling', (e) => withMoney(e, { value: '7.5e0', currency: 'GBP' }), /\/value/],
    ['a lower-case currency', (e) => withMoney(e, { value: '7.50', currency: 'gbp' }), /\/currency/],
    ['a negative amount', (e) => withMoney(e, { value: '-7.50', currency: 'GBP' }), /\/value/],
    ['another type', (e) => ({ ...e, type: 'payment.authorised' }), /expected|failed schema validation/],
    ['an unknown type', (e) => ({ ...e, type: 'reconciliation.started' }), /unknown event type/],
  ];

  function withMoney(event: Record<string, unknown>, money: unknown): unknown {
    const data = event.data as Record<string, unknown>;
    return { ...event, data: event.type === 'reconciliation.completed' ? { ...data, unmatchedTotal: money } : { ...data, amount: money } };
  }

  it('refuses every bad shape of either event, naming the fault, and delivers nothing for it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...MUTATIONS), fc.boolean(), async ([, mutate, fault], isWriteOff) => {
        const bad = mutate((isWriteOff ? writeOff() : completed()) as unknown as Record<string, unknown>);
        expect(() => validateEvent(bad, NOTIFY_ACCEPTS)).toThrow(fault);
        const h = harness({ recipients: new StaticRecipients([], [{ recipientId: 'ops-1', name: 'Ops', language: 'en', email: 'ops@bank.example', channels: ['email'] }]) });
        const response = await createNotifyHandler(h.deps)(records([bad, completed()]), lambdaContext);
        expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }]);
        // Only the good record was delivered (one operations email).
        expect(readdirSync(join(h.outboxDir, 'email'))).toHaveLength(1);
      }),
      { numRuns: fuzzRuns(MUTATIONS.length * 2), seed: fuzzSeed(7_303) },
    );
  });

  it('negative or fractional counts in a reconciliation summary are refused', () => {
    const event = completed() as unknown as { data: Record<string, unknown> };
    for (const [field, value] of [
      ['matched', -1],
      ['exceptions', 1.5],
      ['matched', '3'],
    ] as const) {
      expect(() => validateEvent({ ...event, data: { ...event.data, [field]: value } }, NOTIFY_ACCEPTS)).toThrow(new RegExp(`/data/${field}`));
    }
  });
});
