// The audit log in process memory (tests, Deno; lost on restart).
import type { AuditEntry, AuditLog } from "./types.ts";

export function createMemoryAuditLog(): AuditLog {
  const entries: AuditEntry[] = [];
  return {
    async append(input) {
      const entry = Object.freeze({ ...input, seq: entries.length + 1 });
      entries.push(entry);
      return entry;
    },
    list: async (afterSeq, limit) => entries.filter((e) => e.seq > afterSeq).slice(0, limit),
    tenants: async () => [...new Set(entries.flatMap((e) => (e.tenant === null ? [] : [e.tenant])))].sort(),
  };
}
