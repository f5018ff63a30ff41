// Money races over real HTTP, each checked against what the responses reported: many requests at once
// against a quota that holds only some of them (never overspent, each refusal a 402 that held nothing),
// and cancels racing their job's completion (one terminal state each, billed what that state reported).
import { type Tenant, tenant } from "./client.ts";
import { readEvents } from "./events.ts";
import { HOSTILE, tally } from "./hostile.ts";
import { idle, until, usage } from "./probes.ts";

export interface QuotaRaceResult {
  requests: number;
  byStatus: Record<string, number>;
  reportedNfe: number;
  billedNfe: number;
  reservedAfter: number;
  quota: number;
}

/** `requests` synchronous generations of 20 NFE each at once, on the tiny tier's 100 NFE quota. */
export async function quotaRaceScenario(edgeUrl: string, requests = 10): Promise<QuotaRaceResult> {
  const t = await tenant("quota-race", "tiny");
  const body = JSON.stringify({ prompt: "a green circle", steps: 20, guidance: { policy: "none" } });
  const answers = await Promise.all(
    Array.from({ length: requests }, async () => {
      const res = await fetch(`${edgeUrl}/v1/images/generations`, { method: "POST", headers: t.headers, body });
      const json = (await res.json()) as { usage?: { nfe: number } };
      return { status: res.status, nfe: res.status === 200 ? (json.usage?.nfe ?? 0) : 0 };
    }),
  );
  const u = await usage(edgeUrl, t.token);
  return {
    requests,
    byStatus: tally(answers.map((a) => a.status)),
    reportedNfe: answers.reduce((n, a) => n + a.nfe, 0),
    billedNfe: u.used_nfe,
    reservedAfter: u.reserved_nfe,
    quota: HOSTILE.tinyQuotaNfe,
  };
}

export interface CancelRaceResult {
  trials: number;
  endings: Record<string, number>;
  /** Jobs whose GET usage differs from their terminal event's, plus 1 when the tenant's bill differs from their sum. */
  mismatches: number;
  reservedAfter: number;
}

/** One job whose cancel is sent once its stream shows `atStep` (the last step: the race with completion). */
async function racedJob(edgeUrl: string, t: Tenant, steps: number, atStep: number) {
  const res = await fetch(`${edgeUrl}/v1/jobs`, {
    method: "POST",
    headers: t.headers,
    body: JSON.stringify({ prompt: "a yellow square", steps, guidance: { policy: "cfg", scale: 2 } }),
  });
  const { id } = (await res.json()) as { id: string };
  let cancelled: Promise<unknown> | null = null;
  const events = await readEvents(await fetch(`${edgeUrl}/v1/jobs/${id}/events`, { headers: t.headers }), (e) => {
    if (!cancelled && (e.event === "completed" || (e.event === "progress" && Number(e.data.step) >= atStep)))
      cancelled = fetch(`${edgeUrl}/v1/jobs/${id}/cancel`, { method: "POST", headers: t.headers });
  });
  await cancelled;
  const last = events.at(-1)!;
  const eventNfe = Number((last.data.usage as { nfe?: number } | undefined)?.nfe ?? 0);
  const job = (await (await fetch(`${edgeUrl}/v1/jobs/${id}`, { headers: t.headers })).json()) as {
    status: string;
    usage: { nfe: number };
  };
  return { ending: last.event, status: job.status, eventNfe, jobNfe: job.usage.nfe };
}

export async function cancelRaceScenario(
  edgeUrl: string,
  workerUrls: readonly string[],
  trials = 6,
): Promise<CancelRaceResult> {
  const t = await tenant("cancel-race");
  const steps = 12;
  const runs = [];
  // Cancels half-way, at the last step and right after `completed`: each races the settle differently.
  const at = [steps / 2, steps - 1, steps + 1];
  for (let i = 0; i < trials; i++) runs.push(await racedJob(edgeUrl, t, steps, at[i % at.length]!));
  await idle(workerUrls);
  const u = await until("settled", async () => {
    const x = await usage(edgeUrl, t.token);
    return x.reserved_nfe === 0 ? x : null;
  });
  let mismatches = runs.filter((r) => r.eventNfe !== r.jobNfe || r.ending !== r.status).length;
  if (u.used_nfe !== runs.reduce((n, r) => n + r.eventNfe, 0)) mismatches++;
  return { trials, endings: tally(runs.map((r) => r.ending)), mismatches, reservedAfter: u.reserved_nfe };
}
