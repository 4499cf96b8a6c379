/**
 * The code-cache runtime (test/support/code-cache-runtime.js, jest.config's `runtime`) caches how a
 * module compiles, never the module: each registry evaluates it afresh (its own exports, its own
 * module-level state), as a cold Lambda container or a new test file must see it.
 */
type Fixture = typeof import('./code-cache-fixture');

function loadFresh(): Fixture {
  let loaded: Fixture | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('./code-cache-fixture') as Fixture;
  });
  return loaded!;
}

describe('the code-cache runtime', () => {
  it('evaluates a module again in every fresh registry (the later ones compiled from the cache): new exports, new module-level state', () => {
    const first = loadFresh();
    first.state.loads = 99;
    const second = loadFresh();
    const third = loadFresh();
    expect(second).not.toBe(first);
    expect(third).not.toBe(second);
    expect([second.state.loads, third.state.loads]).toEqual([1, 1]);
    expect(new Set([first.identity, second.identity, third.identity]).size).toBe(3);
    expect(third.double(21)).toBe(42);
  });
});
