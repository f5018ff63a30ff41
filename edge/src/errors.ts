// One place that turns every failure into a status and the shared error envelope.
// Nothing internal (stack, exception text) ever reaches a response body.
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { z } from "zod";
import { type ErrorBody, type ErrorEnvelope, type ErrorType, STATUS_OF } from "@guidegate/shared";
import { edgeLog, errorFields, type Logger } from "./observability/log.ts";

/** A failure we mean to show the caller: status, envelope fields and extra headers. */
export class ApiError extends Error {
  readonly status: number;
  readonly type: ErrorType;
  readonly code: string;
  readonly param: string | null;
  readonly headers: Record<string, string>;

  constructor(
    type: ErrorType,
    code: string,
    message: string,
    opts: { status?: number; param?: string | null; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.type = type;
    this.code = code;
    this.status = opts.status ?? STATUS_OF[type];
    this.param = opts.param ?? null;
    this.headers = opts.headers ?? {};
  }

  get body(): ErrorBody {
    return { type: this.type, code: this.code, message: this.message, param: this.param };
  }
}

export const invalidRequest = (code: string, message: string, param: string | null = null) =>
  new ApiError("invalid_request_error", code, message, { param });
export const unauthorized = (code = "invalid_token", message = "The bearer token is missing or invalid.") =>
  new ApiError("authentication_error", code, message, { headers: { "www-authenticate": 'Bearer realm="guidegate"' } });
export const forbidden = (code: string, message: string, param: string | null = null) =>
  new ApiError("permission_error", code, message, { param });
export const notFound = (message = "Not found.", param: string | null = null) =>
  new ApiError("not_found_error", "not_found", message, { param });
export const quotaExhausted = (message: string) =>
  // OpenAI-style SDKs retry 429 and 5xx; x-should-retry stops them for a budget that will not refill.
  new ApiError("insufficient_quota", "quota_exhausted", message, { headers: { "x-should-retry": "false" } });
export const overloaded = (
  retryAfterSec: number,
  message = "No worker capacity is available; retry later.",
  code = "no_capacity",
) => new ApiError("overloaded_error", code, message, { headers: { "retry-after": String(retryAfterSec) } });
/** 429 for a tenant over one of its own limits (not the request rate: that is rate_limited). */
export const tenantLimited = (code: string, message: string, retryAfterSec: number) =>
  new ApiError("rate_limit_error", code, message, { headers: { "retry-after": String(retryAfterSec) } });
/** The client left before its request was answered (nginx's 499): nothing is billed for it. */
export const requestCancelled = () =>
  new ApiError("invalid_request_error", "request_cancelled", "The request was cancelled.", { status: 499 });
export const serverError = (code = "internal_error", message = "An internal error occurred.") =>
  new ApiError("server_error", code, message);

/** The dotted path of a zod issue, as a client would name the field ("guidance.scale", "data[0]"). */
export function issuePath(path: ReadonlyArray<PropertyKey>): string | null {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || null;
}

function fromZod(err: z.ZodError): ApiError {
  const issue = err.issues[0];
  if (!issue) return invalidRequest("invalid_request", "The request body is invalid.");
  if (issue.code === "unrecognized_keys") {
    // zod puts the object's path on the issue; the client needs the key it misspelt ("guidance.scal").
    const names = issue.keys.map((k) => issuePath([...issue.path, k]));
    const list = names.map((n) => `"${n}"`).join(", ");
    return invalidRequest(
      "unknown_parameter",
      `Unknown parameter ${list}; see /docs for the fields.`,
      names[0] ?? null,
    );
  }
  const param = issuePath(issue.path);
  const message = param ? `${param}: ${issue.message}` : issue.message;
  return invalidRequest("invalid_value", message, param);
}

/** Map anything thrown to the ApiError we will show; unknown failures become a generic 500. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof z.ZodError) return fromZod(err);
  if (err instanceof HTTPException) {
    if (err.status === 413)
      return new ApiError("request_too_large", "body_too_large", "The request body is too large.");
    if (err.status === 401) return unauthorized();
    if (err.status === 404) return notFound();
    if (err.status === 400) return invalidRequest("invalid_request", "The request is malformed.");
  }
  return serverError();
}

export function envelope(err: ApiError, requestId?: string): ErrorEnvelope {
  return { error: requestId === undefined ? err.body : { ...err.body, request_id: requestId } };
}

/** A JSON Response for an ApiError, with its headers; `requestId` goes into the body (request-context.ts). */
export function errorResponse(err: ApiError, requestId?: string): Response {
  const headers = new Headers({ "content-type": "application/json; charset=UTF-8", ...err.headers });
  return new Response(JSON.stringify(envelope(err, requestId)), { status: err.status, headers });
}

/** The request's id, where the request-context middleware ran before the failure. */
const requestIdOf = (c: Context): string | undefined => c.get("requestId") as string | undefined;

/** app.onError: log what was unexpected (server side only), answer with the envelope. */
export function onError(err: unknown, c: Context): Response {
  const api = toApiError(err);
  if (api.status >= 500 && !(err instanceof ApiError)) {
    const log = (c.get("log") as Logger | undefined) ?? edgeLog;
    log.error("unexpected error {error}", errorFields(err));
  }
  return errorResponse(api, requestIdOf(c));
}

/** app.notFound. */
export function onNotFound(c: Context): Response {
  return errorResponse(notFound(`No route for ${c.req.method} ${c.req.path}.`), requestIdOf(c));
}

/** A registered route as Hono lists it in `app.routes` (middleware shows as method ALL). */
export interface RouteEntry {
  method: string;
  path: string;
}

/** Hono's route syntax (`:id`, `:id{re}`, `*`) as an anchored RegExp. */
function routePattern(path: string): RegExp {
  let re = "";
  for (const part of path.split(/(:[A-Za-z_][\w]*(?:\{[^}]*\})?|\*)/)) {
    if (part === "*") re += ".*";
    else if (part.startsWith(":")) re += part.includes("{") ? `(?:${part.slice(part.indexOf("{") + 1, -1)})` : "[^/]+";
    else re += part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}/?$`);
}

/** The methods the app answers for `path` (HEAD with GET), sorted; none when no route matches it. */
export function allowedMethods(routes: readonly RouteEntry[], path: string): string[] {
  const methods = new Set<string>();
  for (const r of routes) {
    if (r.method === "ALL" || !routePattern(r.path).test(path)) continue;
    methods.add(r.method);
    if (r.method === "GET") methods.add("HEAD");
  }
  return [...methods].sort();
}

/** app.notFound for an app whose routes are known: a path served under other methods is a 405 with Allow
 * (and the envelope), anything else the 404 of onNotFound. */
export function notFoundOrMethodNotAllowed(routes: () => readonly RouteEntry[]) {
  return (c: Context): Response => {
    const allow = allowedMethods(routes(), c.req.path);
    if (allow.length === 0 || allow.includes(c.req.method)) return onNotFound(c);
    const message = `${c.req.method} is not allowed on ${c.req.path}; use ${allow.join(" or ")}.`;
    return errorResponse(
      new ApiError("method_not_allowed", "method_not_allowed", message, { headers: { allow: allow.join(", ") } }),
      requestIdOf(c),
    );
  };
}

/** `application/json`, with any parameters (charset), or a `+json` type such as application/merge-patch+json. */
function isJsonType(contentType: string): boolean {
  const media = contentType.split(";")[0]!.trim().toLowerCase();
  return media === "application/json" || /^application\/[\w.+-]+\+json$/.test(media);
}

/** The body of a request as JSON; malformed JSON is a 400, a body declared as something else a 415, never a
 * 500. A request without Content-Type is read as JSON. */
export async function readJson(c: Context): Promise<unknown> {
  const type = c.req.header("content-type");
  if (type !== undefined && !isJsonType(type)) {
    const media = type.split(";")[0]!.trim();
    const named = /^[\w.+-]{1,60}\/[\w.+-]{1,60}$/.test(media) ? media : "that is not a media type";
    throw new ApiError(
      "unsupported_media_type",
      "unsupported_media_type",
      `Content-Type ${named} is not accepted: send the body as JSON with Content-Type: application/json.`,
    );
  }
  const text = await c.req.text().catch((err: unknown) => {
    // The client went away mid-body (or the server's request timeout cut it): nobody's fault here, no 500.
    if (c.req.raw.signal?.aborted) throw invalidRequest("incomplete_body", "The request body did not arrive in full.");
    throw err;
  });
  if (!text.trim()) throw invalidRequest("invalid_json", "The request body must be a JSON object.");
  try {
    return JSON.parse(text);
  } catch {
    throw invalidRequest("invalid_json", "The request body is not valid JSON.");
  }
}
