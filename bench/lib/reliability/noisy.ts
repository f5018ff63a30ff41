// Noisy neighbour: one tenant posts a flood of heavy jobs at once, enough to fill every worker slot and
// queue place; then another tenant runs ordinary jobs one after another (and one synchronous request).
// The quiet tenant must be served (no 503) and wait (POST to `started`) no more than twice its own job
// time (`started` to `completed`), however long the flood's queue is. Billing is checked for both.
import { type Tenant, tenant } from "./client.ts";
import { readEvents } from "./events.ts";
import { quantile, tally } from "./hostile.ts";
import { idle, until, usage } from "./probes.ts";

export interface NoisyResult {
  flood: { sent: number; byStatus: Record<string, number> };
  quiet: {
    jobs: number;
    completed: number;
    refused503: number;
    syncStatus: number;
    waitsMs: number[];
    jobMs: number[];
    p50WaitMs: number;
    p99WaitMs: number;
    p50JobMs: number;
  };
  /** Tenants whose used_nfe differs from the NFEs their responses and jobs reported. */
  billingMismatches: number;
}

export interface NoisyOptions {
  floodJobs: number;
  floodSteps: number;
  quietJobs: number;
  quietSteps: number;
}

const post = (edgeUrl: string, t: Tenant, path: string, body: unknown) =>
  fetch(`${edgeUrl}${path}`, { method: "POST", headers: t.headers, body: JSON.stringify(body) });

/** One quiet job through the jobs API: its wait for a worker and its own run time, or the refusal. */
async function quietJob(edgeUrl: string, t: Tenant, steps: number) {
  const t0 = performance.now();
  const body = { prompt: "a small green square on a white background", steps, guidance: { policy: "cfg", scale: 2 } };
  const res = await post(edgeUrl, t, "/v1/jobs", body);
  if (res.status !== 202) return { status: res.status, nfe: 0 };
  const { id } = (await res.json()) as { id: string };
  let startedAt = 0;
  const events = await readEvents(await fetch(`${edgeUrl}/v1/jobs/${id}/events`, { headers: t.headers }), (e) => {
    if (e.event === "started") startedAt = performance.now();
  });
  const last = events.at(-1);
  const done = last?.event === "completed";
  const nfe = done ? Number((last.data.usage as { nfe: number }).nfe) : 0;
  return { status: done ? 200 : 500, waitMs: startedAt - t0, jobMs: performance.now() - startedAt, nfe };
}

const TERMINAL = ["completed", "failed", "cancelled"];

/**
 * Keeps each of `ids`' final usage as soon as the job ends (polled every second): a finished job's record
 * expires after GG_JOB_TTL_MS, and flood jobs end (complete) while the quiet tenant runs.
 */
function watchJobs(edgeUrl: string, t: Tenant, ids: string[]) {
  const ended = new Map<string, number>();
  const poll = () =>
    Promise.all(
      ids
        .filter((id) => !ended.has(id))
        .map(async (id) => {
          const res = await fetch(`${edgeUrl}/v1/jobs/${id}`, { headers: t.headers });
          const j = (await res.json()) as { status?: string; usage?: { nfe: number } };
          if (j.status && TERMINAL.includes(j.status)) ended.set(id, j.usage?.nfe ?? 0);
        }),
    );
  let watching = true;
  const loop = (async () => {
    while (watching) {
      await poll().catch(() => {});
      await new Promise((r) => setTimeout(r, 1_000));
    }
  })();
  return {
    /** Cancels what still runs or waits, and returns the NFEs all the jobs reported once they ended. */
    async stop(): Promise<number> {
      await Promise.all(ids.filter((id) => !ended.has(id)).map((id) => post(edgeUrl, t, `/v1/jobs/${id}/cancel`, {})));
      await until(
        "the flood to end",
        async () => {
          await poll();
          return ended.size === ids.length;
        },
        30_000,
      );
      watching = false;
      await loop;
      return [...ended.values()].reduce((a, b) => a + b, 0);
    },
  };
}

export async function noisyNeighbourScenario(
  edgeUrl: string,
  workerUrls: readonly string[],
  o: NoisyOptions,
): Promise<NoisyResult> {
  const flood = await tenant("noisy");
  const quiet = await tenant("quiet");
  const heavy = {
    prompt: "a large blue circle on a black background",
    steps: o.floodSteps,
    guidance: { policy: "cfg", scale: 2 },
  };
  const floodAnswers = await Promise.all(
    Array.from({ length: o.floodJobs }, async () => {
      const res = await post(edgeUrl, flood, "/v1/jobs", heavy);
      return { status: res.status, id: res.status === 202 ? ((await res.json()) as { id: string }).id : null };
    }),
  );
  const floodIds = floodAnswers.flatMap((a) => (a.id ? [a.id] : []));
  const watch = watchJobs(edgeUrl, flood, floodIds);
  const runs = [];
  for (let i = 0; i < o.quietJobs; i++) runs.push(await quietJob(edgeUrl, quiet, o.quietSteps));
  const sync = await post(edgeUrl, quiet, "/v1/images/generations", { prompt: "a red circle", steps: o.quietSteps });
  const syncNfe = sync.status === 200 ? ((await sync.json()) as { usage: { nfe: number } }).usage.nfe : 0;
  const floodReported = await watch.stop();
  await idle(workerUrls);

  const done = runs.filter((r) => r.status === 200);
  const waitsMs = done.map((r) => r.waitMs ?? 0);
  const jobMs = done.map((r) => r.jobMs ?? 0);
  const quietReported = runs.reduce((n, r) => n + r.nfe, 0) + syncNfe;
  let billingMismatches = 0;
  if ((await usage(edgeUrl, quiet.token)).used_nfe !== quietReported) billingMismatches++;
  if ((await usage(edgeUrl, flood.token)).used_nfe !== floodReported) billingMismatches++;
  return {
    flood: { sent: o.floodJobs, byStatus: tally(floodAnswers.map((a) => a.status)) },
    quiet: {
      jobs: o.quietJobs,
      completed: done.length,
      refused503: runs.filter((r) => r.status === 503).length + (sync.status === 503 ? 1 : 0),
      syncStatus: sync.status,
      waitsMs,
      jobMs,
      p50WaitMs: quantile(waitsMs, 0.5),
      p99WaitMs: quantile(waitsMs, 0.99),
      p50JobMs: quantile(jobMs, 0.5),
    },
    billingMismatches,
  };
}
