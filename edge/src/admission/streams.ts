// Open event streams (GET /v1/jobs/{id}/events), counted per tenant and in total: a stream is cheap to
// open and holds a connection and a timer for as long as its job lives, so one tenant must not hold them
// all. An interface, so a Durable Object could count across isolates; this one counts in process.
import { overloaded, tenantLimited } from "../errors.ts";

export interface StreamLimits {
  maxEventStreamsPerTenant: number;
  maxEventStreams: number;
}

export interface StreamGate {
  /** Count one more open stream for `tenant`, or throw 429 (the tenant's cap) / 503 (the total); call the result once on close. */
  open(tenant: string): () => void;
}

/** A client whose stream was refused retries after this; streams end with their jobs, so seconds free one. */
const RETRY_STREAM_S = 5;

export function createStreamGate(limits: StreamLimits): StreamGate {
  const open = new Map<string, number>();
  let total = 0;
  return {
    open(tenant) {
      const mine = open.get(tenant) ?? 0;
      if (mine >= limits.maxEventStreamsPerTenant)
        throw tenantLimited(
          "too_many_streams",
          `You have ${mine} event streams open, the most one tenant may hold; close one (or wait for its job to end).`,
          RETRY_STREAM_S,
        );
      if (total >= limits.maxEventStreams)
        throw overloaded(
          RETRY_STREAM_S,
          "The gateway holds as many event streams as it can; retry later.",
          "stream_capacity",
        );
      open.set(tenant, mine + 1);
      total++;
      let closed = false;
      return () => {
        if (closed) return;
        closed = true;
        total--;
        const left = (open.get(tenant) ?? 1) - 1;
        if (left > 0) open.set(tenant, left);
        else open.delete(tenant);
      };
    },
  };
}
