// The TenantLedger Durable Object in workerd (wrangler's local runtime), called over Workers RPC: the same
// conformance suite proves it behaves like memory and SQLite; the gateway suite runs it behind the whole edge.
import { describe, expect, it } from "vitest";
import { createDurableObjectLedger } from "../../../edge/src/ledger/durable-object-client.ts";
import { newJobId, routeKeyOf } from "../../../edge/src/ledger/ids.ts";
import { useTenantLedgerWorkerd } from "../../support/tenant-ledger-workerd.ts";
import { ledgerConformance } from "./conformance.ts";
import { expectPricelessMigrated } from "./priceless.ts";
import { durableObjectStores } from "./stores.ts";
import { at } from "./terms.ts";

const workerd = useTenantLedgerWorkerd();

ledgerConformance("durable-object (workerd)", durableObjectStores(workerd));

describe("DurableObjectLedger routing", () => {
  const NOW = Date.UTC(2026, 4, 1);

  it("sends every call for a tenant to the object named by its routing key", async () => {
    const ns = workerd.namespace();
    const ledger = createDurableObjectLedger(ns);
    const a = newJobId("alice");
    const b = newJobId("bob");
    await ledger.reserve("alice", a, 5, 10, NOW, at(50));
    await ledger.reserve("bob", b, 5, 10, NOW, at(50));
    await ledger.settle(a, 5, NOW);
    await ledger.void(b);
    expect(ns.names().sort()).toEqual([routeKeyOf("alice"), routeKeyOf("bob")].sort());
  });

  it("adds the price columns to an object created before them, leaving its old settles unpriced", async () => {
    await expectPricelessMigrated(createDurableObjectLedger(workerd.namespace({ priceless: true })));
  });

  it("refuses a job id that does not route to the tenant", async () => {
    const ns = workerd.namespace();
    const ledger = createDurableObjectLedger(ns);
    await expect(ledger.reserve("alice", newJobId("bob"), 1, 10, NOW, at(50))).rejects.toThrow(RangeError);
    await expect(ledger.reserve("alice", "job-123", 1, 10, NOW, at(50))).rejects.toThrow(RangeError);
    expect(ns.names()).toEqual([]);
  });

  it("rejects malformed RPC calls with the object's own errors, without touching state", async () => {
    const ns = workerd.namespace();
    // Past the client's checks and types: what arrives if a caller sends the object anything.
    const stub = ns.get(ns.idFromName("x")) as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const job = newJobId("t");
    await expect(stub.reserve!("t", job, "many", 1, NOW, at(50), 1)).rejects.toThrow(RangeError);
    await expect(stub.reserve!("t", job, 1.5, 10, NOW, at(50), 1)).rejects.toThrow(RangeError);
    await expect(stub.reserve!("t", job, 1, 10, NOW, at("free" as unknown as number), 1)).rejects.toThrow(RangeError);
    await expect(stub.reserve!("t", job, 1, 10, NOW, at(-1), 1)).rejects.toThrow(RangeError);
    await expect(stub.reserve!("t", job, 1, 10, NOW, 50, 1)).rejects.toThrow(RangeError); // a bare price: no terms
    await expect(stub.reserve!("t", job, 1, 10, NOW, { ...at(50), policy: 7 }, 1)).rejects.toThrow(RangeError);
    await expect(stub.drop_tables!()).rejects.toThrow(/does not implement the method "drop_tables"/);
    expect(await stub.get!(job)).toBeNull();
  });
});
