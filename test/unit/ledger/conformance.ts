// The behaviour every Ledger + IdempotencyStore must share (spec/api.md "Billing", reference B3). Each store's
// test file calls `ledgerConformance` with its factory; a store passes only if it behaves exactly like the others.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newJobId } from "../../../edge/src/ledger/ids.ts";
import { RESERVATION_LEASE_MS } from "../../../edge/src/ledger/lease.ts";
import {
  IDEMPOTENCY_TTL_MS,
  type IdempotencyStore,
  type JobTerms,
  type Ledger,
  type Reservation,
  SETTLED_PAGE_MAX,
} from "../../../edge/src/ledger/types.ts";
import type { StoreFactory, Stores } from "./stores.ts";
import { at } from "./terms.ts";

const JAN = Date.UTC(2026, 0, 15, 12);
const JAN_END = Date.UTC(2026, 0, 31, 23, 59, 59, 999);
const FEB_START = Date.UTC(2026, 1, 1);
const LEASE = RESERVATION_LEASE_MS;
/** The tier price (µUSD per NFE) of reserves whose price is not what a test is about. */
const P = 50;

export function ledgerConformance(name: string, make: StoreFactory): void {
  describe(`Ledger conformance: ${name}`, () => {
    let stores: Stores;
    let ledger: Ledger;
    beforeEach(() => {
      stores = make();
      ledger = stores.ledger;
    });
    afterEach(() => stores.close());

    it("reserves and reports the reservation and usage", async () => {
      const job = newJobId("t1");
      const r = await ledger.reserve("t1", job, 40, 100, JAN, at(P));
      expect(r).toEqual({
        ok: true,
        reservation: {
          job_id: job,
          tenant: "t1",
          reserved: 40,
          spent: null,
          state: "reserved",
          period: "2026-01",
          created_at: JAN,
          price_micro_usd_per_nfe: P,
          tier: "pro",
          policy: "cfg",
          settled_at: null,
          expired_at: null,
        },
      });
      expect(await ledger.get(job)).toEqual(r.ok ? r.reservation : null);
      expect(await ledger.usage("t1", 100, JAN)).toEqual({
        tenant: "t1",
        period: "2026-01",
        quota: 100,
        used: 0,
        reserved: 40,
        remaining: 60,
        cost_micro_usd: 0,
        unpriced: 0,
        late_settled: 0,
      });
    });

    it("admits up to the quota exactly and refuses one NFE more with the current usage", async () => {
      expect((await ledger.reserve("t1", newJobId("t1"), 60, 100, JAN, at(P))).ok).toBe(true);
      expect((await ledger.reserve("t1", newJobId("t1"), 40, 100, JAN, at(P))).ok).toBe(true);
      const job = newJobId("t1");
      expect(await ledger.reserve("t1", job, 1, 100, JAN, at(P))).toEqual({
        ok: false,
        reason: "quota_exhausted",
        usage: {
          tenant: "t1",
          period: "2026-01",
          quota: 100,
          used: 0,
          reserved: 100,
          remaining: 0,
          cost_micro_usd: 0,
          unpriced: 0,
          late_settled: 0,
        },
      });
      expect(await ledger.get(job)).toBeNull();
      expect((await ledger.reserve("t2", newJobId("t2"), 1000, 1000, JAN, at(P))).ok).toBe(true); // other tenants unaffected
    });

    it("refuses a reservation larger than the whole quota and allows a zero-NFE one", async () => {
      expect((await ledger.reserve("t1", newJobId("t1"), 101, 100, JAN, at(P))).ok).toBe(false);
      expect((await ledger.reserve("t1", newJobId("t1"), 0, 0, JAN, at(P))).ok).toBe(true);
    });

    it("treats a second reserve of the same job id as a duplicate and changes nothing", async () => {
      const job = newJobId("t1");
      await ledger.reserve("t1", job, 10, 100, JAN, at(P));
      expect(await ledger.reserve("t1", job, 20, 100, JAN, at(P))).toEqual({ ok: false, reason: "duplicate_job" });
      expect(await ledger.settle(job, 5, JAN)).toBe(true);
      expect(await ledger.reserve("t1", job, 20, 100, JAN, at(P))).toEqual({ ok: false, reason: "duplicate_job" });
      expect((await ledger.get(job))?.reserved).toBe(10);
      expect(await ledger.usage("t1", 100, JAN)).toMatchObject({ used: 5, reserved: 0, remaining: 95 });
    });

    it("settles once: releases the rest, counts what was spent, refuses a second settle or void", async () => {
      const job = newJobId("t1");
      await ledger.reserve("t1", job, 30, 100, JAN, at(P));
      expect(await ledger.settle(job, 12, JAN)).toBe(true);
      expect(await ledger.get(job)).toMatchObject({ state: "settled", spent: 12, reserved: 30, settled_at: JAN });
      expect(await ledger.usage("t1", 100, JAN)).toMatchObject({ used: 12, reserved: 0, remaining: 88 });
      expect(await ledger.settle(job, 30, JAN)).toBe(false);
      expect(await ledger.void(job)).toBe(false);
      expect(await ledger.get(job)).toMatchObject({ state: "settled", spent: 12 });
      expect(await ledger.usage("t1", 100, JAN)).toMatchObject({ used: 12, reserved: 0, cost_micro_usd: 12 * P });
    });

    it("clamps spent to [0, reserved] and floors fractions", async () => {
      const [a, b, c, d] = [newJobId("t1"), newJobId("t1"), newJobId("t1"), newJobId("t1")];
      for (const j of [a, b, c, d]) await ledger.reserve("t1", j, 10, 100, JAN, at(P));
      await ledger.settle(a, 11, JAN);
      await ledger.settle(b, -3, JAN);
      await ledger.settle(c, 4.9, JAN);
      await ledger.settle(d, Number.POSITIVE_INFINITY, JAN);
      expect((await ledger.get(a))?.spent).toBe(10);
      expect((await ledger.get(b))?.spent).toBe(0);
      expect((await ledger.get(c))?.spent).toBe(4);
      expect((await ledger.get(d))?.spent).toBe(10);
      expect(await ledger.usage("t1", 100, JAN)).toMatchObject({ used: 24, reserved: 0, cost_micro_usd: 24 * P });
    });

    it("voids once: releases everything, counts nothing, refuses a later settle", async () => {
      const job = newJobId("t1");
      await ledger.reserve("t1", job, 30, 100, JAN, at(P));
      expect(await ledger.void(job)).toBe(true);
      expect(await ledger.get(job)).toMatchObject({ state: "voided", spent: null });
      expect(await ledger.settle(job, 5, JAN)).toBe(false);
      expect(await ledger.void(job)).toBe(false);
      expect(await ledger.usage("t1", 100, JAN)).toMatchObject({ used: 0, reserved: 0, remaining: 100 });
      expect(await ledger.usage("t1", 100, JAN)).toMatchObject({ cost_micro_usd: 0, unpriced: 0 });
    });

    it("bills each settle at the price recorded when it was reserved, across a mid-period price change", async () => {
      const job = () => newJobId("t1");
      const [pro, eco, afterRise, fractional, released] = [job(), job(), job(), job(), job()];
      await ledger.reserve("t1", pro, 218, 1000, JAN, at(50));
      await ledger.reserve("t1", eco, 28, 1000, JAN, at(40)); // the same tenant, on another tier for one job
      // The tier's price rises mid-period: reservations already open keep theirs.
      await ledger.reserve("t1", afterRise, 100, 1000, JAN + 1, at(60));
      await ledger.reserve("t1", fractional, 10, 1000, JAN + 2, at(12.5));
      await ledger.reserve("t1", released, 300, 1000, JAN + 3, at(60));
      expect(await ledger.settle(afterRise, 90, JAN + 4)).toBe(true);
      expect(await ledger.settle(pro, 200, JAN + 4)).toBe(true); // settled after the rise, billed at 50
      expect(await ledger.settle(eco, 28, JAN + 4)).toBe(true);
      expect(await ledger.settle(fractional, 7, JAN + 4)).toBe(true);
      expect(await ledger.void(released)).toBe(true);
      expect(await ledger.get(pro)).toMatchObject({ state: "settled", spent: 200, price_micro_usd_per_nfe: 50 });
      expect(await ledger.get(released)).toMatchObject({ state: "voided", price_micro_usd_per_nfe: 60 });
      const billed = 200 * 50 + 28 * 40 + 90 * 60 + 7 * 12.5;
      // The quota passed with the read is the reader's tier; the cost is what was billed, whoever reads it.
      for (const quota of [1000, 5000]) {
        expect(await ledger.usage("t1", quota, JAN + 4)).toMatchObject({
          used: 325,
          reserved: 0,
          cost_micro_usd: billed,
          unpriced: 0,
        });
      }
    });

    it("refuses an invalid price before changing anything", async () => {
      const job = newJobId("t1");
      for (const price of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
        await expect(ledger.reserve("t1", job, 1, 100, JAN, at(price))).rejects.toThrow(RangeError);
      }
      expect(await ledger.get(job)).toBeNull();
      expect((await ledger.reserve("t1", job, 1, 100, JAN, at(0))).ok).toBe(true); // a free tier is a price
      expect(await ledger.settle(job, 1, JAN)).toBe(true);
      expect(await ledger.usage("t1", 100, JAN)).toMatchObject({
        used: 1,
        reserved: 0,
        remaining: 99,
        cost_micro_usd: 0,
      });
    });

    it("records each reservation's tier and policy and refuses malformed ones before changing anything", async () => {
      const [eco, pro] = [newJobId("t1"), newJobId("t1")];
      await ledger.reserve("t1", eco, 28, 1000, JAN, at(40, "none", "eco"));
      await ledger.reserve("t1", pro, 218, 1000, JAN, at(50, "apg", "pro"));
      expect(await ledger.settle(eco, 28, JAN)).toBe(true);
      expect(await ledger.get(eco)).toMatchObject({ tier: "eco", policy: "none", price_micro_usd_per_nfe: 40 });
      expect(await ledger.get(pro)).toMatchObject({ tier: "pro", policy: "apg", state: "reserved" });
      const job = newJobId("t1");
      const bad = [{ ...at(P), tier: "" }, { ...at(P), policy: "x".repeat(65) }, { ...at(P), policy: null }, null];
      for (const terms of bad) {
        await expect(ledger.reserve("t1", job, 1, 1000, JAN, terms as unknown as JobTerms)).rejects.toThrow(RangeError);
      }
      expect(await ledger.get(job)).toBeNull();
    });

    it("answers false / null for unknown and malformed job ids", async () => {
      for (const job of [newJobId("t1"), "not-a-job-id"]) {
        expect(await ledger.settle(job, 1, JAN)).toBe(false);
        expect(await ledger.void(job)).toBe(false);
        expect(await ledger.get(job)).toBeNull();
      }
    });

    it("starts a fresh period at the UTC month boundary; late settles count in the reservation's month", async () => {
      const jan = newJobId("t1");
      await ledger.reserve("t1", jan, 100, 100, JAN_END, at(40));
      expect((await ledger.reserve("t1", newJobId("t1"), 1, 100, JAN_END, at(P))).ok).toBe(false);
      const feb = await ledger.reserve("t1", newJobId("t1"), 100, 100, FEB_START, at(P));
      expect(feb.ok && feb.reservation.period).toBe("2026-02");
      expect(await ledger.settle(jan, 70, FEB_START)).toBe(true);
      expect(await ledger.usage("t1", 100, JAN_END)).toMatchObject({
        period: "2026-01",
        used: 70,
        reserved: 0,
        cost_micro_usd: 70 * 40,
      });
      expect(await ledger.usage("t1", 100, FEB_START)).toMatchObject({
        period: "2026-02",
        used: 0,
        reserved: 100,
        cost_micro_usd: 0,
      });
    });

    it("never reports negative remaining when the quota drops below usage", async () => {
      const job = newJobId("t1");
      await ledger.reserve("t1", job, 80, 100, JAN, at(P));
      await ledger.settle(job, 80, JAN);
      expect(await ledger.usage("t1", 50, JAN)).toMatchObject({ used: 80, remaining: 0 });
      expect((await ledger.reserve("t1", newJobId("t1"), 0, 50, JAN, at(P))).ok).toBe(false);
    });

    it("admits concurrent reserves only up to the quota", async () => {
      const results = await Promise.all(
        Array.from({ length: 10 }, () => ledger.reserve("t1", newJobId("t1"), 30, 100, JAN, at(P))),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(3);
      expect(await ledger.usage("t1", 100, JAN)).toMatchObject({ reserved: 90, remaining: 10 });
    });

    it("ends a reservation exactly once under concurrent settles and voids", async () => {
      const job = newJobId("t1");
      await ledger.reserve("t1", job, 50, 100, JAN, at(P));
      const ends = await Promise.all([
        ledger.settle(job, 20, JAN),
        ledger.void(job),
        ledger.settle(job, 40, JAN),
        ledger.void(job),
      ]);
      expect(ends.filter(Boolean)).toHaveLength(1);
      const u = await ledger.usage("t1", 100, JAN);
      expect(u.reserved).toBe(0);
      expect(u.used).toBe((await ledger.get(job))?.spent ?? 0);
    });

    it("rejects invalid amounts before changing anything", async () => {
      const job = newJobId("t1");
      for (const nfe of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        await expect(ledger.reserve("t1", job, nfe, 100, JAN, at(P))).rejects.toThrow(RangeError);
      }
      await expect(ledger.reserve("t1", job, 1, -1, JAN, at(P))).rejects.toThrow(RangeError);
      await expect(ledger.reserve("t1", job, 1, 100, Number.NaN, at(P))).rejects.toThrow(RangeError);
      await expect(ledger.usage("t1", 1.5, JAN)).rejects.toThrow(RangeError);
      expect(await ledger.get(job)).toBeNull();
      await ledger.reserve("t1", job, 10, 100, JAN, at(P));
      await expect(ledger.settle(job, Number.NaN, JAN)).rejects.toThrow(RangeError);
      expect((await ledger.get(job))?.state).toBe("reserved");
    });

    it("releases reservations left open past the lease on the tenant's next reserve or usage read", async () => {
      const [old, young, settled] = [newJobId("t1"), newJobId("t1"), newJobId("t1")];
      const other = newJobId("t2");
      await ledger.reserve("t1", old, 30, 100, JAN, at(P));
      await ledger.reserve("t1", settled, 10, 100, JAN, at(P));
      await ledger.settle(settled, 4, JAN);
      await ledger.reserve("t1", young, 20, 100, JAN + 1000, at(P));
      await ledger.reserve("t2", other, 5, 100, JAN, at(P));
      expect(await ledger.usage("t1", 100, JAN + LEASE - 1)).toMatchObject({ used: 4, reserved: 50 });
      expect(await ledger.usage("t1", 100, JAN + LEASE)).toMatchObject({ used: 4, reserved: 20 });
      expect(await ledger.get(old)).toMatchObject({ state: "voided", spent: null, expired_at: JAN + LEASE });
      expect(await ledger.get(settled)).toMatchObject({ state: "settled", spent: 4, expired_at: null });
      expect((await ledger.get(other))?.state).toBe("reserved"); // another tenant's sweep is its own
      const late = JAN + 1000 + LEASE;
      expect((await ledger.reserve("t1", newJobId("t1"), 96, 100, late, at(P))).ok).toBe(true); // young expired here
      expect(await ledger.get(young)).toMatchObject({ state: "voided", expired_at: late });
      // What the lease released cost nothing: only the settle is billed.
      expect(await ledger.usage("t1", 100, late)).toMatchObject({
        used: 4,
        reserved: 96,
        cost_micro_usd: 4 * P,
        late_settled: 0,
      });
    });

    it("bills a settle that arrives after the lease released the hold, once, and counts it late", async () => {
      const [old, next] = [newJobId("t1"), newJobId("t1")];
      await ledger.reserve("t1", old, 30, 100, JAN, at(P));
      expect(await ledger.usage("t1", 100, JAN + LEASE)).toMatchObject({ reserved: 0, remaining: 100 });
      expect((await ledger.reserve("t1", next, 80, 100, JAN + LEASE, at(P))).ok).toBe(true); // the freed quota
      expect(await ledger.settle(old, 30, JAN + LEASE + 5)).toBe(true);
      expect(await ledger.get(old)).toMatchObject({
        state: "settled",
        spent: 30,
        settled_at: JAN + LEASE + 5,
        expired_at: JAN + LEASE,
      });
      const billed = { used: 30, reserved: 80, remaining: 0, cost_micro_usd: 30 * P, late_settled: 30 };
      expect(await ledger.usage("t1", 100, JAN + LEASE + 5)).toMatchObject(billed);
      // Billed once: a second settle or a void of it changes nothing.
      expect(await ledger.settle(old, 30, JAN + LEASE + 6)).toBe(false);
      expect(await ledger.void(old)).toBe(false);
      expect(await ledger.usage("t1", 100, JAN + LEASE + 6)).toMatchObject(billed);
      // The late NFEs count against the quota like any other: nothing more fits.
      expect((await ledger.reserve("t1", newJobId("t1"), 0, 100, JAN + LEASE + 6, at(P))).ok).toBe(false);
      expect(await ledger.settle(next, 10, JAN + LEASE + 7)).toBe(true); // on time
      expect(await ledger.usage("t1", 100, JAN + LEASE + 7)).toMatchObject({ used: 40, late_settled: 30 });
    });

    it("counts a settle after the lease as late even when no sweep released the hold first", async () => {
      const [onTime, late] = [newJobId("t1"), newJobId("t1")];
      await ledger.reserve("t1", onTime, 20, 100, JAN, at(P));
      await ledger.reserve("t1", late, 20, 100, JAN, at(P));
      expect(await ledger.settle(onTime, 15, JAN + LEASE - 1)).toBe(true);
      expect(await ledger.settle(late, 12, JAN + LEASE)).toBe(true);
      expect(await ledger.get(onTime)).toMatchObject({ settled_at: JAN + LEASE - 1, expired_at: null });
      expect(await ledger.get(late)).toMatchObject({ settled_at: JAN + LEASE, expired_at: JAN + LEASE });
      expect(await ledger.usage("t1", 100, JAN + LEASE)).toMatchObject({
        used: 27,
        reserved: 0,
        cost_micro_usd: 27 * P,
        late_settled: 12,
      });
    });

    it("keeps a void final: a settle after it is refused, even past the lease", async () => {
      const [voided, expired] = [newJobId("t1"), newJobId("t1")];
      await ledger.reserve("t1", voided, 20, 100, JAN, at(P));
      await ledger.reserve("t1", expired, 20, 100, JAN, at(P));
      expect(await ledger.void(voided)).toBe(true);
      expect(await ledger.settle(voided, 5, JAN + 2 * LEASE)).toBe(false);
      await ledger.usage("t1", 100, JAN + LEASE); // the sweep releases `expired`
      expect(await ledger.void(expired)).toBe(false); // it is no longer open, and a void releases nothing more
      expect(await ledger.get(voided)).toMatchObject({ state: "voided", expired_at: null });
      expect(await ledger.usage("t1", 100, JAN + LEASE)).toMatchObject({ used: 0, reserved: 0, late_settled: 0 });
    });

    it("honours a custom lease and refuses a non-positive one", async () => {
      const short = make({ leaseMs: 10 });
      try {
        await short.ledger.reserve("t1", newJobId("t1"), 7, 100, JAN, at(P));
        expect(await short.ledger.usage("t1", 100, JAN + 9)).toMatchObject({ reserved: 7 });
        expect(await short.ledger.usage("t1", 100, JAN + 10)).toMatchObject({ reserved: 0 });
      } finally {
        short.close();
      }
      expect(() => make({ leaseMs: 0 })).toThrow(RangeError);
    });

    it("reports a period's settled jobs by day and by policy, each grouping summing to the totals", async () => {
      const day = (d: number, h = 12) => Date.UTC(2026, 0, d, h);
      const job = () => newJobId("t1");
      const [a, b, c, midnight, voided, open, late] = [job(), job(), job(), job(), job(), job(), job()];
      // Each job settles before the next reserve, whose sweep would otherwise release it (all but `late`).
      await ledger.reserve("t1", a, 40, 1000, day(3), at(50, "cfg"));
      await ledger.settle(a, 40, day(3));
      await ledger.reserve("t1", b, 28, 1000, day(3, 15), at(40, "none", "eco"));
      await ledger.settle(b, 28, day(3, 15) + LEASE / 2);
      await ledger.reserve("t1", c, 60, 1000, day(9), at(12.5, "apg"));
      await ledger.settle(c, 33, day(9) + LEASE - 1);
      await ledger.reserve("t1", voided, 30, 1000, day(9), at(50, "cfg"));
      await ledger.void(voided);
      await ledger.reserve("t1", midnight, 20, 1000, day(9, 23) + 3_599_999, at(50, "cfg")); // 23:59:59.999
      await ledger.settle(midnight, 20, day(10, 0)); // counts on the day it was reserved
      await ledger.reserve("t1", late, 10, 1000, day(10), at(50, "apg"));
      await ledger.settle(late, 10, day(10) + LEASE); // billed although the lease ran out
      await ledger.reserve("t2", newJobId("t2"), 5, 1000, day(3), at(50)); // another tenant's
      const feb = newJobId("t1");
      await ledger.reserve("t1", feb, 5, 1000, FEB_START, at(50));
      await ledger.settle(feb, 5, FEB_START); // another period's
      await ledger.reserve("t1", open, 15, 1000, day(10) + LEASE, at(50, "cfg"));
      const report = await ledger.report("t1", 1000, day(10) + LEASE, "2026-01");
      const b3 = { used: 68, cost_micro_usd: 40 * 50 + 28 * 40, unpriced: 0, jobs: 2 };
      const b9 = { used: 53, cost_micro_usd: 33 * 12.5 + 20 * 50, unpriced: 0, jobs: 2 };
      const b10 = { used: 10, cost_micro_usd: 500, unpriced: 0, jobs: 1 };
      expect(report).toEqual({
        ...(await ledger.usage("t1", 1000, day(10) + LEASE)),
        by_day: [
          { day: "2026-01-03", ...b3 },
          { day: "2026-01-09", ...b9 },
          { day: "2026-01-10", ...b10 },
        ],
        by_policy: [
          { policy: "apg", used: 43, cost_micro_usd: 33 * 12.5 + 10 * 50, unpriced: 0, jobs: 2 },
          { policy: "cfg", used: 60, cost_micro_usd: 40 * 50 + 20 * 50, unpriced: 0, jobs: 2 },
          { policy: "none", used: 28, cost_micro_usd: 28 * 40, unpriced: 0, jobs: 1 },
        ],
      });
      expect(report).toMatchObject({ used: 131, reserved: 15, late_settled: 10 });
      for (const groups of [report.by_day, report.by_policy]) {
        const sum = (k: "used" | "cost_micro_usd" | "unpriced" | "jobs") => groups.reduce((n, g) => n + g[k], 0);
        expect([sum("used"), sum("cost_micro_usd"), sum("unpriced"), sum("jobs")]).toEqual([
          report.used,
          report.cost_micro_usd,
          report.unpriced,
          5,
        ]);
      }
    });

    it("reports a period with nothing settled as zeros, and refuses a malformed period", async () => {
      await ledger.reserve("t1", newJobId("t1"), 15, 100, JAN, at(P));
      expect(await ledger.report("t1", 100, JAN, "2026-01")).toMatchObject({
        period: "2026-01",
        used: 0,
        reserved: 15,
        remaining: 85,
        by_day: [],
        by_policy: [],
      });
      expect(await ledger.report("t1", 100, JAN, "2031-12")).toMatchObject({ used: 0, reserved: 0, by_day: [] });
      for (const period of ["2026-13", "2026-00", "2026-1", "26-01", "", "2026-01-15", "2026-01 "]) {
        await expect(ledger.report("t1", 100, JAN, period)).rejects.toThrow(RangeError);
        await expect(ledger.settledJobs("t1", period, null, 10)).rejects.toThrow(RangeError);
      }
    });

    it("pages a period's settled jobs in reservation order, and their costs add up to the period's", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        const id = newJobId("t1");
        ids.push(id);
        await ledger.reserve("t1", id, 10 + i, 1000, JAN + Math.floor(i / 2), at(10 + i / 2, i % 2 ? "apg" : "cfg"));
      }
      for (const [i, id] of ids.entries()) if (i !== 3) await ledger.settle(id, 5 + i, JAN + 10);
      const pages: Reservation[][] = [];
      for (let after: Reservation | null = null; ; ) {
        const page = await ledger.settledJobs("t1", "2026-01", after, 4);
        pages.push(page);
        if (page.length < 4) break;
        after = page.at(-1)!;
      }
      const rows = pages.flat();
      expect(pages.map((p) => p.length)).toEqual([4, 2]);
      const order = (r: Reservation) => [r.created_at, r.job_id] as const;
      const want = (await Promise.all(ids.filter((_, i) => i !== 3).map((id) => ledger.get(id)))) as Reservation[];
      want.sort((x, y) => x.created_at - y.created_at || (x.job_id < y.job_id ? -1 : 1));
      expect(rows).toEqual(want);
      expect(rows.map(order)).toEqual(want.map(order));
      const cost = rows.reduce((n, r) => n + (r.spent ?? 0) * (r.price_micro_usd_per_nfe ?? 0), 0);
      expect((await ledger.report("t1", 1000, JAN + 10, "2026-01")).cost_micro_usd).toBe(cost);
      expect(await ledger.settledJobs("t1", "2026-02", null, 10)).toEqual([]);
      expect(await ledger.settledJobs("t2", "2026-01", null, 10)).toEqual([]);
      for (const limit of [0, -1, 1.5, SETTLED_PAGE_MAX + 1]) {
        await expect(ledger.settledJobs("t1", "2026-01", null, limit)).rejects.toThrow(RangeError);
      }
      expect(await ledger.settledJobs("t1", "2026-01", null, SETTLED_PAGE_MAX)).toHaveLength(6);
    });

    it("returns copies: mutating a result does not change the ledger", async () => {
      const job = newJobId("t1");
      const r = await ledger.reserve("t1", job, 10, 100, JAN, at(P));
      if (r.ok) r.reservation.reserved = 999;
      const got = await ledger.get(job);
      if (got) got.state = "voided";
      expect(await ledger.get(job)).toMatchObject({ reserved: 10, state: "reserved" });
    });
  });

  describe(`IdempotencyStore conformance: ${name}`, () => {
    let stores: Stores;
    let idem: IdempotencyStore;
    beforeEach(() => {
      stores = make();
      idem = stores.idempotency;
    });
    afterEach(() => stores.close());

    const claim = (tenant: string, key: string, fingerprint: string, job_id: string, created_at = JAN) => ({
      tenant,
      key,
      fingerprint,
      job_id,
      created_at,
    });

    it("claims a key once, then returns the running record", async () => {
      expect(await idem.begin(claim("t1", "k", "fp1", "job_a"), JAN)).toEqual({ kind: "new" });
      expect(await idem.begin(claim("t1", "k", "fp2", "job_b"), JAN + 1)).toEqual({
        kind: "existing",
        record: {
          tenant: "t1",
          key: "k",
          fingerprint: "fp1",
          job_id: "job_a",
          state: "running",
          status: null,
          response: null,
          created_at: JAN,
        },
      });
    });

    it("stores the first final response and replays it", async () => {
      await idem.begin(claim("t1", "k", "fp1", "job_a"), JAN);
      await idem.finish("t1", "k", 200, '{"id":"job_a"}');
      await idem.finish("t1", "k", 500, '{"error":{}}'); // only the first final response counts
      const again = await idem.begin(claim("t1", "k", "fp1", "job_x"), JAN + 5);
      expect(again).toEqual({
        kind: "existing",
        record: expect.objectContaining({ state: "done", status: 200, response: '{"id":"job_a"}', job_id: "job_a" }),
      });
    });

    it("scopes keys per tenant", async () => {
      expect((await idem.begin(claim("t1", "k", "fp", "job_a"), JAN)).kind).toBe("new");
      expect((await idem.begin(claim("t2", "k", "fp", "job_b"), JAN)).kind).toBe("new");
    });

    it("release forgets a running claim but never a finished one", async () => {
      await idem.begin(claim("t1", "k", "fp", "job_a"), JAN);
      await idem.release("t1", "k");
      expect((await idem.begin(claim("t1", "k", "fp", "job_b"), JAN)).kind).toBe("new");
      await idem.finish("t1", "k", 200, "{}");
      await idem.release("t1", "k");
      expect((await idem.begin(claim("t1", "k", "fp", "job_c"), JAN)).kind).toBe("existing");
      await idem.release("t1", "unknown"); // a no-op, not an error
      await idem.finish("t1", "unknown", 200, "{}");
      expect((await idem.begin(claim("t1", "unknown", "fp", "job_d"), JAN)).kind).toBe("new");
    });

    it("expires a claim after 24 h", async () => {
      await idem.begin(claim("t1", "k", "fp1", "job_a"), JAN);
      await idem.finish("t1", "k", 200, "{}");
      expect((await idem.begin(claim("t1", "k", "fp2", "job_b"), JAN + IDEMPOTENCY_TTL_MS - 1)).kind).toBe("existing");
      const later = JAN + IDEMPOTENCY_TTL_MS;
      expect(await idem.begin(claim("t1", "k", "fp2", "job_b", later), later)).toEqual({ kind: "new" });
      const rec = await idem.begin(claim("t1", "k", "fp3", "job_c", later), later);
      expect(rec.kind === "existing" && rec.record).toMatchObject({ fingerprint: "fp2", job_id: "job_b" });
    });

    it("lets exactly one of many concurrent claims of a key win", async () => {
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => idem.begin(claim("t1", "k", "fp", `job_${i}`), JAN)),
      );
      expect(results.filter((r) => r.kind === "new")).toHaveLength(1);
    });
  });
}
