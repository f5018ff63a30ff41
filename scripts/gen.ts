// `npm run gen -- "a red circle on a blue background" --out out.png [--tier eco] [--steps 20] [--seed 7]
//    [--policy cfg] [--scale 2] [--negative "..."] [--compare apg,linear_ag] [--json]
//    [--image src.png [--mask mask.png] [--strength 0.6]]`
// Streams jobs from the gateway (native events: step and NFE progress) and writes the image; with
// --compare, runs the policies on the same seed and writes one side-by-side PNG labelled with NFEs.
// Every side is checked first (the request schema here, the tier's policies at the gateway) and all are
// accepted before any is followed: one refused side leaves none running, none billed.
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { GenerationRequestSchema } from "@guidegate/shared";
import { mintDevToken } from "../edge/src/auth/dev-token.ts";
import { parseTiers } from "../edge/src/config.ts";
import { issuePath } from "../edge/src/errors.ts";
import {
  cancelJob,
  createJob,
  followJob,
  GatewayError,
  getJson,
  type JobSummary,
  type NativeEvent,
} from "./lib/job-stream.ts";
import { BadSettingError, gatewayUrl } from "./lib/local-env.ts";
import { sideBySide } from "./lib/side-by-side.ts";

const USAGE = `usage: npm run gen -- "a large red circle on a blue background" [options]
  --out FILE          PNG to write (default out.png; with --compare, the side-by-side image)
  --policy NAME       guidance policy (default: the tier's)      --scale X   guidance scale
  --compare A,B       run policies A and B on the same seed (A:scale also works), side by side
  --steps N --seed N --negative TEXT --tier eco|standard|pro --sub NAME
  --image FILE        edit this image (PNG, JPEG, WebP) instead of starting from noise
  --mask FILE         with --image: PNG, transparent where to paint   --strength X   0 < X <= 1 (default 1)
  --url URL           gateway (default $GG_URL, else http://127.0.0.1:$GG_EDGE_PORT or $PORT, else :8787)
  --token JWT         bearer token (default $GG_TOKEN, else a development token)
  --json              print one machine-readable JSON summary on stdout, no progress`;

const OPTIONS = {
  out: { type: "string", default: "out.png" },
  tier: { type: "string", default: "pro" },
  sub: { type: "string", default: "cli" },
  steps: { type: "string" },
  seed: { type: "string" },
  policy: { type: "string" },
  scale: { type: "string" },
  negative: { type: "string" },
  compare: { type: "string" },
  image: { type: "string" },
  mask: { type: "string" },
  strength: { type: "string" },
  url: { type: "string" },
  token: { type: "string", default: process.env.GG_TOKEN },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

const { values, positionals } = (() => {
  try {
    return parseArgs({ allowPositionals: true, options: OPTIONS });
  } catch (err) {
    fail(`${(err as Error).message}\n\n${USAGE}`); // an unknown or malformed option: no stack trace
  }
})();

const prompt = positionals.join(" ").trim();
if (values.help) fail(USAGE, 0);
if (!prompt) fail(USAGE);
const num = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n)) fail(`--${name} must be a number`);
  return n;
};

interface Spec {
  policy: string | undefined;
  scale: number | undefined;
}
const defaultScale = num(values.scale, "scale");
const parseSpec = (s: string): Spec => {
  const [policy, scale] = s.split(":").map((x) => x.trim());
  if (!policy) fail(`--compare: empty policy name in "${s}"`);
  return { policy, scale: scale === undefined ? defaultScale : num(scale, "compare scale") };
};
const specs: Spec[] = values.compare
  ? values.compare.split(",").map(parseSpec)
  : [{ policy: values.policy, scale: defaultScale }];
if (values.compare && specs.length < 2) fail("--compare needs at least two policies, e.g. --compare apg,linear_ag");
if (values.compare && values.policy) fail("use either --policy or --compare, not both");

// One seed for every side of a comparison: drawn here when not given, so both runs share it.
const seed = num(values.seed, "seed") ?? (values.compare ? Math.floor(Math.random() * 2 ** 32) : undefined);
const steps = num(values.steps, "steps");
if (!values.token) {
  // A development token for a tier the gateway does not have would only come back as 401 unknown_tier.
  const tiers = Object.keys(parseTiers(process.env.GG_TIERS_JSON));
  if (!tiers.includes(values.tier)) fail(`--tier: unknown tier "${values.tier}": use one of ${tiers.join(", ")}`);
}
const token =
  values.token ||
  (await mintDevToken({ sub: values.sub, tier: values.tier, secret: process.env.GG_JWT_SECRET || undefined }));
