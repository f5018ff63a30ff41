// The KV ledger (edge/src/kv/ledger.ts) on a real Deno KV file through @deno/kv: the conformance suite, and what a
// restart of the edge finds in the file.
import { describe, expect, it } from "vitest";
import { newJobId } from "../../../edge/src/ledger/ids.ts";
import { createKvIdempotencyStore, createKvLedger } from "../../../edge/src/kv/ledger.ts";
import { RESERVATION_LEASE_MS } from "../../../edge/src/ledger/lease.ts";
import { freshPrefix, openKvFile, useDenoKv } from "../../support/deno-kv.ts";
import { ledgerConformance } from "./conformance.ts";
import { kvStores } from "./stores.ts";
import { at } from "./terms.ts";

const denoKv = useDenoKv();
ledgerConformance("deno-kv", kvStores(denoKv.kv));

describe("deno-kv ledger file", () => {
  const NOW = Date.UTC(2026, 2, 3);

  it("keeps reservations, totals and idempotency records across a reopen and a second connection", async () => {
    const prefix = freshPrefix();
    const a = await openKvFile(denoKv.path());
    const b = await openKvFile(denoKv.path()); // a second connection, as a second process would have
    const [la, lb] = [createKvLedger(a, prefix, RESERVATION_LEASE_MS), createKvLedger(b, prefix, RESERVATION_LEASE_MS)];
    const job = newJobId("t1");
    expect((await la.reserve("t1", job, 10, 15, NOW, at(50))).ok).toBe(true);
    expect((await lb.reserve("t1", newJobId("t1"), 10, 15, NOW, at(50))).ok).toBe(false); // sees a's reservation
    expect(await lb.settle(job, 7, NOW)).toBe(true);
    expect(await la.settle(job, 7, NOW)).toBe(false);
    const claim = { tenant: "t1", key: "k", fingerprint: "f", job_id: job, created_at: NOW };
    await createKvIdempotencyStore(a, prefix).begin(claim, NOW);
    a.close();
    b.close();

    const c = await openKvFile(denoKv.path());
    try {
      const lc = createKvLedger(c, prefix, RESERVATION_LEASE_MS);
      expect(await lc.get(job)).toMatchObject({ state: "settled", spent: 7 });
      expect(await lc.usage("t1", 15, NOW)).toMatchObject({ used: 7, reserved: 0, cost_micro_usd: 350 });
      expect(await lc.settledJobs("t1", "2026-03", null, 10)).toMatchObject([{ job_id: job, spent: 7 }]);
      const again = await createKvIdempotencyStore(c, prefix).begin({ ...claim, job_id: "other" }, NOW);
      expect(again).toMatchObject({ kind: "existing", record: { job_id: job } });
    } finally {
      c.close();
    }
  });

  it("admits concurrent reserves from two edges on one database only up to the quota, ending each once", async () => {
    // Two ledgers, as two Deno Deploy isolates: each queues its own writes, so only the versionstamp checks keep
    // them from overselling.
    const prefix = freshPrefix();
    const [a, b] = [
      createKvLedger(denoKv.kv(), prefix, RESERVATION_LEASE_MS),
      createKvLedger(denoKv.kv(), prefix, RESERVATION_LEASE_MS),
    ];
    const ids = Array.from({ length: 10 }, () => newJobId("t1"));
    const results = await Promise.all(ids.map((id, i) => (i % 2 ? a : b).reserve("t1", id, 30, 100, NOW, at(50))));
    expect(results.filter((r) => r.ok)).toHaveLength(3);
    expect(await a.usage("t1", 100, NOW)).toMatchObject({ reserved: 90, remaining: 10 });
    const admitted = ids.filter((_, i) => results[i]!.ok);
    const ends = await Promise.all(
      admitted.flatMap((id) => [a.settle(id, 20, NOW), b.settle(id, 25, NOW), b.void(id)]),
    );
    expect(ends.filter(Boolean)).toHaveLength(3);
    const u = await b.usage("t1", 100, NOW);
    const spent = (await Promise.all(admitted.map((id) => a.get(id)))).reduce((n, r) => n + (r?.spent ?? 0), 0);
    expect(u).toMatchObject({ reserved: 0, used: spent, cost_micro_usd: spent * 50 });
  });

  it("sweeps more expired reservations than one atomic operation checks, all of them", async () => {
    const ledger = createKvLedger(denoKv.kv(), freshPrefix(), 10);
    for (let i = 0; i < 11; i++) await ledger.reserve("t1", newJobId("t1"), 3, 100, NOW + i, at(50));
    expect(await ledger.usage("t1", 100, NOW + 20)).toMatchObject({ reserved: 0, remaining: 100 });
  });
});
