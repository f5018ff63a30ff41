// Load: N clients at once, each creating a job and holding its native event stream to the end.
// Checks that no event is lost or reordered, each stream ends with exactly one terminal event, the
// bill equals what the workers ran, and the edge's memory stays bounded.
import type { Stack } from "@guidegate/stack";
import { openEvents, postJob, type Tenant, tenant } from "./client.ts";
import { checkStream, readEvents } from "./events.ts";
import { idle, nfeTotal, rssKiB, usage } from "./probes.ts";

export interface LoadResult {
  streams: number;
  completed: number;
  failed: number; // streams that errored, or jobs that did not complete
  peakOpen: number;
  events: number;
  lostEvents: number;
  reordered: number;
  /** Streams without exactly one terminal event, or with events after it. */
  terminalViolations: number;
  /** Tenants whose used_nfe differs from the NFEs their completed events reported, plus 1 if the workers ran a different total. */
  billingMismatches: number;
  durationMs: number;
  rssBeforeKiB: number;
  rssPeakKiB: number;
  rssAfterKiB: number;
}

export async function holdStreams(
  stack: Stack,
  opts: { streams: number; steps?: number; previewEvery?: number; tenants?: number },
): Promise<LoadResult> {
  const steps = opts.steps ?? 4;
  const tenants: Tenant[] = [];
  for (let i = 0; i < (opts.tenants ?? 10); i++) tenants.push(await tenant(`load-${i}`));
  const workers = stack.workers.filter((w) => w.proc.exitCode === null && w.proc.signalCode === null).map((w) => w.url);
  const pid = stack.edge.proc.pid!;
  const rssBeforeKiB = rssKiB(pid);
  let rssPeakKiB = rssBeforeKiB;
  const sampler = setInterval(() => {
    rssPeakKiB = Math.max(rssPeakKiB, rssKiB(pid));
  }, 100);
  const nfeBefore = await nfeTotal(workers);
  const reported = new Map<Tenant, number>();
  let open = 0;
  let peakOpen = 0;
  const r = { completed: 0, failed: 0, events: 0, lostEvents: 0, reordered: 0, terminalViolations: 0 };
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: opts.streams }, async (_, i) => {
      const t = tenants[i % tenants.length]!;
      try {
        const id = await postJob(stack.edgeUrl, t, {
          prompt: "a large red circle on a blue background",
          steps,
          preview_every: opts.previewEvery ?? 2,
          guidance: { policy: "none" },
        });
        const res = await openEvents(stack.edgeUrl, t, id);
        peakOpen = Math.max(peakOpen, ++open);
        const events = await readEvents(res).finally(() => open--);
        const c = checkStream(events);
        r.events += events.length;
        r.lostEvents += c.lost;
        r.reordered += c.reordered;
        if (c.terminals !== 1 || c.trailing !== 0) r.terminalViolations++;
        const last = events.at(-1);
        if (last?.event === "completed") {
          r.completed++;
          reported.set(t, (reported.get(t) ?? 0) + Number((last.data.usage as { nfe: number }).nfe));
        } else r.failed++;
      } catch {
        r.failed++;
      }
    }),
  );
  const durationMs = performance.now() - t0;
  clearInterval(sampler);
  await idle(workers);
  let billingMismatches = 0;
  let billed = 0;
  for (const t of tenants) {
    const used = (await usage(stack.edgeUrl, t.token)).used_nfe;
    billed += used;
    if (used !== (reported.get(t) ?? 0)) billingMismatches++;
  }
  if ((await nfeTotal(workers)) - nfeBefore !== billed) billingMismatches++;
  return {
    streams: opts.streams,
    ...r,
    peakOpen,
    billingMismatches,
    durationMs,
    rssBeforeKiB,
    rssPeakKiB,
    rssAfterKiB: rssKiB(pid),
  };
}
