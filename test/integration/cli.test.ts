// `npm run gen` against the real stack: a single run, --compare on one seed (side-by-side PNG
// labelled with NFEs) and --json; a refused policy exits 1 with a JSON error.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintDevToken } from "../../edge/src/auth/dev-token.ts";
import { ROOT, type Stack, startStack } from "@guidegate/stack";

const run = promisify(execFile);
let dir: string;
let stack: Stack;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gg-cli-"));
  stack = await startStack({ dataDir: join(dir, "stack"), quiet: true });
});
afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const GEN = join(ROOT, "scripts", "gen.ts");
const PROMPT = "a large red circle on a blue background";
const gen = (...args: string[]) =>
  run(process.execPath, ["--import", "tsx", GEN, PROMPT, "--url", stack.edgeUrl, ...args], {
    cwd: ROOT,
    env: { ...process.env, GG_TOKEN: "" },
  });
/** gen with no --url: it finds the gateway from the environment alone. */
const genWithEnv = (env: Record<string, string>, ...args: string[]) => {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("GG_") && k !== "PORT"));
  return run(process.execPath, ["--import", "tsx", GEN, PROMPT, ...args], { cwd: ROOT, env: { ...clean, ...env } });
};
type Failed = { code: number; stdout: string; stderr: string };
/** What the tenant `sub` has used and holds reserved, straight from the gateway. */
async function spent(sub: string, tier = "pro"): Promise<number> {
  const token = await mintDevToken({ sub, tier });
  const res = await fetch(`${stack.edgeUrl}/v1/usage`, { headers: { authorization: `Bearer ${token}` } });
  const u = (await res.json()) as { used_nfe: number; reserved_nfe: number };
  return u.used_nfe + u.reserved_nfe;
}

describe("npm run gen", () => {
  it("writes one image and says what it cost", async () => {
    const out = join(dir, "one.png");
    const { stdout } = await gen("--steps", "8", "--seed", "7", "--policy", "cfg", "--out", out);
    expect(stdout).toMatch(/cfg\s+16 NFE, cost \$0\.000800, seed 7/);
    expect((await sharp(readFileSync(out)).metadata()).width).toBe(32);
  });

  it("--image and --strength edit a file, billing the steps that run", async () => {
    const src = join(dir, "src.png");
    await sharp({ create: { width: 48, height: 48, channels: 3, background: "#c02020" } }).toFile(src);
    const out = join(dir, "edit.png");
    const { stdout } = await gen(
      "--steps",
      "8",
      "--seed",
      "7",
      "--policy",
      "cfg",
      "--image",
      src,
      "--strength",
      "0.5",
      "--out",
      out,
    );
    expect(stdout).toMatch(/cfg\s+8 NFE/); // 4 of 8 steps, 2 branches
    expect((await sharp(readFileSync(out)).metadata()).width).toBe(32);
  });

  it("--compare runs both policies on one seed and writes a labelled side-by-side PNG; --json sums it up", async () => {
    const out = join(dir, "cmp.png");
    const { stdout } = await gen("--steps", "8", "--compare", "cfg,none", "--json", "--out", out);
    const s = JSON.parse(stdout) as {
      ok: boolean;
      seed: number;
      runs: { policy: string; seed: number; nfe: number; cost_micro_usd: number; status: string }[];
    };
    expect(s.ok).toBe(true);
    expect(s.runs.map((r) => [r.policy, r.status, r.nfe, r.cost_micro_usd])).toEqual([
      ["cfg", "completed", 16, 800],
      ["none", "completed", 8, 400],
    ]);
    expect(s.runs.every((r) => r.seed === s.seed)).toBe(true);
    const meta = await sharp(readFileSync(out)).metadata();
    expect(meta.width).toBe(16 + 2 * (256 + 16));
  });

  it("a policy outside the tier: exit 1 and a JSON error", async () => {
    const err = (await gen("--tier", "eco", "--policy", "cfg", "--json").catch((e) => e)) as {
      code: number;
      stdout: string;
    };
    expect(err.code).toBe(1);
    expect(JSON.parse(err.stdout)).toMatchObject({ ok: false, error: expect.stringContaining("403") });
  });

  it("--compare with a policy that does not exist: refused before any side runs, nothing billed", async () => {
    const out = join(dir, "bogus.png");
    const args = ["--steps", "8", "--sub", "cmp-bogus", "--compare", "cfg,bogus", "--out", out];
    const err = (await gen(...args).catch((e) => e)) as Failed;
    await new Promise((r) => setTimeout(r, 500)); // a side started anyway would hold a reservation by now
    expect(await spent("cmp-bogus")).toBe(0);
    expect(existsSync(out)).toBe(false);
    expect(err.code).toBe(2);
    expect(err.stderr).toContain("bogus");
  });

  it("--compare with a policy outside the tier: refused before any side runs, the tier's policies listed", async () => {
    const out = join(dir, "tier.png");
    const args = ["--steps", "8", "--tier", "eco", "--sub", "cmp-tier", "--compare", "linear_ag,cfg", "--out", out];
    const err = (await gen(...args).catch((e) => e)) as Failed;
    await new Promise((r) => setTimeout(r, 500));
    expect(await spent("cmp-tier", "eco")).toBe(0);
    expect(existsSync(out)).toBe(false);
    expect(err.code).toBe(1);
    expect(err.stderr).toMatch(/cfg.*eco/);
    expect(err.stderr).toContain("linear_ag");
  });

  it("finds the gateway from GG_EDGE_PORT (or PORT) without --url", async () => {
    const port = String(new URL(stack.edgeUrl).port);
    for (const env of [{ GG_EDGE_PORT: port }, { PORT: port }] as Record<string, string>[]) {
      const out = join(dir, `env-${Object.keys(env)[0]}.png`);
      const { stdout } = await genWithEnv(env, "--steps", "4", "--seed", "7", "--policy", "none", "--out", out);
      expect(stdout).toMatch(/none\s+4 NFE/);
      expect(existsSync(out)).toBe(true);
    }
  });

  it("an unknown tier: refused before any request, the valid tiers listed", async () => {
    const err = (await gen("--tier", "platinum").catch((e) => e)) as Failed;
    expect(err.code).toBe(2);
    expect(err.stderr).toContain("eco, standard, pro");
  });

  it("an unknown option: a usage message and exit 2, no stack trace", async () => {
    const err = (await gen("--bogus-flag").catch((e) => e)) as Failed;
    expect(err.code).toBe(2);
    expect(err.stderr).toContain("--bogus-flag");
    expect(err.stderr).toContain("usage: npm run gen");
    expect(err.stderr).not.toMatch(/ERR_PARSE_ARGS|\n\s+at /);
  });
});
