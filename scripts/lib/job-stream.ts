// One generation through the public jobs API: POST /v1/jobs, follow GET /v1/jobs/{id}/events
// (native SSE) to the terminal event, and sum it up. Used by the CLI (scripts/gen.ts), which creates
// every side of a comparison before following any, so one refused side leaves none running.
import { createParser } from "eventsource-parser";

export interface NativeEvent {
  event: string;
  step?: number;
  steps?: number;
  nfe?: number;
  policy?: string;
  seed?: number;
  max_nfe?: number;
  images?: { url?: string; b64_json?: string; width: number; height: number }[];
  usage?: { nfe: number; cost_micro_usd?: number };
  error?: { message: string; code?: string };
  attempt?: number;
  reason?: string;
}

export interface JobSummary {
  id: string;
  status: "completed" | "failed" | "cancelled" | "lost";
  policy: string | null;
  seed: number | null;
  steps: number | null;
  max_nfe: number | null;
  nfe: number;
  cost_micro_usd: number | null;
  url: string | null;
  error: string | null;
}

/** A failure before the job exists (unreachable gateway, 4xx/5xx on POST): the message says which. */
export class GatewayError extends Error {}

const unreachable = (baseUrl: string) => (e: Error) => {
  throw new GatewayError(`cannot reach the gateway at ${baseUrl} (${e.message}); is \`npm start\` running?`);
};

/** GET a JSON resource of the public API; any non-2xx is a GatewayError carrying the envelope's message. */
export async function getJson<T>(baseUrl: string, token: string, path: string): Promise<T> {
  const headers = { authorization: `Bearer ${token}` };
  const res = await fetch(`${baseUrl}${path}`, { headers }).catch(unreachable(baseUrl));
  const body = (await res.json().catch(() => ({}))) as T & { error?: { message: string } };
  if (!res.ok) throw new GatewayError(`error ${res.status}: ${body.error?.message ?? JSON.stringify(body)}`);
  return body;
}

/** POST /v1/jobs: the job's id once the gateway has accepted (and reserved NFEs for) it. */
export async function createJob(baseUrl: string, token: string, body: Record<string, unknown>): Promise<string> {
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const created = await fetch(`${baseUrl}/v1/jobs`, { method: "POST", headers, body: JSON.stringify(body) }).catch(
    unreachable(baseUrl),
  );
  const job = (await created.json().catch(() => ({}))) as { id?: string; error?: { message: string; code?: string } };
  if (!created.ok || !job.id) {
    throw new GatewayError(`error ${created.status}: ${job.error?.message ?? JSON.stringify(job)}`);
  }
  return job.id;
}

/** POST /v1/jobs/{id}/cancel; the job is billed for what it spent. Never throws. */
export async function cancelJob(baseUrl: string, token: string, id: string): Promise<void> {
  const headers = { authorization: `Bearer ${token}` };
  const cancel = `${baseUrl}/v1/jobs/${encodeURIComponent(id)}/cancel`;
  await fetch(cancel, { method: "POST", headers }).catch(() => undefined);
}

export async function runJob(
  baseUrl: string,
  token: string,
  body: Record<string, unknown>,
  hooks: { onEvent?: (e: NativeEvent) => void; onCreated?: (id: string) => void } = {},
): Promise<JobSummary> {
  const id = await createJob(baseUrl, token, body);
  hooks.onCreated?.(id);
  return followJob(baseUrl, token, id, hooks);
}

/** Follows an accepted job's native event stream to its terminal event. */
export async function followJob(
  baseUrl: string,
  token: string,
  id: string,
  hooks: { onEvent?: (e: NativeEvent) => void } = {},
): Promise<JobSummary> {
  const headers = { authorization: `Bearer ${token}` };
  const job = { id };
  const summary: JobSummary = {
    id: job.id,
    status: "lost",
    policy: null,
    seed: null,
    steps: null,
    max_nfe: null,
    nfe: 0,
    cost_micro_usd: null,
    url: null,
    error: null,
  };
  const res = await fetch(`${baseUrl}/v1/jobs/${encodeURIComponent(job.id)}/events`, {
    headers: { authorization: headers.authorization },
  });
  if (!res.ok || !res.body) throw new GatewayError(`error ${res.status} reading the events of ${job.id}`);

  const parser = createParser({
    onEvent(ev) {
      const e = JSON.parse(ev.data) as NativeEvent;
      if (e.event === "started")
        Object.assign(summary, { policy: e.policy, seed: e.seed, steps: e.steps, max_nfe: e.max_nfe });
      if (e.event === "progress") summary.nfe = e.nfe ?? summary.nfe;
      if (e.event === "completed" || e.event === "cancelled" || e.event === "failed") {
        summary.status = e.event;
        if (e.usage) Object.assign(summary, { nfe: e.usage.nfe, cost_micro_usd: e.usage.cost_micro_usd ?? null });
        if (e.event === "completed")
          Object.assign(summary, { seed: e.seed ?? summary.seed, url: e.images?.[0]?.url ?? null });
        if (e.event === "failed") summary.error = e.error?.message ?? "failed";
      }
      hooks.onEvent?.(e);
    },
  });
  const decoder = new TextDecoder();
  const reader = res.body.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read())
    parser.feed(decoder.decode(r.value, { stream: true }));
  return summary;
}
