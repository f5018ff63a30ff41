// Who is calling: what the auth middleware puts on Hono's context for the handlers after it.
import type { Tier } from "@guidegate/shared";
import type { Logger } from "@logtape/logtape";

export interface Caller {
  tenant: string;
  tierName: string;
  tier: Tier;
}

/** Hono's typed context for every route: the caller (authenticated routes) and the request's id, span and logger
 * (observability/request-context.ts, every route). */
export type AppEnv = { Variables: { caller: Caller; requestId: string; traceparent: string; log: Logger } };
