/** The deterministic fault drop (FLOW-4): which events, how many, and the refused ratios. */
import fc from 'fast-check';
import { boundaryOf, checkDropRatio, dropsEventId, FaultDrop, parseDropRatio } from '../../src/runtime/fault-drop';
import { deterministicId, EventTypes, nextEvent } from '../../src/domain/events';
import type { LedgerEvent } from '../../src/domain/events';
import { EDGES } from '../../src/routes';

function event(type: string, id: string, data: unknown = {}): LedgerEvent {
  return { id, type, version: 1, occurredAt: '2026-11-01T00:00:00.000Z', correlationId: `c-${id}`, causationId: id, source: 'test', data } as unknown as LedgerEvent;
}

describe('fault drop', () => {
  it('drops the same events every time, and about the asked share of them', () => {
    const ids = Array.from({ length: 40_000 }, (_, i) => deterministicId('test', String(i)));
    for (const ratio of [0.01, 0.1, 0.5, 0.9]) {
      const first = ids.filter((id) => dropsEventId(id, ratio));
      expect(ids.filter((id) => dropsEventId(id, ratio))).toEqual(first);
      const expected = ids.length * ratio;
      expect(Math.abs(first.length - expected)).toBeLessThan(5 * Math.sqrt(expected) + 1);
    }
    expect(ids.some((id) => dropsEventId(id, 0))).toBe(false);
  });

  it('a larger share drops a superset (the threshold is monotonic)', () => {
    fc.assert(
      fc.property(fc.string(), fc.double({ min: 0, max: 0.999, noNaN: true }), fc.double({ min: 0, max: 0.999, noNaN: true }), (id, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        if (dropsEventId(id, low)) expect(dropsEventId(id, high)).toBe(true);
      }),
    );
  });

  it('crosses a boundary only on a hot-path edge: approvals feed posting, declines leave', () => {
    for (const edge of EDGES) {
      const type = edge.eventPattern['detail-type'][0]!;
      const data = type === EventTypes.rulesDecided ? { decision: { outcome: 'approve' } } : {};
      expect(boundaryOf(event(type, 'x', data))?.name).toBe(edge.name);
    }
    expect(boundaryOf(event(EventTypes.rulesDecided, 'x', { decision: { outcome: 'decline' } }))).toBeUndefined();
    for (const type of [EventTypes.postingCompleted, EventTypes.duplicateParked, EventTypes.rejected, EventTypes.postingFailed]) expect(boundaryOf(event(type, 'x'))).toBeUndefined();
  });

  it('counts drops per boundary, forgets a rolled-back wave’s, and keeps outward events', () => {
    const drop = new FaultDrop(0.5);
    const authorised = Array.from({ length: 400 }, (_, i) => event(EventTypes.authorised, deterministicId('a', String(i))));
    const completed = authorised.map((cause) => nextEvent(cause, EventTypes.postingCompleted, 'test', {} as never, cause.occurredAt));
    const kept = drop.keep([...authorised, ...completed]);
    const droppedIds = authorised.filter((e) => dropsEventId(e.id, 0.5)).map((e) => e.id);
    expect(kept.filter((e) => e.type === EventTypes.postingCompleted)).toHaveLength(completed.length);
    expect(kept.filter((e) => e.type === EventTypes.authorised).map((e) => e.id)).toEqual(authorised.map((e) => e.id).filter((id) => !droppedIds.includes(id)));
    expect(drop.take()['authorised-to-dedup']).toBe(droppedIds.length);
    expect(drop.take()['authorised-to-dedup']).toBe(0);
    drop.keep(authorised);
    drop.discard();
    expect(drop.take()['authorised-to-dedup']).toBe(0);
  });

  it('refuses ratios outside [0, 1), naming the option and the value', () => {
    for (const bad of [-0.0001, 1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, -Number.POSITIVE_INFINITY])
      expect(() => checkDropRatio(bad)).toThrow(`--fault-drop must be a share of events in [0, 1) (e.g. 0.01), got ${String(bad)}`);
    for (const bad of ['1', '1.0', '-0.5', 'abc', '', ' ', '1e-3', '0x1', '.', '0..1']) expect(() => parseDropRatio(bad)).toThrow(`got "${bad}"`);
    expect(parseDropRatio('0.25')).toBe(0.25);
    expect(parseDropRatio('.5')).toBe(0.5);
    expect(parseDropRatio('0')).toBe(0);
    expect(() => new FaultDrop(1)).toThrow(/\[0, 1\)/);
  });
});
