/** A module with module-level state, for test/support/code-cache-runtime.test.ts. */
export const state = { loads: 0 };
state.loads += 1;
export const identity = Symbol('this evaluation');
export const double = (n: number): number => n * 2;
