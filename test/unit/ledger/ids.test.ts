import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { newJobId, routeKeyOf, routeKeyOfJob } from "../../../edge/src/ledger/ids.ts";

describe("job ids", () => {
  it("embed the tenant's routing key and fit the worker contract's job_id pattern", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 80 }), (tenant) => {
        const id = newJobId(tenant);
        expect(id).toMatch(/^[A-Za-z0-9_-]{8,64}$/); // shared/src/worker.ts job_id
        expect(routeKeyOfJob(id)).toBe(routeKeyOf(tenant));
      }),
    );
  });

  it("are unique and do not contain the tenant id", () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newJobId("acme-corp")));
    expect(ids.size).toBe(10_000);
    expect([...ids].some((id) => id.includes("acme"))).toBe(false);
  });

  it("route a tenant stably and tell tenants apart", () => {
    expect(routeKeyOf("acme")).toBe(routeKeyOf("acme"));
    expect(routeKeyOf("acme")).not.toBe(routeKeyOf("acme2"));
    expect(routeKeyOf("")).toMatch(/^[0-9a-f]{16}$/);
  });

  it("reject ids not made by newJobId", () => {
    for (const id of ["", "job_", "job-123", `job_${"0".repeat(39)}`, `job_${"G".repeat(40)}`, `${newJobId("t")}x`]) {
      expect(routeKeyOfJob(id)).toBeNull();
    }
  });
});
