// ORT's run() is synchronous native work; it lives in the runtime thread, so the main
// thread (HTTP, SSE) keeps its event loop free while images are generated.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { resolve } from "node:path";
import { expect, it } from "vitest";
import { OnnxRuntime } from "@guidegate/gpu-worker";

it("never blocks the main event loop more than 20 ms during generations", async () => {
  // One intra-op thread leaves the main thread a core on a 2-core machine, as a deployment would.
  const rt = await OnnxRuntime.start({ provider: "cpu", deviceId: 0, intraOpThreads: 1 });
  try {
    // The production path: the denoising loop runs in the runtime thread; this thread gets events.
    const model = await rt.serve(resolve(import.meta.dirname, "../../models/shapes-32"), { maxBatch: 32, windowMs: 2 });
    let previews = 0;
    const job = (seed: number) =>
      model.generate(
        {
          prompt: "a large red circle on a blue background",
          n: 2,
          steps: 20,
          seed,
          guidance: { policy: "cfg", scale: 2 },
          preview_every: 5,
        },
        (e) => {
          if (e.kind === "preview") previews++;
        },
      );
    await job(0); // warm up: session initialisation and first-run allocations are not the steady state
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    const results = await Promise.all([job(1), job(2), job(3)]);
    h.disable();
    expect(results.every((r) => r.images.length === 2 && r.nfe === 2 * 2 * 20)).toBe(true);
    expect(previews).toBe(4 * 2 * 3); // 4 jobs x 2 images x previews at steps 5, 10, 15
    const maxMs = h.max / 1e6;
    console.log(
      `event loop delay during 3 concurrent generations: max ${maxMs.toFixed(1)} ms, p99 ${(h.percentile(99) / 1e6).toFixed(1)} ms`,
    );
    expect(maxMs).toBeLessThan(20);
  } finally {
    await rt.close();
  }
});
