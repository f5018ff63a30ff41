// The jobs settings read from the environment: bad values fail at start-up, naming the variable.
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, loadConfig } from "../../../edge/src/config.ts";

describe("GG_JOB_DETACH_GRACE_MS and GG_JOB_QUEUE_TIMEOUT_MS", () => {
  it("default to a minute of grace (well inside the reservation lease) and five minutes in line", () => {
    const c = loadConfig({});
    expect(c.jobDetachGraceMs).toBe(60_000);
    expect(c.jobDetachGraceMs).toBeLessThan(DEFAULT_CONFIG.reservationLeaseMs);
    expect(c.jobQueueTimeoutMs).toBe(300_000);
    expect(loadConfig({ GG_JOB_DETACH_GRACE_MS: "0", GG_JOB_QUEUE_TIMEOUT_MS: "0" })).toMatchObject({
      jobDetachGraceMs: 0,
      jobQueueTimeoutMs: 0,
    });
  });

  it("refuse a grace the worker contract would refuse", () => {
    for (const bad of ["600001", "1.5", "-1", "soon"])
      expect(() => loadConfig({ GG_JOB_DETACH_GRACE_MS: bad }), bad).toThrow(/GG_JOB_DETACH_GRACE_MS/);
  });
});
