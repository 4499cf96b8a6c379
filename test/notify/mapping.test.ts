/**
 * The event → notification mapping is one definition (src/notify/mapping.ts) that agrees with the
 * catalogue and the templates: every routed purpose has a template for every channel its audiences
 * use; every outward event either notifies exactly its route's purpose with every variable the
 * purpose declares, or nobody; delivery ids are deterministic and distinct per recipient.
 */
import * as fc from 'fast-check';
import { join } from 'node:path';
import { loadTemplates } from '../../src/adapters/embedded/notify-templates';
import type { LedgerEvent, RulesDecidedData } from '../../src/domain/events';
import { EventTypes } from '../../src/domain/events';
import { CHANNELS, variablesOf } from '../../src/notify/catalogue';
import type { NotifiableEvent } from '../../src/notify/mapping';
import { authorisationNeeded, deliveryIdFor, NOTIFICATION_ROUTES, NOTIFYING_EVENT_TYPES, notificationFor } from '../../src/notify/mapping';
import { renderTemplate } from '../../src/notify/render';
import { selectTemplate } from '../../src/notify/template';
import { OUTWARD_EVENT_TYPES } from '../../src/use-cases/replay/archive-pattern';
import { authorisation, enrichedData, envelope } from '../support/builders';

const templates = loadTemplates(join(__dirname, '..', '..', 'config', 'templates'), 'en');
const AUDIENCE_CHANNELS = { customer: ['email', 'sms', 'push'], partners: ['webhook'], operations: ['email'] } as const;

