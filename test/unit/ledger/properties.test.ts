// Property tests (reference B3 "Invariants to test"): random concurrent jobs against each store, interleaved by
// fast-check's scheduler. Every ledger call waits for the scheduler, so each run explores one interleaving. Then
// late settles: a settle that outran its lease is billed once, whether or not the sweep released its hold first.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newJobId } from "../../../edge/src/ledger/ids.ts";
import { periodOf, type ReserveResult, type TenantUsage } from "../../../edge/src/ledger/types.ts";
import { useDenoKv } from "../../support/deno-kv.ts";
import { useTenantLedgerWorkerd } from "../../support/tenant-ledger-workerd.ts";
import { allStores, type Stores } from "./stores.ts";
import { at } from "./terms.ts";

const JAN_LAST = Date.UTC(2026, 0, 31, 23, 0); // the last hour of January ...
const FEB_FIRST = Date.UTC(2026, 1, 1); // ... and the first hour of February: every run straddles a rollover
const HOUR = 3_600_000;

type After = { kind: "settle"; spent: number } | { kind: "void" } | { kind: "reserve_again" };
interface Job {
  nfe: number;
  now: number;
  price: number; // µUSD per NFE: the tier price when this job is reserved
  after: After[]; // the first settle/void ends the job; the rest must change nothing
}
interface Scenario {
  quota: number;
  jobs: Job[];
  reads: number[]; // `now` of concurrent usage reads
}

const nowArb = fc.oneof(
  fc.integer({ min: 0, max: HOUR - 1 }).map((d) => JAN_LAST + d),
  fc.integer({ min: 0, max: HOUR - 1 }).map((d) => FEB_FIRST + d),
);
// Halves of µUSD: fractional prices, yet every sum of spent × price is exact in a double, in any order.
const priceArb = fc.integer({ min: 0, max: 200 }).map((h) => h / 2);
const spentArb = fc.oneof(
  fc.integer({ min: 0, max: 40 }),
  fc.integer({ min: -5, max: 100 }),
  fc.double({ min: -10, max: 100, noNaN: true }),
);
const afterArb: fc.Arbitrary<After> = fc.oneof(
  { weight: 3, arbitrary: spentArb.map((spent) => ({ kind: "settle" as const, spent })) },
  { weight: 2, arbitrary: fc.constant({ kind: "void" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "reserve_again" as const }) },
);
const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  quota: fc.integer({ min: 0, max: 120 }),
  jobs: fc.array(
    fc.record({
      nfe: fc.integer({ min: 0, max: 40 }),
      now: nowArb,
      price: priceArb,
      after: fc.array(afterArb, { maxLength: 3 }),
    }),
    { minLength: 1, maxLength: 8 },
  ),
  reads: fc.array(nowArb, { maxLength: 4 }),
});

type PriceOp =
  | { kind: "reserve"; nfe: number; price: number; job: number }
  | { kind: "settle"; spent: number; job: number }
  | { kind: "void"; job: number };
// The tier price changes between reserves; settles and voids pick any job made so far, ended or not.
const priceOpArb: fc.Arbitrary<PriceOp> = fc.oneof(
  fc.record({ kind: fc.constant("reserve" as const), nfe: fc.nat(40), price: priceArb, job: fc.nat() }),
  fc.record({ kind: fc.constant("settle" as const), spent: fc.nat(50), job: fc.nat() }),
  fc.record({ kind: fc.constant("void" as const), job: fc.nat() }),
);
const PRICE_QUOTA = 30 * 40; // room for every reserve of the longest sequence

const expectedSpent = (arg: number, reserved: number): number => Math.min(reserved, Math.max(0, Math.floor(arg)));

