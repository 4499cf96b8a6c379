import { authorisedEvent, classifyLine, isApproved } from '../../src/domain/ingest';
import { correlationIdFor, timeOfId, timeOrderedId } from '../../src/domain/events';
import { containsPan } from '../../src/domain/pan';
import { validateAuthorisation, validateEvent } from '../../schemas';
import { authorisation } from '../support/builders';

describe('ingest (FR1)', () => {
  const line = JSON.stringify(authorisation());

  it('accepts a valid authorisation and makes exactly one deterministic post-auth event', () => {
    const classified = classifyLine(line, validateAuthorisation);
    expect(classified.kind).toBe('valid');
    if (classified.kind !== 'valid') return;
    const a = authorisedEvent(classified.authorisation, '2026-11-01T10:00:00Z');
    const b = authorisedEvent(classified.authorisation, '2026-11-02T10:00:00Z');
    expect(a.id).toBe(b.id);
    expect(a.correlationId).toBe(correlationIdFor('AUTH-1', '2026-11-01T10:00:00.000Z'));
    // time-ordered (RFC 9562 v7 layout): its first 48 bits are the transmission time
    expect(timeOfId(a.correlationId)).toBe(Date.parse('2026-11-01T10:00:00.000Z'));
    expect(a.causationId).toBe('AUTH-1');
    validateEvent(a, 'payment.authorised');
  });

  it('only "00" is approved', () => {
    expect(isApproved(authorisation())).toBe(true);
    expect(isApproved(authorisation({ responseCode: '05' }))).toBe(false);
  });

  it.each([
    ['not JSON', '{"authorizationId":', /^not JSON/],
    ['a float amount', JSON.stringify({ ...authorisation(), amount: { value: 25.5, currency: 'GBP' } }), /\/amount\/value: must be string/],
    ['wrong precision', JSON.stringify({ ...authorisation(), amount: { value: '1.5', currency: 'JPY' } }), /JPY allows 0/],
    ['an unknown currency', JSON.stringify({ ...authorisation(), amount: { value: '1.00', currency: 'XYZ' } }), /unknown ISO 4217 currency "XYZ"/],
    ['an extra field', JSON.stringify({ ...authorisation(), cvv: '123' }), /unexpected field "cvv"/],
    ['a PAN in a field', JSON.stringify({ ...authorisation(), terminalId: '5555555555554444' }), /PAN-like/],
  ])('rejects %s with a reason naming the fault', (_name, input, reason) => {
    const classified = classifyLine(input, validateAuthorisation);
    expect(classified.kind).toBe('invalid');
    if (classified.kind === 'invalid') {
      expect(classified.reason).toMatch(reason);
      expect(classified.redactedLine).not.toContain('5555555555554444');
    }
  });
});

describe('time-ordered ids', () => {
  it('sort by time, are deterministic, and never look like a PAN', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => timeOrderedId(1_800_000_000_000 + i * 7, 'x', String(i)));
    expect([...ids].sort()).toEqual(ids);
    expect(timeOrderedId(1_800_000_000_000, 'x', '1')).toBe(timeOrderedId(1_800_000_000_000, 'x', '1'));
    expect(ids.every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id) && !containsPan(id))).toBe(true);
    expect(timeOfId(ids[3]!)).toBe(1_800_000_000_021);
    expect(timeOfId('decb6e32-61a6-5cb0-80e6-80bbe4234de8')).toBeUndefined();
  });
});
