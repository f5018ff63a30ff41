// `npm run bench:tiers`: what each tier buys, measured through the running gateway (issue 16, item 5).
// Starts the local stack (s3rver, one gpu-worker on shapes-32, the Node edge), mints each tier's token,
// and sends the held-out prompts with neither `guidance` nor `steps`, so each tier's budget resolves them
// against the model's stored frontier; the best-CFG baseline (scale w, DDIM 20 steps) runs in the same
// run with a pro token and explicit guidance. Prints and writes docs/tiers.md: what each tier resolved to
// (GET /v1/models/{id}/guidance), NFE per image from the responses' usage, adherence (the shapes
// checker), SSIM against the baseline's image at the same seed, and each tier's target.
//   PROMPTS (all 256 held-out prompts), CONCURRENCY (32 requests in flight), CHUNK (32 prompts per row
//   in turn), DEADLINE_MIN (stop after the chunk that passes it; unset: run them all).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { checkPrompt, type EvalItem, pct, readEvalSet } from "@guidegate/eval";
import { readGuidanceDefaults } from "@guidegate/gpu-worker";
import { DEFAULT_MODEL, startStack } from "@guidegate/stack";
import sharp from "sharp";
import { ssim as ssimOf } from "ssim.js";
import { mintDevToken } from "../edge/src/auth/dev-token.ts";

const PROMPTS = process.env.PROMPTS ? Number(process.env.PROMPTS) : undefined;
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 32);
const CHUNK = Number(process.env.CHUNK ?? 32);
const DEADLINE_MIN = process.env.DEADLINE_MIN ? Number(process.env.DEADLINE_MIN) : undefined;
const MODEL = "shapes-32";
const STEPS = 20;

/** Each tier's target against best CFG: adherence within `points` of it, at most `nfe` of its NFEs. */
const TARGETS: Record<string, { points: number; nfe: number }> = {
  eco: { points: -3, nfe: 0.52 },
  standard: { points: -1, nfe: 0.6 },
  pro: { points: 3, nfe: 1 },
};

interface Row {
  label: string;
  resolved: string;
  nfePerImage: number;
  adherence: number;
  ssim: number | undefined;
  target: string;
}

const { vocabulary, items: all } = readEvalSet(DEFAULT_MODEL);
const items = PROMPTS ? all.slice(0, PROMPTS) : all;
const w = readGuidanceDefaults(DEFAULT_MODEL).scale ?? 2;
const dir = mkdtempSync(join(tmpdir(), "gg-bench-tiers-"));
// Rate and concurrency limits raised so 256 requests a tier are not throttled; budgets and prices stay.
const limits = { requests_per_minute: 100_000, max_concurrent_jobs: CONCURRENCY, max_queued_jobs: 1024 };
const stack = await startStack({
  dataDir: dir,
  workers: 1,
  workerEnv: { GG_CAPACITY: String(CONCURRENCY), GG_MAX_QUEUE: "1024" },
  edgeEnv: { GG_TIERS_JSON: JSON.stringify(Object.fromEntries(Object.keys(TARGETS).map((t) => [t, limits]))) },
});
const token = (tier: string) => mintDevToken({ sub: `bench-tiers-${tier}`, tier, ttlSec: 4 * 3600 });

async function api(path: string, tier: string, body?: object): Promise<unknown> {
  const res = await fetch(`${stack.edgeUrl}${path}`, {
    method: body ? "POST" : "GET",
    headers: { authorization: `Bearer ${await token(tier)}`, "content-type": "application/json" },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) throw new Error(`${path} as ${tier}: ${res.status} ${await res.text()}`);
  return res.json();
}

interface Generated {
  rgb: Uint8Array;
  nfe: number;
}

async function generate(tier: string, item: EvalItem, extra: object): Promise<Generated> {
  const r = (await api("/v1/images/generations", tier, {
    model: MODEL,
    prompt: item.prompt,
    seed: item.seed,
    response_format: "b64_json",
    ...extra,
  })) as { data: Array<{ b64_json: string }>; usage: { nfe: number } };
  const png = Buffer.from(r.data[0]!.b64_json, "base64");
  const rgb = new Uint8Array(await sharp(png).removeAlpha().raw().toBuffer());
  return { rgb, nfe: r.usage.nfe };
}

async function runAll(tier: string, chunk: EvalItem[], extra: object): Promise<Generated[]> {
  const out = new Array<Generated>(chunk.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < chunk.length) {
        const i = next++;
        out[i] = await generate(tier, chunk[i]!, extra);
      }
    }),
  );
  return out;
}

function ssim(a: Uint8Array, b: Uint8Array): number {
  const side = vocabulary.resolution ?? 32;
  const rgba = (rgb: Uint8Array) => {
    const data = new Uint8ClampedArray(side * side * 4);
    for (let p = 0; p < side * side; p++) {
      data.set(rgb.subarray(3 * p, 3 * p + 3), 4 * p);
      data[4 * p + 3] = 255;
    }
    return { data, width: side, height: side };
  };
  // As calibrate measures fidelity (scripts/lib/fidelity.ts): no downsampling, an 11-pixel window.
  return ssimOf(rgba(a), rgba(b), { windowSize: Math.min(11, side), downsample: false, ssim: "original" }).mssim;
}

const nfeOf = (gen: Generated[]) => gen.reduce((s, g) => s + g.nfe, 0) / gen.length;

interface TierGuidance {
  tier: string;
  budget: { nfe_fraction_max: number; nfe_per_image_max: number };
  resolves_to: { source: string; guidance: unknown; scheduler?: string; steps: number; adherence?: number };
}

