/** Time as the ops commands see it: injected so tests pace and poll without real waiting. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Spaces calls so that at most `perSecond` start in any second; no cap when undefined. */
export function createPacer(clock: Clock, perSecond: number | undefined): () => Promise<void> {
  if (perSecond === undefined) return () => Promise.resolve();
  const intervalMs = 1000 / perSecond;
  let nextAt = 0;
  return async () => {
    const now = clock.now();
    const startAt = Math.max(now, nextAt);
    if (startAt > now) await clock.sleep(startAt - now);
    nextAt = startAt + intervalMs;
  };
}
