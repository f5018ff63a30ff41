// Every request gets an id and a span: the client's `x-request-id` when well-formed (shared/src/trace.ts), a
// fresh one otherwise, returned in the `x-request-id` response header and in every error envelope (errors.ts);
// a `traceparent` whose trace the client started, or a new trace. Both go to the worker with the job, and every
// log line of the request carries them through the request's own logger (`c.get("log")`).
import { createMiddleware } from "hono/factory";
import {
  childSpan,
  formatTraceparent,
  parseTraceparent,
  REQUEST_ID_HEADER,
  requestIdOf,
  TRACEPARENT_HEADER,
} from "@guidegate/shared";
import type { AppEnv } from "../auth/caller.ts";
import type { Clock } from "../clock.ts";
import { edgeLog } from "./log.ts";

/** Sets requestId, traceparent and log for the handlers after it; logs one access line per request. */
export function requestContext(clock: Clock) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const requestId = requestIdOf(c.req.header(REQUEST_ID_HEADER));
    const span = childSpan(parseTraceparent(c.req.header(TRACEPARENT_HEADER)));
    const log = edgeLog.with({ request_id: requestId, trace_id: span.traceId, span_id: span.spanId });
    c.set("requestId", requestId);
    c.set("traceparent", formatTraceparent(span));
    c.set("log", log);
    const startedMs = clock.now();
    await next();
    setHeader(c.res, REQUEST_ID_HEADER, requestId, (res) => {
      c.res = res;
    });
    const status = c.res.status;
    const fields = { method: c.req.method, path: c.req.path, status, duration_ms: clock.now() - startedMs };
    if (status >= 500) log.error("request {method} {path} {status}", fields);
    else log.info("request {method} {path} {status}", fields);
  });
}

/** Responses passed through from a fetch have immutable headers: those are copied once. */
function setHeader(res: Response, name: string, value: string, replace: (r: Response) => void): void {
  try {
    res.headers.set(name, value);
  } catch {
    const copy = new Response(res.body, res);
    copy.headers.set(name, value);
    replace(copy);
  }
}
