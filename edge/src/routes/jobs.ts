// Jobs API: POST /v1/jobs (202), GET /v1/jobs/{id}, GET /v1/jobs/{id}/events (SSE with
// Last-Event-ID replay), POST /v1/jobs/{id}/cancel. Jobs outlive the connections watching them.
import { Hono, type Context } from "hono";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";
import { guidanceName, isFinished, isTerminal } from "@guidegate/shared";
import { invalidRequest, notFound, onError, readJson } from "../errors.ts";
import { finishQuietly, IDEMPOTENCY_HEADER, jobExpired, stillRunning } from "../idempotency/claim.ts";
import { fingerprint } from "../idempotency/fingerprint.ts";
import { Flights } from "../idempotency/flights.ts";
import type { IdempotencyRecord } from "../ledger/types.ts";
import { recordEvent } from "../jobs/record.ts";
import type { JobRecord } from "../jobs/types.ts";
import { keepAlive, onDisconnect } from "../relay/sse.ts";
import { startGeneration } from "../relay/start.ts";
import type { AppEnv } from "../auth/caller.ts";
import { background, type RouteDeps } from "./context.ts";
import { errorFields } from "../observability/log.ts";

export const EVENTS_PATH = /^\/v1\/jobs\/[^/]+\/events$/;
/** How often a stream with no new events checks that its job still exists (keep-alives off). */
const FOLLOW_RECHECK_MS = 5_000;

