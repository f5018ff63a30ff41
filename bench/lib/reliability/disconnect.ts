// Faults on the client side of the gateway and the gateway itself: a streaming client that leaves,
// a jobs-API client that leaves, and the edge process dying mid-job. In each case the worker counts
// the NFEs; billing must equal what ran (or nothing, when no image came of it and it was our fault).
import { createParser } from "eventsource-parser";
import type { Service, Stack } from "@guidegate/stack";
import { openEvents, postJob, tenant } from "./client.ts";
import { readEvents } from "./events.ts";
import { idle, nfeTotal, until, usage } from "./probes.ts";
import { restartEdge } from "./restart.ts";

const urls = (stack: Stack) =>
  stack.workers.filter((w) => w.proc.exitCode === null && w.proc.signalCode === null).map((w) => w.url);

export interface StreamDisconnectResult {
  abortedAfterStep: number;
  fullNfe: number;
  workerNfe: number;
  billedNfe: number;
  reservedAfter: number;
}

/** POST /v1/images/generations with stream: true; the client leaves after the first partial image. */
export async function streamDisconnectScenario(stack: Stack, steps = 120): Promise<StreamDisconnectResult> {
  const t = await tenant("stream-leaves");
  const before = await nfeTotal(urls(stack));
  const ctrl = new AbortController();
  const res = await fetch(`${stack.edgeUrl}/v1/images/generations`, {
    method: "POST",
    headers: t.headers,
    body: JSON.stringify({
      prompt: "a large white circle on a green background",
      steps,
      stream: true,
      partial_images: 3,
      guidance: { policy: "cfg", scale: 2 },
    }),
    signal: ctrl.signal,
  });
  let abortedAfterStep = -1;
  const parser = createParser({
    onEvent(ev) {
      const data = JSON.parse(ev.data) as { type?: string; step?: number };
      if (abortedAfterStep < 0 && data.type === "image_generation.partial_image") {
        abortedAfterStep = data.step ?? 0;
        ctrl.abort(); // the client goes away mid-generation
      }
    },
  });
  const reader = res.body!.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(new TextDecoder().decode(value));
    }
  } catch {
    // our own abort
  }
  await idle(urls(stack));
  const u = await until("settlement", async () => {
    const x = await usage(stack.edgeUrl, t.token);
    return x.reserved_nfe === 0 ? x : null;
  });
  return {
    abortedAfterStep,
    fullNfe: 2 * steps,
    workerNfe: (await nfeTotal(urls(stack))) - before,
    billedNfe: u.used_nfe,
    reservedAfter: u.reserved_nfe,
  };
}

export interface UnwatchedJobResult {
  status: string;
  reportedNfe: number;
  billedNfe: number;
  workerNfe: number;
}

/** POST /v1/jobs; the only listener leaves after two events; the job must still finish and bill fully. */
export async function unwatchedJobScenario(stack: Stack, steps = 40): Promise<UnwatchedJobResult> {
  const t = await tenant("jobs-unwatched");
  const before = await nfeTotal(urls(stack));
  const id = await postJob(stack.edgeUrl, t, {
    prompt: "a small orange cross on a purple background",
    steps,
    guidance: { policy: "cfg", scale: 2 },
  });
  const ctrl = new AbortController();
  await readEvents(await openEvents(stack.edgeUrl, t, id, ctrl.signal), (_e, all) => all.length >= 2).catch(() => []);
  ctrl.abort();
  const job = await until(
    "job end",
    async () => {
      const j = (await (await fetch(`${stack.edgeUrl}/v1/jobs/${id}`, { headers: t.headers })).json()) as {
        status: string;
        usage: { nfe: number };
      };
      return ["completed", "failed", "cancelled"].includes(j.status) ? j : null;
    },
    30_000,
  );
  await idle(urls(stack));
  const u = await usage(stack.edgeUrl, t.token);
  return {
    status: job.status,
    reportedNfe: job.usage.nfe,
    billedNfe: u.used_nfe,
    workerNfe: (await nfeTotal(urls(stack))) - before,
  };
}

