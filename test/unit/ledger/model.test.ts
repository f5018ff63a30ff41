// Model-based test: random sequences of reserve / settle / void / usage / report / get over two tenants, with a clock
// that crosses a month boundary, jitters backwards and runs past the lease, compared call by call with a
// plain reference model. The model sums reservations; the stores keep running totals, so drift shows up here.
// Each reserve carries a random tier price (the tier changes between jobs): the model bills each settle at the
// price of its own reservation, so a store that bills at any other price fails here. Settles advance the clock too,
// so some come after the lease (before or after a sweep released the hold): billed, and counted late. Reports and
// the paged export of settled jobs are compared too: SQL stores group with GROUP BY, the model by hand.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newJobId } from "../../../edge/src/ledger/ids.ts";
import {
  type JobTerms,
  type Ledger,
  type PricedReservation,
  type Reservation,
  periodOf,
  type ReserveResult,
  type TenantUsage,
  type UsageReport,
} from "../../../edge/src/ledger/types.ts";
import { useDenoKv } from "../../support/deno-kv.ts";
import { useTenantLedgerWorkerd } from "../../support/tenant-ledger-workerd.ts";
import { allStores, type Stores } from "./stores.ts";
import { at } from "./terms.ts";

const MIN = 60_000;
const LEASE = 60 * MIN;
const START = Date.UTC(2026, 0, 31, 23, 0); // an hour before February

type Op =
  | { op: "reserve"; tenant: number; nfe: number; dt: number; price: number; policy: string }
  | { op: "again"; job: number; dt: number } // reserve an existing id once more
  | { op: "settle"; job: number; spent: number; dt: number }
  | { op: "void"; job: number }
  | { op: "usage"; tenant: number; dt: number }
  | { op: "report"; tenant: number; dt: number; february: boolean };

const dtArb = fc.integer({ min: -5 * MIN, max: 30 * MIN });
// Halves of µUSD: fractional prices, yet every sum of spent × price is exact in a double, in any order.
const priceArb = fc.integer({ min: 0, max: 200 }).map((h) => h / 2);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("reserve" as const),
      tenant: fc.nat(1),
      nfe: fc.nat(40),
      dt: dtArb,
      price: priceArb,
      policy: fc.constantFrom("cfg", "apg", "none"),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("again" as const), job: fc.nat(), dt: dtArb }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("settle" as const),
      job: fc.nat(),
      spent: fc.integer({ min: -3, max: 50 }),
      dt: dtArb, // settles come late too: past the lease, before or after a sweep released the hold
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("void" as const), job: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("usage" as const), tenant: fc.nat(1), dt: dtArb }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant("report" as const), tenant: fc.nat(1), dt: dtArb, february: fc.boolean() }),
  },
);
const PERIODS = ["2026-01", "2026-02"];

/** The reference: a list of reservations and nothing else. */
class Model {
  readonly jobs = new Map<string, PricedReservation>();
  constructor(readonly quota: number) {}

