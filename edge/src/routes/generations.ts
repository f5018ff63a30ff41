// POST /v1/images/generations and POST /v1/images/edits: OpenAI Images compatible, synchronous
// JSON or SSE stream. An edit differs only in its body (multipart, images) and is answered alike.
import { Hono, type Context } from "hono";
import { streamSSE } from "hono/streaming";
import { type ErrorBody, type GenerationRequest, STATUS_OF } from "@guidegate/shared";
import type { AppEnv } from "../auth/caller.ts";
import { ApiError, errorResponse, invalidRequest, readJson, requestCancelled } from "../errors.ts";
import { type Claim, finishQuietly, IDEMPOTENCY_HEADER, releaseQuietly, stillRunning } from "../idempotency/claim.ts";
import type { IdempotencyRecord } from "../ledger/types.ts";
import type { Admitted } from "../relay/admit.ts";
import {
  completedEvents,
  generationResponse,
  type ImageMeta,
  PartialPicker,
  partialImageEvent,
  streamError,
} from "../relay/openai.ts";
import { keepAlive, onDisconnect } from "../relay/sse.ts";
import { startGeneration } from "../relay/start.ts";
import { readEditBody } from "../edits/form.ts";
import type { RouteDeps } from "./context.ts";
import { errorFields } from "../observability/log.ts";

const PATH = "/v1/images/generations";
export const EDITS_PATH = "/v1/images/edits";

/** A synchronous request answers with its own result: a webhook is for jobs, which outlive the request. */
async function refuseWebhookUrl(req: GenerationRequest): Promise<void> {
  if (req.webhook_url !== undefined)
    throw invalidRequest("unsupported_parameter", "webhook_url is accepted by POST /v1/jobs only.", "webhook_url");
  // A synchronous request does not wait for capacity: it is answered 503 with Retry-After.
  if (req.queue_timeout_s !== undefined)
    throw invalidRequest(
      "unsupported_parameter",
      "queue_timeout_s is accepted by POST /v1/jobs only.",
      "queue_timeout_s",
    );
}

/** Generations start from text; an image goes to the edits route, as in OpenAI's API. */
async function generationPrecheck(req: GenerationRequest): Promise<void> {
  await refuseWebhookUrl(req);
  if (req.image !== undefined)
    throw invalidRequest(
      "unsupported_parameter",
      `image is accepted by POST ${EDITS_PATH} and POST /v1/jobs.`,
      "image",
    );
}

async function editPrecheck(req: GenerationRequest): Promise<void> {
  await refuseWebhookUrl(req);
  if (req.image === undefined) throw invalidRequest("missing_image", "An edit needs image.", "image");
}

/** A failure event turned back into an HTTP error (synchronous requests only). */
function asApiError(e: ErrorBody): ApiError {
  const headers: Record<string, string> = e.type === "overloaded_error" ? { "retry-after": "2" } : {};
  return new ApiError(e.type, e.code, e.message, { param: e.param, status: STATUS_OF[e.type], headers });
}

function metaFor(req: GenerationRequest, size: string, created: number): ImageMeta {
  const kind = req.image !== undefined ? "image_edit" : "image_generation";
  return { kind, created_at: created, size, output_format: req.output_format, quality: "auto", background: "opaque" };
}

