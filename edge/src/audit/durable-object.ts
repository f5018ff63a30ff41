// The audit log for the Workers entry: one TenantLedger object, named AUDIT_OBJECT (never a tenant's routing key,
// which is 16 hex digits), holds it in its SQLite storage.
import { type TenantObjectNamespace, tenantObject } from "../storage/tenant-object.ts";
import type { AuditEntry, AuditInput, AuditLog } from "./types.ts";

export const AUDIT_OBJECT = "admin-audit";

/** The audit methods of the TenantLedger object, as its RPC stub exposes them. */
export interface AuditObject {
  appendAudit(entry: AuditInput): Promise<AuditEntry>;
  listAudit(afterSeq: number, limit: number): Promise<AuditEntry[]>;
  auditTenants(): Promise<string[]>;
}

export function createDurableObjectAuditLog<Id>(ns: TenantObjectNamespace<AuditObject, Id>): AuditLog {
  const obj = () => tenantObject(ns, AUDIT_OBJECT);
  return {
    append: (entry) => obj().appendAudit(entry),
    list: (afterSeq, limit) => obj().listAudit(afterSeq, limit),
    tenants: () => obj().auditTenants(),
  };
}