  private expire(tenant: string, now: number): void {
    for (const r of this.jobs.values()) {
      if (r.tenant !== tenant || r.state !== "reserved" || r.created_at > now - LEASE) continue;
      r.state = "voided";
      r.expired_at = now;
    }
  }
  usage(tenant: string, now: number, period = periodOf(now)): TenantUsage {
    this.expire(tenant, now);
    let used = 0;
    let reserved = 0;
    let cost_micro_usd = 0;
    let late_settled = 0;
    for (const r of this.jobs.values()) {
      if (r.tenant !== tenant || r.period !== period) continue;
      if (r.state === "settled") used += r.spent ?? 0;
      if (r.state === "settled") cost_micro_usd += (r.spent ?? 0) * r.price_micro_usd_per_nfe;
      if (r.state === "settled" && r.expired_at !== null) late_settled += r.spent ?? 0;
      if (r.state === "reserved") reserved += r.reserved;
    }
    const remaining = Math.max(0, this.quota - used - reserved);
    const u = { tenant, period, quota: this.quota, used, reserved, remaining, cost_micro_usd, unpriced: 0 };
    return { ...u, late_settled };
  }
  reserve(tenant: string, id: string, nfe: number, now: number, terms: JobTerms): ReserveResult {
    if (this.jobs.has(id)) return { ok: false, reason: "duplicate_job" };
    const u = this.usage(tenant, now);
    if (u.used + u.reserved + nfe > this.quota) return { ok: false, reason: "quota_exhausted", usage: u };
    const r: PricedReservation = {
      job_id: id,
      tenant,
      reserved: nfe,
      spent: null,
      state: "reserved",
      period: u.period,
      created_at: now,
      price_micro_usd_per_nfe: terms.price_micro_usd_per_nfe,
      tier: terms.tier,
      policy: terms.policy,
      settled_at: null,
      expired_at: null,
    };
    this.jobs.set(id, r);
    return { ok: true, reservation: { ...r } };
  }
  /** The period's settled rows, as every store pages them: by (created_at, job_id). */
  settled(tenant: string, period: string): PricedReservation[] {
    return [...this.jobs.values()]
      .filter((r) => r.tenant === tenant && r.period === period && r.state === "settled")
      .sort((a, b) => a.created_at - b.created_at || (a.job_id < b.job_id ? -1 : 1));
  }
  report(tenant: string, now: number, period: string): UsageReport {
    const usage = this.usage(tenant, now, period);
    const group = <K extends string>(keyOf: (r: PricedReservation) => K) => {
      const out = new Map<K, { used: number; cost_micro_usd: number; unpriced: number; jobs: number }>();
      for (const r of this.settled(tenant, period)) {
        const b = out.get(keyOf(r)) ?? { used: 0, cost_micro_usd: 0, unpriced: 0, jobs: 0 };
        out.set(keyOf(r), {
          used: b.used + (r.spent ?? 0),
          cost_micro_usd: b.cost_micro_usd + (r.spent ?? 0) * r.price_micro_usd_per_nfe,
          unpriced: 0,
          jobs: b.jobs + 1,
        });
      }
      return [...out.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    };
    return {
      ...usage,
      by_day: group((r) => new Date(r.created_at).toISOString().slice(0, 10)).map(([day, b]) => ({ day, ...b })),
      by_policy: group((r) => r.policy).map(([policy, b]) => ({ policy, ...b })),
    };
  }
  void(id: string): boolean {
    const r = this.jobs.get(id);
    if (r?.state !== "reserved") return false;
    r.state = "voided";
    return true;
  }
  /** Open, or released by its lease: billed; late when the lease had run out by `now`. */
  settle(id: string, spent: number, now: number): boolean {
    const r = this.jobs.get(id);
    const expired = r?.state === "voided" && r.expired_at !== null;
    if (!r || (r.state !== "reserved" && !expired)) return false;
    const late = expired || r.created_at <= now - LEASE;
    r.state = "settled";
    r.spent = Math.min(r.reserved, Math.max(0, spent));
    r.settled_at = now;
    if (late && r.expired_at === null) r.expired_at = now;
    return true;
  }
}

/** Every settled job of the period, read `limit` at a time. */
async function pageAll(ledger: Ledger, tenant: string, period: string, limit: number): Promise<Reservation[]> {
  const rows: Reservation[] = [];
  for (;;) {
    const page = await ledger.settledJobs(tenant, period, rows.at(-1) ?? null, limit);
    rows.push(...page);
    if (page.length < limit) return rows;
  }
}

const RUNS: Record<string, number> = { memory: 300, sqlite: 150 };
let seq = 0;

const workerd = useTenantLedgerWorkerd();
const denoKv = useDenoKv();

for (const [name, make] of allStores(workerd, denoKv.kv)) {
  describe(`Ledger model: ${name}`, () => {
    let stores: Stores;
    beforeAll(() => {
      stores = make({ leaseMs: LEASE });
    });
    afterAll(() => stores.close());

    it("answers every call exactly as the reference model, across leases and the month boundary", async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 150 }), fc.array(opArb, { maxLength: 40 }), async (quota, ops) => {
          const { ledger } = stores;
          const run = ++seq;
          const tenants = [`m${run}-a`, `m${run}-b`];
          const model = new Model(quota);
          const ids: { id: string; tenant: string; nfe: number; terms: JobTerms }[] = [];
          let now = START;
          for (const o of ops) {
            if (o.op === "reserve") {
              now += o.dt;
              const tenant = tenants[o.tenant]!;
              const id = newJobId(tenant);
              const terms = at(o.price, o.policy);
              ids.push({ id, tenant, nfe: o.nfe, terms });
              expect(await ledger.reserve(tenant, id, o.nfe, quota, now, terms)).toEqual(
                model.reserve(tenant, id, o.nfe, now, terms),
              );
            } else if (o.op === "usage") {
              now += o.dt;
              const tenant = tenants[o.tenant]!;
              expect(await ledger.usage(tenant, quota, now)).toEqual(model.usage(tenant, now));
            } else if (o.op === "report") {
              now += o.dt;
              const [tenant, period] = [tenants[o.tenant]!, PERIODS[Number(o.february)]!];
              expect(await ledger.report(tenant, quota, now, period)).toEqual(model.report(tenant, now, period));
            } else if (ids.length > 0) {
              const j = ids[o.job % ids.length]!;
              if (o.op === "again") {
                now += o.dt;
                expect(await ledger.reserve(j.tenant, j.id, j.nfe, quota, now, j.terms)).toEqual(
                  model.reserve(j.tenant, j.id, j.nfe, now, j.terms),
                );
              } else if (o.op === "settle") {
                now += o.dt;
                expect(await ledger.settle(j.id, o.spent, now)).toBe(model.settle(j.id, o.spent, now));
              } else {
                expect(await ledger.void(j.id)).toBe(model.void(j.id));
              }
            }
          }
          for (const j of ids) expect(await ledger.get(j.id)).toEqual(model.jobs.get(j.id) ?? null);
          for (const tenant of tenants) {
            for (const t of [now, START]) expect(await ledger.usage(tenant, quota, t)).toEqual(model.usage(tenant, t));
            for (const period of PERIODS) {
              expect(await ledger.report(tenant, quota, now, period)).toEqual(model.report(tenant, now, period));
              expect(await pageAll(ledger, tenant, period, 1 + (run % 4))).toEqual(model.settled(tenant, period));
            }
          }
        }),
        { numRuns: RUNS[name] ?? 60 },
      );
    });
  });
}
