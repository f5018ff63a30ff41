// The injected clock: every store, limiter and token check reads time through it, so tests can set it.

export interface Clock {
  now(): number; // ms since epoch
}

export const systemClock: Clock = { now: () => Date.now() };