function describe(t: TierGuidance): string {
  const r = t.resolves_to;
  const cal = r.adherence !== undefined ? `, ${pct(r.adherence)} on calibration prompts` : "";
  return `${JSON.stringify(r.guidance)} at ${r.scheduler ?? "default"} ${r.steps} steps (${r.source}${cal})`;
}

const log = (msg: string) => console.error(`[bench:tiers] ${msg}`);
const started = Date.now();
const BASELINE = "baseline";
const runs: Record<string, { tier: string; extra: object }> = {
  [BASELINE]: { tier: "pro", extra: { steps: STEPS, guidance: { policy: "cfg", scale: w } } },
  ...Object.fromEntries(Object.keys(TARGETS).map((t) => [t, { tier: t, extra: {} }])),
};
const images: Record<string, Generated[]> = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
let catalog: TierGuidance[] = [];
try {
  log(`stack up at ${stack.edgeUrl}; ${items.length} held-out prompts, ${CONCURRENCY} in flight`);
  catalog = ((await api(`/v1/models/${MODEL}/guidance`, "pro")) as { tiers: TierGuidance[] }).tiers;
  // Every row advances a chunk of prompts at a time, so a run stopped early (DEADLINE_MIN) still
  // compares all rows on the same prompts; docs/tiers.md is rewritten after each chunk.
  for (let at = 0; at < items.length; at += CHUNK) {
    const chunk = items.slice(at, at + CHUNK);
    for (const [name, r] of Object.entries(runs)) images[name]!.push(...(await runAll(r.tier, chunk, r.extra)));
    const done = Math.min(items.length, at + CHUNK);
    writeDocs(done);
    if (DEADLINE_MIN && (Date.now() - started) / 60_000 > DEADLINE_MIN && done < items.length) {
      log(`DEADLINE_MIN ${DEADLINE_MIN} passed: stopping after ${done} prompts`);
      break;
    }
  }
} finally {
  await stack.stop();
  rmSync(dir, { recursive: true, force: true });
}

function rowsOf(n: number): Row[] {
  const measured = items.slice(0, n);
  const adherenceOn = (gen: Generated[]) =>
    gen.filter((g, i) => checkPrompt(g.rgb, measured[i]!, vocabulary).all).length / gen.length;
  const baseline = images[BASELINE]!;
  const base = { adherence: adherenceOn(baseline), nfe: nfeOf(baseline) };
  const rows: Row[] = [
    {
      label: `best CFG (scale ${w}, ddim ${STEPS} steps)`,
      resolved: `{"policy":"cfg","scale":${w}} at ${STEPS} steps (explicit, pro token)`,
      nfePerImage: base.nfe,
      adherence: base.adherence,
      ssim: 1,
      target: "baseline",
    },
  ];
  for (const [tier, target] of Object.entries(TARGETS)) {
    const gen = images[tier]!;
    const adherence = adherenceOn(gen);
    const nfePerImage = nfeOf(gen);
    const ok = adherence >= base.adherence + target.points / 100 && nfePerImage <= target.nfe * base.nfe + 1e-9;
    const margin = (100 * (adherence - base.adherence) - target.points).toFixed(1);
    rows.push({
      label: tier,
      resolved: describe(catalog.find((t) => t.tier === tier)!),
      nfePerImage,
      adherence,
      ssim: gen.reduce((s, g, i) => s + ssim(g.rgb, baseline[i]!.rgb), 0) / gen.length,
      target: `${target.points >= 0 ? "+" : ""}${target.points} pt at <= ${Math.round(100 * target.nfe)}% NFE: ${ok ? "met" : "NOT met"} (margin ${margin} pt, ${pct(nfePerImage / base.nfe)} NFE)`,
    });
  }
  return rows;
}

function writeDocs(n: number): void {
  const done = n === items.length;
  const table = rowsOf(n)
    .map(
      (r) =>
        `| ${r.label} | ${r.resolved} | ${r.nfePerImage.toFixed(1)} | ${pct(r.adherence)} | ${r.ssim === undefined ? "" : r.ssim.toFixed(4)} | ${r.target} |`,
    )
    .join("\n");
  log(`${n} of ${items.length} prompts:`);
  console.log(table);
  const minutes = ((Date.now() - started) / 60_000).toFixed(0);
  writeFileSync(
    resolve(import.meta.dirname, "../docs/tiers.md"),
    `# What each tier buys on shapes-32

Measured by \`npm run bench:tiers\` on ${new Date().toISOString().slice(0, 10)}${done ? "" : ` (stopped early: the first ${n} of ${items.length} prompts)`}, ${minutes} min: the
local stack (one gpu-worker, the Node edge) on ${n} held-out prompts, one fixed seed each, real ONNX
inference on CPU. Each tier's requests carry its own token and neither \`guidance\` nor \`steps\`: the
edge resolved them from the model's stored frontier (\`models/shapes-32/frontier.json\`, measured by
\`npm run calibrate\` on calibration prompts, never these) under the tier's budget (docs/api.md, "Tiers").
The baseline is best CFG (scale ${w}, DDIM ${STEPS} steps) sent explicitly in the same run. NFE per image is
the responses' \`usage.nfe\`; adherence is all four attributes read back right by the shapes checker;
SSIM is against the baseline's image at the same seed.

| row | resolves to | NFE / image | adherence | SSIM vs best CFG | target vs best CFG |
|---|---|---:|---:|---:|---|
${table}
`,
  );
}
