// Fault: the object store goes down mid-job (s3rver stopped) and comes back. Finished images must wait
// in the worker's spool, the jobs complete only once uploaded, and every presigned URL must work.
import { readdirSync } from "node:fs";
import type { Stack } from "@guidegate/stack";
import { completedOf, download, openEvents, postJob, tenant } from "./client.ts";
import { isTerminalEvent, readEvents, type StreamEvent } from "./events.ts";
import { health, until, usage } from "./probes.ts";

export interface S3OutageResult {
  jobs: number;
  /** Images that sat in the spool while the store was down (health's count, and files on disk). */
  spooledPeak: number;
  spoolFilesPeak: number;
  /** Jobs that reported completed while the store was still down (must be 0). */
  completedDuringOutage: number;
  completed: number;
  downloaded: number;
  spooledAfter: number;
  billedNfe: number;
  reportedNfe: number;
  outageMs: number;
}

export async function s3OutageScenario(
  stack: Stack,
  opts: { steps?: number; outageMs?: number } = {},
): Promise<S3OutageResult> {
  const steps = opts.steps ?? 30;
  const workers = stack.workers.filter((w) => w.proc.exitCode === null && w.proc.signalCode === null);
  const spooled = async () => {
    let n = 0;
    for (const w of workers) n += (await health(w.url)).spooled;
    return n;
  };
  const t = await tenant("s3-outage");
  const body = { prompt: "a small blue triangle on a yellow background", steps, guidance: { policy: "cfg", scale: 2 } };
  let storeUp = true;
  let completedDuringOutage = 0;
  const follow = async (id: string) =>
    readEvents(await openEvents(stack.edgeUrl, t, id), (e) => {
      if (isTerminalEvent(e) && !storeUp) completedDuringOutage++;
    });

  // Job 1 is mid-generation when the store goes down; job 2 starts during the outage.
  const first = await postJob(stack.edgeUrl, t, body);
  const streams: Array<Promise<StreamEvent[]>> = [];
  await readEvents(
    await openEvents(stack.edgeUrl, t, first),
    (e) => e.event === "progress" && Number(e.data.step) >= 2,
  );
  streams.push(follow(first));
  await stack.s3.stop();
  storeUp = false;
  const downAt = Date.now();
  streams.push(follow(await postJob(stack.edgeUrl, t, body)));
  const spooledPeak = await until(
    "both images in the spool",
    async () => ((await spooled()) >= 2 ? spooled() : null),
    30_000,
  );
  let spoolFilesPeak = 0;
  for (const w of workers) spoolFilesPeak += readdirSync(w.env.GG_SPOOL_DIR!).filter((f) => f.endsWith(".bin")).length;
  await new Promise((r) => setTimeout(r, opts.outageMs ?? 1_000)); // the outage goes on; nothing may complete
  await stack.s3.start();
  storeUp = true;
  const outageMs = Date.now() - downAt;

  const results = await Promise.all(streams);
  let downloaded = 0;
  let reportedNfe = 0;
  for (const events of results) {
    const done = completedOf(events);
    reportedNfe += done?.usage.nfe ?? 0;
    for (const img of done?.images ?? []) if (img.url && (await download(img.url)).status === 200) downloaded++;
  }
  return {
    jobs: results.length,
    spooledPeak,
    spoolFilesPeak,
    completedDuringOutage,
    completed: results.filter((ev) => completedOf(ev) !== null).length,
    downloaded,
    spooledAfter: await spooled(),
    billedNfe: (await usage(stack.edgeUrl, t.token)).used_nfe,
    reportedNfe,
    outageMs,
  };
}
