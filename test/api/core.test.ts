/**
 * The pure pieces of the API core, by property: the token bucket (never more than burst + rate ×
 * time, Retry-After honest), the request fingerprint (the same for every spelling of one body,
 * different for different bodies), the route table's matching, and findPan paths as pointers.
 */
import fc from 'fast-check';
import { canonicalJson, requestFingerprint } from '../../src/api/idempotency';
import { pointerOf } from '../../src/api/input';
import { TokenBucketLimiter } from '../../src/api/rate-limit';
import { API_ROUTES, matchRoute } from '../../src/api/routes';
import { findPan } from '../../src/domain/pan';

describe('token bucket', () => {
  it('allows at most burst + perSecond × elapsed in any run of requests; a refusal says when to retry', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 50 }), fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 200 }), (burst, perSecond, gaps) => {
        const limiter = new TokenBucketLimiter(() => ({ burst, perSecond }));
        let now = 1_000_000;
        let allowed = 0;
        for (const gap of gaps) {
          now += gap;
          const decision = limiter.take('c', now);
          if (decision.allowed) allowed += 1;
          else expect(decision.retryAfterSeconds).toBeGreaterThanOrEqual(1);
        }
        const elapsedSeconds = (now - 1_000_000) / 1000;
        expect(allowed).toBeLessThanOrEqual(burst + Math.floor(perSecond * elapsedSeconds) + 1);
      }),
    );
  });

  it('Retry-After is enough: waiting it out always gets a token', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 10 }), (burst, perSecond) => {
        const limiter = new TokenBucketLimiter(() => ({ burst, perSecond }));
        for (let i = 0; i < burst; i += 1) expect(limiter.take('c', 0).allowed).toBe(true);
        const refused = limiter.take('c', 0);
        expect(refused.allowed).toBe(false);
        if (!refused.allowed) expect(limiter.take('c', refused.retryAfterSeconds * 1000).allowed).toBe(true);
      }),
    );
  });

  it('clients do not share buckets', () => {
    const limiter = new TokenBucketLimiter(() => ({ burst: 1, perSecond: 1 }));
    expect(limiter.take('a', 0).allowed).toBe(true);
    expect(limiter.take('a', 0).allowed).toBe(false);
    expect(limiter.take('b', 0).allowed).toBe(true);
  });
});

describe('request fingerprint', () => {
  const json = fc.jsonValue({ maxDepth: 4 });
  it('is the same for every member order and spacing of one body', () => {
    fc.assert(
      fc.property(json, (value) => {
        const shuffled = JSON.parse(JSON.stringify(value, (_key, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v), 2)) as unknown;
        expect(requestFingerprint('POST', '/v1/authorisations', shuffled)).toBe(requestFingerprint('POST', '/v1/authorisations', value));
      }),
    );
  });
  it('differs for different bodies', () => {
    fc.assert(
      fc.property(json, json, (a, b) => {
        fc.pre(canonicalJson(a) !== canonicalJson(b));
        expect(requestFingerprint('POST', '/p', a)).not.toBe(requestFingerprint('POST', '/p', b));
      }),
    );
  });
});

describe('route matching', () => {
  it('matches every route with any valid id, refuses other methods with the allowed ones, and unknown paths', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9._:-]{1,40}$/), (id) => {
        for (const route of API_ROUTES) {
          const path = route.path.replace(/\{[^}]+\}/g, encodeURIComponent(id));
          const match = matchRoute(route.method, path);
          expect(match.kind).toBe('matched');
          if (match.kind === 'matched') {
            expect(match.route).toBe(route);
            for (const parameter of route.pathParameters) expect(match.params[parameter.name]).toBe(id);
          }
          expect(matchRoute(route.method === 'GET' ? 'DELETE' : 'GET', path)).toEqual({ kind: 'wrong-method', allowed: [route.method] });
          expect(matchRoute(route.method, `${path}/extra`).kind).toBe('none');
        }
      }),
    );
  });
});

describe('card-number paths as JSON pointers', () => {
  it('points at the field findPan names, for generated nesting', () => {
    const segment = fc.oneof(fc.stringMatching(/^[a-z]{1,8}$/), fc.nat(5));
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), (segments) => {
        let value: unknown = 'card 4111111111111111';
        for (const part of [...segments].reverse()) {
          if (typeof part === 'number') {
            const array: unknown[] = Array.from({ length: part + 1 }, () => 'x');
            array[part] = value;
            value = array;
          } else value = { [part]: value };
        }
        const pointer = pointerOf(findPan(value)!);
        expect(pointer).toBe(`/${segments.join('/')}`);
      }),
    );
  });
});
