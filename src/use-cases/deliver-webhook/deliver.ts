/**
 * One delivery's attempts (HOOK-2, NOTIFY-2): a webhook to a partner or a message to a person.
 *
 * Each attempt is claimed in the delivery state first (RUNNING, attempts + 1, an optimistic write
 * on the version: of two processes re-driving one delivery only one wins) and in the delivery log
 * (attempt n is started once: its name is used), then sent, then its outcome logged and the state
 * moved on by the policy (src/notify/delivery-policy.ts): COMPLETED; another try in line after a
 * jittered backoff; RETRYING with a due time, for the sweeper (./sweep.ts); or FAILED with the
 * reason: the dead letter, kept and listed, never dropped.
 *
 * A process killed between the send and the log leaves the delivery RUNNING with the attempt
 * started but not finished: the next pass (the notifier seeing the event again, or the sweeper
 * finding it RUNNING past the stale threshold) makes the next attempt. So delivery is
 * at-least-once; the receiver drops a repeat by the Ledgerline-Delivery-Id header (the
 * deterministic delivery id), which makes it effectively once.
 */
import type { AttemptOutcome, DeliveryPolicy, RandomSource } from '../../notify/delivery-policy';
import { nextStep } from '../../notify/delivery-policy';
import { DELIVERY_ID_HEADER, EVENT_TYPE_HEADER, signWebhook } from '../../notify/signing';
import type { Clock } from '../../ports';
import type { DeliveryAttempt, DeliveryState, DeliveryStore, MessageSenders, OutboundMessage, SigningKeyStore, SubscriptionRegistry, WebhookTransport } from '../../ports/notify';
import { PermanentSendError, VersionConflictError } from '../../ports/notify';

export { PermanentSendError };

export interface DeliverDeps {
  deliveries: DeliveryStore;
  subscriptions: SubscriptionRegistry;
  keys: SigningKeyStore;
  transport: WebhookTransport;
  senders: MessageSenders;
  clock: Clock;
  random: RandomSource;
  policy: DeliveryPolicy;
  /** Waits between in-line attempts. */
  sleep: (ms: number) => Promise<void>;
}

export type DeliverResult =
  | { kind: 'settled'; state: DeliveryState }
  /** Another process holds the delivery (its version moved, or this attempt number was started): this one starts nothing. */
  | { kind: 'contended'; deliveryId: string };

function errorText(error: unknown): string {
  return (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 500);
}

/** The user agent of every webhook request. */
export const WEBHOOK_USER_AGENT = 'Ledgerline-Webhooks/1';

async function send(deps: DeliverDeps, state: DeliveryState): Promise<AttemptOutcome> {
  if (state.channel === 'webhook') {
    const subscription = await deps.subscriptions.get(state.recipient);
    if (!subscription) return { kind: 'refused', reason: `subscription ${state.recipient} no longer exists`, status: 0 };
    let keys;
    try {
      keys = await deps.keys.keys(subscription.keyIds);
    } catch (error) {
      return { kind: 'retryable', reason: `signing keys of ${subscription.id}: ${errorText(error)}` };
    }
    const timestamp = Math.floor(deps.clock.now().getTime() / 1000);
    const headers = {
      'Content-Type': 'application/json',
      'User-Agent': WEBHOOK_USER_AGENT,
      [DELIVERY_ID_HEADER]: state.deliveryId,
      [EVENT_TYPE_HEADER]: state.purpose,
      ...signWebhook(state.payload, timestamp, keys),
    };
    return deps.transport.post({ url: subscription.url, body: state.payload, headers, timeoutMs: deps.policy.timeoutMs });
  }
  const sender = deps.senders[state.channel];
  if (!sender) return { kind: 'refused', reason: `no sender for channel ${state.channel}`, status: 0 };
  const parts = JSON.parse(state.payload) as Pick<OutboundMessage, 'subject' | 'text' | 'html'>;
  try {
    await sender.send({
      deliveryId: state.deliveryId,
      channel: state.channel,
      to: state.destination,
      ...parts,
      templateId: state.templateId ?? '',
      templateVersion: state.templateVersion ?? 0,
    });
    return { kind: 'delivered', status: 200 };
  } catch (error) {
    if (error instanceof PermanentSendError) return { kind: 'refused', reason: errorText(error), status: 0 };
    return { kind: 'retryable', reason: errorText(error) };
  }
}

