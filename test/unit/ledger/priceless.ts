// What a SQL store makes of a ledger from before reservations recorded their price, tier and policy (test/support/
// priceless-ledger.ts): old settles stay unpriced instead of being guessed at, old open reservations settle
// unpriced, old rows carry no tier or policy, and everything reserved since is billed at its own price. The SQLite and Durable Object suites run it.
import { expect } from "vitest";
import { newJobId } from "../../../edge/src/ledger/ids.ts";
import type { Ledger } from "../../../edge/src/ledger/types.ts";
import {
  PRICELESS_NOW as NOW,
  PRICELESS_OPEN,
  PRICELESS_SETTLED,
  PRICELESS_TENANT as T,
} from "../../support/priceless-ledger.ts";
import { at } from "./terms.ts";

const QUOTA = 1000;

/** Runs against a store just opened over the seeded rows; leaves it with 37 NFEs used, 27 of them unpriced. */
export async function expectPricelessMigrated(ledger: Ledger): Promise<void> {
  expect(await ledger.usage(T, QUOTA, NOW)).toMatchObject({ used: 20, reserved: 10, cost_micro_usd: 0, unpriced: 20 });
  expect(await ledger.get(PRICELESS_SETTLED)).toMatchObject({
    state: "settled",
    spent: 20,
    price_micro_usd_per_nfe: null,
    tier: null,
    policy: null,
    settled_at: null,
    expired_at: null,
  });
  expect(await ledger.settle(PRICELESS_OPEN, 7, NOW)).toBe(true); // reserved before the upgrade, settled after
  expect(await ledger.get(PRICELESS_OPEN)).toMatchObject({ tier: null, policy: null });
  const job = newJobId(T);
  expect((await ledger.reserve(T, job, 10, QUOTA, NOW, at(50))).ok).toBe(true);
  expect(await ledger.get(job)).toMatchObject({ tier: "pro", policy: "cfg" });
  expect(await ledger.settle(job, 10, NOW)).toBe(true);
  expect(await ledger.usage(T, QUOTA, NOW)).toMatchObject({
    used: 37,
    reserved: 0,
    cost_micro_usd: 10 * 50,
    unpriced: 27,
    late_settled: 0,
  });
  // Old rows have no policy: they group apart, unpriced, and the breakdowns still sum to the totals.
  const report = await ledger.report(T, QUOTA, NOW, "2026-07");
  expect(report.by_policy).toEqual([
    { policy: null, used: 27, cost_micro_usd: 0, unpriced: 27, jobs: 2 },
    { policy: "cfg", used: 10, cost_micro_usd: 500, unpriced: 0, jobs: 1 },
  ]);
  expect(report.by_day).toEqual([{ day: "2026-07-10", used: 37, cost_micro_usd: 500, unpriced: 27, jobs: 3 }]);
  const rows = await ledger.settledJobs(T, "2026-07", null, 10);
  expect(rows.map((r) => [r.job_id, r.spent, r.settled_at])).toEqual(
    expect.arrayContaining([
      [PRICELESS_SETTLED, 20, null],
      [PRICELESS_OPEN, 7, NOW],
      [job, 10, NOW],
    ]),
  );
}
