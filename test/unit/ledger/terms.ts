// Job terms for tests whose subject is not the tier or policy a reservation records: only the price varies.
import type { JobTerms } from "../../../edge/src/ledger/types.ts";

/** Terms of a pro-tier CFG job at `price` µUSD per NFE (the policy or tier given when a test is about them). */
export const at = (price: number, policy = "cfg", tier = "pro"): JobTerms => ({
  tier,
  policy,
  price_micro_usd_per_nfe: price,
});
