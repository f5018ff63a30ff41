// Who is calling: what the auth middleware puts on Hono's context for the handlers after it.
import type { Tier } from "@guidegate/shared";

export interface Caller {
  tenant: string;
  tierName: string;
  tier: Tier;
}

/** Hono's typed context for every authenticated route. */
export type AppEnv = { Variables: { caller: Caller } };