// Late settles: jobs reserved over a few leases, each settled after a delay that may outrun the lease, with usage
// reads (each one a sweep) and repeated settles in between; times in minutes from JAN_LAST's month start.
const LATE_LEASE = 10 * 60_000;
const LATE_START = Date.UTC(2026, 0, 10);
interface LateJob {
  at: number; // minute of the reserve
  nfe: number;
  price: number;
  spent: number;
  delay: number; // minutes from reserve to its settle
  again: number[]; // further settles, minutes after the first: each must change nothing
}
const lateJobArb: fc.Arbitrary<LateJob> = fc.record({
  at: fc.integer({ min: 0, max: 40 }),
  nfe: fc.integer({ min: 0, max: 40 }),
  price: priceArb,
  spent: fc.integer({ min: 0, max: 50 }),
  delay: fc.integer({ min: 0, max: 25 }), // up to 2.5 leases
  again: fc.array(fc.integer({ min: 0, max: 15 }), { maxLength: 2 }),
});
const lateScenarioArb = fc.record({
  quota: fc.integer({ min: 0, max: 120 }),
  jobs: fc.array(lateJobArb, { minLength: 1, maxLength: 8 }),
  reads: fc.array(fc.integer({ min: 0, max: 70 }), { maxLength: 6 }), // minutes of sweeping usage reads
});
type LateEvent = { t: number } & ({ kind: "reserve" | "settle"; job: number } | { kind: "read" });

/** Every reserve, settle and read in time order (reserve before settle within a minute, as a job runs). */
function lateTimeline(sc: { jobs: LateJob[]; reads: number[] }): LateEvent[] {
  const events: LateEvent[] = sc.reads.map((t) => ({ t, kind: "read" }));
  for (const [job, j] of sc.jobs.entries()) {
    events.push({ t: j.at, kind: "reserve", job }, { t: j.at + j.delay, kind: "settle", job });
    for (const d of j.again) events.push({ t: j.at + j.delay + d, kind: "settle", job });
  }
  const order = { reserve: 0, settle: 1, read: 2 };
  return events.sort((a, b) => a.t - b.t || order[a.kind] - order[b.kind]);
}

const RUNS: Record<string, number> = { memory: 300, sqlite: 150 };

let tenantSeq = 0;

const workerd = useTenantLedgerWorkerd();
const denoKv = useDenoKv();

