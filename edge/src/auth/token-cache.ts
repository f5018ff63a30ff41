// Verified customer tokens, remembered so a client that sends the same bearer token on every request pays
// for one signature check per token, not per request (jose's WebCrypto verify was a tenth of the edge's
// time under bench:gateway). An entry is served only while jose, asked again, would accept the token too:
//  - within the token's own validity: exp and nbf with the configured clock tolerance, as jose computes it
//    (whole seconds of the injected clock), and iat not in the future, as verify.ts checks it;
//  - while the key source still verifies with the same keys: its keySetVersion() is unchanged. A secret never
//    changes; a remote JWKS changes version on every refetch and has none while stale or refetching, so a
//    key removed from the set is refused as soon as jose itself would refuse it.
// The key is the whole token string, so a token differing in any byte (a tampered signature) is a miss and
// is verified in full. Only successes are cached; the size bound evicts the oldest entry first. Requests that
// present a token while it is being checked share that check.
import type { Caller } from "./caller.ts";
import type { KeySource } from "./key-source.ts";

export const DEFAULT_TOKEN_CACHE_ENTRIES = 10_000;

interface Entry {
  caller: Caller;
  /** The clock readings (ms) between which jose accepts the token: [fromMs, untilMs). */
  fromMs: number;
  untilMs: number;
  source: KeySource;
  version: number;
}

/** [fromMs, untilMs) in which the token is accepted: jose wants nbf <= now + tolerance and exp > now - tolerance
 * of floor(now s); verify.ts wants iat <= now s + tolerance. */
export function validityMs(
  exp: number,
  nbf: number | undefined,
  iat: number | undefined,
  toleranceSec: number,
): [number, number] {
  const fromNbfMs = nbf === undefined ? Number.NEGATIVE_INFINITY : Math.ceil(nbf - toleranceSec) * 1000;
  const fromIatMs = iat === undefined ? Number.NEGATIVE_INFINITY : (iat - toleranceSec) * 1000;
  return [Math.max(fromNbfMs, fromIatMs), Math.ceil(exp + toleranceSec) * 1000];
}

/** A full check's answer, with what the cache keeps of it. */
export interface Checked {
  caller: Caller;
  source: KeySource;
  /** The source's key-set version throughout the check, or null. */
  version: number | null;
  validity: [number, number];
}

/** What the requests sharing one check learn: who the token names and when, or the check's error. */
export type Shared = { caller: Caller; validity: [number, number] } | { error: unknown };

export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly checking = new Map<string, Promise<Shared>>();

  constructor(private readonly maxEntries: number = DEFAULT_TOKEN_CACHE_ENTRIES) {}

  /** The caller `token` was verified as, if that verification still holds at `nowMs`. */
  get(token: string, nowMs: number): Caller | null {
    const e = this.entries.get(token);
    if (!e) return null;
    if (nowMs >= e.fromMs && nowMs < e.untilMs && e.source.keySetVersion?.() === e.version) return e.caller;
    this.entries.delete(token);
    return null;
  }

  /** Remember a verification made with `source` at key-set `version` (null: the keys were changing, keep nothing). */
  set(token: string, caller: Caller, source: KeySource, version: number | null, validity: [number, number]): void {
    if (this.maxEntries <= 0 || version === null) return;
    if (this.entries.size >= this.maxEntries && !this.entries.has(token)) {
      this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(token, { caller, fromMs: validity[0], untilMs: validity[1], source, version });
  }

  /**
   * One check per token at a time: a request presenting a token already being checked waits for that check
   * instead of starting another. Everyone awaits the same promise, so requests go on in the order they came
   * (a later request must not overtake an earlier one by finding the cache filled first).
   */
  shared(token: string, check: () => Promise<Checked>): Promise<Shared> {
    let p = this.checking.get(token);
    if (p) return p;
    p = check().then(
      (c): Shared => {
        this.set(token, c.caller, c.source, c.version, c.validity);
        return { caller: c.caller, validity: c.validity };
      },
      (error): Shared => ({ error }),
    );
    this.checking.set(token, p);
    void p.then(() => this.checking.delete(token));
    return p;
  }

  get size(): number {
    return this.entries.size;
  }
}
