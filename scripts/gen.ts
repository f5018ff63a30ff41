// `npm run gen -- "a red circle on a blue background" --out out.png [--tier eco] [--steps 20] [--seed 7]`
// Streams a job from the gateway (native events: step and NFE progress), writes the image.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createParser } from "eventsource-parser";
import { mintDevToken } from "../edge/src/auth/dev-token.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: "string", default: "out.png" },
    tier: { type: "string", default: "pro" },
    sub: { type: "string", default: "cli" },
    steps: { type: "string" },
    seed: { type: "string" },
    policy: { type: "string" },
    scale: { type: "string" },
    negative: { type: "string" },
    url: { type: "string", default: process.env.GG_URL ?? "http://127.0.0.1:8787" },
    token: { type: "string", default: process.env.GG_TOKEN },
    json: { type: "boolean", default: false },
  },
});
const prompt = positionals.join(" ").trim();
if (!prompt) {
  console.error('usage: npm run gen -- "a large red circle on a blue background" --out out.png [--tier eco] [--steps 20] [--seed 7] [--policy cfg] [--scale 2]');
  process.exit(2);
}
const num = (v: string | undefined, name: string) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) {
    console.error(`--${name} must be a number`);
    process.exit(2);
  }
  return n;
};
const token = values.token ?? (await mintDevToken({ sub: values.sub!, tier: values.tier!, secret: process.env.GG_JWT_SECRET || undefined }));
const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
const guidance = values.policy ? { policy: values.policy, ...(values.scale ? { scale: num(values.scale, "scale") } : {}) } : undefined;
const body = { prompt, steps: num(values.steps, "steps"), seed: num(values.seed, "seed"), negative_prompt: values.negative, guidance };

const created = await fetch(`${values.url}/v1/jobs`, { method: "POST", headers, body: JSON.stringify(body) }).catch((e: Error) => {
  console.error(`cannot reach the gateway at ${values.url} (${e.message}); is \`npm start\` running?`);
  process.exit(1);
});
const job = (await created.json()) as { id?: string; error?: { message: string } };
if (!created.ok || !job.id) {
  console.error(`error ${created.status}: ${job.error?.message ?? JSON.stringify(job)}`);
  process.exit(1);
}

type Native = { event: string; step?: number; steps?: number; nfe?: number; images?: { url?: string }[]; seed?: number; usage?: { nfe: number; cost_micro_usd?: number }; error?: { message: string }; policy?: string; max_nfe?: number };
let final: Native | null = null;
const bar = (step: number, steps: number, nfe: number) => {
  const width = 30;
  const filled = Math.round((step / steps) * width);
  process.stderr.write(`\r[${"#".repeat(filled)}${".".repeat(width - filled)}] step ${step}/${steps}  NFE ${nfe}`);
};
const res = await fetch(`${values.url}/v1/jobs/${job.id}/events`, { headers });
if (!res.ok || !res.body) {
  console.error(`error ${res.status} reading events`);
  process.exit(1);
}
const parser = createParser({
  onEvent(ev) {
    const e = JSON.parse(ev.data) as Native;
    if (e.event === "started" && !values.json) process.stderr.write(`policy ${e.policy}, seed ${e.seed}, at most ${e.max_nfe} NFE\n`);
    if (e.event === "progress" && !values.json) bar(e.step!, e.steps!, e.nfe!);
    if (e.event === "completed" || e.event === "failed" || e.event === "cancelled") final = e;
  },
});
const decoder = new TextDecoder();
for await (const chunk of res.body) parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
if (!values.json) process.stderr.write("\n");
const end = final as Native | null;
if (!end || end.event !== "completed") {
  console.error(`job ${job.id} ended ${end?.event ?? "without a terminal event"}${end?.error ? `: ${end.error.message}` : ""}`);
  process.exit(1);
}
const url = end.images?.[0]?.url;
if (!url) {
  console.error("the completed event has no image URL");
  process.exit(1);
}
const png = new Uint8Array(await (await fetch(url)).arrayBuffer());
writeFileSync(values.out!, png);
if (values.json) console.log(JSON.stringify({ id: job.id, out: values.out, seed: end.seed, usage: end.usage, url }));
else console.log(`wrote ${values.out} (${png.length} bytes), seed ${end.seed}, ${end.usage?.nfe} NFE, cost ${end.usage?.cost_micro_usd ?? "?"} micro-USD`);
