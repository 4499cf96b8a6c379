/**
 * The outward-event publisher on AWS (NOTIFY-1): one PutEvents entry on the event bus per event,
 * `Source` = the publishing side (`ledgerline.reconciliation` / `ledgerline.workbench`),
 * `DetailType` = the event type, `Detail` = the whole event (its id included, so the notifier's
 * delivery ids are the same however often it is published). A failed entry rejects the call: the
 * caller retries (the event is the same).
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { OutwardEvent, OutwardEventPublisher } from '../../notify/outward';
import { TransientStoreError } from '../../ports';
import { awsCall } from './errors';

export const OUTWARD_SOURCES: Readonly<Record<OutwardEvent['type'], string>> = Object.freeze({
  'reconciliation.completed': 'ledgerline.reconciliation',
  'workbench.write-off-approved': 'ledgerline.workbench',
});

export class EventBridgeOutwardPublisher implements OutwardEventPublisher {
  constructor(private readonly options: { client: EventBridgeClient; busName: string }) {}

  async publish(event: OutwardEvent): Promise<void> {
    const { client, busName } = this.options;
    const output = await awsCall('EventBridge PutEvents', () =>
      client.send(new PutEventsCommand({ Entries: [{ EventBusName: busName, Source: OUTWARD_SOURCES[event.type], DetailType: event.type, Detail: JSON.stringify(event) }] })),
    );
    const entry = output.Entries?.[0];
    if (output.FailedEntryCount || !entry?.EventId) {
      throw new TransientStoreError(`EventBridge PutEvents: ${event.type} ${event.id} was not accepted (${entry?.ErrorCode ?? 'no result'} ${entry?.ErrorMessage ?? ''})`.trim());
    }
  }
}
