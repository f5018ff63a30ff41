// The load client of `npm run bench:gateway`: undici, kept-alive connections, each request timed with
// performance.now() to the last byte of its body (autocannon's histograms round to whole milliseconds,
// too coarse for a proxy's added fraction of one).
import { Pool } from "undici";

export interface Target {
  name: string;
  origin: string;
  path: string;
  headers: Record<string, string>;
  /** A fresh body per request (the gateway needs none, the stand-in a job id). */
  body: () => string;
  /** Whether a response is a finished generation. */
  ok: (status: number, text: string) => boolean;
  /** The processes this path adds in front of the client (their CPU time is counted). */
  pids: () => number[];
}

export interface Sequential {
  latenciesMs: number[];
  perSec: number;
  errors: number;
}

async function once(pool: Pool, t: Target): Promise<boolean> {
  const res = await pool.request({ path: t.path, method: "POST", headers: t.headers, body: t.body() });
  return t.ok(res.statusCode, await res.body.text());
}

/** `n` requests one after another on one connection. */
export async function sequential(t: Target, n: number): Promise<Sequential> {
  const pool = new Pool(t.origin, { connections: 1 });
  const latenciesMs: number[] = [];
  let errors = 0;
  const t0 = performance.now();
  try {
    for (let i = 0; i < n; i++) {
      const s = performance.now();
      if (!(await once(pool, t))) errors++;
      latenciesMs.push(performance.now() - s);
    }
  } finally {
    await pool.close();
  }
  return { latenciesMs, perSec: (n * 1000) / (performance.now() - t0), errors };
}

export interface Concurrent {
  perSec: number;
  done: number;
  errors: number;
}

/** `concurrency` clients in a closed loop for `durationMs`: finished generations per second. */
export async function concurrent(t: Target, concurrency: number, durationMs: number): Promise<Concurrent> {
  const pool = new Pool(t.origin, { connections: concurrency });
  let done = 0;
  let errors = 0;
  const t0 = performance.now();
  const end = t0 + durationMs;
  const client = async () => {
    while (performance.now() < end) {
      if (await once(pool, t).catch(() => false)) done++;
      else errors++;
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, client));
  } finally {
    await pool.close();
  }
  return { perSec: (done * 1000) / (performance.now() - t0), done, errors };
}

/** The q-quantile (0..1) of `xs`, nearest rank. */
export function quantile(xs: readonly number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export const median = (xs: readonly number[]): number => quantile(xs, 0.5);