export interface EdgeDeathResult {
  killedAtStep: number;
  fullNfe: number;
  /** NFEs the workers ran for the job, across the restart. */
  workerNfe: number;
  /** How the job ended at the edge, and the NFEs it reports. */
  status: string;
  reportedNfe: number;
  /** From the SIGKILL until the restarted edge answered. */
  downMs: number;
  /** After the job ended: what the ledger billed, and what it still holds. */
  billedNfe: number;
  reservedAfter: number;
  edge: Service;
}

/**
 * SIGKILL the edge while a job runs and bring it back on the same files: the worker keeps the job through its
 * detach grace, the restarted edge re-attaches, and the job ends once, billed once for what the worker ran.
 */
export async function edgeDeathScenario(
  stack: Stack,
  steps = 150,
  restartEnv: Record<string, string> = {},
): Promise<EdgeDeathResult> {
  const t = await tenant("edge-dies");
  const before = await nfeTotal(urls(stack));
  const id = await postJob(stack.edgeUrl, t, {
    prompt: "a large black square on a yellow background",
    steps,
    guidance: { policy: "cfg", scale: 2 },
  });
  let killedAtStep = 0;
  let killedAt = 0;
  await readEvents(await openEvents(stack.edgeUrl, t, id), (e) => {
    if (e.event !== "progress" || Number(e.data.step) < 5) return false;
    killedAtStep = Number(e.data.step);
    killedAt = Date.now();
    stack.edge.proc.kill("SIGKILL");
    return true;
  }).catch(() => []);
  await new Promise((r) => stack.edge.proc.once("exit", r));
  const edge = await restartEdge(stack.edge, restartEnv);
  const downMs = Date.now() - killedAt;
  const job = await until(
    "the re-attached job ended",
    async () => {
      const j = (await (await fetch(`${stack.edgeUrl}/v1/jobs/${id}`, { headers: t.headers })).json()) as {
        status: string;
        usage: { nfe: number };
      };
      return ["completed", "failed", "cancelled"].includes(j.status) ? j : null;
    },
    120_000,
  );
  await idle(urls(stack));
  const u = await usage(stack.edgeUrl, t.token);
  return {
    killedAtStep,
    fullNfe: 2 * steps,
    workerNfe: (await nfeTotal(urls(stack))) - before,
    status: job.status,
    reportedNfe: job.usage.nfe,
    downMs,
    billedNfe: u.used_nfe,
    reservedAfter: u.reserved_nfe,
    edge,
  };
}

export interface CutCancelResult {
  status: string;
  billedNfe: number;
  workerNfe: number;
  reportedNfe: number;
}

/**
 * Cancel through the jobs API on an edge whose cancel grace is 0 (GG_CANCEL_GRACE_MS=0): the edge cuts
 * the worker's stream before the `cancelled` event can arrive, so it must settle from the worker's own count.
 */
export async function cutCancelScenario(stack: Stack, edgeUrl: string, steps = 150): Promise<CutCancelResult> {
  const t = await tenant("cut-cancel");
  const before = await nfeTotal(urls(stack));
  const id = await postJob(edgeUrl, t, {
    prompt: "a small white cross on a red background",
    steps,
    guidance: { policy: "cfg", scale: 2 },
  });
  await readEvents(await openEvents(edgeUrl, t, id), (e) => e.event === "progress" && Number(e.data.step) >= 5);
  await fetch(`${edgeUrl}/v1/jobs/${id}/cancel`, { method: "POST", headers: t.headers });
  const job = await until("cancelled", async () => {
    const j = (await (await fetch(`${edgeUrl}/v1/jobs/${id}`, { headers: t.headers })).json()) as {
      status: string;
      usage: { nfe: number };
    };
    return ["completed", "failed", "cancelled"].includes(j.status) ? j : null;
  });
  await idle(urls(stack));
  return {
    status: job.status,
    reportedNfe: job.usage.nfe,
    billedNfe: (await usage(edgeUrl, t.token)).used_nfe,
    workerNfe: (await nfeTotal(urls(stack))) - before,
  };
}