describe('the notification mapping', () => {
  it.each(NOTIFICATION_ROUTES.map((route) => [route.purpose, route] as const))('%s has a default-language template for every channel its audiences use', (_, route) => {
    for (const audience of route.audiences) {
      for (const channel of AUDIENCE_CHANNELS[audience]) {
        expect(() => selectTemplate(templates, { purpose: route.purpose, channel, language: 'en' }, 'en')).not.toThrow();
      }
    }
  });

  it('covers the outward events that concern anyone, and only events the mapping routes', () => {
    for (const type of OUTWARD_EVENT_TYPES) if (type !== EventTypes.duplicateParked) expect(NOTIFYING_EVENT_TYPES).toContain(type);
    expect(NOTIFYING_EVENT_TYPES).not.toContain(EventTypes.duplicateParked);
    expect(new Set(NOTIFICATION_ROUTES.map((route) => route.purpose)).size).toBe(NOTIFICATION_ROUTES.length);
  });

  const outcomeArb = fc.constantFrom('approve', 'decline', 'review') as fc.Arbitrary<RulesDecidedData['decision']['outcome']>;
  const eventArb: fc.Arbitrary<{ event: NotifiableEvent; expected: string | undefined }> = fc.oneof(
    fc.tuple(outcomeArb, fc.stringMatching(/^[A-Z0-9-]{4,20}$/)).map(([outcome, id]) => ({
      event: envelope(
        'payment.rules-decided',
        { ...enrichedData({ authorisation: { authorizationId: id } }), decision: { outcome, firedRules: [], ruleSetId: 'r', ruleSetVersion: '1', velocityCount: 1 } },
        id,
      ),
      expected: outcome === 'approve' ? undefined : outcome === 'decline' ? 'payment.declined' : 'payment.held-for-review',
    })),
    fc
      .stringMatching(/^[A-Z0-9-]{4,20}$/)
      .map((id) => ({ event: envelope('posting.completed', { sequenceId: `S-${id}`, authorizationId: id, legCount: 2, postingRecordId: `R-${id}` }, id), expected: 'payment.posted' })),
    fc
      .stringMatching(/^[A-Z0-9-]{4,20}$/)
      .map((id) => ({ event: envelope('payment.rejected', { authorisation: authorisation({ authorizationId: id }), reason: 'UNKNOWN_CARD', detail: 'x' }, id), expected: 'payment.rejected' })),
    fc
      .stringMatching(/^[A-Z0-9-]{4,20}$/)
      .map((id) => ({ event: envelope('posting.failed', { authorizationId: id, stage: 'posting', reason: 'timeout', attempts: 3 }, id), expected: 'payment.failed' })),
    fc.stringMatching(/^[A-Z0-9-]{4,20}$/).map((id) => ({
      event: envelope(
        'payment.duplicate-parked',
        { authorisation: authorisation({ authorizationId: id }), businessKey: 'k', reason: 'DUPLICATE_BUSINESS_KEY', originalEventId: 'e', originalAuthorizationId: 'o' },
        id,
      ),
      expected: undefined,
    })),
    fc.record({ runId: fc.uuid(), matched: fc.nat(), exceptions: fc.nat() }).map(({ runId, matched, exceptions }) => ({
      event: {
        id: `recon-${runId}`,
        type: 'reconciliation.completed' as const,
        occurredAt: '2026-12-06T10:00:00Z',
        correlationId: runId,
        data: { runId, accountId: 'GB33BUKB20201555555555', statementDate: '2026-12-05T00:00:00Z', matched, exceptions, unmatchedTotal: { value: '-12.30', currency: 'GBP' } },
      },
      expected: 'reconciliation.summary',
    })),
    fc.uuid().map((caseId) => ({
      event: {
        id: `wo-${caseId}`,
        type: 'workbench.write-off-approved' as const,
        occurredAt: '2026-12-06T10:00:00Z',
        correlationId: caseId,
        data: { caseId, amount: { value: '0.01', currency: 'EUR' }, approvedBy: 'checker@bank' },
      },
      expected: 'write-off.approved',
    })),
  );

  it('property: an event notifies exactly its route’s purpose, with every variable the purpose declares, renderable on every channel of its audiences', () => {
    fc.assert(
      fc.property(eventArb, ({ event, expected }) => {
        const needed = authorisationNeeded(event);
        const intent = notificationFor(event, needed ? authorisation({ authorizationId: needed }) : undefined);
        expect(intent?.purpose).toBe(expected);
        if (!intent) return;
        const withName = { customerName: 'Ada', ...intent.variables };
        for (const name of Object.keys(variablesOf(intent.purpose))) expect(withName[name as keyof typeof withName]).toBeDefined();
        for (const audience of intent.audiences) {
          for (const channel of AUDIENCE_CHANNELS[audience]) {
            const template = selectTemplate(templates, { purpose: intent.purpose, channel, language: 'de', region: 'AT' }, 'en');
            expect(renderTemplate(template, withName, { region: 'AT' }).text.length).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a completed posting needs its authorisation, and says so when it is missing', () => {
    const event = envelope('posting.completed', { sequenceId: 'S', authorizationId: 'AUTH-9', legCount: 2, postingRecordId: 'R' }, 'AUTH-9') as LedgerEvent;
    expect(authorisationNeeded(event)).toBe('AUTH-9');
    expect(() => notificationFor(event)).toThrow(/the authorisation AUTH-9 is needed/);
  });

  it('property: delivery ids are deterministic, and differ when the event, purpose, channel or recipient differs', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.uuid(), fc.constantFrom(...CHANNELS), fc.constantFrom(...CHANNELS), fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (e1, e2, c1, c2, r1, r2) => {
        expect(deliveryIdFor(e1, 'payment.posted', c1, r1)).toBe(deliveryIdFor(e1, 'payment.posted', c1, r1));
        const same = e1 === e2 && c1 === c2 && r1 === r2;
        expect(deliveryIdFor(e1, 'payment.posted', c1, r1) === deliveryIdFor(e2, 'payment.posted', c2, r2)).toBe(same);
        expect(deliveryIdFor(e1, 'payment.posted', c1, r1)).not.toBe(deliveryIdFor(e1, 'payment.declined', c1, r1));
      }),
    );
  });
});
