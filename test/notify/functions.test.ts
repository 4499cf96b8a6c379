/**
 * The Lambda handlers over the same use cases: notify (SQS of outward events, partial batch
 * failure) and webhook-sweeper (scheduled). Wired here to the embedded adapters and a loopback
 * receiver; the AWS adapters are held to the same contracts (test/notify/contracts).
 */
import { createNotifyHandler } from '../../functions/notify/notify';
import { readNotifyConfig } from '../../functions/notify/config';
import { createWebhookSweeperHandler } from '../../functions/webhook-sweeper/webhook-sweeper';
import type { LedgerEvent, RulesDecidedData } from '../../src/domain/events';
import { enrichedData, envelope, lambdaContext, sqsEvent } from '../support/builders';
import { harness } from './support/harness';
import { WebhookReceiver } from './support/receiver';

const SECRET = 'whsec_functions_0123456789';

function decided(outcome: 'decline' | 'review' | 'approve', authorizationId: string): LedgerEvent {
  const data: RulesDecidedData = {
    ...enrichedData({ authorisation: { authorizationId } }),
    decision: { outcome, firedRules: ['R1'], ruleSetId: 'card-posting', ruleSetVersion: '1', velocityCount: 1 },
  };
  return envelope('payment.rules-decided', data, authorizationId);
}

describe('notify and webhook-sweeper handlers', () => {
  it('deliver a batch, fail only the record that could not be processed, and sweep what was parked', async () => {
    const h = harness();
    const receiver = new WebhookReceiver({ k1: SECRET }, () => h.clock.now().getTime());
    await receiver.start();
    try {
      await h.keys.put({ keyId: 'k1', secret: SECRET });
      await h.subscriptions.put({
        id: 's1',
        partner: 'p',
        url: receiver.url,
        purposes: ['payment.declined', 'payment.held-for-review'],
        keyIds: ['k1'],
        createdAt: '2026-12-01T00:00:00Z',
        enabled: true,
      });
      receiver.failNext(2, { kind: 'status', status: 503 });
      const unknownPosting = envelope('posting.completed', { sequenceId: 'S', authorizationId: 'AUTH-unknown', legCount: 2, postingRecordId: 'R' }, 'AUTH-unknown');
      const batch = sqsEvent([decided('decline', 'AUTH-A'), unknownPosting, decided('review', 'AUTH-B'), decided('approve', 'AUTH-C')]);
      const response = await createNotifyHandler(h.deps)(batch, lambdaContext);
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: batch.Records[1]!.messageId }]);
      // The decline met two 503s in line and waits for the sweeper; the review went through.
      expect(receiver.processed.size).toBe(1);
      const parked = await h.deliveries.listByStatus('RETRYING', 10);
      expect(parked).toHaveLength(1);
      const sweeper = createWebhookSweeperHandler(h.deps);
      expect(await sweeper({}, lambdaContext)).toMatchObject({ examined: 0 });
      h.clock.advance(Date.parse(parked[0]!.dueAt!) - h.clock.now().getTime());
      expect(await sweeper({}, lambdaContext)).toMatchObject({ examined: 1, delivered: 1 });
      expect(receiver.processed.size).toBe(2);
      // Re-delivered by SQS: nothing new.
      await createNotifyHandler(h.deps)(sqsEvent([decided('decline', 'AUTH-A')]), lambdaContext);
      expect(receiver.requests.filter((request) => request.valid)).toHaveLength(2);
    } finally {
      await receiver.stop();
    }
  });

  it('a record that is not an outward event is a poison record (failed), not a crash', async () => {
    const h = harness();
    const batch = sqsEvent([decided('decline', 'AUTH-A')]);
    batch.Records[0]!.body = '{"detail":{"type":"payment.authorised"}}';
    const response = await createNotifyHandler(h.deps)(batch, lambdaContext);
    expect(response.batchItemFailures).toHaveLength(1);
  });

  it('the configuration names each missing variable', () => {
    expect(() => readNotifyConfig({})).toThrow(/NOTIFICATIONS_TABLE is not set/);
    expect(() => readNotifyConfig({ NOTIFICATIONS_TABLE: 't', AUTHORISATIONS_TABLE: 'a', RULES_STATE_TABLE: 'r', NOTIFY_EMAIL_FROM: 'f' })).toThrow(/NOTIFY_SIGNING_KEY_PREFIX is not set/);
    expect(readNotifyConfig({ NOTIFICATIONS_TABLE: 't', AUTHORISATIONS_TABLE: 'a', RULES_STATE_TABLE: 'r', NOTIFY_EMAIL_FROM: 'f', NOTIFY_SIGNING_KEY_PREFIX: 'p/' })).toEqual({
      notificationsTable: 't',
      authorisationsTable: 'a',
      rulesStateTable: 'r',
      emailFrom: 'f',
      signingKeyPrefix: 'p/',
      defaultLanguage: 'en',
    });
  });
});
