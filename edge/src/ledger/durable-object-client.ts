// Ledger and IdempotencyStore for the Workers entry: each call is a Workers RPC call to the tenant's TenantLedger
// Durable Object (durable/tenant-ledger.ts). settle/void/get know only the job id, so job ids must come from
// `newJobId(tenant)`, which embeds the route.
import { type TenantObjectNamespace, tenantObject } from "../storage/tenant-object.ts";
import { routeKeyOf, routeKeyOfJob } from "./ids.ts";
import { type LedgerOptions, RESERVATION_LEASE_MS } from "./lease.ts";
import type {
  IdempotencyBegin,
  IdempotencyRecord,
  IdempotencyStore,
  JobCursor,
  JobTerms,
  Ledger,
  Reservation,
  ReserveResult,
  TenantUsage,
  UsageReport,
} from "./types.ts";
import {
  checkLease,
  checkNfe,
  checkNow,
  checkPage,
  checkPeriod,
  checkQuota,
  checkTerms,
  normalizeSpent,
} from "./validate.ts";

/** The ledger and idempotency methods of the TenantLedger object, as its RPC stub exposes them. */
export interface LedgerObject {
  reserve(
    tenant: string,
    jobId: string,
    nfe: number,
    quota: number,
    now: number,
    terms: JobTerms,
    leaseMs: number,
  ): Promise<ReserveResult>;
  settle(jobId: string, spent: number, now: number, leaseMs: number): Promise<boolean>;
  void(jobId: string): Promise<boolean>;
  usage(tenant: string, quota: number, now: number, leaseMs: number): Promise<TenantUsage>;
  report(tenant: string, quota: number, now: number, period: string, leaseMs: number): Promise<UsageReport>;
  settledJobs(tenant: string, period: string, after: JobCursor | null, limit: number): Promise<Reservation[]>;
  get(jobId: string): Promise<Reservation | null>;
  begin(rec: Omit<IdempotencyRecord, "state" | "status" | "response">, now: number): Promise<IdempotencyBegin>;
  finish(tenant: string, key: string, status: number, response: string): Promise<void>;
  release(tenant: string, key: string): Promise<void>;
}

/** The TENANT_LEDGER binding as the ledger sees it. */
export type LedgerObjectNamespace<Id = unknown> = TenantObjectNamespace<LedgerObject, Id>;

/** A Ledger backed by one TenantLedger Durable Object per tenant; the lease travels with each call. */
export function createDurableObjectLedger<Id>(ns: LedgerObjectNamespace<Id>, options: LedgerOptions = {}): Ledger {
  const leaseMs = checkLease(options.leaseMs ?? RESERVATION_LEASE_MS);
  return {
    async reserve(tenant, jobId, nfe, quota, now, terms): Promise<ReserveResult> {
      checkNfe(nfe);
      checkQuota(quota);
      checkNow(now);
      checkTerms(terms);
      const route = routeKeyOf(tenant);
      // Fail loudly now: a reservation under an unroutable id could never be settled or voided.
      if (routeKeyOfJob(jobId) !== route) throw new RangeError("job id was not made by newJobId(tenant)");
      return tenantObject(ns, route).reserve(tenant, jobId, nfe, quota, now, terms, leaseMs);
    },
    async settle(jobId, spent, now): Promise<boolean> {
      const want = normalizeSpent(spent);
      checkNow(now);
      const route = routeKeyOfJob(jobId);
      return route === null ? false : tenantObject(ns, route).settle(jobId, want, now, leaseMs);
    },
    async void(jobId): Promise<boolean> {
      const route = routeKeyOfJob(jobId);
      return route === null ? false : tenantObject(ns, route).void(jobId);
    },
    async usage(tenant, quota, now): Promise<TenantUsage> {
      checkQuota(quota);
      checkNow(now);
      return tenantObject(ns, routeKeyOf(tenant)).usage(tenant, quota, now, leaseMs);
    },
    async report(tenant, quota, now, period): Promise<UsageReport> {
      checkPeriod(period);
      checkQuota(quota);
      checkNow(now);
      return tenantObject(ns, routeKeyOf(tenant)).report(tenant, quota, now, period, leaseMs);
    },
    async settledJobs(tenant, period, after, limit): Promise<Reservation[]> {
      checkPeriod(period);
      checkPage(after, limit);
      const cursor = after && { created_at: after.created_at, job_id: after.job_id }; // only what the object reads
      return tenantObject(ns, routeKeyOf(tenant)).settledJobs(tenant, period, cursor, limit);
    },
    async get(jobId): Promise<Reservation | null> {
      const route = routeKeyOfJob(jobId);
      return route === null ? null : tenantObject(ns, route).get(jobId);
    },
  };
}

/** An IdempotencyStore whose (tenant, key) records live in the tenant's TenantLedger object. */
export function createDurableObjectIdempotencyStore<Id>(ns: LedgerObjectNamespace<Id>): IdempotencyStore {
  return {
    async begin(rec, now): Promise<IdempotencyBegin> {
      checkNow(now);
      const { tenant, key, fingerprint, job_id, created_at } = rec; // only the fields the object stores
      return tenantObject(ns, routeKeyOf(tenant)).begin({ tenant, key, fingerprint, job_id, created_at }, now);
    },
    async finish(tenant, key, status, response): Promise<void> {
      await tenantObject(ns, routeKeyOf(tenant)).finish(tenant, key, status, response);
    },
    async release(tenant, key): Promise<void> {
      await tenantObject(ns, routeKeyOf(tenant)).release(tenant, key);
    },
  };
}