export function jobRoutes(deps: RouteDeps) {
  const app = new Hono<AppEnv>();
  const { jobs, runs, config } = deps;
  const flights = new Flights();
  const eventsUrl = (id: string) => `${config.publicBaseUrl ?? ""}/v1/jobs/${id}/events`;

  function view(r: JobRecord) {
    return {
      id: r.id,
      object: "job" as const,
      status: r.status,
      created_at: Math.floor(r.created_at / 1000),
      finished_at: r.finished_at === null ? null : Math.floor(r.finished_at / 1000),
      model: r.model,
      size: r.size,
      n: r.n,
      steps: r.steps,
      policy: r.policy,
      seed: r.seed,
      max_nfe: r.max_nfe,
      events_url: eventsUrl(r.id),
      result: r.result,
      usage: { nfe: r.nfe, cost_micro_usd: r.nfe * r.price_micro_usd_per_nfe },
      error: r.error,
      ...(r.status === "queued" && r.position ? { position: r.position } : {}),
    };
  }

  /** The caller's job, or 404 (another tenant's job is indistinguishable from none). */
  async function own(c: Context<AppEnv>): Promise<JobRecord> {
    const rec = await jobs.get(c.req.param("id") ?? "");
    if (!rec || rec.tenant !== c.get("caller").tenant) throw notFound("No such job.", "id");
    return rec;
  }

  /** The key's first request finished (here or elsewhere): its job as it stands now, or why there is none. */
  async function joined(c: Context<AppEnv>, claimed: IdempotencyRecord): Promise<Response> {
    if (claimed.state !== "done") throw stillRunning();
    const id = claimed.job_id;
    const rec = await jobs.get(id);
    if (!rec) throw jobExpired(id); // the key outlives the job's record (24 h against GG_JOB_TTL_MS)
    c.header("idempotent-replayed", "true");
    return c.json({ id, object: "job" as const, status: rec.status, events_url: eventsUrl(id) }, 202);
  }

  async function createJob(c: Context<AppEnv>, body: unknown): Promise<Response> {
    const caller = c.get("caller");
    const started = await startGeneration(deps, {
      caller,
      body,
      idempotencyKey: c.req.header(IDEMPOTENCY_HEADER),
      path: "/v1/jobs",
      responseFormat: (req) => req.response_format,
      precheck: async (req) => {
        if (req.webhook_url) await deps.webhooks.checkUrl(req.webhook_url, "webhook_url");
      },
      joinWaitMs: config.idempotencyWaitMs,
      trace: { request_id: c.get("requestId"), traceparent: c.get("traceparent") },
      startLater: true, // a job behind its tenant's own running ones is answered 202 queued and waits here
      detachGraceMs: config.jobDetachGraceMs,
      // Every worker full: wait for room (queued, with a position) rather than answer 503.
      queueTimeoutMs: (req) =>
        req.queue_timeout_s === undefined ? config.jobQueueTimeoutMs : req.queue_timeout_s * 1000,
    });
    if (started.kind === "existing") return joined(c, started.record); // same key, same body: billed once
    const { admitted: a, resolved, claim, now } = started;
    const jobId = a.job.job_id;
    await jobs.create(
      {
        id: jobId,
        tenant: caller.tenant,
        status: "queued",
        created_at: now,
        finished_at: null,
        model: resolved.model.id,
        size: resolved.size,
        n: resolved.n,
        steps: resolved.steps,
        policy: guidanceName(resolved.guidance),
        seed: a.job.seed,
        max_nfe: a.job.max_nfe,
        price_micro_usd_per_nfe: caller.tier.price_micro_usd_per_nfe,
        nfe: 0,
        worker: a.run.worker,
        result: null,
        error: null,
      },
      a.job,
    ); // the spec: what a restarted edge re-attaches with
    if (started.req.webhook_url) await deps.webhooks.watchJob(caller.tenant, jobId, started.req.webhook_url);
    runs.set(jobId, a.run);
    // Runs to the end whether or not anyone listens. On Workers waitUntil keeps it alive only ~30 s past the response.
    background(
      c,
      a.run
        .run((ev) => recordEvent(deps, jobId, ev, deps.clock.now(), a.run.where()))
        .finally(() => runs.delete(jobId)),
    );
    const reply = { id: jobId, object: "job" as const, status: "queued" as const, events_url: eventsUrl(jobId) };
    // After the job record exists: a key marked done always names a job that can be read.
    await finishQuietly(deps.idempotency, caller.tenant, claim, 202, reply);
    return c.json(reply, 202);
  }

  app.post("/v1/jobs", async (c) => {
    const body = await readJson(c);
    const key = c.req.header(IDEMPOTENCY_HEADER);
    if (key === undefined) return createJob(c, body);
    // Callers with the same key and body while the first is being answered get its answer, refusals included.
    const flight = `${c.get("caller").tenant}\n${key}\n${await fingerprint("POST", "/v1/jobs", body)}`;
    return flights.share(flight, () => createJob(c, body).catch((err) => onError(err, c)));
  });

  app.get("/v1/jobs/:id", async (c) => c.json(view(await own(c))));

  app.post("/v1/jobs/:id/cancel", async (c) => {
    const rec = await own(c);
    if (!isFinished(rec.status)) {
      const run = runs.get(rec.id);
      if (run) run.cancel();
      else if (rec.worker) await deps.pool.cancel(rec.worker, rec.id); // consumed elsewhere: tell the worker directly
    }
    return c.json({ ...view(rec), cancel_requested: !isFinished(rec.status) }, 202);
  });

  /** Logged events after `after`, live, until the terminal event, the job's end or the client leaving. */
  async function follow(sse: SSEStreamingApi, id: string, after: number, gone: AbortSignal): Promise<void> {
    for (;;) {
      for (const { seq, event } of await jobs.events(id, after)) {
        if (gone.aborted) return;
        await sse.writeSSE({ id: String(seq), event: event.event, data: JSON.stringify(event) });
        after = seq;
        if (isTerminal(event)) return;
      }
      const rec = await jobs.get(id);
      if (gone.aborted || !rec) return;
      // The terminal event is logged before the status says so: a finished job with nothing after the
      // client's Last-Event-ID (at or past the end) will never have more to send.
      if (isFinished(rec.status) && (await jobs.events(id, after)).length === 0) return;
      await jobs.wait(id, after, config.keepAliveMs || FOLLOW_RECHECK_MS, gone);
    }
  }

  app.get("/v1/jobs/:id/events", async (c) => {
    const rec = await own(c);
    const raw = c.req.header("last-event-id") ?? c.req.query("last_event_id") ?? "";
    if (raw !== "" && !/^\d{1,15}$/.test(raw.trim()))
      throw invalidRequest("invalid_last_event_id", "Last-Event-ID must be a non-negative integer.", "Last-Event-ID");
    const after = raw === "" ? 0 : Number(raw.trim());
    // Nothing left to send: 204 tells EventSource to stop reconnecting.
    if (isFinished(rec.status) && (await jobs.events(rec.id, after)).length === 0) return c.body(null, 204);
    const close = deps.streams.open(rec.tenant); // 429 / 503 before the stream starts

    return streamSSE(c, async (sse) => {
      const gone = new AbortController();
      const stop = onDisconnect(c, sse, () => gone.abort());
      const stopKeepAlive = keepAlive(sse, config.keepAliveMs);
      try {
        await follow(sse, rec.id, after, gone.signal);
      } catch (err) {
        c.get("log").error("job event stream failed: {error}", errorFields(err));
      } finally {
        stopKeepAlive();
        stop();
        close();
      }
    });
  });

  return app;
}
