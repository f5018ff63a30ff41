// Event-stream resume at and past the end, over real HTTP: a stream opened at the current end of a running
// job gets the rest; one opened past the end gets nothing and ends when the job does (not when its record
// expires); after the end both are 204. Then the per-tenant cap on open streams: 429, another tenant served.
import { postJob, type Tenant, tenant } from "./client.ts";
import { readEvents } from "./events.ts";
import { HOSTILE } from "./hostile.ts";

export interface SseResult {
  /** Events a stream opened at the current end received (the rest, ending in the terminal event). */
  atEndEvents: string[];
  /** Events a stream opened past the end received (none), and how long after the job ended it closed. */
  pastEndEvents: number;
  pastEndClosedAfterMs: number;
  /** Statuses once the job ended, for Last-Event-ID at and past the end (204: nothing left). */
  afterEnd: [number, number];
  /** Streams one tenant could open, what the next one got, and another tenant's stream meanwhile. */
  cap: { opened: number; next: string; otherTenant: number };
}

const events = (edgeUrl: string, t: Tenant, id: string, lastEventId?: number, signal?: AbortSignal) =>
  fetch(`${edgeUrl}/v1/jobs/${id}/events`, {
    headers: { ...t.headers, ...(lastEventId === undefined ? {} : { "last-event-id": String(lastEventId) }) },
    signal,
  });

async function resume(edgeUrl: string) {
  const t = await tenant("sse");
  const id = await postJob(edgeUrl, t, { prompt: "a red circle", steps: 40, guidance: { policy: "cfg", scale: 2 } });
  let endedAt = 0;
  let resolveAt!: (seq: number) => void;
  const atSeq = new Promise<number>((r) => (resolveAt = r));
  const full = readEvents(await events(edgeUrl, t, id), (e) => {
    if (e.event === "progress" && Number(e.data.step) >= 3) resolveAt(e.id);
    if (["completed", "failed", "cancelled"].includes(e.event)) endedAt = performance.now();
  });
  const seq = await atSeq;
  const atEnd = readEvents(await events(edgeUrl, t, id, seq));
  const pastEnd = readEvents(await events(edgeUrl, t, id, seq + 1_000)).then((evs) => ({ evs, at: performance.now() }));
  const all = await full;
  const [tail, past] = await Promise.all([atEnd, pastEnd]);
  const last = all.at(-1)!.id;
  const afterEnd: [number, number] = [
    (await events(edgeUrl, t, id, last)).status,
    (await events(edgeUrl, t, id, last + 1_000)).status,
  ];
  return {
    atEndEvents: tail.map((e) => e.event),
    pastEndEvents: past.evs.length,
    // Both streams get the end at about the same moment: which one is read first is noise, never negative.
    pastEndClosedAfterMs: Math.max(0, Math.round(past.at - endedAt)),
    afterEnd,
  };
}

async function cap(edgeUrl: string) {
  const [u, v] = [await tenant("sse-cap"), await tenant("sse-other")];
  const body = { prompt: "a blue square", steps: 60, guidance: { policy: "none" } };
  const [idU, idV] = [await postJob(edgeUrl, u, body), await postJob(edgeUrl, v, body)];
  const ctrl = new AbortController();
  const open: Response[] = [];
  for (let i = 0; i < HOSTILE.streamsPerTenant; i++) open.push(await events(edgeUrl, u, idU, undefined, ctrl.signal));
  const next = await events(edgeUrl, u, idU);
  const nextCode = ((await next.json()) as { error?: { code: string } }).error?.code;
  const other = await events(edgeUrl, v, idV, undefined, ctrl.signal);
  ctrl.abort();
  for (const [t, id] of [
    [u, idU],
    [v, idV],
  ] as const)
    await fetch(`${edgeUrl}/v1/jobs/${id}/cancel`, { method: "POST", headers: t.headers });
  return {
    opened: open.filter((r) => r.status === 200).length,
    next: `${next.status} ${nextCode}`,
    otherTenant: other.status,
  };
}

export async function sseScenario(edgeUrl: string): Promise<SseResult> {
  return { ...(await resume(edgeUrl)), cap: await cap(edgeUrl) };
}
