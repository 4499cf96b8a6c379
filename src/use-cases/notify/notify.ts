/**
 * The notifier (NOTIFY-1/2, HOOK-2): one outward event → its notifications, each rendered from
 * its template, recorded as a delivery under a deterministic id, then attempted.
 *
 * Idempotent: the delivery id derives from the event, the purpose, the channel and the recipient
 * (src/notify/mapping.ts), and a delivery is created once; seeing the event again (a re-delivery,
 * a replay, a restart after a crash) creates nothing new, re-attempts only a delivery left RUNNING
 * by a killed process, and leaves delivered, parked and dead-lettered ones to their state.
 *
 * Nothing is dropped silently: a delivery that cannot be rendered (no template, a bad variable, a
 * card number in the output) is recorded FAILED with the reason, like one whose retries ran out.
 */
import type { Authorisation } from '../../domain/events';
import type { Channel } from '../../notify/catalogue';
import type { NotifiableEvent, NotificationIntent } from '../../notify/mapping';
import { authorisationNeeded, deliveryIdFor, notificationFor } from '../../notify/mapping';
import type { RenderContext } from '../../notify/render';
import { renderTemplate, webhookData } from '../../notify/render';
import type { Template } from '../../notify/template';
import { selectTemplate } from '../../notify/template';
import type { CustomerContact, DeliveryState, PaymentFacts, RecipientDirectory, TemplateStore } from '../../ports/notify';
import type { DeliverDeps } from '../deliver-webhook/deliver';
import { attemptDelivery } from '../deliver-webhook/deliver';

export interface NotifyDeps extends DeliverDeps {
  templates: TemplateStore;
  recipients: RecipientDirectory;
  payments: PaymentFacts;
  /** The end of every fallback chain (NOTIFY-1). */
  defaultLanguage: string;
}

export interface DeliverySummary {
  deliveryId: string;
  channel: Channel;
  recipient: string;
  status: DeliveryState['status'] | 'CONTENDED';
  /** Created by this call (false: it existed, from an earlier sight of the event). */
  created: boolean;
  lastError?: string;
}

export interface NotifyResult {
  eventId: string;
  purpose?: string;
  deliveries: DeliverySummary[];
  /** Audiences with nobody to tell (no contact record, no subscription): named, not an error. */
  unaddressed: string[];
}

/** The webhook body: what a partner receives (no card number: card as last4 of its token). */
export interface WebhookBody {
  id: string;
  type: string;
  createdAt: string;
  event: { id: string; type: string; occurredAt: string };
  summary: string;
  data: Record<string, unknown>;
}

interface Planned {
  deliveryId: string;
  channel: Channel;
  recipient: string;
  destination: string;
  render: () => { payload: string; templateId: string; templateVersion: number };
}

function planMessages(intent: NotificationIntent, contact: CustomerContact, channels: readonly Exclude<Channel, 'webhook'>[], templates: readonly Template[], deps: NotifyDeps): Planned[] {
  const planned: Planned[] = [];
  for (const channel of channels) {
    const destination = channel === 'email' ? contact.email : channel === 'sms' ? contact.phone : contact.pushTarget;
    if (!destination) continue;
    const context: RenderContext = { ...(contact.region ? { region: contact.region } : {}), ...(contact.timeZone ? { timeZone: contact.timeZone } : {}) };
    planned.push({
      deliveryId: deliveryIdFor(intent.eventId, intent.purpose, channel, contact.recipientId),
      channel,
      recipient: contact.recipientId,
      destination,
      render: () => {
        const template = selectTemplate(templates, { purpose: intent.purpose, channel, language: contact.language, ...(contact.region ? { region: contact.region } : {}) }, deps.defaultLanguage);
        const variables = intent.variables.customerName === undefined ? { ...intent.variables, customerName: contact.name } : intent.variables;
        const rendered = renderTemplate(template, variables, context);
        const parts = { ...(rendered.subject !== undefined ? { subject: rendered.subject } : {}), text: rendered.text, ...(rendered.html !== undefined ? { html: rendered.html } : {}) };
        return { payload: JSON.stringify(parts), templateId: rendered.templateId, templateVersion: rendered.templateVersion };
      },
    });
  }
  return planned;
}

