// `npm run bench:worker`: where a worker's time goes, in one run on the embedded model.
//  1. overhead ratio: worker wall time per image / the ORT run() time spent on it;
//  2. images/s for 8 concurrent jobs (cross-request batching) against the same 8 one after another;
//  3. the UNet's physical batching gain: raw ORT ms per NFE at batch 2 / at batch 16.
import type { Guidance } from "@guidegate/shared";
import { encodeImage } from "../gpu-worker/src/storage/encode.ts";
import { generate } from "../gpu-worker/src/pipeline/generate.ts";
import { openBench } from "./lib/evaluate.ts";

const b = await openBench(undefined, 16);
const steps = Number(process.env.STEPS ?? 20);
const guidance: Guidance = { policy: "cfg", scale: 2 };
const prompts = b.items.slice(0, 8);

async function oneImage(i: number): Promise<void> {
  const item = prompts[i % prompts.length]!;
  const res = await generate(b.model, b.batcher, { prompt: item.prompt, n: 1, steps, seed: item.seed, guidance }, () => {});
  await encodeImage(res.images[0]!, res.width, res.height, "png");
}

// Warm up sessions, caches and JIT.
for (let i = 0; i < 3; i++) await oneImage(i);

// 1. Overhead: sequential images; ORT time counted inside the runtime thread.
let ort0 = b.rt.ortMs;
const trip0 = b.rt.roundTripMs;
const count0 = b.rt.runs;
let t0 = performance.now();
for (let i = 0; i < 8; i++) await oneImage(i);
const seqWall = performance.now() - t0;
const seqOrt = b.rt.ortMs - ort0;
const hopMs = (b.rt.roundTripMs - trip0 - seqOrt) / (b.rt.runs - count0); // thread hop per ORT run
const mainJsMs = (seqWall - (b.rt.roundTripMs - trip0)) / (8 * steps); // main-thread work per step
const overhead = seqWall / seqOrt;

// 2. The same 8 images as concurrent jobs: their CFG pairs meet in one UNet batch of 16 per step.
ort0 = b.rt.ortMs;
const runs0 = b.batcher.stats.runs;
t0 = performance.now();
await Promise.all(prompts.map((_, i) => oneImage(i)));
const batchedWall = performance.now() - t0;
const batchedRuns = b.batcher.stats.runs - runs0;
const speedup = seqWall / batchedWall;

// 3. Physical gain of the UNet: raw ORT time per NFE at batch 2 and 16.
const [ctx] = await b.model.encodeText([prompts[0]!.prompt]);
async function msPerNfe(batch: number, reps: number): Promise<number> {
  const rows = () => Array.from({ length: batch }, (_, i) => ({ sample: new Float32Array(b.model.sampleSize).fill(0.1 * i), timestep: 500, context: ctx!, perturb: false }));
  for (let i = 0; i < 3; i++) await b.model.runUnet(rows());
  let ms = 0;
  for (let i = 0; i < reps; i++) ms += (await b.model.runUnet(rows())).ms;
  return ms / reps / batch;
}
const ms2 = await msPerNfe(2, 80);
const ms16 = await msPerNfe(16, 10);
const physical = ms2 / ms16;

const f = (x: number, d = 2) => x.toFixed(d);
console.log(`bench:worker on ${b.model.name}, CFG ${steps} steps (2 NFE per step), CPU execution provider`);
console.log(`  overhead ratio (wall / ORT run time, 8 sequential images): ${f(overhead, 3)}  [${f(seqWall, 0)} ms wall, ${f(seqOrt, 0)} ms in ORT]`);
console.log(`  where the rest goes: ${f(hopMs, 3)} ms per run in the hop to the runtime thread and back, ${f(mainJsMs, 3)} ms per step of main-thread work`);
console.log(`  8 sequential jobs: ${f((8 * 1000) / seqWall)} images/s`);
console.log(`  8 concurrent jobs: ${f((8 * 1000) / batchedWall)} images/s (${batchedRuns} UNet runs for ${8 * steps} job-steps)`);
console.log(`  batched speed-up: ${f(speedup)}x`);
console.log(`  UNet physical batching gain (ms/NFE at batch 2 = ${f(ms2, 3)} / at batch 16 = ${f(ms16, 3)}): ${f(physical)}x`);
console.log(`  batched speed-up / physical gain: ${f((100 * speedup) / physical, 1)}%`);
await b.close();