let url: string;
try {
  url = (values.url || gatewayUrl(process.env)).replace(/\/+$/, "");
} catch (err) {
  if (err instanceof BadSettingError) fail(err.message);
  throw err;
}
/** A file as base64 for the jobs API's image fields (they are never fetched from URLs). */
const base64Of = (path: string | undefined, name: string): string | undefined => {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path).toString("base64");
  } catch (err) {
    fail(`--${name}: cannot read ${path}: ${(err as Error).message}`);
  }
};
const edit = {
  image: base64Of(values.image, "image"),
  mask: base64Of(values.mask, "mask"),
  strength: num(values.strength, "strength"),
};
const base = { prompt, steps, seed, negative_prompt: values.negative, ...edit };
const guidanceOf = (s: Spec) => (s.scale !== undefined ? { policy: s.policy, scale: s.scale } : { policy: s.policy });
const bodyFor = (s: Spec) => ({ ...base, ...(s.policy ? { guidance: guidanceOf(s) } : {}) });

/** A refusal from (or about) the gateway: exit 1, as JSON with --json. */
function gatewayFailure(err: unknown): never {
  if (!values.json && process.stderr.isTTY) process.stderr.write("\n");
  if (!(err instanceof GatewayError)) throw err;
  if (values.json) {
    console.log(JSON.stringify({ ok: false, error: err.message }));
    process.exit(1);
  }
  fail(err.message, 1);
}

// Every side is checked before any runs. Here, against the request schema both ends share: a policy that
// does not exist, a scale out of range (exit 2, like any bad option).
for (const s of specs) {
  const checked = GenerationRequestSchema.safeParse(bodyFor(s));
  if (checked.success) continue;
  const issue = checked.error.issues[0]!;
  const where = issuePath(issue.path);
  const side = values.compare && where?.startsWith("guidance") ? `--compare ${s.policy}: ` : "";
  fail(`${side}${where ? `${where}: ` : ""}${issue.message}`);
}
// Then, for a comparison, against what this tier offers (a single run's refusal comes from the gateway itself,
// before anything runs).
if (specs.length > 1) {
  try {
    const offered = await getJson<{ tier: string; data: { policy: string }[] }>(url, token, "/v1/policies");
    const names = offered.data.map((d) => d.policy);
    const refused = specs.filter((s) => s.policy && !names.includes(s.policy)).map((s) => `"${s.policy}"`);
    if (refused.length) {
      throw new GatewayError(
        `--compare: guidance policy ${refused.join(", ")} is not available in the ${offered.tier} tier ` +
          `(it offers ${names.join(", ")}); nothing was run`,
      );
    }
  } catch (err) {
    gatewayFailure(err);
  }
}

// Progress: one line on stderr for all runs, redrawn on every event.
const progress = specs.map((s) => ({ label: s.policy ?? "default", step: 0, steps: 0, nfe: 0 }));
const drawBar = () => {
  const width = specs.length > 1 ? 16 : 30;
  const parts = progress.map((p) => {
    const filled = p.steps ? Math.round((p.step / p.steps) * width) : 0;
    return `${specs.length > 1 ? `${p.label} ` : ""}[${"#".repeat(filled)}${".".repeat(width - filled)}] ${p.step}/${p.steps || "?"} NFE ${p.nfe}`;
  });
  process.stderr.write(`\r${parts.join("  |  ")}\x1b[K`);
};
const onEvent = (i: number) => (e: NativeEvent) => {
  if (values.json) return;
  const p = progress[i]!;
  if (e.event === "started") {
    p.label = e.policy ?? p.label;
    p.steps = e.steps ?? 0;
    if (specs.length === 1) process.stderr.write(`policy ${e.policy}, seed ${e.seed}, at most ${e.max_nfe} NFE\n`);
  }
  if (e.event === "progress")
    Object.assign(p, { step: e.step ?? p.step, steps: e.steps ?? p.steps, nfe: e.nfe ?? p.nfe });
  if (e.event === "retrying") process.stderr.write(`\n${p.label}: retrying (attempt ${e.attempt}): ${e.reason}\n`);
  if ((e.event === "progress" || e.event === "started") && process.stderr.isTTY) drawBar(); // no bar spam in logs
};

