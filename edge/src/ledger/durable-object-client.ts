// Ledger and IdempotencyStore for the Workers entry: each call goes to the tenant's TenantLedger object.
// settle/void/get know only the job id, so job ids must come from `newJobId(tenant)`, which embeds the route.
import { callTenantLedger, type TenantLedgerNamespace } from "./do-protocol.ts";
import { routeKeyOf, routeKeyOfJob } from "./ids.ts";
import { type LedgerOptions, RESERVATION_LEASE_MS } from "./lease.ts";
import type { IdempotencyBegin, IdempotencyStore, Ledger, Reservation, ReserveResult, TenantUsage } from "./types.ts";
import { checkLease, checkNfe, checkNow, checkQuota, normalizeSpent } from "./validate.ts";

/** A Ledger backed by one TenantLedger Durable Object per tenant; the lease travels with each call. */
export function createDurableObjectLedger(ns: TenantLedgerNamespace, options: LedgerOptions = {}): Ledger {
  const leaseMs = checkLease(options.leaseMs ?? RESERVATION_LEASE_MS);
  return {
    async reserve(tenant, jobId, nfe, quota, now): Promise<ReserveResult> {
      checkNfe(nfe);
      checkQuota(quota);
      checkNow(now);
      const route = routeKeyOf(tenant);
      // Fail loudly now: a reservation under an unroutable id could never be settled or voided.
      if (routeKeyOfJob(jobId) !== route) throw new RangeError("job id was not made by newJobId(tenant)");
      return callTenantLedger(ns, route, "reserve", [tenant, jobId, nfe, quota, now, leaseMs]);
    },
    async settle(jobId, spent): Promise<boolean> {
      const want = normalizeSpent(spent);
      const route = routeKeyOfJob(jobId);
      return route === null ? false : callTenantLedger(ns, route, "settle", [jobId, want]);
    },
    async void(jobId): Promise<boolean> {
      const route = routeKeyOfJob(jobId);
      return route === null ? false : callTenantLedger(ns, route, "void", [jobId]);
    },
    async usage(tenant, quota, now): Promise<TenantUsage> {
      checkQuota(quota);
      checkNow(now);
      return callTenantLedger(ns, routeKeyOf(tenant), "usage", [tenant, quota, now, leaseMs]);
    },
    async get(jobId): Promise<Reservation | null> {
      const route = routeKeyOfJob(jobId);
      return route === null ? null : callTenantLedger(ns, route, "get", [jobId]);
    },
  };
}

/** An IdempotencyStore whose (tenant, key) records live in the tenant's TenantLedger object. */
export function createDurableObjectIdempotencyStore(ns: TenantLedgerNamespace): IdempotencyStore {
  return {
    async begin(rec, now): Promise<IdempotencyBegin> {
      checkNow(now);
      return callTenantLedger(ns, routeKeyOf(rec.tenant), "begin", [rec, now]);
    },
    async finish(tenant, key, status, response): Promise<void> {
      await callTenantLedger(ns, routeKeyOf(tenant), "finish", [tenant, key, status, response]);
    },
    async release(tenant, key): Promise<void> {
      await callTenantLedger(ns, routeKeyOf(tenant), "release", [tenant, key]);
    },
  };
}
