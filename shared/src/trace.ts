// Request ids and W3C trace context (https://www.w3.org/TR/trace-context/): what the edge accepts from a client
// and hands to a worker with each job, so one request can be followed through both services' logs.

/** A client's `x-request-id` is kept when it is 1-128 of these characters; anything else is replaced. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
/** `traceparent` version 00: version-trace_id-parent_id-flags, lower-case hex. */
export const TRACEPARENT_PATTERN = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export const REQUEST_ID_HEADER = "x-request-id";
export const TRACEPARENT_HEADER = "traceparent";

export interface TraceContext {
  traceId: string;
  /** This service's span: the parent of whatever it calls next. */
  spanId: string;
  flags: string;
}

function randomHex(bytes: number): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  let out = "";
  for (const x of b) out += x.toString(16).padStart(2, "0");
  return out;
}

const allZero = (hex: string) => /^0+$/.test(hex);

/** The incoming `traceparent` when valid (all-zero ids are invalid by the spec), else null. */
export function parseTraceparent(header: string | null | undefined): TraceContext | null {
  const m = header ? TRACEPARENT_PATTERN.exec(header.trim()) : null;
  if (!m || allZero(m[1]!) || allZero(m[2]!)) return null;
  return { traceId: m[1]!, spanId: m[2]!, flags: m[3]! };
}

/** A span of our own: a child of `parent` (same trace, new span id), or the root of a new sampled trace. */
export function childSpan(parent: TraceContext | null): TraceContext {
  return { traceId: parent?.traceId ?? randomHex(16), spanId: randomHex(8), flags: parent?.flags ?? "01" };
}

export const formatTraceparent = (t: TraceContext): string => `00-${t.traceId}-${t.spanId}-${t.flags}`;

/** The client's request id when well-formed, else a fresh one. */
export function requestIdOf(header: string | null | undefined): string {
  return header && REQUEST_ID_PATTERN.test(header) ? header : crypto.randomUUID();
}
