// TenantLedger runs here over a storage shim (do-shim.ts) because Cloudflare's storage cannot run in plain Node;
// the same conformance suite proves it behaves like memory and SQLite. workerd tests come separately.
import { describe, expect, it } from "vitest";
import { createDurableObjectLedger } from "../../../edge/src/ledger/durable-object-client.ts";
import { newJobId, routeKeyOf } from "../../../edge/src/ledger/ids.ts";
import { ledgerConformance } from "./conformance.ts";
import { fakeTenantLedgerNamespace } from "./do-shim.ts";
import { durableObjectStores } from "./stores.ts";

ledgerConformance("durable-object (storage shim)", durableObjectStores);

describe("DurableObjectLedger routing", () => {
  const NOW = Date.UTC(2026, 4, 1);

  it("sends every call for a tenant to the object named by its routing key", async () => {
    const ns = fakeTenantLedgerNamespace();
    const ledger = createDurableObjectLedger(ns);
    const a = newJobId("alice");
    const b = newJobId("bob");
    await ledger.reserve("alice", a, 5, 10, NOW);
    await ledger.reserve("bob", b, 5, 10, NOW);
    await ledger.settle(a, 5);
    await ledger.void(b);
    expect(ns.names().sort()).toEqual([routeKeyOf("alice"), routeKeyOf("bob")].sort());
    ns.close();
  });

  it("refuses a job id that does not route to the tenant", async () => {
    const ns = fakeTenantLedgerNamespace();
    const ledger = createDurableObjectLedger(ns);
    await expect(ledger.reserve("alice", newJobId("bob"), 1, 10, NOW)).rejects.toThrow(RangeError);
    await expect(ledger.reserve("alice", "job-123", 1, 10, NOW)).rejects.toThrow(RangeError);
    expect(ns.names()).toEqual([]);
    ns.close();
  });

  it("answers 400 to malformed calls without touching state", async () => {
    const ns = fakeTenantLedgerNamespace();
    const stub = ns.get(ns.idFromName("x"));
    const call = (op: string, body: string) =>
      stub.fetch(`https://tenant-ledger.internal/${op}`, { method: "POST", headers: {}, body });
    expect((await call("reserve", '["t", "j", "many", 1, 1]')).status).toBe(400);
    expect((await call("reserve", "{")).status).toBe(400);
    expect((await call("drop_tables", "[]")).status).toBe(400);
    expect(await (await call("get", '["j"]')).json()).toBeNull();
    ns.close();
  });
});