async function plan(intent: NotificationIntent, deps: NotifyDeps, unaddressed: string[]): Promise<Planned[]> {
  const templates = await deps.templates.all();
  const planned: Planned[] = [];
  for (const audience of intent.audiences) {
    if (audience === 'customer') {
      const contact = intent.customer ? await deps.recipients.customer(intent.customer) : undefined;
      if (!contact) unaddressed.push('customer: no contact record');
      else planned.push(...planMessages(intent, contact, contact.channels, templates, deps));
    } else if (audience === 'operations') {
      const contacts = await deps.recipients.operations();
      if (contacts.length === 0) unaddressed.push('operations: no recipient configured');
      for (const contact of contacts) planned.push(...planMessages(intent, contact, ['email'], templates, deps));
    } else {
      const subscriptions = (await deps.subscriptions.subscriptionsFor(intent.purpose)).filter((subscription) => subscription.enabled);
      if (subscriptions.length === 0) unaddressed.push(`partners: no subscription to ${intent.purpose}`);
      for (const subscription of subscriptions) {
        const deliveryId = deliveryIdFor(intent.eventId, intent.purpose, 'webhook', subscription.id);
        planned.push({
          deliveryId,
          channel: 'webhook',
          recipient: subscription.id,
          destination: subscription.url,
          render: () => {
            const template = selectTemplate(templates, { purpose: intent.purpose, channel: 'webhook', language: deps.defaultLanguage }, deps.defaultLanguage);
            const rendered = renderTemplate(template, intent.variables);
            const body: WebhookBody = {
              id: deliveryId,
              type: intent.purpose,
              createdAt: intent.occurredAt,
              event: { id: intent.eventId, type: intent.eventType, occurredAt: intent.occurredAt },
              summary: rendered.text,
              data: webhookData(intent.purpose, intent.variables),
            };
            return { payload: JSON.stringify(body), templateId: rendered.templateId, templateVersion: rendered.templateVersion };
          },
        });
      }
    }
  }
  return planned;
}

function errorText(error: unknown): string {
  return (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 1000);
}

/** Notifies for one event: renders, records and attempts every delivery it causes. */
export async function notifyEvent(deps: NotifyDeps, event: NotifiableEvent): Promise<NotifyResult> {
  const needed = authorisationNeeded(event);
  let authorisation: Authorisation | undefined;
  if (needed) {
    authorisation = await deps.payments.authorisation(needed);
    if (!authorisation) throw new Error(`event ${event.id} (${event.type}): authorisation ${needed} not found; it will be retried`);
  }
  const intent = notificationFor(event, authorisation);
  if (!intent) return { eventId: event.id, deliveries: [], unaddressed: [] };
  const unaddressed: string[] = [];
  const deliveries: DeliverySummary[] = [];
  for (const planned of await plan(intent, deps, unaddressed)) {
    const now = deps.clock.now().toISOString();
    let existing = await deps.deliveries.get(planned.deliveryId);
    let created = false;
    if (!existing) {
      let rendered: ReturnType<Planned['render']> | undefined;
      let failure: string | undefined;
      try {
        rendered = planned.render();
      } catch (error) {
        failure = `not rendered: ${errorText(error)}`;
      }
      created = await deps.deliveries.create({
        deliveryId: planned.deliveryId,
        eventId: intent.eventId,
        eventType: intent.eventType,
        purpose: intent.purpose,
        channel: planned.channel,
        recipient: planned.recipient,
        destination: planned.destination,
        status: failure ? 'FAILED' : 'RUNNING',
        attempts: 0,
        payload: rendered?.payload ?? '',
        ...(rendered ? { templateId: rendered.templateId, templateVersion: rendered.templateVersion } : {}),
        ...(failure ? { lastError: failure } : {}),
        createdAt: now,
        updatedAt: now,
      });
      existing = await deps.deliveries.get(planned.deliveryId);
    }
    if (!existing) throw new Error(`delivery ${planned.deliveryId} vanished after its creation`);
    let state: DeliveryState | undefined = existing;
    let contended = false;
    // New, or left RUNNING by a process that died mid-attempt: attempt now. RETRYING is the sweeper's.
    if (existing.status === 'RUNNING') {
      const outcome = await attemptDelivery(deps, existing, { inline: true, by: () => 'inline' });
      if (outcome.kind === 'contended') contended = true;
      else state = outcome.state;
    }
    deliveries.push({
      deliveryId: planned.deliveryId,
      channel: planned.channel,
      recipient: planned.recipient,
      status: contended ? 'CONTENDED' : state.status,
      created,
      ...(state.lastError ? { lastError: state.lastError } : {}),
    });
  }
  return { eventId: event.id, purpose: intent.purpose, deliveries, unaddressed };
}
