/**
 * Asserts that `promise` rejects with an error. Not `rejects.toThrow()`: better-sqlite3 builds its
 * SqliteError from the constructor of the first module context that loaded the native addon, so in
 * a jest worker's second test file it is not an Error of this realm and toThrow reports "did not throw".
 */
export async function expectFailure(promise: Promise<unknown>): Promise<void> {
  const outcome = await promise.then(
    () => ({ rejected: false as const }),
    (reason: unknown) => ({ rejected: true as const, reason }),
  );
  expect(outcome.rejected).toBe(true);
  const reason = (outcome as { reason?: { message?: unknown } }).reason;
  expect(typeof reason?.message).toBe('string');
}
