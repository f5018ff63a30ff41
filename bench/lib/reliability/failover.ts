// Fault: SIGKILL the worker running a job mid-generation. The gateway must rerun it elsewhere with
// the same seed, keep the client's stream going, and bill only the attempt that finished.
import type { Stack } from "@guidegate/stack";
import { completedOf, download, followJob, tenant } from "./client.ts";
import { checkStream, type StreamCheck, type StreamEvent } from "./events.ts";
import { compareImages, type ImageDiff } from "./images.ts";
import { busyWorker, idle, nfeTotal, usage } from "./probes.ts";

export interface FailoverResult {
  killedWorker: string;
  killedAtStep: number;
  events: StreamEvent[];
  check: StreamCheck;
  retrying: Array<{ attempt: number; reason: string }>;
  terminal: string;
  seed: number | null;
  billedNfe: number;
  reservedAfter: number;
  reportedNfe: number;
  /** NFEs the surviving workers ran for this job (the killed one's are gone with it). */
  survivorNfe: number;
  image: ImageDiff | null;
  referenceNfe: number;
}

export async function failoverScenario(
  stack: Stack,
  opts: { steps?: number; killAtStep?: number } = {},
): Promise<FailoverResult> {
  const steps = opts.steps ?? 40;
  const killAt = opts.killAtStep ?? 5;
  const body = {
    prompt: "a large red circle on a blue background",
    seed: 4242,
    steps,
    guidance: { policy: "cfg", scale: 2 },
  };
  const t = await tenant("failover");
  const live = stack.workers.filter((w) => w.proc.exitCode === null && w.proc.signalCode === null);
  const before = new Map<string, number>();
  for (const w of live) before.set(w.url, await nfeTotal([w.url]));
  let killedWorker = "";
  let killedAtStep = 0;
  await idle(live.map((w) => w.url)); // busyWorker() finds the job's worker as the only busy one
  const { events } = await followJob(stack.edgeUrl, t, body, async (e) => {
    if (e.event === "started" && !killedWorker) killedWorker = (await busyWorker(live)).env.GG_WORKER_ID ?? "";
    if (e.event === "progress" && killedAtStep === 0 && Number(e.data.step) >= killAt) {
      const victim = live.find((w) => w.env.GG_WORKER_ID === killedWorker);
      if (!victim) throw new Error(`no worker named ${killedWorker}`);
      victim.proc.kill("SIGKILL");
      killedAtStep = Number(e.data.step);
    }
  });
  const survivors = live.filter((w) => w.env.GG_WORKER_ID !== killedWorker).map((w) => w.url);
  await idle(survivors);
  let survivorNfe = 0;
  for (const u of survivors) survivorNfe += (await nfeTotal([u])) - (before.get(u) ?? 0);
  const done = completedOf(events);
  const u = await usage(stack.edgeUrl, t.token);

  // The same request, undisturbed and alone (same batching), on a tenant of its own.
  let image: ImageDiff | null = null;
  let referenceNfe = 0;
  if (done?.images[0]?.url) {
    const ref = await tenant("failover-ref");
    const res = await fetch(`${stack.edgeUrl}/v1/images/generations`, {
      method: "POST",
      headers: ref.headers,
      body: JSON.stringify(body),
    });
    const refBody = (await res.json()) as { data: { url: string }[]; usage: { nfe: number } };
    referenceNfe = refBody.usage.nfe;
    const [a, b] = await Promise.all([download(done.images[0].url), download(refBody.data[0]!.url)]);
    image = await compareImages(a.bytes, b.bytes);
  }
  return {
    killedWorker,
    killedAtStep,
    events,
    check: checkStream(events),
    retrying: events.filter((e) => e.event === "retrying").map((e) => e.data as { attempt: number; reason: string }),
    terminal: events.at(-1)?.event ?? "none",
    seed: done?.seed ?? null,
    billedNfe: u.used_nfe,
    reservedAfter: u.reserved_nfe,
    reportedNfe: done?.usage.nfe ?? -1,
    survivorNfe,
    image,
    referenceNfe,
  };
}
