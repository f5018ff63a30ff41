// Valid but odd requests, run to the end on a real worker: edge cases of every field the schema allows
// (one step, the most images, extreme seeds, every scheduler, zero-init past half the steps, max_nfe at
// its floor, unusual prompts). Each must complete with the images asked for and a bill equal to what it
// reported; a combination the gateway refuses must be a 400 naming the field the caller sent.
import { tenant } from "./client.ts";
import { usage } from "./probes.ts";

export interface OddCase {
  name: string;
  body: Record<string, unknown>;
  /** The field a correct 400 names; absent: the request must complete. */
  refuses?: string;
}

const p = "a large red circle on a blue background";
export const ODD_VALID: OddCase[] = [
  { name: "one step", body: { prompt: p, steps: 1 } },
  { name: "pro's most images", body: { prompt: p, n: 8, steps: 2, guidance: { policy: "none" } } },
  { name: "seed 0", body: { prompt: p, steps: 2, seed: 0 } },
  { name: "seed 2^32-1", body: { prompt: p, steps: 2, seed: 0xffffffff } },
  ...["ddim", "euler", "euler_a", "dpmpp_2m"].map((scheduler) => ({
    name: `scheduler ${scheduler}`,
    body: { prompt: p, steps: 3, scheduler },
  })),
  {
    name: "cfg_zero_star zero-init past half",
    body: { prompt: p, steps: 10, guidance: { policy: "cfg_zero_star", zero_init_steps: 7 } },
  },
  {
    name: "cfg_zero_star all but one zero",
    body: { prompt: p, steps: 10, guidance: { policy: "cfg_zero_star", zero_init_steps: 9 } },
  },
  {
    name: "cfg_zero_star every step zero",
    body: { prompt: p, steps: 10, guidance: { policy: "cfg_zero_star", zero_init_steps: 10 } },
    refuses: "guidance.zero_init_steps",
  },
  { name: "max_nfe at its floor (cfg)", body: { prompt: p, n: 2, steps: 5, max_nfe: 10, guidance: { policy: "cfg" } } },
  {
    name: "max_nfe below its floor",
    body: { prompt: p, n: 2, steps: 5, max_nfe: 9, guidance: { policy: "cfg" } },
    refuses: "max_nfe",
  },
  { name: "pag without cfg", body: { prompt: p, steps: 3, guidance: { policy: "pag", scale: 1 } } },
  {
    name: "interval over no step",
    body: { prompt: p, steps: 4, guidance: { policy: "interval", start: 0.9, end: 0.95 } },
  },
  { name: "emoji, RTL and zero-width prompt", body: { prompt: "😀\u202eevil\u200b circle", steps: 2 } },
  { name: "4000-character prompt", body: { prompt: "x".repeat(4000), steps: 2 } },
  { name: "unicode negative prompt", body: { prompt: p, negative_prompt: "ünïcødé 🚫", steps: 2 } },
  { name: "b64_json, webp", body: { prompt: p, steps: 2, response_format: "b64_json", output_format: "webp" } },
  {
    name: "streamed, three partial images over two steps",
    body: { prompt: p, steps: 2, stream: true, partial_images: 3 },
  },
];

export interface OddResult {
  cases: number;
  failures: Array<{ name: string; detail: string }>;
  reportedNfe: number;
  billedNfe: number;
}

/** What one case answered, checked: "" when right, else what was wrong; and the NFEs it reported. */
async function runCase(
  edgeUrl: string,
  headers: Record<string, string>,
  c: OddCase,
): Promise<{ detail: string; nfe: number }> {
  const res = await fetch(`${edgeUrl}/v1/images/generations`, {
    method: "POST",
    headers,
    body: JSON.stringify(c.body),
  });
  const text = await res.text();
  if (c.refuses) {
    const param = res.status === 400 ? (JSON.parse(text) as { error: { param: string } }).error.param : null;
    return { detail: param === c.refuses ? "" : `HTTP ${res.status} naming ${param}, not ${c.refuses}`, nfe: 0 };
  }
  if (res.status !== 200) return { detail: `HTTP ${res.status}: ${text.slice(0, 160)}`, nfe: 0 };
  if (c.body.stream) {
    const done = text.split("\n").filter((l) => l.startsWith("data: ") && l.includes("image_generation.completed"));
    const nfe = done.length ? (JSON.parse(done[0]!.slice(6)) as { usage: { nfe: number } }).usage.nfe : 0;
    return { detail: done.length === Number(c.body.n ?? 1) ? "" : `${done.length} completed events`, nfe };
  }
  const body = JSON.parse(text) as { data: unknown[]; usage: { nfe: number } };
  const n = Number(c.body.n ?? 1);
  const over = c.body.max_nfe !== undefined && body.usage.nfe > Number(c.body.max_nfe);
  const detail =
    body.data.length !== n ? `${body.data.length} images, not ${n}` : over ? `${body.usage.nfe} NFE over max_nfe` : "";
  return { detail, nfe: body.usage.nfe };
}

export async function oddValidScenario(edgeUrl: string): Promise<OddResult> {
  const t = await tenant("odd-valid");
  const failures: OddResult["failures"] = [];
  let reportedNfe = 0;
  for (const c of ODD_VALID) {
    const r = await runCase(edgeUrl, t.headers, c);
    reportedNfe += r.nfe;
    if (r.detail) failures.push({ name: c.name, detail: r.detail });
  }
  return { cases: ODD_VALID.length, failures, reportedNfe, billedNfe: (await usage(edgeUrl, t.token)).used_nfe };
}
