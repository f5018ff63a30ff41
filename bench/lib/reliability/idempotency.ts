// One Idempotency-Key, many callers at once, over real HTTP: when the first request is refused (here a
// quota too small for it: 402) every caller gets that refusal; when it is admitted every caller gets the
// same job id, readable at once, billed once; after the job's record expires a replay says so (404
// job_expired), never 202 for a dead job.
import { type Tenant, tenant } from "./client.ts";
import { readEvents } from "./events.ts";
import { HOSTILE, tally } from "./hostile.ts";
import { until, usage } from "./probes.ts";

export interface IdempotencyResult {
  callers: number;
  /** First refused: the statuses (and error codes) the callers got; all alike when correct. */
  refused: Record<string, number>;
  /** First admitted: distinct job ids among the 202s, and how many callers read their job right after. */
  admitted: { statuses: Record<string, number>; ids: number; readable: number };
  billedNfe: number;
  reportedNfe: number;
  /** The replay after the job record expired: status and code. */
  afterExpiry: string;
}

async function postKeyed(edgeUrl: string, t: Tenant, key: string, body: unknown) {
  const res = await fetch(`${edgeUrl}/v1/jobs`, {
    method: "POST",
    headers: { ...t.headers, "idempotency-key": key },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { id?: string; error?: { code: string } };
  return { status: res.status, id: json.id, code: json.error?.code ?? "" };
}

const BODY = { prompt: "a small red circle on a white background", steps: 20, guidance: { policy: "none" } };

export async function idempotencyScenario(edgeUrl: string, callers = 20): Promise<IdempotencyResult> {
  const poor = await tenant("idem-poor", "tiny");
  const tooBig = { ...BODY, n: 2, steps: 30, guidance: { policy: "ag" } }; // reserves 120 NFE: over tiny's 100
  const refused = await Promise.all(
    Array.from({ length: callers }, () => postKeyed(edgeUrl, poor, "one-key-refused", tooBig)),
  );

  const t = await tenant("idem");
  const admitted = await Promise.all(
    Array.from({ length: callers }, async () => {
      const r = await postKeyed(edgeUrl, t, "one-key-admitted", BODY);
      const read = r.id ? await fetch(`${edgeUrl}/v1/jobs/${r.id}`, { headers: t.headers }) : null;
      return { ...r, readable: read?.status === 200 };
    }),
  );
  const id = admitted.find((a) => a.id)?.id;
  let reportedNfe = 0;
  if (id) {
    const events = await readEvents(await fetch(`${edgeUrl}/v1/jobs/${id}/events`, { headers: t.headers }));
    const last = events.at(-1);
    if (last?.event === "completed") reportedNfe = Number((last.data.usage as { nfe: number }).nfe);
  }
  const billedNfe = (await usage(edgeUrl, t.token)).used_nfe;
  // Past GG_JOB_TTL_MS the job's record is gone while the key (24 h) remains.
  const expired = await until(
    "the job record to expire",
    async () => {
      const r = await postKeyed(edgeUrl, t, "one-key-admitted", BODY);
      return r.status === 202 ? null : r;
    },
    HOSTILE.jobTtlMs + 10_000,
  );
  return {
    callers,
    refused: tally(refused.map((r) => `${r.status} ${r.code}`)),
    admitted: {
      statuses: tally(admitted.map((a) => a.status)),
      ids: new Set(admitted.map((a) => a.id).filter(Boolean)).size,
      readable: admitted.filter((a) => a.readable).length,
    },
    billedNfe,
    reportedNfe,
    afterExpiry: `${expired.status} ${expired.code}`,
  };
}
