// The part of Deno KV the stores use, typed structurally: Deno.openKv() (Deno, Deno Deploy) and @deno/kv's
// openKv() (Node, the tests) both satisfy it, so this folder compiles under the repo's tsc without Deno's types.
// Limits every caller keeps to (the strictest of the two engines): at most 10 checks per atomic operation,
// values up to 64 KiB, an atomic write under 800 KiB.

export type KvKeyPart = Uint8Array | string | number | bigint | boolean;
export type KvKey = readonly KvKeyPart[];

export type KvEntryMaybe<T> =
  | { key: KvKey; value: T; versionstamp: string }
  | {
      key: KvKey;
      value: null;
      versionstamp: null;
    };
export interface KvEntry<T> {
  key: KvKey;
  value: T;
  versionstamp: string;
}

export type KvListSelector = { prefix: KvKey } | { prefix: KvKey; start: KvKey } | { start: KvKey; end: KvKey };

export interface KvAtomic {
  check(...checks: { key: KvKey; versionstamp: string | null }[]): KvAtomic;
  set(key: KvKey, value: unknown, options?: { expireIn?: number }): KvAtomic;
  delete(key: KvKey): KvAtomic;
  commit(): Promise<{ ok: true; versionstamp: string } | { ok: false }>;
}

export interface Kv {
  get<T = unknown>(key: KvKey): Promise<KvEntryMaybe<T>>;
  getMany<T extends readonly unknown[]>(
    keys: readonly [...{ [K in keyof T]: KvKey }],
  ): Promise<{
    [K in keyof T]: KvEntryMaybe<T[K]>;
  }>;
  list<T = unknown>(
    selector: KvListSelector,
    options?: { limit?: number; reverse?: boolean },
  ): AsyncIterable<KvEntry<T>>;
  atomic(): KvAtomic;
  close(): void;
}

/** The most checks one atomic operation may carry (@deno/kv's engine; Deno's own allows more). */
export const KV_MAX_CHECKS = 10;

/** Optimistic attempts before a transaction gives up: each failed one lost to a commit that succeeded. */
const TX_ATTEMPTS = 200;

/** What one attempt of a transaction decided: the writes to commit (null: nothing to write) and its answer. */
export interface TxAttempt<T> {
  op: KvAtomic | null;
  result: T;
}

/**
 * Runs `attempt` until its atomic operation commits: each attempt reads, decides, and checks the versionstamps of
 * what it read, so a commit fails (and the attempt runs again on fresh reads) when anything it read has changed.
 * This is every read-modify-write in these stores.
 */
export async function transact<T>(attempt: () => Promise<TxAttempt<T>>): Promise<T> {
  for (let i = 0; i < TX_ATTEMPTS; i++) {
    const { op, result } = await attempt();
    if (op === null || (await op.commit()).ok) return result;
  }
  throw new Error(`kv: a transaction lost ${TX_ATTEMPTS} times in a row to concurrent writes`);
}

/** Every entry under `selector`, in key order. */
export async function listAll<T>(kv: Kv, selector: KvListSelector, limit?: number): Promise<KvEntry<T>[]> {
  const out: KvEntry<T>[] = [];
  for await (const e of kv.list<T>(selector, limit === undefined ? undefined : { limit })) out.push(e);
  return out;
}

/**
 * A queue that runs what it is given one at a time, in call order. A store's writes in one process go through
 * one, so they never lose optimistic commits to each other (50 concurrent reserves of one tenant: ~2 s of retries
 * without it); the versionstamp checks still order them against other processes (Deno Deploy isolates).
 */
export function serialQueue(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn);
    tail = run.catch(() => {});
    return run;
  };
}
