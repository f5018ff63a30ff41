// The edge-restart suite, for every runtime that keeps jobs across a restart: a job's event stream read in
// part, the edge killed and started again on the same state, the stream resumed with Last-Event-ID, and
// every remaining event arrives exactly once, billed once. A runtime plugs in through RestartHarness.
import { describe, expect, it } from "vitest";
import { readSse, type SseEvent } from "./sse.ts";

/** A runtime's edge, with real workers behind it, that can be killed and brought back on the same state. */
export interface RestartHarness {
  /** Start the stack: workers, then the edge (its state directory fresh). */
  start(): Promise<void>;
  /** The edge's base URL; the same across restarts. */
  baseUrl(): string;
  /** A bearer token for tenant `sub` (pro tier). */
  token(sub: string): Promise<string>;
  /** Stop the edge abruptly (SIGKILL or the runtime's nearest), leaving its state directory as it was. */
  killEdge(): Promise<void>;
  /** Start the edge again on the same state directory and port; resolves once it answers. */
  restartEdge(): Promise<void>;
  /** SIGKILL every worker and start them again on their ports: they no longer know any job. */
  restartWorkers(): Promise<void>;
  /** What the edge printed since it last started, where the runtime can tell (its start-up report). */
  edgeLog?(): string;
  stop(): Promise<void>;
}

interface Usage {
  used_nfe: number;
  reserved_nfe: number;
}

/** A job long enough that the edge can die and come back while it runs (the embedded model's steps are fast). */
const STEPS = 150; // the pro tier's most

export function restartSuite(runtime: string, harness: RestartHarness, opts: { timeoutMs?: number } = {}): void {
  const timeout = opts.timeoutMs ?? 240_000;
  let n = 0;
  const tenant = () => `restart-${runtime}-${++n}-${Date.now()}`;
  const headers = async (sub: string) => ({
    authorization: `Bearer ${await harness.token(sub)}`,
    "content-type": "application/json",
  });
  const createJob = async (sub: string, seed: number): Promise<string> => {
    const res = await fetch(`${harness.baseUrl()}/v1/jobs`, {
      method: "POST",
      headers: await headers(sub),
      body: JSON.stringify({ prompt: "a large red circle on a blue background", steps: STEPS, seed }),
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  };
  const events = async (sub: string, id: string, after: number, stopAt?: (e: SseEvent) => boolean) => {
    const res = await fetch(`${harness.baseUrl()}/v1/jobs/${id}/events`, {
      headers: { ...(await headers(sub)), "last-event-id": String(after) },
    });
    if (res.status === 204) return [];
    expect(res.status).toBe(200);
    return readSse(res, stopAt ? (e) => stopAt(e) : undefined);
  };
  const usage = async (sub: string): Promise<Usage> =>
    (await (await fetch(`${harness.baseUrl()}/v1/usage`, { headers: await headers(sub) })).json()) as Usage;
  const ids = (evs: SseEvent[]) => evs.map((e) => Number(e.id));
  const halfway = (e: SseEvent) => e.event === "progress" && Number(e.data.step) >= STEPS / 2;

  describe(`edge restart on ${runtime}`, () => {
    it(
      "a job's stream resumes after the edge restarts: every event once, in order, billed once",
      async () => {
        await harness.start();
        try {
          const sub = tenant();
          const id = await createJob(sub, 11);
          const first = await events(sub, id, 0, halfway);
          expect(first.at(-1)?.event).toBe("progress");
          await harness.killEdge();
          await harness.restartEdge();
          const rest = await events(sub, id, Number(first.at(-1)!.id));
          const all = [...first, ...rest];
          // Taken up live from the worker, not settled from its report.
          if (harness.edgeLog) expect(harness.edgeLog()).toMatch(new RegExp(`"reattached":\\["${id}"\\]`));
          // No gaps, no duplicates: the ids run 1..n, and the last is the terminal event.
          expect(ids(all)).toEqual(all.map((_, i) => i + 1));
          expect(all.at(-1)?.event).toBe("completed");
          expect(all.filter((e) => e.event === "completed")).toHaveLength(1);
          const steps = all.filter((e) => e.event === "progress").map((e) => Number(e.data.step));
          expect(steps).toEqual([...steps].sort((a, b) => a - b));
          expect(new Set(steps).size).toBe(steps.length); // no step reported twice across the restart
          const nfe = Number((all.at(-1)!.data.usage as { nfe: number }).nfe);
          expect(nfe).toBeGreaterThan(0);
          const job = (await (
            await fetch(`${harness.baseUrl()}/v1/jobs/${id}`, { headers: await headers(sub) })
          ).json()) as {
            status: string;
            usage: { nfe: number };
          };
          expect(job).toMatchObject({ status: "completed", usage: { nfe } });
          expect(await usage(sub)).toMatchObject({ used_nfe: nfe, reserved_nfe: 0 });
          // A client that saw everything is told there is nothing more.
          expect(await events(sub, id, all.length)).toEqual([]);
        } finally {
          await harness.stop();
        }
      },
      timeout,
    );

    it(
      "a job whose worker restarted while the edge was down ends once, its reservation released, never billed twice",
      async () => {
        await harness.start();
        try {
          const sub = tenant();
          const id = await createJob(sub, 12);
          const first = await events(sub, id, 0, (e) => e.event === "progress" && Number(e.data.step) >= 3);
          await harness.killEdge();
          await harness.restartWorkers(); // the job is gone with its worker
          await harness.restartEdge();
          const rest = await events(sub, id, Number(first.at(-1)!.id));
          const all = [...first, ...rest];
          expect(ids(all)).toEqual(all.map((_, i) => i + 1));
          const end = all.at(-1)!;
          expect(["failed", "cancelled"]).toContain(end.event);
          const billed = end.event === "cancelled" ? Number((end.data.usage as { nfe: number }).nfe) : 0;
          if (end.event === "failed") expect(end.data.error).toMatchObject({ code: "edge_restarted" });
          expect(await usage(sub)).toMatchObject({ used_nfe: billed, reserved_nfe: 0 });
        } finally {
          await harness.stop();
        }
      },
      timeout,
    );
  });
}
