// The job the edge dispatches is built without re-parsing (relay/admit.ts): the worker's contract schema must
// accept every one as it is, defaults and all, for the requests the edge admits.
import { WorkerJobSchema } from "@guidegate/shared";
import { describe, expect, it } from "vitest";
import { testApp } from "./support.ts";

const REQUESTS = [
  { prompt: "a red circle" },
  { prompt: "a red circle", seed: 0, steps: 30, n: 2, negative_prompt: "blue", scheduler: "euler_a" },
  { prompt: "a red circle", guidance: { policy: "cfg", scale: 3 }, max_nfe: 25, response_format: "b64_json" },
  { prompt: "a red circle", guidance: { rule: { name: "apg", scale: 4 }, schedule: { name: "first_k", k: 5 } } },
  { prompt: "a red circle", stream: true, partial_images: 2, output_format: "webp" },
];

describe("the dispatched job", () => {
  it("is exactly what the contract's schema makes of it", async () => {
    const t = testApp();
    for (const body of REQUESTS) await t.post("/v1/images/generations", body, { tier: "pro" });
    expect(t.pool.dispatched).toHaveLength(REQUESTS.length);
    for (const job of t.pool.dispatched) {
      const plain = JSON.parse(JSON.stringify(job)); // as the worker receives it
      expect(WorkerJobSchema.parse(plain)).toEqual(plain);
    }
  });
});
