// The worker's internal API: start a job and stream its events, cancel, health.
import { WorkerJobSchema } from "@guidegate/shared";
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { JobRunner } from "../jobs/runner.ts";
import type { SequencedEvent } from "../jobs/job.ts";
import { internalAuth } from "./auth.ts";
import { errorResponse } from "./errors.ts";

export interface WorkerAppOptions {
  runner: JobRunner;
  internalSecret: string;
  /** Validates a job against what the loaded models can do; returns an error message or null. */
  checkJob: (job: import("@guidegate/shared").WorkerJob) => { message: string; param: string } | null;
}

export function createWorkerApp(opts: WorkerAppOptions): Hono {
  const { runner } = opts;
  const app = new Hono();
  const auth = internalAuth(opts.internalSecret);

  app.get("/internal/health", (c) => c.json(runner.health()));

  app.post("/internal/jobs", auth, async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return errorResponse(c, 400, "invalid_request_error", "invalid_json", "The body is not valid JSON.");
    }
    const parsed = WorkerJobSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return errorResponse(c, 400, "invalid_request_error", "invalid_job", issue.message, issue.path.join("."));
    }
    const spec = parsed.data;
    if (c.get("internalJobId" as never) !== spec.job_id) {
      return errorResponse(c, 401, "authentication_error", "token_job_mismatch", "The token was issued for another job.");
    }
    const problem = opts.checkJob(spec);
    if (problem) return errorResponse(c, 400, "invalid_request_error", "unsupported_job", problem.message, problem.param);
    const job = runner.submit(spec);
    if (!job) {
      c.header("Retry-After", "2");
      return errorResponse(c, 503, "overloaded_error", "worker_full", "This worker's queue is full.");
    }
    const after = Number(c.req.header("last-event-id") ?? 0) || 0;
    return streamSSE(c, async (stream) => {
      let wake: (() => void) | null = null;
      const queue: SequencedEvent[] = [];
      const unsubscribe = job.subscribe((e) => {
        queue.push(e);
        wake?.();
      }, after);
      // The edge closing this stream means nobody will pay for more steps: cancel.
      stream.onAbort(() => {
        job.cancel();
        wake?.();
      });
      try {
        while (!stream.aborted) {
          const e = queue.shift();
          if (!e) {
            await new Promise<void>((r) => {
              wake = r;
            });
            wake = null;
            continue;
          }
          await stream.writeSSE({ id: String(e.seq), event: e.event.event, data: JSON.stringify(e.event) });
          if (e.event.event === "completed" || e.event.event === "failed" || e.event.event === "cancelled") break;
        }
      } finally {
        unsubscribe();
      }
    });
  });

  app.post("/internal/jobs/:id/cancel", auth, (c) => {
    const job = runner.get(c.req.param("id"));
    if (!job) return errorResponse(c, 404, "not_found_error", "job_not_found", "No such job on this worker.");
    job.cancel();
    return c.json({ id: job.id, cancelled: true }, 202);
  });

  app.notFound((c) => errorResponse(c, 404, "not_found_error", "not_found", "No such route."));
  app.onError((err, c) => {
    console.error(JSON.stringify({ level: "error", msg: "unhandled", error: String(err) }));
    return errorResponse(c, 500, "server_error", "internal", "Internal error.");
  });
  return app;
}
