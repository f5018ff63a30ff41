// What every QuotaOverrideStore must do (memory, SQLite, the TenantLedger Durable Object). Each store's test file
// calls `quotaStoreConformance` with its factory.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { QuotaOverrideStore } from "../../../edge/src/quotas/types.ts";

export type QuotaStoreFactory = () => { quotas: QuotaOverrideStore; close(): void };

export function quotaStoreConformance(name: string, make: QuotaStoreFactory): void {
  describe(`QuotaOverrideStore conformance: ${name}`, () => {
    let store: ReturnType<QuotaStoreFactory>;
    let quotas: QuotaOverrideStore;
    beforeEach(() => {
      store = make();
      quotas = store.quotas;
    });
    afterEach(() => store.close());

    it("has no override until one is set; sets, replaces and clears it per tenant", async () => {
      expect(await quotas.get("alice")).toBeNull();
      await quotas.set("alice", 500_000);
      await quotas.set("bob", 0); // zero is a quota: the tenant may run nothing
      const all = async () => [await quotas.get("alice"), await quotas.get("bob"), await quotas.get("carol")];
      expect(await all()).toEqual([500_000, 0, null]);
      await quotas.set("alice", 1_000);
      expect(await quotas.get("alice")).toBe(1_000);
      await quotas.set("alice", null);
      await quotas.set("carol", null); // clearing what is not set changes nothing
      expect(await all()).toEqual([null, 0, null]);
    });

    it("keys tenants by their exact name and refuses an invalid quota", async () => {
      for (const [i, tenant] of ["__proto__", "constructor", "toString", "Alice", "alice ", "ünï"].entries()) {
        expect(await quotas.get(tenant)).toBeNull();
        await quotas.set(tenant, i + 1);
      }
      expect(await quotas.get("__proto__")).toBe(1);
      expect(await quotas.get("alice")).toBeNull();
      for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        await expect(quotas.set("dave", bad)).rejects.toThrow(RangeError);
      }
      expect(await quotas.get("dave")).toBeNull();
    });
  });
}