/**
 * Attempts `state` (as read: its version guards the claim) until it is settled for now:
 * delivered, parked for the sweeper, or dead-lettered. `inline` allows in-line retries (the
 * notifier); the sweeper makes one attempt per due re-drive. `by` names who attempts.
 */
export async function attemptDelivery(deps: DeliverDeps, initial: DeliveryState, options: { inline: boolean; by: (attempt: number) => string }): Promise<DeliverResult> {
  let state = initial;
  for (;;) {
    const now = deps.clock.now();
    const attempt = state.attempts + 1;
    let claimed: DeliveryState;
    try {
      claimed = await deps.deliveries.put(
        { ...state, status: 'RUNNING', attempts: attempt, firstAttemptAt: state.firstAttemptAt ?? now.toISOString(), dueAt: undefined, updatedAt: now.toISOString() },
        state.version,
      );
    } catch (error) {
      if (error instanceof VersionConflictError) return { kind: 'contended', deliveryId: state.deliveryId };
      throw error;
    }
    const record: DeliveryAttempt = { deliveryId: state.deliveryId, attempt, by: options.by(attempt), startedAt: now.toISOString() };
    if (!(await deps.deliveries.startAttempt(record))) return { kind: 'contended', deliveryId: state.deliveryId };
    const outcome = await send(deps, claimed);
    const finished = deps.clock.now();
    await deps.deliveries.finishAttempt({
      ...record,
      finishedAt: finished.toISOString(),
      outcome: outcome.kind,
      ...(outcome.kind !== 'retryable' || outcome.status !== undefined ? { status: outcome.status } : {}),
      ...(outcome.kind === 'delivered' ? {} : { reason: outcome.reason.slice(0, 500) }),
    });
    const step = nextStep({
      attempt,
      outcome,
      firstAttemptAt: new Date(claimed.firstAttemptAt!),
      now: finished,
      inline: options.inline,
      policy: deps.policy,
      random: deps.random,
    });
    const base = { ...claimed, updatedAt: finished.toISOString() };
    const settle = async (next: DeliveryState): Promise<DeliverResult> => {
      try {
        return { kind: 'settled', state: await deps.deliveries.put(next, claimed.version) };
      } catch (error) {
        // Another process took the delivery over meanwhile (it found it stale): its outcome stands.
        if (error instanceof VersionConflictError) return { kind: 'contended', deliveryId: state.deliveryId };
        throw error;
      }
    };
    const lastError = outcome.kind === 'delivered' ? undefined : outcome.reason.slice(0, 500);
    switch (step.kind) {
      case 'done':
        return settle({ ...base, status: 'COMPLETED', lastError: undefined });
      case 'dead-letter':
        return settle({ ...base, status: 'FAILED', lastError: step.reason.slice(0, 1000) });
      case 'park':
        return settle({ ...base, status: 'RETRYING', dueAt: step.dueAt, lastError });
      case 'retry-inline': {
        // Parked with its due time before the wait: a process killed while it waits loses nothing.
        const parked = await settle({ ...base, status: 'RETRYING', dueAt: new Date(finished.getTime() + step.delayMs).toISOString(), lastError });
        if (parked.kind === 'contended') return parked;
        await deps.sleep(step.delayMs);
        // The sweeper may have re-driven it meanwhile: go on only from what is stored now.
        const current = await deps.deliveries.get(state.deliveryId);
        if (!current || current.version !== parked.state.version) return { kind: 'contended', deliveryId: state.deliveryId };
        state = current;
        continue;
      }
    }
  }
}
