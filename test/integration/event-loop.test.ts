// ORT's run() is synchronous native work; it lives in the runtime thread, so the main
// thread (HTTP, SSE) keeps its event loop free while images are generated.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { resolve } from "node:path";
import { expect, it } from "vitest";
import { DiffusionModel } from "../../gpu-worker/src/models/loader.ts";
import { generate } from "../../gpu-worker/src/pipeline/generate.ts";
import { UnetBatcher } from "../../gpu-worker/src/runtime/batcher.ts";
import { OnnxRuntime } from "../../gpu-worker/src/runtime/runtime.ts";

it("never blocks the main event loop more than 20 ms during generations", async () => {
  // One intra-op thread leaves the main thread a core on a 2-core machine, as a deployment would.
  const rt = await OnnxRuntime.start({ provider: "cpu", deviceId: 0, intraOpThreads: 1 });
  try {
    const model = await DiffusionModel.load(resolve(import.meta.dirname, "../../models/shapes-32"), rt);
    const batcher = new UnetBatcher(model, 32, 2);
    const job = (seed: number) =>
      generate(model, batcher, { prompt: "a large red circle on a blue background", n: 2, steps: 20, seed, guidance: { policy: "cfg", scale: 2 }, preview_every: 5 }, () => {});
    await job(0); // warm up: session initialisation and first-run allocations are not the steady state
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    const results = await Promise.all([job(1), job(2), job(3)]);
    h.disable();
    expect(results.every((r) => r.images.length === 2)).toBe(true);
    const maxMs = h.max / 1e6;
    console.log(`event loop delay during 3 concurrent generations: max ${maxMs.toFixed(1)} ms, p99 ${(h.percentile(99) / 1e6).toFixed(1)} ms`);
    expect(maxMs).toBeLessThan(20);
  } finally {
    await rt.close();
  }
});