for (const [name, make] of allStores(workerd, denoKv.kv)) {
  describe(`Ledger properties: ${name}`, () => {
    let stores: Stores;
    beforeAll(() => {
      // One store for all runs (each run has a fresh tenant); a day's lease so nothing expires in these 2 hours.
      stores = make({ leaseMs: 24 * HOUR });
    });
    afterAll(() => stores.close());

    it("keeps the quota, ends each reservation once, bills what was settled at its price, rolls over by month", async () => {
      await fc.assert(
        fc.asyncProperty(fc.scheduler(), scenarioArb, async (s, sc) => {
          const { ledger } = stores;
          const tenant = `prop-${name}-${++tenantSeq}`;
          const problems: string[] = [];
          const step = <T>(label: string, call: () => Promise<T>): Promise<T> =>
            s.schedule(Promise.resolve(label), label).then(call);
          const observe = (u: TenantUsage, when: string): void => {
            if (u.used + u.reserved > sc.quota)
              problems.push(`${when}: used ${u.used} + reserved ${u.reserved} > quota`);
            if (u.remaining !== Math.max(0, sc.quota - u.used - u.reserved)) problems.push(`${when}: bad remaining`);
          };

          const outcomes = sc.jobs.map(() => ({
            id: "",
            admitted: false,
            ends: 0,
            firstSettle: null as number | null,
          }));
          const runJob = async (job: Job, i: number): Promise<void> => {
            const o = outcomes[i]!;
            o.id = newJobId(tenant);
            const r: ReserveResult = await step(`reserve#${i}`, () =>
              ledger.reserve(tenant, o.id, job.nfe, sc.quota, job.now, at(job.price)),
            );
            if (r.ok) o.admitted = true;
            else if (r.reason !== "quota_exhausted") problems.push(`job ${i}: unexpected ${r.reason}`);
            else if (r.usage.used + r.usage.reserved + job.nfe <= sc.quota)
              problems.push(`job ${i}: refused with room`);
            else observe(r.usage, `refusal of ${i}`);
            observe(await ledger.usage(tenant, sc.quota, job.now), `after reserve#${i}`);
            for (const [k, a] of job.after.entries()) {
              const label = `${a.kind}#${i}.${k}`;
              if (a.kind === "reserve_again") {
                const again = await step(label, () =>
                  ledger.reserve(tenant, o.id, job.nfe, sc.quota, job.now, at(job.price)),
                );
                if (o.admitted && !(again.ok === false && again.reason === "duplicate_job")) {
                  problems.push(`${label}: a second reserve of a live id was not a duplicate`);
                }
                if (!o.admitted && again.ok) o.admitted = true; // the id was free: this is its first reservation
                continue;
              }
              const ended = await step(label, () =>
                a.kind === "settle" ? ledger.settle(o.id, a.spent, job.now) : ledger.void(o.id),
              );
              if (ended) {
                o.ends++;
                if (a.kind === "settle") o.firstSettle = a.spent;
              }
              observe(await ledger.usage(tenant, sc.quota, job.now), `after ${label}`);
            }
          };
          const reads = sc.reads.map((now, k) =>
            step(`read#${k}`, () => ledger.usage(tenant, sc.quota, now)).then((u) => observe(u, `read#${k}`)),
          );
          await s.waitFor(Promise.all([...sc.jobs.map(runJob), ...reads]));

          const totals = new Map<string, { used: number; reserved: number; cost: number }>();
          for (const [i, o] of outcomes.entries()) {
            const r = await ledger.get(o.id);
            if (!o.admitted) {
              if (r !== null || o.ends !== 0) problems.push(`job ${i}: refused but exists or ended`);
              continue;
            }
            if (!r) {
              problems.push(`job ${i}: admitted but missing`);
              continue;
            }
            if (o.ends > 1) problems.push(`job ${i}: ended ${o.ends} times`);
            if ((r.state === "reserved") !== (o.ends === 0))
              problems.push(`job ${i}: state ${r.state}, ends ${o.ends}`);
            if (r.state === "settled") {
              if (r.spent === null || r.spent > r.reserved || r.spent < 0) problems.push(`job ${i}: spent ${r.spent}`);
              if (o.firstSettle === null || r.spent !== expectedSpent(o.firstSettle, r.reserved)) {
                problems.push(`job ${i}: spent ${r.spent} is not the first settle's clamp`);
              }
            }
            if (r.state === "voided" && r.spent !== null) problems.push(`job ${i}: voided with spent`);
            if (r.price_micro_usd_per_nfe !== sc.jobs[i]!.price)
              problems.push(`job ${i}: price ${r.price_micro_usd_per_nfe}`);
            const t = totals.get(r.period) ?? { used: 0, reserved: 0, cost: 0 };
            if (r.state === "settled") t.used += r.spent ?? 0;
            if (r.state === "settled") t.cost += (r.spent ?? 0) * sc.jobs[i]!.price; // at its own reserve's price
            if (r.state === "reserved") t.reserved += r.reserved;
            totals.set(r.period, t);
          }
          for (const now of [JAN_LAST, FEB_FIRST]) {
            const u = await ledger.usage(tenant, sc.quota, now);
            const want = totals.get(periodOf(now)) ?? { used: 0, reserved: 0, cost: 0 };
            observe(u, `final ${u.period}`);
            if (u.used !== want.used || u.reserved !== want.reserved) {
              problems.push(
                `${u.period}: usage ${u.used}/${u.reserved}, reservations say ${want.used}/${want.reserved}`,
              );
            }
            if (u.cost_micro_usd !== want.cost || u.unpriced !== 0) {
              problems.push(`${u.period}: cost ${u.cost_micro_usd} (unpriced ${u.unpriced}), settles say ${want.cost}`);
            }
          }
          expect(problems).toEqual([]);
        }),
        { numRuns: RUNS[name] ?? 60 },
      );
    });

    it("bills Σ settled NFEs × the price each was reserved at; a released reservation costs nothing", async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(priceOpArb, { minLength: 1, maxLength: 30 }), async (ops) => {
          const { ledger } = stores;
          const tenant = `price-${name}-${++tenantSeq}`;
          const jobs: { id: string; price: number; nfe: number }[] = [];
          let billed = 0; // Σ spent × reserved price over the settles that took
          let before = 0; // the cost the previous read reported
          for (const op of ops) {
            const j = jobs[op.job % Math.max(1, jobs.length)];
            if (op.kind === "reserve") {
              const id = newJobId(tenant);
              jobs.push({ id, price: op.price, nfe: op.nfe });
              expect((await ledger.reserve(tenant, id, op.nfe, PRICE_QUOTA, JAN_LAST, at(op.price))).ok).toBe(true);
            } else if (j && op.kind === "settle") {
              if (await ledger.settle(j.id, op.spent, JAN_LAST)) billed += Math.min(op.spent, j.nfe) * j.price;
            } else if (j) {
              await ledger.void(j.id);
            }
            const u = await ledger.usage(tenant, PRICE_QUOTA, JAN_LAST);
            expect(u.cost_micro_usd).toBe(billed);
            if (op.kind !== "settle") expect(u.cost_micro_usd).toBe(before); // reserving and releasing cost nothing
            before = u.cost_micro_usd;
          }
        }),
        { numRuns: RUNS[name] ?? 60 },
      );
    });
  });

  describe(`Ledger late settles: ${name}`, () => {
    let stores: Stores;
    beforeAll(() => {
      stores = make({ leaseMs: LATE_LEASE });
    });
    afterAll(() => stores.close());

    it("bills a settle after its lease expired once, never twice after the sweep, with quota consistent", async () => {
      await fc.assert(
        fc.asyncProperty(lateScenarioArb, async (sc) => {
          const { ledger } = stores;
          const tenant = `late-${name}-${++tenantSeq}`;
          const ids = sc.jobs.map(() => newJobId(tenant));
          const admitted = sc.jobs.map(() => false);
          const settles = sc.jobs.map(() => 0);
          const want = { used: 0, cost: 0, late: 0 };
          const problems: string[] = [];
          const check = async (t: number, when: string): Promise<void> => {
            const u = await ledger.usage(tenant, sc.quota, t);
            // A late settle bills NFEs whose hold the lease already gave back: only by those may usage pass the quota.
            if (u.used + u.reserved > sc.quota + u.late_settled) problems.push(`${when}: over quota + late`);
            if (u.used !== want.used || u.cost_micro_usd !== want.cost || u.late_settled !== want.late) {
              problems.push(`${when}: ${u.used}/${u.cost_micro_usd}/${u.late_settled}, want ${JSON.stringify(want)}`);
            }
          };
          for (const e of lateTimeline(sc)) {
            const t = LATE_START + e.t * 60_000;
            if (e.kind === "read") {
              await check(t, `read@${e.t}`);
              continue;
            }
            const j = sc.jobs[e.job]!;
            if (e.kind === "reserve") {
              const r = await ledger.reserve(tenant, ids[e.job]!, j.nfe, sc.quota, t, at(j.price));
              admitted[e.job] = r.ok;
              continue;
            }
            const took = await ledger.settle(ids[e.job]!, j.spent, t);
            const first = admitted[e.job]! && settles[e.job] === 0;
            if (took !== first) problems.push(`settle#${e.job}@${e.t}: ${took}, want ${first}`);
            if (took) {
              settles[e.job]!++;
              const s = Math.min(j.spent, j.nfe);
              want.used += s;
              want.cost += s * j.price;
              if (j.delay * 60_000 >= LATE_LEASE) want.late += s;
            }
            await check(t, `after settle#${e.job}@${e.t}`);
          }
          const end = LATE_START + 200 * 60_000;
          expect(await ledger.usage(tenant, sc.quota, end)).toMatchObject({ reserved: 0 }); // each hold ended once
          await check(end, "end");
          for (const [i, id] of ids.entries()) {
            const r = await ledger.get(id);
            if (!admitted[i]) continue;
            const late = sc.jobs[i]!.delay * 60_000 >= LATE_LEASE;
            if (r?.state !== "settled" || (r.expired_at !== null) !== late)
              problems.push(`job ${i}: ${JSON.stringify(r)}`);
          }
          expect(problems).toEqual([]);
        }),
        { numRuns: RUNS[name] ?? 60 },
      );
    });
  });
}
