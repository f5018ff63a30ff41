// 1,200 hostile requests (fast-check; seed logged, GG_FUZZ_SEED replays) against the edge app in
// process: every answer is a 4xx with the error envelope (a 400 naming the field the request got wrong),
// or, for the few a correct gateway may accept, the refusing pool's 503; nothing polluted
// Object.prototype and the ledger is untouched. Token cases include header parameters (jwk, jku, x5u,
// kid, crit) and claim shapes.
import { expect, it } from "vitest";
import { fuzzInProcess } from "../../bench/lib/reliability/fuzz/in-process.ts";

it("answers 1,200 hostile requests with 4xx envelopes (or 503 for acceptable ones) and never touches the ledger", async () => {
  const seed = Number(process.env.GG_FUZZ_SEED ?? Date.now() % 2 ** 31);
  const r = await fuzzInProcess(1_200, seed);
  const s = r.stats;
  console.log(
    `fuzz (in-process) seed ${seed}: ${s.cases} cases, ${s.rejected} rejected (4xx), ${s.admitted} acceptable -> 503, ${s.violations.length} violations, ${s.ms.toFixed(0)} ms`,
  );
  expect(s.violations, `replay with GG_FUZZ_SEED=${seed}`).toEqual([]);
  expect(s.cases).toBe(1_200);
  expect(s.rejected + s.admitted).toBe(s.cases);
  expect(r.dispatched.length).toBe(s.admitted); // only requests that passed every check reached the pool
  for (const d of ["token", "body", "path", "method", "header", "query"])
    expect(s.byDefect[d] ?? 0).toBeGreaterThan(20);
  expect(s.byStatus[401] ?? 0).toBeGreaterThan(50);
  // Malformed bodies are 400; a body declared as anything but JSON is 415 (unsupported_media_type).
  expect((s.byStatus[400] ?? 0) + (s.byStatus[415] ?? 0)).toBeGreaterThan(50);
  expect(s.paramsChecked).toBeGreaterThan(10); // 400s checked for the field they name
  expect(r.ledgerChanged).toEqual([]);
});
