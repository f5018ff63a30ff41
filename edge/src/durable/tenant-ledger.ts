// The TenantLedger Durable Object: one per tenant routing key (storage/tenant-object.ts), holding that tenant's
// reservations, period totals, idempotency keys, quota override and rate bucket in its SQLite storage
// (`ctx.storage.sql`). Its methods are called over Workers RPC (compatibility_date >= 2024-04-03) by
// ledger/durable-object-client.ts, quotas/durable-object.ts and ratelimit/durable-object.ts. Each method is synchronous
// and runs inside `transactionSync` (or is one statement), so no other call interleaves with it. Deploy as a
// SQLite-backed class:
// wrangler `migrations: [{ tag: "v1", new_sqlite_classes: ["TenantLedger"] }]`.
// Workers-only: "cloudflare:workers" exists in workerd alone, so only worker.ts imports this module.
import type { DurableObjectState } from "@cloudflare/workers-types";
import { DurableObject } from "cloudflare:workers";
import type { LedgerObject } from "../ledger/durable-object-client.ts";
import { SqlLedgerCore } from "../ledger/sql-core.ts";
import type {
  IdempotencyBegin,
  IdempotencyRecord,
  JobCursor,
  JobTerms,
  Reservation,
  ReserveResult,
  TenantUsage,
  UsageReport,
} from "../ledger/types.ts";
import type { RateLimitObject } from "../ratelimit/durable-object.ts";
import type { QuotaObject } from "../quotas/durable-object.ts";
import { SqlQuotaCore } from "../quotas/sql.ts";
import { SqlRateCore } from "../ratelimit/sql.ts";
import type { RateDecision } from "../ratelimit/types.ts";
import type { SqlPort, SqlValue } from "../storage/sql-port.ts";
import type { KeyObject } from "../apikeys/durable-object.ts";
import { SqlKeyCore } from "../apikeys/sql.ts";
import type { ApiKeyRecord } from "../apikeys/types.ts";
import type { AuditObject } from "../audit/durable-object.ts";
import { SqlAuditCore } from "../audit/sql.ts";
import type { AuditEntry, AuditInput } from "../audit/types.ts";
import { SqlTierOverrideCore, type TierObject } from "../tiers/override-sql.ts";

function doSqlPort(storage: DurableObjectState["storage"]): SqlPort {
  return {
    all: <T>(sql: string, ...params: SqlValue[]) => storage.sql.exec(sql, ...params).toArray() as T[],
    tx: <T>(fn: () => T): T => storage.transactionSync(fn),
  };
}

/** Every method of both clients' stubs, synchronous here (RPC makes them async for the caller). */
type Served<T> = { [K in keyof T]: T[K] extends (...a: infer A) => Promise<infer R> ? (...a: A) => R : never };

export class TenantLedger
  extends DurableObject<unknown>
  implements
    Served<LedgerObject>,
    Served<RateLimitObject>,
    Served<QuotaObject>,
    Served<KeyObject>,
    Served<AuditObject>,
    Served<TierObject>
{
  private readonly ledger: SqlLedgerCore;
  private readonly rate: SqlRateCore;
  private readonly quotas: SqlQuotaCore;
  private readonly port: SqlPort;
  // Created on first use: most objects never hold a key, an audit log or a tier override.
  private keyCore?: SqlKeyCore;
  private auditCore?: SqlAuditCore;
  private tierCore?: SqlTierOverrideCore;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env);
    const port = doSqlPort(ctx.storage);
    this.ledger = new SqlLedgerCore(port); // schema statements are synchronous, so the object is ready on return
    this.rate = new SqlRateCore(port);
    this.quotas = new SqlQuotaCore(port);
    this.port = port;
  }

  private get keys(): SqlKeyCore {
    this.keyCore ??= new SqlKeyCore(this.port);
    return this.keyCore;
  }

  private get audit(): SqlAuditCore {
    this.auditCore ??= new SqlAuditCore(this.port);
    return this.auditCore;
  }

  private get tiers(): SqlTierOverrideCore {
    this.tierCore ??= new SqlTierOverrideCore(this.port);
    return this.tierCore;
  }

  reserve(
    tenant: string,
    jobId: string,
    nfe: number,
    quota: number,
    now: number,
    terms: JobTerms,
    leaseMs: number,
  ): ReserveResult {
    return this.ledger.reserve(tenant, jobId, nfe, quota, now, terms, leaseMs);
  }

  settle(jobId: string, spent: number, now: number, leaseMs: number): boolean {
    return this.ledger.settle(jobId, spent, now, leaseMs);
  }

  void(jobId: string): boolean {
    return this.ledger.void(jobId);
  }

  usage(tenant: string, quota: number, now: number, leaseMs: number): TenantUsage {
    return this.ledger.usage(tenant, quota, now, leaseMs);
  }

  report(tenant: string, quota: number, now: number, period: string, leaseMs: number): UsageReport {
    return this.ledger.report(tenant, quota, now, period, leaseMs);
  }

  settledJobs(tenant: string, period: string, after: JobCursor | null, limit: number): Reservation[] {
    return this.ledger.settledJobs(tenant, period, after, limit);
  }

  get(jobId: string): Reservation | null {
    return this.ledger.get(jobId);
  }

  begin(rec: Omit<IdempotencyRecord, "state" | "status" | "response">, now: number): IdempotencyBegin {
    return this.ledger.begin(rec, now);
  }

  finish(tenant: string, key: string, status: number, response: string): void {
    this.ledger.finish(tenant, key, status, response);
  }

  release(tenant: string, key: string): void {
    this.ledger.release(tenant, key);
  }

  quotaOverride(tenant: string): number | null {
    return this.quotas.get(tenant);
  }

  setQuotaOverride(tenant: string, quotaNfe: number | null): void {
    this.quotas.set(tenant, quotaNfe);
  }

  take(tenant: string, limitPerMinute: number, now: number): RateDecision {
    return this.rate.take(tenant, limitPerMinute, now);
  }

  createApiKey(rec: ApiKeyRecord): void {
    this.keys.create(rec);
  }

  apiKeyByHash(hash: string): ApiKeyRecord | null {
    return this.keys.findByHash(hash);
  }

  listApiKeys(tenant: string): ApiKeyRecord[] {
    return this.keys.list(tenant);
  }

  revokeApiKey(tenant: string, id: string, now: number): ApiKeyRecord | null {
    return this.keys.revoke(tenant, id, now);
  }

  touchApiKey(tenant: string, id: string, now: number): void {
    this.keys.touch(tenant, id, now);
  }

  appendAudit(entry: AuditInput): AuditEntry {
    return this.audit.append(entry);
  }

  listAudit(afterSeq: number, limit: number): AuditEntry[] {
    return this.audit.list(afterSeq, limit);
  }

  auditTenants(): string[] {
    return this.audit.tenants();
  }

  tierOverride(tenant: string): string | null {
    return this.tiers.get(tenant);
  }

  setTierOverride(tenant: string, tier: string | null): void {
    this.tiers.set(tenant, tier);
  }
}