export function generationRoutes(deps: RouteDeps) {
  const app = new Hono<AppEnv>();

  const finish = (tenant: string, claim: Claim, body: unknown) =>
    finishQuietly(deps.idempotency, tenant, claim, 200, body);

  async function sync(c: Context<AppEnv>, a: Admitted, req: GenerationRequest, claim: Claim, created: number) {
    const tenant = c.get("caller").tenant;
    // Dropping this connection cancels the generation; the worker reports what it spent.
    const stop = onDisconnect(c, null, () => a.run.cancel());
    const outcome = await a.run.run(() => {});
    stop();
    if (outcome.kind === "completed") {
      const body = generationResponse(a.job.job_id, created, outcome.event, req.response_format);
      await finish(tenant, claim, body);
      return c.json(body, 200);
    }
    await releaseQuietly(deps.idempotency, tenant, claim);
    if (outcome.kind === "failed") throw asApiError(outcome.error);
    return errorResponse(requestCancelled(), c.get("requestId"));
  }

  function stream(c: Context<AppEnv>, a: Admitted, req: GenerationRequest, claim: Claim, created: number) {
    const tenant = c.get("caller").tenant;
    const meta = metaFor(req, a.resolved.size, created);
    return streamSSE(c, async (sse) => {
      const stop = onDisconnect(c, sse, () => a.run.cancel());
      const stopKeepAlive = keepAlive(sse, deps.config.keepAliveMs);
      const picker = new PartialPicker(req.partial_images, a.resolved.runSteps);
      const send = (event: string, data: unknown) =>
        sse.aborted ? Promise.resolve() : sse.writeSSE({ event, data: JSON.stringify(data) });
      try {
        const outcome = await a.run.run(async (ev) => {
          if (ev.event === "preview") {
            const index = picker.pick(ev);
            if (index === null) return;
            const partial = partialImageEvent(ev, index, meta);
            await send(partial.type, partial);
          } else if (ev.event === "completed") {
            for (const e of completedEvents(ev, meta, a.job.job_id)) await send(e.type, e);
          } else if (ev.event === "failed") {
            await send("error", streamError(ev.error));
          }
        });
        if (outcome.kind === "completed")
          await finish(tenant, claim, generationResponse(a.job.job_id, created, outcome.event, "b64_json"));
        else await releaseQuietly(deps.idempotency, tenant, claim);
      } catch (err) {
        // Never let hono write e.message to the client: send our own sanitized error.
        c.get("log").error("generation stream failed: {error}", errorFields(err));
        await send(
          "error",
          streamError({
            type: "server_error",
            code: "internal_error",
            message: "An internal error occurred.",
            param: null,
          }),
        );
      } finally {
        stopKeepAlive();
        stop();
      }
    });
  }

  /** A finished request replayed under its Idempotency-Key. */
  function replay(c: Context<AppEnv>, rec: IdempotencyRecord, req: GenerationRequest, size: string) {
    const headers = { "content-type": "application/json; charset=UTF-8", "idempotent-replayed": "true" };
    if (!req.stream) return new Response(rec.response, { status: rec.status ?? 200, headers });
    const body = JSON.parse(rec.response ?? "{}") as ReturnType<typeof generationResponse>;
    const meta = metaFor(req, size, body.created);
    c.header("idempotent-replayed", "true");
    return streamSSE(c, async (sse) => {
      const completed = {
        event: "completed" as const,
        seed: body.seed,
        usage: body.usage,
        images: body.data.map((d) => ({ ...d, width: 0, height: 0 })),
      };
      for (const e of completedEvents(completed, meta, body.id))
        await sse.writeSSE({ event: e.type, data: JSON.stringify(e) });
    });
  }

  async function answer(c: Context<AppEnv>, path: string, body: unknown, precheck: typeof refuseWebhookUrl) {
    const started = await startGeneration(deps, {
      caller: c.get("caller"),
      body,
      idempotencyKey: c.req.header(IDEMPOTENCY_HEADER),
      path,
      responseFormat: (req) => (req.stream ? "b64_json" : req.response_format),
      signal: c.req.raw.signal,
      precheck,
      trace: { request_id: c.get("requestId"), traceparent: c.get("traceparent") },
    });
    const { req } = started;
    if (started.kind === "existing") {
      if (started.record.state !== "done" || started.record.response === null) throw stillRunning();
      return replay(c, started.record, req, started.resolved.size);
    }
    const { admitted, claim } = started;
    const created = Math.floor(started.now / 1000);
    return req.stream ? stream(c, admitted, req, claim, created) : sync(c, admitted, req, claim, created);
  }

  app.post(PATH, async (c) => answer(c, PATH, await readJson(c), generationPrecheck));
  app.post(EDITS_PATH, async (c) =>
    answer(c, EDITS_PATH, await readEditBody(c, deps.config.editImageBytes), editPrecheck),
  );

  return app;
}
