// Read-only probes of a running stack: worker health (with its NFE counter), tenant usage, process RSS.
import { readFileSync } from "node:fs";
import { DEV_INTERNAL_SECRET } from "@guidegate/shared";
import { internalHealthSigner } from "../../../edge/src/pool/internal-token.ts";

export interface WorkerProbe {
  ok: boolean;
  worker: string;
  capacity: number;
  running: number;
  queued: number;
  max_queue: number;
  nfe_total: number;
  spooled: number;
}

const signHealth = internalHealthSigner(DEV_INTERNAL_SECRET);

/** A worker's full health, read as the edge does (with a health-scoped internal token). */
export async function health(workerUrl: string): Promise<WorkerProbe> {
  const res = await fetch(`${workerUrl}/internal/health`, {
    headers: { authorization: `Bearer ${await signHealth(Date.now())}` },
    signal: AbortSignal.timeout(5_000),
  });
  return (await res.json()) as WorkerProbe;
}

/** Total NFEs the reachable workers evaluated (a dead worker counts 0). */
export async function nfeTotal(workerUrls: readonly string[]): Promise<number> {
  let sum = 0;
  for (const u of workerUrls)
    sum += await health(u).then(
      (h) => h.nfe_total,
      () => 0,
    );
  return sum;
}

/**
 * The one of `workers` that runs or queues a job now: how a scenario finds where a job went, since no
 * public event names the worker. Call it when only that job is on an otherwise idle pool.
 */
export const busyWorker = <W extends { url: string }>(workers: readonly W[]): Promise<W> =>
  until("a worker with the job", async () => {
    for (const w of workers) {
      const h = await health(w.url);
      if (h.running + h.queued > 0) return w;
    }
    return null;
  });

/** Polls `fn` every 50 ms until it returns a truthy value; throws after `ms`. */
export async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until no worker in `urls` runs or queues a job. */
export const idle = (urls: readonly string[], ms = 30_000) =>
  until(
    "idle workers",
    async () => {
      for (const u of urls) {
        const h = await health(u).catch(() => null);
        if (h && (h.running > 0 || h.queued > 0)) return false;
      }
      return true;
    },
    ms,
  );

export interface Usage {
  used_nfe: number;
  reserved_nfe: number;
  remaining_nfe: number;
}

export async function usage(edgeUrl: string, token: string): Promise<Usage> {
  const res = await fetch(`${edgeUrl}/v1/usage`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET /v1/usage: HTTP ${res.status}`);
  return (await res.json()) as Usage;
}

/** Resident set size of a process in KiB, from /proc (Linux). */
export function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}
