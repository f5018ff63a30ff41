// `npm run bench:worker`: where a worker's time goes, in one run on the embedded model, on the
// production path (the denoising loop inside the runtime thread, as gpu-worker/src/main.ts serves):
//  1. overhead ratio: worker wall time per image / the ORT run() time spent on it;
//  2. images/s for 8 concurrent jobs (cross-request batching) against the same 8 one after another;
//  3. the UNet's physical batching gain: raw ORT ms per NFE at batch 2 / at batch 16.
// For comparison it also prints the overhead of the same images when the loop records per-step
// values (agreement statistics, branch outputs, guidance norms), as calibrate and bench:ag-statistic ask.
import { openBench } from "@guidegate/eval";
import { encodeImage, type RecordOptions } from "@guidegate/gpu-worker";
import type { GuidanceInput } from "@guidegate/shared";

const b = await openBench(undefined, 16);
const served = b.model;
const steps = Number(process.env.STEPS ?? 20);
const guidance: GuidanceInput = { policy: "cfg", scale: 2 };
const prompts = b.items.slice(0, 8);

async function oneImage(i: number): Promise<void> {
  const item = prompts[i % prompts.length]!;
  const res = await served.generate({ prompt: item.prompt, n: 1, steps, seed: item.seed, guidance }, () => {});
  await encodeImage(res.images[0]!, res.width, res.height, "png");
}

const everything: RecordOptions = { agreement: true, branches: true, guidanceNorm: true };
async function recordedImage(i: number): Promise<void> {
  const item = prompts[i % prompts.length]!;
  const res = await served.generate(
    { prompt: item.prompt, n: 1, steps, seed: item.seed, guidance, record: everything },
    () => {},
  );
  await encodeImage(res.images[0]!, res.width, res.height, "png");
}

/** Wall and ORT milliseconds of `fn`, ORT time counted inside the runtime thread. */
async function timed(fn: () => Promise<unknown>): Promise<{ wall: number; ort: number; runs: number }> {
  const s0 = await b.rt.stats();
  const t0 = performance.now();
  await fn();
  const wall = performance.now() - t0;
  const s1 = await b.rt.stats();
  return { wall, ort: s1.ortMs - s0.ortMs, runs: s1.runs - s0.runs };
}

// Warm up sessions, caches and JIT, with and without recording.
for (let i = 0; i < 3; i++) await oneImage(i);
for (let i = 0; i < 3; i++) await recordedImage(i);

// 1. Overhead: 8 sequential images.
const seq = await timed(async () => {
  for (let i = 0; i < 8; i++) await oneImage(i);
});
const overhead = seq.wall / seq.ort;
const restPerStep = (seq.wall - seq.ort) / (8 * steps);
const recordedSeq = await timed(async () => {
  for (let i = 0; i < 8; i++) await recordedImage(i);
});

// 2. The same 8 images as concurrent jobs: their CFG pairs meet in one UNet batch of 16 per step.
const conc = await timed(() => Promise.all(prompts.map((_, i) => oneImage(i))));
const speedup = seq.wall / conc.wall;

// 3. Physical gain of the UNet: raw ORT time per NFE at batch 2 and 16 (in the runtime thread, outside the batcher).
async function msPerNfe(batch: number, reps: number): Promise<number> {
  const timing = { batch, prompt: prompts[0]!.prompt };
  await served.unetTimes({ ...timing, runs: 3 });
  const ms = (await served.unetTimes({ ...timing, runs: reps })).reduce((s, t) => s + t, 0);
  return ms / reps / batch;
}
const ms2 = await msPerNfe(2, 80);
const ms16 = await msPerNfe(16, 10);
const physical = ms2 / ms16;

const f = (x: number, d = 2) => x.toFixed(d);
console.log(`bench:worker on ${b.model.name}, CFG ${steps} steps (2 NFE per step), CPU execution provider`);
console.log(
  `  overhead ratio (wall / ORT run time, 8 sequential images): ${f(overhead, 3)}  [${f(seq.wall, 0)} ms wall, ${f(seq.ort, 0)} ms in ORT, ${seq.runs} runs]`,
);
console.log(
  `  the rest: ${f(restPerStep, 3)} ms per step (guidance, scheduler, batch assembly, events, text encoding and PNG encoding spread over the steps)`,
);
console.log(
  `  same images recording every per-step value (calibrate's and bench:ag-statistic's runs): ${f(recordedSeq.wall / recordedSeq.ort, 3)}`,
);
console.log(`  8 sequential jobs: ${f((8 * 1000) / seq.wall)} images/s`);
console.log(
  `  8 concurrent jobs: ${f((8 * 1000) / conc.wall)} images/s (${conc.runs} ORT runs for ${8 * steps} job-steps)`,
);
console.log(`  batched speed-up: ${f(speedup)}x`);
console.log(
  `  UNet physical batching gain (ms/NFE at batch 2 = ${f(ms2, 3)} / at batch 16 = ${f(ms16, 3)}): ${f(physical)}x`,
);
console.log(`  batched speed-up / physical gain: ${f((100 * speedup) / physical, 1)}%`);
await b.close();
