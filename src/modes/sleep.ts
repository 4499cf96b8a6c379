/** Waits `ms`, or less when `signal` aborts (a watch stopping on SIGINT wakes at once). */
export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolveSleep) => {
    if (signal?.aborted) return resolveSleep();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolveSleep();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