// Ctrl-C cancels what is running (billed for what it spent), then exits.
const ids: string[] = [];
process.on("SIGINT", () => {
  void Promise.all(ids.map((id) => cancelJob(url, token, id))).then(() => process.exit(130));
});

// Every side is accepted before any is followed; if the gateway refuses one, the others are cancelled at once.
const created = await Promise.allSettled(specs.map((s) => createJob(url, token, bodyFor(s))));
for (const c of created) if (c.status === "fulfilled") ids.push(c.value);
const refusal = created.find((c): c is PromiseRejectedResult => c.status === "rejected");
if (refusal) {
  await Promise.all(ids.map((id) => cancelJob(url, token, id)));
  gatewayFailure(refusal.reason);
}

let runs: JobSummary[];
try {
  runs = await Promise.all(ids.map((id, i) => followJob(url, token, id, { onEvent: onEvent(i) })));
} catch (err) {
  gatewayFailure(err);
}
if (!values.json && process.stderr.isTTY) process.stderr.write("\n");

// Completed events carry NFEs; the job record has the price applied by the gateway.
async function withCost(r: JobSummary): Promise<JobSummary> {
  if (r.cost_micro_usd !== null) return r;
  const res = await fetch(`${url}/v1/jobs/${r.id}`, { headers: { authorization: `Bearer ${token}` } });
  const job = res.ok ? ((await res.json()) as { usage?: { cost_micro_usd?: number } }) : {};
  return { ...r, cost_micro_usd: job.usage?.cost_micro_usd ?? null };
}
runs = await Promise.all(runs.map(withCost));

const ok = runs.every((r) => r.status === "completed" && r.url);
const money = (micro: number | null) => (micro === null ? "?" : `$${(micro / 1e6).toFixed(6)}`);
let written: { out: string; bytes: number } | null = null;
if (ok) {
  const pngs = await Promise.all(runs.map(async (r) => new Uint8Array(await (await fetch(r.url!)).arrayBuffer())));
  const png = values.compare
    ? await sideBySide(
        runs.map((r, i) => ({
          png: pngs[i]!,
          title: r.policy ?? "?",
          caption: `${r.nfe} NFE · ${money(r.cost_micro_usd)}`,
        })),
        { footer: `"${prompt}" · seed ${runs[0]!.seed} · ${runs[0]!.steps} steps` },
      )
    : pngs[0]!;
  writeFileSync(values.out!, png);
  written = { out: values.out!, bytes: png.length };
}

if (values.json) {
  const first = runs[0]!;
  const single = values.compare
    ? {}
    : { id: first.id, url: first.url, usage: { nfe: first.nfe, cost_micro_usd: first.cost_micro_usd } };
  console.log(
    JSON.stringify({ ok, out: written?.out ?? null, prompt, seed: first.seed, steps: first.steps, ...single, runs }),
  );
} else {
  const baseline = runs[0]!;
  for (const r of runs) {
    const pct = baseline.nfe > 0 ? Math.round((100 * (baseline.nfe - r.nfe)) / baseline.nfe) : 0;
    const rel =
      r !== baseline && baseline.nfe > 0
        ? `  (${Math.abs(pct)}% ${pct >= 0 ? "fewer" : "more"} NFEs than ${baseline.policy})`
        : "";
    const detail =
      r.status === "completed"
        ? `${r.nfe} NFE, cost ${money(r.cost_micro_usd)}, seed ${r.seed}${rel}`
        : `${r.status}${r.error ? `: ${r.error}` : ""}`;
    console.log(`${(r.policy ?? "?").padEnd(14)} ${detail}`);
  }
  if (written) console.log(`wrote ${written.out} (${written.bytes} bytes${values.compare ? ", side by side" : ""})`);
}
if (!ok) {
  if (!values.json)
    console.error(runs.map((r) => `job ${r.id} ended ${r.status}${r.error ? `: ${r.error}` : ""}`).join("\n"));
  process.exit(1);
}
